/*
 * worker.c - the pool of worker processes (worker.h): the event loop hands them the
 * work that would hold it up, and reads their replies through ev.c, never blocking.
 *
 * Processes rather than threads: libxml2/libxslt keep process-wide state (error
 * handlers, the entity loader, our caches), a crash or the OOM killer takes a worker
 * and not the daemon, and the memory of a big document goes back to the system with
 * the worker's heap instead of staying in the daemon's. A worker is forked on demand
 * and serves one request at a time over a socketpair, framed as an 8-byte length then
 * the bytes, both ways. It closes every other descriptor, so it never touches the
 * daemon's epoll, inotify, signalfd or sockets, and dies with its parent
 * (PR_SET_PDEATHSIG).
 *
 * Errors: a request that cannot be served (fork failed, its worker died) ends in its
 * callback with reply NULL and a reason; nothing here returns an error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "worker.h"

struct worker_job {
	struct worker_job *next;
	unsigned char *req;
	size_t len;
	worker_done_fn *cb;
	void *arg;
	int cancelled;
};

struct worker {
	struct workers *pool;
	pid_t pid; /* 0: no process in this slot */
	int fd;    /* our end of the socketpair */
	int writing;
	struct worker_job *job; /* being served */
	struct buf out;         /* the request frame */
	size_t out_off;
	struct buf in; /* the reply frame, as it comes */
	int retire;    /* end once the current request is answered */
};

struct workers {
	unsigned n;
	struct worker *w;
	worker_fn *fn;
	void *ctx;
	struct worker_job *head, *tail; /* waiting for a worker */
	unsigned pending;               /* waiting or being served */
	struct ev_timer *kick;
	void (*drop)(void *arg);
};

static void dispatch(void *arg);

/* ---- in the worker -------------------------------------------------------------------- */

/* Read (`out` 0) or write (`out` 1) all `n` bytes, blocking. 0 / -1 (EOF included). */
static int
xfer_full(int fd, void *p, size_t n, int out)
{
	unsigned char *c = p;
	while (n) {
		ssize_t r = out ? write(fd, c, n) : read(fd, c, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
worker_main(struct workers *p, int fd)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
	size_t i;
	sigset_t none;
	struct buf req, out;
	uint64_t len;

	/* The parent's loop blocked these for its signalfd. A stop signals every process of
	 * the service (systemd's control group, a terminal's Ctrl-C): a worker ignores it,
	 * the daemon ends it (or its death does), so that a stop never looks like a
	 * document killing its worker. A crash is a worker's own: the daemon's handlers
	 * (postmortem.c) do not apply here. */
	for (i = 0; i < nitems(fatal); i++)
		signal(fatal[i], SIG_DFL);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0); /* the parent is already gone */
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	close_range(4, ~0U, 0);
	buf_init(&req);
	buf_init(&out);
	while (xfer_full(3, &len, sizeof(len), 0) == 0) {
		buf_reset(&out);
		if (len >= SIZE_MAX)
			break;
		req.p = xrealloc(req.p, (size_t)len + 1); /* NUL-terminated for text requests */
		req.cap = (size_t)len + 1;
		req.len = (size_t)len;
		req.p[len] = '\0';
		if (len && xfer_full(3, req.p, (size_t)len, 0) == -1)
			break;
		p->fn(req.p, req.len, &out, p->ctx);
		len = out.len;
		if (xfer_full(3, &len, sizeof(len), 1) == -1 ||
		    (out.len && xfer_full(3, out.p, out.len, 1) == -1))
			break;
	}
	_exit(0);
}

/* ---- in the daemon ---------------------------------------------------------------------- */

static void on_worker(int fd, unsigned events, void *arg);

static int
spawn(struct worker *w)
{
	int sv[2];
	pid_t pid;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	fflush(NULL); /* nothing buffered is written twice */
	pid = fork();
	if (pid == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(w->pool, sv[1]);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (ev_fd_add(sv[0], EV_READ, on_worker, w) == -1) {
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	w->pid = pid;
	w->fd = sv[0];
	w->writing = 0;
	w->retire = 0;
	log_debug("worker %ld started", (long)pid);
	return 0;
}

/* End the slot's process: killed, reaped; *how says how it ended when asked. */
static void
end_worker(struct worker *w, int kill_it, char *how, size_t n)
{
	int st = 0;
	if (w->pid == 0)
		return;
	ev_fd_del(w->fd);
	close(w->fd);
	if (kill_it)
		kill(w->pid, SIGKILL);
	while (waitpid(w->pid, &st, 0) == -1 && errno == EINTR)
		;
	if (how) {
		if (WIFSIGNALED(st))
			snprintf(how, n, "killed by signal %d (%s)", WTERMSIG(st),
			         strsignal(WTERMSIG(st)));
		else
			snprintf(how, n, "exited with status %d", WEXITSTATUS(st));
	}
	w->pid = 0;
	w->fd = -1;
	buf_reset(&w->out);
	buf_reset(&w->in);
	w->out_off = 0;
}

/* Free a job; its arg is dropped unless its callback ran (`answered`). */
static void
job_free(struct workers *p, struct worker_job *j, int answered)
{
	if (!answered && p->drop)
		p->drop(j->arg);
	free(j->req);
	free(j);
}

/* The job of `w` is over: its callback, unless cancelled, then the next one. */
static void
job_over(struct worker *w, const void *reply, size_t len, int died, const char *err)
{
	struct worker_job *j = w->job;
	struct workers *p = w->pool;
	w->job = NULL;
	p->pending--;
	if (!j->cancelled)
		j->cb(reply, len, died, err, j->arg);
	job_free(p, j, !j->cancelled);
	if (p->kick == NULL && p->head)
		p->kick = ev_timer_add(0, dispatch, p);
}

static void
set_writing(struct worker *w, int on)
{
	if (w->writing == on)
		return;
	ev_fd_del(w->fd);
	ev_fd_add(w->fd, on ? EV_READ | EV_WRITE : EV_READ, on_worker, w);
	w->writing = on;
}

static void
push(struct worker *w)
{
	while (w->out_off < w->out.len) {
		ssize_t r = write(w->fd, w->out.p + w->out_off, w->out.len - w->out_off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_writing(w, 1);
			return;
		}
		if (r <= 0)
			return; /* the worker is gone: its EOF says how */
		w->out_off += (size_t)r;
	}
	set_writing(w, 0);
	buf_reset(&w->out);
	w->out_off = 0;
}

static void
died(struct worker *w)
{
	char how[96], *err;
	end_worker(w, 1, how, sizeof(how));
	if (w->job == NULL) {
		log_debug("an idle worker %s", how);
		return;
	}
	err = xasprintf("the worker process %s", how);
	job_over(w, NULL, 0, 1, err);
	free(err);
}

static void
on_worker(int fd, unsigned events, void *arg)
{
	struct worker *w = arg;
	char chunk[65536];
	uint64_t want;
	(void)fd;

	if ((events & EV_WRITE) && w->out_off < w->out.len)
		push(w);
	if (!(events & (EV_READ | EV_ERROR)))
		return;
	/* a big reply comes over several turns of the loop, 1 MB each at most (epoll
	 * reports the rest), so reading it never holds up the other work */
	for (size_t got = 0; got < (1u << 20);) {
		ssize_t r = read(w->fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			died(w);
			return;
		}
		buf_add(&w->in, chunk, (size_t)r);
		got += (size_t)r;
	}
	if (w->in.len < sizeof(want))
		return;
	memcpy(&want, w->in.p, sizeof(want));
	if (w->in.len - sizeof(want) < want)
		return;
	if (w->job == NULL || w->in.len - sizeof(want) > want) {
		/* a reply nobody asked for: this worker cannot be trusted any more, and its
		 * request, if any, fails as if it had died */
		log_err("worker %ld: unexpected reply; ending it", (long)w->pid);
		end_worker(w, 1, NULL, 0);
		if (w->job)
			job_over(w, NULL, 0, 1, "the worker process sent more than its reply");
		return;
	}
	{
		struct buf reply = w->in;
		buf_init(&w->in);
		job_over(w, reply.p + sizeof(want), (size_t)want, 0, NULL);
		buf_free(&reply);
	}
	if (w->retire && w->job == NULL)
		end_worker(w, 1, NULL, 0);
}

static void
dispatch(void *arg)
{
	struct workers *p = arg;
	unsigned i;
	p->kick = NULL;
	for (i = 0; i < p->n && p->head; i++) {
		struct worker *w = &p->w[i];
		struct worker_job *j;
		uint64_t len;
		if (w->job)
			continue;
		j = p->head;
		if (w->pid == 0 && spawn(w) == -1) {
			char *err =
			    xasprintf("no worker process could be started: %s", strerror(errno));
			p->head = j->next;
			if (p->head == NULL)
				p->tail = NULL;
			w->job = j;
			job_over(w, NULL, 0, 0, err);
			free(err);
			continue;
		}
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		w->job = j;
		len = j->len;
		buf_reset(&w->out);
		buf_add(&w->out, &len, sizeof(len));
		buf_add(&w->out, j->req, j->len);
		w->out_off = 0;
		push(w);
	}
}

struct workers *
workers_new(unsigned n, worker_fn *fn, void *ctx)
{
	struct workers *p = xcalloc(1, sizeof(*p));
	unsigned i;
	p->n = n ? n : 1;
	p->w = xcalloc(p->n, sizeof(*p->w));
	p->fn = fn;
	p->ctx = ctx;
	for (i = 0; i < p->n; i++) {
		p->w[i].pool = p;
		p->w[i].fd = -1;
		buf_init(&p->w[i].out);
		buf_init(&p->w[i].in);
	}
	return p;
}

struct worker_job *
workers_submit(struct workers *p, const void *req, size_t len, worker_done_fn *cb, void *arg)
{
	struct worker_job *j = xcalloc(1, sizeof(*j));
	j->req = xmalloc(len ? len : 1);
	if (len)
		memcpy(j->req, req, len);
	j->len = len;
	j->cb = cb;
	j->arg = arg;
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->pending++;
	if (p->kick == NULL)
		p->kick = ev_timer_add(0, dispatch, p);
	return j;
}

void
workers_cancel(struct workers *p, struct worker_job *j)
{
	struct worker_job **pp;
	for (pp = &p->head; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			if (p->tail == j) {
				struct worker_job *t = p->head;
				while (t && t->next)
					t = t->next;
				p->tail = t;
			}
			p->pending--;
			job_free(p, j, 0);
			return;
		}
	}
	j->cancelled = 1; /* being served: its reply is dropped */
}

void
workers_renew(struct workers *p)
{
	unsigned i;
	for (i = 0; i < p->n; i++) {
		if (p->w[i].job)
			p->w[i].retire = 1;
		else
			end_worker(&p->w[i], 1, NULL, 0);
	}
}

void
workers_on_drop(struct workers *p, void (*drop)(void *arg))
{
	p->drop = drop;
}

unsigned
workers_pending(const struct workers *p)
{
	return p->pending;
}

void
workers_free(struct workers *p)
{
	unsigned i;
	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		end_worker(&p->w[i], 1, NULL, 0);
		if (p->w[i].job)
			job_free(p, p->w[i].job, 0);
		buf_free(&p->w[i].out);
		buf_free(&p->w[i].in);
	}
	while (p->head) {
		struct worker_job *j = p->head;
		p->head = j->next;
		job_free(p, j, 0);
	}
	if (p->kick)
		ev_timer_del(p->kick);
	free(p->w);
	free(p);
}
