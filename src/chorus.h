/*
 * chorus.h - the Chorus Pro client: the PISTE token, the Chorus Pro operations the
 * gateway uses, and the classification of every failure (DESIGN §3).
 *
 * Every operation is asynchronous: it returns a handle at once and later calls the
 * callback, always from the event loop (never from inside the call that started
 * it), with a struct chorus_reply that the callback owns (chorus_reply_free()).
 * Every reply says, in r.cls, what the caller should do:
 *
 *   CHORUS_OK        the answer is in the reply
 *   CHORUS_RETRY     Chorus Pro or the network failed; try again later (honour
 *                    r.retry_after_ms). For a deposit with r.unknown_outcome set,
 *                    Chorus Pro may have received it: search before depositing again.
 *   CHORUS_SETUP     the set-up is wrong (credentials, subscriptions, CA...); r.setup
 *                    says what to check. Retrying will not help until it is fixed.
 *   CHORUS_DOCUMENT  Chorus Pro refused this request for what it carries (400, 413,
 *                    codeRetour != 0): the document goes to rejected/.
 */
#ifndef CHORUSGW_CHORUS_H
#define CHORUSGW_CHORUS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http.h"

struct conf;
struct json;

enum chorus_class { CHORUS_OK = 0, CHORUS_RETRY, CHORUS_SETUP, CHORUS_DOCUMENT };

enum chorus_op {
	CHORUS_OP_TOKEN = 0, /* PISTE token */
	CHORUS_OP_HEALTH,    /* GET transverses/v1/health-check */
	CHORUS_OP_DEPOSIT,   /* factures/v1/deposer/flux */
	CHORUS_OP_REPORT,    /* transverses/v1/consulterCRDetaille */
	CHORUS_OP_SEARCH,    /* factures/v1/rechercher/fournisseur (every page) */
	CHORUS_OP_HISTORY,   /* factures/v1/consulter/historique */
	CHORUS_OP_STRUCTURE, /* structures/v1/rechercher + consulter + rechercher/services */
	CHORUS_OP_OWN,       /* transverses/v1/recuperer/structures/actives/fournisseur */
	CHORUS_OP_EXPIRY,    /* OWN, then structures/v1/consulter of one of them */
	CHORUS_OP_ATTACH,    /* transverses/v1/ajouter/fichier */
	CHORUS_OP_COMPLETE,  /* factures/v1/completer */
	CHORUS_OP_RECYCLE,   /* factures/v1/recycler */
	CHORUS_OP_SERVICE,   /* structures/v1/consulter/service */
};

/* What every reply carries. Strings are owned by the reply. */
struct chorus_result {
	enum chorus_class cls;
	/* deposit only: the request may have reached Chorus Pro (timeout or connection lost
	 * after sending, 5xx, an answer that is not understood); search before re-sending */
	int unknown_outcome;
	long http_status;    /* 0: no HTTP answer */
	int has_code_retour; /* codeRetour was in the answer */
	int64_t code_retour;
	char *libelle;          /* Chorus Pro's libelle, or NULL */
	char *reason;           /* one line in plain words; NULL when cls == CHORUS_OK */
	char *setup;            /* which set-up step to check (SETUP, some RETRY); or NULL */
	const char *kind;       /* the classification table's name for it ("flow-not-found",
	                         * "too-large"...; static), or NULL */
	char *advice;           /* what to do about it, in plain words, or NULL */
	int64_t retry_after_ms; /* from Retry-After; -1 when absent */
	char *raw;              /* the answer body, secrets removed, at most CHORUS_RAW_MAX bytes */
	uint64_t elapsed_ms;    /* whole operation, token and pages included */
};
#define CHORUS_RAW_MAX 2048

/* One reason of a deposit report: a listeErreurTechnique entry, or one of the
 * "|"-joined reasons of a listeErreurDP entry (the last one may be cut by Chorus Pro). */
struct chorus_report_error {
	int technical;          /* from listeErreurTechnique (else listeErreurDP) */
	char *invoice;          /* numeroDP */
	char *supplier, *buyer; /* identifiantFournisseur / identifiantDestinataire */
	char *code, *nature;    /* codeErreur / natureErreur (technical errors) */
	char *message;          /* the reason, as Chorus Pro wrote it */
	const char *kind;       /* the classification table's name for it, or NULL */
	char *advice;           /* what to fix, in plain words; NULL when not recognised */
};

/* What a deposit report's state (etatCourantDepotFlux) leads to. */
enum chorus_report_outcome {
	CHORUS_REPORT_PENDING = 0, /* being processed: ask again soon */
	CHORUS_REPORT_BLOCKED,     /* held by Chorus Pro (waits for AIFE's operators, internal
	                            * error): ask again, someone may have to act */
	CHORUS_REPORT_INTEGRATED,  /* IN_INTEGRE */
	CHORUS_REPORT_PARTIAL,     /* IN_INTEGRE_PARTIEL: the invoices in error rejected */
	CHORUS_REPORT_REJECTED,    /* IN_REJETE, IN_INCIDENTE, QP_IRRECEVABLE */
	CHORUS_REPORT_UNKNOWN,     /* a state chorusgw does not know: ask again */
};

struct chorus_invoice {
	int64_t id;         /* identifiantFactureCPP */
	char *number;       /* numeroFacture */
	char *flux;         /* numeroFluxDepot */
	char *status;       /* statut (statutFacture) */
	char *status_date;  /* dateHeureEtatCourant */
	char *comment;      /* commentaireEtatCourant */
	char *type;         /* FACTURE / AVOIR / ACOMPTE */
	char *deposit_date; /* dateDepot */
	char *supplier;     /* codeFournisseur: SIRET, or identifier of a supplier without one */
	char *buyer;        /* codeDestinataire */
	char *service;      /* codeServiceExecutant */
};

struct chorus_status_event {
	char *status, *date, *comment;
};

struct chorus_service {
	int64_t id;
	char *code, *label;
	int active;
};

struct chorus_own_structure {
	int64_t id;
	char *siret, *name;
};

struct chorus_reply {
	enum chorus_op op;
	struct chorus_result r;

	/* CHORUS_OP_TOKEN */
	int64_t token_expires_in_s;
	/* CHORUS_OP_DEPOSIT */
	struct {
		char *flux;   /* numeroFluxDepot */
		char *date;   /* dateDepot */
		char *syntax; /* syntaxeFlux echoed */
	} deposit;
	/* CHORUS_OP_REPORT */
	struct {
		char *state;       /* etatCourantDepotFlux */
		const char *words; /* the state in plain words (static), NULL when unknown */
		enum chorus_report_outcome outcome;
		int final;      /* INTEGRATED, PARTIAL or REJECTED: the report will not change */
		int integrated; /* INTEGRATED or PARTIAL */
		char *deposit_date, *state_date, *file_name, *interface;
		struct chorus_report_error *errors;
		size_t nerrors;
	} report;
	/* CHORUS_OP_SEARCH */
	struct {
		struct chorus_invoice *v;
		size_t n;
		int64_t total; /* as Chorus Pro counted it */
		int64_t pages_read;
	} invoices;
	/* CHORUS_OP_HISTORY */
	struct {
		char *current;
		struct chorus_status_event *v;
		size_t n;
	} history;
	/* CHORUS_OP_STRUCTURE */
	struct {
		int found; /* 0: Chorus Pro knows no structure with this SIRET */
		int64_t id;
		char *siret, *name, *status; /* status: ACTIVE / INACTIVE */
		int service_required, engagement_required, service_or_engagement;
		struct chorus_service *services;
		size_t nservices;
		/* dateExpirationMotPasseCompteTech: shown for the account's own structures */
		char *password_expiry;
		int from_cache;
		int64_t fetched_ms; /* wall clock of the answer */
	} structure;
	/* CHORUS_OP_OWN */
	struct {
		struct chorus_own_structure *v;
		size_t n;
	} own;
	/* CHORUS_OP_ATTACH: pieceJointeId; CHORUS_OP_RECYCLE: statutFacture */
	int64_t attachment_id;
	char *new_status;
	/* CHORUS_OP_SERVICE: the service requires an engagement number (numeroEngagement) */
	int service_engagement_required;
	/* CHORUS_OP_EXPIRY */
	struct {
		char *login; /* the technical account */
		char *date;  /* dateExpirationMotPasseCompteTech, or NULL if not shown */
		time_t at;   /* the same as a time; 0 when unknown */
	} expiry;
};

struct chorus;
/* An operation's handle: valid until its callback is called or chorus_cancel(). */
struct chorus_call;
typedef void chorus_cb(struct chorus_reply *, void *arg);

/*
 * A client for `conf` (which must outlive it); one per process, since it sets up and
 * finally releases http.c (call ev_init() first).
 * Structure answers are cached in `cache_dir` (NULL: no cache) for
 * [chorus] structure_cache_ttl. Registers every secret it derives with log_secret().
 */
struct chorus *chorus_new(const struct conf *, const char *cache_dir, char **why);
/* Cancel every pending operation (no callback) and release the client. Not from
 * inside a callback of this client. */
void chorus_free(struct chorus *);

/* A token, from the cache or from PISTE (reply.token_expires_in_s). */
struct chorus_call *chorus_token(struct chorus *, chorus_cb *, void *);
/* GET health-check with the account of `siret` (NULL: the [chorus] account). */
struct chorus_call *chorus_health(struct chorus *, const char *siret, chorus_cb *, void *);

struct chorus_deposit_req {
	/* chooses the technical account: a SIRET, or the identifier of a supplier without
	 * one, names a [supplier.ID] section; NULL: [chorus] */
	const char *supplier_siret;
	int syntax;         /* SYNTAX_UBL or SYNTAX_CII (conf.h) */
	const char *number; /* invoice number: nomFichier is made from it... */
	const char *unique; /* ...and from this, different for every deposit */
	const void *data;   /* the Chorus XML... */
	size_t len;
	/* ...or its file, streamed to Chorus Pro as the request goes out (never read
	 * whole, nor on the event loop in one go): used when non-NULL */
	const char *path;
	uint64_t size;
};
/* deposer/flux on a new connection that is never reused; nomFichier is
 * chorus_file_name(number, unique). */
struct chorus_call *chorus_deposit(struct chorus *, const struct chorus_deposit_req *, chorus_cb *,
                                   void *);
/* consulterCRDetaille of a deposit. */
struct chorus_call *chorus_report(struct chorus *, const char *siret, const char *flux, chorus_cb *,
                                  void *);

struct chorus_search_req {
	const char *supplier_siret; /* account; results of every structure of the account */
	const char *number;         /* numeroFacture, or NULL */
	const char *flux;           /* numeroFluxDepot, or NULL */
	int per_page;               /* 0: 10, Chorus Pro's default */
	int max_results;            /* 0: every page; else stop once this many are read */
};
/* rechercher/fournisseur, every page (oldest deposit first), duplicates removed. */
struct chorus_call *chorus_search(struct chorus *, const struct chorus_search_req *, chorus_cb *,
                                  void *);
/* Is `inv`, from a search answer, an invoice of `supplier` (the SIRET, or the identifier
 * of a supplier without one, the document was deposited under)? 1 or 0; 1 when the row
 * has no codeFournisseur or `supplier` is NULL (nothing to tell them apart by). */
int chorus_invoice_of(const struct chorus_invoice *inv, const char *supplier);
/* consulter/historique of an invoice (identifiantFactureCPP), every page. */
struct chorus_call *chorus_history(struct chorus *, const char *siret, int64_t invoice_id,
                                   chorus_cb *, void *);
/* A buyer structure by SIRET: rechercher, consulter (mandatory service code /
 * engagement), rechercher/services. From the cache when fresh unless `refresh`. */
struct chorus_call *chorus_structure(struct chorus *, const char *buyer_siret, int refresh,
                                     chorus_cb *, void *);
/*
 * The Structures cache entry of `buyer_siret` in `cache_dir` as chorus_structure()
 * stored it, whatever its age, into p->structure (from_cache and fetched_ms set; p is
 * zeroed by the caller and released with chorus_reply_free()). No network. 1 loaded;
 * 0 no entry (or not a SIRET); -1 unreadable or damaged, *why says which file (caller
 * frees).
 */
int chorus_structure_cached(const char *cache_dir, const char *buyer_siret, struct chorus_reply *p,
                            char **why);
/* consulter/service's last answer for service `service_id` of structure
 * `structure_id`, as chorus_service() stored it in `cache_dir`, whatever its age: 1
 * with *engagement_required; 0 when there is none (or it is unreadable). */
int chorus_service_cached(const char *cache_dir, int64_t structure_id, int64_t service_id,
                          int *engagement_required);
/* 1 when the structure answer `p` is younger than `ttl_ms` at `now_ms` (wall clock,
 * ms); "no such SIRET" is trusted at most an hour whatever the TTL. */
int chorus_structure_fresh(const struct chorus_reply *p, int64_t ttl_ms, int64_t now_ms);
/* The structures the technical account of `siret` may act for (Transverses). */
struct chorus_call *chorus_own_structures(struct chorus *, const char *siret, chorus_cb *, void *);
/* When the password of the technical account of `siret` (NULL: [chorus]) expires, as
 * Chorus Pro shows it with the account's own structures (reply.expiry). The client
 * remembers it: a later 401 of that account past the date says "expired". */
struct chorus_call *chorus_password_expiry(struct chorus *, const char *siret, chorus_cb *, void *);

/* ajouterFichierDansSysteme: upload a file (`name`, its bytes) for completer;
 * reply.attachment_id. An attachment over 10 MB is refused (20003). */
struct chorus_call *chorus_attach(struct chorus *, const char *siret, const char *name,
                                  const void *data, size_t len, chorus_cb *, void *);
/* completerFacture: invoice `invoice_id` (SUSPENDUE or A_COMPLETER) with `comment`
 * (may be NULL) and the attachments uploaded by chorus_attach(): ids[] and names[]. */
struct chorus_call *chorus_complete(struct chorus *, const char *siret, int64_t invoice_id,
                                    const char *comment, const int64_t *ids,
                                    const char *const *names, size_t n, chorus_cb *, void *);
/* recyclerFacture: invoice `invoice_id` (A_RECYCLER) to buyer `buyer` (SIRET) and
 * service `service` (either may be NULL: unchanged / none); reply.new_status. */
struct chorus_call *chorus_recycle(struct chorus *, const char *siret, int64_t invoice_id,
                                   const char *buyer, const char *service, chorus_cb *, void *);

/* consulterServiceStructure: what service `service_id` of structure `structure_id`
 * (their Chorus Pro ids, from chorus_structure()) requires of an invoice:
 * reply.service_engagement_required. A service may require an engagement number
 * when its structure does not. The answer is kept in the cache directory for
 * chorus_service_cached() (never read back by the client). */
struct chorus_call *chorus_service(struct chorus *, int64_t structure_id, int64_t service_id,
                                   chorus_cb *, void *);

/* Forget an operation: its callback is never called. */
void chorus_cancel(struct chorus_call *);
void chorus_reply_free(struct chorus_reply *);

/* Number of token requests sent to PISTE so far (tests, metrics). */
int chorus_token_fetches(const struct chorus *);
/* Login of the technical account used for `siret` (NULL: [chorus]). */
const char *chorus_account_login(const struct chorus *, const char *siret);
/* The distinct technical accounts ([chorus]'s first, then those of [supplier.SIRET]
 * sections with their own login): how many, and account i's login, *siret getting the
 * supplier whose section names it (NULL for [chorus]'s). */
size_t chorus_naccounts(const struct chorus *);
/* When the password of the account used for `siret` expires, as last learnt by
 * chorus_password_expiry() (0: not known). */
time_t chorus_account_expiry(const struct chorus *, const char *siret);
const char *chorus_account_at(const struct chorus *, size_t i, const char **siret);

const char *chorus_class_name(enum chorus_class); /* "ok", "retry", "setup", "document" */
const char *chorus_op_name(enum chorus_op);       /* "deposer/flux"... */

/* ---- the pure parts, exposed for unit tests ---- */

/* What classification needs to know beyond the answer. */
struct chorus_env {
	int production;        /* [chorus] mode */
	const char *host;      /* host of the URL called */
	const char *login;     /* technical account used, or NULL */
	const char *client_id; /* PISTE application */
	int64_t timeout_ms;
	time_t password_expiry; /* of that account, when known (0: unknown) */
};
/*
 * Classify one HTTP exchange of `op` into out (zeroed first; free its strings with
 * chorus_result_clear()). Returns the parsed JSON answer when there is one (caller
 * frees), else NULL. A 401 is classified SETUP: the caller refreshes the token once
 * before it asks.
 */
struct json *chorus_classify(enum chorus_op, const struct http_resp *, const struct chorus_env *,
                             struct chorus_result *out);
void chorus_result_clear(struct chorus_result *);
/* The French label of an invoice status (statut: MISE_A_DISPOSITION -> "Mise à
 * disposition"); NULL when not known. */
const char *chorus_status_label(const char *status);
/* Plain words for a deposit state (etatCourantDepotFlux); NULL when not known. */
const char *chorus_state_words(const char *state);
enum chorus_report_outcome chorus_state_outcome(const char *state);
/* For a report that is not final (pending, blocked, unknown state): what to do when it
 * lasts, one sentence naming deposit `flux`; caller frees; NULL for a final state. */
char *chorus_report_action(const char *state, const char *flux);
/* What to fix for one reason of a deposit report (codeErreur, the text), found in the
 * classification table; caller frees; NULL if not recognised. *kind (if kind is not
 * NULL) gets the table's name for it, or NULL. */
char *chorus_error_advice(const char *code, const char *message, const char *supplier,
                          const char *buyer, const char **kind);
/* How long to wait before reading a deposit report again, `since_deposit_ms` after the
 * deposit: soon at first (5 s, 20 s, 50 s after it), then every `report_poll_ms`. */
uint64_t chorus_report_delay_ms(int64_t since_deposit_ms, int64_t report_poll_ms);

/* nomFichier: the invoice number, "_", `unique`, ".xml", every character outside
 * [A-Za-z0-9._-] made "_", at most CHORUS_FILE_NAME_MAX characters (a long number is
 * cut). `size` at least 32. */
#define CHORUS_FILE_NAME_MAX 100
/* The largest file deposer/flux takes, embedded attachments included (API annex V5.00:
 * 10 MB per file; beyond: codeRetour 20001 GDP_MSG_11.022). */
#define CHORUS_MAX_FILE (10u * 1024 * 1024)
void chorus_file_name(char *out, size_t size, const char *number, const char *unique);

/* The structure part of a reply (CHORUS_OP_STRUCTURE) as members of the JSON object
 * `o`: found and, when found, id, name, status, the three requirements,
 * password_expiry and services (id, code, label, active; code and active only with
 * `brief`). The structure cache stores it; chorusdrv prints it. */
void chorus_structure_json(const struct chorus_reply *, int brief, struct json *o);

#endif
