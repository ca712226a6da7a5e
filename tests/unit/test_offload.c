/*
 * Unit tests of offload.c: a pre-flight made in a worker process gives the gateway
 * what check_document() in the process gives (verdict, document, problems, numbers
 * and SIRETs); a rejected document and a set-up failure travel too; a reply that is
 * not one is refused; the memory estimate.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "ev.h"
#include "offload.h"
#include "rules.h"
#include "srctree.h"
#include "tap.h"
#include "worker.h"

static struct conf *conf;
static time_t now = 1795867200; /* 2026-11-28 12:00 UTC */

struct got {
	int done, r;
	struct preflight pf; /* what matters, copied */
	char *why;
};

static void
done(int r, struct preflight *pf, const char *why, void *arg)
{
	struct got *g = arg;
	g->done = 1;
	g->r = r;
	g->pf = *pf; /* take it over */
	memset(pf, 0, sizeof(*pf));
	g->why = why ? xstrdup(why) : NULL;
	ev_break();
}

static void
wait_for(struct got *g)
{
	char *why = NULL;
	while (!g->done)
		if (ev_run_once(30000, &why) == -1)
			break;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The worker's pre-flight and the one in the process agree on what the gateway reads. */
static void
agree(const char *label, const struct preflight *w, int wr, const struct preflight *l, int lr)
{
	size_t i;
	int same = wr == lr && w->verdict == l->verdict && w->x.syntax == l->x.syntax &&
	           w->x.len == l->x.len && same_str(w->x.what, l->x.what) &&
	           (w->x.xml == NULL) == (l->x.xml == NULL) &&
	           (!w->x.xml || memcmp(w->x.xml, l->x.xml, l->x.len) == 0) &&
	           w->problems.n == l->problems.n && w->problems.nerrors == l->problems.nerrors &&
	           (w->inv == NULL) == (l->inv == NULL);
	for (i = 0; same && i < w->problems.n; i++)
		same = w->problems.v[i].sev == l->problems.v[i].sev &&
		       same_str(w->problems.v[i].text, l->problems.v[i].text) &&
		       same_str(w->problems.v[i].rule, l->problems.v[i].rule) &&
		       w->problems.v[i].line == l->problems.v[i].line;
	if (same && w->inv)
		same = same_str(w->inv->number.text, l->inv->number.text) &&
		       same_str(w->inv->supplier.siret.text, l->inv->supplier.siret.text) &&
		       same_str(w->inv->buyer.siret.text, l->inv->buyer.siret.text) &&
		       same_str(w->inv->service_code.text, l->inv->service_code.text) &&
		       same_str(w->inv->engagement.text, l->inv->engagement.text);
	ok(same, "%s: the worker's pre-flight is the process's", label);
}

static void
compare(struct offload *o, const char *label, unsigned route, const char *data, size_t len)
{
	struct got g = {0};
	struct preflight pf;
	char *why = NULL;
	int r;
	offload_check(o, data, len, "doc.xml", route, now, done, &g);
	wait_for(&g);
	r = check_document(data, len, "doc.xml", conf, route, now, &pf, &why);
	agree(label, &g.pf, g.r, &pf, r);
	is_str(g.why, why, "%s: the same reason", label);
	preflight_free(&pf);
	preflight_free(&g.pf);
	free(g.why);
	free(why);
}

int
main(void)
{
	struct offload *o;
	struct preflight pf;
	struct buf b;
	char tmpl[] = "/tmp/chorusgw-offload-XXXXXX", *p, *text, *data, *why = NULL, *bad;
	size_t len;
	int r;

	srctree_init();
	if (mkdtemp(tmpl) == NULL)
		return 1;
	p = xasprintf("%s/c.ini", tmpl);
	text = xasprintf("[transform]\nstylesheet_dir = %s/xslt\nschema_dir = %s/schemas\n", srcdir,
	                 srcdir);
	if (write_file_atomic(NULL, p, text, strlen(text), 0600, 0, NULL) == -1)
		return 1;
	conf = conf_load(p, 0, &why);
	if (conf == NULL)
		return 1;
	unlink(p);
	rmdir(tmpl);
	free(p);
	free(text);
	ok(ev_init(&why) == 0, "init");
	o = offload_new(conf, 2);

	data = slurp("xslt/examples/invoice-multirate-allowances.xml", &len);
	compare(o, "an invoice that can be sent", ROUTE_CHORUS, data, len);
	/* the route travels to the worker: the PA route makes CII D22B and applies BR-FR */
	compare(o, "the same invoice on the PA route", ROUTE_PA, data, len);
	bad = xstrdup(data);
	p = strstr(bad, "55210055400013");
	p[13] = '4'; /* the supplier's SIRET, Luhn broken */
	compare(o, "a rejected invoice", ROUTE_CHORUS, bad, len);
	compare(o, "not XML", ROUTE_CHORUS, "<a", 2);
	free(bad);
	free(data);

	/* a set-up failure: workers forked after the change use the new configuration */
	{
		char *saved = conf->stylesheet_dir;
		data = slurp("xslt/examples/invoice-simple.xml", &len);
		conf->stylesheet_dir = xstrdup("/nonexistent");
		offload_renew(o, conf);
		compare(o, "a missing stylesheet", ROUTE_CHORUS, data, len);
		free(conf->stylesheet_dir);
		conf->stylesheet_dir = saved;
		offload_renew(o, conf);
		free(data);
	}

	/* bytes that are not a reply: refused, nothing half-built */
	buf_init(&b);
	memset(&pf, 0, sizeof(pf));
	pf.x.syntax = -1;
	pf.verdict = PF_REJECT;
	offload_encode(-1, &pf, "why", &b);
	ok(offload_decode(b.p, b.len, &r, &pf, &why) == 0 && r == -1 && same_str(why, "why"),
	   "an empty pre-flight decodes");
	preflight_free(&pf);
	free(why);
	why = NULL;
	ok(offload_decode(b.p, b.len - 1, &r, &pf, &why) == -1 && why == NULL,
	   "a truncated reply is refused");
	buf_add(&b, "x", 1);
	ok(offload_decode(b.p, b.len, &r, &pf, &why) == -1, "trailing bytes are refused");
	buf_free(&b);

	ok(offload_memory_estimate(7400000) > 390ull << 20 &&
	       offload_memory_estimate(7400000) < 450ull << 20,
	   "estimate: a 7.4 MB export (20 000 lines) needs about 400 MB");

	offload_free(o);
	ev_fini();
	conf_free(conf);
	xform_cleanup();
	return done_testing();
}
