/*
 * cmd-queue.c - the operator's commands over the spool: `queue` lists documents by
 * state; `retry`, `hold` and `release` send requests (spool_request) that the process
 * owning the document applies, or that are applied at once when none does. The spool
 * is opened SPOOL_ADMIN: these commands own nothing and adopt nothing.
 *
 * Errors: one line on stderr each; exit 0, 1 (a request or the listing failed), 2
 * (usage) or 3 (configuration or spool).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "incoming.h"
#include "json.h"
#include "receipt.h"
#include "respond.h"
#include "route.h"
#include "spool.h"
#include "util.h"

/* Load the configuration and open its spool for an operator command; NULL after
 * printing why, with *cp NULL when the configuration is at fault. The caller frees
 * *cp (conf_free) and closes the spool (spool_close). */
static struct spool *
open_spool_admin(const struct cmd_ctx *ctx, struct conf **cp)
{
	struct spool *sp;
	char *why = NULL;
	*cp = cmd_load_conf(ctx, CONF_NEED_SPOOL, 0);
	if (*cp == NULL)
		return NULL;
	sp = cmd_open_spool(*cp, SPOOL_ADMIN, &why);
	if (sp == NULL) {
		fprintf(stderr, "chorusgw: %s: spool: %s\n", ctx->name, why);
		free(why);
		conf_free(*cp);
		*cp = NULL;
	}
	return sp;
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

/* The receiving side and the statuses (with a PA): what waits for the ERP or the PA. */
static void
queue_incoming(const char *root, int json)
{
	char *in = xasprintf("%s/" INCOMING_DIR, root), *qu = xasprintf("%s/" QUARANTINE_DIR, root);
	size_t received = dir_count_suffix(in, IN_RECEIPT_EXT),
	       quarantined = dir_count_suffix(qu, IN_RECEIPT_EXT),
	       files = respond_files_waiting(root);
	struct buf jobs;
	size_t njobs;
	buf_init(&jobs);
	njobs = respond_waiting(root, &jobs);
	if (json) {
		struct json *o = json_new_object(), *x = json_new_object();
		char *s;
		json_set_int(x, "received", (int64_t)received);
		json_set_int(x, "quarantined", (int64_t)quarantined);
		json_set_int(x, "status_files_waiting", (int64_t)files);
		json_set_int(x, "statuses_not_acknowledged", (int64_t)njobs);
		json_set(o, "incoming", x);
		s = json_dump(o, 0);
		printf("%s\n", s);
		free(s);
		json_free(o);
	} else {
		printf("-- incoming: %zu invoice%s received in incoming/, %zu in quarantine/; %zu "
		       "status file%s not taken yet, %zu status%s sent and not acknowledged%s\n",
		       received, received == 1 ? "" : "s", quarantined, files,
		       files == 1 ? "" : "s", njobs, njobs == 1 ? "" : "es", njobs ? ":" : "");
		if (jobs.len)
			fputs(jobs.p, stdout);
	}
	buf_free(&jobs);
	free(in);
	free(qu);
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
	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (cmd_no_operands(ctx, argc, first))
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
	if (c->pa)
		queue_incoming(spool_root(sp), json);
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
		cmd_usage(stderr, ctx->entry);
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

/* retry --route R: every document in progress on route R (a document with none
 * recorded is on Chorus Pro's, as before routes existed). */
static int
retry_route(const struct cmd_ctx *ctx, const char *route, enum spool_req req)
{
	struct conf *c;
	struct spool *sp;
	struct spool_iter *it;
	struct doc *d;
	char *why = NULL, (*ids)[QID_MAX] = NULL;
	size_t n = 0, i;
	int r = 0, failed = 0;
	sp = open_spool_admin(ctx, &c);
	if (sp == NULL)
		return c ? EXIT_RUNTIME : EXIT_CONFIG;
	it = spool_iter_open(sp, SPOOL_ITER_ACTIVE, &why);
	while (it && (r = spool_iter_next(it, &d, &why)) == 1) {
		if (strcmp(d->route ? d->route : "chorus", route) == 0) {
			ids = xreallocarray(ids, n + 1, sizeof(*ids));
			memcpy(ids[n++], d->qid, sizeof(d->qid));
		}
		doc_free(d);
	}
	spool_iter_close(it);
	if (it == NULL || r == -1) {
		fprintf(stderr, "chorusgw: %s: %s\n", ctx->name, why);
		free(why);
		failed = 1;
	}
	for (i = 0; i < n; i++)
		if (request_one(ctx, sp, ids[i], req) == -1)
			failed++;
	if (n == 0 && !failed)
		printf("no document in progress on route %s\n", route);
	free(ids);
	spool_close(sp);
	conf_free(c);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}

static int
cmd_retry(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {
	    {"force", no_argument, NULL, 'f'}, {"route", required_argument, NULL, 'r'}, {0}};
	char seen[8];
	enum spool_req req;
	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	req = strchr(seen, 'f') ? REQ_RETRY_FORCE : REQ_RETRY;
	if (strchr(seen, 'r')) {
		const char *route = cmd_opt_arg('r');
		if (route_named(route) == 0) {
			fprintf(stderr, "chorusgw: %s: unknown route %s (chorus or pa)\n",
			        ctx->name, route);
			return EXIT_USAGE;
		}
		if (cmd_no_operands(ctx, argc, first))
			return EXIT_USAGE;
		return retry_route(ctx, route, req);
	}
	return run_requests(ctx, argc, argv, first, req);
}

/* hold and release: no option but --help. */
static int
plain_requests(const struct cmd_ctx *ctx, int argc, char **argv, enum spool_req req)
{
	char seen[4];
	CMD_OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
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

const struct cmd_entry cmd_queue_entry = {"queue", cmd_queue, "[--json] [--all]",
                                          "list documents by state",
                                          "  --json    one JSON object per line\n"
                                          "  --all     also the accepted and rejected documents\n"};

const struct cmd_entry cmd_retry_entry = {
    "retry", cmd_retry, "[--force] ID...|-|--route R",
    "retry documents now (ids, - for stdin, or every one of a route)",
    "  --force   deposit again even if the duplicate index says it was sent\n"
    "  --route R every document in progress on route R: chorus (Chorus Pro direct) or pa\n"
    "            (the Plateforme Agréée), after its outage or set-up error is fixed\n"};

const struct cmd_entry cmd_hold_entry = {"hold", cmd_hold, "ID...|-",
                                         "stop deposit attempts for documents", ""};

const struct cmd_entry cmd_release_entry = {"release", cmd_release, "ID...|-",
                                            "resume held documents", ""};
