/*
 * oauth.c - the pieces of an OAuth2 client-credentials client that do not depend on the
 * API behind the token (oauth.h): the token cache rule, the token request body and the
 * reading of its answer, WWW-Authenticate parameters, bounded answer excerpts with the
 * secrets removed, and one token request shared by every call that waits for it. Used by
 * chorus.c (PISTE) and pa.c (a Plateforme Agréée).
 *
 * Errors: none of its own; absent or unusable values come back as NULL / 0, and what a
 * failed token request means is the client's `answer` hook's to say.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "json.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

struct oauth_client {
	char *url, *client_id, *client_secret, *scope, *ca_file, *what;
	int64_t timeout_ms, connect_timeout_ms;
	void *(*answer)(struct oauth_client *, const struct http_resp *, void *);
	void (*free_failure)(void *);
	void *arg;
	struct oauth_token tok;
	struct http_req *req;
	uint64_t sent_ms;
	int fetches;
	struct oauth_waiter *waiters;  /* waiting for the token, in order */
	struct oauth_waiter *draining; /* waiters being resumed by token_done() */
};

#define TOKEN_MARGIN_MAX_S 240

int
oauth_token_usable(const struct oauth_token *t, uint64_t now)
{
	return t->value != NULL && now < t->use_until_ms;
}

void
oauth_token_store(struct oauth_token *t, const char *value, int64_t expires_in_s, uint64_t sent_ms)
{
	int64_t margin_ms;
	if (expires_in_s <= 0)
		expires_in_s = 60; /* servers say; be careful when one does not */
	margin_ms = expires_in_s * 1000 / 4;
	if (margin_ms > TOKEN_MARGIN_MAX_S * 1000)
		margin_ms = TOKEN_MARGIN_MAX_S * 1000;
	oauth_token_clear(t);
	log_secret(value);
	t->value = xstrdup(value);
	t->expires_in_s = expires_in_s;
	/* counted from when the request left, so the margin also covers its latency */
	t->use_until_ms = sent_ms + (uint64_t)(expires_in_s * 1000 - margin_ms);
}

int
oauth_token_reject(struct oauth_token *t, const char *used)
{
	if (t->value == NULL || used == NULL || strcmp(t->value, used) != 0)
		return 0;
	oauth_token_clear(t);
	return 1;
}

void
oauth_token_clear(struct oauth_token *t)
{
	if (t->value) {
		log_secret_forget(t->value);
		explicit_bzero(t->value, strlen(t->value));
		free(t->value);
	}
	t->value = NULL;
	t->use_until_ms = 0;
	t->expires_in_s = 0;
}

char *
oauth_token_body(const char *client_id, const char *client_secret, const char *scope)
{
	char *id = http_form_escape(client_id), *sec = http_form_escape(client_secret);
	char *sc = scope ? http_form_escape(scope) : NULL;
	char *body = xasprintf("grant_type=client_credentials&client_id=%s&client_secret=%s%s%s",
	                       id, sec, sc ? "&scope=" : "", sc ? sc : "");
	explicit_bzero(sec, strlen(sec));
	free(sec);
	free(id);
	free(sc);
	return body;
}

const char *
oauth_token_of(const struct json *ans, int64_t *expires_in_s)
{
	const char *tok = json_str(json_get(ans, "access_token"));
	const char *type = json_str(json_get(ans, "token_type"));
	*expires_in_s = 0;
	if (tok == NULL || *tok == '\0' || strchr(tok, '\r') || strchr(tok, '\n') ||
	    (type && strcasecmp(type, "Bearer") != 0))
		return NULL;
	json_int(json_get(ans, "expires_in"), expires_in_s);
	return tok;
}

char *
oauth_auth_param(const char *h, const char *name)
{
	const char *p = h;
	size_t n = strlen(name);
	while (p && (p = strcasestr(p, name)) != NULL) {
		const char *v = p + n, *e;
		if ((p == h || !isalnum((unsigned char)p[-1])) && *v == '=') {
			v++;
			if (*v == '"') {
				v++;
				e = strchr(v, '"');
			} else
				e = v + strcspn(v, ", ");
			if (e == NULL)
				e = v + strlen(v);
			return xstrndup(v, (size_t)(e - v));
		}
		p = v;
	}
	return NULL;
}

char *
oauth_excerpt(const char *p, size_t len, size_t max)
{
	size_t n = len;
	char *cut, *red;
	if (p == NULL || n == 0)
		return xstrdup("");
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
	}
	cut = xstrndup(p, n);
	red = log_redact(cut);
	free(cut);
	if (n < len) {
		char *t = xasprintf("%s[... %zu bytes cut]", red, len - n);
		free(red);
		red = t;
	}
	return red;
}

/* ---- the shared token request ---- */

struct oauth_client *
oauth_client_new(const struct oauth_client_cfg *cfg)
{
	struct oauth_client *c = xcalloc(1, sizeof(*c));
	c->url = xstrdup(cfg->token_url);
	c->client_id = xstrdup(cfg->client_id);
	c->client_secret = xstrdup(cfg->client_secret);
	log_secret(c->client_secret);
	c->scope = cfg->scope ? xstrdup(cfg->scope) : NULL;
	c->ca_file = cfg->ca_file ? xstrdup(cfg->ca_file) : NULL;
	c->what = xstrdup(cfg->what ? cfg->what : "token");
	c->timeout_ms = cfg->timeout_ms;
	c->connect_timeout_ms = cfg->connect_timeout_ms;
	c->answer = cfg->answer;
	c->free_failure = cfg->free_failure;
	c->arg = cfg->arg;
	return c;
}

void
oauth_client_free(struct oauth_client *c)
{
	if (c == NULL)
		return;
	if (c->req)
		http_cancel(c->req);
	oauth_token_clear(&c->tok);
	free(c->url);
	free(c->client_id);
	explicit_bzero(c->client_secret, strlen(c->client_secret));
	free(c->client_secret);
	free(c->scope);
	free(c->ca_file);
	free(c->what);
	free(c);
}

const char *
oauth_client_token(const struct oauth_client *c)
{
	return c->tok.value;
}

int64_t
oauth_client_expires_in(const struct oauth_client *c)
{
	return c->tok.expires_in_s;
}

void
oauth_client_store(struct oauth_client *c, const char *token, int64_t expires_in_s)
{
	oauth_token_store(&c->tok, token, expires_in_s, c->sent_ms);
}

int
oauth_client_reject(struct oauth_client *c, const char *used)
{
	return oauth_token_reject(&c->tok, used);
}

int
oauth_client_fetches(const struct oauth_client *c)
{
	return c->fetches;
}

void
oauth_client_cancel(struct oauth_client *c, struct oauth_waiter *w)
{
	struct oauth_waiter **lists[2], **pp;
	int i;
	if (!w->queued)
		return;
	lists[0] = &c->waiters;
	lists[1] = &c->draining;
	for (i = 0; i < 2; i++)
		for (pp = lists[i]; *pp; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				w->next = NULL;
				w->queued = 0;
				return;
			}
}

static void
token_done(struct http_resp *h, void *arg)
{
	struct oauth_client *c = arg;
	struct oauth_waiter *w;
	void *failure;

	c->req = NULL;
	failure = c->answer(c, h, c->arg);
	http_resp_free(h);
	/* `ready` may cancel other waiters or start new calls (which wait for a new token
	 * request): take the current waiters out, one at a time */
	c->draining = c->waiters;
	c->waiters = NULL;
	while ((w = c->draining) != NULL) {
		c->draining = w->next;
		w->next = NULL;
		w->queued = 0;
		w->ready(w, failure);
	}
	if (failure)
		c->free_failure(failure);
}

static void
token_fetch(struct oauth_client *c)
{
	char *body = oauth_token_body(c->client_id, c->client_secret, c->scope);
	static const char *const hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
	                                   "Accept: application/json", NULL};
	struct http_reqspec s;
	memset(&s, 0, sizeof(s));
	s.method = "POST";
	s.url = c->url;
	s.headers = hdrs;
	s.body = body;
	s.body_len = strlen(body);
	s.what = c->what;
	s.ca_file = c->ca_file;
	s.timeout_ms = c->timeout_ms;
	s.connect_timeout_ms = c->connect_timeout_ms;
	c->fetches++;
	c->sent_ms = now_ms();
	c->req = http_request(&s, token_done, c);
	explicit_bzero(body, strlen(body));
	free(body);
}

int
oauth_client_wait(struct oauth_client *c, struct oauth_waiter *w)
{
	struct oauth_waiter **pp = &c->waiters;
	if (oauth_token_usable(&c->tok, now_ms()))
		return 1;
	while (*pp)
		pp = &(*pp)->next;
	w->next = NULL;
	w->queued = 1;
	*pp = w;
	if (c->req == NULL)
		token_fetch(c);
	return 0;
}
