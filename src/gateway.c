/*
 * gateway.c - `run` and `once`: the document state machine, and the only module that
 * knows the order of a document's life:
 *
 *   watch: ready in inbox/ -> spool_claim -> check_document (transform, XSD, rules;
 *   in a worker process, offload.c) -> the route (check_document again, for the route
 *   decided when it is another) -> the route's buyer check -> duplicate index ->
 *   outbox/ (queued) -> intent saved (submitting) -> send -> the platform's ids saved
 *   (deposited) -> follow until the platform accepts or rejects it -> accepted/ or
 *   rejected/
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
 * under the transports), signals, the worker processes' replies (worker.c). Documents
 * in memory are bounded by a window (like Postfix's active queue); the rest wait on
 * disk.
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
#include "follow.h"
#include "gateway.h"
#include "invoice.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "offload.h"
#include "pa.h"
#include "postmortem.h"
#include "receipt.h"
#include "receive.h"
#include "respond.h"
#include "route.h"
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
struct lane;

struct job {
	struct gw *g;
	struct doc *doc;
	struct lane *lane;      /* its route's, once decided (before: NULL) */
	size_t idx;             /* in g->jobs */
	enum step step;         /* what to do when due */
	struct ev_timer *timer; /* when the step is due later */
	struct tp_call *call;
	struct lane *call_lane; /* the route `call` went to */
	uint64_t call_started;
	int ready; /* on a ready list */
	struct job *rnext;
	int errors;             /* consecutive retryable failures of this step */
	int after_reject;       /* STEP_SETTLE checks a rejected re-deposit */
	int awaiting;           /* once: taken by the platform, waiting for its first status */
	struct preflight *pf;   /* kept while the route and the buyer check are decided */
	struct worker_job *off; /* its pre-flight, in a worker process */
	char *stage;            /* where that worker writes the document made (spool.h) */
	unsigned rerun;         /* ROUTE_*: that pre-flight is the decided route's (routed()) */
	tp_cb *answer;          /* what handles the answer to j->call (on_answer) */
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

struct lane;

struct pause {
	struct lane *lane;
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

/* A route as the gateway drives it: its transport, its share of the requests, the steps
 * waiting for a call, and its pauses after set-up errors (one route's set-up error does
 * not stop the other's sends). */
struct lane {
	struct gw *g;
	unsigned route;       /* ROUTE_* (rules.h) */
	struct transport *tp; /* NULL when the route is not configured */
	int max_in_flight;
	int in_flight;
	/* finishing what was sent (follow, settle) goes before new sends, so documents
	 * reach a final folder instead of piling up half done */
	struct readyq finish, calls;
	/* sends paused by set-up errors: one of every account, or one per account (its
	 * password...) while the others go on; each probed until it works again */
	struct pause *pauses;
};

struct gw {
	const struct cmd_ctx *ctx;
	struct conf *conf;
	struct spool *sp;
	struct watch *w;
	struct lane lanes[ROUTE_N];
	struct receive *rx; /* invoices received through the PA ([incoming]), or NULL */
	struct respond *rs; /* the ERP's statuses on them, sent back ([incoming]), or NULL */
	struct pa *pa;      /* the one PA client (one token) of the route, rx and rs, or NULL */
	int once;

	struct job **jobs;
	size_t njobs, capjobs;
	int more_on_disk;  /* pending records not loaded because the window was full */
	int watch_blocked; /* watch was told there is no room */
	struct readyq process;
	int calls_in_flight;      /* every route's */
	struct offload *off;      /* the worker processes of the pre-flight */
	int preflights_in_flight; /* at most [transform] workers, but for routed()'s */
	struct ev_timer *pump_timer;

	/* the daily check of the Chorus Pro accounts' password expiry (run), and what it
	 * learnt */
	struct tp_call *expiry_call;
	struct ev_timer *expiry_timer;
	size_t expiry_next;
	struct expiry *expiries;

	/* the status feed of a route that has one (the PA's lifecycle flows): read by one
	 * process per spool, the one holding lock/pa-feed; events stored in the spool and
	 * applied by whoever may change their document */
	struct ev_timer *feed_timer;
	struct tp_call *feed_call;
	int feed_lock; /* -1 until this process holds it */

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
static void pause_deposits(struct lane *, const struct tp_result *, const char *siret, enum step);
static const struct pause *pause_of(const struct lane *, const char *siret);
static void refill(struct gw *);
static void feed_soon(struct gw *);
static void once_check(struct gw *);
static void once_scan(void *);

/* ---- small helpers ---------------------------------------------------------------- */

static const char *
doc_name(const struct doc *d)
{
	return d->original_name ? d->original_name : d->file;
}

/* The lane of a document's route (Chorus Pro while none is recorded, as before routes
 * existed). */
static struct lane *
lane_of(struct gw *g, const struct doc *d)
{
	unsigned r = d->route ? route_named(d->route) : 0;
	return &g->lanes[route_index(r ? r : ROUTE_CHORUS)];
}

static int
any_paused(const struct gw *g)
{
	int i;
	for (i = 0; i < ROUTE_N; i++)
		if (g->lanes[i].pauses)
			return 1;
	return 0;
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
		int i;
		readyq_remove(&g->process, j);
		for (i = 0; i < ROUTE_N; i++) {
			readyq_remove(&g->lanes[i].finish, j);
			readyq_remove(&g->lanes[i].calls, j);
		}
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
		j->call_lane->in_flight--;
	}
	if (j->off) {
		offload_cancel(g->off, j->off);
		g->preflights_in_flight--;
	}
	g->jobs[i] = g->jobs[--g->njobs];
	g->jobs[i]->idx = i;
	doc_free(j->doc);
	if (j->pf) {
		preflight_free(j->pf);
		free(j->pf);
	}
	free(j->stage);
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
step_queue(struct gw *g, struct job *j, enum step s)
{
	if (s == STEP_PROCESS || j->lane == NULL)
		return &g->process;
	return s == STEP_DEPOSIT ? &j->lane->calls : &j->lane->finish;
}

static void
on_job_timer(void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	j->timer = NULL;
	readyq_push(step_queue(g, j, j->step), j);
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
		readyq_push(step_queue(g, j, s), j);
		pump_soon(g);
	} else
		j->timer = ev_timer_add(delay_ms, on_job_timer, j);
}

static void hold_poison(struct gw *, struct job *);

/* The step a document loaded from disk needs next, and when. */
static void
job_resume(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	time_t now = time(NULL);
	uint64_t delay = d->next_attempt > now ? (uint64_t)(d->next_attempt - now) * 1000 : 0;
	if (d->state != DOC_RECEIVED)
		j->lane = lane_of(g, d); /* decided before the document was queued */
	if (d->crashes >= g->conf->crash_limit && !doc_state_final(d->state)) {
		hold_poison(g, j);
		return;
	}
	switch (d->state) {
	case DOC_RECEIVED:
		job_schedule(g, j, d->held ? STEP_NONE : STEP_PROCESS, 0);
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
 * held document already sent is still followed. One the platform took, whose statuses
 * come as events, needs none: the events are applied to its record. */
static int
needs_work(struct gw *g, const struct doc *d)
{
	const struct lane *l = lane_of(g, d);
	if (doc_state_final(d->state) || (d->held && d->state != DOC_DEPOSITED))
		return 0;
	if (d->crashes >= g->conf->crash_limit && !(d->held && d->action_required))
		return 1; /* to be held (hold_poison), even one whose statuses come by the feed */
	return l->tp == NULL || !tp_taken(l->tp, d);
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
		if (!needs_work(g, d) || job_find(g, d->qid)) {
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

/* Move the document to `to`, with its pre-flight's document when `staged` names it
 * (made(): written by the worker, adopted here). */
static int
move(struct gw *g, struct job *j, enum spool_folder to, const char *staged)
{
	char *why = NULL;
	if ((staged ? spool_move_staged(g->sp, j->doc, to, staged, &why)
	            : spool_move(g->sp, j->doc, to, NULL, 0, &why)) == -1) {
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

/* A document whose state just became final (accepted or rejected, reasons and history
 * set): to its folder, counted, forgotten. `cause` labels a rejection in the metrics:
 * "local", "duplicate", or the platform's name (tp_metric); with `reusable` the platform
 * refused it before it was deposited, so its invoice number may be sent again. */
static void
settle_final(struct gw *g, struct job *j, const char *cause, int reusable, const char *staged)
{
	struct doc *d = j->doc;
	char *why = NULL;
	char label[64];

	d->next_attempt = 0;
	if (d->state == DOC_ACCEPTED) {
		if (move(g, j, SF_ACCEPTED, staged) == -1)
			return;
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "accepted by %s%s%s",
		        j->lane ? tp_label(j->lane->tp) : "the platform",
		        d->status_code ? ": status " : "", d->status_code ? d->status_code : "");
		metrics_add("chorusgw_documents_accepted_total", NULL, 1);
		g->n_accepted++;
		job_done(g, j);
		return;
	}
	if (reusable && d->invoice_number &&
	    spool_dup_release(g->sp, doc_supplier_key(d), d->invoice_number, d->qid, &why) == -1) {
		log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "duplicate index: %s", why);
		free(why);
	}
	if (move(g, j, SF_REJECTED, staged) == -1)
		return;
	log_doc(LOG_LVL_WARN, d->qid, doc_name(d), "rejected: %s",
	        doc_last_reason(d) ? doc_last_reason(d) : "?");
	snprintf(label, sizeof(label), "cause=\"%s\"", cause);
	metrics_add("chorusgw_documents_rejected_total", label, 1);
	g->n_rejected++;
	g->rejected_this_run = 1;
	job_done(g, j);
}

/* Final: rejected/ with the reasons already in the document. `cause` labels metrics:
 * "local", "duplicate", or the platform's name (tp_metric) when it refused the
 * document: then the invoice number may be sent again. */
static void
finish_rejected(struct gw *g, struct job *j, const char *cause, const char *note,
                const char *staged)
{
	doc_set_state(j->doc, DOC_REJECTED, note);
	settle_final(g, j, cause, strcmp(cause, "local") != 0 && strcmp(cause, "duplicate") != 0,
	             staged);
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

/* The document the pre-flight `pf` made, staged by its worker, or NULL. */
static const char *
made(const struct job *j, const struct preflight *pf)
{
	return pf && pf->x.len > 0 ? j->stage : NULL;
}

/* After the pre-flight: the duplicate index, then outbox/. */
static void
admit(struct gw *g, struct job *j, const struct preflight *pf)
{
	struct doc *d = j->doc;
	char *why = NULL, *dup_of = NULL;
	const char *key, *number;
	int r;

	/* DESIGN §2.4: one document per (supplier SIRET, invoice number) unless forced */
	r = spool_dup_claim(g->sp, doc_supplier_key(d), d->invoice_number ? d->invoice_number : "",
	                    d->qid, d->force, &dup_of, &why);
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
		    d->invoice_number, doc_supplier_key(d), dup_of, st, d->qid);
		doc_free(first);
		free(dup_of);
		finish_rejected(g, j, "duplicate", "duplicate of an earlier document", made(j, pf));
		return;
	}
	/* what the platform's status events will name it by, before anything is sent */
	if (tp_ref(j->lane->tp, d, &key, &number) &&
	    spool_ref_set(g->sp, key, number, d->qid, &why) == -1) {
		log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "reference index: %s", why);
		free(why);
		job_schedule(g, j, STEP_PROCESS, backoff_ms(g, ++j->errors, -1));
		return;
	}

	d->force = 0;
	d->next_attempt = 0;
	doc_set_state(d, DOC_QUEUED, pf->x.what);
	if (pause_of(j->lane, doc_supplier_section(d)))
		add_pause_reasons(pause_of(j->lane, doc_supplier_section(d)), d);
	if (move(g, j, SF_OUTBOX, made(j, pf)) == 0) {
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d),
		        "invoice %s of %s to %s: queued as %s for %s", d->invoice_number,
		        doc_supplier_key(d), d->buyer_siret ? d->buyer_siret : d->buyer_siren,
		        d->chorus_xml, tp_label(j->lane->tp));
		count_state("event=\"queued\"");
		j->errors = 0;
		job_schedule(g, j, d->held ? STEP_NONE : STEP_DEPOSIT, 0);
	}
}

static void call_started(struct gw *, struct job *, struct lane *, struct tp_call *);
static void call_ended(struct gw *, struct job *, struct tp_reply *);
static tp_cb *answer_to(struct job *, tp_cb *);

/* The pre-flight kept while the route and the buyer are looked up; NULL when gone. */
static struct preflight *
take_pf(struct job *j)
{
	struct preflight *pf = j->pf;
	j->pf = NULL;
	return pf;
}

static void
drop_pf(struct preflight *pf)
{
	if (pf) {
		preflight_free(pf);
		free(pf);
	}
}

/* The route's buyer check answered: refuse the document with the problems found, or
 * admit it (also when the check could not be made: the platform checks it itself). */
static void
on_buyer_check(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	struct preflight *pf = take_pf(j);
	size_t i;
	int buyer_refused = 0;

	call_ended(g, j, rep);
	if (rep->r.cls == TP_OK && rep->buyer) {
		size_t before = pf->problems.n;
		buyer_refused = preflight_buyer(pf, rep->buyer) > 0;
		for (i = before; i < pf->problems.n; i++)
			doc_add_reason(d, "%s", pf->problems.v[i].text);
	}
	/* a route whose check answers in words (the PA's Directory) */
	if ((rep->r.cls == TP_OK || rep->r.cls == TP_DOCUMENT) && rep->nreasons > 0) {
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		buyer_refused = 1;
	}
	if (buyer_refused)
		finish_rejected(g, j, "local", "refused by the buyer check", made(j, pf));
	else {
		if (rep->r.cls != TP_OK)
			log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
			        "buyer check skipped (%s); %s will check the buyer itself",
			        rep->r.reason ? rep->r.reason : "?", tp_label(j->lane->tp));
		admit(g, j, pf);
	}
	drop_pf(pf);
	tp_reply_free(rep);
}

/* Refuse the document at the pre-flight, with the reasons already added. */
static void
refuse(struct gw *g, struct job *j, const char *note)
{
	struct preflight *pf = take_pf(j);
	finish_rejected(g, j, "local", note, made(j, pf));
	drop_pf(pf);
}

/* The pre-flight could not run for a fault of chorusgw's own set-up (a stylesheet or
 * schema missing or broken): not the document's fault; it waits. Frees `pf`. */
static void
setup_wait(struct gw *g, struct job *j, struct preflight *pf, const char *why)
{
	struct doc *d = j->doc;
	log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "set-up error, document kept: %s", why);
	doc_clear_reasons(d);
	doc_add_reason(d, "waiting: chorusgw's set-up cannot process it: %s", why);
	drop_pf(pf);
	if (save(g, j) == 0)
		job_schedule(g, j, STEP_PROCESS, backoff_ms(g, ++j->errors, -1));
}

static void on_preflight(int r, struct preflight *, const char *why, void *arg);

/* The pre-flight of the document for `route` (check_document()) handed to a worker
 * process (offload.c), which reads the original itself and writes the document it
 * makes to a new stage in the work area (a big one would hold up the loop): the loop
 * goes on, on_preflight() takes the outcome, and a move adopts that file. */
static void
preflight(struct gw *g, struct job *j, unsigned route)
{
	char *path = spool_original_path(g->sp, j->doc);
	struct offload_stage st;
	free(j->stage);
	j->stage = spool_stage_path(g->sp, j->doc);
	st.path = j->stage;
	st.tmpdir = spool_tmp_dir(g->sp);
	st.mode = spool_file_mode(g->sp);
	j->off = offload_check(g->off, path, (size_t)g->conf->max_size, doc_name(j->doc), route,
	                       time(NULL), &st, on_preflight, j);
	g->preflights_in_flight++;
	free(path);
}

static void judge_routed(struct gw *, struct job *);

/* The route is known: record it, judge the document as the route wants it (rules.c's
 * route_preflight(): made again, in a worker, when the pre-flight ran for the other
 * route), then the route's buyer check (judge_routed()). */
static void
routed(struct gw *g, struct job *j, unsigned r, const char *because)
{
	struct doc *d = j->doc;
	char *why = route_pa_no_siret(r, d->supplier_siret, d->supplier_id, d->supplier_id_type);

	if (why) {
		doc_add_reason(d, "%s", why);
		free(why);
		doc_note(d, "route pa (%s) refused: a supplier without a SIRET", because);
		refuse(g, j, "no PA route for a supplier without a SIRET");
		return;
	}
	if (g->lanes[route_index(r)].tp == NULL) {
		doc_add_reason(d,
		               "the invoice goes to %s (%s) but the configuration has no [%s] "
		               "section: configure it, or name the other route in the export "
		               "(<route>, chorusgw-erp(5))",
		               r == ROUTE_PA ? "the PA" : "Chorus Pro directly", because,
		               r == ROUTE_PA ? "pa" : "chorus");
		refuse(g, j, "no such route configured");
		return;
	}
	j->lane = &g->lanes[route_index(r)];
	if (d->route == NULL || strcmp(d->route, route_name(r)) != 0) {
		doc_set(&d->route, route_name(r));
		doc_note(d, "route %s: %s", route_name(r), because);
	}
	if (j->pf->x.route != r) {
		/* made for the other route: again for this one, on_preflight() comes back to
		 * judge_routed() */
		drop_pf(take_pf(j));
		preflight(g, j, r);
		j->rerun = r;
		return;
	}
	judge_routed(g, j);
}

/* The pre-flight made for the route decided (j->lane), in j->pf: the document refused
 * with its problems, else the route's buyer check, else admitted. */
static void
judge_routed(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct preflight *pf = j->pf;
	char *why = NULL;
	size_t i;

	/* the receipt says whose account is to be paid: the export's, or a default */
	doc_set(&d->iban_source, pf->inv && pf->inv->npayments && pf->inv->payments[0].iban.text
	                             ? pf->x.iban_source ? pf->x.iban_source : "document"
	                             : NULL);
	doc_clear_reasons(d);
	for (i = 0; i < pf->problems.n; i++) {
		const struct problem *p = &pf->problems.v[i];
		doc_add_reason(d, "%s%s", p->sev == SEV_ERROR ? "" : "warning: ", p->text);
	}
	if (pf->verdict == PF_OK && tp_fits(j->lane->tp, pf->x.len, pf->inv, &why) == -1) {
		/* over the platform's size: never sent, whatever it costs to find out */
		doc_add_reason(d, "%s", why);
		free(why);
		why = NULL;
		pf->verdict = PF_REJECT;
	}
	if (pf->verdict != PF_OK) {
		refuse(g, j, "refused by the pre-flight checks");
		return;
	}
	if (!pause_of(j->lane, doc_supplier_section(d))) {
		/* the route's buyer check, if it has one now: decided in on_buyer_check */
		struct tp_call *c =
		    tp_check_buyer(j->lane->tp, d, pf->inv, answer_to(j, on_buyer_check), j);
		if (c) {
			call_started(g, j, j->lane, c);
			return;
		}
	}
	pf = take_pf(j);
	admit(g, j, pf);
	drop_pf(pf);
}

/* Who the buyer is, from the PA's Directory: decides the route (or, for one already
 * decided, whether the buyer is public). */
static void
on_route_buyer(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	struct gw *g = j->g;
	struct doc *d = j->doc;
	struct route_choice rc;
	size_t i;

	call_ended(g, j, rep);
	if (rep->r.cls == TP_DOCUMENT || (rep->r.cls == TP_OK && !rep->found_buyer)) {
		if (rep->nreasons == 0)
			doc_add_reason(
			    d,
			    "the buyer SIREN %s is not in the Directory (annuaire) of the "
			    "PA: no platform receives invoices for it; check the buyer's "
			    "SIREN (BT-47), or name the route in the export (<route>)",
			    d->buyer_siren ? d->buyer_siren : "?");
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		refuse(g, j, "the buyer is unknown to the Directory");
	} else if (rep->r.cls != TP_OK) {
		/* the route cannot be decided without the Directory: wait for it */
		uint64_t delay = backoff_ms(g, ++j->errors, rep->r.retry_after_ms);
		log_doc(LOG_LVL_WARN, d->qid, doc_name(d),
		        "route not decided yet, the PA's Directory did not answer (%s); again in "
		        "%llus",
		        rep->r.reason ? rep->r.reason : "?", (unsigned long long)(delay / 1000));
		drop_pf(take_pf(j));
		doc_clear_reasons(d);
		doc_add_reason(d,
		               "waiting: its route depends on the PA's Directory, which did not "
		               "answer: %s",
		               rep->r.reason ? rep->r.reason : "?");
		if (rep->r.setup)
			doc_add_reason(d, "to fix: %s", rep->r.setup);
		if (save(g, j) == 0)
			job_schedule(g, j, STEP_PROCESS, delay);
	} else {
		if (d->route) {
			unsigned r = route_named(d->route);
			routed(g, j, r ? r : ROUTE_PA, "kept");
		} else {
			route_by_buyer(g->conf, rep->entity, &rc);
			routed(g, j, rc.route, rc.because);
		}
	}
	tp_reply_free(rep);
}

/* Processes died `crash_limit` times working on the document (d->crashes): held where
 * it is, nothing more done with it (not even followed: the crash may be there); a
 * person decides, and a release tries it again. */
static void
hold_poison(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	if (d->held && d->action_required) {
		job_schedule(g, j, STEP_NONE, 0); /* held already, loaded again */
		return;
	}
	log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "held: processes died %d times working on it",
	        d->crashes);
	d->held = 1;
	d->action_required = 1;
	doc_set(&d->action, "chorusgw held this document because the processes working on "
	                    "it died each time (a crash, or the system killing a worker that "
	                    "transformed it): keep the file for a bug report, then fix or "
	                    "split it, or release it to try again");
	doc_clear_reasons(d);
	doc_add_reason(d,
	               "processes died %d times working on this document ([gateway] "
	               "crash_limit = %lld); it is held so that the others go on",
	               d->crashes, (long long)g->conf->crash_limit);
	doc_note(d, "held after processes died %d times working on it", d->crashes);
	if (save(g, j) == 0)
		job_schedule(g, j, STEP_NONE, 0);
}

/* The pre-flight is handed to a worker process (offload.c): the loop goes on; the
 * rest is on_preflight(). What counts against the document (d->crashes, on disk across
 * restarts): its worker dying on it, and the daemon crashing in one of its steps
 * (postmortem.c). What does not: the daemon killed or stopped meanwhile (a SIGKILL, a
 * stop, a crash while working on another document) says nothing about this one, and
 * counting it would hold innocent documents (tests/e2e/gateway-chaos.sh kills the
 * daemon 60 times). */
static void
step_process(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	uint64_t need = offload_memory_estimate((uint64_t)(d->size > 0 ? d->size : 0));

	if (need > (uint64_t)g->conf->max_memory) {
		/* refused before it is read: the estimate comes from its size */
		doc_clear_reasons(d);
		doc_add_reason(d,
		               "the file (%.1f MB) would take about %llu MB of memory to transform "
		               "and check, over [transform] max_memory (%lld MB): split the "
		               "invoice, or raise max_memory and retry it",
		               (double)d->size / 1e6, (unsigned long long)(need >> 20),
		               (long long)(g->conf->max_memory >> 20));
		finish_rejected(g, j, "local", "too big to transform", NULL);
		return;
	}
	/* pre-flight for the route recorded, else the likeliest one; routed() makes it
	 * again if the route decided is another */
	preflight(g, j, d->route ? route_named(d->route) : g->conf->pa ? ROUTE_PA : ROUTE_CHORUS);
}

/* The first pre-flight, in j->pf: what the document is, then its route (route.h): kept
 * once decided, else the export's, works invoices, the configuration, then the buyer as
 * the PA's Directory knows it. */
static void
preflighted(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct preflight *pf = j->pf;
	struct route_choice rc;
	char siren[10];

	doc_clear_reasons(d);
	if (pf->inv) {
		doc_set(&d->invoice_number, pf->inv->number.text);
		doc_set(&d->supplier_siret, pf->inv->supplier.siret.text);
		doc_set(&d->buyer_siret, pf->inv->buyer.siret.text);
		doc_set(&d->supplier_siren, invoice_party_siren(&pf->inv->supplier, siren));
		if (pf->inv->supplier.siret.text == NULL && invoice_supplier_id(pf->inv)) {
			enum chorus_id_type t = invoice_supplier_id_type(pf->inv);
			doc_set(&d->supplier_id, invoice_supplier_id(pf->inv)->text);
			doc_set(&d->supplier_id_type, chorus_id_type_name(t));
		}
		doc_set(&d->buyer_siren, invoice_party_siren(&pf->inv->buyer, siren));
	}
	if (pf->inv == NULL) {
		/* not even an invoice: no route to decide */
		size_t i;
		for (i = 0; i < pf->problems.n; i++)
			doc_add_reason(d, "%s", pf->problems.v[i].text);
		refuse(g, j, "refused by the pre-flight checks");
		return;
	}

	if (d->route) {
		memset(&rc, 0, sizeof(rc));
		rc.decided = (rc.route = route_named(d->route)) != 0;
		rc.because = "kept";
	} else
		route_decide(g->conf, pf->x.export_route,
		             pf->x.export_cadre ? pf->x.export_cadre : pf->inv->cadre.text, &rc);
	if (rc.decided && rc.route == ROUTE_CHORUS) {
		routed(g, j, rc.route, rc.because);
		return;
	}
	if (g->lanes[route_index(ROUTE_PA)].tp == NULL) {
		routed(g, j, ROUTE_PA, rc.because); /* refused: no [pa] */
		return;
	}
	/* the PA's processing rule, and an undecided route, need the buyer's kind */
	if (rc.decided && d->route == NULL) {
		doc_set(&d->route, route_name(rc.route));
		doc_note(d, "route %s: %s", route_name(rc.route), rc.because);
	}
	call_started(g, j, &g->lanes[route_index(ROUTE_PA)],
	             tp_buyer(g->lanes[route_index(ROUTE_PA)].tp, d, pf->inv,
	                      answer_to(j, on_route_buyer), j));
}

/* A worker's pre-flight (offload.c): the one a step_process() asked for, or routed()'s
 * for the route decided (j->rerun). */
static void
preflight_done(struct job *j, int r, struct preflight *done, const char *why)
{
	struct gw *g = j->g;
	struct doc *d = j->doc;
	unsigned rerun = j->rerun;
	struct preflight *pf = xmalloc(sizeof(*pf));

	*pf = *done; /* taken over */
	memset(done, 0, sizeof(*done));
	j->off = NULL;
	j->rerun = 0;
	g->preflights_in_flight--;
	pump_soon(g);
	if (r == OFFLOAD_DIED) {
		/* the worker died on the document, the daemon lives: the document's doing
		 * (a crash, or the OOM killer choosing the process that grew for it) */
		log_doc(LOG_LVL_ERR, d->qid, doc_name(d), "%s", why);
		drop_pf(pf);
		d->crashes++;
		if (d->crashes >= g->conf->crash_limit) {
			hold_poison(g, j);
			return;
		}
		doc_clear_reasons(d);
		doc_add_reason(d, "waiting: %s (%d of [gateway] crash_limit = %lld)", why,
		               d->crashes, (long long)g->conf->crash_limit);
		if (save(g, j) == 0)
			job_schedule(g, j, STEP_PROCESS, backoff_ms(g, ++j->errors, -1));
		return;
	}
	crashpoint("gw-preflight-done"); /* tests: the daemon killed in this step */
	d->crashes = 0;
	if (r == OFFLOAD_UNREADABLE) {
		drop_pf(pf);
		doc_add_reason(d, "the file could not be read: %s", why);
		refuse(g, j, "unreadable");
		return;
	}
	if (pf->verdict == PF_SETUP) {
		/* our stylesheet or schema is missing or broken: not the document's fault */
		setup_wait(g, j, pf, why);
		return;
	}
	if (pf->x.syntax >= 0)
		doc_set(&d->syntax, conf_syntax_name(pf->x.syntax));
	j->pf = pf;
	if (rerun)
		judge_routed(g, j);
	else
		preflighted(g, j);
}

/* The pre-flight's outcome: handling it is a step of the document's (postmortem.h). */
static void
on_preflight(int r, struct preflight *pf, const char *why, void *arg)
{
	struct job *j = arg;
	postmortem_doc(j->doc->qid);
	step_hook(doc_name(j->doc), "checked"); /* tests: a crash here (fileio.h) */
	preflight_done(j, r, pf, why);
	postmortem_doc(NULL);
}

/* Every answer to a document's call comes through here, to j->answer: handling it is a
 * step of the document's (postmortem.h). */
static void
on_answer(struct tp_reply *rep, void *arg)
{
	struct job *j = arg;
	tp_cb *fn = j->answer;
	j->answer = NULL;
	postmortem_doc(j->doc->qid);
	fn(rep, j);
	postmortem_doc(NULL);
}

/* The callback to give the route's transport for a call of `j` answered by `fn`. */
static tp_cb *
answer_to(struct job *j, tp_cb *fn)
{
	j->answer = fn;
	return on_answer;
}

/* ---- platform calls ------------------------------------------------------------------ */

static void
call_started(struct gw *g, struct job *j, struct lane *l, struct tp_call *c)
{
	j->call = c;
	j->call_lane = l;
	j->call_started = now_ms();
	g->calls_in_flight++;
	l->in_flight++;
}

/* The metrics of one answer of route `l`. */
static void
count_call(const struct lane *l, const struct tp_reply *rep)
{
	char name[64], label[64];
	if (l->tp && strcmp(tp_metric(l->tp), "pa") == 0)
		return; /* each call to the PA is counted by count_pa() */
	snprintf(name, sizeof(name), "chorusgw_%s_request_seconds", tp_metric(l->tp));
	snprintf(label, sizeof(label), "op=\"%s\"", rep->op);
	metrics_observe(name, label, (double)rep->r.elapsed_ms / 1000.0);
	snprintf(name, sizeof(name), "chorusgw_%s_requests_total", tp_metric(l->tp));
	snprintf(label, sizeof(label), "op=\"%s\",class=\"%s\"", rep->op,
	         tp_class_name(rep->r.cls));
	metrics_add(name, label, 1);
}

/* Every operation on the PA, whoever made it (the route, receive.c, respond.c). */
static void
count_pa(void *arg, enum pa_op op, const struct pa_result *r)
{
	char label[64];
	(void)arg;
	snprintf(label, sizeof(label), "op=\"%s\"", pa_op_metric(op));
	metrics_observe("chorusgw_pa_request_seconds", label, (double)r->elapsed_ms / 1000.0);
	snprintf(label, sizeof(label), "op=\"%s\",class=\"%s\"", pa_op_metric(op),
	         pa_class_name(r->cls));
	metrics_add("chorusgw_pa_requests_total", label, 1);
}

/* Bookkeeping common to every answer. */
static void
call_ended(struct gw *g, struct job *j, struct tp_reply *rep)
{
	struct lane *l = j->call_lane;
	j->call = NULL;
	j->call_lane = NULL;
	g->calls_in_flight--;
	l->in_flight--;
	count_call(l, rep);
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
		d->action = xasprintf("not settled with %s after %s: %s", tp_label(j->lane->tp),
		                      span, todo);
	} else {
		char *reach = xasprintf("check that %s is reachable (chorusgw test-connection)",
		                        tp_label(j->lane->tp));
		const char *what = r && r->advice ? r->advice : r && r->setup ? r->setup : reach;
		d->action = xasprintf("not settled with %s after %s (last error: %s); chorusgw "
		                      "keeps trying: %s",
		                      tp_label(j->lane->tp), span,
		                      r && r->reason ? r->reason : "unknown", what);
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
	(void)g;
	j->step = s; /* resumed by the probe */
	/* a set-up the probe finds working but this document's sends keep failing (a
	 * refusal of the gateway): the pause ends and starts again; give_up says so */
	check_give_up(g, j, r, NULL);
	if (j->doc->action_required)
		save(g, j);
	pause_deposits(j->lane, r, doc_supplier_section(j->doc), s);
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

/* The SHA-256 and size of the document to deposit, read a piece at a time (never
 * held whole: the transport streams it when it sends). */
struct hashing {
	struct sha256 h;
	uint64_t size;
};

static void
hash_chunk(const void *p, size_t n, void *arg)
{
	struct hashing *x = arg;
	sha256_update(&x->h, p, n);
	x->size += n;
}

static void
step_deposit(struct gw *g, struct job *j)
{
	struct doc *d = j->doc;
	struct hashing x;
	char hex[65], *why = NULL, *path;
	struct tp_call *c;
	struct stat st;

	if (d->held) {
		j->step = STEP_NONE;
		return;
	}
	path = spool_xml_path(g->sp, d);
	sha256_init(&x.h);
	x.size = 0;
	if (path && stat(path, &st) == 0 &&
	    tp_fits(j->lane->tp, (size_t)st.st_size, NULL, &why) == -1) {
		/* queued before chorusgw checked sizes, or changed since: never sent */
		doc_clear_reasons(d);
		doc_add_reason(d, "%s", why);
		free(why);
		free(path);
		finish_rejected(g, j, "local", "too large to deposit", NULL);
		return;
	}
	if (path == NULL || read_file_chunks(path, GW_MAX_XML, 1, hash_chunk, &x, &why) == -1) {
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
		retry_later(g, j, STEP_DEPOSIT, &r);
		free(r.reason);
		free(r.advice);
		return;
	}
	sha256_final_hex(&x.h, hex);

	/* DESIGN §2.1: the intent is durable before the call */
	d->attempts++;
	doc_set(&d->payload_sha256, hex);
	doc_clear_reasons(d);
	d->next_attempt = 0;
	doc_set_state(d, DOC_SUBMITTING, NULL);
	if (save(g, j) == -1) {
		free(path);
		return;
	}
	crashpoint("gw-deposit-intent");

	c = tp_send(j->lane->tp, d, path, x.size, answer_to(j, on_send), j);
	free(path);
	call_started(g, j, j->lane, c);
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
		finish_rejected(g, j, tp_metric(j->lane->tp), "deposit refused", NULL);
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
				    r->reason, tp_label(j->lane->tp), d->invoice_number,
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
	call_started(g, j, j->lane,
	             tp_find(j->lane->tp, j->doc, j->after_reject, answer_to(j, on_settle), j));
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
			finish_rejected(g, j, tp_metric(j->lane->tp),
			                "rejected by the deposit report", NULL);
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
	call_started(g, j, j->lane, tp_follow(j->lane->tp, j->doc, answer_to(j, on_follow), j));
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
		if (rep->note) {
			doc_note(d, "%s", rep->note);
			rep->changed = 1;
		}
		if (!d->action_required && rep->action) {
			check_give_up(g, j, &rep->r, rep->action);
			rep->changed |= d->action_required;
		}
		if (rep->changed && save(g, j) == -1)
			break;
		job_schedule(g, j, STEP_FOLLOW, (uint64_t)rep->poll_ms);
		break;
	case TP_TAKEN:
		/* the platform took it: its statuses come through the feed, applied to its
		 * record wherever it is (it leaves the window; `once` waits for the first) */
		doc_clear_reasons(d);
		if (rep->note)
			doc_note(d, "%s", rep->note);
		if (save(g, j) == -1)
			break;
		log_doc(LOG_LVL_INFO, d->qid, doc_name(d), "taken by %s%s%s; its statuses follow",
		        tp_label(j->lane->tp), rep->note ? ": " : "", rep->note ? rep->note : "");
		count_state("event=\"taken\"");
		feed_soon(g);
		if (g->once && !j->awaiting) {
			j->awaiting = 1;
			job_schedule(g, j, STEP_NONE, 0);
		} else if (!g->once)
			job_done(g, j);
		break;
	case TP_ACCEPTED:
		doc_clear_reasons(d);
		for (i = 0; i < rep->nreasons; i++)
			doc_add_reason(d, "%s", rep->reasons[i]);
		doc_set_state(d, DOC_ACCEPTED, rep->note);
		settle_final(g, j, tp_metric(j->lane->tp), 0, NULL);
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
		finish_rejected(g, j, tp_metric(j->lane->tp), "rejected by the deposit report",
		                NULL);
		break;
	}
	tp_reply_free(rep);
}

/* ---- the pump: start what is ready, within the limits ---------------------------------- */

static void
run_step(struct gw *g, struct job *j)
{
	postmortem_doc(j->doc->qid); /* what a crash from here on is blamed on */
	step_hook(doc_name(j->doc), step_names[j->step]); /* tests: a crash here (fileio.h) */
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
	postmortem_doc(NULL);
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
parked(struct job *j)
{
	if (pause_of(j->lane, doc_supplier_section(j->doc)) == NULL)
		return 0;
	j->ready = 0;
	return 1;
}

static void
pump(struct gw *g)
{
	struct job *j;
	int n = 0, i;
	int can_call = !g->draining && !g->reload_pending;

	/* each pre-flight goes to a worker: as many at once as there are workers */
	while (!g->draining && n < GW_PROCESS_BATCH && g->preflights_in_flight < g->conf->workers &&
	       (j = readyq_pop(&g->process)) != NULL) {
		run_step(g, j);
		n++;
	}
	/* each route within its own share; a paused account's steps wait (resumed by its
	 * probe) */
	for (i = 0; i < ROUTE_N; i++) {
		struct lane *l = &g->lanes[i];
		if (!can_call || l->tp == NULL)
			continue;
		while (l->in_flight < l->max_in_flight && ((j = readyq_pop(&l->finish)) != NULL ||
		                                           (j = readyq_pop(&l->calls)) != NULL))
			if (!parked(j))
				run_step(g, j);
	}
	if (g->process.head && !g->draining && g->preflights_in_flight < g->conf->workers)
		pump_soon(g); /* more transforms next turn, after I/O had its chance */
	arm_resync(g);
	if ((g->draining || g->reload_pending) && g->calls_in_flight == 0 && g->feed_call == NULL)
		ev_break();
	if (g->once)
		once_check(g);
}

/* ---- pause on set-up errors ----------------------------------------------------------- */

/* The pause that holds the sends of supplier `siret`: the one of every account, or the
 * one of its account; NULL when its sends may go. */
static const struct pause *
pause_of(const struct lane *l, const char *siret)
{
	const char *acct = l && l->tp ? tp_account(l->tp, siret) : NULL;
	const struct pause *p;
	for (p = l ? l->pauses : NULL; p; p = p->next)
		if (p->account == NULL || (acct && strcmp(p->account, acct) == 0))
			return p;
	return NULL;
}

static int
probing(const struct gw *g)
{
	const struct pause *p;
	int i;
	for (i = 0; i < ROUTE_N; i++)
		for (p = g->lanes[i].pauses; p; p = p->next)
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
	if (p->lane->tp == NULL)
		return; /* a failed reload: stopping */
	p->call = tp_probe(p->lane->tp, p->siret, p->follow, on_probe, p);
}

/* Say in the receipts of route `l`'s documents that pause `p` holds (NULL: that it ended
 * for `account`, NULL: every account) why they wait. */
static void
mark_waiting(struct lane *l, const struct pause *p, const char *account)
{
	struct gw *g = l->g;
	size_t i;
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		struct doc *d = j->doc;
		const char *acct = tp_account(l->tp, doc_supplier_section(d));
		if (j->lane != l || (d->state != DOC_QUEUED && d->state != DOC_SUBMITTING &&
		                     d->state != DOC_DEPOSITED))
			continue;
		if (p ? pause_of(l, doc_supplier_section(d)) != p
		      : (account && (acct == NULL || strcmp(acct, account) != 0)) ||
		            pause_of(l, doc_supplier_section(d)))
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
	int i;
	for (i = 0; i < ROUTE_N; i++)
		for (p = g->lanes[i].pauses; p; p = p->next)
			n++;
	metrics_set("chorusgw_paused", NULL, n);
}

static void
resume_deposits(struct pause *p)
{
	struct lane *l = p->lane;
	struct gw *g = l->g;
	struct pause **pp;
	size_t i;
	for (pp = &l->pauses; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->account)
		log_info("%s account %s works again: its deposits resumed", tp_label(l->tp),
		         p->account);
	else
		log_info("%s set-up works again: deposits resumed", tp_label(l->tp));
	mark_waiting(l, NULL, p->account);
	pause_free(p);
	gauge_paused(g);
	if (!any_paused(g))
		notify_status("running: deposits resumed");
	for (i = 0; i < g->njobs; i++) {
		struct job *j = g->jobs[i];
		if (j->lane == l && j->timer == NULL && !j->ready && !j->call &&
		    j->step != STEP_NONE && j->step != STEP_PROCESS &&
		    !pause_of(l, doc_supplier_section(j->doc)))
			job_schedule(g, j, j->step, 0);
	}
	pump_soon(g);
}

static void
on_probe(struct tp_reply *rep, void *arg)
{
	struct pause *p = arg;
	struct gw *g = p->lane->g;
	p->call = NULL;
	if (rep->r.cls == TP_OK || rep->r.cls == TP_DOCUMENT)
		resume_deposits(p); /* the platform answered past authentication */
	else {
		uint64_t d = backoff_ms(g, ++p->attempts, rep->r.retry_after_ms);
		log_warn("%s set-up still failing (%s); next check in %llus", tp_label(p->lane->tp),
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
pause_deposits(struct lane *l, const struct tp_result *r, const char *siret, enum step s)
{
	struct gw *g = l->g;
	const char *acct = r->account_only ? tp_account(l->tp, siret) : NULL;
	struct pause *p;
	for (p = l->pauses; p; p = p->next)
		if (p->account == NULL || (acct && strcmp(p->account, acct) == 0))
			return; /* already paused: its probe goes on */
	p = xcalloc(1, sizeof(*p));
	p->lane = l;
	p->account = acct ? xstrdup(acct) : NULL;
	p->since = time(NULL);
	p->reason = xstrdup(r->reason ? r->reason : "set-up error");
	p->setup = r->setup ? xstrdup(r->setup) : NULL;
	p->siret = siret ? xstrdup(siret) : NULL;
	p->follow = s == STEP_FOLLOW;
	p->next = l->pauses;
	l->pauses = p;
	log_err("%s deposits paused%s%s: %s%s%s", tp_label(l->tp), acct ? " for account " : "",
	        acct ? acct : "", p->reason, p->setup ? "; check: " : "", p->setup ? p->setup : "");
	gauge_paused(g);
	notify_status("paused: %s", p->reason);
	mark_waiting(l, p, NULL);
	p->timer = ev_timer_add(backoff_ms(g, ++p->attempts, r->retry_after_ms), probe, p);
}

/* ---- the daily check of the accounts' password expiry ------------------------------ */

#define EXPIRY_CHECK_MS (24 * 3600 * 1000LL)
#define EXPIRY_WARN_S   (30 * 86400)

/* The accounts whose passwords expire are Chorus Pro's technical accounts. */
static struct lane *
chorus_lane(struct gw *g)
{
	return &g->lanes[route_index(ROUTE_CHORUS)];
}

static void on_expiry(struct tp_reply *, void *);

/* run, once a day: when each account's password expires. A gauge per account, a warning
 * within 30 days; an expired one pauses that account's deposits, the others go on. */
static void
check_expiry(void *arg)
{
	struct gw *g = arg;
	g->expiry_timer = NULL;
	if (chorus_lane(g)->tp == NULL || g->draining || g->expiry_call)
		return;
	if (g->expiry_next >= tp_naccounts(chorus_lane(g)->tp)) {
		g->expiry_next = 0;
		g->expiry_timer = ev_timer_add(EXPIRY_CHECK_MS, check_expiry, g);
		return;
	}
	g->expiry_call = tp_account_expiry(chorus_lane(g)->tp, g->expiry_next, on_expiry, g);
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
	r.reason = xasprintf("the password of %s account %s expired on %s",
	                     tp_label(chorus_lane(g)->tp), e->account, e->day);
	r.setup = xasprintf("change the password of %s in %s, then in chorusgw's configuration, "
	                    "and reload (systemctl reload chorusgw)",
	                    e->account, tp_label(chorus_lane(g)->tp));
	pause_deposits(chorus_lane(g), &r, e->siret, STEP_DEPOSIT);
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
		if (e->at <= now && chorus_lane(g)->tp && !g->draining && !g->stopping)
			pause_expired(g, e);
	}
}

static void
on_expiry(struct tp_reply *rep, void *arg)
{
	struct gw *g = arg;
	const char *acct = tp_account_name(chorus_lane(g)->tp, g->expiry_next);
	struct expiry *e;
	g->expiry_call = NULL;
	g->expiry_next++;
	if (rep->r.cls != TP_OK)
		log_warn("cannot read when the password of %s account %s expires: %s",
		         tp_label(chorus_lane(g)->tp), acct, rep->r.reason ? rep->r.reason : "?");
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
			    tp_label(chorus_lane(g)->tp), acct, e->day,
			    (long long)(left / 86400 + 1), tp_label(chorus_lane(g)->tp));
		expiry_gauges(g);
	}
	tp_reply_free(rep);
	g->expiry_timer = ev_timer_add(0, check_expiry, g);
}

/* ---- statuses that come as events (the PA's lifecycle) -------------------------------- */

/* What a stored event does to a document in memory (follow_sweep's in_memory): 1
 * applied (or applied before), 0 keep it for later (a call about it is in flight), -1
 * not in memory. */
static int
apply_event(struct gw *g, struct job *j, const struct tp_event *e)
{
	struct doc *d = j->doc;
	if (j->call)
		return 0;
	if (d->held && d->crashes >= g->conf->crash_limit)
		return 0; /* held as poison (hold_poison): its statuses wait for a release */
	step_hook(doc_name(d), "status"); /* tests: a crash here (fileio.h) */
	if (follow_apply(d, e) == 0)
		return 1;
	follow_log(d->qid, doc_name(d), e);
	if (doc_state_final(d->state)) {
		settle_final(g, j,
		             tp_metric(j->lane ? j->lane->tp : g->lanes[route_index(ROUTE_PA)].tp),
		             e->reusable, NULL);
		return 1;
	}
	if (save(g, j) == 0 && j->awaiting) {
		j->awaiting = 0; /* `once` had its first status */
		job_done(g, j);
	}
	return 1;
}

/* follow_sweep's in_memory: a status applied is a step of its document's: a crash
 * meanwhile counts against it (postmortem.h), so that a status that crashes the daemon
 * each time it is applied holds its document at crash_limit (then its statuses wait
 * for a release). Not in memory (a PA document once acknowledged), follow.c applies it
 * on the record next: blamed on it too, until the next event's or the end of the sweep
 * (sweep_events()). */
static int
apply_to_job(void *arg, const char *qid, const struct tp_event *e)
{
	struct gw *g = arg;
	struct job *j = job_find(g, qid);
	struct doc *d = NULL;
	int r;
	postmortem_doc(qid);
	if (j == NULL) {
		/* on its record (follow.c), unless it reached crash_limit: it is held when
		 * loaded, and its statuses wait */
		if (spool_load(g->sp, qid, &d, NULL) == -1)
			return -1;
		r = d->crashes >= g->conf->crash_limit ? 0 : -1;
		if (r == -1)
			step_hook(doc_name(d), "status"); /* tests: a crash here (fileio.h) */
		doc_free(d);
		if (r == 0)
			postmortem_doc(NULL);
		return r;
	}
	r = apply_event(g, j, e);
	postmortem_doc(NULL);
	return r;
}

/* Apply the stored events this process may apply (its own documents, and those no live
 * process owns). */
static void
sweep_events(struct gw *g)
{
	struct follow_counts n;
	char *why = NULL;
	memset(&n, 0, sizeof(n));
	if (follow_sweep(g->sp, apply_to_job, g, &n, &why) == -1) {
		log_err("status events: %s", why);
		free(why);
	}
	postmortem_doc(NULL);
	/* documents moved from disk (those in memory are counted by settle_final) */
	if (n.accepted)
		metrics_add("chorusgw_documents_accepted_total", NULL, n.accepted);
	if (n.rejected)
		metrics_add("chorusgw_documents_rejected_total", "cause=\"pa\"", n.rejected);
	g->n_accepted += (uint64_t)n.accepted;
	g->n_rejected += (uint64_t)n.rejected;
}

static void feed_poll(void *);

static void
feed_at(struct gw *g, uint64_t delay)
{
	if (g->feed_timer == NULL && g->feed_call == NULL && !g->stopping)
		g->feed_timer = ev_timer_add(delay, feed_poll, g);
}

/* Read the feed again soon (a document was just taken). */
static void
feed_soon(struct gw *g)
{
	if (g->feed_timer && ev_timer_remaining(g->feed_timer) > 200) {
		ev_timer_del(g->feed_timer);
		g->feed_timer = NULL;
	}
	feed_at(g, 200);
}

static void
on_events(struct tp_reply *rep, void *arg)
{
	struct gw *g = arg;
	struct lane *l = &g->lanes[route_index(ROUTE_PA)];
	char *why = NULL, label[64];
	size_t i;
	int stored = 1;

	g->feed_call = NULL;
	count_call(l, rep);
	if (rep->r.cls != TP_OK) {
		log_warn("%s's statuses not read: %s", tp_label(l->tp),
		         rep->r.reason ? rep->r.reason : "?");
		feed_at(g, rep->r.retry_after_ms > 0 ? (uint64_t)rep->r.retry_after_ms
		                                     : (uint64_t)g->conf->pa_poll_ms);
		tp_reply_free(rep);
		sweep_events(g);
		pump_soon(g);
		return;
	}
	if (follow_store(g->sp, rep, &why) == -1) {
		log_err("status events: %s; read again later", why);
		free(why);
		why = NULL;
		stored = 0;
	}
	for (i = 0; i < rep->nevents && stored; i++) {
		snprintf(label, sizeof(label), "status=\"%s\"", rep->events[i].code);
		metrics_add("chorusgw_pa_statuses_total", label, 1);
	}
	/* the position moves only once every event of the page is durable */
	if (stored && tp_events_done(l->tp, &why) == -1) {
		log_err("status feed position: %s", why);
		free(why);
	}
	feed_at(g, stored && rep->more ? 0 : (uint64_t)g->conf->pa_poll_ms);
	tp_reply_free(rep);
	sweep_events(g);
	pump_soon(g);
}

/* respond.c stored status events (the seller's own statuses): apply them soon. */
static void
statuses_stored(void *arg)
{
	struct gw *g = arg;
	if (g->lanes[route_index(ROUTE_PA)].tp)
		feed_soon(g);
}

/* Read one page of the PA's status feed when this process holds lock/pa-feed (one
 * reader per spool); then, either way, apply the events stored for our documents. */
static void
feed_poll(void *arg)
{
	struct gw *g = arg;
	struct lane *l = &g->lanes[route_index(ROUTE_PA)];
	g->feed_timer = NULL;
	if (l->tp == NULL || g->draining || g->stopping)
		return;
	if (g->feed_lock < 0)
		g->feed_lock = spool_lock_command(g->sp, "pa-feed", NULL);
	if (g->feed_lock < 0) {
		/* another process reads the feed: apply what it stored for us */
		sweep_events(g);
		feed_at(g, (uint64_t)g->conf->pa_poll_ms);
		return;
	}
	g->feed_call = tp_events(l->tp, on_events, g);
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

/* The receiving side's counters (receive.c, respond.c) as metrics. */
static void
incoming_metrics(struct gw *g)
{
	struct receive_stats rs;
	struct respond_stats ps;
	if (g->rx) {
		receive_get_stats(g->rx, &rs);
		metrics_set("chorusgw_incoming_total", "result=\"fetched\"", (double)rs.fetched);
		metrics_set("chorusgw_incoming_total", "result=\"quarantined\"",
		            (double)rs.quarantined);
	}
	if (g->rs) {
		respond_get_stats(g->rs, &ps);
		metrics_set("chorusgw_status_files_total", "result=\"taken\"", (double)ps.taken);
		metrics_set("chorusgw_status_files_total", "result=\"refused\"",
		            (double)ps.refused);
		metrics_set("chorusgw_statuses_sent_total", "result=\"acknowledged\"",
		            (double)ps.acknowledged);
		metrics_set("chorusgw_statuses_sent_total", "result=\"refused\"",
		            (double)ps.rejected);
		metrics_set("chorusgw_statuses_waiting", NULL,
		            (double)(respond_files_waiting(spool_root(g->sp)) +
		                     respond_waiting(spool_root(g->sp), NULL)));
	}
}

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
	incoming_metrics(g);
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
	if (!any_paused(g) && !g->once)
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
	metrics_declare("chorusgw_incoming_total", "counter",
	                "Invoices received through the PA since start, by result (fetched into "
	                "incoming/, quarantined).");
	metrics_declare("chorusgw_status_files_total", "counter",
	                "The ERP's status files since start, by result (taken to be sent, refused "
	                "into rejected/).");
	metrics_declare("chorusgw_statuses_sent_total", "counter",
	                "Lifecycle statuses sent to the PA since start, by its answer "
	                "(acknowledged, refused).");
	metrics_declare("chorusgw_statuses_waiting", "gauge",
	                "Status files not taken yet and statuses sent not yet answered.");
	metrics_declare(
	    "chorusgw_documents", "gauge",
	    "Documents this process holds, by state (received, queued, submitting, deposited).");
	metrics_declare("chorusgw_documents_accepted_total", "counter",
	                "Documents the platform accepted (moved to accepted/).");
	metrics_declare(
	    "chorusgw_documents_rejected_total", "counter",
	    "Documents moved to rejected/, by cause (local, duplicate, hostile, chorus, pa).");
	metrics_declare("chorusgw_deposits_total", "counter",
	                "Deposit calls by result (ok, refused, failed, setup).");
	metrics_declare("chorusgw_retries_total", "counter", "Retries scheduled, by step.");
	metrics_declare("chorusgw_chorus_requests_total", "counter",
	                "Chorus Pro operations by op and classification.");
	metrics_declare("chorusgw_chorus_request_seconds", "histogram",
	                "Latency of Chorus Pro operations (token and pages included).");
	metrics_declare("chorusgw_pa_requests_total", "counter",
	                "Plateforme Agréée operations by op and classification.");
	metrics_declare("chorusgw_pa_request_seconds", "histogram",
	                "Latency of Plateforme Agréée operations (token and pages included).");
	metrics_declare("chorusgw_pa_statuses_total", "counter",
	                "Lifecycle statuses the PA gave documents sent through it, by status.");
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
	                "Document events (claimed, queued, adopted, taken).");
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
	if (!g->scan_done || g->more_on_disk || g->process.head || g->calls_in_flight ||
	    g->feed_call || g->preflights_in_flight)
		return;
	if (((g->rx && !receive_done(g->rx, NULL)) || (g->rs && !respond_done(g->rs, NULL))) &&
	    now < g->deadline)
		return;
	for (i = 0; i < g->njobs; i++) {
		const struct job *j = g->jobs[i];
		if (!job_pending(j))
			continue;
		/* something due before the deadline keeps us here, and a document the platform
		 * took until its first status */
		if (j->ready || j->call || j->awaiting ||
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
	if (any_paused(g))
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

/* The transports of the configured routes (a lane without one stays NULL). */
static int
start_transports(struct gw *g, char **why)
{
	char *cache = xasprintf("%s/.chorusgw/cache", spool_root(g->sp)), *state;
	int i;
	for (i = 0; i < ROUTE_N; i++) {
		g->lanes[i].g = g;
		g->lanes[i].route = i + 1; /* route_index() */
	}
	g->lanes[route_index(ROUTE_CHORUS)].max_in_flight = (int)g->conf->max_in_flight;
	g->lanes[route_index(ROUTE_PA)].max_in_flight = (int)g->conf->pa_max_in_flight;
	if (mkdir_p(cache, 0700, why) == -1) {
		free(cache);
		return -1;
	}
	/* a PA-only set-up has no Chorus Pro credentials: no Chorus Pro route */
	if ((g->conf->client_id || !g->conf->pa) &&
	    (g->lanes[route_index(ROUTE_CHORUS)].tp = tp_new_chorus(g->conf, cache, why)) == NULL) {
		free(cache);
		return -1;
	}
	if (g->conf->pa) {
		if ((g->pa = pa_new(g->conf, cache, why)) == NULL) {
			free(cache);
			return -1;
		}
		pa_observe(g->pa, count_pa, g);
		state = spool_state_path(g->sp, "pa-feed.json", why);
		if (state)
			g->lanes[route_index(ROUTE_PA)].tp =
			    tp_new_pa(g->conf, g->pa, cache, state, spool_tmp(g->sp), why);
		free(state);
		if (g->lanes[route_index(ROUTE_PA)].tp == NULL) {
			free(cache);
			return -1;
		}
		feed_soon(g);
	}
	free(cache);
	if (g->conf->pa && g->conf->incoming_enabled) {
		struct receive_opts o;
		memset(&o, 0, sizeof(o));
		o.once = g->once;
		g->rx = receive_new(g->conf, g->sp, g->pa, &o, why);
		if (g->rx == NULL)
			return -1;
	}
	if (g->conf->pa) {
		/* the seller's statuses on the invoices sent, the buyer's on those received */
		g->rs =
		    respond_new(g->conf, g->sp, g->pa,
		                RESPOND_SELLER | (g->conf->incoming_enabled ? RESPOND_BUYER : 0),
		                g->once, statuses_stored, g, why);
		if (g->rs == NULL)
			return -1;
	}
	return 0;
}

/* Cancel the routes' probes and feed and free their transports (reload, exit). The
 * pause state stays: a reload asks again with the new transports. */
static void
stop_transports(struct gw *g)
{
	int i;
	if (g->feed_call) {
		tp_cancel(g->feed_call);
		g->feed_call = NULL;
	}
	if (g->feed_timer) {
		ev_timer_del(g->feed_timer);
		g->feed_timer = NULL;
	}
	receive_free(g->rx);
	g->rx = NULL;
	respond_free(g->rs);
	g->rs = NULL;
	for (i = 0; i < ROUTE_N; i++) {
		struct lane *l = &g->lanes[i];
		struct pause *p;
		for (p = l->pauses; p; p = p->next)
			if (p->call) {
				/* the pause probe is not counted in calls_in_flight and dies
				 * with the old client: ask again with the new one, or deposits
				 * stay paused for good */
				tp_cancel(p->call);
				p->call = NULL;
				if (p->timer == NULL)
					p->timer = ev_timer_add(0, probe, p);
			}
		tp_free(l->tp);
		l->tp = NULL;
	}
	pa_free(g->pa); /* after everything that used it */
	g->pa = NULL;
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
	stop_transports(g);
	if (g->w) {
		watch_free(g->w);
		g->w = NULL;
	}
	offload_renew(g->off, nc); /* workers forked from now on use the new one */
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
	int i;
	/* forget the jobs without letting job_done() load more from disk (it would refill
	 * the window as fast as it empties, for ever) or scan inbox/ again */
	g->more_on_disk = g->watch_blocked = 0;
	g->scan_done = g->stopping = 1;
	while (g->njobs)
		job_done(g, g->jobs[g->njobs - 1]);
	free(g->jobs);
	for (i = 0; i < ROUTE_N; i++)
		while (g->lanes[i].pauses) {
			struct pause *p = g->lanes[i].pauses;
			g->lanes[i].pauses = p->next;
			pause_free(p);
		}
	if (g->expiry_call)
		tp_cancel(g->expiry_call);
	stop_transports(g);
	while (g->expiries) {
		struct expiry *e = g->expiries;
		g->expiries = e->next;
		free(e->account);
		free(e->siret);
		free(e);
	}
	offload_free(g->off);
	postmortem_unwatch();
	if (g->w)
		watch_free(g->w);
	if (g->sp)
		spool_close(g->sp);
	if (g->ctl_fd >= 0)
		ev_fd_del(g->ctl_fd);
	if (g->feed_lock >= 0)
		spool_unlock_command(g->feed_lock);
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
	g.feed_lock = -1;
	srandom((unsigned)(time(NULL) ^ getpid()));
	g.conf = cmd_load_conf(ctx, CONF_NEED_ALL, !once);
	if (g.conf == NULL)
		return EXIT_CONFIG;
	if (ev_init(&why) == -1)
		goto fail_runtime;
	g.off = offload_new(g.conf, (unsigned)g.conf->workers);
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
	postmortem_watch(g.sp); /* a crash while working on a document counts against it */
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
