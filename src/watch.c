/*
 * watch.c - owns the inotify watch on inbox/, the rescan timers and the readiness rules
 * (watch.h): which entries are ready to be claimed, in which order, how many at a time.
 * It never opens an entry of inbox/: lstat() only, so a FIFO or a symlink is judged
 * without being touched. The claim itself is spool.c's.
 *
 * Errors: set-up returns 0 / -1 with *why; a failing scan from a timer is logged and
 * retried at the next rescan.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "util.h"
#include "watch.h"

#define RENAMED_MAX 4096 /* names remembered as renamed in; beyond, they settle */

struct cand {
	char *name;
	struct stat st;
	int64_t key; /* ctime in ms: older first */
	int renamed;
};

struct watch {
	char *dir;
	struct watch_cfg cfg;
	watch_cb *cb;
	void *arg;
	int ifd;
	struct ev_timer *scan_t;
	uint64_t scan_due; /* monotonic ms */
	struct ev_timer *hint_t;
	char **renamed;
	size_t nrenamed;
	int paused;
	struct cand *heap;
	size_t nheap;
	struct watch_stats stats;
};

static void on_scan_timer(void *);
static void on_hint_timer(void *);

int
watch_ignored(const struct watch_cfg *cfg, const char *name)
{
	size_t n = strlen(name);
	char **p;
	if (name[0] == '.' || n == 0)
		return 1;
	if ((n >= 4 && strcasecmp(name + n - 4, ".tmp") == 0) ||
	    (n >= 5 && strcasecmp(name + n - 5, ".part") == 0))
		return 1;
	for (p = cfg->ignore; p && *p; p++)
		if (**p && fnmatch(*p, name, 0) == 0)
			return 1;
	return 0;
}

static int64_t
ts_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

/* ---- scheduling ------------------------------------------------------------------ */

static void
schedule_scan(struct watch *w, int64_t delay_ms)
{
	uint64_t due;
	if (delay_ms < 0)
		delay_ms = 0;
	due = now_ms() + (uint64_t)delay_ms;
	if (w->scan_t != NULL) {
		if (w->scan_due <= due)
			return;
		ev_timer_del(w->scan_t);
	}
	w->scan_due = due;
	w->scan_t = ev_timer_add((uint64_t)delay_ms, on_scan_timer, w);
}

static void
schedule_hints(struct watch *w)
{
	if (w->hint_t == NULL && w->nrenamed > 0 && !w->paused)
		w->hint_t = ev_timer_add(0, on_hint_timer, w);
}

/* ---- names renamed in ------------------------------------------------------------ */

static ssize_t
renamed_find(const struct watch *w, const char *name)
{
	size_t i;
	for (i = 0; i < w->nrenamed; i++)
		if (strcmp(w->renamed[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static void
renamed_add(struct watch *w, const char *name)
{
	if (renamed_find(w, name) >= 0 || w->nrenamed >= RENAMED_MAX)
		return;
	w->renamed = xreallocarray(w->renamed, w->nrenamed + 1, sizeof(char *));
	w->renamed[w->nrenamed++] = xstrdup(name);
}

static void
renamed_del(struct watch *w, const char *name)
{
	ssize_t i = renamed_find(w, name);
	if (i < 0)
		return;
	free(w->renamed[i]);
	w->renamed[i] = w->renamed[--w->nrenamed];
}

/* ---- readiness ------------------------------------------------------------------- */

/*
 * Judge one entry: 1 ready, 0 not yet (*due_ms: how long until it may be), -1 skip.
 */
static int
judge(const struct watch *w, const char *name, const struct stat *st, int64_t now, int64_t *due_ms)
{
	int64_t age;
	*due_ms = -1;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 1; /* symlink, FIFO, socket, device: refused at once, never opened */
	if (S_ISREG(st->st_mode) && st->st_size == 0)
		return 0; /* empty files wait; their first write raises an event or a rescan */
	if (renamed_find(w, name) >= 0)
		return 1;
	age = now - ts_ms(&st->st_ctim);
	if (age >= w->cfg.settle_ms)
		return 1;
	*due_ms = w->cfg.settle_ms - (age < 0 ? 0 : age) + 1;
	return 0;
}

/* ---- the bounded heap: the scan_batch oldest ready entries ----------------------- */

static int
cand_cmp(const struct cand *a, const struct cand *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
cand_qsort(const void *a, const void *b)
{
	return cand_cmp(a, b);
}

/* Max-heap on (key, name): the root is the youngest kept, the first to give way. */
static void
heap_down(struct cand *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cand t;
		if (l < n && cand_cmp(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && cand_cmp(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void
heap_up(struct cand *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct cand t;
		if (cand_cmp(&h[i], &h[p]) <= 0)
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static void
heap_offer(struct watch *w, const char *name, const struct stat *st)
{
	size_t cap = (size_t)w->cfg.scan_batch;
	struct cand c;
	c.st = *st;
	c.key = ts_ms(&st->st_ctim);
	c.renamed = renamed_find(w, name) >= 0;
	c.name = (char *)name;
	if (w->nheap == cap) {
		if (cand_cmp(&c, &w->heap[0]) >= 0)
			return; /* younger than every kept one: next scan */
		free(w->heap[0].name);
		c.name = xstrdup(name);
		w->heap[0] = c;
		heap_down(w->heap, w->nheap, 0);
		return;
	}
	c.name = xstrdup(name);
	w->heap[w->nheap] = c;
	heap_up(w->heap, w->nheap);
	w->nheap++;
	if (w->nheap > w->stats.heap_max)
		w->stats.heap_max = w->nheap;
}

static void
heap_clear(struct watch *w)
{
	size_t i;
	for (i = 0; i < w->nheap; i++)
		free(w->heap[i].name);
	w->nheap = 0;
}

/* Hand one candidate out. 1 when the gateway said stop. */
static int
hand_out(struct watch *w, const char *name, const struct stat *st, int renamed)
{
	struct watch_cand c;
	c.name = name;
	c.st = *st;
	c.renamed_in = renamed;
	renamed_del(w, name);
	w->stats.handed++;
	if (w->cb(w->arg, &c) != 0) {
		w->paused = 1;
		return 1;
	}
	return 0;
}

/* ---- the full scan ----------------------------------------------------------------- */

int
watch_scan(struct watch *w, int *more, char **why)
{
	DIR *dir;
	struct dirent *de;
	int64_t now = wall_ms(), next = w->cfg.rescan_ms, due;
	size_t ready = 0, waiting = 0, i;
	int fd;

	if (more)
		*more = 0;
	dir = opendir(w->dir);
	if (dir == NULL) {
		schedule_scan(w, w->cfg.rescan_ms);
		return fail(why, "open %s: %s", w->dir, strerror(errno));
	}
	fd = dirfd(dir);
	w->stats.scans++;
	while ((de = readdir(dir)) != NULL) {
		struct stat st;
		int r;
		if (watch_ignored(&w->cfg, de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue; /* gone meanwhile */
		r = judge(w, de->d_name, &st, now, &due);
		if (r == 1) {
			ready++;
			heap_offer(w, de->d_name, &st);
		} else if (r == 0) {
			waiting++;
			if (due >= 0 && due < next)
				next = due;
		}
	}
	closedir(dir);
	w->stats.ready = ready;
	w->stats.waiting = waiting;

	qsort(w->heap, w->nheap, sizeof(*w->heap), cand_qsort);
	for (i = 0; i < w->nheap && !w->paused; i++)
		hand_out(w, w->heap[i].name, &w->heap[i].st, w->heap[i].renamed);
	if (ready > i && more)
		*more = 1;
	heap_clear(w);
	if (ready > i && !w->paused)
		next = 0; /* a full batch went out: the rest at the next loop turn */
	schedule_scan(w, next);
	return 0;
}

static void
on_scan_timer(void *arg)
{
	struct watch *w = arg;
	char *why = NULL;
	w->scan_t = NULL;
	if (w->paused) {
		schedule_scan(w, w->cfg.rescan_ms);
		return;
	}
	if (watch_scan(w, NULL, &why) == -1) {
		log_err("%s", why);
		free(why);
	}
}

/* Names renamed in: taken at once, without waiting for a scan. */
static void
on_hint_timer(void *arg)
{
	struct watch *w = arg;
	size_t i = 0;
	int fd;
	w->hint_t = NULL;
	fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return;
	while (i < w->nrenamed && !w->paused) {
		struct stat st;
		char *name = w->renamed[i];
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			renamed_del(w, name); /* gone: claimed or moved away */
			continue;
		}
		if (S_ISREG(st.st_mode) && st.st_size == 0) {
			i++; /* empty: waits */
			continue;
		}
		name = xstrdup(name);
		hand_out(w, name, &st, 1); /* removes it from the list */
		free(name);
	}
	close(fd);
}

/* ---- inotify ---------------------------------------------------------------------- */

static void
on_inotify(int fd, unsigned events, void *arg)
{
	struct watch *w = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	(void)events;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), off;
		if (n <= 0)
			break;
		for (off = 0; off < n;) {
			const struct inotify_event *e = (const void *)(buf + off);
			off += (ssize_t)(sizeof(*e) + e->len);
			w->stats.events++;
			if (e->mask & IN_Q_OVERFLOW) {
				w->stats.overflows++;
				log_warn("%s: inotify queue overflowed; rescanning", w->dir);
				schedule_scan(w, 0);
				continue;
			}
			if (e->mask & IN_IGNORED) {
				log_err("%s: the inotify watch is gone (folder "
				        "moved or removed); rescans go on",
				        w->dir);
				continue;
			}
			if (e->len == 0 || watch_ignored(&w->cfg, e->name))
				continue;
			if (e->mask & IN_MOVED_TO)
				renamed_add(w, e->name);
			if (e->mask & IN_CLOSE_WRITE) {
				renamed_del(w, e->name); /* written in place after all: settle */
				schedule_scan(w, w->cfg.settle_ms + 1);
			}
		}
	}
	schedule_hints(w);
}

struct watch *
watch_new(const char *inbox, const struct watch_cfg *cfg, watch_cb *cb, void *arg, char **why)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->dir = xstrdup(inbox);
	w->cfg = *cfg;
	if (w->cfg.scan_batch < 1)
		w->cfg.scan_batch = 1;
	if (w->cfg.rescan_ms < 1)
		w->cfg.rescan_ms = 1000;
	w->cb = cb;
	w->arg = arg;
	w->ifd = -1;
	w->heap = xcalloc((size_t)w->cfg.scan_batch, sizeof(*w->heap));
	if (!w->cfg.no_inotify) {
		/* the watch first, then the first listing: nothing falls between */
		w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->ifd == -1 || inotify_add_watch(w->ifd, inbox,
		                                      IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR |
		                                          IN_DONT_FOLLOW) == -1) {
			log_warn("%s: no inotify watch (%s); relying on rescans every %lld ms",
			         inbox, strerror(errno), (long long)w->cfg.rescan_ms);
			if (w->ifd != -1)
				close(w->ifd);
			w->ifd = -1;
		} else if (ev_fd_add(w->ifd, EV_READ, on_inotify, w) == -1) {
			fail(why, "watch %s: %s", inbox, strerror(errno));
			watch_free(w);
			return NULL;
		}
	}
	schedule_scan(w, 0);
	return w;
}

void
watch_free(struct watch *w)
{
	size_t i;
	if (w == NULL)
		return;
	if (w->scan_t)
		ev_timer_del(w->scan_t);
	if (w->hint_t)
		ev_timer_del(w->hint_t);
	if (w->ifd != -1) {
		ev_fd_del(w->ifd);
		close(w->ifd);
	}
	heap_clear(w);
	free(w->heap);
	for (i = 0; i < w->nrenamed; i++)
		free(w->renamed[i]);
	free(w->renamed);
	free(w->dir);
	free(w);
}

void
watch_resume(struct watch *w)
{
	if (!w->paused)
		return;
	w->paused = 0;
	schedule_scan(w, 0);
	schedule_hints(w);
}

void
watch_get_stats(const struct watch *w, struct watch_stats *out)
{
	*out = w->stats;
}
