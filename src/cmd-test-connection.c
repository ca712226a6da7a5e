/*
 * cmd-test-connection.c - `chorusgw test-connection`: one line per step, in the order
 * a set-up is fixed (the PISTE token, then each Chorus Pro API, then the technical
 * accounts; then, when [pa] is set, the PA's token, its Flow and Directory Services, a
 * Directory look-up and a search), each step a function below; on failure the set-up
 * step to check, as chorus.c's and pa.c's classifications word it (the daemon says the
 * same).
 *
 * With --deposit (qualification only), an end-to-end step too: a small invoice of the
 * configured supplier to a buyer the user names, made by the shipped stylesheet with
 * the configured siret_scheme, deposited and followed to its final report; when Chorus
 * Pro does not find a SIRET, once again with the other scheme, to say which to set.
 *
 * Errors: every step prints its own line; the command exits 0 when every step passed,
 * 5 when one failed, 3 for the configuration, 1 when the event loop fails.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chorus.h"
#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "http.h"
#include "pa.h"
#include "rules.h"
#include "util.h"
#include "xform.h"

struct tc {
	const struct conf *c;
	struct chorus *ch;
	struct pa *pa;
	const char *login; /* the [chorus] technical account */
	int steps, failed;
	char *last_setup; /* the last "->" line printed */
};

/* The callbacks of the clients' operations: hand the reply to the cmd_wait `arg`. */
static void
tc_done(struct chorus_reply *p, void *arg)
{
	struct cmd_wait *w = arg;
	w->reply = p;
	w->done = 1;
}

static void
tc_pa_done(struct pa_reply *p, void *arg)
{
	struct cmd_wait *w = arg;
	w->reply = p;
	w->done = 1;
}

/* What a step's answer says, whichever client gave it. */
struct tc_outcome {
	int passed;
	uint64_t ms;
	const char *reason, *setup;
};

/* Print a step's line; on failure the reason and what to check. 1 if it passed.
 * `o` NULL: the event loop failed. */
static int
tc_print(struct tc *t, const char *step, const struct tc_outcome *o, const char *detail)
{
	t->steps++;
	if (o == NULL) {
		t->failed++;
		printf("FAIL  %-12s %7s  the event loop failed\n", step, "");
		return 0;
	}
	if (o->passed) {
		printf("ok    %-12s %5llums  %s\n", step, (unsigned long long)o->ms,
		       detail ? detail : "");
		return 1;
	}
	t->failed++;
	printf("FAIL  %-12s %5llums  %s\n", step, (unsigned long long)o->ms,
	       o->reason ? o->reason : "failed");
	if (o->setup && t->last_setup && strcmp(o->setup, t->last_setup) == 0)
		printf("      -> the same as above\n");
	else if (o->setup) {
		printf("      -> %s\n", o->setup);
		free(t->last_setup);
		t->last_setup = xstrdup(o->setup);
	}
	return 0;
}

static int
tc_line(struct tc *t, const char *step, const struct chorus_reply *p, const char *detail)
{
	struct tc_outcome o;
	if (p == NULL)
		return tc_print(t, step, NULL, detail);
	o.passed = p->r.cls == CHORUS_OK;
	o.ms = p->r.elapsed_ms;
	o.reason = p->r.reason ? p->r.reason : chorus_class_name(p->r.cls);
	o.setup = p->r.setup;
	return tc_print(t, step, &o, detail);
}

static int
tc_pa_line(struct tc *t, const char *step, const struct pa_reply *p, const char *detail)
{
	struct tc_outcome o;
	if (p == NULL)
		return tc_print(t, step, NULL, detail);
	o.passed = p->r.cls == PA_OK;
	o.ms = p->r.elapsed_ms;
	o.reason = p->r.reason ? p->r.reason : pa_class_name(p->r.cls);
	o.setup = p->r.setup;
	return tc_print(t, step, &o, detail);
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

/* The mode and URLs tested, and a note when they do not belong together. */
static void
tc_header(const struct conf *c)
{
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
}

/* 1. The PISTE token: nothing else can work without it. 1 if it passed. */
static int
step_token(struct tc *t)
{
	struct cmd_wait w;
	struct chorus_reply *p;
	char *detail;
	int ok;
	memset(&w, 0, sizeof(w));
	chorus_token(t->ch, tc_done, &w);
	p = cmd_wait("test-connection", &w);
	detail = p ? xasprintf("PISTE application %s: token valid %llds", t->c->client_id,
	                       (long long)p->token_expires_in_s)
	           : NULL;
	ok = tc_line(t, "PISTE token", p, detail);
	free(detail);
	chorus_reply_free(p);
	return ok;
}

/* 2. health-check. */
static void
step_health(struct tc *t)
{
	struct cmd_wait w;
	struct chorus_reply *p;
	memset(&w, 0, sizeof(w));
	chorus_health(t->ch, NULL, tc_done, &w);
	p = cmd_wait("test-connection", &w);
	tc_line(t, "health-check", p, "GET /cpro/transverses/v1/health-check: Chorus Pro answers");
	chorus_reply_free(p);
}

/* 3. Factures: the cheapest search, one result at most. */
static void
step_factures(struct tc *t)
{
	struct chorus_search_req q;
	struct cmd_wait w;
	struct chorus_reply *p;
	char *detail;
	memset(&q, 0, sizeof(q));
	q.max_results = 1;
	memset(&w, 0, sizeof(w));
	chorus_search(t->ch, &q, tc_done, &w);
	p = cmd_wait("test-connection", &w);
	detail = p ? xasprintf("rechercher/fournisseur: %lld invoice(s) visible to %s",
	                       (long long)p->invoices.total, t->login)
	           : NULL;
	tc_line(t, "Factures", p, detail);
	free(detail);
	chorus_reply_free(p);
}

/* 4. Transverses: which structures the technical account acts for, and a note for
 * each [supplier.SIRET] without its own account that is not among them. Returns the
 * answer (step 5 may take its first SIRET; caller frees), NULL if the loop failed. */
static struct chorus_reply *
step_transverses(struct tc *t)
{
	const struct conf *c = t->c;
	struct cmd_wait w;
	struct chorus_reply *p;
	struct buf b;
	size_t i, j;

	memset(&w, 0, sizeof(w));
	chorus_own_structures(t->ch, NULL, tc_done, &w);
	p = cmd_wait("test-connection", &w);
	if (p == NULL || p->r.cls != CHORUS_OK) {
		tc_line(t, "Transverses", p, NULL);
		return p;
	}
	buf_init(&b);
	buf_printf(&b, "recuperer/structures/actives/fournisseur: %s acts for", t->login);
	for (i = 0; i < p->own.n && i < 8; i++)
		buf_printf(&b, "%s %s", i ? "," : "", p->own.v[i].siret ? p->own.v[i].siret : "?");
	if (p->own.n > 8)
		buf_printf(&b, " and %zu more", p->own.n - 8);
	if (p->own.n == 0)
		buf_adds(&b, " no active structure");
	tc_line(t, "Transverses", p, b.p);
	buf_free(&b);
	for (i = 0; i < c->nsuppliers; i++) {
		int found = 0;
		if (c->suppliers[i].tech_login)
			continue; /* its own account, checked in step 6 */
		for (j = 0; j < p->own.n; j++)
			if (p->own.v[j].siret &&
			    strcasecmp(p->own.v[j].siret, c->suppliers[i].id) == 0)
				found = 1;
		if (!found)
			printf(
			    "note: [supplier.%s] is not among the structures of %s: its deposits "
			    "will be refused; attach the account to it in Chorus Pro, or give the "
			    "section its own tech_login\n",
			    c->suppliers[i].id, t->login);
	}
	return p;
}

/* "rechercher SIRET ...: NAME (STATUS); technical account password expires DAY". */
static void
describe_structure(struct buf *b, const char *siret, const struct chorus_reply *s)
{
	if (s->structure.found)
		buf_printf(b, "rechercher SIRET %s: %s (%s)", siret,
		           s->structure.name ? s->structure.name : "?",
		           s->structure.status ? s->structure.status : "?");
	else
		buf_printf(b, "rechercher SIRET %s: no such structure in Chorus Pro", siret);
	if (s->structure.password_expiry) {
		time_t exp;
		char day[11];
		snprintf(day, sizeof(day), "%s", s->structure.password_expiry);
		buf_printf(b, "; technical account password expires %s", day);
		if (strlen(day) == 10) {
			char *iso = xasprintf("%sT00:00:00Z", day);
			if (parse_time_utc(iso, &exp) == 0 && exp - time(NULL) < 30 * 86400)
				buf_adds(
				    b, " (SOON: change it in Chorus Pro and in the configuration)");
			free(iso);
		}
	}
}

/* 5. Structures: the supplier's own structure, a [supplier.SIRET] the [chorus]
 * account acts for, else the first of step 4's answer `own` (may be NULL). Also shows
 * when the technical account's password expires. */
static void
step_structures(struct tc *t, const struct chorus_reply *own)
{
	const struct conf *c = t->c;
	const char *siret = NULL;
	struct cmd_wait w;
	struct chorus_reply *s;
	size_t i;

	for (i = 0; i < c->nsuppliers && siret == NULL; i++)
		if (c->suppliers[i].tech_login == NULL)
			siret = c->suppliers[i].siret; /* NULL: a supplier without a SIRET */
	if (siret == NULL && own && own->own.n > 0 && own->own.v[0].siret)
		siret = own->own.v[0].siret;
	if (siret == NULL) {
		tc_skip(
		    t, "Structures",
		    "no SIRET to look up: add a [supplier.SIRET] section for your establishment");
		return;
	}
	memset(&w, 0, sizeof(w));
	chorus_structure(t->ch, siret, 1, tc_done, &w);
	s = cmd_wait("test-connection", &w);
	if (s && s->r.cls == CHORUS_OK) {
		struct buf b;
		buf_init(&b);
		describe_structure(&b, siret, s);
		tc_line(t, "Structures", s, b.p);
		buf_free(&b);
	} else
		tc_line(t, "Structures", s, NULL);
	chorus_reply_free(s);
}

/* 6. Every other technical account ([supplier.SIRET] tech_login) acts for its SIRET. */
static void
step_accounts(struct tc *t)
{
	const struct conf *c = t->c;
	size_t i, j;
	for (i = 0; i < c->nsuppliers; i++) {
		const struct conf_supplier *s = &c->suppliers[i];
		struct cmd_wait w;
		struct chorus_reply *p;
		char *detail;
		int found = 0;
		if (s->tech_login == NULL)
			continue;
		memset(&w, 0, sizeof(w));
		chorus_own_structures(t->ch, s->id, tc_done, &w);
		p = cmd_wait("test-connection", &w);
		for (j = 0; p && j < p->own.n; j++)
			if (p->own.v[j].siret && strcasecmp(p->own.v[j].siret, s->id) == 0)
				found = 1;
		detail = xasprintf("[supplier.%s] %s acts for %s%s", s->id, s->tech_login, s->id,
		                   found ? "" : "? it is not among its structures");
		tc_line(t, "account", p, detail);
		free(detail);
		chorus_reply_free(p);
	}
}

/* ---- --deposit: the whole chain, end to end ---- */

/* A small ERP export of supplier `sup` to buyer `buy` (service `svc` or NULL). */
static char *
test_invoice(const char *number, const char *sup, const char *buy, const char *svc)
{
	char day[32];
	fmt_time_utc(day, sizeof(day), time(NULL));
	day[10] = '\0';
	return xasprintf(
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<invoice xmlns=\"urn:chorusgw:erp:1\">\n"
	    "  <number>%s</number>\n  <issue-date>%s</issue-date>\n"
	    "  <currency>EUR</currency>\n"
	    "  <note>chorusgw test-connection --deposit: a test invoice</note>\n"
	    "  <supplier><siret>%s</siret><name>chorusgw test</name>\n"
	    "    <address><country>FR</country></address></supplier>\n"
	    "  <buyer><siret>%s</siret>%s%s%s<name>chorusgw test</name>\n"
	    "    <address><country>FR</country></address></buyer>\n"
	    "  <line><id>1</id><name>test</name><quantity>1</quantity><unit>C62</unit>\n"
	    "    <price>1.00</price><vat-category>S</vat-category><vat-rate>20</vat-rate>\n"
	    "    <net-amount>1.00</net-amount></line>\n"
	    "  <totals><line-total>1.00</line-total><total-without-vat>1.00</total-without-vat>\n"
	    "    <vat-total>0.20</vat-total><total-with-vat>1.20</total-with-vat>\n"
	    "    <payable>1.20</payable></totals>\n"
	    "</invoice>\n",
	    number, day, sup, buy, svc ? "<service-code>" : "", svc ? svc : "",
	    svc ? "</service-code>" : "");
}

static void
on_wake(void *arg)
{
	*(int *)arg = 1;
}

/* Deposit `xml` and read its report until final or 5 minutes: the last report, or
 * NULL after printing why (a line of the step). `flux` gets the deposit's number. */
static struct chorus_reply *
deposit_and_follow(struct tc *t, const char *step, const char *sup, const char *number,
                   const struct xform_result *x, char **flux)
{
	struct chorus_deposit_req q;
	struct cmd_wait w;
	struct chorus_reply *p;
	uint64_t t0 = now_ms(), until = t0 + 5 * 60 * 1000;
	char unique[32];

	memset(&q, 0, sizeof(q));
	q.supplier_siret = sup;
	q.syntax = x->syntax;
	q.number = number;
	snprintf(unique, sizeof(unique), "test-%lld", (long long)time(NULL));
	q.unique = unique;
	q.data = x->xml;
	q.len = x->len;
	memset(&w, 0, sizeof(w));
	chorus_deposit(t->ch, &q, tc_done, &w);
	p = cmd_wait("test-connection", &w);
	if (p == NULL || p->r.cls != CHORUS_OK) {
		tc_line(t, step, p, NULL);
		chorus_reply_free(p);
		return NULL;
	}
	*flux = xstrdup(p->deposit.flux);
	chorus_reply_free(p);
	for (;;) {
		int woke = 0;
		char *why = NULL;
		/* as the daemon does: soon at first, then every 30 s */
		ev_timer_add(chorus_report_delay_ms((int64_t)(now_ms() - t0), 30000), on_wake,
		             &woke);
		if (http_run_until(&woke, &why) == -1) {
			fprintf(stderr, "chorusgw: test-connection: %s\n", why);
			free(why);
			return NULL;
		}
		memset(&w, 0, sizeof(w));
		chorus_report(t->ch, sup, *flux, tc_done, &w);
		p = cmd_wait("test-connection", &w);
		if (p == NULL || p->r.cls != CHORUS_OK) {
			tc_line(t, step, p, NULL);
			chorus_reply_free(p);
			return NULL;
		}
		if (p->report.final || now_ms() >= until)
			return p;
		chorus_reply_free(p);
	}
}

/* Did Chorus Pro fail to find the supplier's or the buyer's identifier? */
static int
identifier_unknown(const struct chorus_reply *p)
{
	size_t i;
	for (i = 0; i < p->report.nerrors; i++)
		if (p->report.errors[i].kind &&
		    (strcmp(p->report.errors[i].kind, "supplier-unknown") == 0 ||
		     strcmp(p->report.errors[i].kind, "buyer-unknown") == 0))
			return 1;
	return 0;
}

/* The report's end in a line: integrated, or the state and Chorus Pro's reasons. */
static void
describe_report(struct buf *b, const char *flux, const struct chorus_reply *p)
{
	size_t i;
	buf_printf(b, "deposit %s: %s (%s)", flux, p->report.state ? p->report.state : "?",
	           p->report.words ? p->report.words : "a state chorusgw does not know");
	for (i = 0; i < p->report.nerrors; i++)
		buf_printf(b, "; %s",
		           p->report.errors[i].message ? p->report.errors[i].message : "?");
}

/* One deposit of the test invoice with siret_scheme `scheme`; the last report or NULL
 * (a line printed). */
static struct chorus_reply *
deposit_with_scheme(struct tc *t, const char *step, const char *sup, const char *buy,
                    const char *svc, const char *scheme, char **flux)
{
	struct conf *c = (struct conf *)t->c; /* this command's own, put back after */
	char *saved = c->siret_scheme, *why = NULL, *doc, number[24];
	struct xform_result x;
	struct chorus_reply *p = NULL;

	snprintf(number, sizeof(number), "CGWT%lld", (long long)(time(NULL) % 100000000000LL));
	doc = test_invoice(number, sup, buy, svc);
	c->siret_scheme = (char *)scheme;
	memset(&x, 0, sizeof(x));
	if (xform_make(doc, strlen(doc), "test-connection.xml", c, ROUTE_CHORUS, &x, &why) == -1) {
		struct tc_outcome o = {0, 0, why, "check [transform] stylesheet_dir"};
		tc_print(t, step, &o, NULL);
		free(why);
	} else
		p = deposit_and_follow(t, step, sup, number, &x, flux);
	c->siret_scheme = saved;
	xform_result_free(&x);
	free(doc);
	return p;
}

/* The supplier of the test invoice: the first [supplier.SIRET] the [chorus] account
 * acts for, else the first structure of that account (`own`, may be NULL). */
static const char *
test_supplier(const struct conf *c, const struct chorus_reply *own)
{
	size_t i;
	for (i = 0; i < c->nsuppliers; i++)
		if (c->suppliers[i].tech_login == NULL && c->suppliers[i].siret)
			return c->suppliers[i].siret;
	if (own && own->own.n > 0)
		return own->own.v[0].siret;
	return NULL;
}

/* 7. The whole chain: deposit, report, and the SIRET scheme Chorus Pro takes. */
static void
step_deposit(struct tc *t, const struct chorus_reply *own, const char *buy, const char *svc)
{
	const char *sup = test_supplier(t->c, own);
	const char *scheme = t->c->siret_scheme ? t->c->siret_scheme : "0009";
	const char *other = strcmp(scheme, "1") == 0 ? "0009" : "1";
	struct chorus_reply *p, *q;
	char *flux = NULL, *flux2 = NULL;
	struct buf b;

	if (sup == NULL) {
		tc_skip(t, "deposit", "no supplier: add a [supplier.SIRET] section");
		return;
	}
	p = deposit_with_scheme(t, "deposit", sup, buy, svc, scheme, &flux);
	if (p == NULL) {
		free(flux);
		return;
	}
	buf_init(&b);
	if (p->report.final && p->report.integrated) {
		buf_printf(&b,
		           "deposit %s of a test invoice of %s to %s: integrated; the chain "
		           "works end to end with siret_scheme %s",
		           flux, sup, buy, scheme);
		tc_line(t, "deposit", p, b.p);
	} else if (p->report.final && identifier_unknown(p)) {
		/* the SIRETs were refused: is it the scheme? */
		q = deposit_with_scheme(t, "deposit", sup, buy, svc, other, &flux2);
		if (q && q->report.final && q->report.integrated) {
			struct tc_outcome o = {0, p->r.elapsed_ms, NULL, NULL};
			char *why =
			    xasprintf("Chorus Pro did not find the SIRETs written with scheme %s "
			              "(deposit %s) but took them with scheme %s (deposit %s)",
			              scheme, flux, other, flux2);
			char *fix = xasprintf("set [transform] siret_scheme = %s", other);
			o.reason = why;
			o.setup = fix;
			tc_print(t, "deposit", &o, NULL);
			free(why);
			free(fix);
		} else if (q) {
			struct tc_outcome o = {0, p->r.elapsed_ms, NULL, NULL};
			describe_report(&b, flux, p);
			o.reason = b.p;
			o.setup = p->report.nerrors && p->report.errors[0].advice
			              ? p->report.errors[0].advice
			              : "check the supplier's and the buyer's SIRETs";
			tc_print(t, "deposit", &o, NULL);
			printf("      (with siret_scheme %s too: deposit %s, %s)\n", other,
			       flux2 ? flux2 : "?", q->report.state ? q->report.state : "?");
		}
		chorus_reply_free(q);
	} else {
		struct tc_outcome o = {0, p->r.elapsed_ms, NULL, NULL};
		char *todo = p->report.final ? NULL : chorus_report_action(p->report.state, flux);
		describe_report(&b, flux, p);
		o.reason = b.p;
		o.setup = todo ? todo
		          : p->report.nerrors && p->report.errors[0].advice
		              ? p->report.errors[0].advice
		              : NULL;
		tc_print(t, "deposit", &o, NULL);
		free(todo);
	}
	buf_free(&b);
	chorus_reply_free(p);
	free(flux);
	free(flux2);
}

/* ---- the Plateforme Agréée ---- */

/* 7. The PA's token. 1 if it passed. */
static int
step_pa_token(struct tc *t)
{
	struct cmd_wait w;
	struct pa_reply *p;
	char *detail;
	int ok;
	memset(&w, 0, sizeof(w));
	pa_token(t->pa, tc_pa_done, &w);
	p = cmd_wait("test-connection", &w);
	detail = p ? xasprintf("client %s: token valid %llds", t->c->pa_client_id,
	                       (long long)p->token_expires_in_s)
	           : NULL;
	ok = tc_pa_line(t, "PA token", p, detail);
	free(detail);
	pa_reply_free(p);
	return ok;
}

/* 8, 9. The healthchecks of the Flow and Directory Services. */
static void
step_pa_health(struct tc *t, int directory)
{
	struct cmd_wait w;
	struct pa_reply *p;
	memset(&w, 0, sizeof(w));
	pa_health(t->pa, directory, tc_pa_done, &w);
	p = cmd_wait("test-connection", &w);
	tc_pa_line(t, directory ? "PA Directory" : "PA Flow", p,
	           directory ? "GET /v1/healthcheck: the Directory Service answers"
	                     : "GET /v1/healthcheck: the Flow Service answers");
	pa_reply_free(p);
}

/* The SIREN to look up: the first [supplier.SIRET]'s, else [pa] organization_id. */
static const char *
own_siren(const struct conf *c, char buf[10])
{
	for (size_t i = 0; i < c->nsuppliers; i++)
		if (c->suppliers[i].siret) {
			snprintf(buf, 10, "%.9s", c->suppliers[i].siret);
			return buf;
		}
	if (c->pa_organization_id && str_digits(c->pa_organization_id, 9))
		return c->pa_organization_id;
	return NULL;
}

/* 10. A Directory look-up: one of our companies, and whether it receives. */
static void
step_pa_lookup(struct tc *t)
{
	struct cmd_wait w;
	struct pa_reply *p, *l = NULL;
	struct buf b;
	char sb[10];
	const char *siren = own_siren(t->c, sb);
	size_t i;

	if (siren == NULL) {
		tc_skip(
		    t, "PA look-up",
		    "no SIREN to look up: add a [supplier.SIRET] section for your establishment");
		return;
	}
	memset(&w, 0, sizeof(w));
	pa_siren(t->pa, siren, 1, tc_pa_done, &w);
	p = cmd_wait("test-connection", &w);
	if (p && p->r.cls == PA_OK) {
		memset(&w, 0, sizeof(w));
		pa_directory_lines(t->pa, siren, 1, tc_pa_done, &w);
		l = cmd_wait("test-connection", &w);
	}
	if (l == NULL || l->r.cls != PA_OK) {
		tc_pa_line(t, "PA look-up", l ? l : p, NULL);
		pa_reply_free(p);
		pa_reply_free(l);
		return;
	}
	buf_init(&b);
	if (!p->company.found)
		buf_printf(&b, "SIREN %s: not in the Directory", siren);
	else
		buf_printf(&b, "SIREN %s: %s (%s)", siren, p->company.name ? p->company.name : "?",
		           p->company.entity_type ? p->company.entity_type : "?");
	for (i = 0; i < l->lines.n; i++)
		if (l->lines.v[i].status && strcmp(l->lines.v[i].status, "Enabled") == 0)
			break;
	if (i < l->lines.n)
		buf_printf(&b, "; receives through %s (line %s)",
		           l->lines.v[i].platform && strcmp(l->lines.v[i].platform, "DFH") == 0
		               ? "the PPF"
		               : "a PA",
		           l->lines.v[i].address ? l->lines.v[i].address : "?");
	else if (p->company.found)
		buf_adds(&b, "; no active directory line: it cannot receive invoices yet");
	tc_pa_line(t, "PA look-up", l, b.p);
	buf_free(&b);
	pa_reply_free(p);
	pa_reply_free(l);
}

/* 11. A search: the flows updated in the last day, first page only. */
static void
step_pa_search(struct tc *t)
{
	struct pa_search_req q;
	struct cmd_wait w;
	struct pa_reply *p;
	char since[40], *detail;
	memset(&q, 0, sizeof(q));
	fmt_time_utc(since, sizeof(since), time(NULL) - 86400);
	q.updated_after = since;
	q.max_pages = 1;
	memset(&w, 0, sizeof(w));
	pa_search(t->pa, &q, tc_pa_done, &w);
	p = cmd_wait("test-connection", &w);
	detail = p ? xasprintf("POST /v1/flows/search: %zu flow(s) updated in the last day%s",
	                       p->search.n, p->search.next_cursor ? " on the first page" : "")
	           : NULL;
	tc_pa_line(t, "PA search", p, detail);
	free(detail);
	pa_reply_free(p);
}

static void
test_pa(struct tc *t)
{
	printf("Plateforme Agréée\n  token     %s\n  flows     %s\n  directory %s\n",
	       t->c->pa_token_url, t->c->pa_url, t->c->pa_directory_url);
	if (step_pa_token(t)) {
		step_pa_health(t, 0);
		step_pa_health(t, 1);
		step_pa_lookup(t);
		step_pa_search(t);
	} else {
		tc_skip(t, "PA Flow", "needs a PA token");
		tc_skip(t, "PA Directory", "needs a PA token");
		tc_skip(t, "PA look-up", "needs a PA token");
		tc_skip(t, "PA search", "needs a PA token");
	}
}

/* `buyer` (and `service`): --deposit's, else NULL. */
static void
test_chorus(struct tc *t, const char *buyer, const char *service)
{
	t->login = chorus_account_login(t->ch, NULL);
	tc_header(t->c);
	if (step_token(t)) {
		struct chorus_reply *own;
		step_health(t);
		step_factures(t);
		own = step_transverses(t);
		step_structures(t, own);
		step_accounts(t);
		if (buyer)
			step_deposit(t, own, buyer, service);
		chorus_reply_free(own);
	} else {
		tc_skip(t, "health-check", "needs a PISTE token");
		tc_skip(t, "Factures", "needs a PISTE token");
		tc_skip(t, "Transverses", "needs a PISTE token");
		tc_skip(t, "Structures", "needs a PISTE token");
		if (buyer)
			tc_skip(t, "deposit", "needs a PISTE token");
	}
}

static int
cmd_test_connection(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option extra[] = {{"deposit", no_argument, NULL, 'd'}, {0}};
	char *why = NULL, seen[4];
	const char *buyer = NULL, *service = NULL;
	struct conf *c;
	struct tc t;
	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (strchr(seen, 'd')) {
		if (argc - first < 1 || argc - first > 2 || !str_digits(argv[first], 14)) {
			fprintf(stderr,
			        "chorusgw: test-connection: --deposit needs the SIRET of a "
			        "public buyer of the qualification platform (and its service "
			        "code if it requires one)\n");
			cmd_usage(stderr, ctx->entry);
			return EXIT_USAGE;
		}
		buyer = argv[first];
		service = argc - first > 1 ? argv[first + 1] : NULL;
	} else if (cmd_no_operands(ctx, argc, first))
		return EXIT_USAGE;
	/* Chorus Pro's credentials are needed unless the configuration is the PA's only */
	c = cmd_load_conf(ctx, CONF_OPTIONAL, 0);
	if (c && (!c->pa || c->client_id || c->tech_login)) {
		conf_free(c);
		c = cmd_load_conf(ctx, CONF_NEED_CHORUS | CONF_OPTIONAL, 0);
	}
	if (c == NULL)
		return EXIT_CONFIG;
	if (buyer && c->mode == MODE_PRODUCTION) {
		/* a real invoice to a real buyer: never from a test */
		fprintf(stderr, "chorusgw: test-connection: --deposit is for "
		                "qualification only: in production it would send "
		                "a real invoice ([chorus] mode = production)\n");
		conf_free(c);
		return EXIT_USAGE;
	}
	memset(&t, 0, sizeof(t));
	t.c = c;
	/* a PA-only set-up has no Chorus Pro account to test */
	if (ev_init(&why) == -1 ||
	    ((c->client_id || c->tech_login || !c->pa) &&
	     (t.ch = chorus_new(c, NULL, &why)) == NULL) ||
	    (c->pa && (t.pa = pa_new(c, NULL, &why)) == NULL)) {
		fprintf(stderr, "chorusgw: test-connection: %s\n", why);
		free(why);
		chorus_free(t.ch);
		ev_fini();
		conf_free(c);
		return EXIT_RUNTIME;
	}
	if (t.ch)
		test_chorus(&t, buyer, service);
	if (t.pa)
		test_pa(&t);
	if (t.failed == 0)
		printf("all %d checks passed\n", t.steps);
	else
		printf("%d of %d checks failed; fix the first one first\n", t.failed, t.steps);
	free(t.last_setup);
	pa_free(t.pa);
	chorus_free(t.ch);
	ev_fini();
	conf_free(c);
	return t.failed ? EXIT_SETUP : EXIT_OK;
}

const struct cmd_entry cmd_test_connection_entry = {
    "test-connection", cmd_test_connection, "[--deposit BUYER_SIRET [SERVICE]]",
    "check the PISTE token, each Chorus Pro API and the technical account, and the PA",
    "Prints one line per step; on failure, the set-up step to check.\n"
    "  --deposit BUYER_SIRET [SERVICE]  qualification only: also deposit a test invoice\n"
    "                 to that buyer, follow it to its end, and say which siret_scheme\n"
    "                 Chorus Pro takes\n"};
