/*
 * worker.h - a small pool of worker processes for the work that must not hold up the
 * event loop (the transform and pre-flight of a document: seconds and hundreds of MB
 * for a big export). Requests and replies are opaque bytes; the pool's function runs
 * in a worker, the callback on the loop.
 */
#ifndef CHORUSGW_WORKER_H
#define CHORUSGW_WORKER_H

#include <stddef.h>

#include "util.h"

struct workers;
struct worker_job;

/* Runs in a worker: handle `len` bytes of request, append the reply to `out`. */
typedef void worker_fn(const void *req, size_t len, struct buf *out, void *ctx);

/* Called on the loop with the reply (`reply`, `len`), or with reply NULL and `err`
 * when the request could not be served: `died` 1 when its worker died serving it (how,
 * in `err`: the request may be the cause), 0 when no worker could be started. The job
 * handle is invalid once the callback runs. */
typedef void worker_done_fn(const void *reply, size_t len, int died, const char *err, void *arg);

/*
 * A pool of at most `n` workers (n >= 1), forked on demand from the calling process,
 * so a worker holds what the process held when it was forked (configuration, compiled
 * stylesheets). Each runs `fn(req, len, out, ctx)` for one request at a time; requests
 * beyond `n` wait in order. A worker that dies fails its request and is replaced at the
 * next one. Workers ignore SIGTERM, SIGINT and SIGHUP (`systemctl stop` signals every
 * process of the service; the daemon decides when they end) and die with the daemon.
 * Needs ev_init(). Free with workers_free().
 */
struct workers *workers_new(unsigned n, worker_fn *fn, void *ctx);

/* Called with a job's `arg` instead of its callback when the callback will never run
 * (workers_cancel(), workers_free()), so the caller can release it. Optional. */
void workers_on_drop(struct workers *, void (*drop)(void *arg));

/* Queue a request (the bytes are copied). The callback runs later, never from here. */
struct worker_job *workers_submit(struct workers *, const void *req, size_t len, worker_done_fn *cb,
                                  void *arg);

/* Forget a job: its callback will not run (a worker busy with it finishes, unheard). */
void workers_cancel(struct workers *, struct worker_job *);

/* Workers forked from now on hold the process as it is now (after a reload): idle
 * workers end at once, busy ones after their request. */
void workers_renew(struct workers *);

/* Requests queued or being served. */
unsigned workers_pending(const struct workers *);

/* End every worker (SIGKILL) and free the pool; pending callbacks never run. */
void workers_free(struct workers *);

#endif
