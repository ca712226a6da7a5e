/* Unit tests of ev.c: timer order, cancellation, fd readiness, signals. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "ev.h"
#include "tap.h"
#include "util.h"

static char order[16];
static size_t norder;

static void
mark(void *arg)
{
	order[norder++] = *(char *)arg;
	if (norder == 3)
		ev_break();
}

static int readable;
static void
on_read(int fd, unsigned ev, void *arg)
{
	char c;
	(void)arg;
	if ((ev & EV_READ) && read(fd, &c, 1) == 1)
		readable++;
	ev_break();
}

static int got_signal;
static void
on_sig(int signo, void *arg)
{
	(void)arg;
	got_signal = signo;
	ev_break();
}

int
main(void)
{
	static char a = 'a', b = 'b', c = 'c', d = 'd';
	struct ev_timer *t;
	int p[2];
	char *why = NULL;

	ok(ev_init(&why) == 0, "init");
	/* gaps wide enough that a slow (sanitizer, loaded) machine cannot reorder them */
	ev_timer_add(300, mark, &c);
	ev_timer_add(100, mark, &a);
	t = ev_timer_add(150, mark, &d);
	ev_timer_add(200, mark, &b);
	ev_timer_del(t);
	ok(ev_run(&why) == 0, "run");
	order[norder] = '\0';
	is_str(order, "abc", "timers fire in due order; a deleted timer never fires");

	ok(pipe(p) == 0, "pipe");
	ok(ev_fd_add(p[0], EV_READ, on_read, NULL) == 0, "watch pipe");
	ok(write(p[1], "x", 1) == 1, "write");
	ok(ev_run(&why) == 0 && readable == 1, "fd callback ran");
	ev_fd_del(p[0]);

	ok(ev_signal(SIGUSR1, on_sig, NULL) == 0, "signal handler");
	kill(getpid(), SIGUSR1);
	ok(ev_run(&why) == 0 && got_signal == SIGUSR1, "signal delivered through the loop");

	{
		/* a thousand timers cancelled in random order leave the heap consistent */
		struct ev_timer *ts[1000];
		int i;
		norder = 0;
		for (i = 0; i < 1000; i++)
			ts[i] = ev_timer_add((uint64_t)(1000 + i), mark, &a);
		for (i = 0; i < 1000; i += 2)
			ev_timer_del(ts[(i * 7919) % 1000]);
		for (i = 1; i < 1000; i += 2)
			ev_timer_del(ts[(i * 7919) % 1000]);
		ev_timer_add(1, mark, &a);
		ev_timer_add(2, mark, &b);
		ev_timer_add(3, mark, &c);
		ok(ev_run(&why) == 0, "run after mass cancel");
		order[norder] = '\0';
		is_str(order, "abc", "only the live timers fired");
	}
	close(p[0]);
	close(p[1]);
	ev_fini();
	return done_testing();
}
