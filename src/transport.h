/*
 * transport.h - a route's transport: what the gateway asks of the platform a document
 * goes to (Chorus Pro direct, or a Plateforme Agréée), and the one vocabulary every
 * platform's answers are given back in (DESIGN §11).
 *
 * The gateway's steps (claim, pre-flight, admit, send, settle, follow, finish) call
 * whichever transport the document's route names; what each platform calls things
 * (numeroFluxDepot, consulterCRDetaille, identifiantFactureCPP, flowId, CDAR...) stays
 * in its implementation: transport-chorus.c over chorus.c, transport-pa.c over pa.c.
 *
 * Every operation is asynchronous: it returns a handle at once and later calls the
 * callback, always from the event loop, with a struct tp_reply the callback owns
 * (tp_reply_free()). An operation on a document receives the gateway's `struct doc`,
 * which must outlive the call (tp_cancel() it first): the transport records the
 * route's own identifiers in it (numero_flux_depot, chorus_invoice_id, the PA's flow
 * id...) and the reply says what happened in common words. r.cls is:
 *
 *   TP_OK        the operation answered; the rest of the reply says what it found
 *   TP_RETRY     the platform or the network failed; try again later (honour
 *                r.retry_after_ms). After a send with r.unknown_outcome set, the
 *                platform may have the document: tp_find() before sending again.
 *   TP_SETUP     the set-up is wrong (credentials, subscriptions, CA...); r.setup says
 *                what to check. Nothing this route sends can pass until it is fixed.
 *   TP_DOCUMENT  the platform refused the request for what it carries: the document
 *                goes to rejected/ with the reply's reasons.
 *
 * Errors: tp_new_*() return NULL with *why; operations always end in their callback
 * (unless cancelled).
 */
#ifndef CHORUSGW_TRANSPORT_H
#define CHORUSGW_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buyer_req;
struct conf;
struct pa;
struct doc;
struct invoice;

enum tp_class { TP_OK = 0, TP_RETRY, TP_SETUP, TP_DOCUMENT };

/* The outcome of one exchange with the platform. Strings are owned by the reply. */
struct tp_result {
	enum tp_class cls;
	int unknown_outcome;    /* send: the platform may have received it */
	long http_status;       /* 0: no HTTP answer */
	char *reason;           /* one line in plain words; NULL when cls == TP_OK */
	char *setup;            /* which set-up step to check (SETUP, some RETRY), or NULL */
	char *advice;           /* what to do about it if it lasts, or NULL */
	int account_only;       /* SETUP: only the account used is at fault (its password...):
	                         * the platform's other accounts go on */
	int64_t retry_after_ms; /* from Retry-After; -1 when absent */
	uint64_t elapsed_ms;    /* the whole operation */
};

/* What following a sent document found, or what a status event does to it. */
enum tp_outcome {
	TP_PENDING = 0, /* not settled yet: follow again after poll_ms (an event: it goes on) */
	TP_TAKEN,       /* the platform took it; its statuses come as events (tp_events) */
	TP_ACCEPTED,    /* the platform accepted it: accepted/ */
	TP_REJECTED,    /* the platform refused it: rejected/ with the reasons */
};

/* A status the platform gave a sent document, in words common to every route. */
struct tp_event {
	char *ref_key, *ref_number; /* what the platform names the document by (the PA: the
	                               seller's SIREN and the invoice number; tp_ref()) */
	char *id;                   /* the event's own id on the platform (the PA: the CDAR
	                               flow), so that it is applied once */
	char *code, *label;         /* "205", "Approuvée" */
	char *by;                   /* who gave it, in words ("the buyer"), or NULL */
	time_t when;
	char *reason;            /* the reason given, in plain words with its code; or NULL */
	enum tp_outcome outcome; /* TP_PENDING (it goes on), TP_ACCEPTED, TP_REJECTED */
	int reusable;            /* TP_REJECTED before the invoice was deposited: its number
	                            may be sent again */
	char *action;            /* what the supplier must do about it, or NULL */
	char *note; /* non-NULL: only a history line saying this (the ERP's own status on its
	               way, respond.c); the status fields and the state are left alone */
};
void tp_event_clear(struct tp_event *);

struct tp_reply {
	struct tp_result r;
	const char *op; /* the platform operation, for metrics: "deposit", "search"... */
	/* send and find: the platform's id of the send (numeroFluxDepot, flow id), for
	 * messages; follow TP_ACCEPTED: the accepted invoice's id, or NULL */
	char *id;
	char *note;      /* a note for the history line of the state change, or NULL */
	char *detail;    /* find: what was found or not, one sentence for the log */
	int found;       /* find: an earlier send is on the platform; its ids are in the doc */
	int changed;     /* follow: the doc's route fields changed (worth saving) */
	int64_t poll_ms; /* follow TP_PENDING: when to ask again (0: at once); send TP_OK:
	                  * when to follow it first */
	/* follow TP_PENDING: what to do should it stay so (the gateway says it once the
	 * document has waited [gateway] give_up), or NULL */
	char *action;
	enum tp_outcome outcome; /* follow */
	time_t expires;          /* account_expiry */
	char **reasons;          /* plain-words lines for the receipt (see each op; follow
	                          * TP_PENDING: why it still waits, if worth saying) */
	size_t nreasons;
	struct buyer_req *buyer; /* check_buyer TP_OK: what the buyer requires (check.h) */
	int found_buyer;         /* buyer: the platform knows it */
	char *entity;            /* buyer: its kind as the platform says it */
	struct tp_event *events; /* events */
	size_t nevents;
	int more; /* events: another page is waiting */
};

typedef void tp_cb(struct tp_reply *, void *arg);
struct transport;
/* An operation's handle: valid until its callback is called or tp_cancel(). */
struct tp_call;

/*
 * The Chorus Pro transport for `c` (which must outlive it); it joins http.c (call
 * ev_init() first). Structure answers are cached in `cache_dir` (NULL: none). NULL
 * with *why.
 */
struct transport *tp_new_chorus(const struct conf *c, const char *cache_dir, char **why);
/*
 * The transport of the Plateforme Agréée of [pa], over the client `pa` (shared, the
 * caller's; NULL: its own, its Directory answers cached in `cache_dir`); the position of
 * its status feed kept in the file `state` (NULL: in memory only), written through
 * `tmp_dir`. NULL with *why.
 */
struct transport *tp_new_pa(const struct conf *c, struct pa *pa, const char *cache_dir,
                            const char *state, const char *tmp_dir, char **why);
/* Cancel every pending operation (no callback) and release the transport. */
void tp_free(struct transport *);

/* The platform's name in messages ("Chorus Pro"), and in metric names ("chorus"). */
const char *tp_label(const struct transport *);
const char *tp_metric(const struct transport *);

/*
 * The buyer check before a document is admitted (for Chorus Pro, [chorus]
 * check_structures: the Structures API). NULL when this route checks nothing now.
 * TP_OK: reply->buyer says what the buyer requires, for check.c's preflight_buyer()
 * to judge the invoice against; any other class: the check could not be made (the
 * platform checks the buyer itself).
 */
struct tp_call *tp_check_buyer(struct transport *, struct doc *, const struct invoice *, tp_cb *,
                               void *);
/*
 * What the buyer `siret` requires as the Chorus Pro buyer check last saw it: the
 * Structures cache entry in `cache_dir`, whatever its age, read with no network (for
 * `chorusgw validate`). 1 with *out (caller frees: buyer_req_free()), *fetched_ms
 * (wall clock of the answer) and *fresh (1 when the gateway would still use it under
 * [chorus] structure_cache_ttl of `c`); 0 when there is no entry; -1 with *why (caller
 * frees) when it is unreadable or damaged.
 */
int tp_chorus_cached_buyer(const struct conf *c, const char *cache_dir, const char *siret,
                           struct buyer_req **out, int64_t *fetched_ms, int *fresh, char **why);
/*
 * Can the platform take a document of `len` bytes whose model is `inv` (may be NULL)?
 * 0, or -1 with *why (caller frees): one sentence saying what to make smaller.
 */
int tp_fits(struct transport *, size_t len, const struct invoice *inv, char **why);
/*
 * Send the document (its generated XML, the file at `path` of `size` bytes whose SHA-256
 * is the doc's payload_sha256): read while it goes out, never whole on the loop. The
 * caller made the intent durable.
 * TP_OK: the ids are in the doc, reply->id names the send. TP_DOCUMENT: the reasons say
 * why, in the platform's words too.
 */
struct tp_call *tp_send(struct transport *, struct doc *, const char *path, uint64_t size, tp_cb *,
                        void *);
/*
 * Look for an earlier send of this document on the platform (after an unknown outcome,
 * or when a re-send was refused). With `other`, only a send other than the one the doc
 * names now counts. TP_OK: reply->found, and when found the doc carries that send's ids
 * (reply->id, reply->note for the history).
 */
struct tp_call *tp_find(struct transport *, struct doc *, int other, tp_cb *, void *);
/*
 * Follow a sent document: reply->outcome. TP_ACCEPTED: the doc carries the platform's
 * ids and status, the reasons say what is still missing (if anything). TP_REJECTED: the
 * reasons say why and what to fix.
 */
struct tp_call *tp_follow(struct transport *, struct doc *, tp_cb *, void *);
/*
 * While sends are paused by a set-up error: ask the platform the cheapest question of
 * the API that failed (`follow`: the one following sends), with the account of
 * `siret` (NULL: the default one). TP_OK or TP_DOCUMENT: the set-up works again.
 */
struct tp_call *tp_probe(struct transport *, const char *siret, int follow, tp_cb *, void *);

/*
 * The account the route sends supplier `siret`'s documents with (for Chorus Pro, the
 * technical account's login), or NULL when the route has one for all: a set-up error of
 * an account's own (r.account_only) pauses that account's sends only.
 */
const char *tp_account(struct transport *, const char *siret);
/* The route's accounts whose passwords expire: how many, and account i's name. */
size_t tp_naccounts(struct transport *);
const char *tp_account_name(struct transport *, size_t i);
/* When account i's password expires: reply->expires (0: not known; also on a failure,
 * what was learnt before, since an expired account cannot ask), reply->note the day as
 * the platform wrote it, reply->id the supplier SIRET whose sends use it (NULL: the
 * default account). */
struct tp_call *tp_account_expiry(struct transport *, size_t i, tp_cb *, void *);

/*
 * Who the buyer of `inv` is for the platform: NULL when this route cannot tell (Chorus
 * Pro). TP_OK: reply->found_buyer and reply->entity (the PA: the Directory's entityType
 * of the buyer's SIREN, which route_by_buyer() reads); any other class: it could not
 * be asked.
 */
struct tp_call *tp_buyer(struct transport *, struct doc *, const struct invoice *, tp_cb *, void *);
/*
 * The next status events of sent documents: one page of the platform's feed (the PA:
 * its lifecycle flows, each downloaded and read). NULL when the route has no feed
 * (Chorus Pro: each document is followed by itself). TP_OK: reply->events, and
 * reply->more when another page waits.
 */
struct tp_call *tp_events(struct transport *, tp_cb *, void *);
/* The events of the last tp_events() reply are durable: move the feed's position past
 * them (the PA: written in its state file). 0 / -1 with *why. */
int tp_events_done(struct transport *, char **why);
/* 1 when the platform took `d` and its statuses come as events: nothing is left to do
 * for it but to apply them (a document on disk in that state is not loaded). */
int tp_taken(const struct transport *, const struct doc *);
/* The reference the platform's events name `d` by (tp_event's ref_key, ref_number), or
 * 0 when this route has no events. */
int tp_ref(const struct transport *, const struct doc *, const char **key, const char **number);

/* Forget an operation: its callback is never called. */
void tp_cancel(struct tp_call *);
void tp_reply_free(struct tp_reply *);

const char *tp_class_name(enum tp_class); /* "ok", "retry", "setup", "document" */

#endif
