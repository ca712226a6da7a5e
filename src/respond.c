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
#include "incoming.h"
#include "json.h"
#include "log.h"
#include "pa.h"
#include "respond.h"
#include "sha256.h"
#include "status.h"
#include "util.h"
#include "xform.h"

#define JOB_MAX (64 * 1024)

struct respond {
	const struct conf *c;
	struct pa *pa;
	struct incoming *in;
	char *root, *indir, *sent, *rejected, *out, *done;
	mode_t mode;
	int once, failed, finished;
	struct ev_timer *timer;
	struct pa_call *call;
	struct json *job; /* the job being worked */
	char *job_path;
	int64_t backoff_ms;
};

static void tick(void *);

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

/* Move `file` (in incoming/) to rejected/ with the reasons beside it, and say so in the
 * invoice's receipt `r` (read from `rpath`) when there is one (else both NULL). */
static void
refuse(struct respond *rp, const char *file, struct in_receipt *r, const char *rpath,
       const struct buf *reasons)
{
	char *from = xasprintf("%s/%s", rp->indir, file), *to = NULL, *reason, *why = NULL;
	int i;
	for (i = 0; i < 1000; i++) {
		free(to);
		to = i == 0 ? xasprintf("%s/%s", rp->rejected, file)
		            : xasprintf("%s/%.*s.%d.status", rp->rejected,
		                        (int)(strlen(file) - strlen(STATUS_SUFFIX)), file, i);
		if (rename_noreplace(from, to) == 0 || errno != EEXIST)
			break;
	}
	if (i == 1000 || access(to, F_OK) == -1) {
		log_warn("incoming: %s cannot be moved to rejected/: %s", from, strerror(errno));
		goto out;
	}
	reason = xasprintf("%s.reason", to);
	if (write_file_atomic(incoming_tmp(rp->in), reason, reasons->p, reasons->len, rp->mode, 0,
	                      &why) == -1 ||
	    fsync_dir(rp->indir, &why) == -1) {
		log_warn("incoming: %s", why);
		free(why);
		why = NULL;
	}
	free(reason);
	log_warn("incoming: status file %s refused: %.*s", file, (int)strcspn(reasons->p, "\n"),
	         reasons->p);
	if (r) {
		char *h =
		    xasprintf("status file %s refused (rejected/%s): %.*s", file,
		              strrchr(to, '/') + 1, (int)strcspn(reasons->p, "\n"), reasons->p);
		add_history(r, h);
		if (incoming_save(rp->in, rpath, r, &why) == -1) {
			log_warn("incoming: %s", why);
			free(why);
		}
		free(h);
	}
out:
	free(from);
	free(to);
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
	char *track = NULL, *xml = NULL, *jpath = NULL, *xpath = NULL, *to = NULL, *text;
	struct buf b, reasons;
	struct in_receipt r;
	struct status_file *sf = NULL;
	struct problems ps;
	struct cdar *cd = NULL;
	struct xform_diags dg;
	struct lc_invoice inv;
	char hex[65], *pwhy = NULL;
	const char *was;
	size_t xlen = 0, i;
	int ret = 0, have_r = 0;

	buf_init(&b);
	buf_init(&reasons);
	memset(&ps, 0, sizeof(ps));
	memset(&dg, 0, sizeof(dg));
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
	/* the same file on the same invoice is the same message: its trackingId */
	sha256_hex(b.p, b.len, hex);
	text = xasprintf("%s\n%s", inr_get(&r, "flow_id"), hex);
	sha256_hex(text, strlen(text), hex);
	free(text);
	track = xasprintf("CDV-%.28s", hex);
	if ((was = already(&r, track)) != NULL) {
		buf_printf(&reasons,
		           "this status file was already taken for this invoice (status line "
		           "\"%s\"): not sent again\n",
		           was);
		goto refused;
	}
	lc_of(&r, &inv);
	cd = status_cdar(sf, &inv, STATUS_BUYER, track, time(NULL), &ps);
	for (i = 0; i < ps.n; i++)
		if (ps.v[i].sev == SEV_ERROR)
			buf_printf(&reasons, "%s\n", ps.v[i].text);
	if (reasons.len)
		goto refused;
	xml = cdar_xml(cd, &xlen);
	if (xform_validate_cdar(xml, xlen, rp->c, &dg, &pwhy) == -1) {
		/* our schemas are missing: a set-up problem; the file waits */
		log_warn("incoming: %s: %s", file, pwhy);
		goto out;
	}
	for (i = 0; i < dg.n; i++)
		buf_printf(&reasons,
		           "the lifecycle message is not valid against the CDAR D22B XSD "
		           "(rule XSD): line %d: %s\n",
		           dg.v[i].line, dg.v[i].msg);
	if (reasons.len)
		goto refused;

	/* a job: the message, the job, the receipt's status line, then the file moves */
	{
		struct json *job = json_new_object();
		char *jt, *h;
		size_t n = next_status_n(&r);
		json_set_int(job, "version", 1);
		json_set_str(job, "receipt", rname);
		json_set_str(job, "flow", inr_get(&r, "flow_id"));
		json_set_str(job, "code", sf->status);
		json_set_str(job, "label",
		             cdv_status_find(sf->status) && cdv_status_find(sf->status)->label
		                 ? cdv_status_find(sf->status)->label
		                 : "");
		json_set_str(job, "tracking", track);
		json_set_str(job, "state", "sending");
		json_set_int(job, "n", (int64_t)n);
		json_set_int(job, "attempts", 0);
		jt = json_dump(job, 1);
		xpath = xasprintf("%s/%s.xml", rp->out, track);
		jpath = xasprintf("%s/%s.job", rp->out, track);
		if (write_file_atomic(incoming_tmp(rp->in), xpath, xml, xlen, 0600, 0, why) == -1 ||
		    write_file_atomic(incoming_tmp(rp->in), jpath, jt, strlen(jt), 0600, 0, why) ==
		        -1) {
			free(jt);
			json_free(job);
			ret = -1;
			goto out;
		}
		free(jt);
		h = xasprintf("status %s %s from %s: sending (trackingId %s)", sf->status,
		              jstr(job, "label"), file, track);
		if (note_in(rp, &r, rpath, job, "sending", NULL, h, why) == -1) {
			free(h);
			json_free(job);
			ret = -1;
			goto out;
		}
		free(h);
		json_free(job);
		to = xasprintf("%s/%.*s.%s.status", rp->sent, (int)stem, file, sf->status);
		if (rename_noreplace(path, to) == -1) {
			free(to);
			to = xasprintf("%s/%.*s.%s.%s.status", rp->sent, (int)stem, file,
			               sf->status, track);
			if (rename_noreplace(path, to) == -1) {
				ret = fail(why, "rename %s: %s", path, strerror(errno));
				goto out;
			}
		}
		ret = fsync_dir(rp->sent, why) == -1 || fsync_dir(rp->indir, why) == -1 ? -1 : 0;
		log_info("incoming: %s: status %s on invoice %s taken (trackingId %s)", file,
		         sf->status, inv.number ? inv.number : "?", track);
	}
	goto out;
refused:
	refuse(rp, file, have_r ? &r : NULL, have_r ? rpath : NULL, &reasons);
out:
	if (have_r)
		inr_free(&r);
	free(pwhy);
	status_file_free(sf);
	problems_free(&ps);
	xform_diags_free(&dg);
	if (cd)
		cdar_free(cd);
	free(xml);
	free(track);
	free(jpath);
	free(xpath);
	free(to);
	free(path);
	free(rname);
	free(rpath);
	buf_free(&b);
	buf_free(&reasons);
	return ret;
}

/* Take every status file of incoming/. */
static void
scan(struct respond *rp)
{
	DIR *d = opendir(rp->indir);
	struct dirent *e;
	char *why = NULL;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *p;
		if (e->d_name[0] == '.' || !str_has_suffix(e->d_name, STATUS_SUFFIX) ||
		    strlen(e->d_name) == strlen(STATUS_SUFFIX))
			continue;
		p = xasprintf("%s/%s", rp->indir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && take(rp, e->d_name, &why) == -1) {
			log_warn("incoming: %s: %s", e->d_name, why);
			free(why);
			why = NULL;
		}
		free(p);
	}
	closedir(d);
}

/* ---- working a job ---- */

static int
save_job(struct respond *rp, char **why)
{
	char *t = json_dump(rp->job, 1);
	int r = write_file_atomic(incoming_tmp(rp->in), rp->job_path, t, strlen(t), 0600, 0, why);
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
		log_warn("incoming: job %s cannot be moved to done/: %s", track, strerror(errno));
	free(xs);
	free(xd);
	free(jd);
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
	log_warn("incoming: status %s (trackingId %s): %s; trying again later",
	         jstr(rp->job, "code"), jstr(rp->job, "tracking"),
	         r && r->reason ? r->reason : "failed");
	if (rp->once) {
		rp->failed = rp->finished = 1;
		return;
	}
	job_release(rp);
	later(rp, rp->backoff_ms);
}

static void
record(struct respond *rp, const char *state, const char *flow, const char *history)
{
	char *why = NULL;
	if (note_receipt(rp, rp->job, state, flow, history, &why) == -1) {
		log_warn("incoming: %s", why);
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
		job_release(rp);
		later(rp, rp->c->retry_max_ms);
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
		job_release(rp);
		later(rp, rp->c->report_poll_ms);
		return;
	}
	if (strcmp(f->ack, "Ok") == 0) {
		h = xasprintf("status %s %s acknowledged by the platform (flow %s)",
		              jstr(rp->job, "code"), jstr(rp->job, "label"), f->id);
		record(rp, "acknowledged", f->id, h);
		log_info("incoming: status %s on %s acknowledged (flow %s)", jstr(rp->job, "code"),
		         jstr(rp->job, "receipt"), f->id);
	} else {
		char *w = ack_words(f);
		h = xasprintf("status %s %s refused by the platform (flow %s): %s",
		              jstr(rp->job, "code"), jstr(rp->job, "label"), f->id, w);
		record(rp, "refused", f->id, h);
		log_warn("incoming: status %s on %s refused by the platform: %s",
		         jstr(rp->job, "code"), jstr(rp->job, "receipt"), w);
		free(w);
	}
	free(h);
	job_finish(rp);
	pa_reply_free(rep);
	later(rp, 0);
}

/* The first job of out/, or NULL. */
static int
load_job(struct respond *rp)
{
	DIR *d = opendir(rp->out);
	struct dirent *e;
	if (d == NULL)
		return 0;
	while (rp->job == NULL && (e = readdir(d)) != NULL) {
		struct buf b;
		char *p;
		if (!str_has_suffix(e->d_name, ".job") || e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", rp->out, e->d_name);
		buf_init(&b);
		if (read_file(p, JOB_MAX, 1, &b, NULL) == 0 &&
		    (rp->job = json_parse(b.p, b.len, NULL)) != NULL && jstr(rp->job, "tracking") &&
		    jstr(rp->job, "receipt") && jstr(rp->job, "state")) {
			rp->job_path = p;
			p = NULL;
		} else if (rp->job) {
			json_free(rp->job);
			rp->job = NULL;
		}
		free(p);
		buf_free(&b);
	}
	closedir(d);
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
	if (rp->job == NULL) {
		scan(rp);
		if (!load_job(rp)) {
			if (rp->once)
				rp->finished = 1;
			else
				later(rp, rp->c->rescan_ms);
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
respond_new(const struct conf *c, const char *root, mode_t mode, int once, char **why)
{
	struct respond *rp = xcalloc(1, sizeof(*rp));
	char *base = xasprintf("%s/.chorusgw/incoming", root);
	rp->c = c;
	rp->mode = mode;
	rp->once = once;
	rp->root = xstrdup(root);
	rp->indir = xasprintf("%s/" INCOMING_DIR, root);
	rp->sent = xasprintf("%s/sent", rp->indir);
	rp->rejected = xasprintf("%s/rejected", rp->indir);
	rp->out = xasprintf("%s/out", base);
	rp->done = xasprintf("%s/out/done", base);
	free(base);
	if ((rp->in = incoming_open(root, mode, why)) == NULL ||
	    mkdir_p(rp->sent, 0750, why) == -1 || mkdir_p(rp->rejected, 0750, why) == -1 ||
	    mkdir_p(rp->done, 0700, why) == -1 || (rp->pa = pa_new(c, NULL, why)) == NULL) {
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
	pa_free(rp->pa);
	incoming_close(rp->in);
	free(rp->root);
	free(rp->indir);
	free(rp->sent);
	free(rp->rejected);
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

size_t
respond_waiting(const char *root, struct buf *report)
{
	char *out = xasprintf("%s/.chorusgw/incoming/out", root);
	DIR *d = opendir(out);
	struct dirent *e;
	size_t n = 0;
	while (d && (e = readdir(d)) != NULL) {
		struct buf b;
		struct json *job;
		char *p;
		if (!str_has_suffix(e->d_name, ".job") || e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", out, e->d_name);
		buf_init(&b);
		if (read_file(p, JOB_MAX, 1, &b, NULL) == 0 &&
		    (job = json_parse(b.p, b.len, NULL)) != NULL) {
			buf_printf(report,
			           "status %s on %s: %s, not acknowledged (trackingId %s)\n",
			           jstr(job, "code") ? jstr(job, "code") : "?",
			           jstr(job, "receipt") ? jstr(job, "receipt") : "?",
			           jstr(job, "state") ? jstr(job, "state") : "?",
			           jstr(job, "tracking") ? jstr(job, "tracking") : "?");
			json_free(job);
			n++;
		}
		buf_free(&b);
		free(p);
	}
	if (d)
		closedir(d);
	free(out);
	return n;
}
