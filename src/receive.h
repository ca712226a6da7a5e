/*
 * receive.h - receiving invoices through the Plateforme Agréée: poll POST
 * /v1/flows/search for the invoices addressed to the client's companies (flowDirection
 * In, flowType SupplierInvoice) from a durable position (feed.h), download each flow
 * not fetched yet (docType Original, and ReadableView / Converted when [incoming] asks),
 * judge the file without trusting it, and deliver it into incoming/ with its receipt or
 * into quarantine/ with the reason (incoming.h). The position moves only after the files
 * and receipts of a page are durable.
 *
 * One event loop (ev.c): a timer, and pa.c's calls. Errors: a failed poll is logged and
 * tried again at the next one (nothing is lost: the position did not move); receive_new()
 * returns NULL with *why.
 */
#ifndef CHORUSGW_RECEIVE_H
#define CHORUSGW_RECEIVE_H

#include <stdint.h>
#include <sys/types.h>

struct conf;

struct receive_opts {
	int once;          /* read to the end once, then stop (receive_done()) */
	int64_t resync_ms; /* 0: from the durable position; else from now minus this, the
	                      position untouched (reconcile) */
};

struct receive_stats {
	uint64_t seen;        /* flows the searches showed */
	uint64_t fetched;     /* delivered into incoming/ */
	uint64_t quarantined; /* delivered into quarantine/ */
	uint64_t known;       /* already fetched before (de-duplicated by flow id) */
	uint64_t failures;    /* searches or downloads that failed (tried again) */
};

struct pa;
struct receive;
struct spool;

/* The receiver for `c` on the spool `sp`, over the PA client `pa` (all three must
 * outlive it; NULL: a client of its own), visible files of
 * [spool] file_mode; it joins http.c (ev_init() first) and starts polling at once. One
 * pass at a time per spool (lock/incoming): another process's pass is waited for. */
struct receive *receive_new(const struct conf *c, struct spool *sp, struct pa *pa,
                            const struct receive_opts *, char **why);
/* Cancel what is in flight (nothing half-written counts: it is fetched again). */
void receive_free(struct receive *);
/* With opts.once: 1 when the pass ended; *failed set when it could not read to the end
 * (the reason was logged). */
int receive_done(const struct receive *, int *failed);
void receive_get_stats(const struct receive *, struct receive_stats *);

#endif
