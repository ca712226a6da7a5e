/* Unit tests of worker.c: requests served by worker processes while the loop goes on,
 * in order beyond the pool's size, big replies, a worker that dies, one that is sent
 * a stop signal (ignored), cancel, renew. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "tap.h"
#include "util.h"
#include "worker.h"

static char gate[256]; /* a file the "wait" request waits for */

/* The pool's function: "echo X" replies X; "pid" its pid; "wait" waits for `gate` to
 * exist; "big N" N bytes; "crash" dies of SIGSEGV's cousin, abort(); "stop" sends
 * itself what `systemctl stop` sends every process of the service, then replies. */
static void
serve(const void *req, size_t len, struct buf *out, void *ctx)
{
	const char *r = req;
	(void)len;
	(void)ctx;
	if (strncmp(r, "echo ", 5) == 0)
		buf_adds(out, r + 5);
	else if (strcmp(r, "pid") == 0)
		buf_printf(out, "%ld", (long)getpid());
	else if (strcmp(r, "wait") == 0) {
		while (access(gate, F_OK) == -1)
			usleep(1000);
		buf_adds(out, "waited");
	} else if (strncmp(r, "big ", 4) == 0) {
		size_t n = strtoul(r + 4, NULL, 10), i;
		for (i = 0; i < n; i++)
			buf_addc(out, (char)('a' + i % 26));
	} else if (strcmp(r, "crash") == 0)
		abort();
	else if (strcmp(r, "stop") == 0) {
		kill(getpid(), SIGTERM);
		kill(getpid(), SIGINT);
		kill(getpid(), SIGHUP);
		buf_adds(out, "still here");
	}
}

struct got {
	char *reply;
	size_t len;
	char *err;
	int died;
	int done;
	int seq; /* order of completion */
};
static int seq;
static struct got *stop_at; /* leave the loop when this one is done */

static void
done(const void *reply, size_t len, int died, const char *err, void *arg)
{
	struct got *g = arg;
	g->reply = reply ? xstrndup(reply, len) : NULL;
	g->len = len;
	g->died = died;
	g->err = err ? xstrdup(err) : NULL;
	g->done = 1;
	g->seq = ++seq;
	if (g == stop_at)
		ev_break();
}

static void
run_until(struct got *g)
{
	char *why = NULL;
	stop_at = g;
	while (!g->done)
		if (ev_run_once(10000, &why) == -1)
			break;
}

static void
got_free(struct got *g)
{
	free(g->reply);
	free(g->err);
	memset(g, 0, sizeof(*g));
}

/* The test's side of the "wait" request: ordering, not time. */
static struct got *release_when_done;
static void
release(void *arg)
{
	(void)arg;
	if (release_when_done->done) {
		FILE *f = fopen(gate, "w");
		if (f)
			fclose(f);
		return;
	}
	ev_timer_add(1, release, NULL);
}

int
main(void)
{
	struct workers *p;
	struct got a = {0}, b = {0}, c = {0}, d = {0};
	struct worker_job *j;
	char *why = NULL, dir[] = "/tmp/test_worker.XXXXXX";
	size_t i;
	int same;

	ok(ev_init(&why) == 0, "init");
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(gate, sizeof(gate), "%s/gate", dir);
	p = workers_new(2, serve, NULL);

	workers_submit(p, "echo hello", 10, done, &a);
	ok(!a.done, "the callback never runs from submit");
	run_until(&a);
	is_str(a.reply, "hello", "a request served by a worker");
	ok(a.err == NULL, "no error");
	got_free(&a);

	/* a worker busy with a long request holds up neither the loop nor the other one */
	workers_submit(p, "wait", 4, done, &a);
	workers_submit(p, "echo quick", 10, done, &b);
	release_when_done = &b;
	ev_timer_add(1, release, NULL);
	run_until(&a);
	is_str(b.reply, "quick", "the quick request was answered");
	ok(b.seq < a.seq, "while the long one was still being served");
	is_str(a.reply, "waited", "then the long one");
	got_free(&a);
	got_free(&b);
	unlink(gate);

	/* more requests than workers: each one served, the extra ones wait their turn */
	workers_submit(p, "wait", 4, done, &a);
	workers_submit(p, "wait", 4, done, &b);
	workers_submit(p, "echo third", 10, done, &c);
	ok(workers_pending(p) == 3, "three pending");
	{
		FILE *f;
		ev_run_once(200, &why); /* both workers take a request; the third waits */
		f = fopen(gate, "w");
		if (f)
			fclose(f);
	}
	run_until(&c);
	ok((a.done && a.seq < c.seq) || (b.done && b.seq < c.seq),
	   "beyond the pool's size a request waits for a worker to be free");
	run_until(&a);
	run_until(&b);
	is_str(c.reply, "third", "with its own reply");
	got_free(&a);
	got_free(&b);
	got_free(&c);
	unlink(gate);

	/* a reply larger than any socket buffer */
	workers_submit(p, "big 10000000", 12, done, &a);
	run_until(&a);
	same = a.reply && a.len == 10000000;
	for (i = 0; same && i < a.len; i += 4099)
		same = a.reply[i] == (char)('a' + i % 26);
	ok(same, "a 10 MB reply arrives whole (%zu bytes)", a.len);
	got_free(&a);

	/* a worker that dies fails its request, and the next request gets a new one */
	workers_submit(p, "crash", 5, done, &a);
	run_until(&a);
	ok(a.reply == NULL && a.died && contains(a.err, "killed by signal"),
	   "a crash fails the request: %s", a.err ? a.err : "(no error)");
	workers_submit(p, "echo after", 10, done, &b);
	run_until(&b);
	is_str(b.reply, "after", "the pool goes on");
	got_free(&a);
	got_free(&b);

	/* a stop is the daemon's to handle: a worker signalled with the rest of the
	 * service goes on (its request would otherwise count as a death on it) */
	workers_submit(p, "stop", 4, done, &a);
	run_until(&a);
	ok(a.reply && !a.died, "SIGTERM, SIGINT and SIGHUP do not end a worker: %s",
	   a.reply ? a.reply
	   : a.err ? a.err
	           : "?");
	got_free(&a);

	/* cancel: queued or being served, the callback never runs */
	workers_submit(p, "wait", 4, done, &a);
	workers_submit(p, "wait", 4, done, &b);
	j = workers_submit(p, "echo never", 10, done, &c);
	workers_cancel(p, j);
	{
		FILE *f = fopen(gate, "w");
		if (f)
			fclose(f);
	}
	run_until(&b);
	run_until(&a);
	workers_submit(p, "echo last", 9, done, &d);
	run_until(&d);
	ok(!c.done, "a cancelled request: no callback");
	ok(workers_pending(p) == 0, "nothing pending (%u)", workers_pending(p));
	got_free(&a);
	got_free(&b);
	got_free(&d);
	unlink(gate);

	/* renew: the next request is served by a process forked afterwards */
	workers_submit(p, "pid", 3, done, &a);
	run_until(&a);
	workers_renew(p);
	workers_submit(p, "pid", 3, done, &b);
	run_until(&b);
	ok(a.reply && b.reply && strcmp(a.reply, b.reply) != 0, "renewed: another worker (%s, %s)",
	   a.reply ? a.reply : "-", b.reply ? b.reply : "-");
	ok(a.reply && kill((pid_t)atol(a.reply), 0) == -1, "the old worker has ended");
	got_free(&a);
	got_free(&b);

	workers_free(p);
	rmdir(dir);
	ev_fini();
	return done_testing();
}
