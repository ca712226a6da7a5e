/*
 * gateway.c - `run` and `once`: the document state machine, and the only module that
 * knows the order of a document's life:
 *
 *   watch: ready in inbox/ -> spool_claim -> check_document (transform, XSD, rules)
 *   -> duplicate index -> outbox/ (queued) -> intent saved (submitting) -> deposer/flux
 *   -> numeroFluxDepot saved (deposited) -> consulterCRDetaille until final
 *   -> rechercher/fournisseur (Chorus invoice id) -> accepted/      or rejected/
 *
 * Exactly once (DESIGN §2): the intent is durable before every deposit; a deposit whose
 * outcome is unknown (timeout, connection lost, crash) is settled by searching Chorus
 * Pro for the invoice number after [gateway] unknown_wait, and deposited again only if
 * Chorus Pro has no such invoice; a later rejection of a re-deposit is checked the same
 * way before the document is called rejected. Retries are this module's decisions only.
 *
 * One event loop (ev.c): inotify and rescans (watch.c), timers, curl sockets (http.c
 * under chorus.c), signals. Documents in memory are bounded by a window (like Postfix's
 * active queue); the rest wait on disk.
 *
 * Errors: a failure of one document is recorded in its receipt; a set-up failure
 * pauses every deposit until a probe succeeds; a spool failure (disk full...) leaves
 * the document to be resynchronised from its durable record. gateway_main() returns an
 * exit code (cmd.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "chorus.h"
#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "receipt.h"
#include "sha256.h"
#include "spool.h"
#include "util.h"
#include "watch.h"
#include "xform.h"

#define GW_WINDOW        1000 /* documents held in memory at once */
#define GW_REFILL_AT     (GW_WINDOW / 2)
#define GW_PROCESS_BATCH 8    /* documents transformed per loop turn: keeps I/O flowing */
#define GW_CTL_POLL_MS   2000 /* operator requests, when inotify is not available */
#define GW_ONCE_CHECK_MS 250

enum step {
	STEP_NONE = 0, /* waits for an outside event (release, resume) */
	STEP_PROCESS,  /* received: pre-flight, then outbox/ or rejected/ */
	STEP_DEPOSIT,  /* queued: record the intent, deposit */
	STEP_SETTLE,   /* unknown outcome: search Chorus Pro before any new deposit */
	STEP_REPORT,   /* deposited: read the deposit report */
	STEP_RESOLVE,  /* integrated: find the Chorus invoice id, then accepted/ */
};

static const char *const step_names[] = {"wait",   "process", "deposit",
                                         "settle", "report",  "resolve"};

struct gw;

struct job {
	struct gw *g;
	struct doc *doc;
	size_t idx;             /* in g->jobs */
	enum step step;         /* what to do when due */
	struct ev_timer *timer; /* when the step is due later */
	struct chorus_call *call;
	uint64_t call_started;
	int ready; /* on a ready list */
	struct job *rnext;
	int errors;           /* consecutive retryable failures of this step */
	int after_reject;     /* STEP_SETTLE checks a rejected re-deposit */
	struct preflight *pf; /* kept while the optional buyer check runs */
};

struct readyq {
	struct job *head, *tail;
};

struct gw {
	const struct cmd_ctx *ctx;
	struct conf *conf;
	struct spool *sp;
	struct watch *w;
	struct chorus *ch;
	int once;

	struct job **jobs;
	size_t njobs, capjobs;
	int more_on_disk;  /* pending records not loaded because the window was full */
	int watch_blocked; /* watch was told there is no room */
	/* steps waiting for a Chorus Pro call: finishing what was deposited (report,
	 * resolve, settle) goes before new deposits, so documents reach a final folder
	 * instead of piling up half done */
	struct readyq process, finish, calls;
	int calls_in_flight;
	struct ev_timer *pump_timer;

	int paused;
	char *pause_reason;
	char *pause_setup;
	char *pause_siret;
	int pause_report; /* a deposit report failed: the Transverses API is to probe */
	time_t paused_since;
	struct ev_timer *probe_timer;
	struct chorus_call *probe_call;
	int probe_attempts;

	int draining;       /* SIGTERM, or once's deadline */
	int reload_pending; /* SIGHUP: waits for calls in flight to end */
	int stopping;
	int resync_pending;
	struct ev_timer *resync_timer;
	/* the periodic timers (metrics, peers, watchdog, ctl polling, once's tick) are
	 * re-armed by their callbacks and freed by ev_fini(): not kept here */
	int ctl_fd;

	/* once */
	int scan_done;
	uint64_t settle_until; /* files still settling are waited for until then */
	struct ev_timer *scan_timer;
	uint64_t deadline;
	int rejected_this_run;

	/* counters since start */
	uint64_t n_accepted, n_rejected, n_deposits;
};

static void job_schedule(struct gw *, struct job *, enum step, uint64_t delay_ms);
static void job_done(struct gw *, struct job *);
static void pump(struct gw *);
static void pump_soon(struct gw *);
static void pause_deposits(struct gw *, const struct chorus_result *, const char *siret, enum step);
static void refill(struct gw *);
static void once_check(struct gw *);
static void once_scan(void *);

/* ---- small helpers ---------------------------------------------------------------- */

static const char *
doc_name(const struct doc *d)
{
	return d->original_name ? d->original_name : d->file;
}

/* Wall clock of an ISO 8601 date-time from Chorus Pro, or now when unreadable. */
static time_t
chorus_time(const char *s)
{
	time_t t;
	if (s && parse_iso8601(s, &t) == 0)
		return t;
	return time(NULL);
}

static uint64_t
backoff_ms(const struct gw *g, int attempt, int64_t retry_after_ms)
{
	int64_t d = g->conf->retry_min_ms;
	int i;
	for (i = 1; i < attempt && d < g->conf->retry_max_ms; i++)
		d *= 2;
	if (d > g->conf->retry_max_ms)
		d = g->conf->retry_max_ms;
	/* jitter over the upper half, so a queue that failed together does not retry
	 * together (Postfix's thundering herd) */
	d = d / 2 + (int64_t)(random() % (d / 2 + 1));
	if (retry_after_ms > d)
		d = retry_after_ms;
	return (uint64_t)d;
}

static void
count_state(const char *what)
{
	metrics_add("chorusgw_events_total", what, 1);
}

/* ---- the window of documents in memory ---------------------------------------------- */

static struct job *
job_find(struct gw *g, const char *qid)
{
	size_t i;
	for (i = 0; i < g->njobs; i++)
		if (strcmp(g->jobs[i]->doc->qid, qid) == 0)
			return g->jobs[i];
	return NULL;
}

static struct job *
job_add(struct gw *g, struct doc *d)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->g = g;
	j->doc = d;
	if (g->njobs == g->capjobs) {
		g->capjobs = g->capjobs ? g->capjobs * 2 : 64;
		g->jobs = xreallocarray(g->jobs, g->capjobs, sizeof(*g->jobs));
	}
	j->idx = g->njobs;
	g->jobs[g->njobs++] = j;
	return j;
}

static void
readyq_remove(struct readyq *q, struct job *j)
{
	struct job **pp;
	for (pp = &q->head; *pp; pp = &(*pp)->rnext) {
		if (*pp != j)
			continue;
		*pp = j->rnext;
		if (q->tail == j) {
			struct job *t = q->head;
			while (t && t->rnext)
				t = t->rnext;
			q->tail = t;
		}
		j->rnext = NULL;
		j->ready = 0;
		return;
	}
}

static void
readyq_push(struct readyq *q, struct job *j)
{
	j->rnext = NULL;
	j->ready = 1;
	if (q->tail)
		q->tail->rnext = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *
readyq_pop(struct readyq *q)
{
	struct job *j = q->head;
	if (j == NULL)
		return NULL;
	q->head = j->rnext;
	if (q->head == NULL)
		q->tail = NULL;
	j->rnext = NULL;
	j->ready = 0;
	return j;
}

static void
job_unschedule(struct gw *g, struct job *j)
{
	if (j->timer) {
		ev_timer_del(j->timer);
		j->timer = NULL;
	}
	if (j->ready) {
		readyq_remove(&g->process, j);
		readyq_remove(&g->finish, j);
		readyq_remove(&g->calls, j);
	}
}

/* Forget a document that needs no more work from this process (final, or handed
 * back to disk). Its durable record is already up to date. */
static void
job_done(struct gw *g, struct job *j)
{
	size_t i = j->idx;
	job_unschedule(g, j);
	if (j->call) {
		chorus_cancel(j->call);
		g->calls_in_flight--;
	}
	g->jobs[i] = g->jobs[--g->njobs];
	g->jobs[i]->idx = i;
	doc_free(j->doc);
	if (j->pf) {
		preflight_free(j->pf);
		free(j->pf);
	}
	free(j);
	if (g->watch_blocked && g->njobs < GW_WINDOW && !g->draining && g->w) {
		g->watch_blocked = 0;
		watch_resume(g->w);
	}
	if (g->more_on_disk && !g->resync_pending && g->njobs <= GW_REFILL_AT)
		refill(g);
	if (g->once && !g->scan_done && g->scan_timer == NULL && g->njobs < GW_WINDOW)
		g->scan_timer = ev_timer_add(0, once_scan, g);
	if (g->once)
		once_check(g);
}

static struct readyq *
step_queue(struct gw *g, enum step s)
{
	if (s == STEP_PROCESS)
		return &g->process;
	return s == STEP_DEPOSIT ? &g->calls : &g->finish;
}

static void
on_job_timer(void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	j->timer = NULL;
	readyq_push(step_queue(g, j->step), j);
	pump_soon(g);
}

static void
job_schedule(struct gw *g, struct job *j, enum step s, uint64_t delay_ms)
{
	job_unschedule(g, j);
	j->step = s;
	if (s == STEP_NONE)
		return;
	if (delay_ms == 0) {
		readyq_push(step_queue(g, s), j);
		pump_soon(g);
	} else
		j->timer = ev_timer_add(delay_ms, on_job_timer, j);
}

/* The step a document loaded from disk needs next, and when. */
static void
job_resume(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	time_t now = time(NULL);
	uint64_t delay = d->next_attempt > now ? (uint64_t)(d->next_attempt - now) * 1000 : 0;
	switch (d->state) {
	case DOC_RECEIVED:
		job_schedule(g, j, STEP_PROCESS, 0);
		break;
	case DOC_QUEUED:
		job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, delay);
		break;
	case DOC_SUBMITTING: {
		/* The outcome of the last deposit is unknown (crash or timeout during the
		 * call): let Chorus Pro integrate whatever it received, then search. The
		 * record's time has whole seconds, so count the time since it from the end
		 * of that second: searching early could miss a deposit still being
		 * integrated and send the invoice again. */
		uint64_t since = now > d->updated + 1 ? (uint64_t)(now - d->updated - 1) * 1000 : 0;
		uint64_t wait = (uint64_t)g->conf->unknown_wait_ms > since
		                    ? (uint64_t)g->conf->unknown_wait_ms - since
		                    : 0;
		job_schedule(g, j, d->held ? STEP_NONE : STEP_SETTLE, wait > delay ? wait : delay);
		break;
	}
	case DOC_DEPOSITED:
		job_schedule(g, j, STEP_REPORT, delay);
		break;
	default:
		job_done(g, j);
		break;
	}
}

/* Drop a document whose durable write failed; it comes back from its record. */
static void
resync_later(struct gw *g, struct job *j, const char *why)
{
	log_doc(LOG_LVL_ERR, j->doc->qid, doc_name(j->doc), "spool: %s; will retry from its record",
	        why ? why : "?");
	metrics_add("chorusgw_spool_errors_total", NULL, 1);
	/* on_resync() brings it back retry_min later (the caller arms resync_timer), not
	 * job_done() at once: a deposit whose intent cannot be written would be tried
	 * again in a tight loop */
	g->more_on_disk = 1;
	g->resync_pending = 1;
	job_done(g, j);
}

static void
on_resync(void *arg)
{
	struct gw *g = arg;
	char *why = NULL;
	int adopted = 0;
	g->resync_timer = NULL;
	g->resync_pending = 0;
	if (spool_recover(g->sp, &adopted, &why) == -1) {
		log_err("spool: %s", why);
		free(why);
		g->resync_pending = 1;
		g->resync_timer = ev_timer_add((uint64_t)g->conf->retry_min_ms, on_resync, g);
		return;
	}
	if (adopted)
		log_info("adopted %d document(s) left by a process that ended", adopted);
	refill(g);
}

static void
arm_resync(struct gw *g)
{
	if (g->resync_pending && g->resync_timer == NULL)
		g->resync_timer = ev_timer_add((uint64_t)g->conf->retry_min_ms, on_resync, g);
}

/* Another `run` on the same spool ended: its documents have no owner until someone
 * adopts them. Checked every [spool] rescan, so they wait that long, not until this
 * process restarts. */
static void
on_peers(void *arg)
{
	struct gw *g = arg;
	ev_timer_add((uint64_t)g->conf->rescan_ms, on_peers, g);
	if (g->draining || !spool_orphans(g->sp))
		return;
	log_debug("a process that shared the spool has ended; adopting its documents");
	g->resync_pending = 1;
	arm_resync(g);
}

/* Does a document on disk need work from us? A hold stops deposit attempts only: a
 * held document already deposited still follows its deposit report. */
static int
needs_work(const struct doc *d)
{
	return !doc_state_final(d->state) && (!d->held || d->state == DOC_DEPOSITED);
}

/* Load documents this process owns that need work, up to the window. */
static void
refill(struct gw *g)
{
	struct spool_iter *it;
	struct doc *d;
	char *why = NULL;
	int r;

	g->more_on_disk = 0;
	it = spool_iter_open(g->sp, SPOOL_ITER_ACTIVE | SPOOL_ITER_MINE, &why);
	if (it == NULL) {
		log_err("spool: %s", why);
		free(why);
		g->more_on_disk = 1;
		g->resync_pending = 1;
		arm_resync(g);
		return;
	}
	while ((r = spool_iter_next(it, &d, &why)) == 1) {
		if (!needs_work(d) || job_find(g, d->qid)) {
			doc_free(d);
			continue;
		}
		if (d->move_to != SF_NONE) {
			/* a move a failed write interrupted: finish it before anything else */
			char *mwhy = NULL;
			if (spool_move(g->sp, d, d->move_to, NULL, 0, &mwhy) == -1) {
				log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
				        "cannot finish its move yet: %s", mwhy);
				free(mwhy);
				doc_free(d);
				g->more_on_disk = 1;
				g->resync_pending = 1;
				continue;
			}
		}
		if (g->njobs >= GW_WINDOW) {
			doc_free(d);
			g->more_on_disk = 1;
			break;
		}
		job_resume(g, job_add(g, d));
	}
	if (r == -1) {
		log_err("spool: %s", why);
		free(why);
		g->more_on_disk = 1;
	}
	spool_iter_close(it);
	arm_resync(g);
}

/* ---- moving documents ---------------------------------------------------------------- */

static int
move(struct gw *g, struct job *j, enum spool_folder to, const char *xml, size_t len)
{
	char *why = NULL;
	if (spool_move(g->sp, j->doc, to, xml, len, &why) == -1) {
		resync_later(g, j, why);
		free(why);
		arm_resync(g);
		return -1;
	}
	return 0;
}

static int
save(struct gw *g, struct job *j)
{
	char *why = NULL;
	if (spool_save(g->sp, j->doc, &why) == -1) {
		resync_later(g, j, why);
		free(why);
		arm_resync(g);
		return -1;
	}
	return 0;
}

/* Final: rejected/ with the reasons already in the document. `cause` labels metrics. */
static void
finish_rejected(struct gw *g, struct job *j, const char *cause, const char *note, const char *xml,
                size_t len)
{
	struct doc *d = j->doc;
	char *why = NULL;
	char label[64];

	doc_set_state(d, DOC_REJECTED, note);
	d->next_attempt = 0;
	if (strcmp(cause, "chorus") == 0 && d->supplier_siret && d->invoice_number &&
	    spool_dup_release(g->sp, d->supplier_siret, d->invoice_number, d->qid, &why) == -1) {
		log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "duplicate index: %s", why);
		free(why);
	}
	if (move(g, j, SF_REJECTED, xml, len) == -1)
		return;
	log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "rejected: %s",
	        doc_last_reason(d) ? doc_last_reason(d) : note);
	snprintf(label, sizeof(label), "cause=\"%s\"", cause);
	metrics_add("chorusgw_documents_rejected_total", label, 1);
	g->n_rejected++;
	g->rejected_this_run = 1;
	job_done(g, j);
}

/* ---- pre-flight -------------------------------------------------------------------------- */

/* Why a document waits while deposits are paused, and what to fix. */
static void
add_pause_reasons(const struct gw *g, struct doc *d)
{
	char since[32];
	fmt_time_utc(since, sizeof(since), g->paused_since);
	doc_add_reason(d, "waiting: deposits paused since %s: %s", since, g->pause_reason);
	if (g->pause_setup)
		doc_add_reason(d, "to fix: %s", g->pause_setup);
}

/* After the pre-flight: the duplicate index, then outbox/. */
static void
admit(struct gw *g, struct job *j, const struct preflight *pf)
{
	struct doc *d = j->doc;
	char *why = NULL, *dup_of = NULL;
	int r;

	/* DESIGN §2.4: one document per (supplier SIRET, invoice number) unless forced */
	r = spool_dup_claim(g->sp, d->supplier_siret, d->invoice_number, d->qid, d->force, &dup_of,
	                    &why);
	if (r == -1) {
		log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "duplicate index: %s", why);
		free(why);
		job_schedule(g, j, STEP_PROCESS, backoff_ms(g, ++j->errors, -1));
		return;
	}
	if (r == 1) {
		struct doc *first = NULL;
		char *fwhy = NULL;
		const char *st = "sent";
		if (spool_load(g->sp, dup_of, &first, &fwhy) == 0)
			st = doc_state_name(first->state);
		free(fwhy);
		doc_set(&d->duplicate_of, dup_of);
		doc_clear_reasons(d);
		doc_add_reason(
		    d,
		    "invoice %s of supplier %s was already sent as document %s (%s); it is "
		    "not sent twice. If it must be sent again anyway: chorusgw retry --force %s",
		    d->invoice_number, d->supplier_siret, dup_of, st, d->qid);
		doc_free(first);
		free(dup_of);
		finish_rejected(g, j, "duplicate", "duplicate of an earlier document", pf->x.xml,
		                pf->x.len);
		return;
	}

	d->force = 0;
	d->next_attempt = 0;
	doc_set_state(d, DOC_QUEUED, pf->x.what);
	if (g->paused)
		add_pause_reasons(g, d);
	if (move(g, j, SF_OUTBOX, pf->x.xml, pf->x.len) == 0) {
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "invoice %s of %s to %s: queued as %s",
		        d->invoice_number, d->supplier_siret, d->buyer_siret, d->chorus_xml);
		count_state("event=\"queued\"");
		j->errors = 0;
		job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, 0);
	}
}

static void on_structure(struct chorus_reply *, void *);
static void call_started(struct gw *, struct job *, struct chorus_call *);
static void call_ended(struct gw *, struct job *, struct chorus_reply *, const char *);

/* The buyer check of [chorus] check_structures: what the Structures API says the buyer
 * requires, against what the invoice carries. Adds a reason per problem; returns
 * their number. */
static int
buyer_problems(struct doc *d, const struct invoice *inv, const struct chorus_reply *rep)
{
	const char *svc = inv ? inv->service_code.text : NULL;
	const char *ej = inv ? inv->engagement.text : NULL;
	const char *who = rep->structure.name ? rep->structure.name : "?";
	int n = 0;
	size_t i;

	if (!rep->structure.found) {
		doc_add_reason(d,
		               "the buyer SIRET %s is not a structure of Chorus Pro (Structures "
		               "API): check the buyer's SIRET in the invoice",
		               d->buyer_siret);
		return 1;
	}
	if (rep->structure.status && strcmp(rep->structure.status, "ACTIVE") != 0) {
		doc_add_reason(d,
		               "the buyer %s (%s) is %s in Chorus Pro: ask the buyer which "
		               "structure to invoice",
		               d->buyer_siret, who, rep->structure.status);
		return 1;
	}
	if (rep->structure.service_required && svc == NULL) {
		doc_add_reason(d,
		               "the buyer %s (%s) requires a service code (code service "
		               "exécutant, BT-10): add the buyer's service code to the invoice",
		               d->buyer_siret, who);
		n++;
	}
	if (rep->structure.engagement_required && ej == NULL) {
		doc_add_reason(d,
		               "the buyer %s (%s) requires an engagement number (numéro "
		               "d'engagement juridique, BT-13): add the buyer's order number",
		               d->buyer_siret, who);
		n++;
	}
	if (rep->structure.service_or_engagement && svc == NULL && ej == NULL) {
		doc_add_reason(d,
		               "the buyer %s (%s) requires a service code or an engagement "
		               "number: add one of them to the invoice",
		               d->buyer_siret, who);
		n++;
	}
	if (svc) {
		const struct chorus_service *found = NULL;
		struct buf known;
		buf_init(&known);
		for (i = 0; i < rep->structure.nservices; i++) {
			const struct chorus_service *sv = &rep->structure.services[i];
			if (sv->code && strcmp(sv->code, svc) == 0)
				found = sv;
			else if (sv->code && sv->active)
				buf_printf(&known, "%s%s", known.len ? ", " : "", sv->code);
		}
		if (found == NULL) {
			doc_add_reason(
			    d, "the service code %s does not exist at the buyer %s (%s)%s%s", svc,
			    d->buyer_siret, who, known.len ? "; its services are: " : "",
			    known.len ? known.p : "");
			n++;
		} else if (!found->active) {
			doc_add_reason(
			    d, "the service code %s is inactive at the buyer %s (%s)%s%s", svc,
			    d->buyer_siret, who, known.len ? "; its active services are: " : "",
			    known.len ? known.p : "");
			n++;
		}
		buf_free(&known);
	}
	return n;
}

static void
on_structure(struct chorus_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	struct preflight *pf = j->pf;

	j->pf = NULL;
	call_ended(g, j, rep, "structure");
	if (rep->r.cls == CHORUS_OK && buyer_problems(d, pf->inv, rep) > 0)
		finish_rejected(g, j, "local", "refused by the buyer check", pf->x.xml, pf->x.len);
	else {
		if (rep->r.cls != CHORUS_OK)
			log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
			        "buyer check skipped (%s); Chorus Pro will check the buyer itself",
			        rep->r.reason ? rep->r.reason : "?");
		admit(g, j, pf);
	}
	preflight_free(pf);
	free(pf);
	chorus_reply_free(rep);
}

static void
step_process(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct buf in;
	struct preflight pf;
	char *why = NULL;
	size_t i;
	int r;

	buf_init(&in);
	memset(&pf, 0, sizeof(pf));
	if (spool_read_original(g->sp, d, (size_t)g->conf->max_size, &in, &why) == -1) {
		doc_add_reason(d, "the file could not be read: %s", why);
		free(why);
		buf_free(&in);
		finish_rejected(g, j, "local", "unreadable", NULL, 0);
		return;
	}
	r = check_document(in.p, in.len, doc_name(d), g->conf, time(NULL), &pf, &why);
	buf_free(&in);

	if (r == -1 && pf.verdict == PF_SETUP) {
		/* our stylesheet or schema is missing or broken: not the document's fault */
		log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "set-up error, document kept: %s", why);
		doc_clear_reasons(d);
		doc_add_reason(d, "waiting: chorusgw's set-up cannot process it: %s", why);
		free(why);
		preflight_free(&pf);
		if (save(g, j) == 0)
			job_schedule(g, j, STEP_PROCESS, backoff_ms(g, ++j->errors, -1));
		return;
	}
	free(why);

	doc_clear_reasons(d);
	if (pf.inv) {
		doc_set(&d->invoice_number, pf.inv->number.text);
		doc_set(&d->supplier_siret, pf.inv->supplier.siret.text);
		doc_set(&d->buyer_siret, pf.inv->buyer.siret.text);
	}
	if (pf.x.syntax >= 0)
		doc_set(&d->syntax, conf_syntax_name(pf.x.syntax));

	for (i = 0; i < pf.problems.n; i++) {
		const struct problem *p = &pf.problems.v[i];
		doc_add_reason(d, "%s%s", p->sev == SEV_ERROR ? "" : "warning: ", p->text);
	}
	if (pf.verdict != PF_OK) {
		finish_rejected(g, j, "local", "refused by the pre-flight checks", pf.x.xml,
		                pf.x.len);
		preflight_free(&pf);
		return;
	}

	if (g->conf->check_structures && d->buyer_siret && !g->paused && g->ch) {
		/* the optional buyer check (Structures API, cached): decided in on_structure */
		j->pf = xmalloc(sizeof(*j->pf));
		*j->pf = pf;
		call_started(g, j, chorus_structure(g->ch, d->buyer_siret, 0, on_structure, j));
		return;
	}
	admit(g, j, &pf);
	preflight_free(&pf);
}

/* ---- Chorus Pro calls ---------------------------------------------------------------- */

static void
call_started(struct gw *g, struct job *j, struct chorus_call *c)
{
	j->call = c;
	j->call_started = now_ms();
	g->calls_in_flight++;
}

/* Bookkeeping common to every answer. 0 when the job should handle the reply. */
static void
call_ended(struct gw *g, struct job *j, struct chorus_reply *rep, const char *op)
{
	char label[64];
	j->call = NULL;
	g->calls_in_flight--;
	snprintf(label, sizeof(label), "op=\"%s\"", op);
	metrics_observe("chorusgw_chorus_request_seconds", label,
	                (double)rep->r.elapsed_ms / 1000.0);
	snprintf(label, sizeof(label), "op=\"%s\",class=\"%s\"", op, chorus_class_name(rep->r.cls));
	metrics_add("chorusgw_chorus_requests_total", label, 1);
	pump_soon(g); /* also ends the loop when draining and this was the last call */
}

/* Tell the operator when a document has waited longer than [gateway] give_up. */
static void
check_give_up(struct gw *g, struct job *j, const struct chorus_result *r)
{
	struct doc *d = j->doc;
	time_t now = time(NULL);
	char span[32];
	if (d->action_required || !d->received ||
	    (int64_t)(now - d->received) * 1000 < g->conf->give_up_ms)
		return;
	fmt_duration(span, sizeof(span), g->conf->give_up_ms);
	d->action_required = 1;
	doc_set(&d->action, NULL);
	d->action = xasprintf("not settled with Chorus Pro after %s (last error: %s); chorusgw "
	                      "keeps trying: check that Chorus Pro is reachable (chorusgw "
	                      "test-connection)",
	                      span, r && r->reason ? r->reason : "unknown");
	log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "action required: %s", d->action);
}

/* A retryable failure of the current step: try it again later. */
static void
retry_later(struct gw *g, struct job *j, enum step s, const struct chorus_result *r)
{
	struct doc *d = j->doc;
	uint64_t delay = backoff_ms(g, ++j->errors, r ? r->retry_after_ms : -1);
	char label[64];

	snprintf(label, sizeof(label), "step=\"%s\"", step_names[s]);
	metrics_add("chorusgw_retries_total", label, 1);
	log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "%s failed, retry in %llus: %s", step_names[s],
	        (unsigned long long)(delay / 1000), r && r->reason ? r->reason : "?");
	d->next_attempt = time(NULL) + (time_t)((delay + 999) / 1000);
	check_give_up(g, j, r);
	if (save(g, j) == 0)
		job_schedule(g, j, s, delay);
}

/* SETUP: the request was refused before Chorus Pro looked at the document. */
static void
setup_failed(struct gw *g, struct job *j, enum step s, const struct chorus_result *r)
{
	j->step = s; /* resumed by the probe */
	pause_deposits(g, r, j->doc->supplier_siret, s);
}

/* A search or deposit report that did not answer: a set-up error pauses deposits;
 * anything else is tried again later, also a refusal (our request is at fault: never
 * deposit blind). */
static void
lookup_failed(struct gw *g, struct job *j, enum step s, const struct chorus_result *r)
{
	if (r->cls == CHORUS_SETUP)
		setup_failed(g, j, s, r);
	else
		retry_later(g, j, s, r);
}

/* rechercher/fournisseur for the document, by invoice number or by flow number. */
static void
search(struct gw *g, struct job *j, const char *number, const char *flux, chorus_cb *cb)
{
	struct chorus_search_req req;
	memset(&req, 0, sizeof(req));
	req.supplier_siret = j->doc->supplier_siret;
	req.number = number;
	req.flux = flux;
	call_started(g, j, chorus_search(g->ch, &req, cb, j));
}

static void on_deposit(struct chorus_reply *, void *);
static void on_settle(struct chorus_reply *, void *);
static void on_report(struct chorus_reply *, void *);
static void on_resolve(struct chorus_reply *, void *);

static void
step_deposit(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct chorus_deposit_req req;
	struct buf xml;
	char hex[65], *why = NULL, *path;
	struct chorus_call *c;

	if (d->held) {
		j->step = STEP_NONE;
		return;
	}
	path = spool_xml_path(g->sp, d);
	buf_init(&xml);
	if (path == NULL || read_file(path, (size_t)g->conf->max_size * 2, 1, &xml, &why) == -1) {
		/* the spool's fault (a move not finished, a disk error), never the
		 * document's: try again from its record */
		char *msg =
		    xasprintf("cannot read the Chorus XML: %s", why ? why : "none recorded");
		free(why);
		free(path);
		buf_free(&xml);
		resync_later(g, j, msg);
		free(msg);
		arm_resync(g);
		return;
	}
	free(path);
	sha256_hex(xml.p, xml.len, hex);

	/* DESIGN §2.1: the intent is durable before the call */
	d->attempts++;
	doc_set(&d->payload_sha256, hex);
	doc_clear_reasons(d);
	d->next_attempt = 0;
	doc_set_state(d, DOC_SUBMITTING, NULL);
	if (save(g, j) == -1) {
		buf_free(&xml);
		return;
	}
	crashpoint("gw-deposit-intent");

	memset(&req, 0, sizeof(req));
	req.supplier_siret = d->supplier_siret;
	req.syntax = d->syntax && strcmp(d->syntax, "cii") == 0 ? SYNTAX_CII : SYNTAX_UBL;
	req.file_name = d->chorus_xml;
	req.data = xml.p;
	req.len = xml.len;
	c = chorus_deposit(g->ch, &req, on_deposit, j);
	buf_free(&xml);
	call_started(g, j, c);
	g->n_deposits++;
	log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "depositing invoice %s (attempt %d)",
	        d->invoice_number, d->attempts);
}

static void
on_deposit(struct chorus_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	const struct chorus_result *r = &rep->r;

	call_ended(g, j, rep, "deposit");
	crashpoint("gw-deposit-answer");
	switch (r->cls) {
	case CHORUS_OK:
		doc_set(&d->numero_flux_depot, rep->deposit.flux);
		d->deposit_date = chorus_time(rep->deposit.date);
		j->errors = 0;
		doc_set_state(d, DOC_DEPOSITED, rep->deposit.flux);
		metrics_add("chorusgw_deposits_total", "result=\"ok\"", 1);
		if (save(g, j) == 0) {
			log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "deposited as %s",
			        d->numero_flux_depot);
			job_schedule(g, j, STEP_REPORT, (uint64_t)g->conf->report_poll_ms);
		}
		break;
	case CHORUS_DOCUMENT:
		metrics_add("chorusgw_deposits_total", "result=\"refused\"", 1);
		doc_add_reason(d, "Chorus Pro refused the deposit: %s", r->reason);
		if (r->libelle)
			doc_add_reason(d, "Chorus Pro said: %s", r->libelle);
		if (r->raw) /* secrets removed and bounded by chorus.c */
			doc_add_reason(d, "Chorus Pro's answer (HTTP %ld): %s", r->http_status,
			               r->raw);
		finish_rejected(g, j, "chorus", "deposit refused", NULL, 0);
		break;
	case CHORUS_SETUP:
		metrics_add("chorusgw_deposits_total", "result=\"setup\"", 1);
		/* 401/403 come from the gateway before Chorus Pro sees the document */
		doc_set_state(d, DOC_QUEUED, "not deposited: set-up error");
		if (save(g, j) == 0)
			setup_failed(g, j, STEP_DEPOSIT, r);
		break;
	case CHORUS_RETRY:
		metrics_add("chorusgw_deposits_total", "result=\"failed\"", 1);
		if (r->unknown_outcome) {
			/* stays submitting: search before any new deposit */
			doc_note(d, "outcome of deposit attempt %d unknown: %s", d->attempts,
			         r->reason);
			j->errors++;
			d->next_attempt = time(NULL) + (time_t)(g->conf->unknown_wait_ms / 1000);
			check_give_up(g, j, r);
			metrics_add("chorusgw_retries_total", "step=\"settle\"", 1);
			if (save(g, j) == 0) {
				uint64_t wait = backoff_ms(g, j->errors, r->retry_after_ms);
				if (wait < (uint64_t)g->conf->unknown_wait_ms)
					wait = (uint64_t)g->conf->unknown_wait_ms;
				log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
				        "deposit outcome unknown (%s): will search Chorus Pro for "
				        "invoice %s in %llus before any new deposit",
				        r->reason, d->invoice_number,
				        (unsigned long long)(wait / 1000));
				job_schedule(g, j, STEP_SETTLE, wait);
			}
		} else {
			doc_set_state(d, DOC_QUEUED, "not deposited: will retry");
			retry_later(g, j, STEP_DEPOSIT, r);
		}
		break;
	}
	chorus_reply_free(rep);
}

/* Find our invoice in a search answer: same number, same supplier, deposited after
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
		if (inv->supplier && d->supplier_siret && strcmp(inv->supplier, d->supplier_siret))
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

static void
step_settle(struct gw *g, struct job *j)
{
	search(g, j, j->doc->invoice_number, NULL, on_settle);
}

static void
on_settle(struct chorus_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	const struct chorus_invoice *inv;

	call_ended(g, j, rep, "search");
	switch (rep->r.cls) {
	case CHORUS_OK:
		j->errors = 0;
		inv = find_ours(d, rep, NULL);
		if (inv && inv->flux &&
		    (!j->after_reject || !d->numero_flux_depot ||
		     strcmp(inv->flux, d->numero_flux_depot) != 0)) {
			/* Chorus Pro has it: adopt that deposit, never send again */
			char *note;
			if (j->after_reject && d->numero_flux_depot) {
				/* this round did send it again: Chorus Pro refused that one */
				log_doc(LOG_LVL_INFO, d->qid, doc_name(d),
				        "Chorus Pro already has invoice %s from an earlier attempt "
				        "(deposit %s): adopted; deposit %s was refused as a "
				        "duplicate of it",
				        d->invoice_number, inv->flux, d->numero_flux_depot);
				note =
				    xasprintf("found in Chorus Pro by invoice number; deposit %s "
				              "refused as its duplicate",
				              d->numero_flux_depot);
			} else {
				log_doc(LOG_LVL_INFO, d->qid, doc_name(d),
				        "Chorus Pro already has invoice %s (deposit %s): adopted, "
				        "not sent again",
				        d->invoice_number, inv->flux);
				note = xstrdup("found in Chorus Pro by invoice number");
			}
			doc_set(&d->numero_flux_depot, inv->flux);
			if (inv->deposit_date)
				d->deposit_date = chorus_time(inv->deposit_date);
			doc_clear_reasons(d);
			doc_set_state(d, DOC_DEPOSITED, note);
			free(note);
			j->after_reject = 0;
			if (save(g, j) == 0)
				job_schedule(g, j, STEP_REPORT, 0);
			count_state("event=\"adopted\"");
		} else if (j->after_reject) {
			/* the rejection stands: nothing else of ours is in Chorus Pro */
			j->after_reject = 0;
			finish_rejected(g, j, "chorus", "rejected by the deposit report", NULL, 0);
		} else {
			log_doc(LOG_LVL_INFO, d->qid, doc_name(d),
			        "Chorus Pro has no invoice %s: depositing again",
			        d->invoice_number);
			doc_set_state(d, DOC_QUEUED, "not found in Chorus Pro: deposit again");
			d->next_attempt = 0;
			if (save(g, j) == 0)
				job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, 0);
		}
		break;
	default:
		lookup_failed(g, j, STEP_SETTLE, &rep->r);
		break;
	}
	chorus_reply_free(rep);
}

static void
step_report(struct gw *g, struct job *j)
{
	call_started(
	    g, j,
	    chorus_report(g->ch, j->doc->supplier_siret, j->doc->numero_flux_depot, on_report, j));
}

/* Does a deposit-report error concern this document's invoice? */
static int
error_is_ours(const struct doc *d, const struct chorus_report_error *e)
{
	return e->invoice == NULL || d->invoice_number == NULL ||
	       strcmp(e->invoice, d->invoice_number) == 0;
}

static void
on_report(struct chorus_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	size_t i, ours = 0;
	int changed;

	call_ended(g, j, rep, "report");
	switch (rep->r.cls) {
	case CHORUS_OK:
		j->errors = 0;
		changed =
		    d->deposit_report_state == NULL ||
		    strcmp(d->deposit_report_state, rep->report.state ? rep->report.state : "");
		doc_set(&d->deposit_report_state, rep->report.state);
		for (i = 0; i < rep->report.nerrors; i++)
			if (error_is_ours(d, &rep->report.errors[i]))
				ours++;
		if (!rep->report.final) {
			if (changed && save(g, j) == -1)
				break;
			job_schedule(g, j, STEP_REPORT, (uint64_t)g->conf->report_poll_ms);
			break;
		}
		if (rep->report.integrated && ours == 0) {
			job_schedule(g, j, STEP_RESOLVE, 0);
			break;
		}
		/* rejected (or partially integrated without our invoice) */
		doc_clear_reasons(d);
		doc_add_reason(d, "Chorus Pro rejected deposit %s (deposit report state %s)",
		               d->numero_flux_depot, rep->report.state ? rep->report.state : "?");
		for (i = 0; i < rep->report.nerrors; i++) {
			const struct chorus_report_error *e = &rep->report.errors[i];
			if (!error_is_ours(d, e))
				continue;
			doc_add_reason(d, "%s", e->message ? e->message : "(no message)");
			if (e->advice)
				doc_add_reason(d, "to fix: %s", e->advice);
		}
		if (d->attempts > 1) {
			/* an earlier attempt had an unknown outcome: it may be the one Chorus Pro
			 * kept (this one then fails as a duplicate); look before concluding */
			j->after_reject = 1;
			if (save(g, j) == 0)
				job_schedule(g, j, STEP_SETTLE, 0);
			break;
		}
		finish_rejected(g, j, "chorus", "rejected by the deposit report", NULL, 0);
		break;
	default:
		lookup_failed(g, j, STEP_REPORT, &rep->r);
		break;
	}
	chorus_reply_free(rep);
}

static void
step_resolve(struct gw *g, struct job *j)
{
	search(g, j, NULL, j->doc->numero_flux_depot, on_resolve);
}

static void
on_resolve(struct chorus_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	const struct chorus_invoice *inv;
	char id[32];

	call_ended(g, j, rep, "search");
	switch (rep->r.cls) {
	case CHORUS_OK:
		inv = find_ours(d, rep, d->numero_flux_depot);
		doc_clear_reasons(d);
		if (inv) {
			snprintf(id, sizeof(id), "%lld", (long long)inv->id);
			doc_set(&d->chorus_invoice_id, id);
			doc_set(&d->chorus_status, inv->status);
			d->chorus_status_date = chorus_time(inv->status_date);
			doc_set(&d->chorus_status_comment, inv->comment);
		} else
			doc_add_reason(d,
			               "integrated, but Chorus Pro did not list the invoice yet; "
			               "chorusgw reconcile fills in its id and status");
		doc_set_state(d, DOC_ACCEPTED, inv ? id : NULL);
		if (move(g, j, SF_ACCEPTED, NULL, 0) == -1)
			break;
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "accepted by Chorus Pro%s%s",
		        inv ? ": invoice id " : "", inv ? id : "");
		metrics_add("chorusgw_documents_accepted_total", NULL, 1);
		g->n_accepted++;
		job_done(g, j);
		break;
	default:
		lookup_failed(g, j, STEP_RESOLVE, &rep->r);
		break;
	}
	chorus_reply_free(rep);
}

/* ---- the pump: start what is ready, within the limits ---------------------------------- */

static void
run_step(struct gw *g, struct job *j)
{
	switch (j->step) {
	case STEP_PROCESS:
		step_process(g, j);
		break;
	case STEP_DEPOSIT:
		step_deposit(g, j);
		break;
	case STEP_SETTLE:
		step_settle(g, j);
		break;
	case STEP_REPORT:
		step_report(g, j);
		break;
	case STEP_RESOLVE:
		step_resolve(g, j);
		break;
	case STEP_NONE:
		break;
	}
}

static void
on_pump(void *arg)
{
	struct gw *g = arg;
	g->pump_timer = NULL;
	pump(g);
}

static void
pump_soon(struct gw *g)
{
	if (g->pump_timer == NULL)
		g->pump_timer = ev_timer_add(0, on_pump, g);
}

static void
pump(struct gw *g)
{
	struct job *j;
	int n = 0;
	int can_call = !g->paused && !g->draining && !g->reload_pending && g->ch != NULL;

	while (!g->draining && n < GW_PROCESS_BATCH && (j = readyq_pop(&g->process)) != NULL) {
		run_step(g, j);
		n++;
	}
	while (can_call && g->calls_in_flight < g->conf->max_in_flight &&
	       ((j = readyq_pop(&g->finish)) != NULL || (j = readyq_pop(&g->calls)) != NULL))
		run_step(g, j);
	if (g->process.head && !g->draining)
		pump_soon(g); /* more transforms next turn, after I/O had its chance */
	arm_resync(g);
	if ((g->draining || g->reload_pending) && g->calls_in_flight == 0)
		ev_break();
	if (g->once)
		once_check(g);
}

/* ---- pause on set-up errors ----------------------------------------------------------- */

static void on_probe(struct chorus_reply *, void *);

static void
probe(void *arg)
{
	struct gw *g = arg;
	struct chorus_search_req req;
	g->probe_timer = NULL;
	if (g->ch == NULL)
		return; /* a failed reload: stopping */
	/* the API of the call that failed: Transverses for a deposit report */
	if (g->pause_report) {
		g->probe_call = chorus_report(g->ch, g->pause_siret, "chorusgw-probe", on_probe, g);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.supplier_siret = g->pause_siret;
	req.number = "chorusgw-probe";
	req.max_results = 1;
	g->probe_call = chorus_search(g->ch, &req, on_probe, g);
}

static void
mark_waiting(struct gw *g, int paused)
{
	size_t i;
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		struct doc *d = j->doc;
		if (d->state != DOC_QUEUED && d->state != DOC_SUBMITTING &&
		    d->state != DOC_DEPOSITED)
			continue;
		if (paused) {
			doc_clear_reasons(d);
			add_pause_reasons(g, d);
		} else {
			doc_clear_reasons(d);
			doc_note(d, "deposits resumed");
		}
		if (save(g, j) == -1)
			i--; /* the job left the window */
	}
}

static void
resume_deposits(struct gw *g)
{
	size_t i;
	log_info("Chorus Pro set-up works again: deposits resumed");
	g->paused = 0;
	free(g->pause_reason);
	free(g->pause_setup);
	free(g->pause_siret);
	g->pause_reason = g->pause_setup = g->pause_siret = NULL;
	g->probe_attempts = 0;
	metrics_set("chorusgw_paused", NULL, 0);
	notify_status("running: deposits resumed");
	mark_waiting(g, 0);
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		if (j->timer == NULL && !j->ready && !j->call && j->step != STEP_NONE &&
		    j->step != STEP_PROCESS)
			job_schedule(g, j, j->step, 0);
	}
	pump_soon(g);
}

static void
on_probe(struct chorus_reply *rep, void *arg)
{
	struct gw *g = arg;
	g->probe_call = NULL;
	if (rep->r.cls == CHORUS_OK || rep->r.cls == CHORUS_DOCUMENT)
		resume_deposits(g); /* the gateway answered past authentication */
	else {
		uint64_t d = backoff_ms(g, ++g->probe_attempts, rep->r.retry_after_ms);
		log_warn("Chorus Pro set-up still failing (%s); next check in %llus",
		         rep->r.reason ? rep->r.reason : "?", (unsigned long long)(d / 1000));
		g->probe_timer = ev_timer_add(d, probe, g);
	}
	chorus_reply_free(rep);
}

/* Pause every deposit after a set-up error of step `s`; the probe asks the same API
 * (Factures, or Transverses for a deposit report) until it answers past the set-up. */
static void
pause_deposits(struct gw *g, const struct chorus_result *r, const char *siret, enum step s)
{
	if (g->paused)
		return;
	g->paused = 1;
	g->paused_since = time(NULL);
	g->pause_reason = xstrdup(r->reason ? r->reason : "set-up error");
	g->pause_setup = r->setup ? xstrdup(r->setup) : NULL;
	g->pause_siret = siret ? xstrdup(siret) : NULL;
	g->pause_report = s == STEP_REPORT;
	log_err("deposits paused: %s%s%s", g->pause_reason, g->pause_setup ? "; check: " : "",
	        g->pause_setup ? g->pause_setup : "");
	metrics_set("chorusgw_paused", NULL, 1);
	notify_status("paused: %s", g->pause_reason);
	mark_waiting(g, 1);
	g->probe_timer =
	    ev_timer_add(backoff_ms(g, ++g->probe_attempts, r->retry_after_ms), probe, g);
}

/* ---- pick-up ------------------------------------------------------------------------- */

static int
on_candidate(void *arg, const struct watch_cand *c)
{
	struct gw *g = arg;
	struct doc *d = NULL;
	char *why = NULL;
	const char *refuse = NULL;
	int r;

	if (g->draining || g->reload_pending || g->stopping)
		return 1;
	if (g->njobs >= GW_WINDOW) {
		g->watch_blocked = 1;
		return 1;
	}
	if (!S_ISREG(c->st.st_mode))
		refuse = S_ISLNK(c->st.st_mode)    ? "a symbolic link (never followed)"
		         : S_ISDIR(c->st.st_mode)  ? "a folder, not a file"
		         : S_ISFIFO(c->st.st_mode) ? "a FIFO (named pipe), not a file"
		         : S_ISSOCK(c->st.st_mode) ? "a socket, not a file"
		                                   : "a device, not a file";
	else if (c->st.st_nlink > 1)
		refuse = "a file with several hard links (it could be changed from elsewhere)";
	else if (name_is_odd(c->name))
		refuse = "a file name with control characters or a backslash";
	else if (c->st.st_size > g->conf->max_size)
		refuse = "larger than [spool] max_size";
	r = spool_claim(g->sp, c->name, &c->st, refuse, &d, &why);
	if (r == -1) {
		log_err("claim %s: %s", c->name, why);
		free(why);
		return 0;
	}
	if (r == SPOOL_GONE)
		return 0;
	if (r == SPOOL_REFUSED) {
		log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "refused: %s",
		        doc_last_reason(d) ? doc_last_reason(d) : refuse);
		metrics_add("chorusgw_documents_rejected_total", "cause=\"hostile\"", 1);
		g->n_rejected++;
		g->rejected_this_run = 1;
		doc_free(d);
		return 0;
	}
	/* spool_claim() logged the claim */
	count_state("event=\"claimed\"");
	job_schedule(g, job_add(g, d), STEP_PROCESS, 0);
	return 0;
}

/* ---- operator requests ---------------------------------------------------------------- */

static int
on_request(void *arg, const char *qid, enum spool_req req)
{
	struct gw *g = arg;
	struct job *j = job_find(g, qid);
	char *why = NULL;
	struct doc *d;

	if (j == NULL) {
		/* not in memory: final, or waiting on disk */
		if (spool_load(g->sp, qid, &d, &why) == -1) {
			log_warn("operator request %s for %s: %s", spool_req_name(req), qid, why);
			free(why);
			return 0;
		}
		j = job_add(g, d);
	}
	d = j->doc;
	if (spool_apply_request(g->sp, d, req, &why) == -1) {
		log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "operator %s refused: %s",
		        spool_req_name(req), why);
		free(why);
		if (j->step == STEP_NONE && !j->call && j->timer == NULL && !j->ready)
			job_resume(g, j);
		return 0;
	}
	log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "operator %s", spool_req_name(req));
	if (j->call)
		return 0; /* the answer decides what comes next */
	switch (req) {
	case REQ_HOLD:
		if (d->state == DOC_QUEUED || d->state == DOC_SUBMITTING)
			job_schedule(g, j, STEP_NONE, 0);
		break;
	case REQ_RELEASE:
	case REQ_RETRY:
	case REQ_RETRY_FORCE:
		d->next_attempt = 0;
		j->errors = 0;
		job_resume(g, j);
		break;
	}
	return 0;
}

static void
poll_requests(struct gw *g)
{
	char *why = NULL;
	if (spool_ctl_poll(g->sp, on_request, g, &why) == -1) {
		log_err("operator requests: %s", why);
		free(why);
	}
}

static void
on_ctl_fd(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	poll_requests(arg);
}

static void
on_ctl_timer(void *arg)
{
	struct gw *g = arg;
	ev_timer_add(GW_CTL_POLL_MS, on_ctl_timer, g);
	poll_requests(g);
}

/* ---- metrics, status, watchdog -------------------------------------------------------- */

static void
update_gauges(struct gw *g)
{
	size_t i, n[DOC_NSTATES] = {0};
	time_t oldest = 0;
	char label[64];
	struct watch_stats ws;
	for (i = 0; i < g->njobs; i++) {
		const struct doc *d = g->jobs[i]->doc;
		n[d->state]++;
		if (!doc_state_final(d->state) && d->received && (!oldest || d->received < oldest))
			oldest = d->received;
	}
	metrics_clear("chorusgw_documents");
	for (i = 0; i < DOC_DEPOSITED + 1; i++) {
		snprintf(label, sizeof(label), "state=\"%s\"", doc_state_name((enum doc_state)i));
		metrics_set("chorusgw_documents", label, (double)n[i]);
	}
	metrics_set("chorusgw_oldest_waiting_seconds", NULL,
	            oldest ? (double)(time(NULL) - oldest) : 0);
	if (g->w) {
		watch_get_stats(g->w, &ws);
		metrics_set("chorusgw_inbox_waiting", NULL, (double)(ws.waiting + ws.ready));
	}
	metrics_set("chorusgw_paused", NULL, g->paused);
}

static void
on_metrics(void *arg)
{
	struct gw *g = arg;
	char *why = NULL;
	ev_timer_add((uint64_t)g->conf->metrics_interval_ms, on_metrics, g);
	update_gauges(g);
	if (g->conf->metrics_file && metrics_write(g->conf->metrics_file, &why) == -1) {
		log_warn("metrics: %s", why);
		free(why);
	}
	if (!g->paused && !g->once)
		notify_status(
		    "%zu documents in progress; since start %llu deposits, %llu accepted, "
		    "%llu rejected",
		    g->njobs, (unsigned long long)g->n_deposits, (unsigned long long)g->n_accepted,
		    (unsigned long long)g->n_rejected);
}

static void
on_watchdog(void *arg)
{
	struct gw *g = arg;
	notify_watchdog();
	ev_timer_add(notify_watchdog_interval_ms(), on_watchdog, g);
}

static void
declare_metrics(void)
{
	metrics_declare(
	    "chorusgw_documents", "gauge",
	    "Documents this process holds, by state (received, queued, submitting, deposited).");
	metrics_declare("chorusgw_documents_accepted_total", "counter",
	                "Documents integrated by Chorus Pro (moved to accepted/).");
	metrics_declare(
	    "chorusgw_documents_rejected_total", "counter",
	    "Documents moved to rejected/, by cause (local, duplicate, hostile, chorus).");
	metrics_declare("chorusgw_deposits_total", "counter",
	                "Deposit calls by result (ok, refused, failed, setup).");
	metrics_declare("chorusgw_retries_total", "counter", "Retries scheduled, by step.");
	metrics_declare("chorusgw_chorus_requests_total", "counter",
	                "Chorus Pro operations by op and classification.");
	metrics_declare("chorusgw_chorus_request_seconds", "histogram",
	                "Latency of Chorus Pro operations (token and pages included).");
	metrics_declare("chorusgw_paused", "gauge",
	                "1 while deposits are paused by a set-up error (see the log and status).");
	metrics_declare("chorusgw_oldest_waiting_seconds", "gauge",
	                "Age of the oldest document not yet final.");
	metrics_declare("chorusgw_inbox_waiting", "gauge",
	                "Files in inbox/ not yet claimed at the last scan.");
	metrics_declare("chorusgw_events_total", "counter",
	                "Document events (claimed, queued, adopted).");
	metrics_declare("chorusgw_spool_errors_total", "counter",
	                "Spool writes that failed (disk full...); documents resynchronised from "
	                "their records.");
}

/* ---- once ------------------------------------------------------------------------------ */

static int
job_pending(const struct job *j)
{
	return !j->doc->held && !doc_state_final(j->doc->state);
}

static void
once_check(struct gw *g)
{
	size_t i;
	uint64_t now = now_ms();
	int busy = 0;
	if (g->stopping)
		return;
	if (!g->scan_done || g->more_on_disk || g->process.head || g->calls_in_flight)
		return;
	for (i = 0; i < g->njobs; i++) {
		const struct job *j = g->jobs[i];
		if (!job_pending(j))
			continue;
		/* something due before the deadline keeps us here */
		if (j->ready || j->call ||
		    (j->timer && now + ev_timer_remaining(j->timer) < g->deadline))
			busy = 1;
		if (j->step == STEP_NONE && g->paused)
			continue;
	}
	if (busy && now < g->deadline && !g->paused)
		return;
	if (g->paused && g->probe_call)
		return;
	g->stopping = 1;
	ev_break();
}

/* once: scan inbox/ until everything ready is claimed; files still settling (written
 * in place a moment ago) are waited for during one settle period, then left for the
 * next run. */
static void
once_scan(void *arg)
{
	struct gw *g = arg;
	struct watch_stats ws;
	char *why = NULL;
	int more = 1;

	g->scan_timer = NULL;
	if (g->draining || g->stopping || g->w == NULL) {
		g->scan_done = 1;
		return;
	}
	while (more && g->njobs < GW_WINDOW && !g->watch_blocked) {
		if (watch_scan(g->w, &more, &why) == -1) {
			log_err("scan: %s", why);
			free(why);
			g->scan_done = 1;
			return;
		}
	}
	if (more)
		return; /* the window is full: job_done() calls again */
	watch_get_stats(g->w, &ws);
	if (ws.waiting > 0 && now_ms() < g->settle_until) {
		uint64_t d = (uint64_t)g->conf->settle_ms;
		g->scan_timer = ev_timer_add(d > 500 ? 500 : d + 10, once_scan, g);
		return;
	}
	if (ws.waiting > 0)
		log_info("%zu file(s) in inbox/ not ready (still being written, or empty): left "
		         "for the next run",
		         ws.waiting);
	g->scan_done = 1;
	once_check(g);
}

static void
on_once_tick(void *arg)
{
	struct gw *g = arg;
	ev_timer_add(GW_ONCE_CHECK_MS, on_once_tick, g);
	if (now_ms() >= g->deadline)
		g->draining = 1;
	once_check(g);
	if (g->draining && g->calls_in_flight == 0)
		ev_break();
}

static int
once_exit_code(struct gw *g)
{
	size_t i;
	int pending = g->more_on_disk;
	for (i = 0; i < g->njobs; i++)
		if (job_pending(g->jobs[i]))
			pending = 1;
	if (g->paused)
		return EXIT_SETUP;
	if (g->rejected_this_run)
		return EXIT_REJECTED;
	return pending ? EXIT_PENDING : EXIT_OK;
}

/* ---- signals and lifecycle ------------------------------------------------------------- */

static void
on_sigterm(int signo, void *arg)
{
	struct gw *g = arg;
	log_info("%s: stopping; %d Chorus Pro call(s) in flight will finish",
	         signo == SIGINT ? "SIGINT" : "SIGTERM", g->calls_in_flight);
	notify_stopping();
	g->draining = 1;
	g->stopping = 1;
	if (g->w) {
		watch_free(g->w);
		g->w = NULL;
	}
	if (g->calls_in_flight == 0)
		ev_break();
}

static void
on_sighup(int signo, void *arg)
{
	struct gw *g = arg;
	(void)signo;
	log_info("SIGHUP: reloading %s once calls in flight end", g->ctx->conf_path);
	notify_reloading();
	g->reload_pending = 1;
	if (g->calls_in_flight == 0)
		ev_break();
}

static int
start_watch(struct gw *g, char **why)
{
	struct watch_cfg wc;
	memset(&wc, 0, sizeof(wc));
	wc.settle_ms = g->conf->settle_ms;
	wc.rescan_ms = g->conf->rescan_ms;
	wc.scan_batch = g->conf->scan_batch;
	wc.ignore = g->conf->ignore_list;
	g->w = watch_new(spool_inbox(g->sp), &wc, on_candidate, g, why);
	return g->w ? 0 : -1;
}

static int
start_chorus(struct gw *g, char **why)
{
	char *cache = xasprintf("%s/.chorusgw/cache", spool_root(g->sp));
	if (mkdir_p(cache, 0700, why) == -1) {
		free(cache);
		return -1;
	}
	g->ch = chorus_new(g->conf, cache, why);
	free(cache);
	return g->ch ? 0 : -1;
}

/* SIGHUP, with no call in flight: new configuration for new work. A configuration
 * with errors is refused and the running one kept; -1 (reason in *why, caller frees)
 * only when the new one cannot be started, which stops the daemon with an error. */
static int
reload(struct gw *g, char **why)
{
	struct conf *nc = cmd_load_conf(g->ctx, CONF_NEED_ALL, 1);
	g->reload_pending = 0;
	if (nc == NULL) {
		log_err("reload: the new configuration has errors; keeping the running one");
		notify_ready();
		return 0;
	}
	if (strcmp(nc->spool_dir, g->conf->spool_dir) != 0)
		log_warn("reload: [spool] dir changed; restart chorusgw to use the new spool");
	if (g->probe_call) {
		/* the pause probe is not counted in calls_in_flight and dies with the old
		 * client: ask again with the new one, or deposits stay paused for good */
		chorus_cancel(g->probe_call);
		g->probe_call = NULL;
		if (g->probe_timer == NULL)
			g->probe_timer = ev_timer_add(0, probe, g);
	}
	chorus_free(g->ch);
	g->ch = NULL;
	if (g->w) {
		watch_free(g->w);
		g->w = NULL;
	}
	conf_free(g->conf);
	g->conf = nc;
	xform_cache_drop();
	if (start_chorus(g, why) == -1 || start_watch(g, why) == -1) {
		char *reason = xasprintf("reload: %s", *why);
		free(*why);
		*why = reason;
		return -1;
	}
	/* calls cancelled by the swap never happened: none were in flight */
	log_info("configuration reloaded");
	notify_ready();
	pump_soon(g);
	return 0;
}

static void
gw_free(struct gw *g)
{
	/* forget the jobs without letting job_done() load more from disk (it would refill
	 * the window as fast as it empties, for ever) or scan inbox/ again */
	g->more_on_disk = g->watch_blocked = 0;
	g->scan_done = g->stopping = 1;
	while (g->njobs)
		job_done(g, g->jobs[g->njobs - 1]);
	free(g->jobs);
	if (g->probe_call)
		chorus_cancel(g->probe_call);
	if (g->w)
		watch_free(g->w);
	chorus_free(g->ch);
	if (g->sp)
		spool_close(g->sp);
	if (g->ctl_fd >= 0)
		ev_fd_del(g->ctl_fd);
	free(g->pause_reason);
	free(g->pause_setup);
	free(g->pause_siret);
	conf_free(g->conf);
	ev_fini();
	xform_cleanup();
	metrics_reset();
}

int
gateway_main(const struct cmd_ctx *ctx, int once)
{
	struct gw g;
	char *why = NULL;
	int adopted = 0, code = EXIT_OK;

	memset(&g, 0, sizeof(g));
	g.ctx = ctx;
	g.once = once;
	g.ctl_fd = -1;
	srandom((unsigned)(time(NULL) ^ getpid()));
	g.conf = cmd_load_conf(ctx, CONF_NEED_ALL, !once);
	if (g.conf == NULL)
		return EXIT_CONFIG;
	if (ev_init(&why) == -1)
		goto fail_runtime;
	declare_metrics();
	/* signals first: a SIGTERM during a long recovery waits in the signalfd and is
	 * handled as soon as the loop runs, instead of killing the process */
	if (ev_signal(SIGTERM, on_sigterm, &g) == -1 || ev_signal(SIGINT, on_sigterm, &g) == -1 ||
	    ev_signal(SIGHUP, on_sighup, &g) == -1) {
		why = xasprintf("signals: %s", strerror(errno));
		goto fail_runtime;
	}
	g.sp = cmd_open_spool(g.conf, 0, &why);
	if (g.sp == NULL) {
		fprintf(stderr, "chorusgw: %s\n", why);
		free(why);
		gw_free(&g);
		return EXIT_CONFIG;
	}
	if (spool_recover(g.sp, &adopted, &why) == -1)
		goto fail_runtime;
	if (adopted)
		log_info("recovered %d document(s) left by an earlier run", adopted);
	if (start_chorus(&g, &why) == -1)
		goto fail_runtime;
	signal(SIGPIPE, SIG_IGN);
	refill(&g);
	g.ctl_fd = spool_ctl_fd(g.sp);
	if (g.ctl_fd < 0 || ev_fd_add(g.ctl_fd, EV_READ, on_ctl_fd, &g) == -1) {
		g.ctl_fd = -1;
		ev_timer_add(GW_CTL_POLL_MS, on_ctl_timer, &g);
	}
	poll_requests(&g);
	if (start_watch(&g, &why) == -1)
		goto fail_runtime;
	ev_timer_add(0, on_metrics, &g);
	ev_timer_add((uint64_t)g.conf->rescan_ms, on_peers, &g);

	if (once) {
		g.deadline = now_ms() + (uint64_t)g.conf->once_wait_ms;
		g.settle_until = now_ms() + (uint64_t)g.conf->settle_ms + 1000;
		g.scan_timer = ev_timer_add(0, once_scan, &g);
		ev_timer_add(GW_ONCE_CHECK_MS, on_once_tick, &g);
	} else {
		if (notify_watchdog_interval_ms())
			ev_timer_add(0, on_watchdog, &g);
		notify_ready();
		log_info("running on %s (%s)", g.conf->spool_dir,
		         g.conf->mode == MODE_PRODUCTION ? "production" : "qualification");
	}

	for (;;) {
		if (ev_run(&why) == -1)
			goto fail_runtime;
		if (g.reload_pending && !g.draining) {
			/* never leave the loop for a reload: it waits for the calls in flight */
			if (g.calls_in_flight == 0 && reload(&g, &why) == -1)
				goto fail_runtime;
			continue;
		}
		if (once && !g.stopping && !g.draining)
			continue;
		if (g.draining && g.calls_in_flight > 0)
			continue;
		break;
	}
	if (once)
		code = once_exit_code(&g);
	update_gauges(&g);
	if (g.conf->metrics_file && metrics_write(g.conf->metrics_file, &why) == -1) {
		log_warn("metrics: %s", why);
		free(why);
	}
	log_info("stopped: %llu deposits, %llu accepted, %llu rejected",
	         (unsigned long long)g.n_deposits, (unsigned long long)g.n_accepted,
	         (unsigned long long)g.n_rejected);
	gw_free(&g);
	return code;

fail_runtime:
	log_err("%s", why ? why : "failed");
	free(why);
	gw_free(&g);
	return EXIT_RUNTIME;
}
