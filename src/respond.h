/*
 * respond.h - the ERP's answers to the invoices it received: a status file
 * (chorusgw-status(5)) dropped next to an invoice's receipt in incoming/ becomes a CDAR
 * lifecycle message (status.c), checked (the file's own rules, BR-FR-CDV in C, the CDAR
 * D22B XSD) and sent to the PA (POST /v1/flows, flowSyntax CDAR), once: the intent is
 * durable before the send (its trackingId is made of the invoice's flow id and the
 * file's bytes), an unknown outcome is settled by a search on that trackingId, and the
 * PA's acknowledgement ends in the invoice's receipt. A status file refused goes to
 * incoming/rejected/ with the reasons in words beside it; one already sent is not sent
 * again.
 *
 *   incoming/FLOW.status                   dropped by the ERP (renamed in)
 *   incoming/sent/FLOW.CODE.status         taken and sent (see the receipt)
 *   incoming/rejected/FLOW.status          refused, FLOW.status.reason says why
 *   .chorusgw/incoming/out/TRACK.job, .xml a status being sent; done/ once answered
 *
 * The seller's status files (212 Encaissée) on an invoice sent through the PA, the same
 * way: DIR/FILE.status next to DIR/FILE.receipt (DIR outbox/ or accepted/), taken to
 * DIR/sent/, refused to DIR/rejected/; the outcome as status events of the document
 * (follow.h), in its receipt's history.
 *
 * One process per spool takes the status files and works the jobs (it holds
 * lock/statuses while it runs); another one leaves them alone (once: does nothing).
 *
 * One event loop (ev.c). Errors: a failure of the PA is retried; a failure of the disk
 * is logged and retried at the next scan; respond_new() returns NULL with *why.
 */
#ifndef CHORUSGW_RESPOND_H
#define CHORUSGW_RESPOND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct conf;
struct pa;
struct respond;
struct spool;

/* Whose status files: */
#define RESPOND_BUYER  0x1 /* incoming/ (invoices received, [incoming] enabled) */
#define RESPOND_SELLER 0x2 /* outbox/ and accepted/ (invoices sent through the PA) */

/* The responder for `c` on the spool `sp`, over the PA client `pa` (all three must
 * outlive it; NULL: a client of its own); scans every [spool]
 * rescan (once: until nothing waits). `stored(arg)` (may be NULL) is called when status
 * events were stored for documents of the spool (follow.h): the caller applies them.
 * NULL with *why. */
struct respond *respond_new(const struct conf *c, struct spool *sp, struct pa *pa, unsigned sides,
                            int once, void (*stored)(void *), void *arg, char **why);
void respond_free(struct respond *);
/* once: 1 when nothing is left to do (every status sent and answered, or waiting for a
 * PA that fails: *failed). */
int respond_done(const struct respond *, int *failed);
/* What a responder did since it started. */
struct respond_stats {
	uint64_t taken;        /* status files turned into messages to send */
	uint64_t refused;      /* status files refused locally (rejected/) */
	uint64_t acknowledged; /* messages the platform acknowledged (Ok) */
	uint64_t rejected;     /* messages the platform refused (Error) */
};
void respond_get_stats(const struct respond *, struct respond_stats *);
/* The status files of the spool at `root` not taken yet (incoming/, outbox/, accepted/). */
size_t respond_files_waiting(const char *root);
/* The statuses of the spool at `root` sent and not acknowledged yet: one line each
 * appended to `report` (may be NULL); their number. */
size_t respond_waiting(const char *root, struct buf *report);

#endif
