/*
 * http.h - HTTP(S) requests over libcurl's multi interface, driven by ev.c (no
 * threads, no busy loop). The only module that includes curl: callers see our own
 * types. One client per process, shared by the modules that talk HTTP (chorus.c, pa.c):
 * each calls http_init() before its first request and http_fini() when done.
 *
 * A request is asynchronous: http_request() queues it (at most max_in_flight run at
 * once, the rest wait in order) and the completion callback receives the response.
 * TLS verification is always on. Keep-alive is used for every request except those
 * flagged HTTP_FRESH, which get a new connection that is closed after them, so
 * libcurl can never re-send them on its own (DESIGN §2.5).
 */
#ifndef CHORUSGW_HTTP_H
#define CHORUSGW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct http_opts {
	const char *ca_file;        /* PEM bundle; NULL: the system's store */
	int64_t connect_timeout_ms; /* TCP + TLS */
	int64_t timeout_ms;         /* whole request */
	int max_in_flight;          /* requests running at once (>= 1) */
	size_t max_answer;          /* larger answer bodies fail with HTTP_FAIL_TOO_BIG */
};

/* Why a request got no usable HTTP answer. */
enum http_fail {
	HTTP_FAIL_NONE = 0,   /* an HTTP answer arrived (any status) */
	HTTP_FAIL_RESOLVE,    /* host name not found (DNS) */
	HTTP_FAIL_CONNECT,    /* TCP connection refused or unreachable */
	HTTP_FAIL_TLS,        /* TLS handshake failed (protocol, cipher, reset) */
	HTTP_FAIL_TLS_VERIFY, /* the server's certificate is not trusted / wrong name */
	HTTP_FAIL_TIMEOUT,    /* connect or total timeout */
	HTTP_FAIL_DROPPED,    /* connection closed or reset without a full answer */
	HTTP_FAIL_TOO_BIG,    /* the answer exceeded max_answer */
	HTTP_FAIL_CANCELLED,  /* http_fini() while in flight */
	HTTP_FAIL_OTHER,      /* anything else libcurl reports */
};

#define HTTP_FRESH 0x1 /* new connection, never reused: for non-idempotent POSTs */

/* One part of a multipart/form-data body (RFC 7578). */
struct http_part {
	const char *name;         /* the form field */
	const char *filename;     /* NULL: none */
	const char *content_type; /* NULL: none (text/plain) */
	const void *data;         /* copied */
	size_t len;
	const char *path; /* instead of data: the file read by libcurl as it sends (copied) */
};

/* A POST body streamed as `head` + base64 of the file at `path` + `tail`: libcurl pulls
 * it in chunks as it sends (the file is never held whole in memory, each pull does a
 * bounded amount of work). The file is opened when the body reaches it (not through a
 * symbolic link), read again from the start if libcurl rewinds; when it cannot be read
 * or does not hold `size` bytes the request fails (HTTP_FAIL_OTHER, error says why;
 * maybe_sent as for any failure after sending began). */
struct http_stream {
	const char *head; /* copied */
	const char *path; /* copied */
	uint64_t size;    /* the file's bytes */
	const char *tail; /* copied */
};

struct http_reqspec {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
	const void *body;           /* POST body (copied); may be NULL */
	size_t body_len;
	/* POST as multipart/form-data with these parts instead of `body`; the
	 * Content-Type header (with its boundary) is set by http.c */
	const struct http_part *parts;
	size_t nparts;
	const struct http_stream *stream; /* POST this streamed body instead of `body` */
	unsigned flags;                   /* HTTP_FRESH */
	int64_t timeout_ms;               /* 0: the client's default */
	int64_t connect_timeout_ms;       /* 0: the client's default */
	const char *ca_file;              /* PEM bundle for this request; NULL: the client's */
	const char *what; /* short label for debug logs ("deposer/flux"); never a secret */
};

struct http_resp {
	long status;         /* HTTP status; 0 when none arrived */
	enum http_fail fail; /* HTTP_FAIL_NONE when an answer arrived */
	int curl_code;       /* libcurl's result code, for the record (0 = none) */
	/* 1 when the request may have reached the server: the connection was set up and
	 * sending started. 0 means it certainly was not processed. */
	int maybe_sent;
	char *error; /* one line when fail != NONE ("connection refused"), else NULL */
	struct buf body;
	char *content_type;        /* NULL when absent */
	char *retry_after;         /* raw header value, NULL when absent */
	char *www_authenticate;    /* NULL when absent */
	char *content_disposition; /* NULL when absent */
	uint64_t elapsed_ms;
	int reused; /* the answer came over a reused (keep-alive) connection */
};

struct http_req;
/* Receives the response; the callee owns it and frees it with http_resp_free(). */
typedef void http_done_cb(struct http_resp *, void *arg);

/* Set up the client (ev_init() must have been called), or join it when another module
 * did: the first caller's options hold, and each later caller adds its max_in_flight
 * (its own share of the requests at once). 0 / -1 with *why. */
int http_init(const struct http_opts *, char **why);
/* Leave the client; the last one out aborts everything (callbacks are not called) and
 * releases it. */
void http_fini(void);

/* Queue a request; returns a handle valid until the callback runs or http_cancel(). */
struct http_req *http_request(const struct http_reqspec *, http_done_cb *, void *arg);
/* Forget a request: it is aborted if running; its callback is never called. */
void http_cancel(struct http_req *);
/* Requests running / waiting for a slot. */
int http_in_flight(void);
int http_queued(void);

void http_resp_free(struct http_resp *);

/* Run the event loop until *done becomes non-zero (for one-shot commands). 0 / -1. */
int http_run_until(const int *done, char **why);
/* One request, synchronously: returns the response (caller frees it). */
struct http_resp *http_fetch(const struct http_reqspec *);

/* Percent-encode for application/x-www-form-urlencoded. Caller frees. */
char *http_form_escape(const char *);
/* Percent-encode one path segment or query value (RFC 3986). Caller frees. */
char *http_path_escape(const char *);
/* Retry-After (delta-seconds or HTTP-date) in milliseconds from now; -1 if absent or
 * malformed. `now` is the wall clock in seconds. */
int64_t http_retry_after_ms(const char *value, time_t now);
/* The file name of a Content-Disposition value (`attachment; filename="a.xml"`), NULL
 * when it names none. Caller frees; the name is as sent (check it before any use). */
char *http_disposition_filename(const char *value);
/* A request that got no answer (h->fail), in words for a reason: "cannot connect to
 * HOST (connection refused)"; `timeout_ms` is the timeout the request had. Caller
 * frees. The platform clients (chorus.c, pa.c) add what to check. */
char *http_fail_reason(const struct http_resp *h, const char *host, int64_t timeout_ms);
/* Short English name of a status ("Service Unavailable"), "" when unknown. */
const char *http_status_text(long);

#endif
