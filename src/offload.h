/*
 * offload.h - the pre-flight of a document (check_document()) in a worker process
 * (worker.c), so that a big export never holds up the event loop; and the memory a
 * document may take, estimated from its size before it is read.
 */
#ifndef CHORUSGW_OFFLOAD_H
#define CHORUSGW_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct conf;
struct preflight;
struct offload;
struct worker_job;

/* What the transform and pre-flight of a file of `size` bytes take at their peak,
 * measured by bench/run (section 5): about 54 times the file (17 KB per line of a
 * bench/gen-erp export), plus the compiled stylesheets and schemas. */
uint64_t offload_memory_estimate(uint64_t size);

#define OFFLOAD_DIED       (-2) /* offload_done_fn's r: the worker died on the document */
#define OFFLOAD_UNREADABLE (-3) /* ...: the file could not be read (`why` says why) */

/*
 * Called on the loop with the pre-flight's outcome as check_document() gives it:
 * `r` 0/-1, *pf (the callee releases it with preflight_free() after the call) and
 * `why` (NULL on success; the caller's to read, not to free). In *pf the model
 * (pf->inv) holds only what the gateway reads after the pre-flight, what the routes'
 * buyer checks and preflight_buyer() judge: the invoice number, the supplier's and
 * buyer's SIRETs, legal ids and electronic addresses, the billing mode (BT-23), the
 * service code and the engagement number, each with its qualifier, element path and
 * line; the accounts' IBANs; the attachments' ids, file names and embedded sizes
 * (tp_fits()). Of pf->x: the route it was made for, the export's route and billing
 * mode, the document made (not its bytes: pf->x.xml is NULL, pf->x.len its size, the
 * document written to the stage given to offload_check()), its syntax and
 * description, iban_source. When
 * the worker died on the document (or its reply cannot be read), r is OFFLOAD_DIED,
 * pf->verdict PF_SETUP and `why` says how; when no worker could be started, r is -1,
 * pf->verdict PF_SETUP; when the worker could not read the file, r is
 * OFFLOAD_UNREADABLE, `why` says why and *pf holds nothing.
 */
typedef void offload_done_fn(int r, struct preflight *pf, const char *why, void *arg);

/* `n` workers running check_document() with the configuration `c` (kept, not
 * copied: it must live until offload_renew() or offload_free()). */
struct offload *offload_new(const struct conf *c, unsigned n);

/* Where the worker writes the document it made, durably (write_file_atomic(): its
 * temporary file in `tmpdir`, on the same filesystem), so that the loop neither copies
 * nor writes a big one: it only adopts the file (spool_move_staged()). */
struct offload_stage {
	const char *path, *tmpdir;
	mode_t mode;
};

/* The pre-flight of the file at `path` (read by the worker: at most `max` bytes, not
 * through a symbolic link) called `name`, for `route` (rules.h ROUTE_*) at `now`; the
 * document made written to `stage` (a failure to write it is a PF_SETUP failure that
 * says why: r -1, nothing judged). */
struct worker_job *offload_check(struct offload *, const char *path, size_t max, const char *name,
                                 unsigned route, time_t now, const struct offload_stage *stage,
                                 offload_done_fn *cb, void *arg);
void offload_cancel(struct offload *, struct worker_job *);

/* A new configuration: the workers forked from now on use it. */
void offload_renew(struct offload *, const struct conf *c);

void offload_free(struct offload *);

/* The encoding of a pre-flight between a worker and the daemon (exposed for tests):
 * append *pf, r and why to `out` (the document's bytes when pf->x.xml holds them, else
 * only pf->x.len); decode `len` bytes into *pf (freed with
 * preflight_free()), r and *why (caller frees). Decoding returns -1 on bytes that are
 * not such a reply. */
struct buf;
void offload_encode(int r, const struct preflight *pf, const char *why, struct buf *out);
int offload_decode(const void *data, size_t len, int *r, struct preflight *pf, char **why);

#endif
