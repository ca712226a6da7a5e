/*
 * main.c - the command line: global options, then dispatch to the command named (the
 * table below; each command lives in a cmd-*.c file and parses its own options).
 *
 * Every error reaches the user as one line on stderr that names what is wrong and
 * what to do; the exit code says which kind of failure it was (cmd.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SYSCONFDIR "/chorusgw/chorusgw.ini"

static int cmd_help(const struct cmd_ctx *, int, char **);

static const struct cmd_entry cmd_help_entry = {"help", cmd_help, "[COMMAND]",
                                                "show help for a command", ""};

/* Every command, in the order `chorusgw --help` lists them. */
static const struct cmd_entry *const commands[] = {
    &cmd_run_entry,      &cmd_once_entry,         &cmd_reconcile_entry,
    &cmd_complete_entry, &cmd_recycle_entry,      &cmd_test_connection_entry,
    &cmd_lookup_entry,   &cmd_check_config_entry, &cmd_transform_entry,
    &cmd_validate_entry, &cmd_rules_entry,        &cmd_queue_entry,
    &cmd_retry_entry,    &cmd_hold_entry,         &cmd_release_entry,
    &cmd_reload_entry,   &cmd_help_entry,
};

static const struct cmd_entry *
find_command(const char *name)
{
	size_t i;
	for (i = 0; i < nitems(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: chorusgw [-c FILE] [-v] COMMAND [ARGS]\n"
	           "       chorusgw --help | --version\n\n"
	           "Deposit ERP invoices dropped in a spool folder to Chorus Pro.\n\n"
	           "Options:\n"
	           "  -c, --config FILE  configuration file (default " DEFAULT_CONF ",\n"
	           "                     or $CHORUSGW_CONFIG)\n"
	           "  -v, --verbose      log debug messages\n"
	           "  -h, --help         this help; `chorusgw help COMMAND` for a command\n"
	           "  -V, --version      print the version\n\n"
	           "Commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nExit codes: 0 ok, 1 runtime error, 2 usage error, 3 configuration error,\n"
	           "4 documents rejected, 5 Chorus Pro set-up/unreachable, 6 documents pending.\n"
	           "See chorusgw(8) and chorusgw.ini(5).\n");
}

static int
cmd_help(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *c;
	(void)ctx;
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "chorusgw: help: unknown command \"%s\"\n", argv[1]);
		return EXIT_USAGE;
	}
	cmd_usage(stdout, c);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"verbose", no_argument, NULL, 'v'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {0}};
	struct cmd_ctx ctx;
	const struct cmd_entry *c;
	int ch;

	memset(&ctx, 0, sizeof(ctx));
	ctx.conf_path = getenv("CHORUSGW_CONFIG");
	if (ctx.conf_path == NULL || *ctx.conf_path == '\0')
		ctx.conf_path = DEFAULT_CONF;
	log_init("chorusgw", LOG_TARGET_STDERR, LOG_LVL_INFO, LOG_DAEMON);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.conf_path = optarg;
			break;
		case 'v':
			ctx.verbose++;
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("chorusgw %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			if (optopt == 'c')
				fprintf(stderr, "chorusgw: -c needs a FILE\n");
			else
				fprintf(stderr, "chorusgw: unknown option %s\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "chorusgw: no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[optind]);
	if (c == NULL) {
		fprintf(stderr, "chorusgw: unknown command \"%s\"; `chorusgw --help` lists them\n",
		        argv[optind]);
		return EXIT_USAGE;
	}
	ctx.name = c->name;
	ctx.entry = c;
	return c->fn(&ctx, argc - optind, argv + optind);
}
