/*
 * watch.h - finds the entries of inbox/ that are ready to be claimed: inotify as a hint
 * (IN_CLOSE_WRITE, IN_MOVED_TO; IN_Q_OVERFLOW forces a rescan), a full rescan every
 * [spool] rescan (writers on SMB/NFS raise no events), and the readiness rules.
 *
 * Ready: an entry renamed into inbox/ (IN_MOVED_TO) at once; a file written in place
 * once it has not changed for `settle`, measured against now with its ctime (which every
 * write, truncation, rename or utime() moves forward, so a copy that kept an old mtime
 * still waits); anything that is not a regular file or folder (symlink, FIFO, socket,
 * device) at once, to be refused by spool_claim(). Never ready: dot-files, *.tmp,
 * *.part, names matching [spool] ignore, empty files (they wait).
 *
 * Bounded work and memory: a scan keeps only the `scan_batch` oldest ready entries (a
 * bounded heap) and hands them out oldest first; the names renamed in are remembered up
 * to a fixed number. 100 000 waiting files cost one pass of lstat(), not 100 000 entries
 * of memory.
 *
 * Memory: the candidate handed to the callback is borrowed for the call. watch_free()
 * releases everything. Errors: 0 / -1 with *why; a watch that cannot be added (inotify
 * limits) is logged and the rescans carry on alone.
 */
#ifndef CHORUSGW_WATCH_H
#define CHORUSGW_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct watch_cfg {
	int64_t settle_ms;  /* [spool] settle */
	int64_t rescan_ms;  /* [spool] rescan */
	int64_t scan_batch; /* [spool] scan_batch */
	char **ignore;      /* [spool] ignore: NULL-terminated shell patterns, or NULL */
	int no_inotify;     /* rescans only (tests, filesystems without inotify) */
};

struct watch_cand {
	const char *name; /* in inbox/ */
	struct stat st;   /* lstat() when judged; pass to spool_claim() */
	int renamed_in;   /* ready because it was renamed in */
};

/* Called for each ready entry. Return 0 to go on, 1 when the gateway has no room:
 * nothing more is handed out until watch_resume(). */
typedef int watch_cb(void *arg, const struct watch_cand *);

struct watch;

/* Watch `inbox` (inotify watch added before the first listing, which runs at once from
 * the event loop). ev_init() must have been called. NULL with *why. */
struct watch *watch_new(const char *inbox, const struct watch_cfg *, watch_cb *, void *arg,
                        char **why);
void watch_free(struct watch *);

/* Scan inbox/ now and hand out up to scan_batch ready entries, oldest first. *more (may
 * be NULL) is set when ready entries were left for the next scan. 0 / -1. */
int watch_scan(struct watch *, int *more, char **why);
/* The gateway has room again: hand out more soon (next loop turn). */
void watch_resume(struct watch *);

/* 1 when `name` is never taken (dot-file, *.tmp, *.part, an ignore pattern). */
int watch_ignored(const struct watch_cfg *, const char *name);

struct watch_stats {
	uint64_t scans;  /* full scans run */
	uint64_t handed; /* candidates handed out */
	size_t waiting;  /* entries not ready at the last scan (settling or empty) */
	size_t ready;    /* entries ready at the last scan */
	size_t heap_max; /* the most candidates held at once (bounded by scan_batch) */
	uint64_t events; /* inotify events read */
	uint64_t overflows;
};
void watch_get_stats(const struct watch *, struct watch_stats *);

#endif
