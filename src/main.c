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
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "chorus.h"
#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "gateway.h"
#include "http.h"
#include "json.h"
#include "reconcile.h"
#include "log.h"
#include "receipt.h"
#include "rules.h"
#include "spool.h"
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
static int cmd_rules(const struct cmd_ctx *, int, char **);
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
    {"check-config", cmd_check_config, "[--keys | --init]",
     "validate the configuration and the spool, print the effective configuration",
     "  --keys    list every configuration key with its type, default and meaning\n"
     "  --init    create the spool's folders with safe modes (only [spool] dir is needed)\n"},
    {"transform", cmd_transform, "FILE", "print the Chorus Pro XML made from FILE", ""},
    {"validate", cmd_validate, "FILE",
     "print the pre-flight verdict for FILE (exit 0 only if it can be sent)", ""},
    {"rules", cmd_rules, "[--mdoc]", "list every rule the pre-flight answers for",
     "  --mdoc    print the page chorusgw-rules(7) instead of one line a rule\n"},
    {"queue", cmd_queue, "[--json] [--all]", "list documents by state",
     "  --json    one JSON object per line\n"
     "  --all     also the accepted and rejected documents\n"},
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

/* The command line of a command that takes no option but --help and no operand: -1
 * when it is to run, else the exit code to return (after its help or a usage error). */
static int
takes_nothing(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	return no_operands(ctx, argc, first) ? EXIT_USAGE : -1;
}

static int
cmd_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : gateway_main(ctx, 0);
}

static int
cmd_once(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : gateway_main(ctx, 1);
}

static int
cmd_reconcile(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : reconcile_main(ctx);
}

/* ---- test-connection: one line per step, the set-up step to check on failure ---- */

struct tc {
	struct chorus *ch;
	int steps, failed, token_ok;
	char *last_setup; /* the last "->" line printed */
};

struct tc_wait {
	int done;
	struct chorus_reply *p;
};

static void
tc_done(struct chorus_reply *p, void *arg)
{
	struct tc_wait *w = arg;
	w->p = p;
	w->done = 1;
}

/* Wait for the operation started with `w` as its argument; NULL if the loop failed. */
static struct chorus_reply *
tc_wait(struct tc_wait *w)
{
	char *why = NULL;
	if (http_run_until(&w->done, &why) == -1) {
		fprintf(stderr, "chorusgw: test-connection: %s\n", why);
		free(why);
		return NULL;
	}
	return w->p;
}

/* Print a step's line; on failure the reason and what to check. 1 if it passed. */
static int
tc_line(struct tc *t, const char *step, const struct chorus_reply *p, const char *detail)
{
	t->steps++;
	if (p == NULL) {
		t->failed++;
		printf("FAIL  %-12s %7s  the event loop failed\n", step, "");
		return 0;
	}
	if (p->r.cls == CHORUS_OK) {
		printf("ok    %-12s %5llums  %s\n", step, (unsigned long long)p->r.elapsed_ms,
		       detail ? detail : "");
		return 1;
	}
	t->failed++;
	printf("FAIL  %-12s %5llums  %s\n", step, (unsigned long long)p->r.elapsed_ms,
	       p->r.reason ? p->r.reason : chorus_class_name(p->r.cls));
	if (p->r.setup && t->last_setup && strcmp(p->r.setup, t->last_setup) == 0)
		printf("      -> the same as above\n");
	else if (p->r.setup) {
		printf("      -> %s\n", p->r.setup);
		free(t->last_setup);
		t->last_setup = xstrdup(p->r.setup);
	}
	return 0;
}

static void
tc_skip(struct tc *t, const char *step, const char *why)
{
	t->steps++;
	t->failed++;
	printf("skip  %-12s %7s  %s\n", step, "", why);
}

static int
is_sandbox(const char *url)
{
	return strstr(url, "sandbox") != NULL;
}

static int
is_piste(const char *url)
{
	return strstr(url, ".piste.gouv.fr") != NULL ||
	       strstr(url, ".aife.economie.gouv.fr") != NULL;
}

static int
cmd_test_connection(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char *why = NULL, *detail;
	struct conf *c;
	struct tc t;
	struct tc_wait w;
	struct chorus_reply *p;
	const char *siret = NULL, *login;
	size_t i;
	int rc = takes_nothing(ctx, argc, argv);
	if (rc >= 0)
		return rc;
	c = cmd_load_conf(ctx, CONF_NEED_CHORUS | CONF_OPTIONAL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	memset(&t, 0, sizeof(t));
	if (ev_init(&why) == -1 || (t.ch = chorus_new(c, NULL, &why)) == NULL) {
		fprintf(stderr, "chorusgw: test-connection: %s\n", why);
		free(why);
		conf_free(c);
		return EXIT_RUNTIME;
	}
	login = chorus_account_login(t.ch, NULL);
	printf("chorusgw test-connection: %s mode\n  token %s\n  API   %s\n",
	       c->mode == MODE_PRODUCTION ? "production" : "qualification", c->token_url,
	       c->api_url);
	if (!is_piste(c->token_url) || !is_piste(c->api_url))
		; /* another address (a proxy, a test server): nothing to compare */
	else if (is_sandbox(c->token_url) != is_sandbox(c->api_url))
		printf("note: token_url and api_url are not of the same PISTE environment (one is "
		       "the sandbox); a token of one is refused by the other\n");
	else if (is_sandbox(c->api_url) == (c->mode == MODE_PRODUCTION))
		printf("note: [chorus] mode = %s but the URLs are those of the %s\n",
		       c->mode == MODE_PRODUCTION ? "production" : "qualification",
		       is_sandbox(c->api_url) ? "sandbox (qualification)" : "production");

	/* 1. the token: nothing else can work without it */
	memset(&w, 0, sizeof(w));
	chorus_token(t.ch, tc_done, &w);
	p = tc_wait(&w);
	detail = p ? xasprintf("PISTE application %s: token valid %llds", c->client_id,
	                       (long long)p->token_expires_in_s)
	           : NULL;
	t.token_ok = tc_line(&t, "PISTE token", p, detail);
	free(detail);
	chorus_reply_free(p);

	if (!t.token_ok) {
		tc_skip(&t, "health-check", "needs a PISTE token");
		tc_skip(&t, "Factures", "needs a PISTE token");
		tc_skip(&t, "Transverses", "needs a PISTE token");
		tc_skip(&t, "Structures", "needs a PISTE token");
		goto out;
	}

	/* 2. health-check */
	memset(&w, 0, sizeof(w));
	chorus_health(t.ch, NULL, tc_done, &w);
	p = tc_wait(&w);
	tc_line(&t, "health-check", p, "GET /cpro/transverses/v1/health-check: Chorus Pro answers");
	chorus_reply_free(p);

	/* 3. Factures: the cheapest search, one result at most */
	{
		struct chorus_search_req q;
		memset(&q, 0, sizeof(q));
		q.max_results = 1;
		memset(&w, 0, sizeof(w));
		chorus_search(t.ch, &q, tc_done, &w);
		p = tc_wait(&w);
		detail = p ? xasprintf("rechercher/fournisseur: %lld invoice(s) visible to %s",
		                       (long long)p->invoices.total, login)
		           : NULL;
		tc_line(&t, "Factures", p, detail);
		free(detail);
		chorus_reply_free(p);
	}

	/* 4. Transverses: which structures the technical account acts for */
	memset(&w, 0, sizeof(w));
	chorus_own_structures(t.ch, NULL, tc_done, &w);
	p = tc_wait(&w);
	if (p && p->r.cls == CHORUS_OK) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "recuperer/structures/actives/fournisseur: %s acts for", login);
		for (i = 0; i < p->own.n && i < 8; i++)
			buf_printf(&b, "%s %s", i ? "," : "",
			           p->own.v[i].siret ? p->own.v[i].siret : "?");
		if (p->own.n > 8)
			buf_printf(&b, " and %zu more", p->own.n - 8);
		if (p->own.n == 0)
			buf_adds(&b, " no active structure");
		tc_line(&t, "Transverses", p, b.p);
		buf_free(&b);
		for (i = 0; i < c->nsuppliers; i++) {
			size_t j;
			int found = 0;
			if (c->suppliers[i].tech_login)
				continue; /* its own account, checked below */
			for (j = 0; j < p->own.n; j++)
				if (p->own.v[j].siret &&
				    strcmp(p->own.v[j].siret, c->suppliers[i].siret) == 0)
					found = 1;
			if (!found)
				printf("note: [supplier.%s] is not among the structures of %s: its "
				       "deposits "
				       "will be refused; attach the account to it in Chorus Pro, "
				       "or give the "
				       "section its own tech_login\n",
				       c->suppliers[i].siret, login);
		}
	} else
		tc_line(&t, "Transverses", p, NULL);

	/* 5. Structures: the supplier's own structure (also shows when the technical
	 * account's password expires) */
	for (i = 0; i < c->nsuppliers && siret == NULL; i++)
		if (c->suppliers[i].tech_login == NULL) /* one the [chorus] account acts for */
			siret = c->suppliers[i].siret;
	if (siret == NULL && p && p->own.n > 0 && p->own.v[0].siret)
		siret = p->own.v[0].siret;
	if (siret) {
		struct tc_wait w2;
		struct chorus_reply *s;
		memset(&w2, 0, sizeof(w2));
		chorus_structure(t.ch, siret, 1, tc_done, &w2);
		s = tc_wait(&w2);
		if (s && s->r.cls == CHORUS_OK) {
			struct buf b;
			buf_init(&b);
			if (s->structure.found)
				buf_printf(&b, "rechercher SIRET %s: %s (%s)", siret,
				           s->structure.name ? s->structure.name : "?",
				           s->structure.status ? s->structure.status : "?");
			else
				buf_printf(&b,
				           "rechercher SIRET %s: no such structure in Chorus Pro",
				           siret);
			if (s->structure.password_expiry) {
				time_t exp;
				char day[11];
				snprintf(day, sizeof(day), "%s", s->structure.password_expiry);
				buf_printf(&b, "; technical account password expires %s", day);
				if (strlen(day) == 10) {
					char *iso = xasprintf("%sT00:00:00Z", day);
					if (parse_time_utc(iso, &exp) == 0 &&
					    exp - time(NULL) < 30 * 86400)
						buf_adds(
						    &b,
						    " (SOON: change it in Chorus Pro and in the "
						    "configuration)");
					free(iso);
				}
			}
			tc_line(&t, "Structures", s, b.p);
			buf_free(&b);
		} else
			tc_line(&t, "Structures", s, NULL);
		chorus_reply_free(s);
	} else
		tc_skip(
		    &t, "Structures",
		    "no SIRET to look up: add a [supplier.SIRET] section for your establishment");
	chorus_reply_free(p);

	/* 6. every other technical account ([supplier.SIRET] tech_login) */
	for (i = 0; i < c->nsuppliers; i++) {
		const struct conf_supplier *s = &c->suppliers[i];
		char *step;
		size_t j;
		int found = 0;
		if (s->tech_login == NULL)
			continue;
		memset(&w, 0, sizeof(w));
		chorus_own_structures(t.ch, s->siret, tc_done, &w);
		p = tc_wait(&w);
		step = xstrdup("account");
		for (j = 0; p && j < p->own.n; j++)
			if (p->own.v[j].siret && strcmp(p->own.v[j].siret, s->siret) == 0)
				found = 1;
		detail = xasprintf("[supplier.%s] %s acts for %s%s", s->siret, s->tech_login,
		                   s->siret, found ? "" : "? it is not among its structures");
		tc_line(&t, step, p, detail);
		free(detail);
		free(step);
		chorus_reply_free(p);
	}

out:
	if (t.failed == 0)
		printf("all %d checks passed\n", t.steps);
	else
		printf("%d of %d checks failed; fix the first one first\n", t.failed, t.steps);
	free(t.last_setup);
	chorus_free(t.ch);
	ev_fini();
	conf_free(c);
	return t.failed ? EXIT_SETUP : EXIT_OK;
}

static void
spool_cfg_of(const struct conf *c, struct spool_cfg *out)
{
	out->file_mode = (mode_t)c->file_mode;
	out->json_receipts = c->json_receipts;
	out->max_size = c->max_size;
}

static int
cmd_check_config(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {
	    {"keys", no_argument, NULL, 'k'}, {"init", no_argument, NULL, 'i'}, {0}};
	char seen[8], *why = NULL;
	struct conf *c;
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	if (strchr(seen, 'k')) {
		conf_print_keys(stdout);
		return EXIT_OK;
	}
	if (strchr(seen, 'i')) {
		c = cmd_load_conf(ctx, CONF_NEED_SPOOL, 0);
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

/* Open the spool for an operator command; NULL after printing why. */
static struct spool *
open_spool_admin(const struct cmd_ctx *ctx, struct conf **cp)
{
	struct spool_cfg scfg;
	struct spool *sp;
	char *why = NULL;
	*cp = cmd_load_conf(ctx, CONF_NEED_SPOOL, 0);
	if (*cp == NULL)
		return NULL;
	spool_cfg_of(*cp, &scfg);
	sp = spool_open((*cp)->spool_dir, &scfg, SPOOL_ADMIN, &why);
	if (sp == NULL) {
		fprintf(stderr, "chorusgw: %s: spool: %s\n", ctx->name, why);
		free(why);
		conf_free(*cp);
		*cp = NULL;
	}
	return sp;
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

/* What transform or validate makes of FILE's bytes `b`, printed; returns the exit
 * code. With `refused` set, the file could not be taken (too large, not a regular
 * file): say so and return EXIT_REJECTED. */
typedef int file_fn(const struct cmd_ctx *, const char *path, const struct conf *,
                    const struct buf *b, const char *refused);

/* transform and validate: --help only, one FILE, read under [spool] max_size. */
static int
file_command(const struct cmd_ctx *ctx, int argc, char **argv, file_fn *fn)
{
	char seen[4], *why = NULL;
	struct conf *c;
	struct buf b;
	const char *path;
	int rc;

	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (one_file_operand(ctx, argc, first))
		return EXIT_USAGE;
	path = argv[first];
	c = cmd_load_conf(ctx, CONF_OPTIONAL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	buf_init(&b);
	rc = read_document(ctx, path, c, &b, &why);
	if (rc == EXIT_OK || why)
		rc = fn(ctx, path, c, &b, why);
	free(why);
	buf_free(&b);
	xform_cleanup();
	conf_free(c);
	return rc;
}

static int
transform_file(const struct cmd_ctx *ctx, const char *path, const struct conf *c,
               const struct buf *b, const char *refused)
{
	struct xform_result r;
	char *why = NULL;
	int rc = EXIT_OK;
	size_t i;

	if (refused) {
		fprintf(stderr, "chorusgw: %s; the document is refused\n", refused);
		return EXIT_REJECTED;
	}
	if (xform_make(b->p, b->len, path, c, &r, &why) == -1) {
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
	return rc;
}

static int
cmd_transform(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return file_command(ctx, argc, argv, transform_file);
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
validate_file(const struct cmd_ctx *ctx, const char *path, const struct conf *c,
              const struct buf *b, const char *refused)
{
	struct preflight pf;
	int rc;
	size_t i;

	(void)ctx;
	if (refused) {
		printf("%s: cannot be sent to Chorus Pro: 1 error, 0 warnings\n"
		       "error: %s (rule INPUT)\n",
		       path, refused);
		return EXIT_REJECTED;
	}
	check_document(b->p, b->len, path, c, 0, &pf, NULL);
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
	return rc;
}

static int
cmd_validate(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return file_command(ctx, argc, argv, validate_file);
}

static int
cmd_rules(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"mdoc", no_argument, NULL, 'm'}, {0}};
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	if (rules_print(stdout, strchr(seen, 'm') != NULL) == -1) {
		fprintf(stderr, "chorusgw: rules: cannot write the output: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* "45s", "12m", "3h", "2d" */
static void
fmt_age(char *out, size_t n, time_t since)
{
	long long a = since ? (long long)(time(NULL) - since) : 0;
	if (a < 0)
		a = 0;
	if (a < 120)
		snprintf(out, n, "%llds", a);
	else if (a < 2 * 3600)
		snprintf(out, n, "%lldm", a / 60);
	else if (a < 2 * 86400)
		snprintf(out, n, "%lldh", a / 3600);
	else
		snprintf(out, n, "%lldd", a / 86400);
}

struct qline {
	char qid[QID_MAX];
	char *text;
};

static int
qline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qline *)a)->qid, ((const struct qline *)b)->qid);
}

static char *
queue_json(const struct doc *d)
{
	struct json *o = json_new_object();
	char ts[32] = "", *s;
	json_set_str(o, "queue_id", d->qid);
	json_set_str(o, "state", doc_state_name(d->state));
	json_set_str(o, "folder", spool_folder_name(d->folder));
	if (d->received)
		fmt_time_utc(ts, sizeof(ts), d->received);
	json_set_str(o, "received", ts);
	json_set_int(o, "age_seconds", d->received ? (int64_t)(time(NULL) - d->received) : 0);
	json_set_str(o, "original_name", d->original_name ? d->original_name : "");
	json_set_str(o, "file", d->file ? d->file : "");
	json_set_str(o, "supplier_siret", d->supplier_siret ? d->supplier_siret : "");
	json_set_str(o, "invoice_number", d->invoice_number ? d->invoice_number : "");
	json_set_bool(o, "held", d->held);
	json_set_bool(o, "action_required", d->action_required);
	json_set_str(o, "action", d->action ? d->action : "");
	json_set_bool(o, "force", d->force);
	json_set_str(o, "duplicate_of", d->duplicate_of ? d->duplicate_of : "");
	json_set_int(o, "attempts", d->attempts);
	json_set_str(o, "last_reason", doc_last_reason(d) ? doc_last_reason(d) : "");
	s = json_dump(o, 0);
	json_free(o);
	return s;
}

static char *
queue_text(const struct doc *d)
{
	struct buf b;
	char age[32], *file = receipt_escape(d->file ? d->file : ""),
	              *num = receipt_escape(d->invoice_number ? d->invoice_number : "-");
	const char *last = doc_last_reason(d);
	buf_init(&b);
	fmt_age(age, sizeof(age), d->received);
	buf_printf(&b, "%-20s %-11s %5s  %-20s %s\n", d->qid, doc_state_name(d->state), age, num,
	           file);
	if (d->held)
		buf_printf(&b, "%20s held: no deposit attempt until `chorusgw release %s`\n", "",
		           d->qid);
	if (d->action_required)
		buf_printf(&b, "%20s action required: %s\n", "",
		           d->action ? d->action : "see receipt");
	if (d->duplicate_of)
		buf_printf(&b, "%20s duplicate of %s\n", "", d->duplicate_of);
	if (last) {
		char *e = receipt_escape(last);
		buf_printf(&b, "%20s %s\n", "", e);
		free(e);
	}
	free(file);
	free(num);
	return buf_steal(&b);
}

static int
cmd_queue(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {
	    {"json", no_argument, NULL, 'j'}, {"all", no_argument, NULL, 'a'}, {0}};
	char seen[8], *why = NULL;
	struct conf *c;
	struct spool *sp;
	struct spool_iter *it;
	struct doc *d;
	struct qline *lines[DOC_NSTATES] = {0};
	size_t n[DOC_NSTATES] = {0}, total = 0, i;
	int json, r, s;
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (no_operands(ctx, argc, first))
		return EXIT_USAGE;
	json = strchr(seen, 'j') != NULL;
	sp = open_spool_admin(ctx, &c);
	if (sp == NULL)
		return c ? EXIT_RUNTIME : EXIT_CONFIG;
	it = spool_iter_open(sp, SPOOL_ITER_ACTIVE | (strchr(seen, 'a') ? SPOOL_ITER_FINAL : 0),
	                     &why);
	while (it && (r = spool_iter_next(it, &d, &why)) == 1) {
		s = d->state;
		lines[s] = xreallocarray(lines[s], n[s] + 1, sizeof(struct qline));
		memcpy(lines[s][n[s]].qid, d->qid, sizeof(d->qid));
		lines[s][n[s]].text = json ? queue_json(d) : queue_text(d);
		n[s]++;
		total++;
		doc_free(d);
	}
	spool_iter_close(it);
	if (it == NULL || r == -1) {
		fprintf(stderr, "chorusgw: queue: %s\n", why);
		free(why);
	}
	if (!json && total)
		printf("%-20s %-11s %5s  %-20s %s\n", "QUEUE ID", "STATE", "AGE", "INVOICE",
		       "FILE");
	for (s = 0; s < DOC_NSTATES; s++) {
		if (n[s] > 1)
			qsort(lines[s], n[s], sizeof(struct qline), qline_cmp);
		for (i = 0; i < n[s]; i++) {
			if (json)
				printf("%s\n", lines[s][i].text);
			else
				fputs(lines[s][i].text, stdout);
			free(lines[s][i].text);
		}
		free(lines[s]);
	}
	if (!json) {
		if (total == 0)
			printf("No documents%s.\n", strchr(seen, 'a') ? "" : " in progress");
		else {
			printf("-- %zu document%s:", total, total == 1 ? "" : "s");
			for (s = 0; s < DOC_NSTATES; s++)
				if (n[s])
					printf(" %zu %s", n[s], doc_state_name((enum doc_state)s));
			printf("\n");
		}
	}
	spool_close(sp);
	conf_free(c);
	return it == NULL || r == -1 ? EXIT_RUNTIME : EXIT_OK;
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
request_one(const struct cmd_ctx *ctx, struct spool *sp, const char *qid, enum spool_req req)
{
	char *why = NULL;
	int queued = 0;
	if (spool_request(sp, qid, req, &queued, &why) == -1) {
		fprintf(stderr, "chorusgw: %s: %s\n", ctx->name, why);
		free(why);
		return -1;
	}
	if (queued)
		printf("%s: %s requested; the process that owns it applies it\n", qid,
		       spool_req_name(req));
	else
		printf("%s: %s done\n", qid, spool_req_name(req));
	return 0;
}

/* retry / hold / release: ids as operands, or "-" for one per line on stdin. */
static int
run_requests(const struct cmd_ctx *ctx, int argc, char **argv, int first, enum spool_req req)
{
	struct conf *c;
	struct spool *sp;
	int i, failed = 0;
	if (ids_operands(ctx, argc, first))
		return EXIT_USAGE;
	sp = open_spool_admin(ctx, &c);
	if (sp == NULL)
		return c ? EXIT_RUNTIME : EXIT_CONFIG;
	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			char line[256];
			while (fgets(line, sizeof(line), stdin) != NULL) {
				char *id = str_trim(line);
				if (*id && request_one(ctx, sp, id, req) == -1)
					failed++;
			}
		} else if (request_one(ctx, sp, argv[i], req) == -1)
			failed++;
	}
	spool_close(sp);
	conf_free(c);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}

static int
cmd_retry(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"force", no_argument, NULL, 'f'}, {0}};
	char seen[8];
	OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	return run_requests(ctx, argc, argv, first,
	                    strchr(seen, 'f') ? REQ_RETRY_FORCE : REQ_RETRY);
}

/* hold and release: no option but --help. */
static int
plain_requests(const struct cmd_ctx *ctx, int argc, char **argv, enum spool_req req)
{
	char seen[4];
	OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	return run_requests(ctx, argc, argv, first, req);
}

static int
cmd_hold(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return plain_requests(ctx, argc, argv, REQ_HOLD);
}

static int
cmd_release(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return plain_requests(ctx, argc, argv, REQ_RELEASE);
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
