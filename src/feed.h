/*
 * feed.h - a durable position in a Plateforme Agréée's flow search (POST /v1/flows/search),
 * so that a poller reads every flow of a kind without a gap, as XP Z12-013 tells a client
 * without a web server to: each search asks for the flows updated after the newest one
 * read minus a safety window (a flow becomes visible a little after its updatedAt), pages
 * with the cursor, and the position moves only after the caller made what it read
 * durable (feed_commit()). A flow shows again while it is inside the window, or when its
 * updatedAt moves: the caller de-duplicates by flow id with its own durable record (the
 * incoming area's index, a document's history).
 *
 * Shared by every poller of the PA: the incoming invoices (receive.c) and reconcile's
 * resynchronisation; the lifecycle statuses of sent invoices can use it too.
 *
 * Ownership: a struct feed is released with feed_free(); strings it hands out are
 * borrowed until the next call on it. Errors: 0 / -1 with *why (HACKING.md).
 */
#ifndef CHORUSGW_FEED_H
#define CHORUSGW_FEED_H

#include <stdint.h>
#include <time.h>

struct pa_search_req;
struct pa_reply;

struct feed;

/*
 * The position kept in the file `state` (written through `tmp_dir`, on its filesystem);
 * NULL: in memory only. Before the first commit the search starts at `start` (the
 * updatedAfter of a first run). A missing state file is a first run; an unreadable one
 * is an error (*why): reading from `start` again could be a very long read, the operator
 * decides (delete the file).
 */
struct feed *feed_open(const char *state, const char *tmp_dir, int64_t window_ms, time_t start,
                       char **why);
void feed_free(struct feed *);

/* Fill q->updated_after and q->cursor for the next page (borrowed from the feed). */
void feed_query(struct feed *, struct pa_search_req *q);
/* A page was read: the position after it (not durable yet). */
void feed_page(struct feed *, const struct pa_reply *page);
/* The PA refused the cursor (expired...): read again from the window. */
void feed_drop_cursor(struct feed *);
/* 1 when the last page read (committed or not) said another page waits. */
int feed_more(const struct feed *);
/* The flows of the pages read are durable: the position after them is saved. 0 / -1. */
int feed_commit(struct feed *, char **why);
/* The newest updatedAt committed (RFC 3339), or NULL before the first. */
const char *feed_high(const struct feed *);

#endif
