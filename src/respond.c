/*
 * respond.c - the ERP's status files on invoices received, sent as CDAR (respond.h).
 *
 * A scan takes the status files of incoming/ one by one: read and judged without the
 * network (the receipt beside it, status_parse(), status_cdar(), the XSD), then either
 * refused into incoming/rejected/ or turned into a job: the CDAR and a small JSON job
 * in .chorusgw/incoming/out/, the receipt's status.N line "CODE sending TRACK", and the
 * status file moved to incoming/sent/. Jobs are then worked one at a time: send (after
 * a first attempt, a search by trackingId first: an earlier send is adopted, never
 * repeated), then follow the acknowledgement by the same search, and the receipt says
 * "acknowledged" or "refused" with the PA's reasons. A job answered moves to done/.
 *
 * The seller's status files (212 Encaissée on an invoice sent through the PA, next to
 * its receipt in outbox/ or accepted/) take the same road, with the document's record
 * (spool.h) in place of the incoming receipt: each step is a status event for it
 * (follow.h: a history line; the acknowledged status applied as the feed's are, final at
 * [pa] final_status), which the process owning the document applies.
 *
 * Errors: logged (log_warn); the PA's failures are retried after [gateway] retry_min..
 * retry_max; nothing is lost: every step is durable before the next.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdar.h"
#include "check.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "follow.h"
#include "incoming.h"
#include "invoice.h"
#include "json.h"
#include "log.h"
#include "pa.h"
#include "receipt.h"
#include "respond.h"
#include "sha256.h"
#include "spool.h"
#include "status.h"
#include "transport.h"
#include "util.h"
#include "xform.h"

#define JOB_MAX (64 * 1024)

struct respond {
	const struct conf *c;
	struct pa *pa;
	int own_pa;
	struct incoming *in; /* RESPOND_BUYER only */
	struct spool *sp;
	unsigned sides;
	char *indir, *out, *done;
	char *issued[2]; /* outbox/, accepted/ (RESPOND_SELLER) */
	void (*stored)(void *);
	void *stored_arg;
	mode_t mode;
	int lock; /* lock/statuses: one process per spool takes status files and works jobs */
	int once, failed, finished, locked_out;
	struct respond_stats st;
	struct ev_timer *timer;
	struct pa_call *call;
	struct json *job; /* the job being worked */
	char *job_path;
	int64_t backoff_ms;
	/* jobs waiting (an acknowledgement, a retry): not before `at` (now_ms()), so that
	 * the others go on meanwhile */
	struct due {
		char *track;
		uint64_t at;
	} * due;
	size_t ndue;
};

static void tick(void *);
static void job_release(struct respond *);

static void
later(struct respond *rp, int64_t ms)
{
	if (rp->timer)
		ev_timer_del(rp->timer);
	rp->timer = ev_timer_add((uint64_t)(ms > 0 ? ms : 0), tick, rp);
}

static const char *
jstr(const struct json *o, const char *k)
{
	return json_str(json_get(o, k));
}

/* ---- the invoice's receipt ---- */

static char *
receipt_path(struct respond *rp, const char *name)
{
	return xasprintf("%s/%s", rp->indir, name);
}

/* A history line, now, in the receipt `r`. */
static void
add_history(struct in_receipt *r, const char *what)
{
	char now[32], *h;
	fmt_time_utc(now, sizeof(now), time(NULL));
	h = xasprintf("%s %s", now, what);
	inr_add(r, "history", h);
	free(h);
}

/* Set the job's status line in the receipt `r` (read from `path`), add a history line,
 * save it. 0 / -1. */
static int
note_in(struct respond *rp, struct in_receipt *r, const char *path, const struct json *job,
        const char *state, const char *flow, const char *history, char **why)
{
	char *key, *v;
	int64_t n = 0;
	int ret;
	json_int(json_get(job, "n"), &n);
	key = xasprintf("status.%lld", (long long)n);
	v = xasprintf("%s %s %s%s%s", jstr(job, "code"), state, jstr(job, "tracking"),
	              flow ? " " : "", flow ? flow : "");
	inr_set(r, key, v);
	add_history(r, history);
	ret = incoming_save(rp->in, path, r, why);
	free(key);
	free(v);
	return ret;
}

/* note_in() on the job's receipt as it is on disk. 0 / -1. */
static int
note_receipt(struct respond *rp, const struct json *job, const char *state, const char *flow,
             const char *history, char **why)
{
	struct in_receipt r;
	char *path = receipt_path(rp, jstr(job, "receipt"));
	int ret = -1;
	if (inr_read(path, &r, why) == 0) {
		ret = note_in(rp, &r, path, job, state, flow, history, why);
		inr_free(&r);
	}
	free(path);
	return ret;
}

/* ---- refusing a status file ---- */

/* Move `file` of `dir` to dir/rejected/ with the reasons beside it. Its name there (caller
 * frees), or NULL when it could not be moved (logged). */
static char *
reject_file(struct respond *rp, const char *dir, const char *file, const struct buf *reasons)
{
	char *from = xasprintf("%s/%s", dir, file), *rej = xasprintf("%s/rejected", dir);
	char *to = NULL, *reason, *why = NULL, *name = NULL;
	int i;
	if (mkdir_p(rej, 0750, &why) == -1) {
		log_warn("incoming: %s", why);
		free(why);
		goto out;
	}
	for (i = 0; i < 1000; i++) {
		free(to);
		to = i == 0 ? xasprintf("%s/%s", rej, file)
		            : xasprintf("%s/%.*s.%d.status", rej,
		                        (int)(strlen(file) - strlen(STATUS_SUFFIX)), file, i);
		if (rename_noreplace(from, to) == 0 || errno != EEXIST)
			break;
	}
	if (i == 1000 || access(to, F_OK) == -1) {
		log_warn("%s cannot be moved to rejected/: %s", from, strerror(errno));
		goto out;
	}
	reason = xasprintf("%s.reason", to);
	if (write_file_atomic(spool_tmp(rp->sp), reason, reasons->p, reasons->len, rp->mode, 0,
	                      &why) == -1 ||
	    fsync_dir(dir, &why) == -1) {
		log_warn("%s", why);
		free(why);
		why = NULL;
	}
	free(reason);
	log_warn("status file %s refused: %.*s", from, (int)strcspn(reasons->p, "\n"), reasons->p);
	name = xstrdup(strrchr(to, '/') + 1);
	rp->st.refused++;
out:
	free(from);
	free(rej);
	free(to);
	return name;
}

/* The history line of a status file refused. Caller frees. */
static char *
refused_words(const char *file, const char *name, const struct buf *reasons)
{
	return xasprintf("status file %s refused (rejected/%s): %.*s", file, name,
	                 (int)strcspn(reasons->p, "\n"), reasons->p);
}

/* Refuse `file` of incoming/, and say so in the invoice's receipt `r` (read from `rpath`)
 * when there is one (else both NULL). */
static void
refuse(struct respond *rp, const char *file, struct in_receipt *r, const char *rpath,
       const struct buf *reasons)
{
	char *name = reject_file(rp, rp->indir, file, reasons), *why = NULL;
	if (name && r) {
		char *h = refused_words(file, name, reasons);
		add_history(r, h);
		if (incoming_save(rp->in, rpath, r, &why) == -1) {
			log_warn("incoming: %s", why);
			free(why);
		}
		free(h);
	}
	free(name);
}

/* The trackingId of the status file `b` on the flow `flow` (an invoice received or sent):
 * the same file on the same invoice is the same message. Caller frees. */
static char *
tracking_of(const char *flow, const struct buf *b)
{
	char hex[65], *text;
	sha256_hex(b->p, b->len, hex);
	text = xasprintf("%s\n%s", flow, hex);
	sha256_hex(text, strlen(text), hex);
	free(text);
	return xasprintf("CDV-%.28s", hex);
}

/* The CDAR message `track` saying `sf` on `inv` by `side` (*xml, caller frees), checked:
 * the status file's rules, BR-FR-CDV, the CDAR XSD. 0 with every problem appended to
 * `reasons`; -1 when our schemas cannot be read (a set-up problem: the file waits). */
static int
message(struct respond *rp, const char *file, const struct status_file *sf,
        const struct lc_invoice *inv, enum status_side side, const char *track, char **xml,
        size_t *xlen, struct buf *reasons)
{
	struct problems ps;
	struct xform_diags dg;
	struct cdar *cd;
	char *why = NULL;
	size_t i;
	int r = 0;
	memset(&ps, 0, sizeof(ps));
	memset(&dg, 0, sizeof(dg));
	*xml = NULL;
	cd = status_cdar(sf, inv, side, track, time(NULL), &ps);
	for (i = 0; i < ps.n; i++)
		if (ps.v[i].sev == SEV_ERROR)
			buf_printf(reasons, "%s\n", ps.v[i].text);
	if (reasons->len == 0) {
		*xml = cdar_xml(cd, xlen);
		if (xform_validate_cdar(*xml, *xlen, rp->c, &dg, &why) == -1) {
			log_warn("%s: %s", file, why);
			free(why);
			r = -1;
		}
		for (i = 0; i < dg.n; i++)
			buf_printf(reasons,
			           "the lifecycle message is not valid against the CDAR D22B XSD "
			           "(rule XSD): line %d: %s\n",
			           dg.v[i].line, dg.v[i].msg);
	}
	xform_diags_free(&dg);
	problems_free(&ps);
	cdar_free(cd);
	return r;
}

/* A new job: its message and its JSON in out/. 0 / -1. */
static int
write_job(struct respond *rp, const struct json *job, const char *xml, size_t xlen, char **why)
{
	const char *track = jstr(job, "tracking");
	char *jt = json_dump(job, 1), *xpath = xasprintf("%s/%s.xml", rp->out, track);
	char *jpath = xasprintf("%s/%s.job", rp->out, track);
	int r =
	    write_file_atomic(spool_tmp(rp->sp), xpath, xml, xlen, 0600, 0, why) == -1 ||
	            write_file_atomic(spool_tmp(rp->sp), jpath, jt, strlen(jt), 0600, 0, why) == -1
	        ? -1
	        : 0;
	free(jt);
	free(xpath);
	free(jpath);
	return r;
}

/* A job for the status file `sf` whose message is `track` (state sending). Caller frees. */
static struct json *
new_job(const struct status_file *sf, const char *track, size_t n)
{
	struct json *job = json_new_object();
	const struct cdv_status *st = cdv_status_find(sf->status);
	json_set_int(job, "version", 1);
	json_set_str(job, "code", sf->status);
	json_set_str(job, "label", st && st->label ? st->label : "");
	json_set_str(job, "tracking", track);
	json_set_str(job, "state", "sending");
	json_set_int(job, "n", (int64_t)n);
	json_set_int(job, "attempts", 0);
	return job;
}

/* Move the status file `path`, taken, to dir/sent/NAME.CODE.status (else with the
 * trackingId too). 0 / -1. */
static int
move_sent(const char *dir, const char *path, const char *file, const char *code, const char *track,
          char **why)
{
	size_t stem = strlen(file) - strlen(STATUS_SUFFIX);
	char *sent = xasprintf("%s/sent", dir);
	char *to = xasprintf("%s/%.*s.%s.status", sent, (int)stem, file, code);
	int ret = -1;
	if (mkdir_p(sent, 0750, why) == -1)
		goto out;
	if (rename_noreplace(path, to) == -1) {
		free(to);
		to = xasprintf("%s/%.*s.%s.%s.status", sent, (int)stem, file, code, track);
		if (rename_noreplace(path, to) == -1) {
			fail(why, "rename %s: %s", path, strerror(errno));
			goto out;
		}
	}
	ret = fsync_dir(sent, why) == -1 || fsync_dir(dir, why) == -1 ? -1 : 0;
out:
	free(sent);
	free(to);
	return ret;
}

/* ---- from a status file to a job ---- */

static void
lc_of(const struct in_receipt *r, struct lc_invoice *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->number = inr_get(r, "invoice_number");
	inv->type_code = inr_get(r, "type_code");
	inv->issue_date = inr_get(r, "issue_date");
	inv->seller_siren = inr_get(r, "supplier_siren");
	inv->seller_name = inr_get(r, "supplier_name");
	inv->buyer_siren = inr_get(r, "buyer_siren");
	inv->buyer_name = inr_get(r, "buyer_name");
	inv->total = inr_get(r, "total_with_vat");
	inv->vat_rates = inr_get(r, "vat_rates");
}

/* Is `track` one of the receipt's status lines? Its line when it is. */
static const char *
already(const struct in_receipt *r, const char *track)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (str_has_prefix(r->k[i], "status.") && strstr(r->v[i], track))
			return r->v[i];
	return NULL;
}

static size_t
next_status_n(const struct in_receipt *r)
{
	size_t i, n = 0;
	for (i = 0; i < r->n; i++)
		if (str_has_prefix(r->k[i], "status."))
			n++;
	return n + 1;
}

/* Take the status file `file` of incoming/: a job, or refused. 0 / -1 (disk). */
static int
take(struct respond *rp, const char *file, char **why)
{
	size_t stem = strlen(file) - strlen(STATUS_SUFFIX);
	char *path = xasprintf("%s/%s", rp->indir, file);
	char *rname = xasprintf("%.*s" IN_RECEIPT_EXT, (int)stem, file), *rpath;
	char *track = NULL, *xml = NULL;
	struct buf b, reasons;
	struct in_receipt r;
	struct status_file *sf = NULL;
	struct lc_invoice inv;
	char *pwhy = NULL;
	const char *was;
	size_t xlen = 0;
	int ret = 0, have_r = 0;

	buf_init(&b);
	buf_init(&reasons);
	rpath = receipt_path(rp, rname);
	if (read_file(path, STATUS_FILE_MAX, 1, &b, &pwhy) == -1) {
		if (errno == ENOENT) /* taken by another process, or renamed away */
			goto out;
		buf_printf(&reasons, "cannot be read: %s\n", pwhy);
		goto refused;
	}
	if (inr_read(rpath, &r, &pwhy) == -1) {
		buf_printf(
		    &reasons,
		    "no receipt of an invoice received beside it (%s): a status file is "
		    "named after the receipt of the invoice it answers (chorusgw-status(5))\n",
		    errno == ENOENT ? "no such file" : pwhy);
		goto refused;
	}
	have_r = 1;
	if (strcmp(inr_get(&r, "state") ? inr_get(&r, "state") : "", "received") != 0) {
		buf_adds(&reasons, "the invoice was not received "
		                   "(quarantined): there is nothing to answer\n");
		goto refused;
	}
	if (status_parse(b.p, b.len, &sf, &pwhy) == -1) {
		buf_printf(&reasons, "%s\n", pwhy);
		goto refused;
	}
	track = tracking_of(inr_get(&r, "flow_id"), &b);
	if ((was = already(&r, track)) != NULL) {
		buf_printf(&reasons,
		           "this status file was already taken for this invoice (status line "
		           "\"%s\"): not sent again\n",
		           was);
		goto refused;
	}
	lc_of(&r, &inv);
	if (message(rp, file, sf, &inv, STATUS_BUYER, track, &xml, &xlen, &reasons) == -1)
		goto out;
	if (reasons.len)
		goto refused;

	/* a job: the message, the job, the receipt's status line, then the file moves */
	{
		struct json *job = new_job(sf, track, next_status_n(&r));
		char *h;
		json_set_str(job, "receipt", rname);
		json_set_str(job, "flow", inr_get(&r, "flow_id"));
		h = xasprintf("status %s %s from %s: sending (trackingId %s)", sf->status,
		              jstr(job, "label"), file, track);
		ret = write_job(rp, job, xml, xlen, why) == -1 ||
		              note_in(rp, &r, rpath, job, "sending", NULL, h, why) == -1 ||
		              move_sent(rp->indir, path, file, sf->status, track, why) == -1
		          ? -1
		          : 0;
		free(h);
		json_free(job);
		if (ret == 0) {
			rp->st.taken++;
			log_info("incoming: %s: status %s on invoice %s taken (trackingId %s)",
			         file, sf->status, inv.number ? inv.number : "?", track);
		}
	}
	goto out;
refused:
	refuse(rp, file, have_r ? &r : NULL, have_r ? rpath : NULL, &reasons);
out:
	if (have_r)
		inr_free(&r);
	free(pwhy);
	status_file_free(sf);
	free(xml);
	free(track);
	free(path);
	free(rname);
	free(rpath);
	buf_free(&b);
	buf_free(&reasons);
	return ret;
}

/* ---- the seller's status files (outbox/, accepted/) ---- */

/* Store a status event for the document `qid` (follow.h) and tell the caller. 0 / -1. */
static int
put_event(struct respond *rp, const char *qid, const struct tp_event *e, char **why)
{
	char *text = follow_event_text(e);
	int r = spool_event_put(rp->sp, qid, text, why);
	free(text);
	if (r == 0 && rp->stored)
		rp->stored(rp->stored_arg);
	return r;
}

/* A history line `note` for the document `qid`, once (`id`). 0 / -1. */
static int
put_note(struct respond *rp, const char *qid, const char *id, const char *note, char **why)
{
	struct tp_event e;
	memset(&e, 0, sizeof(e));
	e.id = (char *)id;
	e.code = (char *)"";
	e.note = (char *)note;
	return put_event(rp, qid, &e, why);
}

/* The record of the invoice whose receipt goes with the status file `file` of `dir`
 * (else in the other folder of an invoice sent: it may have moved meanwhile), or NULL
 * with the reason appended to `reasons`. Caller frees. */
static struct doc *
issued_doc(struct respond *rp, const char *dir, const char *file, struct buf *reasons)
{
	size_t stem = strlen(file) - strlen(STATUS_SUFFIX), i;
	const char *dirs[2] = {dir, dir == rp->issued[0] ? rp->issued[1] : rp->issued[0]};
	struct doc *d = NULL;
	char *qid = NULL, *why = NULL;
	for (i = 0; i < 2 && qid == NULL; i++) {
		char *p = xasprintf("%s/%.*s.receipt", dirs[i], (int)stem, file);
		qid = receipt_read_qid(p, 0);
		free(p);
	}
	if (qid == NULL)
		buf_printf(reasons,
		           "no receipt of an invoice sent beside it: a status file is named "
		           "after the receipt of the invoice it is about (FILE.status next "
		           "to FILE.receipt, chorusgw-status(5))\n");
	else if (spool_load(rp->sp, qid, &d, &why) == -1)
		buf_printf(reasons, "the record of invoice %s cannot be read: %s\n", qid, why);
	free(qid);
	free(why);
	return d;
}

/* What keeps the seller's status on `d` from being sent, appended to `reasons`. */
static void
judge_issued(const struct doc *d, struct buf *reasons)
{
	if (d->route == NULL || strcmp(d->route, "pa") != 0)
		buf_printf(reasons,
		           "the invoice was not sent through the Plateforme Agréée (route %s): a "
		           "platform takes a seller's status only on an invoice sent through it, "
		           "and chorusgw sends none to Chorus Pro\n",
		           d->route ? d->route : "not decided");
	else if (d->state == DOC_REJECTED)
		buf_printf(reasons, "the invoice was rejected: there is no payment to report\n");
	else if (d->pa_flow_id == NULL || d->pa_ack == NULL || strcmp(d->pa_ack, "Ok") != 0)
		buf_printf(
		    reasons,
		    "the platform has not taken the invoice yet (pa_ack %s): drop the status "
		    "file again once its receipt says pa_ack = Ok\n",
		    d->pa_ack ? d->pa_ack : "empty");
}

/* A party's electronic address when it is under scheme 0225 (the CDAR's), else NULL. */
static const char *
address_0225(const struct inv_party *p)
{
	return p->endpoint.attr && strcmp(p->endpoint.attr, "0225") == 0 ? p->endpoint.text : NULL;
}

/* The invoice's terms read from the document it sent (its generated XML), for the
 * lifecycle message: `inv` borrows from *model (invoice_free()) and *strs (free()). */
static void
issued_terms(struct respond *rp, const struct doc *d, struct lc_invoice *inv,
             struct invoice **model, char *strs[3])
{
	char *xp = spool_xml_path(rp->sp, d), *why = NULL;
	struct xform_result xr;
	struct buf b;
	memset(inv, 0, sizeof(*inv));
	memset(&xr, 0, sizeof(xr));
	*model = NULL;
	strs[0] = strs[1] = strs[2] = NULL;
	inv->number = d->invoice_number;
	inv->seller_siren = d->supplier_siren;
	inv->buyer_siren = d->buyer_siren;
	buf_init(&b);
	/* the XML it sent: up to [spool] max_size, and its attachments in base64 */
	if (xp && read_file(xp, (size_t)rp->c->max_size * 2, 1, &b, &why) == 0 &&
	    (xr.doc = xform_parse(b.p, b.len, (size_t)rp->c->max_size * 2, (int)rp->c->max_depth,
	                          &why)) != NULL &&
	    (xr.syntax = xform_doc_syntax(xr.doc)) != -1) {
		struct invoice *m;
		char siren[10];
		xr.route = ROUTE_PA;
		xr.kind = xr.syntax == SYNTAX_CII ? XK_CII : XK_UBL;
		*model = m = xform_model(&xr);
		inv->type_code = m->type_code.text;
		inv->issue_date = strs[0] = invoice_iso_date(m->issue_date.text);
		if (inv->seller_siren == NULL && invoice_party_siren(&m->supplier, siren))
			inv->seller_siren = strs[2] = xstrdup(siren);
		inv->seller_name = m->supplier.name.text;
		inv->buyer_name = m->buyer.name.text;
		inv->seller_address = address_0225(&m->supplier);
		inv->buyer_address = address_0225(&m->buyer);
		inv->total = m->tax_inclusive.text;
		inv->vat_rates = strs[1] = invoice_vat_rates(m);
	} else
		log_doc(LOG_LVL_WARN, d->qid, d->original_name,
		        "its XML cannot be read for the status: %s", why ? why : "no XML");
	xform_doc_free(xr.doc);
	buf_free(&b);
	free(why);
	free(xp);
}

/* Refuse the seller's status file `file` of `dir`, and say so in the history of `d` (the
 * invoice, when known). */
static void
refuse_issued(struct respond *rp, const char *dir, const char *file, const struct doc *d,
              const struct buf *reasons)
{
	char *name = reject_file(rp, dir, file, reasons), *why = NULL;
	if (name && d) {
		char *h = refused_words(file, name, reasons), *id = xasprintf("rejected/%s", name);
		if (put_note(rp, d->qid, id, h, &why) == -1) {
			log_warn("%s", why);
			free(why);
		}
		free(h);
		free(id);
	}
	free(name);
}

/* How far the message `track` went: 0 no job, 1 a job not tried yet (a stop between
 * the job and the file's move), 2 tried or answered. */
static int
job_stage(struct respond *rp, const char *track)
{
	char *p = xasprintf("%s/%s.job", rp->done, track);
	struct buf b;
	struct json *job = NULL;
	int64_t attempts = 0;
	int st = 0;
	if (access(p, F_OK) == 0)
		st = 2;
	free(p);
	p = xasprintf("%s/%s.job", rp->out, track);
	buf_init(&b);
	if (st == 0 && read_file(p, JOB_MAX, 1, &b, NULL) == 0 &&
	    (job = json_parse(b.p, b.len, NULL)) != NULL) {
		json_int(json_get(job, "attempts"), &attempts);
		st = attempts == 0 && strcmp(json_path_str(job, "state", ""), "sending") == 0 ? 1
		                                                                              : 2;
	}
	json_free(job);
	buf_free(&b);
	free(p);
	return st;
}

/* Take the seller's status file `file` of `dir` (outbox/ or accepted/): a job, or
 * refused. 0 / -1 (disk). */
static int
take_seller(struct respond *rp, const char *dir, const char *file, char **why)
{
	char *path = xasprintf("%s/%s", dir, file), *track = NULL, *xml = NULL, *pwhy = NULL;
	char *strs[3] = {NULL, NULL, NULL};
	struct buf b, reasons;
	struct status_file *sf = NULL;
	struct lc_invoice inv;
	struct invoice *model = NULL;
	struct doc *d = NULL;
	size_t xlen = 0, i;
	int ret = 0, stage;

	buf_init(&b);
	buf_init(&reasons);
	if (read_file(path, STATUS_FILE_MAX, 1, &b, &pwhy) == -1) {
		if (errno == ENOENT) /* taken by another process, or renamed away */
			goto out;
		buf_printf(&reasons, "cannot be read: %s\n", pwhy);
		goto refused;
	}
	if ((d = issued_doc(rp, dir, file, &reasons)) == NULL)
		goto refused;
	judge_issued(d, &reasons);
	if (reasons.len)
		goto refused;
	if (status_parse(b.p, b.len, &sf, &pwhy) == -1) {
		buf_printf(&reasons, "%s\n", pwhy);
		goto refused;
	}
	track = tracking_of(d->pa_flow_id, &b);
	if ((stage = job_stage(rp, track)) == 2) {
		buf_printf(&reasons,
		           "this status file was already taken for this invoice (trackingId %s): "
		           "not sent again\n",
		           track);
		goto refused;
	}
	issued_terms(rp, d, &inv, &model, strs);
	if (message(rp, file, sf, &inv, STATUS_SELLER, track, &xml, &xlen, &reasons) == -1)
		goto out;
	if (reasons.len)
		goto refused;

	/* a job (unless a stop left it made), the history line, then the file moves */
	{
		struct json *job = new_job(sf, track, 0);
		char *h = xasprintf("status %s %s from %s: sending (trackingId %s)", sf->status,
		                    jstr(job, "label"), file, track);
		char *id = xasprintf("%s.sending", track);
		json_set_str(job, "side", "seller");
		json_set_str(job, "qid", d->qid);
		json_set_str(job, "receipt", d->original_name);
		json_set_str(job, "flow", d->pa_flow_id);
		ret = (stage == 0 && write_job(rp, job, xml, xlen, why) == -1) ||
		              put_note(rp, d->qid, id, h, why) == -1 ||
		              move_sent(dir, path, file, sf->status, track, why) == -1
		          ? -1
		          : 0;
		if (ret == 0) {
			rp->st.taken++;
			log_doc(LOG_LVL_INFO, d->qid, d->original_name,
			        "status %s from %s taken (trackingId %s)", sf->status, file, track);
		}
		free(h);
		free(id);
		json_free(job);
	}
	goto out;
refused:
	refuse_issued(rp, dir, file, d, &reasons);
out:
	doc_free(d);
	invoice_free(model);
	for (i = 0; i < nitems(strs); i++)
		free(strs[i]);
	free(pwhy);
	status_file_free(sf);
	free(xml);
	free(track);
	free(path);
	buf_free(&b);
	buf_free(&reasons);
	return ret;
}

/* Take every status file of `dir`: the seller's (take_seller()) or the buyer's (take()). */
static void
scan_dir(struct respond *rp, const char *dir, int seller)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *why = NULL;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *p;
		int r = 0;
		if (!name_of_kind(e->d_name, STATUS_SUFFIX))
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			r = seller ? take_seller(rp, dir, e->d_name, &why)
			           : take(rp, e->d_name, &why);
		if (r == -1) {
			log_warn("%s: %s", p, why);
			free(why);
			why = NULL;
		}
		free(p);
	}
	closedir(d);
}

/* Take every status file of incoming/, outbox/ and accepted/ (as the sides say). */
static void
scan(struct respond *rp)
{
	if (rp->sides & RESPOND_BUYER)
		scan_dir(rp, rp->indir, 0);
	if (rp->sides & RESPOND_SELLER) {
		scan_dir(rp, rp->issued[0], 1);
		scan_dir(rp, rp->issued[1], 1);
	}
}

/* ---- the jobs of out/ ---- */

/* cb(arg, path, job) for each readable job of `out` (with its tracking, receipt and
 * state): 1 when it keeps `path` and `job` (its to free), 0 when not (freed here). */
typedef int job_cb(void *arg, char *path, struct json *job);
static void
each_job(const char *out, job_cb *cb, void *arg)
{
	DIR *d = opendir(out);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		struct buf b;
		struct json *job = NULL;
		char *p;
		if (!name_of_kind(e->d_name, ".job"))
			continue;
		p = xasprintf("%s/%s", out, e->d_name);
		buf_init(&b);
		if (read_file(p, JOB_MAX, 1, &b, NULL) == 0 &&
		    (job = json_parse(b.p, b.len, NULL)) != NULL && jstr(job, "tracking") &&
		    jstr(job, "receipt") && jstr(job, "state") && cb(arg, p, job) == 1)
			p = NULL, job = NULL;
		json_free(job);
		free(p);
		buf_free(&b);
	}
	if (d)
		closedir(d);
}

static struct due *
due_find(struct respond *rp, const char *track)
{
	size_t i;
	for (i = 0; i < rp->ndue; i++)
		if (strcmp(rp->due[i].track, track) == 0)
			return &rp->due[i];
	return NULL;
}

/* The job being worked waits `ms`: released, the others go on meanwhile. */
static void
job_wait(struct respond *rp, int64_t ms)
{
	const char *track = jstr(rp->job, "tracking");
	struct due *d = due_find(rp, track);
	if (d == NULL) {
		rp->due = xreallocarray(rp->due, rp->ndue + 1, sizeof(*rp->due));
		d = &rp->due[rp->ndue++];
		d->track = xstrdup(track);
	}
	d->at = now_ms() + (uint64_t)(ms > 0 ? ms : 0);
	job_release(rp);
	later(rp, 0);
}

static void
due_drop(struct respond *rp, const char *track)
{
	struct due *d = due_find(rp, track);
	if (d) {
		free(d->track);
		*d = rp->due[--rp->ndue];
	}
}

struct pick {
	struct respond *rp;
	uint64_t now, at, next; /* next: the first job not due yet, 0 none */
	struct json *job;
	char *path;
};

/* The job due first (never tried ones first of all). */
static int
pick_job(void *arg, char *path, struct json *job)
{
	struct pick *k = arg;
	const struct due *d = due_find(k->rp, jstr(job, "tracking"));
	uint64_t at = d ? d->at : 0;
	if (at > k->now) {
		if (k->next == 0 || at < k->next)
			k->next = at;
		return 0;
	}
	if (k->job && at >= k->at)
		return 0;
	json_free(k->job);
	free(k->path);
	k->job = job;
	k->path = path;
	k->at = at;
	return 1;
}

/* ---- working a job ---- */

static int
save_job(struct respond *rp, char **why)
{
	char *t = json_dump(rp->job, 1);
	int r = write_file_atomic(spool_tmp(rp->sp), rp->job_path, t, strlen(t), 0600, 0, why);
	free(t);
	return r;
}

static void
job_release(struct respond *rp)
{
	json_free(rp->job);
	rp->job = NULL;
	free(rp->job_path);
	rp->job_path = NULL;
}

/* The job is answered: done/ (its message stays beside it). */
static void
job_finish(struct respond *rp)
{
	const char *track = jstr(rp->job, "tracking");
	char *xs = xasprintf("%s/%s.xml", rp->out, track),
	     *xd = xasprintf("%s/%s.xml", rp->done, track);
	char *jd = xasprintf("%s/%s.job", rp->done, track);
	if (rename(xs, xd) == -1 || rename(rp->job_path, jd) == -1)
		log_warn("status: job %s cannot be moved to done/: %s", track, strerror(errno));
	free(xs);
	free(xd);
	free(jd);
	due_drop(rp, track);
	job_release(rp);
	rp->backoff_ms = 0;
}

static void
retry(struct respond *rp, const struct pa_result *r)
{
	rp->backoff_ms = rp->backoff_ms ? rp->backoff_ms * 2 : rp->c->retry_min_ms;
	if (rp->backoff_ms > rp->c->retry_max_ms)
		rp->backoff_ms = rp->c->retry_max_ms;
	if (r && r->retry_after_ms > rp->backoff_ms)
		rp->backoff_ms = r->retry_after_ms;
	log_warn("status %s (trackingId %s): %s; trying again later", jstr(rp->job, "code"),
	         jstr(rp->job, "tracking"), r && r->reason ? r->reason : "failed");
	if (rp->once) {
		rp->failed = rp->finished = 1;
		return;
	}
	job_wait(rp, rp->backoff_ms);
}

/* The outcome of a seller's job, as events for its document: a history line for each
 * step; once acknowledged, the status itself, applied as the feed's statuses are (the
 * document is done when it is [pa] final_status). 0 / -1. */
static int
record_issued(struct respond *rp, const char *state, const char *flow, const char *history,
              char **why)
{
	const struct json *job = rp->job;
	const char *qid = jstr(job, "qid");
	char *id = xasprintf("%s.%s", jstr(job, "tracking"), state);
	int r = put_note(rp, qid, id, history, why);
	free(id);
	if (r == 0 && strcmp(state, "acknowledged") == 0) {
		struct tp_event e;
		memset(&e, 0, sizeof(e));
		e.id = (char *)flow;
		e.code = (char *)jstr(job, "code");
		e.label = (char *)jstr(job, "label");
		e.by = (char *)"the seller";
		e.when = time(NULL);
		e.outcome =
		    strcmp(e.code, conf_final_status(rp->c)) == 0 ? TP_ACCEPTED : TP_PENDING;
		r = put_event(rp, qid, &e, why);
	}
	return r;
}

static void
record(struct respond *rp, const char *state, const char *flow, const char *history)
{
	char *why = NULL;
	int r = strcmp(json_path_str(rp->job, "side", ""), "seller") == 0
	            ? record_issued(rp, state, flow, history, &why)
	            : note_receipt(rp, rp->job, state, flow, history, &why);
	if (r == -1) {
		log_warn("status %s (trackingId %s): %s", jstr(rp->job, "code"),
		         jstr(rp->job, "tracking"), why);
		free(why);
	}
}

static void on_sent(struct pa_reply *, void *);
static void on_search(struct pa_reply *, void *);

static void
send_job(struct respond *rp)
{
	struct pa_send_req q;
	struct buf b;
	char *xp = xasprintf("%s/%s.xml", rp->out, jstr(rp->job, "tracking")), *why = NULL;
	char *name = xasprintf("%s.xml", jstr(rp->job, "tracking"));
	int64_t n = 0;
	buf_init(&b);
	if (read_file(xp, JOB_MAX * 16, 1, &b, &why) == -1) {
		log_warn("incoming: %s", why);
		free(why);
		free(xp);
		free(name);
		buf_free(&b);
		job_wait(rp, rp->c->retry_max_ms);
		return;
	}
	json_int(json_get(rp->job, "attempts"), &n);
	json_set_int(rp->job, "attempts", n + 1);
	if (save_job(rp, &why) == -1) { /* the attempt is counted before it is made */
		log_warn("incoming: %s", why);
		free(why);
	}
	memset(&q, 0, sizeof(q));
	q.name = name;
	q.syntax = "CDAR";
	q.tracking_id = jstr(rp->job, "tracking");
	q.data = b.p;
	q.len = b.len;
	rp->call = pa_send(rp->pa, &q, on_sent, rp);
	free(xp);
	free(name);
	buf_free(&b);
}

static void
search_job(struct respond *rp)
{
	struct pa_search_req q;
	memset(&q, 0, sizeof(q));
	q.tracking_id = jstr(rp->job, "tracking");
	rp->call = pa_search(rp->pa, &q, on_search, rp);
}

static void
on_sent(struct pa_reply *rep, void *arg)
{
	struct respond *rp = arg;
	char *h, *why = NULL;
	rp->call = NULL;
	crashpoint("respond-answer"); /* the PA has it, we do not know yet */
	if (rep->r.cls == PA_DOCUMENT) {
		h = xasprintf("status %s %s refused by the platform: %s", jstr(rp->job, "code"),
		              jstr(rp->job, "label"), rep->r.reason ? rep->r.reason : "?");
		record(rp, "refused", NULL, h);
		rp->st.rejected++;
		free(h);
		job_finish(rp);
		later(rp, 0);
	} else if (rep->r.cls != PA_OK) {
		retry(rp, &rep->r); /* settled by a search before any new send */
	} else {
		json_set_str(rp->job, "state", "sent");
		json_set_str(rp->job, "flowId", rep->flow.id);
		if (save_job(rp, &why) == -1) {
			log_warn("incoming: %s", why);
			free(why);
		}
		h = xasprintf("status %s %s sent: flow %s", jstr(rp->job, "code"),
		              jstr(rp->job, "label"), rep->flow.id);
		record(rp, "sent", rep->flow.id, h);
		free(h);
		later(rp, 0);
		job_release(rp);
	}
	pa_reply_free(rep);
}

/* The words of an acknowledgement's details. Caller frees. */
static char *
ack_words(const struct pa_flow *f)
{
	struct buf b;
	size_t i;
	buf_init(&b);
	for (i = 0; i < f->ndetails; i++) {
		const struct pa_ack_detail *d = &f->details[i];
		const char *w = pa_ack_words(d->code);
		buf_printf(&b, "%s%s%s%s%s%s%s%s", i ? "; " : "", d->code ? d->code : "?",
		           w ? " (" : "", w ? w : "", w ? ")" : "", d->item ? " on " : "",
		           d->item ? d->item : "", d->message ? ": " : "");
		if (d->message)
			buf_adds(&b, d->message);
	}
	return b.len ? buf_steal(&b) : (buf_free(&b), xstrdup("no reason given"));
}

static void
on_search(struct pa_reply *rep, void *arg)
{
	struct respond *rp = arg;
	const struct pa_flow *f = NULL, *errf = NULL;
	const char *state = jstr(rp->job, "state");
	size_t i;
	char *h, *why = NULL;
	rp->call = NULL;
	if (rep->r.cls != PA_OK) {
		retry(rp, &rep->r);
		pa_reply_free(rep);
		return;
	}
	/* the flow of ours that was not refused, else the last one refused */
	for (i = 0; i < rep->search.n; i++) {
		const struct pa_flow *x = &rep->search.v[i];
		if (x->ack && strcmp(x->ack, "Error") == 0)
			errf = x;
		else if (f == NULL)
			f = x;
	}
	if (f == NULL && strcmp(state, "sending") == 0 && errf == NULL) {
		pa_reply_free(rep);
		send_job(rp); /* not on the platform: the earlier attempt never arrived */
		return;
	}
	if (f == NULL)
		f = errf;
	if (f == NULL || f->ack == NULL || strcmp(f->ack, "Pending") == 0) {
		if (f && strcmp(state, "sending") == 0) {
			json_set_str(rp->job, "state", "sent");
			json_set_str(rp->job, "flowId", f->id);
			if (save_job(rp, &why) == -1) {
				log_warn("incoming: %s", why);
				free(why);
			}
			h = xasprintf("status %s %s sent: flow %s (found by its trackingId)",
			              jstr(rp->job, "code"), jstr(rp->job, "label"), f->id);
			record(rp, "sent", f->id, h);
			free(h);
		}
		pa_reply_free(rep);
		job_wait(rp, rp->c->report_poll_ms);
		return;
	}
	if (strcmp(f->ack, "Ok") == 0) {
		h = xasprintf("status %s %s acknowledged by the platform (flow %s)",
		              jstr(rp->job, "code"), jstr(rp->job, "label"), f->id);
		record(rp, "acknowledged", f->id, h);
		rp->st.acknowledged++;
		log_info("status %s on %s acknowledged (flow %s)", jstr(rp->job, "code"),
		         jstr(rp->job, "receipt"), f->id);
	} else {
		char *w = ack_words(f);
		h = xasprintf("status %s %s refused by the platform (flow %s): %s",
		              jstr(rp->job, "code"), jstr(rp->job, "label"), f->id, w);
		record(rp, "refused", f->id, h);
		rp->st.rejected++;
		log_warn("status %s on %s refused by the platform: %s", jstr(rp->job, "code"),
		         jstr(rp->job, "receipt"), w);
		free(w);
	}
	free(h);
	job_finish(rp);
	pa_reply_free(rep);
	later(rp, 0);
}

/* Load the job of out/ due first: 1, or 0 with *next_ms the time until the first one
 * waiting is due (-1: no job at all). */
static int
load_job(struct respond *rp, int64_t *next_ms)
{
	struct pick k;
	memset(&k, 0, sizeof(k));
	k.rp = rp;
	k.now = now_ms();
	each_job(rp->out, pick_job, &k);
	rp->job = k.job;
	rp->job_path = k.path;
	*next_ms = k.next ? (int64_t)(k.next - k.now) : -1;
	return rp->job != NULL;
}

static void
tick(void *arg)
{
	struct respond *rp = arg;
	int64_t attempts = 0;
	rp->timer = NULL;
	if (rp->call || rp->finished)
		return;
	if (rp->lock < 0 && (rp->lock = spool_lock_command(rp->sp, "statuses", NULL)) < 0) {
		/* another process on this spool takes the status files: a second one would
		   read the same files and send the same jobs */
		if (!rp->locked_out)
			log_info("status files: another chorusgw process on this spool takes them");
		rp->locked_out = 1;
		if (rp->once)
			rp->finished = 1;
		else
			later(rp, rp->c->rescan_ms);
		return;
	}
	if (rp->job == NULL) {
		int64_t next;
		scan(rp);
		if (!load_job(rp, &next)) {
			if (rp->once && next < 0)
				rp->finished = 1;
			else
				later(rp, next >= 0 && next < rp->c->rescan_ms ? next
				                                               : rp->c->rescan_ms);
			return;
		}
	}
	json_int(json_get(rp->job, "attempts"), &attempts);
	if (strcmp(jstr(rp->job, "state"), "sending") == 0 && attempts == 0)
		send_job(rp);
	else
		search_job(rp); /* settle an earlier attempt, or follow the acknowledgement */
}

/* ---- public ---- */

struct respond *
respond_new(const struct conf *c, struct spool *sp, struct pa *pa, unsigned sides, int once,
            void (*stored)(void *), void *arg, char **why)
{
	struct respond *rp = xcalloc(1, sizeof(*rp));
	const char *root = spool_root(sp);
	char *base = xasprintf("%s/.chorusgw/incoming", root);
	rp->c = c;
	rp->sp = sp;
	rp->own_pa = pa == NULL;
	rp->pa = pa;
	rp->lock = -1;
	rp->sides = sides;
	rp->mode = (mode_t)c->file_mode;
	rp->once = once;
	rp->stored = stored;
	rp->stored_arg = arg;
	rp->indir = xasprintf("%s/" INCOMING_DIR, root);
	rp->issued[0] = xasprintf("%s/%s", root, spool_folder_name(SF_OUTBOX));
	rp->issued[1] = xasprintf("%s/%s", root, spool_folder_name(SF_ACCEPTED));
	rp->out = xasprintf("%s/out", base);
	rp->done = xasprintf("%s/out/done", base);
	free(base);
	if (((sides & RESPOND_BUYER) && (rp->in = incoming_open(root, rp->mode, why)) == NULL) ||
	    mkdir_p(rp->done, 0700, why) == -1 ||
	    (rp->pa == NULL && (rp->pa = pa_new(c, NULL, why)) == NULL)) {
		respond_free(rp);
		return NULL;
	}
	later(rp, 0);
	return rp;
}

void
respond_free(struct respond *rp)
{
	if (rp == NULL)
		return;
	if (rp->timer)
		ev_timer_del(rp->timer);
	if (rp->call)
		pa_cancel(rp->call);
	job_release(rp);
	while (rp->ndue)
		free(rp->due[--rp->ndue].track);
	free(rp->due);
	spool_unlock_command(rp->lock);
	if (rp->own_pa)
		pa_free(rp->pa);
	incoming_close(rp->in);
	free(rp->indir);
	free(rp->issued[0]);
	free(rp->issued[1]);
	free(rp->out);
	free(rp->done);
	free(rp);
}

int
respond_done(const struct respond *rp, int *failed)
{
	if (failed)
		*failed = rp->failed;
	return rp->finished;
}

void
respond_get_stats(const struct respond *rp, struct respond_stats *out)
{
	*out = rp->st;
}

size_t
respond_files_waiting(const char *root)
{
	static const char *const dirs[] = {INCOMING_DIR, "outbox", "accepted"};
	size_t i, n = 0;
	for (i = 0; i < nitems(dirs); i++) {
		char *d = xasprintf("%s/%s", root, dirs[i]);
		n += dir_count_suffix(d, STATUS_SUFFIX);
		free(d);
	}
	return n;
}

struct waiting {
	struct buf *report;
	size_t n;
};

static int
wait_line(void *arg, char *path, struct json *job)
{
	struct waiting *w = arg;
	(void)path;
	if (w->report)
		buf_printf(w->report, "status %s on %s: %s, not acknowledged (trackingId %s)\n",
		           jstr(job, "code") ? jstr(job, "code") : "?", jstr(job, "receipt"),
		           jstr(job, "state"), jstr(job, "tracking"));
	w->n++;
	return 0;
}

size_t
respond_waiting(const char *root, struct buf *report)
{
	char *out = xasprintf("%s/.chorusgw/incoming/out", root);
	struct waiting w = {report, 0};
	each_job(out, wait_line, &w);
	free(out);
	return w.n;
}
