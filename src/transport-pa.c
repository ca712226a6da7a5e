/*
 * transport-pa.c - the Plateforme Agréée route behind transport.h, over pa.c (AFNOR
 * XP Z12-013):
 *   buyer        the Directory's entityType of the buyer's SIREN (public or private);
 *   check_buyer  the Directory addresses the buyer: the company exists and is active,
 *                a directory line that receives (its electronic address BT-49, else the
 *                line of its SIRET / routing code / SIREN), the routing code exists, a
 *                public buyer's engagement number and service code; also fixes the
 *                processing rule (B2G for a public buyer, else B2B);
 *   send         POST /v1/flows with trackingId = the queue id, sha256, syntax, the
 *                CIUS profile (EN 16931) and the processing rule;
 *   find         POST /v1/flows/search by trackingId: a flow of ours not in Error;
 *   follow       the same search, until the flow's acknowledgement: Ok is TP_TAKEN (its
 *                statuses come through the feed), Error is TP_REJECTED with each reason,
 *                except AlreadyExistingFlow: the earlier flow with our trackingId is
 *                adopted, never sent again;
 *   events       the feed: POST /v1/flows/search for the lifecycle flows (CDAR, In,
 *                CustomerInvoiceLC) updated after the last one read minus [pa]
 *                search_window, with the cursor when a paging was cut, each flow id read
 *                once, a page read in part kept (the position is feed.c's); each CDAR
 *                downloaded (docType Original), read by cdar_read() and turned into
 *                events (French label, reason in words, what to do, rejected for 210 /
 *                213 / 501, accepted at [pa] final_status). The position is written to
 *                the state file only once the caller made the events durable
 *                (tp_events_done()).
 *
 * Errors: pa.c's classification carried into the reply; a lifecycle flow that cannot be
 * read is logged and skipped (never an event).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdar.h"
#include "conf.h"
#include "feed.h"
#include "invoice.h"
#include "log.h"
#include "pa.h"
#include "receipt.h"
#include "transport-impl.h"
#include "util.h"

struct tp_pa {
	struct transport base; /* first */
	const struct conf *conf;
	struct pa *pa;
	int own_pa; /* made here (else the caller's, shared) */
	char *state, *tmp_dir;
	struct feed *feed; /* the lifecycle flows' position, opened at the first poll */
};

#define TPA(t) ((struct tp_pa *)(void *)(t))
#define PA(t)  (TPA(t)->pa)

/* The state of a chained operation (check_buyer, events). */
struct chain {
	char siren[10];
	char *siret, *routing, *address;
	int public_buyer;
	/* events: the page's CDARs, downloaded several at once, their events handed over
	 * in the page's order */
	struct pa_reply *page;
	struct dl *dl;   /* one per flow of the page */
	size_t started;  /* downloads started (or skipped), in the page's order */
	size_t inflight; /* downloads running */
	size_t at;       /* flows before this one are collected into ev */
	size_t read;     /* flows of the page downloaded and collected by this call */
	int failed;      /* a download failed for the network or the set-up: start no more */
	struct tp_event *ev;
	size_t nev;
};

/* One flow of the page: its download and the events read from it. */
struct dl {
	struct tp_call *c;
	size_t i;
	struct pa_call *call; /* running, or NULL */
	enum { DL_WAIT = 0, DL_RUN, DL_DONE, DL_SKIP, DL_FAIL } state;
	struct tp_event *ev;
	size_t nev;
};

/* ---- results ---- */

static void
take_result(struct tp_call *c, struct pa_reply *rep)
{
	struct tp_result *o = &c->reply->r;
	struct pa_result *r = &rep->r;
	tp_result_clear(o);
	o->cls = (enum tp_class)r->cls;
	o->unknown_outcome = r->unknown_outcome;
	o->http_status = r->http_status;
	o->reason = r->reason;
	o->setup = r->setup;
	o->retry_after_ms = r->retry_after_ms;
	r->reason = r->setup = NULL;
}

static void
chain_free(void *arg)
{
	struct chain *ch = arg;
	size_t i;
	free(ch->siret);
	free(ch->routing);
	free(ch->address);
	for (i = 0; ch->page && ch->dl && i < ch->page->search.n; i++) {
		size_t k;
		pa_cancel(ch->dl[i].call); /* the call was cancelled: its downloads too */
		for (k = 0; k < ch->dl[i].nev; k++)
			tp_event_clear(&ch->dl[i].ev[k]);
		free(ch->dl[i].ev);
	}
	free(ch->dl);
	pa_reply_free(ch->page);
	for (i = 0; i < ch->nev; i++)
		tp_event_clear(&ch->ev[i]);
	free(ch->ev);
	free(ch);
}

static struct chain *
chain_of(struct tp_call *c)
{
	if (c->data == NULL) {
		c->data = xcalloc(1, sizeof(struct chain));
		c->free_data = chain_free;
	}
	return c->data;
}

/* ---- who the buyer is ---- */

/* The buyer's SIRET, routing code and electronic address (scheme 0225) from the
 * invoice: BT-49 as SIREN[_SIRET[_ROUTING]] first, BT-46 for the SIRET, and a public
 * buyer's service code (BT-10) as its routing code. */
static void
buyer_ids(struct chain *ch, const struct invoice *inv)
{
	const struct inv_value *ep = &inv->buyer.endpoint;
	if (ep->text && ep->attr && strcmp(ep->attr, "0225") == 0) {
		const char *a = strchr(ep->text, '_'), *b = a ? strchr(a + 1, '_') : NULL;
		ch->address = xstrdup(ep->text);
		if (a && (b ? (size_t)(b - a - 1) : strlen(a + 1)) == 14)
			ch->siret = xstrndup(a + 1, 14);
		if (b && b[1])
			ch->routing = xstrdup(b + 1);
	}
	if (ch->siret == NULL && inv->buyer.siret.text && str_digits(inv->buyer.siret.text, 14) &&
	    strlen(inv->buyer.siret.text) == 14)
		ch->siret = xstrdup(inv->buyer.siret.text);
}

static int
is_public(const struct pa_company *co)
{
	return co->entity_type && strcmp(co->entity_type, "Public") == 0;
}

static void
on_buyer(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls == PA_OK) {
		p->found_buyer = rep->company.found;
		p->entity = rep->company.entity_type ? xstrdup(rep->company.entity_type) : NULL;
	}
	pa_reply_free(rep);
	tp_call_finish(c);
}

/* A call that ends at once with a document error: the invoice names no buyer SIREN. */
static struct tp_call *
no_siren(struct transport *t, struct doc *d, const char *op, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, op, cb, arg);
	c->reply->r.cls = TP_DOCUMENT;
	tp_set_reason(&c->reply->r,
	              "the invoice names no buyer SIREN (BT-47), SIRET (BT-46) nor electronic "
	              "address (BT-49, scheme 0225): the PA's Directory cannot find the buyer");
	tp_reply_add_reason(c->reply, "%s", c->reply->r.reason);
	tp_call_finish_later(c);
	return c;
}

static struct tp_call *
pa_buyer(struct transport *t, struct doc *d, const struct invoice *inv, tp_cb *cb, void *arg)
{
	char siren[10];
	struct tp_call *c;
	if (invoice_party_siren(&inv->buyer, siren) == NULL)
		return no_siren(t, d, "directory", cb, arg);
	c = tp_call_new(t, d, "directory", cb, arg);
	c->inner = pa_siren(PA(t), siren, 0, on_buyer, c);
	return c;
}

/* ---- the Directory addresses the buyer ---- */

enum { CB_COMPANY = 0, CB_LINES, CB_ROUTING, CB_FACILITY };

static void on_check(struct pa_reply *, void *);

static void
check_next(struct tp_call *c)
{
	struct chain *ch = c->data;
	struct transport *t = c->t;
	const struct invoice *inv = c->inv;
	switch (c->step) {
	case CB_LINES:
		if (ch->address)
			c->inner = pa_directory_line(PA(t), ch->address, 0, on_check, c);
		else
			c->inner = pa_directory_lines(PA(t), ch->siren, 0, on_check, c);
		return;
	case CB_ROUTING:
		if (ch->routing && ch->siret) {
			c->inner = pa_routing_code(PA(t), ch->siret, ch->routing, 0, on_check, c);
			return;
		}
		c->step = CB_FACILITY;
		/* fall through */
	case CB_FACILITY:
		if (ch->public_buyer && ch->siret) {
			c->inner = pa_siret(PA(t), ch->siret, 0, on_check, c);
			return;
		}
		break;
	default:
		break;
	}
	(void)inv;
	tp_call_finish(c);
}

static const char *
who(const struct chain *ch, const struct doc *d)
{
	return ch->siret ? ch->siret : d->buyer_siren ? d->buyer_siren : ch->siren;
}

static void
on_check(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct chain *ch = c->data;
	struct doc *d = c->doc;
	const struct invoice *inv = c->inv;
	const struct pa_line *l;
	int stop = 0;

	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls != PA_OK) {
		pa_reply_free(rep);
		tp_call_finish(c);
		return;
	}
	switch (c->step) {
	case CB_COMPANY:
		if (!rep->company.found) {
			tp_reply_add_reason(
			    p,
			    "the buyer SIREN %s is not in the Directory (annuaire) of "
			    "the PA: no platform receives invoices for it; check the "
			    "buyer's SIREN (BT-47) in the invoice",
			    ch->siren);
			stop = 1;
			break;
		}
		if (rep->company.status && strcmp(rep->company.status, "C") == 0) {
			tp_reply_add_reason(p,
			                    "the buyer %s (%s) is closed in the Directory: ask the "
			                    "buyer which company to invoice",
			                    ch->siren, rep->company.name ? rep->company.name : "?");
			stop = 1;
			break;
		}
		ch->public_buyer = is_public(&rep->company);
		doc_set(&d->pa_processing_rule, ch->public_buyer ? "B2G" : "B2B");
		break;
	case CB_LINES:
		l = ch->address ? (rep->lines.n ? &rep->lines.v[0] : NULL)
		                : pa_best_line(rep->lines.v, rep->lines.n, ch->siret, ch->routing);
		if (l == NULL) {
			if (ch->address)
				tp_reply_add_reason(
				    p,
				    "the buyer's electronic address %s (BT-49) is not a "
				    "line of the Directory: the buyer does not receive "
				    "electronic invoices there (yet); check the address with "
				    "`chorusgw lookup %s`",
				    ch->address, ch->siren);
			else
				tp_reply_add_reason(
				    p,
				    "the buyer %s has no line in the Directory: the buyer does "
				    "not receive electronic invoices (yet); ask it for the "
				    "address to use (`chorusgw lookup %s`)",
				    who(ch, d), ch->siren);
			stop = 1;
		} else if (!pa_line_receives(l)) {
			tp_reply_add_reason(
			    p,
			    "the buyer's directory line %s is %s: it does not receive "
			    "electronic invoices there now; ask the buyer",
			    l->address ? l->address : ch->siren,
			    l->status ? l->status : "not active");
			stop = 1;
		}
		break;
	case CB_ROUTING:
		if (!rep->routing.found) {
			tp_reply_add_reason(
			    p,
			    "the routing code %s does not exist at the buyer %s in the "
			    "Directory: fix the buyer's service code (BT-10) or "
			    "electronic address (BT-49)",
			    ch->routing, ch->siret);
			stop = 1;
		} else if (rep->routing.manages_legal_commitment && inv->engagement.text == NULL)
			tp_reply_add_reason(
			    p,
			    "the buyer's service %s (%s) requires an engagement number "
			    "(numéro d'engagement juridique, BT-13): add the buyer's "
			    "order number",
			    ch->routing, rep->routing.name ? rep->routing.name : "?");
		break;
	case CB_FACILITY:
		if (rep->facility.found && rep->facility.manages_legal_commitment &&
		    inv->engagement.text == NULL)
			tp_reply_add_reason(
			    p,
			    "the public buyer %s requires an engagement number (numéro "
			    "d'engagement juridique, BT-13): add the buyer's order "
			    "number",
			    ch->siret);
		if (rep->facility.found && rep->facility.service_code && ch->routing == NULL)
			tp_reply_add_reason(
			    p,
			    "the public buyer %s requires a service code (code service, "
			    "BT-10): add it",
			    ch->siret);
		stop = 1;
		break;
	}
	pa_reply_free(rep);
	if (stop) {
		tp_call_finish(c);
		return;
	}
	c->step++;
	check_next(c);
}

static struct tp_call *
pa_check_buyer(struct transport *t, struct doc *d, const struct invoice *inv, tp_cb *cb, void *arg)
{
	struct tp_call *c;
	struct chain *ch;
	char siren[10];
	if (invoice_party_siren(&inv->buyer, siren) == NULL)
		return no_siren(t, d, "directory", cb, arg);
	c = tp_call_new(t, d, "directory", cb, arg);
	c->inv = inv;
	ch = chain_of(c);
	memcpy(ch->siren, siren, sizeof(siren));
	buyer_ids(ch, inv);
	/* a public buyer's service code is its routing code (Chorus Pro's services) */
	if (ch->routing == NULL && inv->service_code.text)
		ch->routing = xstrdup(inv->service_code.text);
	c->step = CB_COMPANY;
	c->inner = pa_siren(PA(t), ch->siren, 0, on_check, c);
	return c;
}

/* ---- sending ---- */

static void
on_send(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	c->inner = NULL;
	take_result(c, rep);
	switch (rep->r.cls) {
	case PA_OK:
		doc_set(&d->pa_flow_id, rep->flow.id);
		doc_set(&d->pa_tracking_id, rep->flow.tracking_id ? rep->flow.tracking_id : d->qid);
		doc_set(&d->pa_ack, rep->flow.ack ? rep->flow.ack : "Pending");
		if (rep->flow.submitted == NULL ||
		    parse_iso8601(rep->flow.submitted, &d->deposit_date))
			d->deposit_date = time(NULL);
		p->id = xasprintf("flow %s", rep->flow.id);
		p->note = xasprintf("flow %s", rep->flow.id);
		break;
	case PA_DOCUMENT:
		tp_reply_add_reason(p, "the PA refused the flow: %s", p->r.reason);
		if (rep->r.raw && *rep->r.raw)
			tp_reply_add_reason(p, "the PA's answer (HTTP %ld): %s", rep->r.http_status,
			                    rep->r.raw);
		break;
	default:
		break;
	}
	pa_reply_free(rep);
	tp_call_finish(c);
}

static const char *
flow_syntax(const struct doc *d)
{
	return d->syntax && strcmp(d->syntax, "cii") == 0 ? "CII" : "UBL";
}

static struct tp_call *
pa_send_doc(struct transport *t, struct doc *d, const char *path, uint64_t size, tp_cb *cb,
            void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "send", cb, arg);
	struct pa_send_req q;
	memset(&q, 0, sizeof(q));
	q.name = d->chorus_xml;
	q.syntax = flow_syntax(d);
	q.profile = "CIUS"; /* EN 16931 with the French rules (XP Z12-012) */
	q.rule = d->pa_processing_rule;
	q.tracking_id = d->qid;
	q.path = path;
	q.size = size;
	q.sha256 = d->payload_sha256;
	c->inner = pa_send(PA(t), &q, on_send, c);
	return c;
}

/* ---- our flows, by trackingId ---- */

static struct pa_call *
search_ours(struct tp_call *c, pa_cb *cb)
{
	struct pa_search_req q;
	memset(&q, 0, sizeof(q));
	q.tracking_id = c->doc->qid;
	return pa_search(PA(c->t), &q, cb, c);
}

static int
is_ours(const struct pa_flow *f)
{
	return f->direction == NULL || strcmp(f->direction, "Out") == 0;
}

static int
is_error(const struct pa_flow *f)
{
	return f->ack && strcmp(f->ack, "Error") == 0;
}

/* The flow of ours, not in Error, other than `not` (may be NULL). */
static const struct pa_flow *
live_flow(const struct pa_reply *rep, const char * not )
{
	size_t i;
	for (i = 0; i < rep->search.n; i++) {
		const struct pa_flow *f = &rep->search.v[i];
		if (is_ours(f) && !is_error(f) && (not == NULL || strcmp(f->id, not ) != 0))
			return f;
	}
	return NULL;
}

static void
adopt(struct doc *d, const struct pa_flow *f)
{
	doc_set(&d->pa_flow_id, f->id);
	doc_set(&d->pa_tracking_id, d->qid);
	doc_set(&d->pa_ack, f->ack ? f->ack : "Pending");
	if (f->submitted == NULL || parse_iso8601(f->submitted, &d->deposit_date) == -1)
		d->deposit_date = time(NULL);
}

static void
on_find(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	const struct pa_flow *f;
	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls == PA_OK) {
		f = live_flow(rep, c->flags ? d->pa_flow_id : NULL);
		if (f) {
			p->found = 1;
			p->id = xasprintf("flow %s", f->id);
			if (c->flags && d->pa_flow_id)
				p->note =
				    xasprintf("found on the PA by trackingId; flow %s refused as "
				              "its duplicate",
				              d->pa_flow_id);
			else
				p->note = xstrdup("found on the PA by trackingId");
			p->detail =
			    xasprintf("the PA already has flow %s with trackingId %s (invoice "
			              "%s): adopted, not sent again",
			              f->id, d->qid, d->invoice_number);
			adopt(d, f);
		} else if (!c->flags) {
			p->detail =
			    xasprintf("the PA has no flow with trackingId %s: sending invoice "
			              "%s again",
			              d->qid, d->invoice_number);
			p->note = xstrdup("not found on the PA: send again");
		}
	}
	pa_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
pa_find(struct transport *t, struct doc *d, int other, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "search", cb, arg);
	c->flags = other;
	c->inner = search_ours(c, on_find);
	return c;
}

/* ---- following a flow until its acknowledgement ---- */

static void
ack_reasons(struct tp_reply *p, const struct pa_flow *f)
{
	size_t i;
	tp_reply_add_reason(p, "the PA refused flow %s (acknowledgement Error)", f->id);
	for (i = 0; i < f->ndetails; i++) {
		const struct pa_ack_detail *x = &f->details[i];
		const char *w = pa_ack_words(x->code);
		tp_reply_add_reason(p, "%s%s%s%s%s%s%s%s", x->code ? x->code : "no reason code",
		                    w ? " (" : "", w ? w : "", w ? ")" : "", x->message ? ": " : "",
		                    x->message ? x->message : "", x->item ? " at " : "",
		                    x->item ? x->item : "");
	}
}

static void
on_follow(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_reply *p = c->reply;
	struct doc *d = c->doc;
	const struct pa_flow *f = NULL, *other;
	size_t i;
	char *before = d->pa_ack ? xstrdup(d->pa_ack) : NULL;

	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls != PA_OK)
		goto out;
	p->outcome = TP_PENDING;
	p->poll_ms = TPA(c->t)->conf->pa_poll_ms;
	for (i = 0; i < rep->search.n; i++)
		if (d->pa_flow_id && strcmp(rep->search.v[i].id, d->pa_flow_id) == 0)
			f = &rep->search.v[i];
	if (f == NULL || f->ack == NULL || strcmp(f->ack, "Pending") == 0)
		goto out; /* not visible yet, or not acknowledged yet */
	if (is_error(f)) {
		int dup = 0;
		for (i = 0; i < f->ndetails; i++)
			if (f->details[i].code &&
			    strcmp(f->details[i].code, "AlreadyExistingFlow") == 0)
				dup = 1;
		other = dup ? live_flow(rep, f->id) : NULL;
		if (dup && other) {
			/* an earlier send of ours has this trackingId: that one goes on */
			p->note =
			    xasprintf("flow %s refused as a duplicate (AlreadyExistingFlow) of "
			              "flow %s, which is kept",
			              f->id, other->id);
			adopt(d, other);
			f = other;
			p->changed = 1;
			if (f->ack == NULL || strcmp(f->ack, "Ok") != 0)
				goto out;
		} else if (dup)
			goto out; /* the earlier flow is not visible yet */
		else {
			doc_set(&d->pa_ack, "Error");
			p->outcome = TP_REJECTED;
			ack_reasons(p, f);
			goto out;
		}
	}
	doc_set(&d->pa_ack, "Ok");
	p->outcome = TP_TAKEN;
	if (p->note == NULL)
		p->note = xasprintf("flow %s acknowledged Ok", f->id);
out:
	if (!p->changed)
		p->changed = (before == NULL) != (d->pa_ack == NULL) ||
		             (before && d->pa_ack && strcmp(before, d->pa_ack) != 0);
	free(before);
	pa_reply_free(rep);
	tp_call_finish(c);
}

static int pa_taken(const struct transport *, const struct doc *);

static struct tp_call *
pa_follow(struct transport *t, struct doc *d, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, d, "search", cb, arg);
	if (pa_taken(t, d)) {
		/* acknowledged before a restart: its statuses come through the feed */
		c->reply->outcome = TP_TAKEN;
		tp_call_finish_later(c);
		return c;
	}
	c->inner = search_ours(c, on_follow);
	return c;
}

/* ---- probe ---- */

static void
on_probe(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	c->inner = NULL;
	take_result(c, rep);
	pa_reply_free(rep);
	tp_call_finish(c);
}

static struct tp_call *
pa_probe_doc(struct transport *t, const char *siret, int follow, tp_cb *cb, void *arg)
{
	struct tp_call *c = tp_call_new(t, NULL, "search", cb, arg);
	struct pa_search_req q;
	(void)siret;
	(void)follow;
	memset(&q, 0, sizeof(q));
	q.tracking_id = "chorusgw-probe";
	q.max_pages = 1;
	q.limit = 1;
	c->inner = pa_search(PA(t), &q, on_probe, c);
	return c;
}

/* ---- the lifecycle feed ---- */

/* The feed's position, read from the state file at the first poll; an unreadable file is
 * replaced at the first commit (the statuses of invoices sent before now are read again
 * from the window; sending goes on meanwhile). */
static struct feed *
tp_feed(struct tp_pa *tp)
{
	char *why = NULL;
	time_t now = time(NULL);
	if (tp->feed)
		return tp->feed;
	tp->feed = feed_open(tp->state, tp->tmp_dir, tp->conf->pa_search_window_ms, now, &why);
	if (tp->feed == NULL) {
		log_warn(
		    "pa: the lifecycle position %s is unreadable (%s); starting again from the "
		    "search window",
		    tp->state, why);
		tp->feed = feed_new(tp->state, tp->tmp_dir, tp->conf->pa_search_window_ms, now);
	}
	free(why);
	return tp->feed;
}

static const char *
by_words(const char *role)
{
	static const struct {
		const char *role, *words;
	} t[] = {{"BY", "the buyer"},   {"SE", "the seller"},        {"WK", "the platform"},
	         {"DFH", "the PPF"},    {"AB", "the buyer's agent"}, {"DL", "the factor"},
	         {"PE", "the payee"},   {"PR", "the payer"},         {"II", "the issuer"},
	         {"IV", "the invoicee"}};
	size_t i;
	for (i = 0; role && i < nitems(t); i++)
		if (strcmp(role, t[i].role) == 0)
			return t[i].words;
	return NULL;
}

/* What the supplier must do after a status; NULL when nothing. Caller frees. */
static char *
action_for(const char *code, const char *number)
{
	static const struct {
		const char *code, *words;
	} t[] = {
	    {"206", "the buyer approved part of the amount: settle the rest with the buyer (a "
	            "credit note if it is agreed)"},
	    {"207", "the buyer disputes the invoice: contact the buyer; a credit note or a new "
	            "invoice may be needed"},
	    {"208", "the buyer suspended the invoice until it gets what it asks for: send the "
	            "missing supporting documents"},
	    {"210", "the buyer refused the invoice: settle the reason with the buyer, then issue "
	            "a new invoice with a new number"},
	    {"213", "the platform rejected the invoice: fix what the reason says and send it "
	            "again (`chorusgw retry` after the export is fixed)"},
	    {"221", "the invoice reached the wrong recipient: check the buyer's electronic "
	            "address (BT-49) with `chorusgw lookup`"},
	    {"501", "the invoice cannot be received: fix the file and send it again"},
	};
	size_t i;
	(void)number;
	for (i = 0; i < nitems(t); i++)
		if (strcmp(code, t[i].code) == 0)
			return xstrdup(t[i].words);
	return NULL;
}

/* Turn one CDAR flow into events: each invoice it names (MDG-33), with its status. */
static void
cdar_events(struct tp_pa *tp, struct dl *ch, const struct pa_flow *f, const struct buf *data)
{
	size_t max_size = tp->conf->max_size > 0 ? (size_t)tp->conf->max_size : 10 * 1024 * 1024;
	int max_depth = tp->conf->max_depth > 0 ? (int)tp->conf->max_depth : 256;
	struct cdar *cd = NULL;
	char *why = NULL;
	const char *by;
	size_t i, k, n = 0;
	if (cdar_read(data->p, data->len, max_size, max_depth, &cd, &why) == -1) {
		log_warn("pa: lifecycle flow %s (%s) skipped: %s", f->id, f->name ? f->name : "?",
		         why);
		free(why);
		return;
	}
	by = by_words(cd->issuer ? cd->issuer->role : NULL);
	for (k = 0; k < cd->nacks; k++)
		for (i = 0; i < cd->acks[k].nrefs; i++) {
			const struct cdar_ref *s = &cd->acks[k].refs[i];
			const struct cdar_detail *x = s->ndetails ? &s->details[0] : NULL;
			const char *seller =
			    s->issuer && s->issuer->nids ? s->issuer->ids[0].id : NULL;
			const char *rc = x ? x->reason_code : NULL, *rt = x ? x->reason : NULL;
			const char *label = cdv_status_label(s->status), *rw = pa_reason_words(rc);
			struct tp_event *e;
			n++;
			if (s->number == NULL || seller == NULL || s->status == NULL)
				continue;
			ch->ev = xreallocarray(ch->ev, ch->nev + 1, sizeof(*ch->ev));
			e = &ch->ev[ch->nev++];
			memset(e, 0, sizeof(*e));
			e->ref_key = xstrdup(seller);
			e->ref_number = xstrdup(s->number);
			/* one event id per status of the flow, stable across reads */
			e->id = n > 1 ? xasprintf("%s#%zu", f->id, n) : xstrdup(f->id);
			e->code = xstrdup(s->status);
			e->label = xstrdup(label ? label : s->status_label ? s->status_label : "");
			e->by = by ? xstrdup(by) : NULL;
			/* the flow's own date carries its offset; the CDAR's (format 204) has none
			 */
			if ((f->submitted == NULL || parse_iso8601(f->submitted, &e->when) == -1) &&
			    (f->updated == NULL || parse_iso8601(f->updated, &e->when) == -1))
				e->when = time(NULL);
			if (rc || rt)
				e->reason = xasprintf("%s%s%s%s%s%s", rc ? rc : "", rw ? " (" : "",
				                      rw ? rw : "", rw ? ")" : "",
				                      rc && rt ? ": " : "", rt ? rt : "");
			if (strcmp(s->status, "210") == 0 || strcmp(s->status, "213") == 0 ||
			    strcmp(s->status, "501") == 0) {
				e->outcome = TP_REJECTED;
				/* rejected by the platform, never deposited: the number is free
				 * again */
				e->reusable = strcmp(s->status, "210") != 0;
			} else if (strcmp(s->status, conf_final_status(tp->conf)) == 0)
				e->outcome = TP_ACCEPTED;
			e->action = action_for(s->status, s->number);
		}
	cdar_free(cd);
}

static void on_page(struct pa_reply *, void *);
static void on_download(struct pa_reply *, void *);

/* Hand the events read over, and move the position past the flows collected (the whole
 * page, or the same page again); more: read again at once (another page, or the rest of
 * this one). */
static void
hand_over(struct tp_call *c)
{
	struct chain *ch = c->data;
	struct feed *f = TPA(c->t)->feed;
	feed_part(f, ch->page, ch->at);
	c->reply->events = ch->ev;
	c->reply->nevents = ch->nev;
	ch->ev = NULL;
	ch->nev = 0;
	c->reply->more = feed_more(f);
	tp_call_finish(c);
}

/* Collect the flows downloaded in the page's order, up to the first not done: their
 * events (the position goes past them in hand_over()). */
static void
collect(struct tp_call *c)
{
	struct chain *ch = c->data;
	while (ch->at < ch->page->search.n &&
	       (ch->dl[ch->at].state == DL_DONE || ch->dl[ch->at].state == DL_SKIP)) {
		struct dl *x = &ch->dl[ch->at];
		if (x->state == DL_DONE) {
			ch->ev = xreallocarray(ch->ev, ch->nev + x->nev, sizeof(*ch->ev));
			memcpy(ch->ev + ch->nev, x->ev, x->nev * sizeof(*x->ev));
			ch->nev += x->nev;
			free(x->ev);
			x->ev = NULL;
			x->nev = 0;
			ch->read++;
		}
		ch->at++;
	}
}

static void on_download(struct pa_reply *, void *);

/* Start the page's next downloads, within [pa] max_in_flight; once none runs, finish
 * the call. */
static void
download_next(struct tp_call *c)
{
	struct tp_pa *tp = TPA(c->t);
	struct chain *ch = c->data;
	struct pa_reply *pg = ch->page;
	size_t max = tp->conf->pa_max_in_flight > 0 ? (size_t)tp->conf->pa_max_in_flight : 1;
	while (!ch->failed && ch->started < pg->search.n && ch->inflight < max) {
		struct dl *x = &ch->dl[ch->started];
		const struct pa_flow *f = &pg->search.v[ch->started];
		x->c = c;
		x->i = ch->started++;
		if (feed_seen(tp->feed, f->id, f->updated)) {
			x->state = DL_SKIP; /* read in an earlier poll: the window shows it again */
			continue;
		}
		x->state = DL_RUN;
		ch->inflight++;
		x->call = pa_get(PA(c->t), f->id, "Original", on_download, x);
	}
	collect(c);
	if (ch->inflight)
		return;
	if (!ch->failed) {
		hand_over(c); /* the whole page is read */
		return;
	}
	if (ch->read == 0) {
		tp_call_finish(c); /* nothing read: the page is read again at the next poll */
		return;
	}
	/* keep what this page gave so far (a page of 100 downloads would otherwise rarely
	 * pass a flaky PA): the same page is asked again at once, its flows read are skipped
	 * by their id */
	tp_result_clear(&c->reply->r);
	hand_over(c);
}

static void
on_download(struct pa_reply *rep, void *arg)
{
	struct dl *x = arg;
	struct tp_call *c = x->c;
	struct tp_pa *tp = TPA(c->t);
	struct chain *ch = c->data;
	const struct pa_flow *f = &ch->page->search.v[x->i];
	x->call = NULL;
	ch->inflight--;
	if (rep->r.cls == PA_RETRY || rep->r.cls == PA_SETUP) {
		x->state = DL_FAIL;
		if (!ch->failed) {
			log_info("pa: lifecycle flow %s not downloaded (%s); read again later",
			         f->id, rep->r.reason ? rep->r.reason : "?");
			take_result(c, rep); /* the reply's, should nothing be read */
		}
		ch->failed = 1;
	} else {
		x->state = DL_DONE;
		if (rep->r.cls == PA_OK)
			cdar_events(tp, x, f, &rep->file.data);
		else
			log_warn("pa: lifecycle flow %s cannot be downloaded (%s); skipped", f->id,
			         rep->r.reason ? rep->r.reason : "?");
	}
	pa_reply_free(rep);
	download_next(c);
}

static void
on_page(struct pa_reply *rep, void *arg)
{
	struct tp_call *c = arg;
	struct tp_pa *tp = TPA(c->t);
	struct chain *ch = c->data;
	c->inner = NULL;
	take_result(c, rep);
	if (rep->r.cls != PA_OK) {
		if (feed_refused(tp->feed, &rep->r)) {
			/* read again from the window, duplicates are dropped by flow id */
			log_warn("pa: the lifecycle search cursor was refused (%s); reading again "
			         "from the search window",
			         rep->r.reason ? rep->r.reason : "?");
			c->reply->r.cls = TP_RETRY;
			c->reply->r.retry_after_ms = 0;
		}
		pa_reply_free(rep);
		tp_call_finish(c);
		return;
	}
	ch->page = rep;
	ch->dl = xcalloc(rep->search.n ? rep->search.n : 1, sizeof(*ch->dl));
	download_next(c);
}

static struct tp_call *
pa_events(struct transport *t, tp_cb *cb, void *arg)
{
	struct tp_pa *tp = TPA(t);
	struct tp_call *c = tp_call_new(t, NULL, "search", cb, arg);
	struct pa_search_req q;
	chain_of(c);
	memset(&q, 0, sizeof(q));
	feed_query(tp_feed(tp), &q);
	q.direction = "In";
	q.flow_type = "CustomerInvoiceLC";
	q.max_pages = 1;
	c->inner = pa_search(PA(t), &q, on_page, c);
	return c;
}

static int
pa_events_done(struct transport *t, char **why)
{
	struct tp_pa *tp = TPA(t);
	return tp->feed ? feed_commit(tp->feed, why) : 0;
}

static int
pa_ref(const struct transport *t, const struct doc *d, const char **key, const char **number)
{
	(void)t;
	if (d->supplier_siren == NULL || d->invoice_number == NULL)
		return 0;
	*key = d->supplier_siren;
	*number = d->invoice_number;
	return 1;
}

/* ---- the transport ---- */

static void
pa_cancel_inner(struct tp_call *c)
{
	pa_cancel(c->inner);
	c->inner = NULL;
}

static void
pa_free_tp(struct transport *t)
{
	struct tp_pa *tp = TPA(t);
	if (tp->own_pa)
		pa_free(tp->pa);
	feed_free(tp->feed);
	free(tp->state);
	free(tp->tmp_dir);
	free(tp);
}

static int
pa_taken(const struct transport *t, const struct doc *d)
{
	(void)t;
	return d->state == DOC_DEPOSITED && d->pa_ack && strcmp(d->pa_ack, "Ok") == 0;
}

static const struct tp_ops pa_ops = {
    .check_buyer = pa_check_buyer,
    .send = pa_send_doc,
    .find = pa_find,
    .follow = pa_follow,
    .probe = pa_probe_doc,
    .buyer = pa_buyer,
    .events = pa_events,
    .events_done = pa_events_done,
    .ref = pa_ref,
    .taken = pa_taken,
    .cancel_inner = pa_cancel_inner,
    .free = pa_free_tp,
};

struct transport *
tp_new_pa(const struct conf *c, struct pa *shared, const char *cache_dir, const char *state,
          const char *tmp_dir, char **why)
{
	struct tp_pa *tp;
	struct pa *pa = shared ? shared : pa_new(c, cache_dir, why);
	if (pa == NULL)
		return NULL;
	tp = xcalloc(1, sizeof(*tp));
	tp->base.ops = &pa_ops;
	tp->base.label = "the PA";
	tp->base.metric = "pa";
	tp->conf = c;
	tp->pa = pa;
	tp->own_pa = shared == NULL;
	tp->state = state ? xstrdup(state) : NULL;
	tp->tmp_dir = tmp_dir ? xstrdup(tmp_dir) : NULL;
	return &tp->base;
}
