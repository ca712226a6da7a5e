/*
 * pa.h - the client of a Plateforme Agréée (PA): its OAuth2 token, the AFNOR XP Z12-013
 * Flow Service (send a flow, search flows page by page, download a flow's metadata or
 * file, healthcheck) and Directory Service (SIREN, SIRET, routing code, directory
 * lines), and the classification of every failure, in the shape of chorus.h.
 *
 * Every operation is asynchronous: it returns a handle at once and later calls the
 * callback, always from the event loop, with a struct pa_reply that the callback owns
 * (pa_reply_free()). Every reply says, in r.cls, what the caller should do:
 *
 *   PA_OK        the answer is in the reply (a Directory look-up that found nothing
 *                is PA_OK with found == 0)
 *   PA_RETRY     the PA or the network failed; try again later (honour
 *                r.retry_after_ms). For a send with r.unknown_outcome set, the PA may
 *                have the flow: search it by trackingId before sending again.
 *   PA_SETUP     the set-up is wrong (credentials, scope, Organization-Id, URLs, CA);
 *                r.setup says what to check.
 *   PA_DOCUMENT  the PA refused this request for what it carries (a malformed or
 *                oversized flow, an unknown flow id, a refused cursor).
 *
 * The operations are general (any flow, any direction), not only what the gateway
 * sends: receiving (issue #15) reads and sends through the same calls.
 */
#ifndef CHORUSGW_PA_H
#define CHORUSGW_PA_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "util.h"

struct conf;
struct json;

enum pa_class { PA_OK = 0, PA_RETRY, PA_SETUP, PA_DOCUMENT };

enum pa_op {
	PA_OP_TOKEN = 0,  /* the OAuth2 token */
	PA_OP_HEALTH,     /* GET Flow Service /v1/healthcheck */
	PA_OP_DIR_HEALTH, /* GET Directory Service /v1/healthcheck (scope health.read) */
	PA_OP_SEND,       /* POST /v1/flows */
	PA_OP_SEARCH,     /* POST /v1/flows/search */
	PA_OP_GET,        /* GET /v1/flows/{flowId}?docType= */
	PA_OP_SIREN,      /* GET /v1/siren/code-insee:{siren} */
	PA_OP_SIRET,      /* GET /v1/siret/code-insee:{siret} */
	PA_OP_ROUTING,    /* GET /v1/routing-code/siret:{siret}/code:{id} */
	PA_OP_LINE,       /* GET /v1/directory-line/code:{addressingIdentifier} */
	PA_OP_LINES,      /* POST /v1/directory-line/search by SIREN */
};

/* What every reply carries. Strings are owned by the reply. */
struct pa_result {
	enum pa_class cls;
	int unknown_outcome; /* send: the PA may have recorded the flow */
	long http_status;    /* 0: no HTTP answer */
	char *error_code;    /* the Error schema's errorCode, or NULL */
	char *error_message; /* its errorMessage, or NULL */
	char *reason;        /* one line in plain words; NULL when cls == PA_OK */
	char *setup;         /* which set-up step to check, or NULL */
	int64_t retry_after_ms;
	char *raw; /* the answer body, secrets removed, at most PA_RAW_MAX bytes */
	uint64_t elapsed_ms;
};
#define PA_RAW_MAX 2048

/* One AcknowledgementDetail. */
struct pa_ack_detail {
	char *level, *item, *code, *message;
};

/* A flow as the Flow Service describes it (Flow, or FullFlowInfo after a send). */
struct pa_flow {
	char *id, *tracking_id, *name, *syntax, *profile, *rule, *type, *direction;
	char *submitted, *updated; /* RFC 3339 date-times */
	char *ack;                 /* acknowledgement.status: Pending, Ok, Error; NULL if none */
	char *sha256;
	struct pa_ack_detail *details;
	size_t ndetails;
};

struct pa_company { /* legalUnitPayloadHistory */
	int found;
	char *siren, *name, *entity_type, *status; /* entityType Public | PrivateVatRegistered */
};

struct pa_facility { /* facilityPayloadHistory */
	int found;
	char *siret, *siren, *name, *type, *status;
	int b2g; /* b2gAdditionalData present (a public facility) */
	int manages_legal_commitment, manages_legal_commitment_or_service, service_code;
};

struct pa_routing { /* routingCodePayloadHistoryLegalUnitFacility */
	int found;
	char *siret, *id, *type, *name, *status;
	int manages_legal_commitment;
};

struct pa_line {        /* a directory line */
	char *address;  /* addressingIdentifier: the electronic address (scheme 0225) */
	char *platform; /* WK (a PA) or DFH (the PPF) */
	char *status;   /* Enabled, Disabled, Upcoming */
	char *siren, *siret, *routing, *suffix;
};

struct pa_reply {
	enum pa_op op;
	struct pa_result r;

	int64_t token_expires_in_s; /* TOKEN */
	struct pa_flow flow;        /* SEND (FullFlowInfo), GET Metadata */
	struct {                    /* SEARCH */
		struct pa_flow *v;  /* every page read, each flow id once */
		size_t n;
		char *next_cursor; /* where the next page starts; NULL: read to the end */
		int pages;
	} search;
	struct { /* GET of a file (docType Original, Converted, ReadableView) */
		struct buf data;
		char *name; /* Content-Disposition's, as sent */
		char *content_type;
	} file;
	struct pa_company company;   /* SIREN */
	struct pa_facility facility; /* SIRET */
	struct pa_routing routing;   /* ROUTING */
	struct {                     /* LINE (one when found), LINES */
		struct pa_line *v;
		size_t n;
	} lines;
	int from_cache;     /* a Directory answer read from the cache */
	int64_t fetched_ms; /* wall clock of a Directory answer */
};

struct pa;
/* An operation's handle: valid until its callback is called or pa_cancel(). */
struct pa_call;
typedef void pa_cb(struct pa_reply *, void *arg);

/*
 * A client for the [pa] section of `conf` (which must outlive it). It joins http.c
 * (ev_init() first). Directory answers are cached in `cache_dir` (NULL: no cache) for
 * [pa] directory_cache_ttl. Registers its secrets with log_secret(). NULL with *why.
 */
struct pa *pa_new(const struct conf *, const char *cache_dir, char **why);
/* Cancel every pending operation (no callback) and release the client. */
void pa_free(struct pa *);
/* Call obs(arg, op, result) at the end of every operation (metrics), before its own
 * callback; NULL: none. */
typedef void pa_observer(void *arg, enum pa_op op, const struct pa_result *r);
void pa_observe(struct pa *, pa_observer *obs, void *arg);
/* An operation's short name for metrics: token, health, send, search, download,
 * directory. */
const char *pa_op_metric(enum pa_op);

struct pa_call *pa_token(struct pa *, pa_cb *, void *);
/* GET /v1/healthcheck of the Flow Service, or of the Directory with `directory`. */
struct pa_call *pa_health(struct pa *, int directory, pa_cb *, void *);

struct pa_send_req {
	const char *name;        /* flowInfo.name: the file's name */
	const char *syntax;      /* flowInfo.flowSyntax: UBL, CII, Factur-X, CDAR */
	const char *profile;     /* flowInfo.flowProfile, or NULL */
	const char *rule;        /* flowInfo.processingRule (B2B, B2G...), or NULL */
	const char *tracking_id; /* flowInfo.trackingId, or NULL */
	const void *data;        /* the file... */
	size_t len;
	/* ...or read from here as the request goes out (never whole on the loop), with its
	 * SHA-256 in hex (flowInfo.sha256): used when non-NULL */
	const char *path;
	uint64_t size;
	const char *sha256;
};
/* POST /v1/flows (multipart flowInfo + file, with its sha256) on a new connection that
 * is never reused. */
struct pa_call *pa_send(struct pa *, const struct pa_send_req *, pa_cb *, void *);

struct pa_search_req {
	const char *tracking_id;   /* where.trackingId, or NULL */
	const char *updated_after; /* where.updatedAfter (RFC 3339), or NULL */
	const char *direction;     /* where.flowDirection: In or Out, or NULL */
	const char *flow_type;     /* where.flowType (one), or NULL */
	const char *cursor;        /* start from this cursor, or NULL */
	int limit;                 /* 0: 100, the most the spec allows */
	int max_pages;             /* 0: every page; else stop after this many */
};
/* POST /v1/flows/search: the pages in order (nextCursor after nextCursor), each flow id
 * kept once (a flow updated while we page shows again). A refused cursor is
 * PA_DOCUMENT with r.error_code INVALID_CURSOR... as the PA words it. */
struct pa_call *pa_search(struct pa *, const struct pa_search_req *, pa_cb *, void *);
/* GET /v1/flows/{flowId}: docType "Metadata" (reply.flow) or Original, Converted,
 * ReadableView (reply.file). */
struct pa_call *pa_get(struct pa *, const char *flow_id, const char *doc_type, pa_cb *, void *);

/* The Directory, from the cache when fresh unless `refresh`: */
struct pa_call *pa_siren(struct pa *, const char *siren, int refresh, pa_cb *, void *);
struct pa_call *pa_siret(struct pa *, const char *siret, int refresh, pa_cb *, void *);
struct pa_call *pa_routing_code(struct pa *, const char *siret, const char *code, int refresh,
                                pa_cb *, void *);
struct pa_call *pa_directory_line(struct pa *, const char *address, int refresh, pa_cb *, void *);
/* Every directory line of a SIREN (POST /v1/directory-line/search). */
struct pa_call *pa_directory_lines(struct pa *, const char *siren, int refresh, pa_cb *, void *);

void pa_cancel(struct pa_call *);
void pa_reply_free(struct pa_reply *);

/* Number of token requests sent so far (tests, metrics). */
int pa_token_fetches(const struct pa *);
const char *pa_class_name(enum pa_class); /* "ok", "retry", "setup", "document" */
const char *pa_op_name(enum pa_op);       /* "POST /v1/flows"... */

/* ---- the pure parts, exposed for unit tests ---- */

/* What classification needs to know beyond the answer. */
struct pa_env {
	const char *host; /* host of the URL called */
	const char *client_id;
	int has_org; /* an Organization-Id was sent */
	int64_t timeout_ms;
};
/* Classify one HTTP exchange of `op` into out (zeroed first; free with
 * pa_result_clear()). Returns the parsed JSON answer when there is one (caller frees),
 * else NULL. A 401 is classified SETUP: the caller refreshes the token once first. */
struct json *pa_classify(enum pa_op, const struct http_resp *, const struct pa_env *,
                         struct pa_result *out);
void pa_result_clear(struct pa_result *);

/* The directory line that addresses a buyer, among the lines of its SIREN: the most
 * specific mesh there is: the line of its SIRET and routing code when both are given,
 * else the line of its SIRET, else the SIREN's own line (no SIRET, routing code nor
 * suffix). NULL when none. */
const struct pa_line *pa_best_line(const struct pa_line *v, size_t n, const char *siret,
                                   const char *routing);
/* 1 when the line receives invoices now (Enabled). */
int pa_line_receives(const struct pa_line *);

/* The words of XP Z12-012 and XP Z12-013, NULL when unknown: */
const char *pa_reason_words(const char *code); /* status reason (BR-FR-CDV-CL-09) */
const char *pa_ack_words(const char *code);    /* acknowledgement reasonCode */

#endif
