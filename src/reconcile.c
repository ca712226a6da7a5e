/*
 * reconcile.c - `chorusgw reconcile`: refresh the Chorus Pro status of every accepted
 * document that is not final yet (deposited -> made available -> ... -> paid, or
 * rejected / suspended by the buyer), update its receipt, move what the buyer rejected
 * to rejected/, and mark what needs an action. Run nightly by chorusgw-reconcile.timer.
 *
 * With a [pa] section it also follows the documents sent through the Plateforme
 * Agréée: it reads the PA's status feed to its end (unless a running daemon holds
 * lock/pa-feed: then that daemon reads it) and applies every stored status to the
 * documents no live process owns (follow.c), as the daemon does.
 *
 * For each document: rechercher/fournisseur by invoice number (every page) gives the
 * Chorus invoice id and current status; when the status changed, consulter/historique
 * gives the dated history and the buyer's comment. A document stops being followed at
 * a final status (MISE_EN_PAIEMENT, REJETEE) or after [gateway] follow_max_age.
 *
 * Errors: a document whose status cannot be read keeps its receipt and is counted; a
 * set-up error stops the run (exit 5); reconcile_main() returns an exit code (cmd.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chorus.h"
#include "cmd.h"
#include "follow.h"
#include "http.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "log.h"
#include "reconcile.h"
#include "receipt.h"
#include "receive.h"
#include "respond.h"
#include "spool.h"
#include "transport.h"
#include "util.h"

struct followed {
	char qid[QID_MAX];
	struct followed *next;
};

/* One reconcile run: its clients, the documents left to refresh, the counts it prints. */
struct run {
	struct conf *conf;
	struct spool *sp;
	struct chorus *ch;
	struct followed *todo;
	int in_flight;
	int setup_error;
	char *setup_reason;
	/* counts */
	int followed, changed, buyer_rejected, action, errors, unchanged;
};

struct item {
	struct run *run;
	struct doc *doc;
	char *prev_status;
	int64_t id;
	/* the search's answer, applied when the history gives nothing better */
	char *status, *status_date, *comment;
};

static void next(struct run *);

/* A status after which nothing more happens to the invoice on the supplier's side. */
static int
status_final(const char *s)
{
	return s && (strcmp(s, "MISE_EN_PAIEMENT") == 0 || strcmp(s, "REJETEE") == 0);
}

static time_t
when(const char *s)
{
	time_t t;
	return s && parse_iso8601(s, &t) == 0 ? t : time(NULL);
}

/* What the supplier must do for a status: "LEAD (the buyer's comment): FIX". */
static const struct {
	const char *status, *lead, *fix;
} actions[] = {
    {"SUSPENDUE", "the buyer suspended the invoice",
     "send the missing documents: chorusgw complete {ID} --attach FILE --comment TEXT (or "
     "\"compléter\" in Chorus Pro); it then goes on as COMPLETEE"},
    {"A_COMPLETER", "the buyer asks for the invoice to be completed",
     "chorusgw complete {ID} --attach FILE --comment TEXT (or in Chorus Pro)"},
    {"A_RECYCLER", "the buyer says it was sent to the wrong recipient",
     "send it to the right one: chorusgw recycle {ID} --buyer SIRET or --service CODE (or "
     "\"recycler\" it in Chorus Pro; same invoice number)"},
    {"REJETEE", "the buyer rejected the invoice",
     "issue a new invoice with a new number; Chorus Pro refuses this number from now on"},
};

/* What the supplier must do about document `qid` for a status, or NULL when nothing.
 * Caller frees. */
static char *
action_for(const char *status, const char *comment, const char *qid)
{
	size_t i;
	for (i = 0; i < nitems(actions); i++)
		if (strcmp(status, actions[i].status) == 0) {
			/* the fix names the document where it has a command to run */
			const char *at = strstr(actions[i].fix, "{ID}");
			char *fix = at ? xasprintf("%.*s%s%s", (int)(at - actions[i].fix),
			                           actions[i].fix, qid, at + 4)
			               : xstrdup(actions[i].fix);
			char *r =
			    xasprintf("%s (%s): %s", actions[i].lead,
			              comment && *comment ? comment : "no comment given", fix);
			free(fix);
			return r;
		}
	return NULL;
}

static void
item_end(struct item *it)
{
	struct run *run = it->run;
	doc_free(it->doc);
	free(it->prev_status);
	free(it->status);
	free(it->status_date);
	free(it->comment);
	free(it);
	run->in_flight--;
	next(run);
}

static void
store(struct item *it)
{
	struct run *run = it->run;
	struct doc *d = it->doc;
	char *why = NULL;
	int moved = 0;

	if (d->chorus_status && strcmp(d->chorus_status, "REJETEE") == 0) {
		doc_clear_reasons(d);
		doc_add_reason(d, "the buyer rejected the invoice in Chorus Pro: %s",
		               d->chorus_status_comment ? d->chorus_status_comment
		                                        : "no comment given");
		doc_set_state(d, DOC_REJECTED, "rejected by the buyer");
		if (spool_move(run->sp, d, SF_REJECTED, NULL, 0, &why) == -1) {
			log_doc(LOG_LVL_ERR, d->qid, d->original_name, "move to rejected/: %s",
			        why);
			free(why);
			run->errors++;
			return;
		}
		moved = 1;
		run->buyer_rejected++;
	} else if (spool_save(run->sp, d, &why) == -1) {
		log_doc(LOG_LVL_ERR, d->qid, d->original_name, "save: %s", why);
		free(why);
		run->errors++;
		return;
	}
	log_doc(moved ? LOG_LVL_WARN : LOG_LVL_INFO, d->qid, d->original_name,
	        "Chorus Pro status %s -> %s%s%s", it->prev_status ? it->prev_status : "(none)",
	        d->chorus_status, d->action_required ? "; action required: " : "",
	        d->action_required ? d->action : "");
}

/* Apply a new status (and optionally the history) to the document. */
static void
apply_status(struct item *it, const char *status, const char *date, const char *comment)
{
	struct doc *d = it->doc;
	char *act;
	doc_set(&d->chorus_status, status);
	d->chorus_status_date = when(date);
	doc_set(&d->chorus_status_comment, comment);
	doc_set(&d->status_code, status);
	doc_set(&d->status_label, chorus_status_label(status));
	d->status_date = d->chorus_status_date;
	doc_set(&d->status_reason, comment && *comment ? comment : NULL);
	doc_note(d, "Chorus Pro status %s%s%s", status, comment && *comment ? ": " : "",
	         comment && *comment ? comment : "");
	act = action_for(status, comment, d->qid);
	d->action_required = act != NULL;
	doc_set(&d->action, act);
	free(act);
	if (d->action_required)
		it->run->action++;
}

static void
on_history(struct chorus_reply *rep, void *arg)
{
	struct item *it = arg;
	struct run *run = it->run;
	size_t n = rep->history.n;

	if (rep->r.cls == CHORUS_OK && n > 0) {
		/* the newest event carries the buyer's comment and the date */
		const struct chorus_status_event *e = &rep->history.v[n - 1];
		size_t i;
		for (i = 0; i < n; i++)
			if (rep->history.v[i].date && e->date &&
			    when(rep->history.v[i].date) > when(e->date))
				e = &rep->history.v[i];
		apply_status(it, rep->history.current ? rep->history.current : e->status, e->date,
		             e->comment);
	} else {
		if (rep->r.cls == CHORUS_SETUP) {
			run->setup_error = 1;
			free(run->setup_reason);
			run->setup_reason = xstrdup(rep->r.reason ? rep->r.reason : "set-up error");
		}
		/* without history, the search's status stands */
		apply_status(it, it->status, it->status_date, it->comment);
	}
	store(it);
	run->changed++;
	chorus_reply_free(rep);
	item_end(it);
}

static void
on_search(struct chorus_reply *rep, void *arg)
{
	struct item *it = arg;
	struct run *run = it->run;
	struct doc *d = it->doc;
	const struct chorus_invoice *inv = NULL;
	size_t i;

	if (rep->r.cls != CHORUS_OK) {
		if (rep->r.cls == CHORUS_SETUP) {
			run->setup_error = 1;
			free(run->setup_reason);
			run->setup_reason = xstrdup(rep->r.reason ? rep->r.reason : "set-up error");
		}
		log_doc(LOG_LVL_WARN, d->qid, d->original_name, "status not refreshed: %s",
		        rep->r.reason ? rep->r.reason : "?");
		run->errors++;
		chorus_reply_free(rep);
		item_end(it);
		return;
	}
	for (i = 0; i < rep->invoices.n; i++) {
		const struct chorus_invoice *v = &rep->invoices.v[i];
		if (v->number == NULL || strcmp(v->number, d->invoice_number) != 0)
			continue;
		if (!chorus_invoice_of(v, doc_supplier_section(d)))
			continue;
		if (d->numero_flux_depot && v->flux && strcmp(v->flux, d->numero_flux_depot) != 0)
			continue;
		inv = v;
	}
	if (inv == NULL) {
		log_doc(LOG_LVL_WARN, d->qid, d->original_name,
		        "invoice %s not found in Chorus Pro; status not refreshed",
		        d->invoice_number);
		run->errors++;
		chorus_reply_free(rep);
		item_end(it);
		return;
	}
	it->id = inv->id;
	if (d->chorus_invoice_id == NULL) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)inv->id);
		doc_set(&d->chorus_invoice_id, id);
	}
	if (d->chorus_status && inv->status && strcmp(d->chorus_status, inv->status) == 0) {
		run->unchanged++;
		chorus_reply_free(rep);
		item_end(it);
		return;
	}
	it->status = xstrdup(inv->status ? inv->status : "?");
	it->status_date = inv->status_date ? xstrdup(inv->status_date) : NULL;
	it->comment = inv->comment ? xstrdup(inv->comment) : NULL;
	chorus_reply_free(rep);
	/* the history gives the date and the buyer's comment of the change */
	chorus_history(run->ch, doc_supplier_section(d), it->id, on_history, it);
}

static void
next(struct run *run)
{
	while (!run->setup_error && run->todo && run->in_flight < run->conf->max_in_flight) {
		struct followed *f = run->todo;
		struct item *it;
		struct chorus_search_req req;
		char *why = NULL;

		run->todo = f->next;
		it = xcalloc(1, sizeof(*it));
		it->run = run;
		if (spool_load(run->sp, f->qid, &it->doc, &why) == -1) {
			log_warn("reconcile %s: %s", f->qid, why);
			free(why);
			free(it);
			free(f);
			run->errors++;
			continue;
		}
		free(f);
		if (it->doc->state != DOC_ACCEPTED) { /* moved meanwhile */
			doc_free(it->doc);
			free(it);
			continue;
		}
		it->prev_status = it->doc->chorus_status ? xstrdup(it->doc->chorus_status) : NULL;
		memset(&req, 0, sizeof(req));
		req.supplier_siret = doc_supplier_section(it->doc);
		req.number = it->doc->invoice_number;
		run->in_flight++;
		chorus_search(run->ch, &req, on_search, it);
	}
	if (run->in_flight == 0 && (run->todo == NULL || run->setup_error))
		ev_break();
}

/* Collect the accepted documents to follow (only their ids stay in memory). */
static int
collect(struct run *run, char **why)
{
	struct spool_iter *iter = spool_iter_open(run->sp, SPOOL_ITER_FINAL, why);
	struct followed **tail = &run->todo;
	struct doc *d;
	time_t now = time(NULL);
	int r;
	if (iter == NULL)
		return -1;
	while ((r = spool_iter_next(iter, &d, why)) == 1) {
		time_t since = d->deposit_date ? d->deposit_date : d->received;
		/* a document sent through the PA is followed by its feed (reconcile_pa) */
		int pa = d->route && strcmp(d->route, "pa") == 0;
		if (!pa && d->state == DOC_ACCEPTED && !status_final(d->chorus_status) &&
		    d->invoice_number &&
		    (int64_t)(now - since) * 1000 < run->conf->follow_max_age_ms) {
			struct followed *f = xcalloc(1, sizeof(*f));
			snprintf(f->qid, sizeof(f->qid), "%s", d->qid);
			*tail = f;
			tail = &f->next;
			run->followed++;
		}
		doc_free(d);
	}
	spool_iter_close(iter);
	return r == -1 ? -1 : 0;
}

/* ---- incoming: resynchronise over [incoming] resync_window ---- */

struct resync {
	struct receive *rx;
	struct respond *rs;
	uint64_t deadline;
};

static void
resync_tick(void *arg)
{
	struct resync *r = arg;
	if ((receive_done(r->rx, NULL) && respond_done(r->rs, NULL)) || now_ms() >= r->deadline) {
		ev_break();
		return;
	}
	ev_timer_add(100, resync_tick, r);
}

/*
 * Search the PA's incoming flows again over the window: a flow the polls missed is
 * fetched now and reported as a gap; the statuses waiting for an answer are followed
 * once more, those still not acknowledged are reported. 0, or -1 when the PA could not
 * be read to the end (*failed) or the disk failed (*why).
 */
static int
resync_incoming(struct run *run, int *failed, char **why)
{
	struct resync r;
	struct receive_opts o;
	struct receive_stats st;
	struct buf waiting;
	size_t nwait;
	int rx_failed = 0, rs_failed = 0;
	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.once = 1;
	o.resync_ms = run->conf->incoming_resync_ms;
	r.rx = receive_new(run->conf, run->sp, NULL, &o, why);
	if (r.rx == NULL)
		return -1;
	r.rs = respond_new(run->conf, run->sp, NULL, RESPOND_BUYER | RESPOND_SELLER, 1, NULL, NULL,
	                   why);
	if (r.rs == NULL) {
		receive_free(r.rx);
		return -1;
	}
	r.deadline = now_ms() + (uint64_t)run->conf->once_wait_ms;
	ev_timer_add(0, resync_tick, &r);
	if (ev_run(why) == -1) {
		receive_free(r.rx);
		respond_free(r.rs);
		return -1;
	}
	receive_done(r.rx, &rx_failed);
	respond_done(r.rs, &rs_failed);
	receive_get_stats(r.rx, &st);
	receive_free(r.rx);
	respond_free(r.rs);
	buf_init(&waiting);
	nwait = respond_waiting(spool_root(run->sp), &waiting);
	printf("reconcile: incoming: %llu flow(s) at the PA over the window, %llu already fetched, "
	       "%llu gap(s) fetched now, %llu quarantined now, %zu status(es) not acknowledged%s\n",
	       (unsigned long long)st.seen, (unsigned long long)st.known,
	       (unsigned long long)st.fetched, (unsigned long long)st.quarantined, nwait,
	       rx_failed ? "; the PA could not be read to the end (see the log)" : "");
	if (waiting.len)
		fputs(waiting.p, stdout);
	buf_free(&waiting);
	*failed = rx_failed || rs_failed;
	return 0;
}

struct feed_wait {
	int done;
	struct tp_reply *rep;
};

static void
feed_done(struct tp_reply *rep, void *arg)
{
	struct feed_wait *w = arg;
	w->rep = rep;
	w->done = 1;
}

/* The PA: read its status feed to the end (when no daemon holds it), store the
 * statuses, apply them. EXIT_OK, EXIT_SETUP or EXIT_RUNTIME; says what it did. */
static int
reconcile_pa(struct run *run, const char *cache, char **why)
{
	char *state = spool_state_path(run->sp, "pa-feed.json", why);
	struct transport *tp;
	struct follow_counts n;
	int lk, pages = 0, code = EXIT_OK;
	size_t read = 0;

	if (state == NULL)
		return EXIT_RUNTIME;
	tp = tp_new_pa(run->conf, NULL, cache, state, spool_tmp(run->sp), why);
	free(state);
	if (tp == NULL)
		return EXIT_RUNTIME;
	lk = spool_lock_command(run->sp, "pa-feed", NULL);
	if (lk == -1)
		printf("reconcile: the PA's statuses are read by a running chorusgw\n");
	while (lk != -1) {
		struct feed_wait w;
		memset(&w, 0, sizeof(w));
		tp_events(tp, feed_done, &w);
		if (http_run_until(&w.done, why) == -1) {
			code = EXIT_RUNTIME;
			break;
		}
		if (w.rep->r.cls != TP_OK) {
			fprintf(stderr, "chorusgw: reconcile: the PA's statuses not read: %s%s%s\n",
			        w.rep->r.reason ? w.rep->r.reason : "?", w.rep->r.setup ? "; " : "",
			        w.rep->r.setup ? w.rep->r.setup : "");
			code = w.rep->r.cls == TP_SETUP ? EXIT_SETUP : EXIT_RUNTIME;
			tp_reply_free(w.rep);
			break;
		}
		pages++;
		read += w.rep->nevents;
		if (follow_store(run->sp, w.rep, why) == -1 || tp_events_done(tp, why) == -1) {
			tp_reply_free(w.rep);
			code = EXIT_RUNTIME;
			break;
		}
		if (!w.rep->more) {
			tp_reply_free(w.rep);
			break;
		}
		tp_reply_free(w.rep);
	}
	spool_unlock_command(lk);
	tp_free(tp);
	memset(&n, 0, sizeof(n));
	if (code != EXIT_RUNTIME && follow_sweep(run->sp, NULL, NULL, &n, why) == -1)
		code = EXIT_RUNTIME;
	printf("reconcile: PA: %zu status(es) read in %d page(s), %d applied, %d accepted, %d "
	       "rejected, %d left for the process that owns them\n",
	       read, pages, n.applied, n.accepted, n.rejected, n.kept);
	return code;
}

int
reconcile_main(const struct cmd_ctx *ctx)
{
	struct run run;
	char *why = NULL, *cache;
	int code = EXIT_OK, lk = -1;

	memset(&run, 0, sizeof(run));
	run.conf = cmd_load_conf(ctx, CONF_NEED_ALL, 0);
	if (run.conf == NULL)
		return EXIT_CONFIG;
	if (ev_init(&why) == -1) {
		code = EXIT_RUNTIME;
		goto out;
	}
	run.sp = cmd_open_spool(run.conf, SPOOL_ADMIN, &why);
	if (run.sp == NULL) {
		code = EXIT_CONFIG;
		goto out;
	}
	/* two runs (the timer and an operator) would refresh and rewrite the same receipts */
	lk = spool_lock_command(run.sp, "reconcile", &why);
	if (lk == -1) {
		code = EXIT_RUNTIME;
		goto out;
	}
	cache = xasprintf("%s/.chorusgw/cache", spool_root(run.sp));
	if (mkdir_p(cache, 0700, &why) == -1) {
		free(cache);
		code = EXIT_RUNTIME;
		goto out;
	}
	if (run.conf->pa) {
		code = reconcile_pa(&run, cache, &why);
		if (code == EXIT_RUNTIME) {
			free(cache);
			goto out;
		}
	}
	/* a PA-only set-up has no Chorus Pro account to ask */
	if (run.conf->client_id) {
		if (collect(&run, &why) == -1) {
			free(cache);
			code = EXIT_RUNTIME;
			goto out;
		}
		run.ch = chorus_new(run.conf, cache, &why);
		if (run.ch == NULL) {
			free(cache);
			code = EXIT_RUNTIME;
			goto out;
		}
		next(&run);
		/* next() may start nothing (every document moved meanwhile): its ev_break()
		 * would come before the loop runs, and the loop would wait forever */
		if (run.in_flight > 0 && ev_run(&why) == -1) {
			free(cache);
			code = EXIT_RUNTIME;
			goto out;
		}
		printf("reconcile: %d followed, %d changed, %d unchanged, %d rejected by the "
		       "buyer, %d need an action, %d not refreshed\n",
		       run.followed, run.changed, run.unchanged, run.buyer_rejected, run.action,
		       run.errors);
	}
	free(cache);
	if (run.conf->incoming_enabled) {
		int failed = 0;
		if (resync_incoming(&run, &failed, &why) == -1) {
			code = EXIT_RUNTIME;
			goto out;
		}
		if (failed)
			run.errors++;
	}
	if (run.setup_error) {
		fprintf(stderr, "chorusgw: reconcile stopped: %s; run chorusgw test-connection\n",
		        run.setup_reason);
		code = EXIT_SETUP;
	} else if (run.errors)
		code = EXIT_RUNTIME;
	else if (code == EXIT_SETUP)
		fprintf(stderr, "chorusgw: reconcile: run chorusgw test-connection\n");
out:
	if (why) {
		fprintf(stderr, "chorusgw: reconcile: %s\n", why);
		free(why);
	}
	while (run.todo) {
		struct followed *f = run.todo;
		run.todo = f->next;
		free(f);
	}
	free(run.setup_reason);
	chorus_free(run.ch);
	spool_unlock_command(lk);
	if (run.sp)
		spool_close(run.sp);
	ev_fini();
	conf_free(run.conf);
	return code;
}
