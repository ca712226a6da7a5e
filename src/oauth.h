/*
 * oauth.h - what an OAuth2 client-credentials client needs whatever the API behind it
 * (PISTE for Chorus Pro, a Plateforme Agréée's token URL): the token cache rule, the
 * token request and answer, the parameters of a WWW-Authenticate challenge, and a
 * bounded copy of an answer with the secrets removed, and the token request shared by
 * every call waiting for it (struct oauth_client). Used by chorus.c and pa.c.
 *
 * Ownership: functions returning char * hand a malloc'ed string to the caller.
 */
#ifndef CHORUSGW_OAUTH_H
#define CHORUSGW_OAUTH_H

#include <stddef.h>
#include <stdint.h>

struct json;

/* A cached access token: used until `margin` before it expires, where margin is a
 * quarter of its lifetime, at most 4 minutes. Times are monotonic milliseconds. */
struct oauth_token {
	char *value;
	uint64_t use_until_ms;
	int64_t expires_in_s;
};
int oauth_token_usable(const struct oauth_token *, uint64_t now);
/* Store a new token obtained from a request sent at `sent_ms` (registered with
 * log_secret() until it is cleared). */
void oauth_token_store(struct oauth_token *, const char *value, int64_t expires_in_s,
                       uint64_t sent_ms);
/* A request made with `used` got a 401: drop the cached token when it is still that
 * one (another caller may already hold a newer one). 1 if dropped. */
int oauth_token_reject(struct oauth_token *, const char *used);
void oauth_token_clear(struct oauth_token *);

/* The form body of a client_credentials token request (RFC 6749 4.4); `scope` may be
 * NULL. The caller wipes it (explicit_bzero) and frees it. */
char *oauth_token_body(const char *client_id, const char *client_secret, const char *scope);

/*
 * The token of one client at one token endpoint, fetched once for every caller that
 * waits for it (over http.c, from the event loop). A caller embeds a struct
 * oauth_waiter in its own call and asks oauth_client_wait(): either a token is at hand,
 * or the waiter is queued behind the one token request and its `ready` runs when that
 * request ends.
 */
struct oauth_client;
struct http_resp;

struct oauth_waiter {
	/* From the event loop, once the token request ended: `failure` NULL (a token is at
	 * hand: oauth_client_token()) or what the client's `answer` hook made of the
	 * failure (valid during the call). `ready` may cancel other waiters and start new
	 * calls. */
	void (*ready)(struct oauth_waiter *, const void *failure);
	struct oauth_waiter *next;
	int queued;
};

struct oauth_client_cfg {
	const char *token_url, *client_id, *client_secret, *scope; /* copied */
	const char *ca_file;                                       /* NULL: http.c's */
	int64_t timeout_ms, connect_timeout_ms;                    /* 0: http.c's */
	const char *what;                                          /* for debug logs */
	/* Read the token endpoint's answer `h` (the caller frees it): store the token with
	 * oauth_client_store() and return NULL, or return a failure that every waiter
	 * receives and that free_failure() releases afterwards. */
	void *(*answer)(struct oauth_client *, const struct http_resp *h, void *arg);
	void (*free_failure)(void *);
	void *arg;
};

/* Registers the client secret with log_secret(). */
struct oauth_client *oauth_client_new(const struct oauth_client_cfg *);
/* Cancels the token request (no waiter is called) and wipes the token and secret. */
void oauth_client_free(struct oauth_client *);
/* 1 when a usable token is at hand; else 0 and `w` (its `ready` set) waits. */
int oauth_client_wait(struct oauth_client *, struct oauth_waiter *);
/* Take a waiter out of the queue (its call is cancelled); no-op when not queued. */
void oauth_client_cancel(struct oauth_client *, struct oauth_waiter *);
const char *oauth_client_token(const struct oauth_client *); /* NULL: none */
int64_t oauth_client_expires_in(const struct oauth_client *);
/* From the `answer` hook: keep this token (counted from when the request left). */
void oauth_client_store(struct oauth_client *, const char *token, int64_t expires_in_s);
/* A request made with token `used` got a 401: oauth_token_reject() on the cache. */
int oauth_client_reject(struct oauth_client *, const char *used);
/* Token requests sent so far (tests, metrics). */
int oauth_client_fetches(const struct oauth_client *);
/* The access token of a token answer, borrowed from `ans`; NULL when the answer holds
 * no usable bearer token (absent, empty, a line break, another token_type). */
const char *oauth_token_of(const struct json *ans, int64_t *expires_in_s);

/* A parameter (error, error_description, scope...) of a WWW-Authenticate value; NULL
 * when absent. */
char *oauth_auth_param(const char *www_authenticate, const char *name);

/* `len` bytes of an answer as text for a receipt or a log: at most `max` bytes cut on a
 * UTF-8 boundary (then "[... N bytes cut]"), the secrets known to log.c removed. */
char *oauth_excerpt(const char *p, size_t len, size_t max);

#endif
