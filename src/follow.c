/*
 * follow.c - a sent document's statuses, whatever the route (follow.h): the stored form
 * of a status event (JSON through json.c) and what an event does to the document's
 * record (history, status fields, action_required, final state). The gateway and
 * reconcile apply events through it, so both write the same receipt.
 *
 * Errors: follow_event_parse() returns -1 on a malformed event; nothing else fails.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "json.h"
#include "log.h"
#include "receipt.h"
#include "spool.h"
#include "util.h"

static const char *const outcomes[] = {"pending", "taken", "accepted", "rejected"};

char *
follow_event_text(const struct tp_event *e)
{
	struct json *o = json_new_object();
	char *s;
	json_set_int(o, "version", 1);
	json_set_str(o, "id", e->id);
	json_set_str(o, "ref_key", e->ref_key);
	json_set_str(o, "ref_number", e->ref_number);
	json_set_str(o, "code", e->code);
	json_set_str(o, "label", e->label);
	json_set_str(o, "by", e->by);
	json_set_int(o, "when", (int64_t)e->when);
	json_set_str(o, "reason", e->reason);
	json_set_str(o, "outcome", outcomes[e->outcome]);
	json_set_str(o, "action", e->action);
	json_set_bool(o, "reusable", e->reusable);
	json_set_str(o, "note", e->note);
	s = json_dump(o, 0);
	json_free(o);
	return s;
}

int
follow_event_parse(const char *text, struct tp_event *e)
{
	struct json *o = json_parse(text, strlen(text), NULL);
	int64_t ver = 0, when = 0;
	const char *oc;
	size_t i;
	memset(e, 0, sizeof(*e));
	if (o == NULL || json_int(json_get(o, "version"), &ver) == -1 || ver != 1 ||
	    json_str(json_get(o, "id")) == NULL || json_str(json_get(o, "code")) == NULL) {
		json_free(o);
		return -1;
	}
	e->id = json_get_strdup(o, "id");
	e->ref_key = json_get_strdup(o, "ref_key");
	e->ref_number = json_get_strdup(o, "ref_number");
	e->code = json_get_strdup(o, "code");
	e->label = json_get_strdup(o, "label");
	e->by = json_get_strdup(o, "by");
	json_int(json_get(o, "when"), &when);
	e->when = (time_t)when;
	e->reason = json_get_strdup(o, "reason");
	e->action = json_get_strdup(o, "action");
	e->note = json_get_strdup(o, "note");
	json_bool(json_get(o, "reusable"), &e->reusable);
	oc = json_path_str(o, "outcome", "pending");
	for (i = 0; i < nitems(outcomes); i++)
		if (strcmp(oc, outcomes[i]) == 0)
			e->outcome = (enum tp_outcome)i;
	json_free(o);
	return 0;
}

/* Was the event `id` applied already? Its id ends the history line it wrote. */
static int
applied(const struct doc *d, const char *id)
{
	size_t i, n = strlen(id);
	for (i = 0; i < d->nhistory; i++) {
		const char *note = d->history[i].note;
		size_t m = note ? strlen(note) : 0;
		if (m > n + 2 && note[m - 1] == ']' && strncmp(note + m - 1 - n, id, n) == 0 &&
		    note[m - 2 - n] == '[')
			return 1;
	}
	return 0;
}

int
follow_apply(struct doc *d, const struct tp_event *e)
{
	char day[32], *note;
	if (applied(d, e->id))
		return 0;
	if (e->note) {
		doc_note(d, "%s [%s]", e->note, e->id);
		return 1;
	}
	fmt_time_utc(day, sizeof(day), e->when ? e->when : time(NULL));
	note = xasprintf("status %s %s%s%s on %s%s%s [%s]", e->code, e->label ? e->label : "",
	                 e->by ? " from " : "", e->by ? e->by : "", day, e->reason ? ": " : "",
	                 e->reason ? e->reason : "", e->id);
	doc_set(&d->status_code, e->code);
	doc_set(&d->status_label, e->label);
	d->status_date = e->when ? e->when : time(NULL);
	doc_set(&d->status_reason, e->reason);
	/* an action is wanted while the last status asks for one */
	d->action_required = e->action != NULL;
	doc_set(&d->action, e->action);
	switch (e->outcome) {
	case TP_ACCEPTED:
		doc_clear_reasons(d);
		doc_set_state(d, DOC_ACCEPTED, note);
		break;
	case TP_REJECTED:
		doc_clear_reasons(d);
		doc_add_reason(d, "%s %s%s%s on %s%s%s", e->code, e->label ? e->label : "",
		               e->by ? " from " : "", e->by ? e->by : "", day,
		               e->reason ? ": " : "", e->reason ? e->reason : "");
		if (e->action)
			doc_add_reason(d, "to fix: %s", e->action);
		doc_set_state(d, DOC_REJECTED, note);
		break;
	default:
		doc_note(d, "%s", note);
		break;
	}
	free(note);
	return 1;
}

void
follow_log(const char *qid, const char *name, const struct tp_event *e)
{
	if (e->note)
		log_doc(LOG_LVL_INFO, qid, name, "%s", e->note);
	else
		log_doc(LOG_LVL_INFO, qid, name, "status %s %s%s%s", e->code,
		        e->label ? e->label : "", e->reason ? ": " : "",
		        e->reason ? e->reason : "");
}

int
follow_store(struct spool *sp, const struct tp_reply *rep, char **why)
{
	size_t i;
	for (i = 0; i < rep->nevents; i++) {
		const struct tp_event *e = &rep->events[i];
		char *qid = NULL, *text;
		int r = spool_ref_get(sp, e->ref_key, e->ref_number, &qid, why);
		if (r == -1)
			return -1;
		if (r == 1) {
			log_debug(
			    "status %s for invoice %s of %s, which chorusgw did not send: ignored",
			    e->code, e->ref_number, e->ref_key);
			continue;
		}
		text = follow_event_text(e);
		r = spool_event_put(sp, qid, text, why);
		free(text);
		free(qid);
		if (r == -1)
			return -1;
	}
	return 0;
}

struct sweep {
	struct spool *sp;
	follow_mem_cb *in_memory;
	void *arg;
	struct follow_counts *n;
	const struct tp_event *e;
};

/* An event on a record this process may change (spool_with_doc). */
static int
apply_on_disk(void *arg, struct spool *sp, struct doc *d, char **why)
{
	struct sweep *w = arg;
	const struct tp_event *e = w->e;
	enum doc_state before = d->state;
	char *err = NULL;
	if (follow_apply(d, e) == 0)
		return 0;
	w->n->applied++;
	follow_log(d->qid, d->original_name, e);
	if (d->state == before)
		return spool_save(sp, d, why);
	if (d->state == DOC_REJECTED && e->reusable && d->invoice_number &&
	    spool_dup_release(sp, doc_supplier_key(d), d->invoice_number, d->qid, &err) == -1) {
		log_doc(LOG_LVL_WARN, d->qid, d->original_name, "duplicate index: %s", err);
		free(err);
	}
	if (spool_move(sp, d, d->state == DOC_ACCEPTED ? SF_ACCEPTED : SF_REJECTED, NULL, 0, why) ==
	    -1)
		return -1;
	if (d->state == DOC_ACCEPTED)
		w->n->accepted++;
	else
		w->n->rejected++;
	return 0;
}

static int
on_stored(void *arg, const char *qid, const char *text)
{
	struct sweep *w = arg;
	struct tp_event e;
	char *why = NULL;
	int r = -1;
	if (follow_event_parse(text, &e) == -1) {
		log_warn("a status event of document %s is unreadable; dropped", qid);
		return 1;
	}
	if (w->in_memory)
		r = w->in_memory(w->arg, qid, &e);
	if (r == -1) {
		w->e = &e;
		r = spool_with_doc(w->sp, qid, apply_on_disk, w, &why);
		if (r == -1 && errno == ENOENT) {
			log_warn("a status event names document %s, which does not exist; dropped",
			         qid);
			r = 1;
		} else if (r == -1) {
			log_doc(LOG_LVL_ERR, qid, NULL, "status %s not applied yet: %s", e.code,
			        why);
			r = 0; /* kept for the next sweep */
		} else
			r = r == 1 ? 0 : 1; /* spool_with_doc 1: its live owner applies it */
		free(why);
	}
	if (r == 0)
		w->n->kept++;
	tp_event_clear(&e);
	return r;
}

int
follow_sweep(struct spool *sp, follow_mem_cb *in_memory, void *arg, struct follow_counts *n,
             char **why)
{
	struct sweep w;
	memset(&w, 0, sizeof(w));
	w.sp = sp;
	w.in_memory = in_memory;
	w.arg = arg;
	w.n = n;
	return spool_event_each(sp, on_stored, &w, why);
}
