/*
 * transport-chorus.c - the Chorus Pro route behind transport.h, over chorus.c: the
 * buyer check (Structures API), the deposit (deposer/flux), finding an earlier deposit
 * by invoice number (rechercher/fournisseur), following a deposit (consulterCRDetaille
 * until final, then rechercher/fournisseur by numeroFluxDepot for the Chorus invoice
 * id), and the probe of a paused route. Everything Chorus Pro calls by its own names
 * is read and written here: numero_flux_depot, deposit_report_state,
 * chorus_invoice_id, chorus_status... of the document.
 *
 * Errors: chorus.c's classification, carried into the reply unchanged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "chorus.h"
#include "conf.h"
#include "receipt.h"
#include "transport-impl.h"
#include "util.h"

struct tp_chorus {
	struct transport base; /* first */
	const struct conf *conf;
	struct chorus *ch;
};

#define CH(t) (((struct tp_chorus *)(void *)(t))->ch)

/* Steps of a follow. */
enum { FOLLOW_REPORT = 0, FOLLOW_RESOLVE };

/* Wall clock of an ISO 8601 date-time from Chorus Pro, or now when unreadable. */
static time_t
chorus_time(const char *s)
{
	time_t t;
	if (s && parse_iso8601(s, &t) == 0)
		return t;
	return time(NULL);
}

/* Move chorus.c's verdict into the reply. */
static void
take_result(struct tp_call *c, struct chorus_reply *rep)
{
	struct tp_result *o = &c->reply->r;
	struct chorus_result *r = &rep->r;
	tp_result_clear(o);
	o->cls = (enum tp_class)r->cls;
	o->unknown_outcome = r->unknown_outcome;
	o->http_status = r->http_status;
	o->reason = r->reason;
	o->setup = r->setup;
	o->advice = r->advice;
	o->account_only = r->kind && (strcmp(r->kind, "refused-credentials") == 0 ||
	                              strcmp(r->kind, "password-expired") == 0);
	o->retry_after_ms = r->retry_after_ms;
	r->reason = r->setup = r->advice = NULL;
}

/* ---- the buyer check ---- */

/* Chorus Pro's pseudo-service for invoices between public structures. */
#define PUBLIC_ONLY_SERVICE "FACTURES_PUBLIQUES"

/* What the Structures API says the buyer requires, in check.c's words (check.c judges
 * the invoice against it). Caller frees (buyer_req_free). */
static struct buyer_req *
buyer_req_of(const struct chorus_reply *rep)
{
	struct buyer_req *b = xcalloc(1, sizeof(*b));
	size_t i;
	b->found = rep->structure.found;
	b->name = rep->structure.name ? xstrdup(rep->structure.name) : NULL;
	b->status = rep->structure.status ? xstrdup(rep->structure.status) : NULL;
	b->service_required = rep->structure.service_required;
	b->engagement_required = rep->structure.engagement_required;
	b->service_or_engagement = rep->structure.service_or_engagement;
	b->services =
	    xcalloc(rep->structure.nservices ? rep->structure.nservices : 1, sizeof(*b->services));
	for (i = 0; i < rep->structure.nservices; i++) {
		const struct chorus_service *sv = &rep->structure.services[i];
		b->services[i].code = sv->code ? xstrdup(sv->code) : NULL;
		b->services[i].active = sv->active;
		b->services[i].public_only = sv->code && strcmp(sv->code, PUBLIC_ONLY_SERVICE) == 0;
	}
	b->nservices = rep->structure.nservices;
	return b;
}

int
tp_chorus_cached_buyer(const struct conf *c, const char *cache_dir, const char *siret,
                       struct buyer_req **out, int64_t *fetched_ms, int *fresh, char **why)
{
	struct chorus_reply *rep = xcalloc(1, sizeof(*rep));
	int rc = chorus_structure_cached(cache_dir, siret, rep, why);
	size_t i;
	if (rc == 1) {
		*out = buyer_req_of(rep);
		/* the services' own requirement, where the buyer check asked it */
		for (i = 0; i < rep->structure.nservices; i++)
			chorus_service_cached(cache_dir, rep->structure.id,
			                      rep->structure.services[i].id,
			                      &(*out)->services[i].engagement_required);
		*fetched_ms = rep->structure.fetched_ms;
		*fresh = c->structure_cache_ttl_ms > 0 &&
		         chorus_structure_fresh(rep, c->structure_cache_ttl_ms, wall_ms());
	}
	chorus_reply_free(rep);
	return rc;
}

/* consulter/service answered: the service's own engagement requirement. Not answered:
 * the structure's answer stands, Chorus Pro checks it at the deposit. */
static void
on_service(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	c->inner = NULL;
	if (rep->r.cls == CHORUS_OK)
		c->reply->buyer->services[c->step].engagement_required =
		    rep->service_engagement_required;
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static void
on_structure(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	const char *svc = c->data; /* a service named by an invoice without engagement */
	size_t i;
	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls == CHORUS_OK) {
		struct buyer_req *b = buyer_req_of(rep);
		c->reply->buyer = b;
		/* a service may require an engagement number its structure does not: ask
		 * that service (consulter/service) when it is the one that matters */
		for (i = 0; svc && !b->engagement_required && i < b->nservices; i++) {
			const struct chorus_service *sv = &rep->structure.services[i];
			if (sv->code == NULL || strcmp(sv->code, svc) != 0 || !sv->active ||
			    b->services[i].public_only)
				continue;
			c->step = (int)i;
			c->inner =
			    chorus_service(CH(c->t), rep->structure.id, sv->id, on_service, c);
			chorus_reply_free(rep);
			return;
		}
	}
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_check_buyer(struct transport *t, struct doc *d, const struct invoice *inv, tp_cb *cb, void *arg)
{
	const struct tp_chorus *tc = (const struct tp_chorus *)(void *)t;
	struct tp_call *c;
	if (!tc->conf->check_structures || d->buyer_siret == NULL)
		return NULL;
	c = tp_call_new(t, d, "structure", cb, arg);
	/* the Structures API is asked by SIRET (check.c judges the invoice), and the
	 * invoice's service too when it has no engagement number */
	if (inv && inv->service_code.text && inv->engagement.text == NULL)
		c->data = xstrdup(inv->service_code.text);
	c->inner = chorus_structure(CH(t), d->buyer_siret, 0, on_structure, c);
	return c;
}

/* ---- the deposit ---- */

static void
on_deposit(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	c->inner = NULL;
	take_result(c, rep);
	switch (rep->r.cls) {
	case CHORUS_OK:
		doc_set(&d->numero_flux_depot, rep->deposit.flux);
		d->deposit_date = chorus_time(rep->deposit.date);
		p->id = xstrdup(rep->deposit.flux);
		p->note = xstrdup(rep->deposit.flux);
		/* the first report soon: Chorus Pro often integrates in seconds */
		p->poll_ms = (int64_t)chorus_report_delay_ms(
		    0, ((const struct tp_chorus *)(void *)c->t)->conf->report_poll_ms);
		break;
	case CHORUS_DOCUMENT:
		tp_reply_add_reason(p, "Chorus Pro refused the deposit: %s", p->r.reason);
		if (rep->r.libelle)
			tp_reply_add_reason(p, "Chorus Pro said: %s", rep->r.libelle);
		if (rep->r.raw) /* secrets removed and bounded by chorus.c */
			tp_reply_add_reason(p, "Chorus Pro's answer (HTTP %ld): %s",
			                    rep->r.http_status, rep->r.raw);
		break;
	default:
		break;
	}
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_send(struct transport *t, struct doc *d, const char *path, uint64_t size, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "deposit", cb, arg);
	struct chorus_deposit_req req;
	char *unique = xasprintf("%s-%d", d->qid, d->attempts); /* nomFichier: one per deposit */
	memset(&req, 0, sizeof(req));
	req.supplier_siret = doc_supplier_section(d);
	req.syntax = d->syntax && strcmp(d->syntax, "cii") == 0 ? SYNTAX_CII : SYNTAX_UBL;
	req.number = d->invoice_number;
	req.unique = unique;
	req.path = path;
	req.size = size;
	c->inner = chorus_deposit(CH(t), &req, on_deposit, c);
	free(unique);
	return c;
}

/* ---- finding an earlier deposit ---- */

/* Find our invoice in a search answer: same number, same supplier (the answer holds
 * every structure of the technical account: chorus_invoice_of()), deposited after
 * the document was claimed (an older invoice with that number is another story). A
 * search by number (no `flux`) never takes an invoice the buyer rejected: that is an
 * earlier round of this number (an operator's retry of the rejected document), not a
 * deposit whose outcome we missed; and were it ours, the document ends rejected anyway. */
static const struct chorus_invoice *
find_ours(const struct doc *d, const struct chorus_reply *rep, const char *flux)
{
	size_t i;
	for (i = 0; i < rep->invoices.n; i++) {
		const struct chorus_invoice *inv = &rep->invoices.v[i];
		if (inv->number == NULL || strcmp(inv->number, d->invoice_number) != 0)
			continue;
		if (!chorus_invoice_of(inv, doc_supplier_section(d)))
			continue;
		if (flux && (inv->flux == NULL || strcmp(inv->flux, flux) != 0))
			continue;
		if (!flux && inv->status && strcmp(inv->status, "REJETEE") == 0)
			continue;
		if (!flux && inv->deposit_date && d->received &&
		    chorus_time(inv->deposit_date) + 86400 < d->received)
			continue;
		return inv;
	}
	return NULL;
}

static struct chorus_call *
search(struct tp_call *c, const char *number, const char *flux, chorus_cb *cb)
{
	struct chorus_search_req req;
	memset(&req, 0, sizeof(req));
	req.supplier_siret = doc_supplier_section(c->doc);
	req.number = number;
	req.flux = flux;
	return chorus_search(CH(c->t), &req, cb, c);
}

static void
on_find(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	const struct chorus_invoice *inv;
	int other = c->flags;

	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls != CHORUS_OK) {
		chorus_reply_free(rep);
		tp_call_finish(c);
		return;
	}
	inv = find_ours(d, rep, NULL);
	if (inv && inv->flux &&
	    (!other || !d->numero_flux_depot || strcmp(inv->flux, d->numero_flux_depot) != 0)) {
		p->found = 1;
		p->id = xstrdup(inv->flux);
		if (other && d->numero_flux_depot) {
			/* this round did send it again: Chorus Pro refused that one */
			p->detail =
			    xasprintf("Chorus Pro already has invoice %s from an earlier "
			              "attempt (deposit %s): adopted; deposit %s was refused "
			              "as a duplicate of it",
			              d->invoice_number, inv->flux, d->numero_flux_depot);
			p->note = xasprintf("found in Chorus Pro by invoice number; deposit %s "
			                    "refused as its duplicate",
			                    d->numero_flux_depot);
		} else {
			p->detail = xasprintf("Chorus Pro already has invoice %s (deposit %s): "
			                      "adopted, not sent again",
			                      d->invoice_number, inv->flux);
			p->note = xstrdup("found in Chorus Pro by invoice number");
		}
		doc_set(&d->numero_flux_depot, inv->flux);
		if (inv->deposit_date)
			d->deposit_date = chorus_time(inv->deposit_date);
	} else if (!other) {
		p->detail =
		    xasprintf("Chorus Pro has no invoice %s: depositing again", d->invoice_number);
		p->note = xstrdup("not found in Chorus Pro: deposit again");
	}
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_find(struct transport *t, struct doc *d, int other, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "search", cb, arg);
	c->flags = other;
	c->inner = search(c, d->invoice_number, NULL, on_find);
	return c;
}

/* ---- following a deposit ---- */

/* Does a deposit-report error concern this document's invoice? */
static int
error_is_ours(const struct doc *d, const struct chorus_report_error *e)
{
	return e->invoice == NULL || d->invoice_number == NULL ||
	       strcmp(e->invoice, d->invoice_number) == 0;
}

static void
on_resolve(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	const struct chorus_invoice *inv;
	char id[32];

	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls == CHORUS_OK) {
		p->outcome = TP_ACCEPTED;
		inv = find_ours(d, rep, d->numero_flux_depot);
		if (inv) {
			snprintf(id, sizeof(id), "%lld", (long long)inv->id);
			doc_set(&d->chorus_invoice_id, id);
			doc_set(&d->chorus_status, inv->status);
			d->chorus_status_date = chorus_time(inv->status_date);
			doc_set(&d->chorus_status_comment, inv->comment);
			doc_set(&d->status_code, inv->status);
			doc_set(&d->status_label, chorus_status_label(inv->status));
			d->status_date = d->chorus_status_date;
			doc_set(&d->status_reason, inv->comment);
			p->id = xasprintf("invoice id %s", id);
			p->note = xstrdup(id);
		} else
			tp_reply_add_reason(
			    p, "integrated, but Chorus Pro did not list the invoice yet; chorusgw "
			       "reconcile fills in its id and status");
	}
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static void
on_report(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	const struct tp_chorus *tc = (const struct tp_chorus *)(void *)c->t;
	size_t i, ours = 0;

	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls != CHORUS_OK) {
		chorus_reply_free(rep);
		tp_call_finish(c);
		return;
	}
	p->changed = d->deposit_report_state == NULL ||
	             strcmp(d->deposit_report_state, rep->report.state ? rep->report.state : "");
	doc_set(&d->deposit_report_state, rep->report.state);
	for (i = 0; i < rep->report.nerrors; i++)
		if (error_is_ours(d, &rep->report.errors[i]))
			ours++;
	if (!rep->report.final) {
		int64_t since =
		    d->deposit_date ? ((int64_t)time(NULL) - d->deposit_date) * 1000 : 0;
		p->outcome = TP_PENDING;
		/* being processed: soon, then every report_poll; held or unknown: report_poll */
		p->poll_ms = rep->report.outcome == CHORUS_REPORT_PENDING
		                 ? (int64_t)chorus_report_delay_ms(since, tc->conf->report_poll_ms)
		                 : tc->conf->report_poll_ms;
		p->action = chorus_report_action(rep->report.state, d->numero_flux_depot);
		if (rep->report.outcome != CHORUS_REPORT_PENDING)
			tp_reply_add_reason(
			    p, "waiting: Chorus Pro reports deposit %s in state %s: %s",
			    d->numero_flux_depot, rep->report.state,
			    rep->report.words ? rep->report.words
			                      : "a state chorusgw does not know");
	} else if (rep->report.integrated && ours == 0) {
		/* integrated: the Chorus invoice id, then accepted */
		chorus_reply_free(rep);
		c->step = FOLLOW_RESOLVE;
		c->reply->op = "search";
		c->inner = search(c, NULL, d->numero_flux_depot, on_resolve);
		return;
	} else {
		/* rejected (or partially integrated without our invoice) */
		p->outcome = TP_REJECTED;
		tp_reply_add_reason(
		    p, "Chorus Pro rejected deposit %s (deposit report state %s: %s)",
		    d->numero_flux_depot, rep->report.state ? rep->report.state : "?",
		    rep->report.words ? rep->report.words : "?");
		for (i = 0; i < rep->report.nerrors; i++) {
			const struct chorus_report_error *e = &rep->report.errors[i];
			if (!error_is_ours(d, e))
				continue;
			tp_reply_add_reason(p, "%s", e->message ? e->message : "(no message)");
			if (e->advice)
				tp_reply_add_reason(p, "to fix: %s", e->advice);
		}
	}
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_follow(struct transport *t, struct doc *d, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "report", cb, arg);
	c->step = FOLLOW_REPORT;
	c->inner =
	    chorus_report(CH(t), doc_supplier_section(d), d->numero_flux_depot, on_report, c);
	return c;
}

/* ---- probe ---- */

static void
on_probe(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	c->inner = NULL;
	take_result(c, rep);
	/* an answer with a codeRetour came from Chorus Pro, past PISTE and the account:
	 * the set-up works (the probe's flow is one Chorus Pro does not know) */
	if (rep->r.has_code_retour && c->reply->r.cls == TP_RETRY)
		c->reply->r.cls = TP_OK;
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_probe(struct transport *t, const char *siret, int follow, tp_cb *cb, void *arg)
{
	struct tp_call *c;
	struct chorus_search_req req;
	/* the API of the call that failed: Transverses for a deposit report */
	if (follow) {
		c = tp_call_new(t, NULL, "report", cb, arg);
		c->inner = chorus_report(CH(t), siret, "chorusgw-probe", on_probe, c);
		return c;
	}
	c = tp_call_new(t, NULL, "search", cb, arg);
	memset(&req, 0, sizeof(req));
	req.supplier_siret = siret;
	req.number = "chorusgw-probe";
	req.max_results = 1;
	c->inner = chorus_search(CH(t), &req, on_probe, c);
	return c;
}

/* ---- the size Chorus Pro takes ---- */

static char *
megabytes(size_t n)
{
	return xasprintf("%.1f MB", (double)n / (1024.0 * 1024.0));
}

/* The index of the largest embedded attachment not in taken[0..n), or -1. */
static long
largest(const struct invoice *inv, const long *taken, size_t n)
{
	long best = -1;
	size_t i, k;
	for (i = 0; i < inv->nattachments; i++) {
		for (k = 0; k < n && taken[k] != (long)i; k++)
			;
		if (k == n && inv->attachments[i].content_len > 0 &&
		    (best < 0 ||
		     inv->attachments[i].content_len > inv->attachments[best].content_len))
			best = (long)i;
	}
	return best;
}

/* Over CHORUS_MAX_FILE: say which attachments weigh most (the base64 of an embedded
 * file is a third larger than the file), the three largest. */
static int
ch_fits(struct transport *t, size_t len, const struct invoice *inv, char **why)
{
	struct buf b;
	char *total, *limit;
	long taken[3];
	size_t n = 0;
	(void)t;
	if (len <= CHORUS_MAX_FILE)
		return 0;
	total = megabytes(len);
	limit = megabytes(CHORUS_MAX_FILE);
	buf_init(&b);
	buf_printf(&b,
	           "the document to deposit is %s, more than the %s Chorus Pro takes per file "
	           "(embedded attachments count, their base64 a third larger than the file)",
	           total, limit);
	while (inv && n < nitems(taken) && (taken[n] = largest(inv, taken, n)) >= 0) {
		const struct inv_attachment *a = &inv->attachments[taken[n]];
		const char *name = a->filename.text ? a->filename.text : a->id.text;
		char *m = megabytes(a->content_len);
		buf_printf(&b, "%s\"%s\" (%s in the document)",
		           n ? ", " : ": make smaller, or send apart, attachment ",
		           name ? name : "?", m);
		free(m);
		n++;
	}
	if (n == 0)
		buf_adds(&b, ": make the invoice smaller");
	free(total);
	free(limit);
	*why = buf_steal(&b);
	return -1;
}

/* ---- the technical accounts ---- */

static const char *
ch_account(struct transport *t, const char *siret)
{
	return chorus_account_login(CH(t), siret);
}

static size_t
ch_naccounts(struct transport *t)
{
	return chorus_naccounts(CH(t));
}

static const char *
ch_account_name(struct transport *t, size_t i)
{
	const char *siret;
	return chorus_account_at(CH(t), i, &siret);
}

static void
on_expiry(struct chorus_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	c->inner = NULL;
	take_result(c, rep);
	/* once expired, the account cannot read its date any more: what was learnt stands */
	c->reply->expires =
	    rep->expiry.at ? rep->expiry.at : chorus_account_expiry(CH(c->t), c->reply->id);
	if (rep->expiry.date)
		c->reply->note = xstrndup(rep->expiry.date, 10);
	chorus_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
ch_account_expiry(struct transport *t, size_t i, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, NULL, "structure", cb, arg);
	const char *siret;
	chorus_account_at(CH(t), i, &siret);
	c->reply->id = siret ? xstrdup(siret) : NULL;
	c->inner = chorus_password_expiry(CH(t), siret, on_expiry, c);
	return c;
}

/* ---- the transport ---- */

static void
ch_cancel_inner(struct tp_call *c)
{
	chorus_cancel(c->inner);
	c->inner = NULL;
}

static void
ch_free(struct transport *t)
{
	chorus_free(CH(t));
	free(t);
}

static const struct tp_ops chorus_ops = {
    .check_buyer = ch_check_buyer,
    .send = ch_send,
    .find = ch_find,
    .follow = ch_follow,
    .probe = ch_probe,
    .cancel_inner = ch_cancel_inner,
    .free = ch_free,
    .account = ch_account,
    .naccounts = ch_naccounts,
    .account_name = ch_account_name,
    .account_expiry = ch_account_expiry,
    .fits = ch_fits,
};

struct transport *
tp_new_chorus(const struct conf *c, const char *cache_dir, char **why)
{
	struct tp_chorus *tc;
	struct chorus *ch = chorus_new(c, cache_dir, why);
	if (ch == NULL)
		return NULL;
	tc = xcalloc(1, sizeof(*tc));
	tc->base.ops = &chorus_ops;
	tc->base.label = "Chorus Pro";
	tc->base.metric = "chorus";
	tc->conf = c;
	tc->ch = ch;
	return &tc->base;
}
