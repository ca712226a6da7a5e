/*
 * cmd-rules.c - `chorusgw rules`: the table of every rule the pre-flight answers for
 * (rules.c), one line a rule, or the page chorusgw-rules(7) with --mdoc.
 *
 * Errors: one line on stderr; exit 0, 1 (the output cannot be written) or 2 (usage).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "rules.h"

static int
cmd_rules(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"mdoc", no_argument, NULL, 'm'}, {0}};
	char seen[4];
	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (cmd_no_operands(ctx, argc, first))
		return EXIT_USAGE;
	if (rules_print(stdout, strchr(seen, 'm') != NULL) == -1) {
		fprintf(stderr, "chorusgw: rules: cannot write the output: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_rules_entry = {
    "rules", cmd_rules, "[--mdoc]", "list every rule the pre-flight answers for",
    "  --mdoc    print the page chorusgw-rules(7) instead of one line a rule\n"};
