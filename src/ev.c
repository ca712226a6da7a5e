/*
 * ev.c - the event loop: epoll for fds (inotify, curl sockets, signalfd), a binary
 * min-heap of one-shot timers, signals through signalfd. No threads: every callback
 * runs from ev_run_once().
 *
 * Errors: set-up calls return 0 / -1 with *why; ev_fd_* return -1 with errno.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ev.h"
#include "util.h"

struct ev_timer {
	uint64_t due;
	uint64_t seq; /* ties broken by creation order */
	size_t idx;   /* position in the heap */
	ev_timer_cb *cb;
	void *arg;
};

struct fdslot {
	ev_fd_cb *cb;
	void *arg;
	unsigned events;
	int used;
};

struct sigslot {
	ev_signal_cb *cb;
	void *arg;
};

static int epfd = -1;
static struct fdslot *fds;
static size_t nfds;
static struct ev_timer **heap;
static size_t nheap, capheap;
static uint64_t timer_seq;
static int stop;
static int sigfd = -1;
static sigset_t sigmask;
static struct sigslot sigs[65];

int
ev_init(char **why)
{
	if (epfd != -1)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1)
		return fail(why, "epoll_create1: %s", strerror(errno));
	sigemptyset(&sigmask);
	return 0;
}

void
ev_fini(void)
{
	size_t i;
	for (i = 0; i < nheap; i++)
		free(heap[i]);
	free(heap);
	heap = NULL;
	nheap = capheap = 0;
	free(fds);
	fds = NULL;
	nfds = 0;
	if (sigfd != -1) {
		close(sigfd);
		sigfd = -1;
		sigprocmask(SIG_UNBLOCK, &sigmask, NULL);
		sigemptyset(&sigmask);
	}
	memset(sigs, 0, sizeof(sigs));
	if (epfd != -1)
		close(epfd);
	epfd = -1;
	stop = 0;
}

static uint32_t
to_epoll(unsigned ev)
{
	return (ev & EV_READ ? EPOLLIN : 0) | (ev & EV_WRITE ? EPOLLOUT : 0);
}

int
ev_fd_add(int fd, unsigned events, ev_fd_cb *cb, void *arg)
{
	struct epoll_event e;
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= nfds) {
		size_t n = (size_t)fd + 16;
		fds = xreallocarray(fds, n, sizeof(*fds));
		memset(fds + nfds, 0, (n - nfds) * sizeof(*fds));
		nfds = n;
	}
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(events);
	e.data.fd = fd;
	if (epoll_ctl(epfd, fds[fd].used ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) == -1)
		return -1;
	fds[fd].cb = cb;
	fds[fd].arg = arg;
	fds[fd].events = events;
	fds[fd].used = 1;
	return 0;
}

void
ev_fd_del(int fd)
{
	if (fd < 0 || (size_t)fd >= nfds || !fds[fd].used)
		return;
	/* the fd may already be closed (curl closes before telling us); ignore errors */
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&fds[fd], 0, sizeof(fds[fd]));
}

/* ---- timers ---- */

static int
earlier(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
heap_swap(size_t a, size_t b)
{
	struct ev_timer *t = heap[a];
	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->idx = a;
	heap[b]->idx = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && earlier(heap[i], heap[(i - 1) / 2])) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < nheap && earlier(heap[l], heap[m]))
			m = l;
		if (r < nheap && earlier(heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

static void
heap_remove(size_t i)
{
	nheap--;
	if (i == nheap)
		return;
	heap[i] = heap[nheap];
	heap[i]->idx = i;
	heap_up(i);
	heap_down(heap[i]->idx);
}

struct ev_timer *
ev_timer_add(uint64_t delay_ms, ev_timer_cb *cb, void *arg)
{
	struct ev_timer *t = xcalloc(1, sizeof(*t));
	t->due = now_ms() + delay_ms;
	t->seq = timer_seq++;
	t->cb = cb;
	t->arg = arg;
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 64;
		heap = xreallocarray(heap, capheap, sizeof(*heap));
	}
	t->idx = nheap;
	heap[nheap++] = t;
	heap_up(t->idx);
	return t;
}

void
ev_timer_del(struct ev_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(t->idx);
	free(t);
}

uint64_t
ev_timer_remaining(const struct ev_timer *t)
{
	uint64_t now = now_ms();
	return t->due > now ? t->due - now : 0;
}

/* ---- signals ---- */

static void
on_signalfd(int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;
	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int s = (int)si.ssi_signo;
		if (s > 0 && s < (int)nitems(sigs) && sigs[s].cb)
			sigs[s].cb(s, sigs[s].arg);
	}
}

int
ev_signal(int signo, ev_signal_cb *cb, void *arg)
{
	if (signo <= 0 || signo >= (int)nitems(sigs)) {
		errno = EINVAL;
		return -1;
	}
	sigaddset(&sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &sigmask, NULL) == -1)
		return -1;
	sigfd = signalfd(sigfd, &sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd == -1)
		return -1;
	if (ev_fd_add(sigfd, EV_READ, on_signalfd, NULL) == -1)
		return -1;
	sigs[signo].cb = cb;
	sigs[signo].arg = arg;
	return 0;
}

/* ---- the loop ---- */

static void
run_timers(void)
{
	uint64_t now = now_ms();
	/* Only timers already due now: a callback that re-arms at 0 ms runs next turn. */
	while (nheap > 0 && heap[0]->due <= now) {
		struct ev_timer *t = heap[0];
		heap_remove(0);
		t->cb(t->arg);
		free(t);
	}
}

int
ev_run_once(int timeout_ms, char **why)
{
	struct epoll_event evs[64];
	int n, i;
	if (nheap > 0) {
		uint64_t now = now_ms();
		int t = heap[0]->due <= now ? 0 : (int)(heap[0]->due - now);
		if (timeout_ms < 0 || t < timeout_ms)
			timeout_ms = t;
	}
	n = epoll_wait(epfd, evs, (int)nitems(evs), timeout_ms);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		return fail(why, "epoll_wait: %s", strerror(errno));
	}
	for (i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		unsigned e = 0;
		if (evs[i].events & EPOLLIN)
			e |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			e |= EV_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			e |= EV_ERROR;
		/* a previous callback in this batch may have removed the fd */
		if (fd >= 0 && (size_t)fd < nfds && fds[fd].used)
			fds[fd].cb(fd, e, fds[fd].arg);
	}
	run_timers();
	return 0;
}

int
ev_run(char **why)
{
	stop = 0;
	while (!stop)
		if (ev_run_once(-1, why) == -1)
			return -1;
	stop = 0;
	return 0;
}

void
ev_break(void)
{
	stop = 1;
}
