/*
 * main.c - the command line: global options, one function per command, exit codes.
 *
 * Every error reaches the user as one line on stderr that names what is wrong and
 * what to do; the exit code says which kind of failure it was (cmd.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "util.h"
#include "xform.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SYSCONFDIR "/chorusgw/chorusgw.ini"

typedef int cmd_fn(const struct cmd_ctx *, int argc, char **argv);

struct command {
	const char *name;
	cmd_fn *fn;
	const char *args;
	const char *summary;
	const char *help; /* options, one per line */
};

static int cmd_run(const struct cmd_ctx *, int, char **);
static int cmd_once(const struct cmd_ctx *, int, char **);
static int cmd_reconcile(const struct cmd_ctx *, int, char **);
static int cmd_test_connection(const struct cmd_ctx *, int, char **);
static int cmd_check_config(const struct cmd_ctx *, int, char **);
static int cmd_transform(const struct cmd_ctx *, int, char **);
static int cmd_validate(const struct cmd_ctx *, int, char **);
static int cmd_queue(const struct cmd_ctx *, int, char **);
static int cmd_retry(const struct cmd_ctx *, int, char **);
static int cmd_hold(const struct cmd_ctx *, int, char **);
static int cmd_release(const struct cmd_ctx *, int, char **);
static int cmd_help(const struct cmd_ctx *, int, char **);

static const struct command commands[] = {
    {"run", cmd_run, "",
     "watch the spool, transform, deposit and follow deposit reports (the daemon)",
     "Runs in the foreground; systemd Type=notify. SIGHUP reloads the configuration\n"
     "for new work, SIGTERM stops taking files and drains what is in flight.\n"},
    {"once", cmd_once, "",
     "process everything pending once, wait for deposit reports (bounded), exit",
     "Exit 0 when every document reached accepted/, 4 when some were rejected,\n"
     "6 when some were still waiting for Chorus Pro when [gateway] once_wait ran out.\n"},
    {"reconcile", cmd_reconcile, "",
     "refresh the Chorus Pro status of every document not yet final", ""},
    {"test-connection", cmd_test_connection, "",
     "check the PISTE token, each Chorus Pro API and the technical account",
     "Prints one line per step; on failure, the set-up step to check.\n"},
    {"check-config", cmd_check_config, "[--keys]",
     "validate the configuration and the spool, print the effective configuration",
     "  --keys    list every configuration key with its type, default and meaning\n"},
    {"transform", cmd_transform, "FILE", "print the Chorus Pro XML made from FILE", ""},
    {"validate", cmd_validate, "FILE",
     "print the pre-flight verdict for FILE (exit 0 only if it can be sent)", ""},
    {"queue", cmd_queue, "[--json]", "list documents by state",
     "  --json    one JSON object per line\n"},
    {"retry", cmd_retry, "[--force] ID...|-", "retry documents now (ids, or - for stdin)",
     "  --force   deposit again even if the duplicate index says it was sent\n"},
    {"hold", cmd_hold, "ID...|-", "stop deposit attempts for documents", ""},
    {"release", cmd_release, "ID...|-", "resume held documents", ""},
    {"help", cmd_help, "[COMMAND]", "show help for a command", ""},
};

static const struct command *
find_command(const char *name)
{
	size_t i;
	for (i = 0; i < nitems(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
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
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nExit codes: 0 ok, 1 runtime error, 2 usage error, 3 configuration error,\n"
	           "4 documents rejected, 5 Chorus Pro set-up/unreachable, 6 documents pending.\n"
	           "See chorusgw(8) and chorusgw.ini(5).\n");
}

static void
command_usage(FILE *f, const struct command *c)
{
	fprintf(f, "usage: chorusgw [-c FILE] %s%s%s\n%s.\n", c->name, *c->args ? " " : "", c->args,
	        c->summary);
	if (*c->help)
		fprintf(f, "\n%s", c->help);
}

/* Parse a command's options: only --help (and those in `extra`) are known. Returns
 * the index of the first operand, or -1 after printing a usage error, or -2 after
 * printing the command's help. `flags` receives the letters seen. */
static int
command_opts(const struct cmd_ctx *ctx, int argc, char **argv, const struct option *extra,
             const char *shortopts, char *seen, size_t seenlen)
{
	struct option opts[8];
	size_t n = 0, k = 0;
	int ch;
	const struct command *c = find_command(ctx->name);

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
			command_usage(stdout, c);
			return -2;
		}
		if (ch == '?') {
			fprintf(stderr, "chorusgw: %s: unknown option %s\n", ctx->name,
			        argv[optind - 1]);
			command_usage(stderr, c);
			return -1;
		}
		if (seen && strlen(seen) + 1 < seenlen)
			seen[strlen(seen)] = (char)ch;
	}
	return optind;
}

#define OPTS_OR_RETURN(ctx, argc, argv, extra, shortopts, seen)                          \
	int first = command_opts(ctx, argc, argv, extra, shortopts, seen, sizeof(seen)); \
	if (first == -2)                                                                 \
		return EXIT_OK;                                                          \
	if (first < 0)                                                                   \
	return EXIT_USAGE

static int
no_operands(const struct cmd_ctx *ctx, int argc, int first)
{
	if (first < argc) {
		fprintf(stderr, "chorusgw: %s: takes no arguments\n", ctx->name);
		command_usage(stderr, find_command(ctx->name));
		return -1;
	}
	return 0;
}

struct conf *
cmd_load_conf(const struct cmd_ctx *ctx, unsigned flags, int daemon)
{
	char *why = NULL;
	struct conf *c = conf_load(ctx->conf_path, flags, &why);
	if (c == NULL) {
		char *save = NULL, *line;
		for (line = strtok_r(why, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			fprintf(stderr, "chorusgw: %s\n", line);
		free(why);
		return NULL;
	}
	{
		enum log_target t = (enum log_target)c->log_target;
		/* One-shot commands keep talking to the person or cron job that ran them. */
		if (t == LOG_TARGET_AUTO && !daemon)
			t = LOG_TARGET_STDERR;
		log_init("chorusgw", t, ctx->verbose ? LOG_LVL_DEBUG : (enum log_level)c->log_level,
		         c->log_facility);
	}
	return c;
}

static int
not_yet(const struct cmd_ctx *ctx, const char *what)
{
	fprintf(stderr, "chorusgw: %s: not available in this build yet (%s)\n", ctx->name, what);
	return EXIT_RUNTIME;
}

static int
cmd_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the gateway's event loop is not built yet");
}

static int
cmd_once(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the gateway's pipeline is not built yet");
}

static int
cmd_reconcile(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "status reconciliation is not built yet");
}

static int
cmd_test_connection(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the Chorus Pro client is not built yet");
}

static int
cmd_check_config(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"keys", no_argument, NULL, 'k'}, {0}};
	char seen[8];
	struct conf *c;
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	if (strchr(seen, 'k')) {
		conf_print_keys(stdout);
		return EXIT_OK;
	}
	c = cmd_load_conf(ctx, CONF_NEED_ALL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	conf_print(c, stdout);
	conf_free(c);
	fprintf(stderr, "chorusgw: %s: configuration OK\n", ctx->conf_path);
	return EXIT_OK;
}

static int
one_file_operand(const struct cmd_ctx *ctx, int argc, int first)
{
	if (argc - first != 1) {
		fprintf(stderr, "chorusgw: %s: needs exactly one FILE\n", ctx->name);
		command_usage(stderr, find_command(ctx->name));
		return -1;
	}
	return 0;
}

/* Read FILE for transform/validate. EXIT_OK; EXIT_USAGE after a message when it
 * cannot be read; EXIT_REJECTED with *why when it is refused (too large, not a
 * regular file). */
static int
read_document(const struct cmd_ctx *ctx, const char *path, const struct conf *c, struct buf *b,
              char **why)
{
	struct stat st;
	if (stat(path, &st) == -1) {
		fprintf(stderr, "chorusgw: %s: cannot read %s: %s\n", ctx->name, path,
		        strerror(errno));
		return EXIT_USAGE;
	}
	if (read_file(path, (size_t)c->max_size, 0, b, why) == -1)
		return EXIT_REJECTED;
	return EXIT_OK;
}

static int
cmd_transform(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	struct conf *c;
	struct buf b;
	struct xform_result r;
	char *why = NULL;
	const char *path;
	int rc;
	size_t i;

	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (one_file_operand(ctx, argc, first))
		return EXIT_USAGE;
	path = argv[first];
	c = cmd_load_conf(ctx, CONF_OPTIONAL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	buf_init(&b);
	rc = read_document(ctx, path, c, &b, &why);
	if (rc != EXIT_OK) {
		if (why)
			fprintf(stderr, "chorusgw: %s; the document is refused\n", why);
		free(why);
		goto out;
	}
	if (xform_make(b.p, b.len, path, c, &r, &why) == -1) {
		fprintf(stderr, "chorusgw: %s: %s\n", path, why);
		for (i = 1; i < r.input.n; i++)
			fprintf(stderr, "chorusgw: %s: line %d: %s%s%s\n", path, r.input.v[i].line,
			        r.input.v[i].path ? r.input.v[i].path : "",
			        r.input.v[i].path ? ": " : "", r.input.v[i].msg);
		rc = r.setup ? EXIT_CONFIG : EXIT_REJECTED;
		free(why);
	} else if (fwrite(r.xml, 1, r.len, stdout) != r.len || fflush(stdout) != 0) {
		fprintf(stderr, "chorusgw: %s: cannot write the output: %s\n", ctx->name,
		        strerror(errno));
		rc = EXIT_RUNTIME;
	}
	xform_result_free(&r);
out:
	buf_free(&b);
	xform_cleanup();
	conf_free(c);
	return rc;
}

/* "UBL 2.1 Invoice made from the ERP export by erp-to-ubl.xsl: invoice F1 (380)..." */
static void
describe(FILE *f, const struct preflight *pf)
{
	const struct invoice *inv = pf->inv;
	const char *syn = pf->x.syntax == SYNTAX_CII ? "CII D16B" : "UBL 2.1";
	if (pf->x.kind == XK_UBL || pf->x.kind == XK_CII)
		fprintf(f, "%s, passed through", pf->x.what);
	else {
		const char *sheet = pf->x.stylesheet ? strrchr(pf->x.stylesheet, '/') : NULL;
		fprintf(f, "%s %s made from the %s by %s", syn,
		        inv && inv->ubl_credit_note  ? "CreditNote"
		        : pf->x.syntax == SYNTAX_CII ? "CrossIndustryInvoice"
		                                     : "Invoice",
		        pf->x.what, sheet ? sheet + 1 : pf->x.stylesheet);
	}
	if (inv == NULL)
		return;
	fprintf(f, ": invoice %s (type %s), supplier SIRET %s, buyer SIRET %s",
	        inv->number.text ? inv->number.text : "?",
	        inv->type_code.text ? inv->type_code.text : "?",
	        inv->supplier.siret.text ? inv->supplier.siret.text : "none",
	        inv->buyer.siret.text ? inv->buyer.siret.text : "none");
	if (inv->service_code.text)
		fprintf(f, ", service %s", inv->service_code.text);
	if (inv->engagement.text)
		fprintf(f, ", engagement %s", inv->engagement.text);
}

static int
cmd_validate(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	struct conf *c;
	struct buf b;
	struct preflight pf;
	const char *path;
	char *why = NULL;
	int rc;
	size_t i;

	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (one_file_operand(ctx, argc, first))
		return EXIT_USAGE;
	path = argv[first];
	c = cmd_load_conf(ctx, CONF_OPTIONAL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	buf_init(&b);
	rc = read_document(ctx, path, c, &b, &why);
	if (rc != EXIT_OK) {
		if (why)
			printf("%s: cannot be sent to Chorus Pro: 1 error, 0 warnings\n"
			       "error: %s (rule INPUT)\n",
			       path, why);
		free(why);
		goto out;
	}
	check_document(b.p, b.len, path, c, 0, &pf, NULL);
	if (pf.verdict == PF_SETUP) {
		printf("%s: cannot be checked: the configuration is at fault\n", path);
		rc = EXIT_CONFIG;
	} else if (pf.verdict == PF_OK) {
		printf("%s: can be sent to Chorus Pro (", path);
		describe(stdout, &pf);
		printf("); %zu warning%s\n", pf.problems.nwarnings,
		       pf.problems.nwarnings == 1 ? "" : "s");
		rc = EXIT_OK;
	} else {
		printf("%s: cannot be sent to Chorus Pro: %zu error%s, %zu warning%s", path,
		       pf.problems.nerrors, pf.problems.nerrors == 1 ? "" : "s",
		       pf.problems.nwarnings, pf.problems.nwarnings == 1 ? "" : "s");
		if (pf.x.doc) {
			printf(" (");
			describe(stdout, &pf);
			printf(")");
		}
		printf("\n");
		rc = EXIT_REJECTED;
	}
	for (i = 0; i < pf.problems.n; i++)
		printf("%s: %s\n", pf.problems.v[i].sev == SEV_ERROR ? "error" : "warning",
		       pf.problems.v[i].text);
	if (!pf.xsd_checked && pf.verdict != PF_SETUP && pf.x.doc)
		printf("note: not validated against the UBL/CII schemas ([transform] schema_dir is "
		       "empty)\n");
	if (fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
	preflight_free(&pf);
out:
	buf_free(&b);
	xform_cleanup();
	conf_free(c);
	return rc;
}

static int
cmd_queue(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"json", no_argument, NULL, 'j'}, {0}};
	char seen[8];
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the spool engine is not built yet");
}

static int
ids_operands(const struct cmd_ctx *ctx, int argc, int first)
{
	if (first >= argc) {
		fprintf(stderr, "chorusgw: %s: give queue ids, or - to read them from stdin\n",
		        ctx->name);
		command_usage(stderr, find_command(ctx->name));
		return -1;
	}
	return 0;
}

static int
cmd_retry(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"force", no_argument, NULL, 'f'}, {0}};
	char seen[8];
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (ids_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the spool engine is not built yet");
}

static int
cmd_hold(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (ids_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the spool engine is not built yet");
}

static int
cmd_release(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (ids_operands(ctx, argc, first))
		return EXIT_USAGE;
	return not_yet(ctx, "the spool engine is not built yet");
}

static int
cmd_help(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct command *c;
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
	command_usage(stdout, c);
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
	const struct command *c;
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
	return c->fn(&ctx, argc - optind, argv + optind);
}
