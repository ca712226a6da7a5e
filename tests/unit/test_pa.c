/*
 * Unit tests of pa.c's pure parts: the classification of every kind of answer of the
 * Flow and Directory Services (the table of pa_classify()), the unknown-outcome rule of
 * a send, and the words of XP Z12-012 / Z12-013 (status labels, reason codes).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cdar.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "pa.h"
#include "tap.h"
#include "util.h"

static struct pa_env env = {"pa.example:443", "client-7", 0, 60000};

static struct http_resp *
answer(long status, const char *body, const char *ctype)
{
	struct http_resp *h = xcalloc(1, sizeof(*h));
	buf_init(&h->body);
	h->status = status;
	if (body)
		buf_adds(&h->body, body);
	h->content_type = ctype ? xstrdup(ctype) : NULL;
	h->maybe_sent = 1;
	return h;
}

static struct http_resp *
with_header(struct http_resp *h, const char *www, const char *retry)
{
	h->www_authenticate = www ? xstrdup(www) : NULL;
	h->retry_after = retry ? xstrdup(retry) : NULL;
	return h;
}

static struct http_resp *
failure(enum http_fail f, int maybe_sent, const char *err)
{
	struct http_resp *h = answer(0, NULL, NULL);
	h->fail = f;
	h->maybe_sent = maybe_sent;
	h->error = xstrdup(err);
	return h;
}

static enum pa_class
cls(enum pa_op op, struct http_resp *h, struct pa_result *r)
{
	struct json *j = pa_classify(op, h, &env, r);
	json_free(j);
	http_resp_free(h);
	return r->cls;
}

static const char *JSON = "application/json";

int
main(void)
{
	struct pa_result r;

	log_init("test", LOG_TARGET_STDERR, LOG_LVL_ERR, 0);

	/* ---- answers ---- */
	is_int(cls(PA_OP_SEND, answer(202, "{\"flowId\":\"F1\"}", JSON), &r), PA_OK, "202: ok");
	ok(r.reason == NULL && !r.unknown_outcome, "no reason, outcome known");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEND, answer(202, "<html>maintenance</html>", "text/html"), &r), PA_RETRY,
	       "202 that is not JSON: retry");
	ok(r.unknown_outcome, "... and the send's outcome is unknown");
	ok(contains(r.reason, "search it by trackingId"), "... which says what to do: %s",
	   r.reason);
	pa_result_clear(&r);
	is_int(cls(PA_OP_HEALTH, answer(200, "", NULL), &r), PA_OK, "healthcheck 200, empty: ok");
	pa_result_clear(&r);
	is_int(cls(PA_OP_GET, answer(200, "%PDF-1.7 binary", "application/octet-stream"), &r),
	       PA_OK, "a downloaded file: ok, not JSON");
	is_str(r.raw, "", "... not kept as the raw answer");
	pa_result_clear(&r);

	/* ---- the send ---- */
	is_int(cls(PA_OP_SEND,
	           answer(400,
	                  "{\"errorCode\":\"MISSING_REQUIRED_FIELD\","
	                  "\"errorMessage\":\"flowInfo.name is missing\"}",
	                  JSON),
	           &r),
	       PA_DOCUMENT, "send 400: the flow is refused");
	is_str(r.error_code, "MISSING_REQUIRED_FIELD", "errorCode kept");
	ok(contains(r.reason, "MISSING_REQUIRED_FIELD: flowInfo.name is missing"),
	   "the reason quotes the PA: %s", r.reason);
	ok(!r.unknown_outcome, "... a refusal is a known outcome");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEND, answer(413, "{\"errorCode\":\"FILE_SIZE_EXCEEDED\"}", JSON), &r),
	       PA_DOCUMENT, "send 413: too large");
	ok(contains(r.reason, "too large"), "says so: %s", r.reason);
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEND, answer(503, "{\"errorCode\":\"RESOURCE_ERROR\"}", JSON), &r),
	       PA_RETRY, "send 503: retry");
	ok(r.unknown_outcome, "send 503: outcome unknown (it may have been recorded)");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEND, failure(HTTP_FAIL_DROPPED, 1, "Empty reply"), &r), PA_RETRY,
	       "send: connection lost after sending: retry");
	ok(r.unknown_outcome, "... outcome unknown");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEND, failure(HTTP_FAIL_CONNECT, 0, "Connection refused"), &r), PA_RETRY,
	       "send: cannot connect: retry");
	ok(!r.unknown_outcome, "... certainly not sent");
	ok(contains(r.setup, "[pa] url"), "... names the key to check: %s", r.setup);
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEARCH, answer(503, "{\"errorCode\":\"RESOURCE_ERROR\"}", JSON), &r),
	       PA_RETRY, "search 503: retry");
	ok(!r.unknown_outcome, "... a search has no unknown outcome");
	pa_result_clear(&r);

	/* ---- rate, faults of the set-up ---- */
	is_int(
	    cls(PA_OP_SEARCH,
	        with_header(answer(429, "{\"errorCode\":\"TOO_MANY_REQUESTS\"}", JSON), NULL, "7"),
	        &r),
	    PA_RETRY, "429: retry");
	is_int(r.retry_after_ms, 7000, "Retry-After honoured");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEARCH,
	           with_header(answer(401, "{\"errorCode\":\"EXPIRED_TOKEN\"}", JSON),
	                       "Bearer realm=\"pa\", error=\"invalid_token\", "
	                       "error_description=\"The access token expired\"",
	                       NULL),
	           &r),
	       PA_SETUP, "401 (after the one refresh): set-up");
	ok(contains(r.reason, "The access token expired"),
	   "WWW-Authenticate's error_description read: %s", r.reason);
	pa_result_clear(&r);
	is_int(cls(PA_OP_TOKEN,
	           with_header(answer(401, "{\"error\":\"invalid_client\"}", JSON), "Basic", NULL),
	           &r),
	       PA_SETUP, "token 401: set-up");
	ok(contains(r.setup, "client_id (client-7)"), "names the client: %s", r.setup);
	pa_result_clear(&r);
	is_int(cls(PA_OP_TOKEN, answer(400, "{\"error\":\"invalid_scope\"}", JSON), &r), PA_SETUP,
	       "token 400 invalid_scope: set-up");
	ok(contains(r.setup, "[pa] scope"), "says which key: %s", r.setup);
	pa_result_clear(&r);
	is_int(cls(PA_OP_TOKEN, answer(404, "{\"errorCode\":\"MISSING_RESOURCE\"}", JSON), &r),
	       PA_SETUP, "token 404: set-up");
	ok(contains(r.setup, "customer part"), "the token URL's customer part: %s", r.setup);
	pa_result_clear(&r);
	is_int(cls(PA_OP_DIR_HEALTH,
	           with_header(answer(403, "{\"errorCode\":\"FORBIDDEN_ACCESS\"}", JSON),
	                       "Bearer error=\"insufficient_scope\", scope=\"health.read\"", NULL),
	           &r),
	       PA_SETUP, "403 insufficient_scope: set-up");
	ok(contains(r.setup, "scope health.read"), "names the scope: %s", r.setup);
	pa_result_clear(&r);
	env.has_org = 1;
	is_int(cls(PA_OP_SEND, answer(403, "{\"errorCode\":\"FORBIDDEN_ACCESS\"}", JSON), &r),
	       PA_SETUP, "403 with an Organization-Id: set-up");
	ok(contains(r.setup, "organization_id"), "points at organization_id: %s", r.setup);
	env.has_org = 0;
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEARCH, answer(404, "{\"errorCode\":\"MISSING_RESOURCE\"}", JSON), &r),
	       PA_SETUP, "search 404: the URL is wrong");
	ok(contains(r.setup, "[pa] url"), "says which: %s", r.setup);
	pa_result_clear(&r);
	is_int(
	    cls(PA_OP_SEARCH,
	        answer(400, "{\"errorCode\":\"INVALID_CURSOR\",\"errorMessage\":\"forged\"}", JSON),
	        &r),
	    PA_DOCUMENT, "a refused cursor: the request's fault, not the set-up's");
	pa_result_clear(&r);
	is_int(cls(PA_OP_SEARCH, answer(400, "{\"errorCode\":\"UNKNOWN_FIELD\"}", JSON), &r),
	       PA_SETUP, "another 400 on a search: chorusgw and the PA disagree: set-up");
	pa_result_clear(&r);
	is_int(cls(PA_OP_HEALTH, failure(HTTP_FAIL_TLS_VERIFY, 0, "self-signed certificate"), &r),
	       PA_SETUP, "untrusted certificate: set-up");
	ok(contains(r.setup, "[pa] ca_file"), "names ca_file: %s", r.setup);
	pa_result_clear(&r);

	/* ---- the Directory ---- */
	is_int(cls(PA_OP_SIREN, answer(404, "{\"errorCode\":\"MISSING_RESOURCE\"}", JSON), &r),
	       PA_OK, "Directory 404: an answer (no such company)");
	pa_result_clear(&r);
	is_int(cls(PA_OP_GET, answer(404, "{\"errorCode\":\"MISSING_RESOURCE\"}", JSON), &r),
	       PA_DOCUMENT, "GET of an unknown flow: that flow's fault");
	pa_result_clear(&r);

	/* ---- words ---- */
	is_str(cdv_status_label("212"), "Encaissée", "212 Encaissée");
	is_str(cdv_status_label("213"), "Rejetée", "213 Rejetée (not 123: BR-FR-CDV-15's typo)");
	ok(cdv_status_label("299") == NULL, "unknown status: NULL");
	ok(contains(pa_reason_words("REJ_UNI"), "already deposited"), "REJ_UNI in words");
	ok(contains(pa_ack_words("AlreadyExistingFlow"), "trackingId"),
	   "AlreadyExistingFlow in words");
	ok(pa_ack_words(NULL) == NULL, "no code: NULL");
	is_str(pa_class_name(PA_DOCUMENT), "document", "class names");
	return done_testing();
}
