/*
 * cmd-reload.c - `chorusgw reload PID`: check the configuration as the running daemon
 * would load it, and only when it is usable send the daemon SIGHUP. The unit's
 * ExecReload uses it, so a reload needs no kill(1) (procps, absent from minimal
 * systems) and `systemctl reload` fails, saying why, on a configuration with errors
 * instead of the daemon logging that it kept the old one.
 *
 * Errors: one line on stderr each; exit 0, 1 (the signal could not be sent), 2 (usage)
 * or 3 (configuration).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "fileio.h"
#include "util.h"

/* Is `pid` a chorusgw process? A stale or mistyped pid must not get a SIGHUP, which
 * ends most programs. 1 yes, 0 no (with what it is in `what`). */
static int
is_chorusgw(long pid, char *what, size_t n)
{
	char path[64];
	struct buf b = {0};
	int yes;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (read_file(path, 64, 0, &b, NULL) == -1) {
		snprintf(what, n, "no such process");
		return 0;
	}
	b.p[strcspn(b.p, "\n")] = '\0';
	yes = strcmp(b.p, "chorusgw") == 0;
	snprintf(what, n, "it is %s", b.p);
	buf_free(&b);
	return yes;
}

static int
cmd_reload(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4], what[96], *end;
	struct conf *c;
	long pid;
	CMD_OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (argc - first != 1) {
		fprintf(stderr, "chorusgw: reload: give the daemon's process id\n");
		cmd_usage(stderr, ctx->entry);
		return EXIT_USAGE;
	}
	errno = 0;
	pid = strtol(argv[first], &end, 10);
	if (errno || *end || end == argv[first] || pid <= 1) {
		fprintf(stderr, "chorusgw: reload: \"%s\" is not a process id\n", argv[first]);
		return EXIT_USAGE;
	}
	c = cmd_load_conf(ctx, CONF_NEED_ALL, 0);
	if (c == NULL) {
		fprintf(stderr,
		        "chorusgw: reload: %s has errors; the daemon keeps running with "
		        "the configuration it has\n",
		        ctx->conf_path);
		return EXIT_CONFIG;
	}
	conf_free(c);
	if (!is_chorusgw(pid, what, sizeof(what))) {
		fprintf(stderr, "chorusgw: reload: process %ld is not chorusgw (%s)\n", pid, what);
		return EXIT_RUNTIME;
	}
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "chorusgw: reload: signal process %ld: %s\n", pid, strerror(errno));
		return EXIT_RUNTIME;
	}
	fprintf(stderr,
	        "chorusgw: reload: %s is valid; process %ld reloads it once its calls "
	        "in flight end\n",
	        ctx->conf_path, pid);
	return EXIT_OK;
}

const struct cmd_entry cmd_reload_entry = {
    "reload", cmd_reload, "PID",
    "check the configuration, then make the daemon PID reload it (SIGHUP)", ""};
