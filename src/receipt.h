/*
 * receipt.h - the document record (`struct doc`) and its two written forms: the
 * receipt an ERP reads next to each document (INI, optionally JSON; chorusgw-receipt(5))
 * and the spool's private record (the same INI plus a [spool] section).
 *
 * Ownership: a `struct doc` owns every string it points to; doc_free() releases them.
 * Setters copy their argument. Functions returning char * hand a malloc'ed string to
 * the caller. Errors: 0 / -1 with *why (HACKING.md).
 */
#ifndef CHORUSGW_RECEIPT_H
#define CHORUSGW_RECEIPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "spool.h"
#include "util.h"

/* A document's life (DESIGN §1, §2). Order matters: doc_state_final() is >= ACCEPTED. */
enum doc_state {
	DOC_RECEIVED = 0, /* claimed from inbox/, in the work area, being transformed */
	DOC_QUEUED,       /* in outbox/ with its Chorus XML, waiting for a deposit */
	DOC_SUBMITTING,   /* deposit intent recorded (payload_sha256, attempts) before the call */
	DOC_DEPOSITED,    /* numero_flux_depot known, waiting for the deposit report */
	DOC_ACCEPTED,     /* integrated by Chorus Pro (accepted/) */
	DOC_REJECTED,     /* refused locally or by Chorus Pro (rejected/) */
};
#define DOC_NSTATES 6

/* One line of the dated history: "history.N = DATE STATE[ NOTE]". */
struct doc_event {
	time_t when;
	enum doc_state state;
	char *note; /* may be NULL */
};

struct doc {
	char qid[QID_MAX];
	enum doc_state state;
	char *original_name; /* the name as dropped in inbox/ (any bytes but '/' and NUL) */
	char *file;          /* the original's name in its current folder */
	char *chorus_xml;    /* the generated Chorus XML's name in that folder, or NULL */
	int64_t size;        /* bytes of the original when claimed */

	char *supplier_siret;
	char *supplier_siren;
	char *supplier_id;      /* a supplier without a SIRET: its identifier in Chorus Pro */
	char *supplier_id_type; /* and its type, "UE_HORS_FRANCE" or "HORS_UE" */
	char *buyer_siret;
	char *buyer_siren;
	char *invoice_number;
	char *syntax; /* "ubl" or "cii" */
	/* where the account to pay (BT-84..86) came from: "export", "document",
	 * "[supplier.SIRET]" or "[supplier]"; NULL: no account */
	char *iban_source;
	char *route; /* "chorus" or "pa" (route.h), decided before the first send; or NULL */

	char *numero_flux_depot;
	time_t deposit_date;        /* 0: not deposited */
	char *deposit_report_state; /* IN_INTEGRE, IN_REJETE, ... */
	char *chorus_invoice_id;    /* idFacture */
	char *chorus_status;        /* statut courant, e.g. MISE_A_DISPOSITION */
	time_t chorus_status_date;
	char *chorus_status_comment;

	/* the platform's status of the invoice, in one vocabulary for every route */
	char *status_code;  /* Chorus Pro: MISE_A_DISPOSITION...; PA: 205... */
	char *status_label; /* in French: "Mise à disposition", "Approuvée" */
	time_t status_date;
	char *status_reason; /* the reason given with it, in plain words, or NULL */

	/* the PA route's own ids (XP Z12-013) */
	char *pa_flow_id;         /* flowId of the invoice flow */
	char *pa_tracking_id;     /* trackingId sent with it (the queue id) */
	char *pa_ack;             /* its acknowledgement: Pending, Ok, Error */
	char *pa_processing_rule; /* B2B, B2G */

	int action_required;
	char *action;       /* what to do, in words */
	int held;           /* operator hold: no deposit attempt until released */
	int force;          /* operator retry --force: deposit despite the duplicate index */
	char *duplicate_of; /* qid of the first document with this (SIRET, number) */

	char *payload_sha256; /* of the exact bytes deposited (set in SUBMITTING) */
	int attempts;         /* deposit attempts started */
	time_t next_attempt;  /* 0: as soon as possible */
	time_t received;      /* claimed */
	time_t updated;       /* last written */

	char **reasons; /* human-readable, one per line */
	size_t nreasons;
	struct doc_event *history;
	size_t nhistory;

	/* Spool bookkeeping, written in the private record only ([spool] section). */
	enum spool_folder folder;
	char *owner;               /* process id of the owner (spool.h) */
	enum spool_folder move_to; /* SF_NONE unless a move is in progress */
	char *move_file;
	char *move_xml;
	int crashes; /* processes that died working on it: a worker pre-flighting it (a
	                crash, the OOM killer) or the daemon crashing in one of its steps
	                (spool_crash_note); see [gateway] crash_limit */
};

/* Allocate an empty document (state RECEIVED, folder WORK); free with doc_free(). */
struct doc *doc_new(void);
void doc_free(struct doc *);
/* Deep copy; caller frees with doc_free(). */
struct doc *doc_dup(const struct doc *);

/* Replace a string field with a copy of `v` (NULL clears it). */
void doc_set(char **field, const char *v);
/* Change state and append a dated history line (note may be NULL). */
void doc_set_state(struct doc *, enum doc_state, const char *note);
/* Append a history line without changing state (e.g. "held by operator"). */
void doc_note(struct doc *, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Append a reason line (newlines in it are kept, escaped in the file). */
void doc_add_reason(struct doc *, const char *fmt, ...) PRINTFLIKE(2, 3);
void doc_clear_reasons(struct doc *);
/* The last reason, or NULL. */
const char *doc_last_reason(const struct doc *);
/* The supplier's key in the duplicate index: its SIRET, else its SIREN, else "". */
const char *doc_supplier_key(const struct doc *);
/* What chooses the supplier's [supplier.SIRET] or [supplier.ID] section, and so its
 * technical account: its SIRET, else (a supplier without one) its identifier; NULL
 * when neither is known. */
const char *doc_supplier_section(const struct doc *);

const char *doc_state_name(enum doc_state);
int doc_state_parse(const char *, enum doc_state *);
static inline int
doc_state_final(enum doc_state s)
{
	return s >= DOC_ACCEPTED;
}

/* receipt_format() flags */
#define RCPT_RECORD 0x1 /* add the private [spool] section (the spool's record) */

/* The INI text, ending with its "checksum = sha256:HEX" line, appended to `out`. */
void receipt_format(const struct doc *, unsigned flags, struct buf *out);
/* Parse receipt_format()'s output. A missing or wrong checksum (torn or edited file),
 * a malformed line or a missing queue_id/state fail with *why. Caller frees *out. */
int receipt_parse(const char *text, size_t len, struct doc **out, char **why);
/* Append the last line of a receipt, "checksum = sha256:HEX" over out's bytes from
 * `start` (other receipts of the spool, chorusgw-incoming(5), use it too). */
void receipt_seal(struct buf *out, size_t start);
/* Check that line at the end of `text`: *body_len receives the length it covers. A torn
 * or edited text fails with *why. 0 / -1. */
int receipt_unseal(const char *text, size_t len, size_t *body_len, char **why);
/* The JSON receipt (one object, pretty-printed, trailing newline). Caller frees. */
char *receipt_json(const struct doc *);

/* Durably write the INI form to `path` (temp file in `tmpdir`, fsync, rename, fsync
 * dir). With `noreplace`, fail with EEXIST when `path` exists. 0 / -1. */
int receipt_write(const char *tmpdir, const char *path, const struct doc *, unsigned flags,
                  mode_t mode, int noreplace, char **why);
/* The same for the JSON form. 0 / -1. */
int receipt_write_json(const char *tmpdir, const char *path, const struct doc *, mode_t mode,
                       char **why);
/* Read and check a receipt or record (symlinks refused, 1 MiB bound). Caller frees *out.
 * errno is ENOENT when the file does not exist. 0 / -1. */
int receipt_read(const char *path, struct doc **out, char **why);
/* The queue id the receipt at `path` names: its INI form (checked as receipt_read()
 * does) or, with `json`, its JSON form. NULL when the file cannot be read or is not a
 * receipt. Caller frees. */
char *receipt_read_qid(const char *path, int json);

/* Value escaping used in the INI form (exposed for tests and the man page example):
 * the caller frees the result. receipt_unescape returns -1 on a malformed escape. */
char *receipt_escape(const char *);
int receipt_unescape(const char *, struct buf *out);

#endif
