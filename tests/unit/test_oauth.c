/*
 * Unit tests of oauth.c: the token cache rule, the token request and answer, the
 * parameters of a WWW-Authenticate challenge, bounded answer excerpts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "oauth.h"
#include "tap.h"
#include "util.h"

static struct json *
parse(const char *text)
{
	return json_parse(text, strlen(text), NULL);
}

int
main(void)
{
	struct oauth_token t;
	struct json *j;
	int64_t exp;
	char *s;

	log_init("test", LOG_TARGET_STDERR, LOG_LVL_ERR, 0);

	/* ---- token cache ---- */
	memset(&t, 0, sizeof(t));
	ok(!oauth_token_usable(&t, 0), "no token: not usable");
	oauth_token_store(&t, "tok-A-0123456789", 3600, 1000);
	ok(oauth_token_usable(&t, 1000), "fresh token usable");
	ok(oauth_token_usable(&t, 1000 + 3600000 - 240000 - 1), "usable until 4 min before expiry");
	ok(!oauth_token_usable(&t, 1000 + 3600000 - 240000), "not in the last 4 minutes");
	oauth_token_store(&t, "tok-B-0123456789", 60, 0);
	ok(oauth_token_usable(&t, 44999) && !oauth_token_usable(&t, 45000),
	   "short lifetime: a quarter kept as margin");
	oauth_token_store(&t, "tok-C-0123456789", 0, 0);
	ok(oauth_token_usable(&t, 44999) && !oauth_token_usable(&t, 45000),
	   "no expires_in: treated as 60 s");
	is_int(oauth_token_reject(&t, "tok-B-0123456789"), 0,
	       "a 401 for an older token leaves the newer one");
	ok(oauth_token_usable(&t, 1), "still usable");
	is_int(oauth_token_reject(&t, "tok-C-0123456789"), 1, "a 401 for the current one drops it");
	ok(!oauth_token_usable(&t, 1), "then no token");
	oauth_token_store(&t, "tok-D-0123456789", 3600, 0);
	s = log_redact("Bearer tok-D-0123456789");
	is_str(s, "Bearer ********", "a stored token is redacted from every log line");
	free(s);
	oauth_token_clear(&t);
	ok(t.value == NULL, "cleared");
	s = log_redact("tok-D-0123456789");
	is_str(s, "tok-D-0123456789", "a dropped token is forgotten by the redaction list");
	free(s);

	/* ---- the token request and its answer ---- */
	s = oauth_token_body("my app", "s&cret=1", NULL);
	is_str(s, "grant_type=client_credentials&client_id=my+app&client_secret=s%26cret%3D1",
	       "token body, form-escaped, no scope");
	free(s);
	s = oauth_token_body("id", "sec", "openid");
	is_str(s, "grant_type=client_credentials&client_id=id&client_secret=sec&scope=openid",
	       "token body with a scope");
	free(s);
	j = parse("{\"access_token\":\"abc\",\"token_type\":\"bearer\",\"expires_in\":300}");
	is_str(oauth_token_of(j, &exp), "abc", "the access token");
	is_int(exp, 300, "its lifetime");
	json_free(j);
	j = parse("{\"access_token\":\"abc\",\"token_type\":\"mac\"}");
	ok(oauth_token_of(j, &exp) == NULL, "another token_type: not usable");
	json_free(j);
	j = parse("{\"access_token\":\"a\\nb\"}");
	ok(oauth_token_of(j, &exp) == NULL, "a line break in the token: refused");
	json_free(j);
	ok(oauth_token_of(NULL, &exp) == NULL, "no answer: no token");

	/* ---- WWW-Authenticate ---- */
	s = oauth_auth_param("Bearer realm=\"pa\", error=\"invalid_token\", "
	                     "error_description=\"The access token expired\"",
	                     "error_description");
	is_str(s, "The access token expired", "a quoted parameter");
	free(s);
	s = oauth_auth_param("Bearer realm=\"pa\", error=\"invalid_token\", "
	                     "error_description=\"The access token expired\"",
	                     "error");
	is_str(s, "invalid_token", "error, not the start of error_description");
	free(s);
	s = oauth_auth_param("Bearer error=insufficient_scope, scope=health.read", "scope");
	is_str(s, "health.read", "an unquoted parameter");
	free(s);
	ok(oauth_auth_param("Basic", "error") == NULL, "absent: NULL");
	ok(oauth_auth_param(NULL, "error") == NULL, "no header: NULL");

	/* ---- excerpts ---- */
	log_secret("s3cr3t-value-1234");
	s = oauth_excerpt("{\"x\":\"s3cr3t-value-1234\"}", 25, 100);
	is_str(s, "{\"x\":\"********\"}", "secrets removed");
	free(s);
	s = oauth_excerpt("abcdéf", 7, 5);
	is_str(s, "abcd[... 3 bytes cut]", "cut before a multibyte character, said so");
	free(s);
	s = oauth_excerpt(NULL, 0, 5);
	is_str(s, "", "nothing: empty");
	free(s);
	return done_testing();
}
