/*
 * cmd-check-config.c - `chorusgw check-config`: validate the configuration and the
 * spool and print the effective configuration; --keys lists every key (conf.c's
 * table), --init creates the spool's folders. Never uses the network.
 *
 * Errors: one line on stderr each; exit 0, 2 (usage) or 3 (configuration or spool).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "spool.h"

/* --init: the spool's folders with safe modes; only [spool] dir is needed. */
static int
init_spool(const struct cmd_ctx *ctx)
{
	char *why = NULL;
	struct conf *c = cmd_load_conf(ctx, CONF_NEED_SPOOL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	if (spool_init(c->spool_dir, &why) == -1) {
		fprintf(stderr, "chorusgw: spool: %s\n", why);
		free(why);
		conf_free(c);
		return EXIT_CONFIG;
	}
	fprintf(stderr, "chorusgw: spool %s is ready\n", c->spool_dir);
	conf_free(c);
	return EXIT_OK;
}

static int
cmd_check_config(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {
	    {"keys", no_argument, NULL, 'k'}, {"init", no_argument, NULL, 'i'}, {0}};
	char seen[8], *why = NULL;
	struct conf *c;
	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (cmd_no_operands(ctx, argc, first))
		return EXIT_USAGE;
	if (strchr(seen, 'k')) {
		conf_print_keys(stdout);
		return EXIT_OK;
	}
	if (strchr(seen, 'i'))
		return init_spool(ctx);
	c = cmd_load_conf(ctx, CONF_NEED_ALL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	conf_print(c, stdout);
	if (c->spool_dir && spool_check(c->spool_dir, &why) == -1) {
		fprintf(stderr, "chorusgw: spool: %s\n", why);
		free(why);
		conf_free(c);
		return EXIT_CONFIG;
	}
	conf_free(c);
	fprintf(stderr, "chorusgw: %s: configuration OK\n", ctx->conf_path);
	return EXIT_OK;
}

const struct cmd_entry cmd_check_config_entry = {
    "check-config", cmd_check_config, "[--keys | --init]",
    "validate the configuration and the spool, print the effective configuration",
    "  --keys    list every configuration key with its type, default and meaning\n"
    "  --init    create the spool's folders with safe modes (only [spool] dir is needed)\n"};
