/*
 * gateway.c - `run` and `once`: the document state machine, and the only module that
 * knows the order of a document's life:
 *
 *   watch: ready in inbox/ -> spool_claim -> check_document (transform, XSD, rules)
 *   -> the route's buyer check -> duplicate index -> outbox/ (queued) -> intent saved
 *   (submitting) -> send -> the platform's ids saved (deposited) -> follow until the
 *   platform accepts or rejects it -> accepted/      or rejected/
 *
 * What a step asks of the platform goes through the route's transport (transport.h):
 * for Chorus Pro, deposer/flux, consulterCRDetaille then rechercher/fournisseur.
 *
 * Exactly once (DESIGN §2): the intent is durable before every send; a send whose
 * outcome is unknown (timeout, connection lost, crash) is settled by looking for it on
 * the platform (Chorus Pro: the invoice number) after [gateway] unknown_wait, and sent
 * again only if the platform has no such document; a later rejection of a re-send is
 * checked the same way before the document is called rejected. Retries are this
 * module's decisions only.
 *
 * One event loop (ev.c): inotify and rescans (watch.c), timers, curl sockets (http.c
 * under the transports), signals. Documents in memory are bounded by a window (like
 * Postfix's active queue); the rest wait on disk.
 *
 * Errors: a failure of one document is recorded in its receipt; a set-up failure
 * pauses every deposit until a probe succeeds; a spool failure (disk full...) leaves
 * the document to be resynchronised from its durable record. gateway_main() returns an
 * exit code (cmd.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "gateway.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "receipt.h"
#include "receive.h"
#include "respond.h"
#include "sha256.h"
#include "spool.h"
#include "transport.h"
#include "util.h"
#include "watch.h"
#include "xform.h"

#define GW_WINDOW        1000 /* documents held in memory at once */
#define GW_REFILL_AT     (GW_WINDOW / 2)
#define GW_PROCESS_BATCH 8    /* documents transformed per loop turn: keeps I/O flowing */
#define GW_CTL_POLL_MS   2000 /* operator requests, when inotify is not available */
#define GW_ONCE_CHECK_MS 250
/* The most of a generated document read for a send: a bound on memory only (each
 * platform's own limit, tp_fits(), is lower) */
#define GW_MAX_XML (64u * 1024 * 1024)

enum step {
	STEP_NONE = 0, /* waits for an outside event (release, resume) */
	STEP_PROCESS,  /* received: pre-flight, then outbox/ or rejected/ */
	STEP_DEPOSIT,  /* queued: record the intent, send */
	STEP_SETTLE,   /* unknown outcome: look for it on the platform before any new send */
	STEP_FOLLOW,   /* sent: follow it until the platform accepts or rejects it */
};

static const char *const step_names[] = {"wait", "process", "deposit", "settle", "follow"};

struct gw;

struct job {
	struct gw *g;
	struct doc *doc;
	size_t idx;             /* in g->jobs */
	enum step step;         /* what to do when due */
	struct ev_timer *timer; /* when the step is due later */
	struct tp_call *call;
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

struct expiry {
	char *account, *siret; /* siret: a supplier whose sends use the account, or NULL */
	char day[16];          /* as the platform wrote it */
	time_t at;
	struct expiry *next;
};

struct pause {
	struct gw *g;
	char *account; /* the route's account at fault; NULL: every account */
	char *reason, *setup;
	char *siret; /* the probe asks with the account of this supplier */
	int follow;  /* following failed: the API that follows sends is to probe */
	time_t since;
	struct ev_timer *timer;
	struct tp_call *call;
	int attempts;
	struct pause *next;
};

struct gw {
	const struct cmd_ctx *ctx;
	struct conf *conf;
	struct spool *sp;
	struct watch *w;
	struct transport *tp; /* the Chorus Pro route */
	struct receive *rx;   /* invoices received through the PA ([incoming]), or NULL */
	struct respond *rs;   /* the ERP's statuses on them, sent back ([incoming]), or NULL */
	int once;

	struct job **jobs;
	size_t njobs, capjobs;
	int more_on_disk;  /* pending records not loaded because the window was full */
	int watch_blocked; /* watch was told there is no room */
	/* steps waiting for a platform call: finishing what was sent (follow, settle)
	 * goes before new sends, so documents reach a final folder instead of piling up
	 * half done */
	struct readyq process, finish, calls;
	int calls_in_flight;
	struct ev_timer *pump_timer;

	/* sends paused by set-up errors: one for every account, or one per account (its
	 * password...) while the others go on; each probed until it works again */
	struct pause *pauses;
	/* the daily check of the accounts' password expiry (run), and what it learnt */
	struct tp_call *expiry_call;
	struct ev_timer *expiry_timer;
	size_t expiry_next;
	struct expiry *expiries;

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
static void pause_deposits(struct gw *, const struct tp_result *, const char *siret, enum step);
static const struct pause *pause_of(const struct gw *, const char *siret);
static void refill(struct gw *);
static void once_check(struct gw *);
static void once_scan(void *);

/* ---- small helpers ---------------------------------------------------------------- */

static const char *
doc_name(const struct doc *d)
{
	return d->original_name ? d->original_name : d->file;
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
		tp_cancel(j->call);
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
		/* The outcome of the last send is unknown (crash or timeout during the
		 * call): let the platform integrate whatever it received, then search. The
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
		job_schedule(g, j, STEP_FOLLOW, delay);
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
 * held document already sent is still followed. */
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

/* Final: rejected/ with the reasons already in the document. `cause` labels metrics:
 * "local", "duplicate", or the platform's name (tp_metric) when it refused the
 * document: then the invoice number may be sent again. */
static void
finish_rejected(struct gw *g, struct job *j, const char *cause, const char *note, const char *xml,
                size_t len)
{
	struct doc *d = j->doc;
	char *why = NULL;
	char label[64];
	int by_platform = strcmp(cause, "local") != 0 && strcmp(cause, "duplicate") != 0;

	doc_set_state(d, DOC_REJECTED, note);
	d->next_attempt = 0;
	if (by_platform && d->supplier_siret && d->invoice_number &&
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

/* Why a document waits while its deposits are paused, and what to fix. */
static void
add_pause_reasons(const struct pause *p, struct doc *d)
{
	char since[32];
	fmt_time_utc(since, sizeof(since), p->since);
	doc_add_reason(d, "waiting: deposits paused%s%s since %s: %s",
	               p->account ? " for account " : "", p->account ? p->account : "", since,
	               p->reason);
	if (p->setup)
		doc_add_reason(d, "to fix: %s", p->setup);
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
	if (pause_of(g, d->supplier_siret))
		add_pause_reasons(pause_of(g, d->supplier_siret), d);
	if (move(g, j, SF_OUTBOX, pf->x.xml, pf->x.len) == 0) {
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "invoice %s of %s to %s: queued as %s",
		        d->invoice_number, d->supplier_siret, d->buyer_siret, d->chorus_xml);
		count_state("event=\"queued\"");
		j->errors = 0;
		job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, 0);
	}
}

static void call_started(struct gw *, struct job *, struct tp_call *);
static void call_ended(struct gw *, struct job *, struct tp_reply *);

/* The route's buyer check answered: refuse the document with the problems found, or
 * admit it (also when the check could not be made: the platform checks it itself). */
static void
on_buyer(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	struct preflight *pf = j->pf;
	size_t i;
	int buyer_refused = 0;

	j->pf = NULL;
	call_ended(g, j, rep);
	if (rep->r.cls == TP_OK && rep->buyer) {
		size_t before = pf->problems.n;
		buyer_refused = preflight_buyer(pf, rep->buyer) > 0;
		for (i = before; i < pf->problems.n; i++)
			doc_add_reason(d, "%s", pf->problems.v[i].text);
	}
	if (buyer_refused)
		finish_rejected(g, j, "local", "refused by the buyer check", pf->x.xml, pf->x.len);
	else {
		if (rep->r.cls != TP_OK)
			log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
			        "buyer check skipped (%s); %s will check the buyer itself",
			        rep->r.reason ? rep->r.reason : "?", tp_label(g->tp));
		admit(g, j, pf);
	}
	preflight_free(pf);
	free(pf);
	tp_reply_free(rep);
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
	r = check_document(in.p, in.len, doc_name(d), g->conf, ROUTE_CHORUS, time(NULL), &pf, &why);
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
		/* the receipt says whose account is to be paid: the export's, or a default */
		doc_set(&d->iban_source, pf.inv->npayments && pf.inv->payments[0].iban.text
		                             ? pf.x.iban_source ? pf.x.iban_source : "document"
		                             : NULL);
	}
	if (pf.x.syntax >= 0)
		doc_set(&d->syntax, conf_syntax_name(pf.x.syntax));

	for (i = 0; i < pf.problems.n; i++) {
		const struct problem *p = &pf.problems.v[i];
		doc_add_reason(d, "%s%s", p->sev == SEV_ERROR ? "" : "warning: ", p->text);
	}
	if (pf.verdict == PF_OK && g->tp && tp_fits(g->tp, pf.x.len, pf.inv, &why) == -1) {
		/* over the platform's size: never deposited, whatever it costs to find out */
		doc_add_reason(d, "%s", why);
		free(why);
		why = NULL;
		pf.verdict = PF_REJECT;
	}
	if (pf.verdict != PF_OK) {
		finish_rejected(g, j, "local", "refused by the pre-flight checks", pf.x.xml,
		                pf.x.len);
		preflight_free(&pf);
		return;
	}

	if (!pause_of(g, d->supplier_siret) && g->tp) {
		/* the route's buyer check, if it has one now: decided in on_buyer */
		struct preflight *kept = xmalloc(sizeof(*kept));
		struct tp_call *c;
		*kept = pf;
		c = tp_check_buyer(g->tp, d, kept->inv, on_buyer, j);
		if (c) {
			j->pf = kept;
			call_started(g, j, c);
			return;
		}
		free(kept);
	}
	admit(g, j, &pf);
	preflight_free(&pf);
}

/* ---- platform calls ------------------------------------------------------------------ */

static void
call_started(struct gw *g, struct job *j, struct tp_call *c)
{
	j->call = c;
	j->call_started = now_ms();
	g->calls_in_flight++;
}

/* Bookkeeping common to every answer. */
static void
call_ended(struct gw *g, struct job *j, struct tp_reply *rep)
{
	char name[64], label[64];
	j->call = NULL;
	g->calls_in_flight--;
	snprintf(name, sizeof(name), "chorusgw_%s_request_seconds", tp_metric(g->tp));
	snprintf(label, sizeof(label), "op=\"%s\"", rep->op);
	metrics_observe(name, label, (double)rep->r.elapsed_ms / 1000.0);
	snprintf(name, sizeof(name), "chorusgw_%s_requests_total", tp_metric(g->tp));
	snprintf(label, sizeof(label), "op=\"%s\",class=\"%s\"", rep->op,
	         tp_class_name(rep->r.cls));
	metrics_add(name, label, 1);
	pump_soon(g); /* also ends the loop when draining and this was the last call */
}

/* Tell the operator when a document has waited longer than [gateway] give_up: what
 * to do is `todo` (what the platform's answer calls for), else r's advice, else check
 * that the platform is reachable. */
static void
check_give_up(struct gw *g, struct job *j, const struct tp_result *r, const char *todo)
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
	if (todo) {
		d->action =
		    xasprintf("not settled with %s after %s: %s", tp_label(g->tp), span, todo);
	} else {
		char *reach = xasprintf("check that %s is reachable (chorusgw test-connection)",
		                        tp_label(g->tp));
		const char *what = r && r->advice ? r->advice : r && r->setup ? r->setup : reach;
		d->action =
		    xasprintf("not settled with %s after %s (last error: %s); chorusgw "
		              "keeps trying: %s",
		              tp_label(g->tp), span, r && r->reason ? r->reason : "unknown", what);
		free(reach);
	}
	log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "action required: %s", d->action);
}

/* A retryable failure of the current step: try it again later. */
static void
retry_later(struct gw *g, struct job *j, enum step s, const struct tp_result *r)
{
	struct doc *d = j->doc;
	uint64_t delay = backoff_ms(g, ++j->errors, r ? r->retry_after_ms : -1);
	char label[64];

	snprintf(label, sizeof(label), "step=\"%s\"", step_names[s]);
	metrics_add("chorusgw_retries_total", label, 1);
	log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "%s failed, retry in %llus: %s", step_names[s],
	        (unsigned long long)(delay / 1000), r && r->reason ? r->reason : "?");
	d->next_attempt = time(NULL) + (time_t)((delay + 999) / 1000);
	check_give_up(g, j, r, NULL);
	if (save(g, j) == 0)
		job_schedule(g, j, s, delay);
}

/* SETUP: the request was refused before the platform looked at the document. */
static void
setup_failed(struct gw *g, struct job *j, enum step s, const struct tp_result *r)
{
	j->step = s; /* resumed by the probe */
	/* a set-up the probe finds working but this document's sends keep failing (a
	 * refusal of the gateway): the pause ends and starts again; give_up says so */
	check_give_up(g, j, r, NULL);
	if (j->doc->action_required)
		save(g, j);
	pause_deposits(g, r, j->doc->supplier_siret, s);
}

/* A search or a follow that did not answer: a set-up error pauses sends; anything
 * else is tried again later, also a refusal (our request is at fault: never send
 * blind). */
static void
lookup_failed(struct gw *g, struct job *j, enum step s, const struct tp_result *r)
{
	if (r->cls == TP_SETUP)
		setup_failed(g, j, s, r);
	else
		retry_later(g, j, s, r);
}

static void on_send(struct tp_reply *, void *);
static void on_settle(struct tp_reply *, void *);
static void on_follow(struct tp_reply *, void *);

static void
step_deposit(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct buf xml;
	char hex[65], *why = NULL, *path;
	struct tp_call *c;
	struct stat st;

	if (d->held) {
		j->step = STEP_NONE;
		return;
	}
	path = spool_xml_path(g->sp, d);
	buf_init(&xml);
	if (path && stat(path, &st) == 0 && tp_fits(g->tp, (size_t)st.st_size, NULL, &why) == -1) {
		/* queued before chorusgw checked sizes, or changed since: never sent */
		doc_clear_reasons(d);
		doc_add_reason(d, "%s", why);
		free(why);
		free(path);
		finish_rejected(g, j, "local", "too large to deposit", NULL, 0);
		return;
	}
	if (path == NULL || read_file(path, GW_MAX_XML, 1, &xml, &why) == -1) {
		/* the spool's fault (a file gone, a disk error), never the document's: tried
		 * again later (not at once from its record: that would loop), and after
		 * give_up the receipt asks for a person */
		struct tp_result r;
		memset(&r, 0, sizeof(r));
		r.retry_after_ms = -1;
		r.reason = xasprintf("cannot read the document to deposit: %s",
		                     why ? why : "no generated XML recorded");
		r.advice = xstrdup("check the spool's disk and that the XML beside the document "
		                   "in outbox/ is still there; `chorusgw retry` after fixing it");
		free(why);
		free(path);
		buf_free(&xml);
		retry_later(g, j, STEP_DEPOSIT, &r);
		free(r.reason);
		free(r.advice);
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

	c = tp_send(g->tp, d, xml.p, xml.len, on_send, j);
	buf_free(&xml);
	call_started(g, j, c);
	g->n_deposits++;
	log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "depositing invoice %s (attempt %d)",
	        d->invoice_number, d->attempts);
}

static void
on_send(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	const struct tp_result *r = &rep->r;
	size_t i;

	call_ended(g, j, rep);
	crashpoint("gw-deposit-answer");
	switch (r->cls) {
	case TP_OK:
		j->errors = 0;
		doc_set_state(d, DOC_DEPOSITED, rep->note);
		metrics_add("chorusgw_deposits_total", "result=\"ok\"", 1);
		if (save(g, j) == 0) {
			log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "deposited as %s", rep->id);
			job_schedule(g, j, STEP_FOLLOW, (uint64_t)rep->poll_ms);
		}
		break;
	case TP_DOCUMENT:
		metrics_add("chorusgw_deposits_total", "result=\"refused\"", 1);
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		finish_rejected(g, j, tp_metric(g->tp), "deposit refused", NULL, 0);
		break;
	case TP_SETUP:
		metrics_add("chorusgw_deposits_total", "result=\"setup\"", 1);
		/* 401/403 come from the gateway before the platform sees the document */
		doc_set_state(d, DOC_QUEUED, "not deposited: set-up error");
		if (save(g, j) == 0)
			setup_failed(g, j, STEP_DEPOSIT, r);
		break;
	case TP_RETRY:
		metrics_add("chorusgw_deposits_total", "result=\"failed\"", 1);
		if (r->unknown_outcome) {
			/* stays submitting: look for it before any new send */
			doc_note(d, "outcome of deposit attempt %d unknown: %s", d->attempts,
			         r->reason);
			j->errors++;
			d->next_attempt = time(NULL) + (time_t)(g->conf->unknown_wait_ms / 1000);
			check_give_up(g, j, r, NULL);
			metrics_add("chorusgw_retries_total", "step=\"settle\"", 1);
			if (save(g, j) == 0) {
				uint64_t wait = backoff_ms(g, j->errors, r->retry_after_ms);
				if (wait < (uint64_t)g->conf->unknown_wait_ms)
					wait = (uint64_t)g->conf->unknown_wait_ms;
				log_doc(
				    LOG_LVL_WARN, d->qid, doc_name(d),
				    "deposit outcome unknown (%s): will search %s for invoice %s "
				    "in %llus before any new deposit",
				    r->reason, tp_label(g->tp), d->invoice_number,
				    (unsigned long long)(wait / 1000));
				job_schedule(g, j, STEP_SETTLE, wait);
			}
		} else {
			doc_set_state(d, DOC_QUEUED, "not deposited: will retry");
			retry_later(g, j, STEP_DEPOSIT, r);
		}
		break;
	}
	tp_reply_free(rep);
}

static void
step_settle(struct gw *g, struct job *j)
{
	call_started(g, j, tp_find(g->tp, j->doc, j->after_reject, on_settle, j));
}

static void
on_settle(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;

	call_ended(g, j, rep);
	switch (rep->r.cls) {
	case TP_OK:
		j->errors = 0;
		if (rep->found) {
			/* the platform has it: adopt that send, never send again */
			log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "%s", rep->detail);
			doc_clear_reasons(d);
			doc_set_state(d, DOC_DEPOSITED, rep->note);
			j->after_reject = 0;
			if (save(g, j) == 0)
				job_schedule(g, j, STEP_FOLLOW, 0);
			count_state("event=\"adopted\"");
		} else if (j->after_reject) {
			/* the rejection stands: nothing else of ours is on the platform */
			j->after_reject = 0;
			finish_rejected(g, j, tp_metric(g->tp), "rejected by the deposit report",
			                NULL, 0);
		} else {
			log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "%s", rep->detail);
			doc_set_state(d, DOC_QUEUED, rep->note);
			d->next_attempt = 0;
			if (save(g, j) == 0)
				job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, 0);
		}
		break;
	default:
		lookup_failed(g, j, STEP_SETTLE, &rep->r);
		break;
	}
	tp_reply_free(rep);
}

static void
step_follow(struct gw *g, struct job *j)
{
	call_started(g, j, tp_follow(g->tp, j->doc, on_follow, j));
}

static void
on_follow(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	size_t i;

	call_ended(g, j, rep);
	if (rep->r.cls != TP_OK) {
		lookup_failed(g, j, STEP_FOLLOW, &rep->r);
		tp_reply_free(rep);
		return;
	}
	j->errors = 0;
	switch (rep->outcome) {
	case TP_PENDING:
		/* a state that lasts (held by the platform, unknown): say why it waits, and
		 * once give_up has passed, what to do */
		if (rep->nreasons) {
			int same = d->nreasons == rep->nreasons &&
			           strcmp(doc_last_reason(d), rep->reasons[rep->nreasons - 1]) == 0;
			if (!same) {
				doc_clear_reasons(d);
				for (i = 0; i < rep->nreasons; i++)
					doc_add_reason(d, "%s", rep->reasons[i]);
				rep->changed = 1;
			}
		}
		if (!d->action_required && rep->action) {
			check_give_up(g, j, &rep->r, rep->action);
			rep->changed |= d->action_required;
		}
		if (rep->changed && save(g, j) == -1)
			break;
		job_schedule(g, j, STEP_FOLLOW, (uint64_t)rep->poll_ms);
		break;
	case TP_ACCEPTED:
		doc_clear_reasons(d);
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		doc_set_state(d, DOC_ACCEPTED, rep->note);
		if (move(g, j, SF_ACCEPTED, NULL, 0) == -1)
			break;
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "accepted by %s%s%s", tp_label(g->tp),
		        rep->id ? ": " : "", rep->id ? rep->id : "");
		metrics_add("chorusgw_documents_accepted_total", NULL, 1);
		g->n_accepted++;
		job_done(g, j);
		break;
	case TP_REJECTED:
		doc_clear_reasons(d);
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		if (d->attempts > 1) {
			/* an earlier attempt had an unknown outcome: it may be the one the platform
			 * kept (this one then fails as a duplicate); look before concluding */
			j->after_reject = 1;
			if (save(g, j) == 0)
				job_schedule(g, j, STEP_SETTLE, 0);
			break;
		}
		finish_rejected(g, j, tp_metric(g->tp), "rejected by the deposit report", NULL, 0);
		break;
	}
	tp_reply_free(rep);
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
	case STEP_FOLLOW:
		step_follow(g, j);
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

/* A job whose sends are paused: it waits, out of the queues, until its pause ends. */
static int
parked(struct gw *g, struct job *j)
{
	if (pause_of(g, j->doc->supplier_siret) == NULL)
		return 0;
	j->ready = 0;
	return 1;
}

static void
pump(struct gw *g)
{
	struct job *j;
	int n = 0;
	int can_call = !g->draining && !g->reload_pending && g->tp != NULL;

	while (!g->draining && n < GW_PROCESS_BATCH && (j = readyq_pop(&g->process)) != NULL) {
		run_step(g, j);
		n++;
	}
	while (can_call && g->calls_in_flight < g->conf->max_in_flight &&
	       ((j = readyq_pop(&g->finish)) != NULL || (j = readyq_pop(&g->calls)) != NULL))
		if (!parked(g, j))
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

/* The pause that holds the sends of supplier `siret`: the one of every account, or the
 * one of its account; NULL when its sends may go. */
static const struct pause *
pause_of(const struct gw *g, const char *siret)
{
	const char *acct = g->tp ? tp_account(g->tp, siret) : NULL;
	const struct pause *p;
	for (p = g->pauses; p; p = p->next)
		if (p->account == NULL || (acct && strcmp(p->account, acct) == 0))
			return p;
	return NULL;
}

static int
probing(const struct gw *g)
{
	const struct pause *p;
	for (p = g->pauses; p; p = p->next)
		if (p->call)
			return 1;
	return 0;
}

static void
pause_free(struct pause *p)
{
	if (p->timer)
		ev_timer_del(p->timer);
	if (p->call)
		tp_cancel(p->call);
	free(p->account);
	free(p->reason);
	free(p->setup);
	free(p->siret);
	free(p);
}

static void on_probe(struct tp_reply *, void *);

static void
probe(void *arg)
{
	struct pause *p = arg;
	p->timer = NULL;
	if (p->g->tp == NULL)
		return; /* a failed reload: stopping */
	p->call = tp_probe(p->g->tp, p->siret, p->follow, on_probe, p);
}

/* Say in the receipts of the documents pause `p` holds (NULL: that it ended for
 * `account`, NULL: every account) why they wait. */
static void
mark_waiting(struct gw *g, const struct pause *p, const char *account)
{
	size_t i;
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		struct doc *d = j->doc;
		const char *acct = tp_account(g->tp, d->supplier_siret);
		if (d->state != DOC_QUEUED && d->state != DOC_SUBMITTING &&
		    d->state != DOC_DEPOSITED)
			continue;
		if (p ? pause_of(g, d->supplier_siret) != p
		      : (account && (acct == NULL || strcmp(acct, account) != 0)) ||
		            pause_of(g, d->supplier_siret))
			continue;
		doc_clear_reasons(d);
		if (p)
			add_pause_reasons(p, d);
		else
			doc_note(d, "deposits resumed");
		if (save(g, j) == -1)
			i--; /* the job left the window */
	}
}

static void
gauge_paused(struct gw *g)
{
	double n = 0;
	const struct pause *p;
	for (p = g->pauses; p; p = p->next)
		n++;
	metrics_set("chorusgw_paused", NULL, n);
}

static void
resume_deposits(struct gw *g, struct pause *p)
{
	struct pause **pp;
	size_t i;
	for (pp = &g->pauses; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->account)
		log_info("%s account %s works again: its deposits resumed", tp_label(g->tp),
		         p->account);
	else
		log_info("%s set-up works again: deposits resumed", tp_label(g->tp));
	mark_waiting(g, NULL, p->account);
	pause_free(p);
	gauge_paused(g);
	if (g->pauses == NULL)
		notify_status("running: deposits resumed");
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		if (j->timer == NULL && !j->ready && !j->call && j->step != STEP_NONE &&
		    j->step != STEP_PROCESS && !pause_of(g, j->doc->supplier_siret))
			job_schedule(g, j, j->step, 0);
	}
	pump_soon(g);
}

static void
on_probe(struct tp_reply *rep, void *arg)
{
	struct pause *p = arg;
	struct gw *g = p->g;
	p->call = NULL;
	if (rep->r.cls == TP_OK || rep->r.cls == TP_DOCUMENT)
		resume_deposits(g, p); /* the platform answered past authentication */
	else {
		uint64_t d = backoff_ms(g, ++p->attempts, rep->r.retry_after_ms);
		log_warn("%s set-up still failing (%s); next check in %llus", tp_label(g->tp),
		         rep->r.reason ? rep->r.reason : "?", (unsigned long long)(d / 1000));
		p->timer = ev_timer_add(d, probe, p);
	}
	tp_reply_free(rep);
}

/* Pause the deposits of the account of supplier `siret` (every account unless the
 * error is the account's own, r->account_only) after a set-up error of step `s`; the
 * probe asks the same API (the one that follows sends, for a follow) with that account
 * until it answers past the set-up. */
static void
pause_deposits(struct gw *g, const struct tp_result *r, const char *siret, enum step s)
{
	const char *acct = r->account_only ? tp_account(g->tp, siret) : NULL;
	struct pause *p;
	for (p = g->pauses; p; p = p->next)
		if (p->account == NULL || (acct && strcmp(p->account, acct) == 0))
			return; /* already paused: its probe goes on */
	p = xcalloc(1, sizeof(*p));
	p->g = g;
	p->account = acct ? xstrdup(acct) : NULL;
	p->since = time(NULL);
	p->reason = xstrdup(r->reason ? r->reason : "set-up error");
	p->setup = r->setup ? xstrdup(r->setup) : NULL;
	p->siret = siret ? xstrdup(siret) : NULL;
	p->follow = s == STEP_FOLLOW;
	p->next = g->pauses;
	g->pauses = p;
	log_err("deposits paused%s%s: %s%s%s", acct ? " for account " : "", acct ? acct : "",
	        p->reason, p->setup ? "; check: " : "", p->setup ? p->setup : "");
	gauge_paused(g);
	notify_status("paused: %s", p->reason);
	mark_waiting(g, p, NULL);
	p->timer = ev_timer_add(backoff_ms(g, ++p->attempts, r->retry_after_ms), probe, p);
}

/* ---- the daily check of the accounts' password expiry ------------------------------ */

#define EXPIRY_CHECK_MS (24 * 3600 * 1000LL)
#define EXPIRY_WARN_S   (30 * 86400)

static void on_expiry(struct tp_reply *, void *);

/* run, once a day: when each account's password expires. A gauge per account, a warning
 * within 30 days; an expired one pauses that account's deposits, the others go on. */
static void
check_expiry(void *arg)
{
	struct gw *g = arg;
	g->expiry_timer = NULL;
	if (g->tp == NULL || g->draining || g->expiry_call)
		return;
	if (g->expiry_next >= tp_naccounts(g->tp)) {
		g->expiry_next = 0;
		g->expiry_timer = ev_timer_add(EXPIRY_CHECK_MS, check_expiry, g);
		return;
	}
	g->expiry_call = tp_account_expiry(g->tp, g->expiry_next, on_expiry, g);
}

/* Pause the sends of an account whose password expired (known from the daily check);
 * the probe resumes them once it works again (the password changed). */
static void
pause_expired(struct gw *g, const struct expiry *e)
{
	struct tp_result r;
	memset(&r, 0, sizeof(r));
	r.cls = TP_SETUP;
	r.account_only = 1;
	r.retry_after_ms = -1;
	r.reason = xasprintf("the password of %s account %s expired on %s", tp_label(g->tp),
	                     e->account, e->day);
	r.setup = xasprintf("change the password of %s in %s, then in chorusgw's configuration, "
	                    "and reload (systemctl reload chorusgw)",
	                    e->account, tp_label(g->tp));
	pause_deposits(g, &r, e->siret, STEP_DEPOSIT);
	free(r.reason);
	free(r.setup);
}

/* Each metrics tick: the seconds left of each known password; an expired one pauses its
 * account's sends. */
static void
expiry_gauges(struct gw *g)
{
	const struct expiry *e;
	char label[300];
	time_t now = time(NULL);
	for (e = g->expiries; e; e = e->next) {
		snprintf(label, sizeof(label), "account=\"%s\"", e->account);
		metrics_set("chorusgw_tech_password_expiry_seconds", label, (double)(e->at - now));
		if (e->at <= now && g->tp && !g->draining && !g->stopping)
			pause_expired(g, e);
	}
}

static void
on_expiry(struct tp_reply *rep, void *arg)
{
	struct gw *g = arg;
	const char *acct = tp_account_name(g->tp, g->expiry_next);
	struct expiry *e;
	g->expiry_call = NULL;
	g->expiry_next++;
	if (rep->r.cls != TP_OK)
		log_warn("cannot read when the password of %s account %s expires: %s",
		         tp_label(g->tp), acct, rep->r.reason ? rep->r.reason : "?");
	if (rep->expires && acct) {
		int64_t left = (int64_t)(rep->expires - time(NULL));
		for (e = g->expiries; e && strcmp(e->account, acct) != 0; e = e->next)
			;
		if (e == NULL) {
			e = xcalloc(1, sizeof(*e));
			e->account = xstrdup(acct);
			e->siret = rep->id ? xstrdup(rep->id) : NULL;
			e->next = g->expiries;
			g->expiries = e;
		}
		e->at = rep->expires;
		if (rep->note)
			snprintf(e->day, sizeof(e->day), "%s", rep->note);
		else if (e->day[0] == '\0')
			fmt_time_utc(e->day, sizeof(e->day), e->at);
		if (left > 0 && left < EXPIRY_WARN_S)
			log_warn(
			    "the password of %s account %s expires on %s, in %lld days: change "
			    "it in %s, then in chorusgw's configuration",
			    tp_label(g->tp), acct, e->day, (long long)(left / 86400 + 1),
			    tp_label(g->tp));
		expiry_gauges(g);
	}
	tp_reply_free(rep);
	g->expiry_timer = ev_timer_add(0, check_expiry, g);
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
	gauge_paused(g);
	expiry_gauges(g);
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
	if (g->pauses == NULL && !g->once)
		notify_status("%zu documents in progress; since start "
		              "%llu deposits, %llu accepted, %llu rejected",
		              g->njobs, (unsigned long long)g->n_deposits,
		              (unsigned long long)g->n_accepted, (unsigned long long)g->n_rejected);
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
	                "Deposit pauses for set-up errors: one of every account, or one per "
	                "account at fault (see the log and status); 0 when none.");
	metrics_declare("chorusgw_tech_password_expiry_seconds", "gauge",
	                "Seconds until the password of each technical account expires (run: "
	                "checked once a day); negative: expired.");
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
	if (((g->rx && !receive_done(g->rx, NULL)) || (g->rs && !respond_done(g->rs, NULL))) &&
	    now < g->deadline)
		return;
	for (i = 0; i < g->njobs; i++) {
		const struct job *j = g->jobs[i];
		if (!job_pending(j))
			continue;
		/* something due before the deadline keeps us here */
		if (j->ready || j->call ||
		    (j->timer && now + ev_timer_remaining(j->timer) < g->deadline))
			busy = 1; /* a job held by a pause is neither: it waits for the probe */
	}
	if (busy && now < g->deadline)
		return;
	if (probing(g))
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
	int pending = g->more_on_disk, rx_failed = 0;
	for (i = 0; i < g->njobs; i++)
		if (job_pending(g->jobs[i]))
			pending = 1;
	if (g->rx && (!receive_done(g->rx, &rx_failed) || rx_failed))
		pending = 1; /* the incoming flows not read to the end wait for the next run */
	if (g->rs && (!respond_done(g->rs, &rx_failed) || rx_failed))
		pending = 1; /* statuses not acknowledged yet */
	if (g->pauses)
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
	log_info("%s: stopping; %d platform call(s) in flight will finish",
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
start_transports(struct gw *g, char **why)
{
	char *cache = xasprintf("%s/.chorusgw/cache", spool_root(g->sp));
	if (mkdir_p(cache, 0700, why) == -1) {
		free(cache);
		return -1;
	}
	g->tp = tp_new_chorus(g->conf, cache, why);
	free(cache);
	if (g->tp && g->conf->incoming_enabled) {
		struct receive_opts o;
		memset(&o, 0, sizeof(o));
		o.once = g->once;
		g->rx =
		    receive_new(g->conf, spool_root(g->sp), (mode_t)g->conf->file_mode, &o, why);
		if (g->rx == NULL)
			return -1;
		g->rs = respond_new(g->conf, spool_root(g->sp), (mode_t)g->conf->file_mode, g->once,
		                    why);
		if (g->rs == NULL)
			return -1;
	}
	return g->tp ? 0 : -1;
}

/* SIGHUP, with no call in flight: new configuration for new work. A configuration
 * with errors is refused and the running one kept; -1 (reason in *why, caller frees)
 * only when the new one cannot be started, which stops the daemon with an error. */
static int
reload(struct gw *g, char **why)
{
	struct conf *nc = cmd_load_conf(g->ctx, CONF_NEED_ALL, 1);
	struct pause *p;
	g->reload_pending = 0;
	if (nc == NULL) {
		log_err("reload: the new configuration has errors; keeping the running one");
		notify_ready();
		return 0;
	}
	if (strcmp(nc->spool_dir, g->conf->spool_dir) != 0)
		log_warn("reload: [spool] dir changed; restart chorusgw to use the new spool");
	for (p = g->pauses; p; p = p->next)
		if (p->call) {
			/* the pause probe is not counted in calls_in_flight and dies with the
			 * old client: ask again with the new one, or deposits stay paused for
			 * good */
			tp_cancel(p->call);
			p->call = NULL;
			if (p->timer == NULL)
				p->timer = ev_timer_add(0, probe, p);
		}
	/* passwords may have changed: read their expiry again, from the first account */
	if (g->expiry_call || g->expiry_timer) { /* run only */
		if (g->expiry_call)
			tp_cancel(g->expiry_call);
		if (g->expiry_timer)
			ev_timer_del(g->expiry_timer);
		g->expiry_call = NULL;
		g->expiry_next = 0;
		g->expiry_timer = ev_timer_add(0, check_expiry, g);
	}
	tp_free(g->tp);
	g->tp = NULL;
	receive_free(g->rx);
	g->rx = NULL;
	respond_free(g->rs);
	g->rs = NULL;
	if (g->w) {
		watch_free(g->w);
		g->w = NULL;
	}
	conf_free(g->conf);
	g->conf = nc;
	xform_cache_drop();
	if (start_transports(g, why) == -1 || start_watch(g, why) == -1) {
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
	while (g->pauses) {
		struct pause *p = g->pauses;
		g->pauses = p->next;
		pause_free(p);
	}
	if (g->expiry_call)
		tp_cancel(g->expiry_call);
	while (g->expiries) {
		struct expiry *e = g->expiries;
		g->expiries = e->next;
		free(e->account);
		free(e->siret);
		free(e);
	}
	if (g->w)
		watch_free(g->w);
	receive_free(g->rx);
	respond_free(g->rs);
	tp_free(g->tp);
	if (g->sp)
		spool_close(g->sp);
	if (g->ctl_fd >= 0)
		ev_fd_del(g->ctl_fd);
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
	if (start_transports(&g, &why) == -1)
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
	if (!once)
		g.expiry_timer = ev_timer_add(0, check_expiry, &g);
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
