/*
 * padrv - test driver of the Plateforme Agréée client (not installed): runs operations
 * of pa.c against a server (the PA emulator) and prints each reply as one JSON line, so
 * that end-to-end tests can check the classification and the data.
 *
 *   padrv -c CONF [-C CACHE_DIR] [-v] OP ARGS... [then OP ARGS...]...
 *
 * OP is one of
 *   token | health | dir-health
 *   send FILE SYNTAX [tracking=T] [rule=R] [profile=P] [name=N]
 *   search [tracking=T] [after=DATE] [direction=In|Out] [type=T] [limit=N] [pages=N]
 *          [cursor=C]
 *   get FLOWID [DOCTYPE] [out=FILE]       the file's bytes go to FILE
 *   siren SIREN [refresh] | siret SIRET [refresh] | routing SIRET CODE [refresh]
 *   line ADDRESS [refresh] | lines SIREN [refresh]
 *   parallel N OP ARGS...                 N copies of OP at once
 *   cancel OP ARGS...                     start OP and cancel it at once
 *   sleep MS
 * Exit status: 0, or 2 on a usage error / 1 when the client cannot start.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "pa.h"
#include "util.h"

static struct pa *pa;
static int pending;
static struct pa_call *last; /* the operation start_op() started */
static const char *out_file; /* get: where the file goes */

static void
usage(void)
{
	fprintf(stderr, "usage: padrv -c CONF [-C CACHE_DIR] [-v] OP ARGS... [then OP...]\n");
	exit(2);
}

static void
print_json(struct json *o)
{
	char *s = json_dump(o, 0);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_free(o);
}

static struct json *
flow_json(const struct pa_flow *f)
{
	struct json *o = json_new_object(), *d = json_new_array();
	size_t i;
	json_set_str(o, "flowId", f->id);
	json_set_str(o, "trackingId", f->tracking_id);
	json_set_str(o, "name", f->name);
	json_set_str(o, "syntax", f->syntax);
	json_set_str(o, "profile", f->profile);
	json_set_str(o, "rule", f->rule);
	json_set_str(o, "type", f->type);
	json_set_str(o, "direction", f->direction);
	json_set_str(o, "updated", f->updated);
	json_set_str(o, "ack", f->ack);
	json_set_str(o, "sha256", f->sha256);
	for (i = 0; i < f->ndetails; i++) {
		struct json *x = json_new_object();
		json_set_str(x, "level", f->details[i].level);
		json_set_str(x, "item", f->details[i].item);
		json_set_str(x, "code", f->details[i].code);
		json_set_str(x, "message", f->details[i].message);
		json_push(d, x);
	}
	json_set(o, "details", d);
	return o;
}

static void
on_reply(struct pa_reply *p, void *arg)
{
	struct json *o = json_new_object(), *a;
	size_t i;
	(void)arg;
	json_set_str(o, "op", pa_op_name(p->op));
	json_set_str(o, "class", pa_class_name(p->r.cls));
	json_set_bool(o, "unknown_outcome", p->r.unknown_outcome);
	json_set_int(o, "http_status", p->r.http_status);
	json_set_str(o, "error_code", p->r.error_code);
	json_set_str(o, "reason", p->r.reason);
	json_set_str(o, "setup", p->r.setup);
	json_set_int(o, "retry_after_ms", p->r.retry_after_ms);
	json_set_str(o, "raw", p->r.raw);
	json_set_int(o, "token_fetches", pa_token_fetches(pa));
	json_set_bool(o, "from_cache", p->from_cache);
	switch (p->op) {
	case PA_OP_TOKEN:
		json_set_int(o, "expires_in", p->token_expires_in_s);
		break;
	case PA_OP_SEND:
		if (p->flow.id)
			json_set(o, "flow", flow_json(&p->flow));
		break;
	case PA_OP_SEARCH:
		a = json_new_array();
		for (i = 0; i < p->search.n; i++)
			json_push(a, flow_json(&p->search.v[i]));
		json_set(o, "flows", a);
		json_set_int(o, "count", (int64_t)p->search.n);
		json_set_int(o, "pages", p->search.pages);
		json_set_str(o, "next_cursor", p->search.next_cursor);
		break;
	case PA_OP_GET:
		if (p->flow.id)
			json_set(o, "flow", flow_json(&p->flow));
		json_set_int(o, "bytes", (int64_t)p->file.data.len);
		json_set_str(o, "file_name", p->file.name);
		if (out_file && p->file.data.len) {
			char *why = NULL;
			if (write_file_atomic(NULL, out_file, p->file.data.p, p->file.data.len,
			                      0600, 0, &why) == -1) {
				fprintf(stderr, "padrv: %s\n", why);
				exit(1);
			}
		}
		break;
	case PA_OP_SIREN:
		json_set_bool(o, "found", p->company.found);
		json_set_str(o, "name", p->company.name);
		json_set_str(o, "entity_type", p->company.entity_type);
		json_set_str(o, "status", p->company.status);
		break;
	case PA_OP_SIRET:
		json_set_bool(o, "found", p->facility.found);
		json_set_str(o, "name", p->facility.name);
		json_set_str(o, "status", p->facility.status);
		json_set_bool(o, "b2g", p->facility.b2g);
		json_set_bool(o, "legal_commitment", p->facility.manages_legal_commitment);
		json_set_bool(o, "service_code", p->facility.service_code);
		break;
	case PA_OP_ROUTING:
		json_set_bool(o, "found", p->routing.found);
		json_set_str(o, "name", p->routing.name);
		json_set_bool(o, "legal_commitment", p->routing.manages_legal_commitment);
		break;
	case PA_OP_LINE:
	case PA_OP_LINES:
		a = json_new_array();
		for (i = 0; i < p->lines.n; i++) {
			struct json *x = json_new_object();
			json_set_str(x, "address", p->lines.v[i].address);
			json_set_str(x, "platform", p->lines.v[i].platform);
			json_set_str(x, "status", p->lines.v[i].status);
			json_set_str(x, "siret", p->lines.v[i].siret);
			json_set_str(x, "routing", p->lines.v[i].routing);
			json_push(a, x);
		}
		json_set(o, "lines", a);
		json_set_int(o, "count", (int64_t)p->lines.n);
		break;
	default:
		break;
	}
	print_json(o);
	pa_reply_free(p);
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

static int
kv_int(char **args, int n, const char *key)
{
	int64_t v = 0;
	const char *s = kv(args, n, key);
	if (s && parse_int64(s, &v) == -1)
		usage();
	return (int)v;
}

static int
flag(char **args, int n, const char *word)
{
	int i;
	for (i = 0; i < n; i++)
		if (strcmp(args[i], word) == 0)
			return 1;
	return 0;
}

static struct buf filedata;

static int
start_op(char **a, int n)
{
	const char *op = a[0];
	int refresh = flag(a + 1, n - 1, "refresh");
	if (strcmp(op, "token") == 0)
		last = pa_token(pa, on_reply, NULL);
	else if (strcmp(op, "health") == 0)
		last = pa_health(pa, 0, on_reply, NULL);
	else if (strcmp(op, "dir-health") == 0)
		last = pa_health(pa, 1, on_reply, NULL);
	else if (strcmp(op, "send") == 0 && n >= 3) {
		struct pa_send_req q;
		char *why = NULL;
		const char *base = strrchr(a[1], '/');
		buf_reset(&filedata);
		if (read_file(a[1], 128u << 20, 0, &filedata, &why) == -1) {
			fprintf(stderr, "padrv: %s\n", why);
			exit(2);
		}
		memset(&q, 0, sizeof(q));
		q.syntax = a[2];
		q.tracking_id = kv(a + 3, n - 3, "tracking");
		q.rule = kv(a + 3, n - 3, "rule");
		q.profile = kv(a + 3, n - 3, "profile");
		q.name = kv(a + 3, n - 3, "name");
		if (q.name == NULL)
			q.name = base ? base + 1 : a[1];
		q.data = filedata.p;
		q.len = filedata.len;
		last = pa_send(pa, &q, on_reply, NULL);
	} else if (strcmp(op, "search") == 0) {
		struct pa_search_req q;
		memset(&q, 0, sizeof(q));
		q.tracking_id = kv(a + 1, n - 1, "tracking");
		q.updated_after = kv(a + 1, n - 1, "after");
		q.direction = kv(a + 1, n - 1, "direction");
		q.flow_type = kv(a + 1, n - 1, "type");
		q.cursor = kv(a + 1, n - 1, "cursor");
		q.limit = kv_int(a + 1, n - 1, "limit");
		q.max_pages = kv_int(a + 1, n - 1, "pages");
		last = pa_search(pa, &q, on_reply, NULL);
	} else if (strcmp(op, "get") == 0 && n >= 2) {
		out_file = kv(a + 2, n - 2, "out");
		last = pa_get(pa, a[1], n > 2 && strchr(a[2], '=') == NULL ? a[2] : NULL, on_reply,
		              NULL);
	} else if (strcmp(op, "siren") == 0 && n >= 2)
		last = pa_siren(pa, a[1], refresh, on_reply, NULL);
	else if (strcmp(op, "siret") == 0 && n >= 2)
		last = pa_siret(pa, a[1], refresh, on_reply, NULL);
	else if (strcmp(op, "routing") == 0 && n >= 3)
		last = pa_routing_code(pa, a[1], a[2], refresh, on_reply, NULL);
	else if (strcmp(op, "line") == 0 && n >= 2)
		last = pa_directory_line(pa, a[1], refresh, on_reply, NULL);
	else if (strcmp(op, "lines") == 0 && n >= 2)
		last = pa_directory_lines(pa, a[1], refresh, on_reply, NULL);
	else
		return -1;
	pending++;
	return 0;
}

static void
wait_all(void)
{
	char *why = NULL;
	while (pending > 0)
		if (ev_run_once(-1, &why) == -1) {
			fprintf(stderr, "padrv: %s\n", why);
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
		pa_cancel(last);
		pending--;
		ev_run_once(50, NULL);
		ev_run_once(50, NULL);
		json_set_str(o, "op", "cancel");
		json_set_bool(o, "no_callback", pending == before - 1);
		print_json(o);
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
	int opt, verbose = 0, i, start;
	struct conf *c;

	while ((opt = getopt(argc, argv, "+c:C:v")) != -1) {
		switch (opt) {
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
	log_init("padrv", LOG_TARGET_STDERR, verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO, 0);
	c = conf_load(conf_path, 0, &why);
	if (c == NULL) {
		fprintf(stderr, "padrv: %s\n", why);
		return 1;
	}
	if (ev_init(&why) == -1 || (pa = pa_new(c, cache, &why)) == NULL) {
		fprintf(stderr, "padrv: %s\n", why);
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
	pa_free(pa);
	ev_fini();
	conf_free(c);
	return 0;
}
