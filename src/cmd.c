/*
 * cmd.c - what the commands share: loading the configuration (and starting the log
 * as it says), opening the spool with its settings, a command's option parsing and
 * usage, waiting for a client's reply. gateway.c and reconcile.c use the first two;
 * nothing here knows the commands.
 *
 * Errors: every problem reaches the user as one line on stderr; functions return
 * NULL, -1 or an exit code (cmd.h) as their comment says.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cmd.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "spool.h"
#include "util.h"

struct conf *
cmd_load_conf(const struct cmd_ctx *ctx, unsigned flags, int daemon)
{
	char *why = NULL;
	struct conf *c = conf_load(ctx->conf_path, flags, &why);
	enum log_target t;
	if (c == NULL) {
		char *save = NULL, *line;
		for (line = strtok_r(why, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			fprintf(stderr, "chorusgw: %s\n", line);
		free(why);
		return NULL;
	}
	t = (enum log_target)c->log_target;
	/* One-shot commands keep talking to the person or cron job that ran them. */
	if (t == LOG_TARGET_AUTO && !daemon)
		t = LOG_TARGET_STDERR;
	log_init("chorusgw", t, ctx->verbose ? LOG_LVL_DEBUG : (enum log_level)c->log_level,
	         c->log_facility);
	return c;
}

struct spool *
cmd_open_spool(const struct conf *c, unsigned spool_flags, char **why)
{
	struct spool_cfg sc;
	memset(&sc, 0, sizeof(sc));
	sc.file_mode = (mode_t)c->file_mode;
	sc.json_receipts = c->json_receipts;
	sc.max_size = c->max_size;
	return spool_open(c->spool_dir, &sc, spool_flags, why);
}

void
cmd_usage(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, "usage: chorusgw [-c FILE] %s%s%s\n%s.\n", e->name, *e->args ? " " : "", e->args,
	        e->summary);
	if (*e->help)
		fprintf(f, "\n%s", e->help);
}

/* The argument of each option letter met by the last cmd_parse_opts() (argv's). */
static const char *opt_args[128];

const char *
cmd_opt_arg(int letter)
{
	return letter > 0 && letter < (int)nitems(opt_args) ? opt_args[letter] : NULL;
}

int
cmd_parse_opts(const struct cmd_ctx *ctx, int argc, char **argv, const struct option *extra,
               const char *shortopts, char *seen, size_t seenlen)
{
	struct option opts[8];
	size_t n = 0, k = 0;
	int ch;

	memset(opt_args, 0, sizeof(opt_args));
	memset(opts, 0, sizeof(opts));
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	while (extra && extra[k].name && n < nitems(opts) - 1)
		opts[n++] = extra[k++];
	optind = 1;
	opterr = 0;
	if (seen)
		memset(seen, 0, seenlen);
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (ch == 'h') {
			cmd_usage(stdout, ctx->entry);
			return -2;
		}
		if (ch == '?') {
			fprintf(stderr, "chorusgw: %s: unknown option %s\n", ctx->name,
			        argv[optind - 1]);
			cmd_usage(stderr, ctx->entry);
			return -1;
		}
		if (seen && strlen(seen) + 1 < seenlen)
			seen[strlen(seen)] = (char)ch;
		if (ch > 0 && ch < (int)nitems(opt_args))
			opt_args[ch] = optarg;
	}
	return optind;
}

int
cmd_no_operands(const struct cmd_ctx *ctx, int argc, int first)
{
	if (first < argc) {
		fprintf(stderr, "chorusgw: %s: takes no arguments\n", ctx->name);
		cmd_usage(stderr, ctx->entry);
		return -1;
	}
	return 0;
}

int
cmd_takes_nothing(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	CMD_OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	return cmd_no_operands(ctx, argc, first) ? EXIT_USAGE : -1;
}

void *
cmd_wait(const char *name, struct cmd_wait *w)
{
	char *why = NULL;
	if (http_run_until(&w->done, &why) == -1) {
		fprintf(stderr, "chorusgw: %s: %s\n", name, why);
		free(why);
		return NULL;
	}
	return w->reply;
}
