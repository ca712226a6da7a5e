/*
 * spool.h - every spool path and every rename: layout, claim, moves, per-document
 * records, crash recovery, queue ids, ownership across processes, the duplicate index
 * and operator requests.
 *
 * Layout (all on one filesystem, so every state change is one rename()):
 *
 *   DIR/inbox/          drop folder (0770): the ERP writes here
 *   DIR/outbox/         transformed, waiting for / being deposited (0750)
 *   DIR/accepted/       integrated by Chorus Pro (0750)
 *   DIR/rejected/       refused, with reasons (0750)
 *   DIR/.chorusgw/      private (0700):
 *       layout          marker "chorusgw spool layout 1"
 *       tmp/            temporary files of atomic writes (stale ones cleaned at start)
 *       work/QID/       a claimed document being transformed: the original keeps its name
 *       active/QID      record of a document not final, or whose change is in progress
 *       final/QID       record of an accepted or rejected document
 *       dup/SIRET.HASH  duplicate index entry: (supplier SIRET, invoice number) -> qid
 *       proc/PROCID     one lock file per process (flock held while it lives; left
 *                       unlocked when it ends, removed by whoever adopts its documents)
 *       proc/PROCID.crash  the queue id of the document the process was working on when
 *                       it crashed (spool_crash_note); its adopter counts it in that
 *                       document's record (crashes), then removes it
 *       ctl/QID.REQ     operator requests waiting for the owning process
 *       refs/KEY.HASH   (key, number) -> qid: what a platform's status flows name
 *                       (for the PA: the seller's SIREN and the invoice number)
 *       events/QID.T    status events of a sent document, waiting to be applied by
 *                       whoever may change it (its owner, or anyone if it has none)
 *       state/NAME      spool-wide state of a route (the PA's search position)
 *       (refs/, events/ and state/ are made when first used)
 *       lock/           admin (adoption, direct operator changes), dup (index updates),
 *                       reconcile (one run at a time); one process at a time reads the
 *                       PA's status feed (pa-feed), takes the status files (statuses),
 *                       polls the incoming flows (incoming)
 *
 * A document in outbox/, accepted/ or rejected/ is FILE (the original), its Chorus XML
 * (FILE minus its extension + ".ubl.xml" / ".cii.xml") and FILE.receipt (and
 * FILE.receipt.json); a name clash gets the queue id inserted before the extension.
 * Nothing is ever overwritten (rename_noreplace) and no document is ever deleted.
 *
 * Queue ids: 7 characters of seconds since 1970 and 5 of microseconds, in base 30
 * ("0-9" and the consonants "BCDFGHJKLMNPQRSTVWXY", ASCII-ordered so ids sort by claim
 * time), then "Z", then the claimed file's inode number in the same base; 14 to 26
 * characters, upper case only (safe on case-insensitive shares). An id is reserved by
 * mkdir(work/QID) and by creating its record with link(), so two processes never share
 * one and an id is never reused while its record exists. Process ids (owners) are made
 * the same way with the pid in place of the inode.
 *
 * Ownership: the process that claimed a document owns it until it exits: its record
 * says owner = PROCID and that process holds flock(proc/PROCID). spool_recover() adopts
 * only documents whose owner holds no lock (dead), under lock/admin, so two starting
 * processes never adopt the same one. Operator requests for a document with a live
 * owner are queued in ctl/ for it (spool_ctl_fd / spool_ctl_poll); without one they are
 * applied directly, under lock/admin.
 *
 * Durability: intent first, then renames, then the visible receipt as the commit record,
 * then the record's final form. A crash anywhere is finished by spool_recover().
 * crashpoint() names (fileio.h), in order: claim-mkdir, claim-rename, claim-record;
 * move-stage, move-intent, move-orig, move-xml, move-receipt, move-old-receipt,
 * move-record; save-record, save-receipt.
 *
 * Ownership of memory: a `struct spool` is released with spool_close(); `struct doc`
 * pointers handed out are the caller's (doc_free). Errors: 0 / -1 with *why naming the
 * path and the fix (HACKING.md), unless a function says otherwise.
 */
#ifndef CHORUSGW_SPOOL_H
#define CHORUSGW_SPOOL_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util.h"

struct doc; /* receipt.h */

#define QID_MAX 32 /* queue ids (and process ids) are shorter: see above */

/* Where a document's files are (struct doc's folder). WORK is the private work area. */
enum spool_folder { SF_WORK = 0, SF_OUTBOX, SF_ACCEPTED, SF_REJECTED, SF_NONE };
/* Its name in a record's [spool] section ("work", "outbox", ..., "none"). */
const char *spool_folder_name(enum spool_folder);
/* The folder of that name: 0, or -1 when no folder has it. */
int spool_folder_parse(const char *, enum spool_folder *);

struct spool_cfg {
	mode_t file_mode;  /* receipts and Chorus XML in the visible folders ([spool] file_mode) */
	int json_receipts; /* also write FILE.receipt.json */
	int64_t max_size;  /* larger originals are refused ([spool] max_size) */
};

struct spool;

/* Create the layout with safe modes (missing folders only), then spool_check(). */
int spool_init(const char *dir, char **why);
/* Check the layout: every folder present, a directory (not a symlink), owned by this
 * user, not writable by others (the private one not readable either), all on the
 * filesystem of DIR. One line with the fix on failure. */
int spool_check(const char *dir, char **why);

/* spool_open() flags */
#define SPOOL_ADMIN 0x1 /* operator commands: no process lock, owns nothing, adopts nothing */

/* Check and open the spool. Without SPOOL_ADMIN, register this process (proc/PROCID,
 * flock held until spool_close). NULL with *why. */
struct spool *spool_open(const char *dir, const struct spool_cfg *, unsigned flags, char **why);
/* Release the process lock: documents this process owned become orphans that another
 * process adopts (one running now, through spool_orphans(), or the next to start).
 * Frees `sp`. */
void spool_close(struct spool *);
const char *spool_root(const struct spool *);
const char *spool_inbox(const struct spool *);
const char *spool_procid(const struct spool *);

/*
 * At start, before anything else: remove stale temporary files, create the record of a
 * claimed document that has none (crash right after the claim), adopt the documents
 * whose owner is dead (counting the crash its owner noted, spool_crash_note), finish
 * every half-done move or save, rewrite receipts that lag
 * behind their record, and apply operator requests waiting for the adopted documents.
 * *adopted (may be NULL) receives how many documents were adopted. 0 / -1.
 */
int spool_recover(struct spool *, int *adopted, char **why);

/* One run at a time of a command over the whole spool (`reconcile`): an fd holding
 * lock/COMMAND, or -1 with *why ("another ... is running") without waiting. Released
 * by spool_unlock_command() or at exit. */
int spool_lock_command(struct spool *, const char *command, char **why);
void spool_unlock_command(int fd);

/*
 * Note, for whoever adopts this process's documents, that it is dying of a crash while
 * working on the document `qid`: spool_recover() then counts one more death in that
 * document's record (doc->crashes). Async-signal-safe (a fatal signal's handler calls
 * it); does nothing for a spool opened with SPOOL_ADMIN. Best effort: a note that
 * cannot be written is a death not counted.
 */
void spool_crash_note(struct spool *, const char *qid);

/* Has a process that ran on this spool ended (crashed or stopped) since the last
 * spool_recover()? Then its documents wait for an adopter: call spool_recover(). Cheap
 * (one flock per registered process): a running daemon asks periodically. */
int spool_orphans(struct spool *);

/* spool_claim() results */
#define SPOOL_CLAIMED 0 /* *out is the document, state received, in the work area */
#define SPOOL_GONE    1 /* not there, not the file judged, or another process took it */
#define SPOOL_REFUSED 2 /* hostile: moved to rejected/ with its receipt; *out says why */

/*
 * Claim inbox/NAME, which the caller judged from `judged` (lstat; dev/ino are checked
 * again after the rename). `refuse` non-NULL: the entry is hostile (symlink, FIFO,
 * device, directory, hard link, control characters, too big) and goes to rejected/
 * with that reason; it is never opened or followed. The claim re-checks all of that on
 * the claimed entry too. Returns SPOOL_CLAIMED, SPOOL_GONE or SPOOL_REFUSED (*out set
 * for CLAIMED and REFUSED, caller frees), or -1 with *why.
 */
int spool_claim(struct spool *, const char *name, const struct stat *judged, const char *refuse,
                struct doc **out, char **why);

/* Read the original's bytes (O_NOFOLLOW, regular file, at most `max`), appended to out. */
int spool_read_original(struct spool *, const struct doc *, size_t max, struct buf *out,
                        char **why);
/* Paths of a document's files (caller frees): */
char *spool_original_path(const struct spool *, const struct doc *);
char *spool_xml_path(const struct spool *, const struct doc *);     /* NULL without XML */
char *spool_receipt_path(const struct spool *, const struct doc *); /* NULL in the work area */

/*
 * Durably record the document as it is in memory: the record, then its receipt. Call
 * before a deposit (state submitting, payload_sha256, attempts) and after it
 * (numero_flux_depot). Sets `updated`. 0 / -1 (nothing changed on disk on -1 before
 * the record is written; the record wins over the receipt at recovery).
 */
int spool_save(struct spool *, struct doc *, char **why);

/*
 * Move the document to folder `to` with its files, after the caller set its new state,
 * reasons and fields. `xml` (may be NULL) is the generated Chorus XML, accepted only
 * while the document is in the work area; it is named after the original and
 * `doc->syntax`. To SF_WORK: back into the work area (operator retry of a rejected
 * document). Order: XML staged in the work area, intent in active/QID, original renamed,
 * XML renamed, receipt written (the commit), old receipt removed, record in its home
 * (final/ for accepted and rejected). On return doc->folder, file and chorus_xml say
 * where the files are. 0 / -1; after -1 the move is finished by spool_recover().
 */
int spool_move(struct spool *, struct doc *, enum spool_folder to, const void *xml, size_t xmllen,
               char **why);

/*
 * A document generated elsewhere (a worker process, offload.c) is written durably to
 * spool_stage_path() (a new name in the document's work folder each call, caller frees;
 * its temporary file in spool_tmp_dir()), then adopted by spool_move_staged(): renamed
 * to the name spool_move() gives `xml`, then moved as spool_move() does. A staged file
 * never adopted (the daemon died first, or the pre-flight was made again) is removed
 * when its document leaves the work area, and by spool_recover() for a document whose
 * owner is gone; none is ever named by a record.
 */
char *spool_stage_path(struct spool *, const struct doc *);
const char *spool_tmp_dir(const struct spool *);
mode_t spool_file_mode(const struct spool *);
int spool_move_staged(struct spool *, struct doc *, enum spool_folder to, const char *staged,
                      char **why);

/* Load the record of `qid` (active/ then final/). 0, or -1 with errno ENOENT when no
 * document has that id. Caller frees *out. */
int spool_load(struct spool *, const char *qid, struct doc **out, char **why);

/* Iterate over records one at a time (memory does not grow with the spool). */
#define SPOOL_ITER_ACTIVE  0x1 /* records in active/ (not final) */
#define SPOOL_ITER_FINAL   0x2 /* records in final/ (accepted, rejected) */
#define SPOOL_ITER_MINE    0x4 /* only documents this process owns */
#define SPOOL_ITER_PENDING 0x8 /* only received/queued/submitting/deposited and not held */
struct spool_iter;
struct spool_iter *spool_iter_open(struct spool *, unsigned flags, char **why);
/* 1 and *out (caller frees) for the next document, 0 at the end, -1 on error (an
 * unreadable record is logged and skipped, not an error). */
int spool_iter_next(struct spool_iter *, struct doc **out, char **why);
void spool_iter_close(struct spool_iter *);

/* ---- the duplicate index (DESIGN §2 point 4) ---- */

/* Claim (siret, number) for `qid` with O_EXCL/link(). 0: claimed (or already ours, or
 * `force`); 1: held by another document, *dup_of set (caller frees); -1 with *why. An
 * entry whose document is rejected or has no record is stale and taken over. */
int spool_dup_claim(struct spool *, const char *siret, const char *number, const char *qid,
                    int force, char **dup_of, char **why);
/* Release the entry if it is held by `qid` (Chorus rejected the deposit: the number may
 * be sent again). 0 / -1. */
int spool_dup_release(struct spool *, const char *siret, const char *number, const char *qid,
                      char **why);
/* 0 and *qid (caller frees) when an entry exists, 1 when none, -1 on error. */
int spool_dup_lookup(struct spool *, const char *siret, const char *number, char **qid, char **why);

/* ---- references named by the platforms' status flows ---- */

/* Record that (key, number) names document `qid` now (an earlier entry is replaced).
 * 0 / -1. */
int spool_ref_set(struct spool *, const char *key, const char *number, const char *qid, char **why);
/* 0 and *qid (caller frees) when an entry exists, 1 when none, -1 on error. */
int spool_ref_get(struct spool *, const char *key, const char *number, char **qid, char **why);

/* ---- status events waiting for their document (follow.c writes and reads them) ---- */

/* Durably store `text`, an event for document `qid`. 0 / -1. */
int spool_event_put(struct spool *, const char *qid, const char *text, char **why);
/* For each stored event, in the order they were stored: cb(arg, qid, text) returns 1
 * when the event was applied (it is removed), 0 to keep it. An unreadable event is
 * logged and removed. 0 / -1. */
typedef int spool_event_cb(void *arg, const char *qid, const char *text);
int spool_event_each(struct spool *, spool_event_cb *, void *arg, char **why);

/* Under lock/admin, load `qid` and call cb(arg, sp, d, why) with the right to change it
 * (spool_save, spool_move) when this process owns it or no live process does; cb's
 * return value is returned. 1 without calling cb when a live process owns it (the
 * change is its owner's to make); -1 with *why when it cannot be loaded. */
typedef int spool_doc_cb(void *arg, struct spool *, struct doc *, char **why);
int spool_with_doc(struct spool *, const char *qid, spool_doc_cb *, void *arg, char **why);

/* The path of a spool-wide state file `name` (its folder made if needed), or NULL with
 * *why. Caller frees. Write it with write_file_atomic(spool_tmp(sp), ...). */
char *spool_state_path(struct spool *, const char *name, char **why);
const char *spool_tmp(const struct spool *);

/* ---- operator requests (chorusgw retry/hold/release) ---- */

enum spool_req { REQ_HOLD = 0, REQ_RELEASE, REQ_RETRY, REQ_RETRY_FORCE };
const char *spool_req_name(enum spool_req);

/*
 * From any process (typically SPOOL_ADMIN): ask for `req` on document `qid`. When a live
 * process owns it, the request is written to ctl/ for that process and *queued is set to
 * 1; otherwise it is applied at once (*queued = 0). -1 with *why for an unknown id or a
 * request that does not apply (release of a document not held, retry of an accepted one).
 */
int spool_request(struct spool *, const char *qid, enum spool_req, int *queued, char **why);

/*
 * Apply a request to a document this process holds in memory and record it durably:
 * hold/release set `held`; retry clears next_attempt (and sets `force` with
 * REQ_RETRY_FORCE); a retry of a rejected document moves it back to the work area as
 * received, to be transformed and checked again. The gateway calls it from its
 * spool_ctl_poll() callback. 0 / -1.
 */
int spool_apply_request(struct spool *, struct doc *, enum spool_req, char **why);

/* Readable when operator requests may be waiting (inotify on ctl/), or -1 when not
 * available (then poll on a timer). The gateway adds it to ev.c. */
int spool_ctl_fd(struct spool *);
/*
 * Take the waiting requests for documents this process owns: for each, cb(arg, qid,
 * req) must apply it (spool_apply_request on its in-memory copy) and return 0; with
 * cb NULL the spool loads, applies and saves the record itself. A request is removed
 * once applied (or refused, with a log line). Requests for other owners' documents are
 * left for them. 0 / -1.
 */
typedef int spool_req_cb(void *arg, const char *qid, enum spool_req req);
int spool_ctl_poll(struct spool *, spool_req_cb *cb, void *arg, char **why);

/* A fresh queue id made from the current time and `unique` (exposed for tests). */
void spool_make_qid(char out[QID_MAX], uint64_t unique);

#endif
