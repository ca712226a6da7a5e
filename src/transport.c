/*
 * transport.c - what every transport shares: dispatch of the gateway's operations to
 * the route's implementation (transport-impl.h), the life of a call (created, finished
 * from the event loop, cancelled), and replies (reasons, results).
 *
 * Errors: none of its own; replies carry the implementations' classification.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ev.h"
#include "log.h"
#include "transport-impl.h"
#include "util.h"

const char *
tp_class_name(enum tp_class c)
{
	switch (c) {
	case TP_OK:
		return "ok";
	case TP_RETRY:
		return "retry";
	case TP_SETUP:
		return "setup";
	case TP_DOCUMENT:
		return "document";
	}
	fatalx("tp_class_name: no transport outcome class %d", (int)c);
}

const char *
tp_label(const struct transport *t)
{
	return t->label;
}

const char *
tp_metric(const struct transport *t)
{
	return t->metric;
}

/* ---- replies ---- */

void
tp_result_clear(struct tp_result *r)
{
	free(r->reason);
	free(r->setup);
	free(r->advice);
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

void
tp_set_reason(struct tp_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

void
tp_reply_add_reason(struct tp_reply *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	p->reasons = xreallocarray(p->reasons, p->nreasons + 1, sizeof(*p->reasons));
	p->reasons[p->nreasons++] = xvasprintf(fmt, ap);
	va_end(ap);
}

void
tp_event_clear(struct tp_event *e)
{
	free(e->ref_key);
	free(e->ref_number);
	free(e->id);
	free(e->code);
	free(e->label);
	free(e->by);
	free(e->reason);
	free(e->action);
	free(e->note);
	memset(e, 0, sizeof(*e));
}

void
tp_reply_free(struct tp_reply *p)
{
	size_t i;
	if (p == NULL)
		return;
	tp_result_clear(&p->r);
	free(p->id);
	free(p->note);
	free(p->detail);
	free(p->action);
	for (i = 0; i < p->nreasons; i++)
		free(p->reasons[i]);
	free(p->reasons);
	buyer_req_free(p->buyer);
	free(p->entity);
	for (i = 0; i < p->nevents; i++)
		tp_event_clear(&p->events[i]);
	free(p->events);
	free(p);
}

/* ---- calls ---- */

struct tp_call *
tp_call_new(struct transport *t, struct doc *doc, const char *op, tp_cb *cb, void *arg)
{
	struct tp_call *c = xcalloc(1, sizeof(*c));
	c->t = t;
	c->doc = doc;
	c->cb = cb;
	c->arg = arg;
	c->t0 = now_ms();
	c->reply = xcalloc(1, sizeof(*c->reply));
	c->reply->op = op;
	c->reply->r.retry_after_ms = -1;
	c->next = t->calls;
	if (t->calls)
		t->calls->prev = c;
	t->calls = c;
	return c;
}

static void
call_unlink(struct tp_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void
call_free(struct tp_call *c)
{
	if (c->defer)
		ev_timer_del(c->defer);
	tp_reply_free(c->reply);
	if (c->free_data)
		c->free_data(c->data);
	else
		free(c->data);
	free(c);
}

void
tp_call_finish(struct tp_call *c)
{
	struct tp_reply *p = c->reply;
	tp_cb *cb = c->cb;
	void *arg = c->arg;
	p->r.elapsed_ms = now_ms() - c->t0;
	if (p->r.cls != TP_OK)
		log_debug("%s: %s: %s: %s", c->t->metric, p->op, tp_class_name(p->r.cls),
		          p->r.reason ? p->r.reason : "");
	c->reply = NULL;
	call_unlink(c);
	call_free(c);
	cb(p, arg);
}

static void
on_defer(void *arg)
{
	struct tp_call *c = arg;
	c->defer = NULL;
	tp_call_finish(c);
}

void
tp_call_finish_later(struct tp_call *c)
{
	c->defer = ev_timer_add(0, on_defer, c);
}

void
tp_cancel(struct tp_call *c)
{
	if (c == NULL)
		return;
	if (c->inner)
		c->t->ops->cancel_inner(c);
	call_unlink(c);
	call_free(c);
}

void
tp_cancel_all(struct transport *t)
{
	while (t->calls)
		tp_cancel(t->calls);
}

void
tp_free(struct transport *t)
{
	if (t == NULL)
		return;
	tp_cancel_all(t);
	t->ops->free(t);
}

/* ---- dispatch ---- */

struct tp_call *
tp_check_buyer(struct transport *t, struct doc *d, const struct invoice *inv, tp_cb *cb, void *arg)
{
	return t->ops->check_buyer(t, d, inv, cb, arg);
}

struct tp_call *
tp_send(struct transport *t, struct doc *d, const char *path, uint64_t size, tp_cb *cb, void *arg)
{
	return t->ops->send(t, d, path, size, cb, arg);
}

struct tp_call *
tp_find(struct transport *t, struct doc *d, int other, tp_cb *cb, void *arg)
{
	return t->ops->find(t, d, other, cb, arg);
}

struct tp_call *
tp_follow(struct transport *t, struct doc *d, tp_cb *cb, void *arg)
{
	return t->ops->follow(t, d, cb, arg);
}

struct tp_call *
tp_probe(struct transport *t, const char *siret, int follow, tp_cb *cb, void *arg)
{
	return t->ops->probe(t, siret, follow, cb, arg);
}

int
tp_fits(struct transport *t, size_t len, const struct invoice *inv, char **why)
{
	return t->ops->fits ? t->ops->fits(t, len, inv, why) : 0;
}

const char *
tp_account(struct transport *t, const char *siret)
{
	return t->ops->account ? t->ops->account(t, siret) : NULL;
}

size_t
tp_naccounts(struct transport *t)
{
	return t->ops->naccounts ? t->ops->naccounts(t) : 0;
}

const char *
tp_account_name(struct transport *t, size_t i)
{
	return t->ops->account_name ? t->ops->account_name(t, i) : NULL;
}

struct tp_call *
tp_account_expiry(struct transport *t, size_t i, tp_cb *cb, void *arg)
{
	return t->ops->account_expiry(t, i, cb, arg);
}

struct tp_call *
tp_buyer(struct transport *t, struct doc *d, const struct invoice *inv, tp_cb *cb, void *arg)
{
	return t->ops->buyer ? t->ops->buyer(t, d, inv, cb, arg) : NULL;
}

struct tp_call *
tp_events(struct transport *t, tp_cb *cb, void *arg)
{
	return t->ops->events ? t->ops->events(t, cb, arg) : NULL;
}

int
tp_events_done(struct transport *t, char **why)
{
	return t->ops->events_done ? t->ops->events_done(t, why) : 0;
}

int
tp_taken(const struct transport *t, const struct doc *d)
{
	return t->ops->taken ? t->ops->taken(t, d) : 0;
}

int
tp_ref(const struct transport *t, const struct doc *d, const char **key, const char **number)
{
	return t->ops->ref ? t->ops->ref(t, d, key, number) : 0;
}
