/*
 * feed.h - a durable position in a Plateforme Agréée's flow search (POST /v1/flows/search),
 * so that a poller reads every flow of a kind without a gap, as XP Z12-013 tells a client
 * without a web server to: each search asks for the flows updated after the newest one
 * read minus a safety window (a flow becomes visible a little after its updatedAt), pages
 * with the cursor, and the position moves only after the caller made what it read
 * durable (feed_commit()). A flow shows again while it is inside the window, or when its
 * updatedAt moves: the feed remembers the flows read within the window (feed_seen()), and
 * a caller with its own durable record (the incoming area's index) may use that instead.
 *
 * Shared by every poller of the PA: the incoming invoices (receive.c), reconcile's
 * resynchronisation and the lifecycle statuses of sent invoices (transport-pa.c).
 *
 * Ownership: a struct feed is released with feed_free(); strings it hands out are
 * borrowed until the next call on it. Errors: 0 / -1 with *why (HACKING.md).
 */
#ifndef CHORUSGW_FEED_H
#define CHORUSGW_FEED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pa_search_req;
struct pa_reply;
struct pa_result;

struct feed;

/*
 * The position kept in the file `state` (written through `tmp_dir`, on its filesystem);
 * NULL: in memory only. Before anything is read the position is `start`: the first
 * search asks for the flows updated a window before it, and the first commit keeps it
 * (a restart goes on from there, not from a new start). A missing state file is a first
 * run; an unreadable one is an error (*why): reading from `start` again could be a very
 * long read, the operator decides (delete the file).
 */
struct feed *feed_open(const char *state, const char *tmp_dir, int64_t window_ms, time_t start,
                       char **why);
/* The same as a first run, whatever `state` holds: its first commit replaces it. */
struct feed *feed_new(const char *state, const char *tmp_dir, int64_t window_ms, time_t start);
void feed_free(struct feed *);

/* Fill q->updated_after and q->cursor for the next page (borrowed from the feed). */
void feed_query(struct feed *, struct pa_search_req *q);
/* The page the last query asked for is read (not durable yet): the position goes past it. */
void feed_page(struct feed *, const struct pa_reply *page);
/* Only its first `n` flows are read: the same page is asked again (feed_more() says 1),
 * the flows read showing as feed_seen(). */
void feed_part(struct feed *, const struct pa_reply *page, size_t n);
/* 1 when the flow `id` with this updatedAt was read (committed or not) and shows again
 * only because of the window or a page read in part. */
int feed_seen(const struct feed *, const char *id, const char *updated);
/* The last query failed with `r`: 1 when the PA refused its cursor (expired, another
 * version...); the cursor is then dropped and the next query reads again from the
 * window, the flows read showing as feed_seen(). 0 for any other failure. */
int feed_refused(struct feed *, const struct pa_result *r);
/* 1 when the last page read (committed or not) said another page waits, or was read in
 * part. */
int feed_more(const struct feed *);
/* The flows of the pages read are durable: the position after them is saved (not
 * written again when it did not move). 0 / -1. */
int feed_commit(struct feed *, char **why);
/* The newest updatedAt committed (RFC 3339): before any flow, `start`. */
const char *feed_high(const struct feed *);

#endif
