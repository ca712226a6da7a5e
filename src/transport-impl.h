/*
 * transport-impl.h - what a transport implementation (transport-chorus.c,
 * transport-pa.c) shares with transport.c: its table of operations, the common part of
 * a transport and of a call, and the helpers that build and deliver replies. Included
 * by the transport*.c files only; the gateway sees transport.h.
 */
#ifndef CHORUSGW_TRANSPORT_IMPL_H
#define CHORUSGW_TRANSPORT_IMPL_H

#include "transport.h"
#include "util.h"

struct ev_timer;

struct tp_ops {
	/* each may return NULL only where transport.h says so */
	struct tp_call *(*check_buyer)(struct transport *, struct doc *, const struct invoice *,
	                               tp_cb *, void *);
	struct tp_call *(*send)(struct transport *, struct doc *, const char *, uint64_t, tp_cb *,
	                        void *);
	struct tp_call *(*find)(struct transport *, struct doc *, int, tp_cb *, void *);
	struct tp_call *(*follow)(struct transport *, struct doc *, tp_cb *, void *);
	struct tp_call *(*probe)(struct transport *, const char *, int, tp_cb *, void *);
	/* NULL when the route has none (transport.h says what each returns then) */
	struct tp_call *(*buyer)(struct transport *, struct doc *, const struct invoice *, tp_cb *,
	                         void *);
	struct tp_call *(*events)(struct transport *, tp_cb *, void *);
	int (*events_done)(struct transport *, char **);
	int (*ref)(const struct transport *, const struct doc *, const char **, const char **);
	int (*taken)(const struct transport *, const struct doc *);
	/* cancel the call's inner operation (call->inner); the call is freed after */
	void (*cancel_inner)(struct tp_call *);
	void (*free)(struct transport *);
	/* the route's accounts; NULL: it has none to tell apart */
	const char *(*account)(struct transport *, const char *siret);
	size_t (*naccounts)(struct transport *);
	const char *(*account_name)(struct transport *, size_t);
	struct tp_call *(*account_expiry)(struct transport *, size_t, tp_cb *, void *);
	int (*fits)(struct transport *, size_t, const struct invoice *, char **);
};

/* The common part of every transport: implementations embed it first. */
struct transport {
	const struct tp_ops *ops;
	const char *label, *metric;
	struct tp_call *calls; /* every live call */
};

struct tp_call {
	struct transport *t;
	struct doc *doc;
	struct tp_reply *reply;
	tp_cb *cb;
	void *arg;
	void *inner;               /* the implementation's operation in flight, or NULL */
	int step;                  /* the implementation's step within a chained operation */
	int flags;                 /* the implementation's */
	void *data;                /* the implementation's, freed with the call: */
	void (*free_data)(void *); /* NULL: free() */
	const struct invoice *inv; /* check_buyer: the caller's, valid until the reply */
	uint64_t t0;
	struct ev_timer *defer;
	struct tp_call *prev, *next;
};

/* A call of `t` for `doc` (may be NULL), metrics op name `op`. */
struct tp_call *tp_call_new(struct transport *, struct doc *, const char *op, tp_cb *, void *);
/* Deliver the reply to the callback and free the call. */
void tp_call_finish(struct tp_call *);
/* The same, from the event loop (never from inside the call that started it). */
void tp_call_finish_later(struct tp_call *);
/* Cancel every live call of `t` (no callback). */
void tp_cancel_all(struct transport *);

void tp_reply_add_reason(struct tp_reply *, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Replace reply->r's reason / setup with a formatted one. */
void tp_set_reason(struct tp_result *, const char *fmt, ...) PRINTFLIKE(2, 3);
void tp_result_clear(struct tp_result *);

#endif
