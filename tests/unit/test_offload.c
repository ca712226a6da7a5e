/*
 * Unit tests of offload.c: a pre-flight made in a worker process gives the gateway
 * what check_document() in the process gives (verdict, document, problems, numbers
 * and SIRETs), the document made written by the worker to the stage given, its bytes
 * not in the reply; a rejected document and a set-up failure travel too, and a stage
 * that cannot be written is a set-up failure; a reply that is not one is refused; the
 * memory estimate.
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
static char *docpath;              /* the file the worker reads */
static struct offload_stage stage; /* where it writes the document made */
static time_t now = 1795867200;    /* 2026-11-28 12:00 UTC */

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

/* A value of the model, with its qualifier, element path and line. */
static int
same_val(const struct inv_value *a, const struct inv_value *b)
{
	return same_str(a->text, b->text) && same_str(a->attr, b->attr) &&
	       same_str(a->path, b->path) && a->line == b->line;
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
	same = same && same_str(w->x.iban_source, l->x.iban_source) && w->x.route == l->x.route &&
	       same_str(w->x.export_route, l->x.export_route) &&
	       same_str(w->x.export_cadre, l->x.export_cadre);
	if (same && w->inv)
		same = w->inv->npayments == l->inv->npayments &&
		       w->inv->nattachments == l->inv->nattachments;
	for (i = 0; same && w->inv && i < w->inv->npayments; i++)
		same = same_str(w->inv->payments[i].iban.text, l->inv->payments[i].iban.text);
	for (i = 0; same && w->inv && i < w->inv->nattachments; i++)
		same = same_str(w->inv->attachments[i].id.text, l->inv->attachments[i].id.text) &&
		       same_str(w->inv->attachments[i].filename.text,
		                l->inv->attachments[i].filename.text) &&
		       w->inv->attachments[i].content_len == l->inv->attachments[i].content_len;
	if (same && w->inv)
		same = same_val(&w->inv->number, &l->inv->number) &&
		       same_val(&w->inv->supplier.siret, &l->inv->supplier.siret) &&
		       same_val(&w->inv->buyer.siret, &l->inv->buyer.siret) &&
		       same_val(&w->inv->supplier.legal_id, &l->inv->supplier.legal_id) &&
		       same_val(&w->inv->supplier.endpoint, &l->inv->supplier.endpoint) &&
		       same_val(&w->inv->buyer.legal_id, &l->inv->buyer.legal_id) &&
		       same_val(&w->inv->buyer.endpoint, &l->inv->buyer.endpoint) &&
		       same_val(&w->inv->cadre, &l->inv->cadre) &&
		       same_val(&w->inv->service_code, &l->inv->service_code) &&
		       same_val(&w->inv->engagement, &l->inv->engagement);
	/* what the PA route's Directory look-up and buyer check ask about */
	if (same && w->inv) {
		char a[10], b[10];
		const char *ws = invoice_party_siren(&w->inv->buyer, a),
		           *ls = invoice_party_siren(&l->inv->buyer, b);
		same = same_str(ws, ls) && same_str(invoice_party_siren(&w->inv->supplier, a),
		                                    invoice_party_siren(&l->inv->supplier, b));
	}
	/* a supplier without a SIRET: its identifier and type, for the receipt */
	if (same && w->inv) {
		const struct inv_value *wi = invoice_supplier_id(w->inv),
		                       *li = invoice_supplier_id(l->inv);
		same = (wi == NULL) == (li == NULL) &&
		       (wi == NULL ||
		        (same_str(wi->text, li->text) && same_str(wi->attr, li->attr))) &&
		       invoice_supplier_id_type(w->inv) == invoice_supplier_id_type(l->inv);
	}
	ok(same, "%s: the worker's pre-flight is the process's (%zu account(s), %zu attachment(s))",
	   label, l->inv ? l->inv->npayments : 0, l->inv ? l->inv->nattachments : 0);
}

/* The buyer check (made on the loop, after the worker's pre-flight) finds the same
 * problems, naming the same elements and lines, in both. */
static void
buyer_agrees(const char *label, struct preflight *w, struct preflight *l)
{
	char code[] = "NOT-THE-INVOICE-S", name[] = "Buyer", status[] = "ACTIVE";
	struct buyer_service svc = {.code = code, .active = 1};
	struct buyer_req req = {.found = 1,
	                        .name = name,
	                        .status = status,
	                        .service_required = 1,
	                        .engagement_required = 1,
	                        .services = &svc,
	                        .nservices = 1};
	size_t wn = w->problems.n, ln = l->problems.n, i;
	size_t found = preflight_buyer(l, &req);
	int same = preflight_buyer(w, &req) == found && found > 0 && w->problems.n == l->problems.n;
	for (i = 0; same && i < w->problems.n - wn; i++)
		same = same_str(w->problems.v[wn + i].text, l->problems.v[ln + i].text) &&
		       same_str(w->problems.v[wn + i].path, l->problems.v[ln + i].path) &&
		       w->problems.v[wn + i].line == l->problems.v[ln + i].line;
	ok(same, "%s: the buyer check finds the same %zu problem(s) after the worker's pre-flight",
	   label, found);
}

static void
compare(struct offload *o, const char *label, unsigned route, const char *data, size_t len)
{
	struct got g = {0};
	struct preflight pf;
	char *why = NULL;
	int r;
	ok(write_file_atomic(NULL, docpath, data, len, 0600, 0, NULL) == 0, "%s: the file written",
	   label);
	unlink(stage.path);
	offload_check(o, docpath, len, "doc.xml", route, now, &stage, done, &g);
	wait_for(&g);
	ok(g.pf.x.xml == NULL, "%s: the reply holds no document bytes", label);
	if (g.pf.x.len > 0) {
		/* compared below with the process's: the file the worker wrote */
		struct buf b;
		buf_init(&b);
		ok(read_file(stage.path, 1u << 30, 1, &b, NULL) == 0 && b.len == g.pf.x.len,
		   "%s: the worker wrote the document made (%zu bytes)", label, b.len);
		g.pf.x.xml = b.p;
	} else
		ok(access(stage.path, F_OK) == -1, "%s: no document made, none written", label);
	r = check_document(data, len, "doc.xml", conf, route, now, &pf, &why);
	agree(label, &g.pf, g.r, &pf, r);
	is_str(g.why, why, "%s: the same reason", label);
	if (r == 0)
		buyer_agrees(label, &g.pf, &pf);
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
	const char *addr = "<electronic-address scheme=\"0225\">812345676</electronic-address>";
	size_t len, i;
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
	free(p);
	free(text);
	docpath = xasprintf("%s/doc.xml", tmpl);
	stage.path = xasprintf("%s/.staged.1.xml", tmpl);
	stage.mode = 0640;
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
	free(data);
	data = slurp("xslt/examples/invoice-engagement.xml", &len);
	compare(o, "an invoice with attachments", ROUTE_CHORUS, data, len);
	compare(o, "not XML", ROUTE_CHORUS, "<a", 2);
	free(bad);
	free(data);
	data = slurp("xslt/examples/invoice-supplier-eu.xml", &len);
	compare(o, "a supplier without a SIRET", ROUTE_CHORUS, data, len);
	free(data);

	/* what the PA route reads after the pre-flight: the export's route and billing mode,
	 * the parties' SIRENs and addresses, BR-FR's verdicts */
	data = slurp("xslt/examples/pa/invoice-b2b.xml", &len);
	compare(o, "a B2B export on the PA route", ROUTE_PA, data, len);
	bad = xstrdup(data);
	p = strstr(bad, addr);
	if (p)
		memset(p, ' ', strlen(addr));
	ok(p != NULL, "the B2B export names the buyer's electronic address");
	compare(o, "the same without the buyer's address", ROUTE_PA, bad, len);
	r = check_document(bad, len, "doc.xml", conf, ROUTE_PA, now, &pf, &why);
	for (i = 0; i < pf.problems.n && !same_str(pf.problems.v[i].rule, "BR-FR-12"); i++)
		;
	ok(r == -1 && i < pf.problems.n, "... which BR-FR-12 refuses: %s", why);
	preflight_free(&pf);
	free(why);
	why = NULL;
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

	/* the worker reads the file: one it cannot read, or larger than allowed, is not judged */
	{
		struct got g = {0};
		char *gone = xasprintf("%s/gone.xml", tmpl);
		offload_check(o, gone, 1000, "gone.xml", ROUTE_CHORUS, now, &stage, done, &g);
		wait_for(&g);
		ok(g.r == OFFLOAD_UNREADABLE && g.why && g.pf.inv == NULL && g.pf.x.xml == NULL,
		   "a file that is not there: unreadable, saying why (%s)", g.why ? g.why : "-");
		preflight_free(&g.pf);
		free(g.why);
		memset(&g, 0, sizeof(g));
		offload_check(o, docpath, 10, "doc.xml", ROUTE_CHORUS, now, &stage, done, &g);
		wait_for(&g);
		ok(g.r == OFFLOAD_UNREADABLE && g.why,
		   "a file over the size given: unreadable (%s)", g.why ? g.why : "-");
		preflight_free(&g.pf);
		free(g.why);
		free(gone);
	}

	/* a stage that cannot be written: the disk's fault, not the document's */
	{
		struct got g = {0};
		struct offload_stage nowhere = {.mode = 0640};
		nowhere.path = xasprintf("%s/missing/.staged.2.xml", tmpl);
		data = slurp("xslt/examples/invoice-simple.xml", &len);
		ok(write_file_atomic(NULL, docpath, data, len, 0600, 0, NULL) == 0,
		   "the file written");
		offload_check(o, docpath, len, "doc.xml", ROUTE_CHORUS, now, &nowhere, done, &g);
		wait_for(&g);
		ok(g.r == -1 && g.pf.verdict == PF_SETUP && g.why &&
		       strstr(g.why, "the document made could not be written") && g.pf.inv == NULL,
		   "a stage that cannot be written: set-up failure, nothing judged (%s)",
		   g.why ? g.why : "-");
		preflight_free(&g.pf);
		free(g.why);
		/* a refused document too: the write's error, not its reason, is said */
		memset(&g, 0, sizeof(g));
		free(data);
		data = slurp("xslt/examples/invoice-multirate-allowances.xml", &len);
		p = strstr(data, "55210055400013");
		if (p)
			p[13] = '4'; /* the supplier's SIRET, Luhn broken */
		ok(p && write_file_atomic(NULL, docpath, data, len, 0600, 0, NULL) == 0,
		   "a refused invoice written");
		offload_check(o, docpath, len, "doc.xml", ROUTE_CHORUS, now, &nowhere, done, &g);
		wait_for(&g);
		ok(g.r == -1 && g.pf.verdict == PF_SETUP && g.why &&
		       strstr(g.why, "the document made could not be written"),
		   "... refused, its stage unwritable: set-up failure too (%s)",
		   g.why ? g.why : "-");
		preflight_free(&g.pf);
		free(g.why);
		free(data);
		free((char *)nowhere.path);
	}

	ok(offload_memory_estimate(7400000) > 390ull << 20 &&
	       offload_memory_estimate(7400000) < 450ull << 20,
	   "estimate: a 7.4 MB export (20 000 lines) needs about 400 MB");

	offload_free(o);
	unlink(docpath);
	unlink(stage.path);
	free((char *)stage.path);
	rmdir(tmpl);
	free(docpath);
	ev_fini();
	conf_free(conf);
	xform_cleanup();
	return done_testing();
}
