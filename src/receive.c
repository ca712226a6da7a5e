/*
 * receive.c - the receiving side's poller (receive.h): search page by page from the
 * feed's position, skip the flows the incoming area already has, download the others,
 * judge each file, deliver it, then commit the position.
 *
 * Judging an incoming file (it comes from a stranger): its size against [incoming]
 * max_size; UBL and CII parsed by xform_parse() (no DTD, no entity, no network, bounded
 * depth: an XXE or a billion laughs is refused there), the root must be an invoice of
 * that syntax, then the XSD of the PA route (CII D22B); a Factur-X must be a PDF, its
 * terms are read from the Converted form the PA gives. Anything else is quarantined,
 * with the reason, its bytes kept as they came.
 *
 * One pass at a time per spool: a pass (from the first page to the last, or a failure)
 * holds lock/incoming, and starts from the position on disk, which another process's
 * pass may have moved.
 *
 * Errors: see receive.h; the reasons are logged (log_warn) once per failure.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "ev.h"
#include "feed.h"
#include "incoming.h"
#include "invoice.h"
#include "log.h"
#include "pa.h"
#include "receive.h"
#include "rules.h"
#include "sha256.h"
#include "spool.h"
#include "util.h"
#include "xform.h"

#define PAGE_LIMIT    100
#define RETRY_MIN_MS  1000
#define MAX_XSD_MSGS  5
#define LOCK_RETRY_MS 200 /* once: while another process's pass holds lock/incoming */

enum stage { ST_ORIGINAL = 0, ST_READABLE, ST_CONVERTED, ST_DONE };

struct receive {
	const struct conf *c;
	struct spool *sp;
	int lock; /* lock/incoming while a pass runs, else -1 */
	struct pa *pa;
	int own_pa;
	struct incoming *in;
	struct feed *feed;
	struct receive_opts o;
	struct ev_timer *timer;
	struct pa_call *call;
	struct pa_reply *page;
	size_t at;
	/* the flow being fetched */
	enum stage stage;
	struct buf orig, readable, converted;
	char *readable_note, *converted_note; /* why it is missing */
	char *refused;                        /* why the PA does not give the original */
	int64_t retry_ms;
	int done, failed;
	struct receive_stats st;
};

static void poll_now(void *);
static void next_flow(struct receive *);

/* Start a pass: lock/incoming, and the position as it is on disk now. 0, or -1 when
 * another process's pass holds the lock (or the position cannot be read: logged). */
static int
pass_start(struct receive *rx)
{
	struct feed *f;
	char *why = NULL;
	if (rx->lock >= 0)
		return 0;
	if ((rx->lock = spool_lock_command(rx->sp, "incoming", NULL)) < 0)
		return -1;
	if (rx->o.resync_ms > 0)
		return 0; /* its own window, nothing on disk */
	f = feed_open(incoming_position(rx->in), incoming_tmp(rx->in), rx->c->pa_search_window_ms,
	              0, &why);
	if (f == NULL) {
		log_warn("incoming: %s", why);
		free(why);
		spool_unlock_command(rx->lock);
		rx->lock = -1;
		return -1;
	}
	feed_free(rx->feed);
	rx->feed = f;
	return 0;
}

static void
pass_end(struct receive *rx)
{
	spool_unlock_command(rx->lock);
	rx->lock = -1;
}

static void
schedule(struct receive *rx, int64_t ms)
{
	if (rx->timer)
		ev_timer_del(rx->timer);
	rx->timer = ev_timer_add((uint64_t)(ms > 0 ? ms : 0), poll_now, rx);
}

static void
item_reset(struct receive *rx)
{
	buf_reset(&rx->orig);
	buf_reset(&rx->readable);
	buf_reset(&rx->converted);
	free(rx->readable_note);
	free(rx->converted_note);
	free(rx->refused);
	rx->readable_note = rx->converted_note = rx->refused = NULL;
	rx->stage = ST_ORIGINAL;
}

/* The poll cannot go on: try again later (the position did not move). */
static void
give_up_page(struct receive *rx, const char *what, const struct pa_result *r)
{
	rx->st.failures++;
	log_warn("incoming: %s: %s; trying again later", what,
	         r && r->reason ? r->reason : "failed");
	if (r && r->setup)
		log_warn("incoming: check %s", r->setup);
	if (rx->page) {
		pa_reply_free(rx->page);
		rx->page = NULL;
	}
	item_reset(rx);
	pass_end(rx);
	if (rx->o.once) {
		rx->done = rx->failed = 1;
		return;
	}
	rx->retry_ms = rx->retry_ms ? rx->retry_ms * 2 : RETRY_MIN_MS;
	if (r && r->retry_after_ms > rx->retry_ms)
		rx->retry_ms = r->retry_after_ms;
	if (rx->retry_ms > rx->c->incoming_poll_ms)
		rx->retry_ms = rx->c->incoming_poll_ms;
	schedule(rx, rx->retry_ms);
}

/* ---- judging the file and writing the receipt ---- */

static void
set_date(struct in_receipt *r, const char *key, const char *s)
{
	char *d = invoice_iso_date(s);
	inr_set(r, key, d);
	free(d);
}

/* The SIREN of a party: its legal id (BT-30 / BT-47) or SIRET, 9 digits first. */
static char *
siren_of(const struct inv_party *p)
{
	const char *s = p->legal_id.text ? p->legal_id.text : p->siret.text;
	if (s && strlen(s) >= 9 && str_digits(s, 9))
		return xstrndup(s, 9);
	return NULL;
}

static const char *
siret_of(const struct inv_party *p)
{
	const char *v[2] = {p->siret.text, p->legal_id.text};
	size_t i;
	for (i = 0; i < 2; i++)
		if (v[i] && strlen(v[i]) == 14 && str_digits(v[i], 14))
			return v[i];
	return NULL;
}

/* The terms of the invoice in the receipt. */
static void
put_terms(struct in_receipt *r, const struct invoice *inv)
{
	char *s;
	inr_set(r, "invoice_number", inv->number.text);
	inr_set(r, "type_code", inv->type_code.text);
	set_date(r, "issue_date", inv->issue_date.text);
	set_date(r, "due_date", inv->due_date.text);
	inr_set(r, "currency", inv->currency.text);
	s = siren_of(&inv->supplier);
	inr_set(r, "supplier_siren", s);
	free(s);
	inr_set(r, "supplier_siret", siret_of(&inv->supplier));
	inr_set(r, "supplier_name", inv->supplier.name.text);
	inr_set(r, "supplier_vat_id", inv->supplier.vat_id.text);
	s = siren_of(&inv->buyer);
	inr_set(r, "buyer_siren", s);
	free(s);
	inr_set(r, "buyer_siret", siret_of(&inv->buyer));
	inr_set(r, "buyer_name", inv->buyer.name.text);
	inr_set(r, "total_without_vat", inv->tax_exclusive.text);
	inr_set(r, "total_vat", inv->tax_total.text);
	inr_set(r, "total_with_vat", inv->tax_inclusive.text);
	inr_set(r, "amount_due", inv->payable.text);
	s = invoice_vat_rates(inv);
	inr_set(r, "vat_rates", s);
	free(s);
}

/*
 * Read the invoice out of untrusted XML bytes: 0 with its terms in r, or -1 with *why
 * saying why it is refused. `want` is the syntax the flow declares (-1: any).
 */
static int
read_xml(const struct conf *c, const struct buf *b, int want, struct in_receipt *r, char **why)
{
	struct xform_result xr;
	struct xform_diags dg;
	struct invoice *inv;
	int rc, syntax;
	memset(&xr, 0, sizeof(xr));
	xr.doc = xform_parse(b->p ? b->p : "", b->len, (size_t)c->incoming_max_size,
	                     (int)c->max_depth, why);
	if (xr.doc == NULL)
		return -1;
	syntax = xform_doc_syntax(xr.doc);
	if (syntax == -1 || (want != -1 && syntax != want)) {
		fail(why, "the root element %s is not %s", xform_doc_root(xr.doc),
		     want == SYNTAX_CII   ? "a CII CrossIndustryInvoice"
		     : want == SYNTAX_UBL ? "a UBL 2.1 Invoice or CreditNote"
		                          : "an invoice in UBL 2.1 or CII");
		xform_doc_free(xr.doc);
		return -1;
	}
	xr.route = ROUTE_PA;
	xr.syntax = syntax;
	xr.kind = syntax == SYNTAX_CII ? XK_CII : XK_UBL;
	rc = xform_validate(&xr, c, &dg, why);
	if (rc == 0 && dg.n > 0) {
		struct buf m;
		size_t i;
		buf_init(&m);
		buf_printf(&m, "not valid against the %s schema:",
		           syntax == SYNTAX_CII ? "CII D22B" : "UBL 2.1");
		for (i = 0; i < dg.n && i < MAX_XSD_MSGS; i++)
			buf_printf(&m, "%s line %d: %s", i ? ";" : "", dg.v[i].line, dg.v[i].msg);
		if (dg.n > MAX_XSD_MSGS)
			buf_printf(&m, "; and %zu more", dg.n - MAX_XSD_MSGS + dg.more);
		free(*why);
		*why = buf_steal(&m);
		xform_diags_free(&dg);
		xform_doc_free(xr.doc);
		return -1;
	}
	xform_diags_free(&dg);
	if (rc == -1) {
		/* our schemas are missing: a set-up problem, not the file's; keep it */
		log_warn("incoming: the invoice could not be checked against its schema: %s", *why);
		free(*why);
		*why = NULL;
	}
	inv = xform_model(&xr);
	put_terms(r, inv);
	invoice_free(inv);
	xform_doc_free(xr.doc);
	return 0;
}

static int
is_pdf(const struct buf *b)
{
	return b->len >= 5 && memcmp(b->p, "%PDF-", 5) == 0;
}

/* The declared syntax: SYNTAX_UBL, SYNTAX_CII, 2 for Factur-X, -1 for what chorusgw does
 * not read as an invoice. */
#define SYN_FACTURX 2
static int
declared(const struct pa_flow *f)
{
	if (f->syntax == NULL)
		return -1;
	if (strcmp(f->syntax, "UBL") == 0)
		return SYNTAX_UBL;
	if (strcmp(f->syntax, "CII") == 0)
		return SYNTAX_CII;
	if (strcmp(f->syntax, "Factur-X") == 0)
		return SYN_FACTURX;
	return -1;
}

static const char *
format_name(int syn)
{
	return syn == SYNTAX_UBL ? "ubl" : syn == SYNTAX_CII ? "cii" : "facturx";
}

/* Judge the original: NULL when it is an invoice (its terms in r), else the reason
 * to quarantine it (caller frees). */
static char *
judge(struct receive *rx, const struct pa_flow *f, struct in_receipt *r)
{
	int syn = declared(f);
	char *why = NULL;
	if (rx->refused)
		return xasprintf("the PA does not give the file: %s", rx->refused);
	if (rx->orig.len == 0)
		return xstrdup("the file is empty");
	if ((int64_t)rx->orig.len > rx->c->incoming_max_size)
		return xasprintf("%zu bytes, more than [incoming] max_size (%lld bytes)",
		                 rx->orig.len, (long long)rx->c->incoming_max_size);
	if (syn == -1)
		return xasprintf(
		    "flow syntax %s is not an invoice syntax chorusgw reads (UBL, CII, Factur-X)",
		    f->syntax ? f->syntax : "(none)");
	inr_set(r, "format", format_name(syn));
	if (syn == SYN_FACTURX) {
		if (!is_pdf(&rx->orig))
			return xstrdup("declared Factur-X, but the file is not a PDF");
		/* its terms from the PA's Converted (UBL) form; the PDF is not parsed here */
		if (rx->converted.len && read_xml(rx->c, &rx->converted, -1, r, &why) == -1) {
			log_warn("incoming: flow %s: the converted form cannot be read: %s", f->id,
			         why);
			free(why);
		}
		return NULL;
	}
	if (read_xml(rx->c, &rx->orig, syn, r, &why) == -1) {
		char *w = xasprintf("refused without being read further: %s", why);
		free(why);
		return w;
	}
	return NULL;
}

static void
deliver(struct receive *rx, const struct pa_flow *f)
{
	struct in_receipt r;
	struct in_file files[3];
	size_t n = 0;
	char now[32], hex[65], *reason, *why = NULL, *h;
	int syn = declared(f), q;
	memset(&r, 0, sizeof(r));
	fmt_time_utc(now, sizeof(now), time(NULL));
	inr_set(&r, "state", "received");
	inr_set(&r, "flow_id", f->id);
	inr_set(&r, "flow_name", f->name);
	inr_set(&r, "flow_syntax", f->syntax);
	inr_set(&r, "flow_profile", f->profile);
	inr_set(&r, "processing_rule", f->rule);
	inr_set(&r, "flow_submitted", f->submitted);
	inr_set(&r, "flow_updated", f->updated);
	inr_set(&r, "fetched", now);
	sha256_hex(rx->orig.p ? rx->orig.p : "", rx->orig.len, hex);
	inr_set(&r, "sha256", hex);
	h = xasprintf("%zu", rx->orig.len);
	inr_set(&r, "size", h);
	free(h);
	reason = judge(rx, f, &r);
	q = reason != NULL;
	if (rx->refused == NULL) { /* the bytes as they came, even refused */
		files[n].suffix = q ? ".bin" : syn == SYN_FACTURX ? ".pdf" : ".xml";
		files[n].data = rx->orig.p ? rx->orig.p : "";
		files[n++].len = rx->orig.len;
	}
	if (!q && rx->c->incoming_readable && rx->readable.len) {
		files[n].suffix = ".readable.pdf";
		files[n].data = rx->readable.p;
		files[n++].len = rx->readable.len;
	}
	if (!q && rx->c->incoming_converted && rx->converted.len) {
		files[n].suffix = ".converted.xml";
		files[n].data = rx->converted.p;
		files[n++].len = rx->converted.len;
	}
	if (q) {
		inr_set(&r, "state", "quarantined");
		inr_add(&r, "reason", reason);
	}
	if (!q && rx->readable_note)
		inr_add(&r, "note", rx->readable_note);
	if (!q && rx->converted_note && rx->c->incoming_converted)
		inr_add(&r, "note", rx->converted_note);
	h = xasprintf("%s %s flow %s%s%s", now, q ? "quarantined" : "received", f->id,
	              q ? ": " : "", q ? reason : "");
	inr_add(&r, "history", h);
	free(h);
	if (incoming_deliver(rx->in, f->id, q, files, n, &r, &why) == -1) {
		struct pa_result pr;
		memset(&pr, 0, sizeof(pr));
		pr.reason = why;
		give_up_page(rx, "cannot write an incoming invoice", &pr);
		free(why);
		free(reason);
		inr_free(&r);
		return;
	}
	if (q) {
		rx->st.quarantined++;
		log_warn("incoming: flow %s (%s) quarantined: %s", f->id, f->name ? f->name : "?",
		         reason);
	} else {
		rx->st.fetched++;
		if (rx->o.resync_ms)
			log_warn("incoming: gap: flow %s (%s) had not "
			         "been fetched by the polls; fetched now",
			         f->id, f->name ? f->name : "?");
		log_info("incoming: flow %s received: invoice %s from %s (%s)", f->id,
		         inr_get(&r, "invoice_number") ? inr_get(&r, "invoice_number") : "?",
		         inr_get(&r, "supplier_name")    ? inr_get(&r, "supplier_name")
		         : inr_get(&r, "supplier_siren") ? inr_get(&r, "supplier_siren")
		                                         : "?",
		         inr_get(&r, "file"));
	}
	free(reason);
	inr_free(&r);
	item_reset(rx);
	rx->at++;
	next_flow(rx);
}

/* ---- the downloads of one flow ---- */

static void on_doc(struct pa_reply *, void *);

/* The next document of the current flow, or its delivery. */
static void
fetch_next(struct receive *rx)
{
	const struct pa_flow *f = &rx->page->search.v[rx->at];
	int syn = declared(f);
	for (;;) {
		switch (rx->stage) {
		case ST_ORIGINAL:
			rx->call = pa_get(rx->pa, f->id, "Original", on_doc, rx);
			return;
		case ST_READABLE:
			if (rx->c->incoming_readable && syn != -1) {
				rx->call = pa_get(rx->pa, f->id, "ReadableView", on_doc, rx);
				return;
			}
			rx->stage = ST_CONVERTED;
			continue;
		case ST_CONVERTED:
			/* a Factur-X's terms are read from it */
			if ((rx->c->incoming_converted || syn == SYN_FACTURX) && syn != -1) {
				rx->call = pa_get(rx->pa, f->id, "Converted", on_doc, rx);
				return;
			}
			rx->stage = ST_DONE;
			continue;
		case ST_DONE:
			deliver(rx, f);
			return;
		}
	}
}

/* A readable view or converted form: its bytes, or why it is missing. */
static void
keep_doc(const struct pa_reply *rep, struct buf *to, char **note, const char *missing)
{
	if (rep->r.cls == PA_OK)
		buf_add(to, rep->file.data.p ? rep->file.data.p : "", rep->file.data.len);
	else
		*note = xasprintf("%s: %s", missing, rep->r.reason ? rep->r.reason : "refused");
}

static void
on_doc(struct pa_reply *rep, void *arg)
{
	struct receive *rx = arg;
	const struct pa_flow *f = &rx->page->search.v[rx->at];
	rx->call = NULL;
	if (rep->r.cls == PA_RETRY || rep->r.cls == PA_SETUP) {
		char *what = xasprintf("download of flow %s", f->id);
		give_up_page(rx, what, &rep->r);
		free(what);
		pa_reply_free(rep);
		return;
	}
	switch (rx->stage) {
	case ST_ORIGINAL:
		if (rep->r.cls != PA_OK) {
			/* the PA will not give it: recorded in quarantine/, never asked again */
			rx->stage = ST_DONE;
			rx->refused = xstrdup(rep->r.reason ? rep->r.reason : "refused");
			break;
		}
		buf_add(&rx->orig, rep->file.data.p ? rep->file.data.p : "", rep->file.data.len);
		rx->stage = ST_READABLE;
		break;
	case ST_READABLE:
		keep_doc(rep, &rx->readable, &rx->readable_note, "no readable view");
		rx->stage = ST_CONVERTED;
		break;
	default:
		keep_doc(rep, &rx->converted, &rx->converted_note, "no converted form");
		rx->stage = ST_DONE;
		break;
	}
	pa_reply_free(rep);
	fetch_next(rx);
}

/* ---- pages ---- */

static void
page_done(struct receive *rx)
{
	char *why = NULL;
	log_debug("incoming: a page of %zu flow(s) read%s", rx->page->search.n,
	          rx->page->search.next_cursor ? "; another waits" : "");
	feed_page(rx->feed, rx->page);
	pa_reply_free(rx->page);
	rx->page = NULL;
	if (feed_commit(rx->feed, &why) == -1) {
		struct pa_result pr;
		memset(&pr, 0, sizeof(pr));
		pr.reason = why;
		give_up_page(rx, "cannot save the search position", &pr);
		free(why);
		return;
	}
	rx->retry_ms = 0;
	if (feed_more(rx->feed)) {
		schedule(rx, 0);
		return;
	}
	pass_end(rx);
	if (rx->o.once)
		rx->done = 1;
	else
		schedule(rx, rx->c->incoming_poll_ms);
}

static void
next_flow(struct receive *rx)
{
	while (rx->at < rx->page->search.n) {
		const struct pa_flow *f = &rx->page->search.v[rx->at];
		if (incoming_fetched(rx->in, f->id)) {
			rx->st.known++;
			rx->at++;
			continue;
		}
		item_reset(rx);
		fetch_next(rx);
		return;
	}
	page_done(rx);
}

static void
on_page(struct pa_reply *rep, void *arg)
{
	struct receive *rx = arg;
	rx->call = NULL;
	if (feed_refused(rx->feed, &rep->r)) {
		log_warn("incoming: the PA refused the search cursor "
		         "(%s); searching again from the window",
		         rep->r.reason ? rep->r.reason : "?");
		pa_reply_free(rep);
		schedule(rx, 0);
		return;
	}
	if (rep->r.cls != PA_OK) {
		give_up_page(rx, "search of incoming flows", &rep->r);
		pa_reply_free(rep);
		return;
	}
	rx->st.seen += rep->search.n;
	rx->page = rep;
	rx->at = 0;
	next_flow(rx);
}

static void
poll_now(void *arg)
{
	struct receive *rx = arg;
	struct pa_search_req q;
	rx->timer = NULL;
	if (rx->call || rx->page || rx->done)
		return;
	if (pass_start(rx) == -1) {
		/* another process's pass: the position it leaves is read at the next one */
		schedule(rx, rx->o.once ? LOCK_RETRY_MS : rx->c->incoming_poll_ms);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.direction = "In";
	q.flow_type = "SupplierInvoice";
	q.limit = PAGE_LIMIT;
	q.max_pages = 1;
	feed_query(rx->feed, &q);
	rx->call = pa_search(rx->pa, &q, on_page, rx);
}

/* ---- public ---- */

struct receive *
receive_new(const struct conf *c, struct spool *sp, struct pa *pa, const struct receive_opts *o,
            char **why)
{
	struct receive *rx = xcalloc(1, sizeof(*rx));
	rx->c = c;
	rx->sp = sp;
	rx->lock = -1;
	if (o)
		rx->o = *o;
	buf_init(&rx->orig);
	buf_init(&rx->readable);
	buf_init(&rx->converted);
	rx->in = incoming_open(spool_root(sp), (mode_t)c->file_mode, why);
	if (rx->in == NULL)
		goto fail;
	if (rx->o.resync_ms > 0)
		rx->feed =
		    feed_open(NULL, NULL, 0, time(NULL) - (time_t)(rx->o.resync_ms / 1000), why);
	else
		/* a first run reads every invoice the PA still holds */
		rx->feed = feed_open(incoming_position(rx->in), incoming_tmp(rx->in),
		                     c->pa_search_window_ms, 0, why);
	if (rx->feed == NULL)
		goto fail;
	rx->own_pa = pa == NULL;
	rx->pa = pa ? pa : pa_new(c, NULL, why);
	if (rx->pa == NULL)
		goto fail;
	schedule(rx, 0);
	return rx;
fail:
	receive_free(rx);
	return NULL;
}

void
receive_free(struct receive *rx)
{
	if (rx == NULL)
		return;
	if (rx->timer)
		ev_timer_del(rx->timer);
	if (rx->call)
		pa_cancel(rx->call);
	if (rx->page)
		pa_reply_free(rx->page);
	if (rx->own_pa)
		pa_free(rx->pa);
	feed_free(rx->feed);
	pass_end(rx);
	incoming_close(rx->in);
	item_reset(rx);
	buf_free(&rx->orig);
	buf_free(&rx->readable);
	buf_free(&rx->converted);
	free(rx);
}

int
receive_done(const struct receive *rx, int *failed)
{
	if (failed)
		*failed = rx->failed;
	return rx->done;
}

void
receive_get_stats(const struct receive *rx, struct receive_stats *out)
{
	*out = rx->st;
}
