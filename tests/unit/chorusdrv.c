/*
 * chorusdrv - test driver of the Chorus Pro client (not installed): runs operations of
 * chorus.c against a server (the emulator) and prints each reply as one JSON line, so
 * that end-to-end tests can check the classification and the data.
 *
 *   chorusdrv -c CONF [-C CACHE_DIR] [-v] OP ARGS... [then OP ARGS...]...
 *
 * OP is one of
 *   token | health [SIRET] | own [SIRET] | expiry [SIRET]
 *   deposit SIRET FILE [ubl|cii] [name=NOM] (nomFichier made from NOM, else from the
 *                                         file's name, and a count of this run's deposits)
 *   report SIRET FLUX | history SIRET ID
 *   search SIRET [number=N] [flux=F] [per_page=N] [max=N]
 *   structure SIRET [refresh]
 *   parallel N OP ARGS...                 N copies of OP at once
 *   cancel OP ARGS...                     start OP and cancel it at once
 *   admin METHOD PATH [JSON]              emulator admin route (api_url + PATH)
 *   raw-deposit-reuse SIRET FILE          a deposit WITHOUT chorus.c's protection: a
 *                                         keep-alive connection is opened by a
 *                                         health-check, then reused by the deposit
 *   sleep MS
 * Exit status: 0, or 2 on a usage error / 1 when the client cannot start.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chorus.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

static struct chorus *ch;
static const struct conf *cf;
static int pending;
static struct chorus_call *last; /* the operation start_op() started */

static void
usage(void)
{
	fprintf(stderr, "usage: chorusdrv -c CONF [-C CACHE_DIR] [-v] OP ARGS... [then OP...]\n");
	exit(2);
}

static struct json *
result_json(const struct chorus_reply *p)
{
	struct json *o = json_new_object();
	json_set_str(o, "op", chorus_op_name(p->op));
	json_set_str(o, "class", chorus_class_name(p->r.cls));
	json_set_bool(o, "unknown_outcome", p->r.unknown_outcome);
	json_set_int(o, "http_status", p->r.http_status);
	if (p->r.has_code_retour)
		json_set_int(o, "code_retour", p->r.code_retour);
	json_set_str(o, "libelle", p->r.libelle);
	json_set_str(o, "reason", p->r.reason);
	json_set_str(o, "setup", p->r.setup);
	json_set_str(o, "kind", p->r.kind);
	json_set_str(o, "advice", p->r.advice);
	json_set_int(o, "retry_after_ms", p->r.retry_after_ms);
	json_set_str(o, "raw", p->r.raw);
	json_set_int(o, "token_fetches", chorus_token_fetches(ch));
	return o;
}

static void
add_op_data(struct json *o, const struct chorus_reply *p)
{
	size_t i;
	struct json *a;
	switch (p->op) {
	case CHORUS_OP_TOKEN:
		json_set_int(o, "expires_in", p->token_expires_in_s);
		break;
	case CHORUS_OP_DEPOSIT:
		json_set_str(o, "flux", p->deposit.flux);
		json_set_str(o, "date", p->deposit.date);
		break;
	case CHORUS_OP_REPORT:
		json_set_str(o, "state", p->report.state);
		json_set_str(o, "words", p->report.words);
		json_set_bool(o, "final", p->report.final);
		json_set_bool(o, "integrated", p->report.integrated);
		json_set_int(o, "outcome", p->report.outcome);
		a = json_new_array();
		for (i = 0; i < p->report.nerrors; i++) {
			struct json *e = json_new_object();
			json_set_bool(e, "technical", p->report.errors[i].technical);
			json_set_str(e, "invoice", p->report.errors[i].invoice);
			json_set_str(e, "code", p->report.errors[i].code);
			json_set_str(e, "message", p->report.errors[i].message);
			json_set_str(e, "kind", p->report.errors[i].kind);
			json_set_str(e, "advice", p->report.errors[i].advice);
			json_push(a, e);
		}
		json_set(o, "errors", a);
		break;
	case CHORUS_OP_SEARCH:
		json_set_int(o, "n", (int64_t)p->invoices.n);
		json_set_int(o, "total", p->invoices.total);
		json_set_int(o, "pages_read", p->invoices.pages_read);
		a = json_new_array();
		for (i = 0; i < p->invoices.n; i++) {
			struct json *e = json_new_object();
			json_set_int(e, "id", p->invoices.v[i].id);
			json_set_str(e, "number", p->invoices.v[i].number);
			json_set_str(e, "flux", p->invoices.v[i].flux);
			json_set_str(e, "status", p->invoices.v[i].status);
			json_set_str(e, "supplier", p->invoices.v[i].supplier);
			json_push(a, e);
		}
		json_set(o, "invoices", a);
		break;
	case CHORUS_OP_HISTORY:
		json_set_str(o, "current", p->history.current);
		a = json_new_array();
		for (i = 0; i < p->history.n; i++)
			json_push(
			    a, json_new_str(p->history.v[i].status ? p->history.v[i].status : ""));
		json_set(o, "statuses", a);
		break;
	case CHORUS_OP_STRUCTURE:
		chorus_structure_json(p, 1, o);
		json_set_bool(o, "from_cache", p->structure.from_cache);
		break;
	case CHORUS_OP_OWN:
		a = json_new_array();
		for (i = 0; i < p->own.n; i++)
			json_push(a, json_new_str(p->own.v[i].siret ? p->own.v[i].siret : ""));
		json_set(o, "sirets", a);
		break;
	case CHORUS_OP_EXPIRY:
		json_set_str(o, "login", p->expiry.login);
		json_set_str(o, "date", p->expiry.date);
		json_set_int(o, "at", (int64_t)p->expiry.at);
		break;
	default:
		break;
	}
}

static void
print_json(struct json *o)
{
	char *s = json_dump(o, 0);
	char *red = log_redact(s); /* belt and braces: the test greps for secrets anyway */
	printf("%s\n", red);
	fflush(stdout);
	free(red);
	free(s);
	json_free(o);
}

static void
on_reply(struct chorus_reply *p, void *arg)
{
	struct json *o = result_json(p);
	(void)arg;
	add_op_data(o, p);
	print_json(o);
	chorus_reply_free(p);
	pending--;
}

static const char *
kv(char **args, int n, const char *key)
{
	int i;
	size_t k = strlen(key);
	for (i = 0; i < n; i++)
		if (strncmp(args[i], key, k) == 0 && args[i][k] == '=')
			return args[i] + k + 1;
	return NULL;
}

/* held for the lifetime of the deposit request (the data is copied by chorus.c) */
static struct buf filedata;

static int
start_op(char **a, int n)
{
	const char *op = a[0];
	const char *siret = n > 1 && strcmp(a[1], "-") != 0 ? a[1] : NULL;
	if (strcmp(op, "token") == 0)
		last = chorus_token(ch, on_reply, NULL);
	else if (strcmp(op, "health") == 0)
		last = chorus_health(ch, siret, on_reply, NULL);
	else if (strcmp(op, "own") == 0)
		last = chorus_own_structures(ch, siret, on_reply, NULL);
	else if (strcmp(op, "expiry") == 0)
		last = chorus_password_expiry(ch, siret, on_reply, NULL);
	else if (strcmp(op, "deposit") == 0 && n >= 3) {
		struct chorus_deposit_req q;
		static int deposits;
		char *why = NULL, unique[32];
		const char *base = strrchr(a[2], '/');
		buf_reset(&filedata);
		if (read_file(a[2], 64u << 20, 0, &filedata, &why) == -1) {
			fprintf(stderr, "chorusdrv: %s\n", why);
			exit(2);
		}
		memset(&q, 0, sizeof(q));
		q.supplier_siret = siret;
		q.syntax = n > 3 && strcmp(a[3], "cii") == 0 ? SYNTAX_CII : SYNTAX_UBL;
		q.number = kv(a + 3, n - 3, "name");
		if (q.number == NULL)
			q.number = base ? base + 1 : a[2];
		snprintf(unique, sizeof(unique), "drv%d-%d", (int)getpid(), ++deposits);
		q.unique = unique;
		q.data = filedata.p;
		q.len = filedata.len;
		last = chorus_deposit(ch, &q, on_reply, NULL);
	} else if (strcmp(op, "report") == 0 && n >= 3)
		last = chorus_report(ch, siret, a[2], on_reply, NULL);
	else if (strcmp(op, "history") == 0 && n >= 3) {
		int64_t id;
		if (parse_int64(a[2], &id) == -1)
			usage();
		last = chorus_history(ch, siret, id, on_reply, NULL);
	} else if (strcmp(op, "search") == 0) {
		struct chorus_search_req q;
		int64_t v;
		memset(&q, 0, sizeof(q));
		q.supplier_siret = siret;
		q.number = kv(a + 1, n - 1, "number");
		q.flux = kv(a + 1, n - 1, "flux");
		if (kv(a + 1, n - 1, "per_page") &&
		    parse_int64(kv(a + 1, n - 1, "per_page"), &v) == 0)
			q.per_page = (int)v;
		if (kv(a + 1, n - 1, "max") && parse_int64(kv(a + 1, n - 1, "max"), &v) == 0)
			q.max_results = (int)v;
		last = chorus_search(ch, &q, on_reply, NULL);
	} else if (strcmp(op, "structure") == 0 && n >= 2)
		last = chorus_structure(ch, a[1], n > 2 && strcmp(a[2], "refresh") == 0, on_reply,
		                        NULL);
	else
		return -1;
	pending++;
	return 0;
}

static void
admin(const char *method, const char *path, const char *body)
{
	static const char *const hdrs[] = {"Content-Type: application/json", NULL};
	struct http_reqspec s;
	struct http_resp *r;
	struct json *o = json_new_object();
	char *url = xasprintf("%s%s", cf->api_url, path);
	memset(&s, 0, sizeof(s));
	s.method = method;
	s.url = url;
	s.headers = hdrs;
	s.body = body ? body : "{}";
	s.body_len = strlen(s.body);
	s.what = "emulator admin";
	r = http_fetch(&s);
	json_set_str(o, "op", "admin");
	json_set_int(o, "status", r->status);
	json_set_str(o, "error", r->error);
	json_set_str(o, "body", r->body.p ? r->body.p : "");
	print_json(o);
	http_resp_free(r);
	free(url);
}

/* The unprotected pattern: keep-alive connection opened by one request, then a deposit
 * on it. Shows what DESIGN §2.5 guards against. */
static void
raw_deposit_reuse(const char *siret, const char *file)
{
	const struct conf_supplier *sup = conf_supplier(cf, siret);
	const char *login = sup && sup->tech_login ? sup->tech_login : cf->tech_login;
	const char *pw = sup && sup->tech_password ? sup->tech_password : cf->tech_password;
	char *pair = xasprintf("%s:%s", login, pw), *b64 = base64_encode(pair, strlen(pair));
	char *acct = xasprintf("cpro-account: %s", b64), *auth, *form, *url, *why = NULL;
	const char *th[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	const char *ah[4];
	struct http_reqspec s;
	struct http_resp *r;
	struct json *tok, *b, *o;
	struct buf data;

	log_secret(b64);
	form = oauth_token_body(cf->client_id, cf->client_secret, "openid");
	memset(&s, 0, sizeof(s));
	s.method = "POST";
	s.url = cf->token_url;
	s.headers = th;
	s.body = form;
	s.body_len = strlen(form);
	r = http_fetch(&s);
	tok = json_parse(r->body.p ? r->body.p : "", r->body.len, NULL);
	if (tok == NULL || json_str(json_get(tok, "access_token")) == NULL) {
		fprintf(stderr, "chorusdrv: no token\n");
		exit(1);
	}
	log_secret(json_str(json_get(tok, "access_token")));
	auth = xasprintf("Authorization: Bearer %s", json_str(json_get(tok, "access_token")));
	http_resp_free(r);
	ah[0] = auth;
	ah[1] = acct;
	ah[2] = "Content-Type: application/json;charset=utf-8";
	ah[3] = NULL;

	url = xasprintf("%s/cpro/transverses/v1/health-check", cf->api_url);
	memset(&s, 0, sizeof(s));
	s.method = "GET";
	s.url = url;
	s.headers = ah;
	r = http_fetch(&s);
	http_resp_free(r);
	free(url);

	buf_init(&data);
	if (read_file(file, 64u << 20, 0, &data, &why) == -1) {
		fprintf(stderr, "chorusdrv: %s\n", why);
		exit(2);
	}
	b = json_new_object();
	{
		char *f = base64_encode(data.p, data.len);
		json_set_str(b, "fichierFlux", f);
		free(f);
	}
	json_set_str(b, "nomFichier", strrchr(file, '/') ? strrchr(file, '/') + 1 : file);
	json_set_str(b, "syntaxeFlux", "IN_DP_E1_UBL_INVOICE");
	json_set_bool(b, "avecSignature", 0);
	free(form);
	form = json_dump(b, 0);
	json_free(b);
	url = xasprintf("%s/cpro/factures/v1/deposer/flux", cf->api_url);
	memset(&s, 0, sizeof(s));
	s.method = "POST";
	s.url = url;
	s.headers = ah;
	s.body = form;
	s.body_len = strlen(form);
	s.flags = 0; /* no HTTP_FRESH: the point of this operation */
	r = http_fetch(&s);
	o = json_new_object();
	json_set_str(o, "op", "raw-deposit-reuse");
	json_set_int(o, "status", r->status);
	json_set_str(o, "error", r->error);
	json_set_bool(o, "reused", r->reused);
	print_json(o);
	http_resp_free(r);
	json_free(tok);
	buf_free(&data);
	free(url);
	free(form);
	free(auth);
	free(acct);
	free(b64);
	free(pair);
}

static void
wait_all(void)
{
	char *why = NULL;
	while (pending > 0)
		if (ev_run_once(-1, &why) == -1) {
			fprintf(stderr, "chorusdrv: %s\n", why);
			exit(1);
		}
}

static void
run_group(char **a, int n)
{
	if (strcmp(a[0], "parallel") == 0 && n >= 3) {
		int64_t k, i;
		if (parse_int64(a[1], &k) == -1 || k < 1)
			usage();
		for (i = 0; i < k; i++)
			if (start_op(a + 2, n - 2) == -1)
				usage();
		wait_all();
	} else if (strcmp(a[0], "cancel") == 0 && n >= 2) {
		/* start an operation and forget it at once: no callback, nothing leaks */
		struct json *o = json_new_object();
		int before;
		if (start_op(a + 1, n - 1) == -1)
			usage();
		before = pending;
		chorus_cancel(last);
		pending--;
		ev_run_once(50, NULL);
		ev_run_once(50, NULL);
		json_set_str(o, "op", "cancel");
		json_set_bool(o, "no_callback", pending == before - 1);
		print_json(o);
	} else if (strcmp(a[0], "admin") == 0 && n >= 3) {
		admin(a[1], a[2], n > 3 ? a[3] : NULL);
	} else if (strcmp(a[0], "raw-deposit-reuse") == 0 && n >= 3) {
		raw_deposit_reuse(a[1], a[2]);
	} else if (strcmp(a[0], "sleep") == 0 && n >= 2) {
		int64_t ms;
		if (parse_int64(a[1], &ms) == -1)
			usage();
		usleep((useconds_t)(ms * 1000));
	} else {
		if (start_op(a, n) == -1)
			usage();
		wait_all();
	}
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *cache = NULL;
	char *why = NULL;
	int ch_opt, verbose = 0, i, start;
	struct conf *c;

	while ((ch_opt = getopt(argc, argv, "+c:C:v")) != -1) {
		switch (ch_opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'C':
			cache = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (conf_path == NULL || optind >= argc)
		usage();
	log_init("chorusdrv", LOG_TARGET_STDERR, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, 0);
	c = conf_load(conf_path, CONF_NEED_CHORUS, &why);
	if (c == NULL) {
		fprintf(stderr, "chorusdrv: %s\n", why);
		return 1;
	}
	cf = c;
	if (ev_init(&why) == -1 || (ch = chorus_new(c, cache, &why)) == NULL) {
		fprintf(stderr, "chorusdrv: %s\n", why);
		return 1;
	}
	buf_init(&filedata);
	for (start = optind, i = optind; i <= argc; i++) {
		if (i == argc || strcmp(argv[i], "then") == 0) {
			if (i == start)
				usage();
			run_group(argv + start, i - start);
			start = i + 1;
		}
	}
	buf_free(&filedata);
	chorus_free(ch);
	ev_fini();
	conf_free(c);
	return 0;
}
