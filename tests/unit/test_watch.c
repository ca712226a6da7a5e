/* Unit tests of watch.c: files present before the watch, renamed-in files at once, a
 * slow writer never taken early, a file that raised no event found by the rescan,
 * ignore rules, empty files, hostile types at once, bounded batches oldest first,
 * pausing, an inotify queue overflow. Waits are bounded loops on conditions, never timed
 * assertions. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "tap.h"
#include "util.h"
#include "watch.h"

static char root[] = "/tmp/chorusgw-watch.XXXXXX";
static char inbox[256], done[256];

#define MAXSEEN 512
static char *seen[MAXSEEN];
static off_t seen_size[MAXSEEN];
static int seen_renamed[MAXSEEN];
static size_t nseen;
static int take;  /* move handed files to done/ (a claim) */
static int limit; /* stop after this many handed (0: never) */

static void
reset(void)
{
	size_t i;
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	nseen = 0;
}

static int
on_cand(void *arg, const struct watch_cand *c)
{
	(void)arg;
	if (nseen < MAXSEEN) {
		seen_size[nseen] = c->st.st_size;
		seen_renamed[nseen] = c->renamed_in;
		seen[nseen++] = xstrdup(c->name);
	}
	if (take) {
		char *a = xasprintf("%s/%s", inbox, c->name),
		     *b = xasprintf("%s/%s", done, c->name);
		if (rename(a, b) == -1)
			perror(a);
		free(a);
		free(b);
	}
	return limit && nseen >= (size_t)limit;
}

static ssize_t
found(const char *name)
{
	size_t i;
	for (i = 0; i < nseen; i++)
		if (strcmp(seen[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Run the loop for `ms`, or until `name` is handed out (when not NULL). */
static void
run(uint64_t ms, const char *name)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end && (name == NULL || found(name) < 0))
		ev_run_once((int)(end - now_ms()), NULL);
}

static void
write_in(const char *name, const char *data)
{
	char *p = xasprintf("%s/%s", inbox, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			perror(p);
		close(fd);
	}
	free(p);
}

int
main(void)
{
	struct watch_cfg cfg;
	struct watch *w;
	struct watch_stats stats;
	char *why = NULL, *p, *q;
	static char bak[] = "*.bak";
	char *ignore[] = {bak, NULL};
	int i, more = 0, fd;

	log_init("test", LOG_TARGET_STDERR, LOG_LVL_ERR, 0);
	ok(mkdtemp(root) != NULL, "temp dir");
	snprintf(inbox, sizeof(inbox), "%s/inbox", root);
	snprintf(done, sizeof(done), "%s/done", root);
	mkdir(inbox, 0755);
	mkdir(done, 0755);
	ok(ev_init(&why) == 0, "event loop");

	/* the ignore rules */
	memset(&cfg, 0, sizeof(cfg));
	cfg.ignore = ignore;
	ok(watch_ignored(&cfg, ".hidden") && watch_ignored(&cfg, "a.tmp") &&
	       watch_ignored(&cfg, "a.part") && watch_ignored(&cfg, "A.TMP") &&
	       watch_ignored(&cfg, "old.bak"),
	   "dot-files, *.tmp, *.part and configured patterns are ignored");
	ok(!watch_ignored(&cfg, "invoice.xml") && !watch_ignored(&cfg, "tmp.xml"),
	   "ordinary names are not");

	/* present before the watch; settle 0: taken by the first listing */
	write_in("early.xml", "<x/>");
	write_in(".hidden.xml", "<x/>");
	write_in("upload.xml.part", "<x/>");
	write_in("old.bak", "<x/>");
	write_in("empty.xml", "");
	cfg.settle_ms = 0;
	cfg.rescan_ms = 60000;
	cfg.scan_batch = 100;
	take = 1;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	ok(w != NULL, "watch: %s", why ? why : "ok");
	run(2000, "early.xml");
	ok(found("early.xml") >= 0, "a file present before the watch is found by the first scan");
	ok(watch_scan(w, NULL, &why) == 0, "scan again");
	ok(nseen == 1, "ignored names and the empty file were not handed out (%zu)", nseen);
	watch_free(w);
	reset();

	/* renamed in: at once, even with a settle time of an hour */
	cfg.settle_ms = 3600 * 1000;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	run(200, NULL);
	p = xasprintf("%s/ready.xml", root);
	q = xasprintf("%s/ready.xml", inbox);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && write(fd, "<x/>", 4) == 4 && close(fd) == 0, "write outside inbox");
	ok(rename(p, q) == 0, "rename into inbox");
	run(5000, "ready.xml");
	ok(found("ready.xml") >= 0 && seen_renamed[found("ready.xml")],
	   "renamed-in file handed out at once (settle is 1h)");
	free(p);
	free(q);
	/* written in place: waits for settle */
	write_in("inplace.xml", "<x/>");
	run(300, NULL);
	ok(watch_scan(w, NULL, &why) == 0 && found("inplace.xml") < 0,
	   "file written in place is not taken before settle");
	/* hostile types do not settle: they are refused at once */
	p = xasprintf("%s/link.xml", inbox);
	ok(symlink("/etc/passwd", p) == 0, "symlink in inbox");
	free(p);
	p = xasprintf("%s/pipe.xml", inbox);
	ok(mkfifo(p, 0644) == 0, "FIFO in inbox");
	free(p);
	ok(watch_scan(w, NULL, &why) == 0 && found("link.xml") >= 0 && found("pipe.xml") >= 0,
	   "symlink and FIFO handed out at once (to be refused)");
	watch_free(w);
	reset();
	p = xasprintf("%s/inplace.xml", inbox);
	unlink(p);
	free(p);

	/* a slow writer: a chunk every 100 ms, settle 1 s: never taken early (the margin
	 * is for loaded machines: the writer must not pause longer than settle) */
	cfg.settle_ms = 1000;
	cfg.rescan_ms = 150;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	for (i = 0; i < 12; i++) {
		write_in("slow.xml", "<chunk>0123456789</chunk>\n");
		run(100, NULL);
	}
	ok(found("slow.xml") < 0, "not taken while it grows (%d writes over 1.2 s, settle 1 s)", i);
	run(5000, "slow.xml");
	ok(found("slow.xml") >= 0, "taken once it settled");
	ok(found("slow.xml") >= 0 && seen_size[found("slow.xml")] == 12 * 26,
	   "taken complete: %lld bytes",
	   (long long)(found("slow.xml") >= 0 ? seen_size[found("slow.xml")] : -1));
	watch_free(w);
	reset();

	/* no event at all (writer keeps the file open): the rescan finds it */
	cfg.settle_ms = 100;
	cfg.rescan_ms = 200;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	run(100, NULL);
	p = xasprintf("%s/quiet.xml", inbox);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && write(fd, "<x/>", 4) == 4, "written, still open: no IN_CLOSE_WRITE");
	run(5000, "quiet.xml");
	ok(found("quiet.xml") >= 0, "the periodic rescan found it");
	close(fd);
	free(p);
	watch_free(w);
	reset();

	/* inotify off: a renamed-in file is found by the rescan, after settle */
	cfg.no_inotify = 1;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	run(50, NULL);
	p = xasprintf("%s/r2.xml", root);
	q = xasprintf("%s/r2.xml", inbox);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0 && write(fd, "<x/>", 4) == 4 && close(fd) == 0 && rename(p, q) == 0,
	   "renamed in without inotify");
	run(5000, "r2.xml");
	ok(found("r2.xml") >= 0 && !seen_renamed[found("r2.xml")], "rescan found it");
	free(p);
	free(q);
	watch_free(w);
	reset();

	/* 300 waiting files, batches of 10: oldest first, memory bounded by the batch */
	cfg.settle_ms = 0;
	cfg.rescan_ms = 60000;
	cfg.scan_batch = 10;
	for (i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%03d.xml", i);
		write_in(name, "<x/>");
	}
	take = 0;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	ok(watch_scan(w, &more, &why) == 0 && nseen == 10 && more,
	   "one scan hands out 10, more left");
	ok(nseen == 10 && strcmp(seen[0], "f000.xml") == 0 && strcmp(seen[9], "f009.xml") == 0,
	   "the ten oldest, oldest first");
	reset();
	take = 1;
	run(10000, "f299.xml");
	ok(found("f299.xml") >= 0 && nseen == 300, "all 300 handed out in batches (%zu)", nseen);
	{
		int inorder = 1;
		for (i = 1; i < (int)nseen; i++)
			if (strcmp(seen[i - 1], seen[i]) > 0)
				inorder = 0;
		ok(inorder, "in age order");
	}
	watch_get_stats(w, &stats);
	ok(stats.heap_max <= 10, "never more than scan_batch candidates held (%zu)",
	   stats.heap_max);
	watch_free(w);
	reset();

	/* the gateway is full: nothing more until watch_resume() */
	for (i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "g%d.xml", i);
		write_in(name, "<x/>");
	}
	limit = 2;
	w = watch_new(inbox, &cfg, on_cand, NULL, &why);
	run(300, NULL);
	ok(nseen == 2, "stopped after 2 (%zu)", nseen);
	limit = 0;
	watch_resume(w);
	run(3000, "g4.xml");
	ok(nseen == 5, "resumed: the rest (%zu)", nseen);
	watch_free(w);
	reset();

	/* the inotify queue overflows (events pile up while the loop is busy): the file
	 * whose event was dropped is found by the rescan the overflow triggers, not by the
	 * periodic one (a day away) */
	{
		long maxq = 0;
		FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
		if (f) {
			if (fscanf(f, "%ld", &maxq) != 1)
				maxq = 0;
			fclose(f);
		}
		if (maxq <= 0 || maxq > 200000) {
			ok(1, "# SKIP max_queued_events is %ld", maxq);
			ok(1, "# SKIP overflow");
		} else {
			char *outside = xasprintf("%s/outside", root);
			long n;
			int fails = 0;
			cfg.rescan_ms = 86400000;
			cfg.no_inotify = 0;
			cfg.settle_ms = 0;
			take = 1;
			w = watch_new(inbox, &cfg, on_cand, NULL, &why);
			run(200, NULL);
			reset();
			/* ignored names still queue a kernel event each: fill the queue */
			mkdir(outside, 0755);
			for (n = 0; n <= maxq; n++) {
				char name[sizeof(inbox) + 32];
				snprintf(name, sizeof(name), "%s/.f%ld", inbox, n);
				fd = open(name, O_WRONLY | O_CREAT, 0644);
				if (fd < 0 || close(fd) != 0)
					fails++;
			}
			p = xasprintf("%s/lost.xml", outside);
			q = xasprintf("%s/lost.xml", inbox);
			fd = open(p, O_WRONLY | O_CREAT, 0644);
			ok(fails == 0 && fd >= 0 && write(fd, "<x/>", 4) == 4 && close(fd) == 0 &&
			       rename(p, q) == 0,
			   "%ld ignored files created, then lost.xml renamed in", maxq + 1);
			free(p);
			free(q);
			run(5000, "lost.xml");
			watch_get_stats(w, &stats);
			ok(stats.overflows >= 1 && found("lost.xml") >= 0,
			   "queue overflowed (%llu): lost.xml found by the rescan it triggers",
			   (unsigned long long)stats.overflows);
			watch_free(w);
			reset();
			free(outside);
		}
	}

	ev_fini();
	free(why);
	p = xasprintf("rm -rf '%s'", root);
	if (system(p) != 0)
		perror(p);
	free(p);
	return done_testing();
}
