/*
 * pa.c - the Plateforme Agréée client over http.c, a sibling of chorus.c: the OAuth2
 * client_credentials token of the PA (per-customer token URL; cached, refreshed once
 * on a 401, one request shared by every caller waiting for it), the headers of every
 * call (Authorization, Organization-Id, Request-Id), the Flow Service (multipart send
 * with sha256, search with cursor paging, download, healthcheck) and the Directory
 * Service (SIREN, SIRET, routing code, directory lines; answers cached on disk), and
 * the classification of every answer into OK / RETRY / SETUP / DOCUMENT with a reason
 * in plain words (the table is pa_classify()).
 *
 * JSON goes through json.c only. Secrets (the client secret, access tokens) are
 * registered with log_secret() and never passed to the logger; raw answers kept for
 * receipts are redacted too.
 *
 * Errors: pa_new() returns NULL with *why; operations always end in their callback with
 * a classified reply (unless cancelled).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "oauth.h"
#include "pa.h"
#include "sha256.h"
#include "util.h"

#define MAX_PAGES         1000 /* a search never reads more pages than this */
#define SEARCH_LIMIT      100  /* Limit: maximum 100 */
#define LINES_LIMIT       100
#define NEGATIVE_CACHE_MS (3600 * 1000LL) /* "no such SIREN" is trusted at most 1 h */
#define CACHE_MAX_BYTES   (4 * 1024 * 1024)
#define FILE_MAX_BYTES    (128u * 1024 * 1024) /* a flow is at most 100 MB */

struct pa {
	const struct conf *conf;
	char *flow_url, *dir_url;
	char *flow_host, *dir_host, *token_host;
	char *client_id, *org_header, *ca_file;
	int64_t timeout_ms, connect_timeout_ms;
	struct oauth_client *oc; /* the token, shared by every call */
	struct pa_call *calls;   /* every live call */
	char *cache_dir;
	int64_t cache_ttl_ms;
	pa_observer *obs;
	void *obs_arg;
};

struct pa_call {
	struct pa *pa;
	enum pa_op op;
	char *url;
	const char *method;
	int directory; /* a Directory call: cached, 404 is an answer */
	unsigned flags;
	char *body; /* JSON body, or NULL */
	struct http_part parts[2];
	size_t nparts;
	char *flow_info; /* send: the flowInfo part */
	char *filename;  /* send: the file part's name (a copy: the token may be awaited) */
	void *data;      /* send: a copy of the file... */
	char *path;      /* ...or its path (libcurl reads it as it sends) */
	size_t len;
	int refreshed;
	char *token_used;
	char *cache_key; /* Directory: the cache file's key */
	struct http_req *req;
	struct ev_timer *defer;
	struct oauth_waiter w; /* waiting for the token */
	struct pa_call *prev, *next;
	struct pa_reply *reply;
	pa_cb *cb;
	void *arg;
	uint64_t t0;
	/* search */
	struct pa_search_req sq;
	char *sq_strings[5]; /* copies of the request's strings */
	struct json *seen;   /* flow ids already kept */
};

static void call_begin(struct pa_call *);
static void *token_answer(struct oauth_client *, const struct http_resp *, void *);
static void free_failure(void *);
static void call_send(struct pa_call *);
static void call_finish(struct pa_call *);

/* ---------------------------------------------------------------------------------
 * names and words
 */

const char *
pa_class_name(enum pa_class c)
{
	switch (c) {
	case PA_OK:
		return "ok";
	case PA_RETRY:
		return "retry";
	case PA_SETUP:
		return "setup";
	case PA_DOCUMENT:
		return "document";
	}
	fatalx("pa_class_name: no PA outcome class %d", (int)c);
}

void
pa_observe(struct pa *pa, pa_observer *obs, void *arg)
{
	pa->obs = obs;
	pa->obs_arg = arg;
}

const char *
pa_op_metric(enum pa_op op)
{
	switch (op) {
	case PA_OP_TOKEN:
		return "token";
	case PA_OP_HEALTH:
	case PA_OP_DIR_HEALTH:
		return "health";
	case PA_OP_SEND:
		return "send";
	case PA_OP_SEARCH:
		return "search";
	case PA_OP_GET:
		return "download";
	case PA_OP_SIREN:
	case PA_OP_SIRET:
	case PA_OP_ROUTING:
	case PA_OP_LINE:
	case PA_OP_LINES:
		return "directory";
	}
	fatalx("pa_op_metric: no PA operation %d", (int)op);
}

const char *
pa_op_name(enum pa_op op)
{
	switch (op) {
	case PA_OP_TOKEN:
		return "token";
	case PA_OP_HEALTH:
		return "GET /v1/healthcheck";
	case PA_OP_DIR_HEALTH:
		return "Directory GET /v1/healthcheck";
	case PA_OP_SEND:
		return "POST /v1/flows";
	case PA_OP_SEARCH:
		return "POST /v1/flows/search";
	case PA_OP_GET:
		return "GET /v1/flows/{flowId}";
	case PA_OP_SIREN:
		return "GET /v1/siren";
	case PA_OP_SIRET:
		return "GET /v1/siret";
	case PA_OP_ROUTING:
		return "GET /v1/routing-code";
	case PA_OP_LINE:
		return "GET /v1/directory-line";
	case PA_OP_LINES:
		return "POST /v1/directory-line/search";
	}
	fatalx("pa_op_name: no PA operation %d", (int)op);
}

struct words {
	const char *code, *words;
};

static const char *
lookup(const struct words *t, size_t n, const char *code)
{
	size_t i;
	if (code == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(t[i].code, code) == 0)
			return t[i].words;
	return NULL;
}

const char *
pa_reason_words(const char *code)
{
	/* BR-FR-CDV-CL-09 */
	static const struct words t[] = {
	    {"REJ_SEMAN", "the invoice breaks a French rule (BR-FR) or EN 16931 rule"},
	    {"REJ_UNI",
	     "an invoice with this number was already deposited by the seller this year"},
	    {"REJ_COH", "the invoice contradicts itself (e.g. a "
	                "B2B processing rule for a public buyer)"},
	    {"REJ_ADR", "the buyer's electronic address (BT-49) is "
	                "not a receiving address of the Directory"},
	    {"REJ_CONT_B2G", "a public buyer's requirement is not met (engagement number, service "
	                     "code, public entity)"},
	    {"REJ_REF_PJ", "an attachment's reference is wrong"},
	    {"REJ_ASS_PJ", "an attachment is not associated as required"},
	    {"IRR_VIDE_F", "the file is empty"},
	    {"IRR_TYPE_F", "the file's type is not allowed"},
	    {"IRR_SYNTAX", "the file is not valid XML for its syntax"},
	    {"IRR_TAILLE_PJ", "an attachment is too large"},
	    {"IRR_NOM_PJ", "an attachment's name is not allowed"},
	    {"IRR_VID_PJ", "an attachment is empty"},
	    {"IRR_EXT_DOC", "an attachment's extension is not allowed"},
	    {"IRR_TAILLE_F", "the file is too large"},
	    {"IRR_ANTIVIRUS", "a virus was found in the file"},
	    {"IRR_NOM_F", "the file's name is not allowed"},
	    {"TX_TVA_ERR", "wrong VAT rate"},
	    {"MONTANTTOTAL_ERR", "wrong total amount"},
	    {"CALCUL_ERR", "calculation error"},
	    {"NON_CONFORME", "not compliant"},
	    {"DOUBLON", "duplicate invoice"},
	    {"DEST_INC", "unknown recipient"},
	    {"DEST_ERR", "wrong recipient"},
	    {"TRANSAC_INC", "unknown transaction"},
	    {"EMMET_INC", "unknown issuer"},
	    {"CONTRAT_TERM", "the contract has ended"},
	    {"DOUBLE_FACT", "invoiced twice"},
	    {"CMD_ERR", "wrong order reference"},
	    {"ADR_ERR", "wrong address"},
	    {"SIRET_ERR", "wrong SIRET"},
	    {"CODE_ROUTAGE_ERR", "wrong routing code"},
	    {"REF_CT_ABSENT", "the contract reference is missing"},
	    {"REF_ERR", "wrong reference"},
	    {"PU_ERR", "wrong unit price"},
	    {"REM_ERR", "wrong discount"},
	    {"QTE_ERR", "wrong quantity"},
	    {"ART_ERR", "wrong item"},
	    {"MODPAI_ERR", "wrong payment means"},
	    {"QUALITE_ERR", "the quality of the goods or service is disputed"},
	    {"LIVR_INCOMP", "the delivery is incomplete"},
	    {"RETRAIT_MAN_SERV", "withdrawn by the service"},
	    {"ST_CT_NON_DECLAR", "the subcontractor was not declared"},
	    {"SUPPR_COMP_AVOIR", "cancelled by a credit note"},
	    {"TRANSF_PMNT_REGIE", "the payment was transferred to a régie"},
	    {"CONTACT_ACHTR", "contact the buyer"},
	    {"NON_TRANSMISE", "not transmitted"},
	    {"JUSTIF_ABS", "a supporting document is missing"},
	    {"ROUTAGE_ERR", "routing error"},
	    {"COORD_BANC_ERR", "wrong bank details"},
	    {"AUTRE", "other reason"},
	};
	return lookup(t, nitems(t), code);
}

const char *
pa_ack_words(const char *code)
{
	/* ReasonCodeEnum, Flow Service 1.3.0 */
	static const struct words t[] = {
	    {"EmptyAttachement", "an attachment is empty"},
	    {"AttachmentTypeError", "an attachment's type or extension is not allowed"},
	    {"EmptyFlow", "the file is empty"},
	    {"OtherTechnicalError", "another technical error"},
	    {"InvalidSchema", "the file is not valid against its XML schema"},
	    {"FileSizeExceeded", "the file is too large"},
	    {"FlowTypeError", "the file's type or extension does not fit its syntax"},
	    {"AlreadyExistingFlow", "a flow with this trackingId was already sent"},
	    {"VirusFound", "a virus was found in the file"},
	    {"ChecksumMismatch", "the file does not match its sha256"},
	    {"InvoiceLCInvalidStatus", "a status is inconsistent with the invoice's history"},
	    {"InvoiceLCStatusError", "a status is wrong or not allowed"},
	    {"InvoiceLCRuleError", "a lifecycle rule is broken"},
	    {"InvoiceLCAccessDenied", "a status is not allowed to this sender"},
	    {"InvoiceLCAmountError", "an amount is inconsistent with the invoice"},
	};
	return lookup(t, nitems(t), code);
}

static int
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

const struct pa_line *
pa_best_line(const struct pa_line *v, size_t n, const char *siret, const char *routing)
{
	const struct pa_line *at_siret = NULL, *at_siren = NULL;
	size_t i;
	for (i = 0; i < n; i++) {
		const struct pa_line *l = &v[i];
		if (siret && routing && same(l->siret, siret) && same(l->routing, routing))
			return l;
		if (siret && same(l->siret, siret) && l->routing == NULL && l->suffix == NULL)
			at_siret = l;
		if (l->siret == NULL && l->routing == NULL && l->suffix == NULL)
			at_siren = l;
	}
	return at_siret ? at_siret : at_siren;
}

int
pa_line_receives(const struct pa_line *l)
{
	return l && same(l->status, "Enabled");
}

/* ---------------------------------------------------------------------------------
 * classification (pure)
 */

void
pa_result_clear(struct pa_result *r)
{
	free(r->error_code);
	free(r->error_message);
	free(r->reason);
	free(r->setup);
	free(r->raw);
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

static void PRINTFLIKE(2, 3) set_reason(struct pa_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

static void PRINTFLIKE(2, 3) set_setup(struct pa_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->setup);
	r->setup = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The [pa] key holding the URL an operation uses. */
static const char *
url_key(enum pa_op op)
{
	switch (op) {
	case PA_OP_TOKEN:
		return "token_url";
	case PA_OP_DIR_HEALTH:
	case PA_OP_SIREN:
	case PA_OP_SIRET:
	case PA_OP_ROUTING:
	case PA_OP_LINE:
	case PA_OP_LINES:
		return "directory_url";
	default:
		return "url";
	}
}

static int
is_directory(enum pa_op op)
{
	return op == PA_OP_SIREN || op == PA_OP_SIRET || op == PA_OP_ROUTING || op == PA_OP_LINE ||
	       op == PA_OP_LINES;
}

static void
classify_transport(enum pa_op op, const struct http_resp *h, const struct pa_env *env,
                   struct pa_result *out)
{
	const char *host = env->host ? env->host : "the PA";
	out->cls = PA_RETRY;
	free(out->reason);
	out->reason = http_fail_reason(h, host, env->timeout_ms);
	switch (h->fail) {
	case HTTP_FAIL_RESOLVE:
		set_setup(out,
		          "check the host name in [pa] %s and this machine's DNS resolution (and "
		          "https_proxy if a proxy is required)",
		          url_key(op));
		break;
	case HTTP_FAIL_CONNECT:
		set_setup(out,
		          "check that this machine may open HTTPS connections to %s (firewall, "
		          "outgoing proxy: https_proxy), and the address in [pa] %s",
		          host, url_key(op));
		break;
	case HTTP_FAIL_TLS_VERIFY:
		out->cls = PA_SETUP;
		set_setup(out,
		          "check [pa] ca_file (or the system's CA store, package ca-certificates); "
		          "the host name in [pa] %s must match the certificate",
		          url_key(op));
		break;
	case HTTP_FAIL_TLS:
		set_setup(out, "check the outgoing proxy and that %s is the PA's address", host);
		break;
	case HTTP_FAIL_TIMEOUT:
		set_setup(out,
		          "if this persists, check the network path to %s, or raise [pa] timeout "
		          "/ connect_timeout",
		          host);
		break;
	default:
		break; /* the network's fault: nothing to check */
	}
	if (op == PA_OP_SEND && h->maybe_sent)
		out->unknown_outcome = 1;
}

/* " (HTTP 400 MISSING_REQUIRED_FIELD: flowInfo.name is missing)": what the PA said. */
static char *
said(long s, const struct pa_result *out)
{
	const char *code = out->error_code ? out->error_code : http_status_text(s);
	return xasprintf(" (HTTP %ld%s%s%s%s)", s, *code ? " " : "", code,
	                 out->error_message ? ": " : "",
	                 out->error_message ? out->error_message : "");
}

static void
classify_401(enum pa_op op, const struct http_resp *h, const struct pa_env *env,
             struct pa_result *out)
{
	char *desc = oauth_auth_param(h->www_authenticate, "error_description");
	char *errc = oauth_auth_param(h->www_authenticate, "error");
	out->cls = PA_SETUP;
	if (op == PA_OP_TOKEN) {
		set_reason(out, "the PA refused the client credentials (HTTP 401%s%s)",
		           errc ? " " : "", errc ? errc : "");
		set_setup(out,
		          "check [pa] client_id (%s) and client_secret, and the customer part of "
		          "[pa] token_url: they come together from the PA",
		          env->client_id ? env->client_id : "unset");
	} else {
		set_reason(out,
		           "the PA refused the access token even after getting a new one "
		           "(HTTP 401%s%s)",
		           desc || errc ? ": " : "",
		           desc   ? desc
		           : errc ? errc
		                  : "");
		set_setup(out, "check that [pa] token_url belongs to the same PA as [pa] url and "
		               "directory_url, and that the client may use these services");
	}
	free(desc);
	free(errc);
}

struct json *
pa_classify(enum pa_op op, const struct http_resp *h, const struct pa_env *env,
            struct pa_result *out)
{
	struct json *ans = NULL;
	const char *host = env->host ? env->host : "the PA";
	long s = h->status;
	char *perr = NULL, *w;
	int want_json = op != PA_OP_HEALTH && op != PA_OP_DIR_HEALTH;

	memset(out, 0, sizeof(*out));
	out->retry_after_ms = -1;
	out->elapsed_ms = h->elapsed_ms;

	if (h->fail != HTTP_FAIL_NONE) {
		classify_transport(op, h, env, out);
		goto done;
	}
	out->http_status = s;
	out->raw = op == PA_OP_GET && s >= 200 && s < 300
	               ? xstrdup("") /* a downloaded file is no answer to keep */
	               : oauth_excerpt(h->body.p, h->body.len, PA_RAW_MAX);
	/* a downloaded file is parsed only when it says it is JSON (the metadata) */
	if (h->body.len > 0 && (op != PA_OP_GET || s < 200 || s >= 300 ||
	                        (h->content_type && strcasestr(h->content_type, "json")))) {
		ans = json_parse(h->body.p, h->body.len, &perr);
		if (ans && !json_isobj(ans)) {
			json_free(ans);
			ans = NULL;
		}
		free(perr);
	}
	if (ans && (s < 200 || s >= 300)) {
		const char *c = json_str(json_get(ans, "errorCode"));
		const char *m = json_str(json_get(ans, "errorMessage"));
		if (c == NULL) { /* an OAuth2 error answer (RFC 6749 5.2) */
			c = json_str(json_get(ans, "error"));
			m = json_str(json_get(ans, "error_description"));
		}
		out->error_code = c ? xstrdup(c) : NULL;
		out->error_message = m ? xstrdup(m) : NULL;
	}

	if (s >= 200 && s < 300) {
		const char *ct = h->content_type ? h->content_type : "no Content-Type";
		int is_json = h->content_type && strcasestr(h->content_type, "json") != NULL;
		if (want_json && ans == NULL && !(op == PA_OP_GET && !is_json)) {
			out->cls = PA_RETRY;
			set_reason(out,
			           "%s answered HTTP %ld with something that is not JSON (%s): a "
			           "maintenance page or a proxy?",
			           host, s, ct);
			set_setup(
			    out,
			    "if this persists, check that [pa] %s is the PA's address and that "
			    "no proxy rewrites the answers",
			    url_key(op));
			if (op == PA_OP_SEND)
				out->unknown_outcome = 1;
		} else
			out->cls = PA_OK;
		goto done;
	}

	w = said(s, out);
	if (s == 401) {
		classify_401(op, h, env, out);
	} else if (op == PA_OP_TOKEN && s == 400) {
		out->cls = PA_SETUP;
		if (out->error_code && strcmp(out->error_code, "invalid_client") == 0) {
			set_reason(out, "the PA refused the client credentials%s", w);
			set_setup(
			    out,
			    "check [pa] client_id (%s) and client_secret: they come from the PA, "
			    "with the token URL of your account",
			    env->client_id ? env->client_id : "unset");
		} else if (out->error_code && strcmp(out->error_code, "invalid_scope") == 0) {
			set_reason(out, "the PA refused the scope asked for%s", w);
			set_setup(out, "check [pa] scope: ask only for scopes the PA granted your "
			               "client, or leave it unset");
		} else {
			set_reason(out, "the PA refused the token request%s", w);
			set_setup(out, "check [pa] token_url: it should be the PA's OAuth2 token "
			               "endpoint for your account (client credentials)");
		}
	} else if (op == PA_OP_TOKEN && s == 404) {
		out->cls = PA_SETUP;
		set_reason(out, "%s has no such token endpoint%s", host, w);
		set_setup(out, "check [pa] token_url, in particular the customer part the PA "
		               "gave you (such as .../auth-service/CUSTOMER/token)");
	} else if (s == 403) {
		char *scope = oauth_auth_param(h->www_authenticate, "scope");
		out->cls = PA_SETUP;
		set_reason(out, "the PA forbids this request%s", w);
		if (scope)
			set_setup(
			    out,
			    "the access token lacks the scope %s: add it to [pa] scope, or ask "
			    "the PA to grant it to client %s",
			    scope, env->client_id ? env->client_id : "?");
		else
			set_setup(out, "check that client %s may use this service%s",
			          env->client_id ? env->client_id : "?",
			          env->has_org
			              ? ", and [pa] organization_id: the SIREN of one of the "
			                "companies of your account"
			              : "");
		free(scope);
	} else if (s == 404 && is_directory(op)) {
		out->cls = PA_OK; /* the Directory knows no such entry: an answer */
	} else if (s == 404 && op == PA_OP_GET) {
		out->cls = PA_DOCUMENT;
		set_reason(out, "the PA has no such flow or document%s", w);
	} else if (op == PA_OP_SEND && (s == 400 || s == 413 || s == 422)) {
		out->cls = PA_DOCUMENT;
		set_reason(
		    out, "%s%s",
		    s == 413 ? "the file is too large for the PA" : "the PA refused the flow", w);
	} else if (op == PA_OP_SEARCH && s == 400 && out->error_code &&
	           strcasestr(out->error_code, "cursor")) {
		out->cls = PA_DOCUMENT;
		set_reason(out, "the PA refused the search cursor%s", w);
	} else if (s == 408 || s == 425 || s == 429) {
		out->cls = PA_RETRY;
		out->retry_after_ms = http_retry_after_ms(h->retry_after, time(NULL));
		if (s == 429)
			set_reason(out, "the PA limits the request rate%s%s%s", w,
			           h->retry_after ? "; retry after " : "",
			           h->retry_after ? h->retry_after : "");
		else
			set_reason(out, "the PA asks to try again later%s", w);
		if (s == 429)
			set_setup(out, "if this happens often, lower [pa] max_in_flight");
	} else if (s >= 500 && s < 600 && s != 501) {
		out->cls = PA_RETRY;
		out->retry_after_ms = http_retry_after_ms(h->retry_after, time(NULL));
		set_reason(out, "%s is unavailable%s", host, w);
		set_setup(out, "nothing to change here: the PA is down or in maintenance; "
		               "chorusgw tries again later");
		if (op == PA_OP_SEND)
			out->unknown_outcome = 1;
	} else {
		/* 400 elsewhere, 404 on the Flow Service, 405, 501, redirects: the address or
		 * chorusgw is wrong, not the document */
		out->cls = PA_SETUP;
		set_reason(out, "%s answered %s%s", host, pa_op_name(op), w);
		set_setup(out,
		          "check [pa] %s: it should be the base URL of the PA's service, the part "
		          "before /v1 (XP Z12-013)",
		          url_key(op));
	}
	free(w);

done:
	if (out->unknown_outcome && out->reason) {
		char *t = xasprintf("%s; the flow may have been received: search it by trackingId "
		                    "before sending it again",
		                    out->reason);
		free(out->reason);
		out->reason = t;
	}
	return ans;
}

/* ---------------------------------------------------------------------------------
 * replies
 */

static void
flow_clear(struct pa_flow *f)
{
	size_t i;
	free(f->id);
	free(f->tracking_id);
	free(f->name);
	free(f->syntax);
	free(f->profile);
	free(f->rule);
	free(f->type);
	free(f->direction);
	free(f->submitted);
	free(f->updated);
	free(f->ack);
	free(f->sha256);
	for (i = 0; i < f->ndetails; i++) {
		free(f->details[i].level);
		free(f->details[i].item);
		free(f->details[i].code);
		free(f->details[i].message);
	}
	free(f->details);
	memset(f, 0, sizeof(*f));
}

static void
lines_clear(struct pa_reply *p)
{
	size_t i;
	for (i = 0; i < p->lines.n; i++) {
		struct pa_line *l = &p->lines.v[i];
		free(l->address);
		free(l->platform);
		free(l->status);
		free(l->siren);
		free(l->siret);
		free(l->routing);
		free(l->suffix);
	}
	free(p->lines.v);
	p->lines.v = NULL;
	p->lines.n = 0;
}

void
pa_reply_free(struct pa_reply *p)
{
	size_t i;
	if (p == NULL)
		return;
	pa_result_clear(&p->r);
	flow_clear(&p->flow);
	for (i = 0; i < p->search.n; i++)
		flow_clear(&p->search.v[i]);
	free(p->search.v);
	free(p->search.next_cursor);
	buf_free(&p->file.data);
	free(p->file.name);
	free(p->file.content_type);
	free(p->company.siren);
	free(p->company.name);
	free(p->company.entity_type);
	free(p->company.status);
	free(p->facility.siret);
	free(p->facility.siren);
	free(p->facility.name);
	free(p->facility.type);
	free(p->facility.status);
	free(p->routing.siret);
	free(p->routing.id);
	free(p->routing.type);
	free(p->routing.name);
	free(p->routing.status);
	lines_clear(p);
	free(p);
}

static int
get_bool(const struct json *o, const char *key)
{
	int b = 0;
	if (json_bool(json_get(o, key), &b) == -1)
		return 0;
	return b;
}

static char *
dump_free(struct json *j)
{
	char *s = json_dump(j, 0);
	json_free(j);
	return s;
}

/* A Flow, FullFlowInfo or search result into f; -1 without a flowId. */
static int
read_flow(const struct json *o, struct pa_flow *f)
{
	const struct json *ack = json_get(o, "acknowledgement"), *d;
	size_t i;
	memset(f, 0, sizeof(*f));
	f->id = json_get_strdup(o, "flowId");
	if (f->id == NULL || *f->id == '\0')
		return -1;
	f->tracking_id = json_get_strdup(o, "trackingId");
	f->name = json_get_strdup(o, "name");
	f->syntax = json_get_strdup(o, "flowSyntax");
	f->profile = json_get_strdup(o, "flowProfile");
	f->rule = json_get_strdup(o, "processingRule");
	f->type = json_get_strdup(o, "flowType");
	f->direction = json_get_strdup(o, "flowDirection");
	f->submitted = json_get_strdup(o, "submittedAt");
	f->updated = json_get_strdup(o, "updatedAt");
	f->sha256 = json_get_strdup(o, "sha256");
	f->ack = json_get_strdup(ack, "status");
	d = json_get(ack, "details");
	for (i = 0; i < json_len(d); i++) {
		const struct json *e = json_at(d, i);
		struct pa_ack_detail *x;
		f->details = xreallocarray(f->details, f->ndetails + 1, sizeof(*f->details));
		x = &f->details[f->ndetails++];
		x->level = json_get_strdup(e, "level");
		x->item = json_get_strdup(e, "item");
		x->code = json_get_strdup(e, "reasonCode");
		x->message = json_get_strdup(e, "reasonMessage");
	}
	return 0;
}

static void
read_line(const struct json *o, struct pa_line *l)
{
	memset(l, 0, sizeof(*l));
	l->address = json_get_strdup(o, "addressingIdentifier");
	l->platform = json_get_strdup(o, "platformType");
	l->status = json_get_strdup(o, "directoryLineStatus");
	l->siren = json_get_strdup(o, "siren");
	l->siret = json_get_strdup(o, "siret");
	l->routing = json_get_strdup(o, "routingIdentifier");
	if (l->routing == NULL)
		l->routing = json_get_strdup(json_get(o, "routingCode"), "routingIdentifier");
	l->suffix = json_get_strdup(o, "addressingSuffix");
}

/* ---------------------------------------------------------------------------------
 * client
 */

static void
split_host(const char *url, char **out)
{
	const char *p = strstr(url, "://"), *e;
	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	*out = xstrndup(p, (size_t)(e - p));
}

struct pa *
pa_new(const struct conf *c, const char *cache_dir, char **why)
{
	struct pa *pa;
	struct http_opts ho;
	struct oauth_client_cfg oc;

	if (!c->pa || c->pa_url == NULL || c->pa_directory_url == NULL || c->pa_token_url == NULL ||
	    c->pa_client_id == NULL || c->pa_client_secret == NULL) {
		fail(why, "[pa] url, directory_url, token_url, client_id and client_secret are "
		          "needed to talk to the PA");
		return NULL;
	}
	memset(&ho, 0, sizeof(ho));
	ho.ca_file = c->pa_ca_file;
	ho.connect_timeout_ms = c->pa_connect_timeout_ms;
	ho.timeout_ms = c->pa_timeout_ms;
	ho.max_in_flight = (int)c->pa_max_in_flight;
	ho.max_answer = FILE_MAX_BYTES;
	if (http_init(&ho, why) == -1)
		return NULL;

	pa = xcalloc(1, sizeof(*pa));
	pa->conf = c;
	pa->flow_url = xstrdup(c->pa_url);
	pa->dir_url = xstrdup(c->pa_directory_url);
	split_host(c->pa_url, &pa->flow_host);
	split_host(c->pa_directory_url, &pa->dir_host);
	split_host(c->pa_token_url, &pa->token_host);
	pa->client_id = xstrdup(c->pa_client_id);
	pa->org_header =
	    c->pa_organization_id ? xasprintf("Organization-Id: %s", c->pa_organization_id) : NULL;
	pa->ca_file = c->pa_ca_file ? xstrdup(c->pa_ca_file) : NULL;
	pa->timeout_ms = c->pa_timeout_ms;
	pa->connect_timeout_ms = c->pa_connect_timeout_ms;
	pa->cache_dir = cache_dir ? xstrdup(cache_dir) : NULL;
	pa->cache_ttl_ms = c->pa_directory_cache_ttl_ms;
	memset(&oc, 0, sizeof(oc));
	oc.token_url = c->pa_token_url;
	oc.client_id = c->pa_client_id;
	oc.client_secret = c->pa_client_secret;
	oc.scope = c->pa_scope;
	oc.ca_file = c->pa_ca_file;
	oc.timeout_ms = c->pa_timeout_ms;
	oc.connect_timeout_ms = c->pa_connect_timeout_ms;
	oc.what = "PA token";
	oc.answer = token_answer;
	oc.free_failure = free_failure;
	oc.arg = pa;
	pa->oc = oauth_client_new(&oc);
	return pa;
}

static void
call_free(struct pa_call *k)
{
	size_t i;
	free(k->url);
	free(k->body);
	free(k->flow_info);
	free(k->filename);
	free(k->data);
	free(k->path);
	free(k->token_used);
	free(k->cache_key);
	for (i = 0; i < nitems(k->sq_strings); i++)
		free(k->sq_strings[i]);
	json_free(k->seen);
	pa_reply_free(k->reply);
	free(k);
}

static void
unlink_call(struct pa_call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		k->pa->calls = k->next;
	if (k->next)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
}

void
pa_cancel(struct pa_call *k)
{
	if (k == NULL)
		return;
	if (k->req)
		http_cancel(k->req);
	oauth_client_cancel(k->pa->oc, &k->w);
	if (k->defer)
		ev_timer_del(k->defer);
	unlink_call(k);
	call_free(k);
}

void
pa_free(struct pa *pa)
{
	if (pa == NULL)
		return;
	while (pa->calls)
		pa_cancel(pa->calls);
	oauth_client_free(pa->oc);
	free(pa->flow_url);
	free(pa->dir_url);
	free(pa->flow_host);
	free(pa->dir_host);
	free(pa->token_host);
	free(pa->client_id);
	free(pa->org_header);
	free(pa->ca_file);
	free(pa->cache_dir);
	free(pa);
	http_fini();
}

int
pa_token_fetches(const struct pa *pa)
{
	return oauth_client_fetches(pa->oc);
}

static void
env_for(const struct pa *pa, enum pa_op op, struct pa_env *env)
{
	memset(env, 0, sizeof(*env));
	env->host = op == PA_OP_TOKEN       ? pa->token_host
	            : url_key(op)[0] == 'd' ? pa->dir_host
	                                    : pa->flow_host;
	env->client_id = pa->client_id;
	env->has_org = pa->org_header != NULL;
	env->timeout_ms = pa->timeout_ms;
}

static struct pa_call *
call_new(struct pa *pa, enum pa_op op, const char *method, char *url, pa_cb *cb, void *arg)
{
	struct pa_call *k = xcalloc(1, sizeof(*k));
	k->pa = pa;
	k->op = op;
	k->method = method;
	k->url = url;
	k->directory = is_directory(op);
	k->cb = cb;
	k->arg = arg;
	k->t0 = now_ms();
	k->reply = xcalloc(1, sizeof(*k->reply));
	k->reply->op = op;
	k->reply->r.retry_after_ms = -1;
	buf_init(&k->reply->file.data);
	k->next = pa->calls;
	if (pa->calls)
		pa->calls->prev = k;
	pa->calls = k;
	return k;
}

/* Deliver the reply: the callback owns it; the call is gone afterwards. */
static void
call_finish(struct pa_call *k)
{
	struct pa_reply *p = k->reply;
	pa_cb *cb = k->cb;
	void *arg = k->arg;
	p->r.elapsed_ms = now_ms() - k->t0;
	if (k->pa->obs)
		k->pa->obs(k->pa->obs_arg, k->op, &p->r);
	if (p->r.cls != PA_OK)
		log_debug("pa: %s: %s: %s", pa_op_name(k->op), pa_class_name(p->r.cls),
		          p->r.reason ? p->r.reason : "");
	k->reply = NULL;
	unlink_call(k);
	call_free(k);
	cb(p, arg);
}

static void
on_defer(void *arg)
{
	struct pa_call *k = arg;
	k->defer = NULL;
	call_finish(k);
}

/* Finish from the event loop, never from inside the call that started the operation. */
static void
call_finish_later(struct pa_call *k)
{
	k->defer = ev_timer_add(0, on_defer, k);
}

/* Fail a call with a copy of the token failure every waiter shares. */
static void
call_fail_with(struct pa_call *k, const struct pa_result *r)
{
	struct pa_result *o = &k->reply->r;
	pa_result_clear(o);
	o->cls = r->cls;
	o->http_status = r->http_status;
	o->error_code = r->error_code ? xstrdup(r->error_code) : NULL;
	o->error_message = r->error_message ? xstrdup(r->error_message) : NULL;
	o->reason = r->reason
	                ? xasprintf("%s%s", k->op == PA_OP_TOKEN ? "" : "PA token: ", r->reason)
	                : NULL;
	o->setup = r->setup ? xstrdup(r->setup) : NULL;
	o->retry_after_ms = r->retry_after_ms;
	o->raw = r->raw ? xstrdup(r->raw) : NULL;
	/* a send that never left (no token) has a known outcome: not sent */
	call_finish(k);
}

/* ---- the token ---- */

/* The token endpoint's answer: the token is stored, or the failure every waiting call
 * gets (a pa_result). */
static void *
token_answer(struct oauth_client *oc, const struct http_resp *h, void *arg)
{
	struct pa *pa = arg;
	struct pa_result *r = xcalloc(1, sizeof(*r));
	struct pa_env env;
	struct json *ans;
	int64_t expires_in = 0;

	env_for(pa, PA_OP_TOKEN, &env);
	ans = pa_classify(PA_OP_TOKEN, h, &env, r);
	if (r->cls == PA_OK) {
		const char *tok = oauth_token_of(ans, &expires_in);
		if (tok == NULL) {
			r->cls = PA_RETRY;
			set_reason(r, "the PA's token answer holds no usable bearer token");
		} else {
			oauth_client_store(oc, tok, expires_in);
			log_debug("pa: new access token, valid %llds",
			          (long long)oauth_client_expires_in(oc));
		}
	}
	json_free(ans);
	if (r->cls == PA_OK) {
		pa_result_clear(r);
		free(r);
		return NULL;
	}
	/* the answer may hold the token: keep only what a failure shows */
	free(r->raw);
	r->raw = oauth_excerpt(h->body.p, h->body.len, PA_RAW_MAX);
	return r;
}

static void
free_failure(void *r)
{
	pa_result_clear(r);
	free(r);
}

/* The token request ended: go on with the call, or fail it as the token failed. */
static void
token_ready(struct oauth_waiter *w, const void *failure)
{
	struct pa_call *k = (struct pa_call *)(void *)((char *)w - offsetof(struct pa_call, w));
	if (failure)
		call_fail_with(k, failure);
	else if (k->op == PA_OP_TOKEN) {
		k->reply->token_expires_in_s = oauth_client_expires_in(k->pa->oc);
		k->reply->r.http_status = 200;
		k->reply->r.raw = xstrdup("");
		call_finish(k);
	} else
		call_send(k);
}

/* Run the call now if a token is at hand, else queue it behind the one token request. */
static void
call_begin(struct pa_call *k)
{
	struct pa *pa = k->pa;
	k->w.ready = token_ready;
	if (!oauth_client_wait(pa->oc, &k->w))
		return;
	if (k->op == PA_OP_TOKEN) {
		k->reply->token_expires_in_s = oauth_client_expires_in(pa->oc);
		k->reply->r.raw = xstrdup("");
		call_finish_later(k);
	} else
		call_send(k);
}

/* ---- API calls ---- */

static void api_done(struct http_resp *, void *);

/* A random UUID (version 4) for the Request-Id header, which correlates our log with
 * the PA's. */
static void
request_id(char out[37])
{
	unsigned char b[16];
	size_t i;
	int o = 0;
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)random();
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += snprintf(out + o, 3, "%02x", b[i]);
	}
	out[o] = '\0';
}

static void
call_send(struct pa_call *k)
{
	struct pa *pa = k->pa;
	char *auth = xasprintf("Authorization: Bearer %s", oauth_client_token(pa->oc));
	char rid[37], *rhdr;
	const char *hdrs[7];
	struct http_reqspec s;
	size_t n = 0;

	request_id(rid);
	rhdr = xasprintf("Request-Id: %s", rid);
	hdrs[n++] = auth;
	hdrs[n++] = rhdr;
	hdrs[n++] = k->op == PA_OP_GET ? "Accept: */*" : "Accept: application/json";
	if (pa->org_header)
		hdrs[n++] = pa->org_header;
	if (k->body)
		hdrs[n++] = "Content-Type: application/json";
	hdrs[n] = NULL;
	memset(&s, 0, sizeof(s));
	s.method = k->method;
	s.url = k->url;
	s.headers = hdrs;
	s.body = k->body;
	s.body_len = k->body ? strlen(k->body) : 0;
	s.parts = k->nparts ? k->parts : NULL;
	s.nparts = k->nparts;
	s.flags = k->flags;
	s.what = pa_op_name(k->op);
	s.ca_file = pa->ca_file;
	s.timeout_ms = pa->timeout_ms;
	s.connect_timeout_ms = pa->connect_timeout_ms;
	free(k->token_used);
	k->token_used = xstrdup(oauth_client_token(pa->oc));
	log_debug("pa: %s %s (Request-Id %s)", k->method, k->url, rid);
	k->req = http_request(&s, api_done, k);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(rhdr);
}

static int parse_answer(struct pa_call *, struct json *, const struct http_resp *);
static void cache_write(struct pa_call *, const struct http_resp *);

static void
api_done(struct http_resp *h, void *arg)
{
	struct pa_call *k = arg;
	struct pa_env env;
	struct pa_result r;
	struct json *ans;
	int rc = 0;

	k->req = NULL;
	if (h->status == 401 && h->fail == HTTP_FAIL_NONE && !k->refreshed) {
		/* the token expired or was revoked: one new token, then the same request */
		char *desc = oauth_auth_param(h->www_authenticate, "error_description");
		k->refreshed = 1;
		if (oauth_client_reject(k->pa->oc, k->token_used))
			log_info(
			    "pa: the PA refused the access token on %s (%s); getting a new one",
			    pa_op_name(k->op), desc ? desc : "no reason given");
		free(desc);
		http_resp_free(h);
		call_begin(k);
		return;
	}
	env_for(k->pa, k->op, &env);
	ans = pa_classify(k->op, h, &env, &r);
	/* keep the reply's data from previous pages; take this exchange's verdict */
	pa_result_clear(&k->reply->r);
	k->reply->r = r;
	if (r.cls == PA_OK) {
		rc = parse_answer(k, ans, h);
		if (rc == -1) {
			struct pa_result *o = &k->reply->r;
			o->cls = PA_RETRY;
			if (o->reason == NULL)
				set_reason(o, "the PA's answer to %s is not understood",
				           pa_op_name(k->op));
			if (k->op == PA_OP_SEND) {
				char *t =
				    xasprintf("%s; the flow may have been received: search it "
				              "by trackingId before sending it again",
				              o->reason);
				free(o->reason);
				o->reason = t;
				o->unknown_outcome = 1;
			}
		} else if (rc == 0 && k->directory)
			cache_write(k, h);
	}
	json_free(ans);
	http_resp_free(h);
	if (rc == 1)
		call_send(k);
	else
		call_finish(k);
}

/* ---- the Directory's answers, cached ---- */

static void
parse_company(struct pa_company *c, const struct json *a)
{
	c->found = 1;
	c->siren = json_get_strdup(a, "siren");
	c->name = json_get_strdup(a, "businessName");
	c->entity_type = json_get_strdup(a, "entityType");
	c->status = json_get_strdup(a, "administrativeStatus");
}

static void
parse_facility(struct pa_facility *f, const struct json *a)
{
	const struct json *b = json_get(a, "b2gAdditionalData");
	f->found = 1;
	f->siret = json_get_strdup(a, "siret");
	f->siren = json_get_strdup(a, "siren");
	f->name = json_get_strdup(a, "name");
	f->type = json_get_strdup(a, "facilityType");
	f->status = json_get_strdup(a, "administrativeStatus");
	f->b2g = b != NULL;
	f->manages_legal_commitment = get_bool(b, "managesLegalCommitmentCode");
	f->manages_legal_commitment_or_service = get_bool(b, "managesLegalCommitmentOrServiceCode");
	f->service_code = get_bool(b, "serviceCodeStatus");
}

/* Read a Directory answer (live or cached): `status` 404 is "not found". */
static int
parse_directory(struct pa_call *k, long status, const struct json *a)
{
	struct pa_reply *p = k->reply;
	const struct json *l;
	size_t i;
	if (status == 404 || a == NULL)
		return status == 404 ? 0 : -1;
	switch (k->op) {
	case PA_OP_SIREN:
		parse_company(&p->company, a);
		break;
	case PA_OP_SIRET:
		parse_facility(&p->facility, a);
		break;
	case PA_OP_ROUTING:
		p->routing.found = 1;
		p->routing.siret = json_get_strdup(a, "siret");
		p->routing.id = json_get_strdup(a, "routingIdentifier");
		p->routing.type = json_get_strdup(a, "routingIdentifierType");
		p->routing.name = json_get_strdup(a, "routingCodeName");
		p->routing.status = json_get_strdup(a, "administrativeStatus");
		p->routing.manages_legal_commitment = get_bool(a, "managesLegalCommitmentCode");
		break;
	case PA_OP_LINE:
		p->lines.v = xcalloc(1, sizeof(*p->lines.v));
		p->lines.n = 1;
		read_line(a, &p->lines.v[0]);
		break;
	case PA_OP_LINES:
		l = json_get(a, "results");
		if (l != NULL && !json_isarr(l))
			return -1;
		for (i = 0; i < json_len(l); i++) {
			p->lines.v = xreallocarray(p->lines.v, p->lines.n + 1, sizeof(*p->lines.v));
			read_line(json_at(l, i), &p->lines.v[p->lines.n++]);
		}
		break;
	default:
		break;
	}
	return 0;
}

static char *
cache_path(const struct pa *pa, const char *key)
{
	char hex[65];
	sha256_hex(key, strlen(key), hex);
	return xasprintf("%s/directory-%.32s.json", pa->cache_dir, hex);
}

static void
cache_write(struct pa_call *k, const struct http_resp *h)
{
	struct pa *pa = k->pa;
	struct json *o, *b = NULL;
	char *text, *path, *why = NULL;
	if (pa->cache_dir == NULL || pa->cache_ttl_ms <= 0 || k->cache_key == NULL)
		return;
	if (h->status != 404) {
		b = json_parse(h->body.p, h->body.len, NULL);
		if (b == NULL)
			return;
	}
	k->reply->fetched_ms = wall_ms();
	o = json_new_object();
	json_set_int(o, "version", 1);
	json_set_str(o, "key", k->cache_key);
	json_set_int(o, "fetched", k->reply->fetched_ms);
	json_set_int(o, "status", h->status == 404 ? 404 : 200);
	if (b)
		json_set(o, "answer", b);
	text = json_dump(o, 1);
	json_free(o);
	path = cache_path(pa, k->cache_key);
	if (mkdir_p(pa->cache_dir, 0750, &why) == -1 ||
	    write_file_atomic(NULL, path, text, strlen(text), 0640, 0, &why) == -1) {
		log_warn("pa: cannot cache the Directory's answer about %s: %s", k->cache_key, why);
		free(why);
	}
	free(path);
	free(text);
}

/* 1 when a fresh cached answer was loaded into the reply. */
static int
cache_read(struct pa_call *k)
{
	struct pa *pa = k->pa;
	struct buf b;
	struct json *o;
	char *path, *why = NULL;
	int64_t fetched = 0, ver = 0, status = 0, ttl = pa->cache_ttl_ms, age;

	if (pa->cache_dir == NULL || ttl <= 0)
		return 0;
	path = cache_path(pa, k->cache_key);
	buf_init(&b);
	if (read_file(path, CACHE_MAX_BYTES, 1, &b, &why) == -1) {
		if (errno != ENOENT)
			log_warn("pa: ignoring the Directory cache %s: %s", path, why);
		free(why);
		free(path);
		buf_free(&b);
		return 0;
	}
	o = json_parse(b.p, b.len, NULL);
	buf_free(&b);
	if (o == NULL || json_int(json_get(o, "version"), &ver) == -1 || ver != 1 ||
	    json_int(json_get(o, "fetched"), &fetched) == -1 ||
	    json_int(json_get(o, "status"), &status) == -1 ||
	    strcmp(json_path_str(o, "key", ""), k->cache_key) != 0 ||
	    (status != 404 && json_get(o, "answer") == NULL)) {
		log_warn("pa: ignoring the damaged Directory cache %s", path);
		json_free(o);
		free(path);
		return 0;
	}
	free(path);
	if (status == 404 && ttl > NEGATIVE_CACHE_MS)
		ttl = NEGATIVE_CACHE_MS;
	age = wall_ms() - fetched;
	if (age < 0 || age >= ttl ||
	    parse_directory(k, (long)status, json_get(o, "answer")) == -1) {
		json_free(o);
		return 0;
	}
	json_free(o);
	k->reply->from_cache = 1;
	k->reply->fetched_ms = fetched;
	k->reply->r.http_status = status;
	k->reply->r.raw = xstrdup("");
	return 1;
}

/* Start a Directory look-up: from the cache unless `refresh`, else from the PA. */
static struct pa_call *
directory_call(struct pa *pa, enum pa_op op, const char *method, char *url, char *key, int refresh,
               pa_cb *cb, void *arg)
{
	struct pa_call *k = call_new(pa, op, method, url, cb, arg);
	k->cache_key = key;
	if (!refresh && cache_read(k)) {
		call_finish_later(k);
		return k;
	}
	call_begin(k);
	return k;
}

/* A call that fails at once, before any request (a malformed SIREN...): `reason` is
 * the reply's (taken). */
static struct pa_call *
refused(struct pa *pa, enum pa_op op, pa_cb *cb, void *arg, char *reason)
{
	struct pa_call *k = call_new(pa, op, "GET", NULL, cb, arg);
	k->reply->r.cls = PA_DOCUMENT;
	k->reply->r.reason = reason;
	call_finish_later(k);
	return k;
}

struct pa_call *
pa_siren(struct pa *pa, const char *siren, int refresh, pa_cb *cb, void *arg)
{
	if (siren == NULL || !str_digits(siren, 9))
		return refused(pa, PA_OP_SIREN, cb, arg,
		               xasprintf("\"%s\" is not a SIREN (9 digits)", siren ? siren : ""));
	return directory_call(pa, PA_OP_SIREN, "GET",
	                      xasprintf("%s/v1/siren/code-insee:%s", pa->dir_url, siren),
	                      xasprintf("siren %s", siren), refresh, cb, arg);
}

struct pa_call *
pa_siret(struct pa *pa, const char *siret, int refresh, pa_cb *cb, void *arg)
{
	if (siret == NULL || !str_digits(siret, 14))
		return refused(pa, PA_OP_SIRET, cb, arg,
		               xasprintf("\"%s\" is not a SIRET (14 digits)", siret ? siret : ""));
	return directory_call(pa, PA_OP_SIRET, "GET",
	                      xasprintf("%s/v1/siret/code-insee:%s", pa->dir_url, siret),
	                      xasprintf("siret %s", siret), refresh, cb, arg);
}

struct pa_call *
pa_routing_code(struct pa *pa, const char *siret, const char *code, int refresh, pa_cb *cb,
                void *arg)
{
	char *c;
	struct pa_call *k;
	if (siret == NULL || !str_digits(siret, 14))
		return refused(pa, PA_OP_ROUTING, cb, arg,
		               xasprintf("\"%s\" is not a SIRET (14 digits)", siret ? siret : ""));
	if (code == NULL || *code == '\0' || strlen(code) > 100)
		return refused(pa, PA_OP_ROUTING, cb, arg,
		               xasprintf("\"%s\" is not a routing code", code ? code : ""));
	c = http_path_escape(code);
	k = directory_call(pa, PA_OP_ROUTING, "GET",
	                   xasprintf("%s/v1/routing-code/siret:%s/code:%s", pa->dir_url, siret, c),
	                   xasprintf("routing %s %s", siret, code), refresh, cb, arg);
	free(c);
	return k;
}

struct pa_call *
pa_directory_line(struct pa *pa, const char *address, int refresh, pa_cb *cb, void *arg)
{
	char *a;
	struct pa_call *k;
	if (address == NULL || *address == '\0' || strlen(address) > 125)
		return refused(
		    pa, PA_OP_LINE, cb, arg,
		    xasprintf("\"%s\" is not an electronic address", address ? address : ""));
	a = http_path_escape(address);
	k = directory_call(pa, PA_OP_LINE, "GET",
	                   xasprintf("%s/v1/directory-line/code:%s", pa->dir_url, a),
	                   xasprintf("line %s", address), refresh, cb, arg);
	free(a);
	return k;
}

struct pa_call *
pa_directory_lines(struct pa *pa, const char *siren, int refresh, pa_cb *cb, void *arg)
{
	struct pa_call *k;
	struct json *b, *f, *x;
	if (siren == NULL || !str_digits(siren, 9))
		return refused(pa, PA_OP_LINES, cb, arg,
		               xasprintf("\"%s\" is not a SIREN (9 digits)", siren ? siren : ""));
	b = json_new_object();
	f = json_new_object();
	x = json_new_object();
	json_set_str(x, "op", "strict");
	json_set_str(x, "value", siren);
	json_set(f, "siren", x);
	json_set(b, "filters", f);
	json_set_int(b, "limit", LINES_LIMIT);
	k = call_new(pa, PA_OP_LINES, "POST", xasprintf("%s/v1/directory-line/search", pa->dir_url),
	             cb, arg);
	k->body = dump_free(b);
	k->cache_key = xasprintf("lines %s", siren);
	if (!refresh && cache_read(k)) {
		call_finish_later(k);
		return k;
	}
	call_begin(k);
	return k;
}

/* ---- the Flow Service ---- */

struct pa_call *
pa_token(struct pa *pa, pa_cb *cb, void *arg)
{
	struct pa_call *k = call_new(pa, PA_OP_TOKEN, "POST", NULL, cb, arg);
	call_begin(k);
	return k;
}

struct pa_call *
pa_health(struct pa *pa, int directory, pa_cb *cb, void *arg)
{
	struct pa_call *k = call_new(
	    pa, directory ? PA_OP_DIR_HEALTH : PA_OP_HEALTH, "GET",
	    xasprintf("%s/v1/healthcheck", directory ? pa->dir_url : pa->flow_url), cb, arg);
	call_begin(k);
	return k;
}

struct pa_call *
pa_send(struct pa *pa, const struct pa_send_req *q, pa_cb *cb, void *arg)
{
	struct pa_call *k =
	    call_new(pa, PA_OP_SEND, "POST", xasprintf("%s/v1/flows", pa->flow_url), cb, arg);
	struct json *fi = json_new_object();
	char hex[65];
	int pdf = q->syntax && strcmp(q->syntax, "Factur-X") == 0;

	if (q->path)
		snprintf(hex, sizeof(hex), "%s", q->sha256);
	else /* lowercase hex, the pattern of FlowInfo.sha256 */
		sha256_hex(q->data, q->len, hex);
	json_set_str(fi, "trackingId", q->tracking_id);
	json_set_str(fi, "name", q->name);
	json_set_str(fi, "processingRule", q->rule);
	json_set_str(fi, "flowSyntax", q->syntax);
	json_set_str(fi, "flowProfile", q->profile);
	json_set_str(fi, "sha256", hex);
	k->flow_info = dump_free(fi);
	if (q->path) {
		k->path = xstrdup(q->path);
	} else {
		k->data = xmalloc(q->len ? q->len : 1);
		memcpy(k->data, q->data, q->len);
		k->len = q->len;
	}
	k->parts[0].name = "flowInfo";
	k->parts[0].content_type = "application/json";
	k->parts[0].data = k->flow_info;
	k->parts[0].len = strlen(k->flow_info);
	k->parts[1].name = "file";
	k->filename = q->name ? xstrdup(q->name) : NULL;
	k->parts[1].filename = k->filename;
	k->parts[1].content_type = pdf ? "application/pdf" : "application/xml";
	k->parts[1].data = k->data;
	k->parts[1].len = k->len;
	k->parts[1].path = k->path;
	k->nparts = 2;
	/* DESIGN §2.5: a connection of its own, never reused, so libcurl cannot re-send it */
	k->flags = HTTP_FRESH;
	call_begin(k);
	return k;
}

static void
build_search(struct pa_call *k, const char *cursor)
{
	struct json *b = json_new_object(), *w = json_new_object(), *a;
	if (k->sq.tracking_id)
		json_set_str(w, "trackingId", k->sq.tracking_id);
	if (k->sq.updated_after)
		json_set_str(w, "updatedAfter", k->sq.updated_after);
	if (k->sq.direction) {
		a = json_new_array();
		json_push(a, json_new_str(k->sq.direction));
		json_set(w, "flowDirection", a);
	}
	if (k->sq.flow_type) {
		a = json_new_array();
		json_push(a, json_new_str(k->sq.flow_type));
		json_set(w, "flowType", a);
	}
	json_set(b, "where", w);
	json_set_int(b, "limit", k->sq.limit);
	if (cursor)
		json_set_str(b, "cursor", cursor);
	free(k->body);
	k->body = dump_free(b);
}

static int
parse_search(struct pa_call *k, struct json *a)
{
	struct pa_reply *p = k->reply;
	const struct json *l = json_get(a, "results");
	const char *next = json_str(json_get(a, "nextCursor"));
	size_t i;

	if (l != NULL && !json_isarr(l)) {
		set_reason(&p->r, "the PA's search answer has results that are not a list");
		return -1;
	}
	p->search.pages++;
	for (i = 0; i < json_len(l); i++) {
		struct pa_flow f;
		if (read_flow(json_at(l, i), &f) == -1) {
			flow_clear(&f);
			continue;
		}
		if (json_get(k->seen, f.id)) { /* updated while we paged: read again */
			size_t j;
			for (j = 0; j < p->search.n; j++)
				if (strcmp(p->search.v[j].id, f.id) == 0) {
					flow_clear(&p->search.v[j]);
					p->search.v[j] = f;
					break;
				}
			continue;
		}
		json_set_bool(k->seen, f.id, 1);
		p->search.v = xreallocarray(p->search.v, p->search.n + 1, sizeof(*p->search.v));
		p->search.v[p->search.n++] = f;
	}
	free(p->search.next_cursor);
	p->search.next_cursor = next && *next ? xstrdup(next) : NULL;
	if (p->search.next_cursor == NULL || json_len(l) == 0)
		return 0;
	if ((k->sq.max_pages && p->search.pages >= k->sq.max_pages) || p->search.pages >= MAX_PAGES)
		return 0; /* the caller goes on from next_cursor */
	build_search(k, p->search.next_cursor);
	return 1;
}

struct pa_call *
pa_search(struct pa *pa, const struct pa_search_req *q, pa_cb *cb, void *arg)
{
	struct pa_call *k = call_new(pa, PA_OP_SEARCH, "POST",
	                             xasprintf("%s/v1/flows/search", pa->flow_url), cb, arg);
	const char **src[4];
	size_t i;
	k->sq = *q;
	src[0] = &k->sq.tracking_id;
	src[1] = &k->sq.updated_after;
	src[2] = &k->sq.direction;
	src[3] = &k->sq.flow_type;
	for (i = 0; i < nitems(src); i++)
		if (*src[i])
			*src[i] = k->sq_strings[i] = xstrdup(*src[i]);
	if (k->sq.limit <= 0 || k->sq.limit > SEARCH_LIMIT)
		k->sq.limit = SEARCH_LIMIT;
	k->seen = json_new_object();
	build_search(k, q->cursor);
	k->sq.cursor = NULL;
	call_begin(k);
	return k;
}

struct pa_call *
pa_get(struct pa *pa, const char *flow_id, const char *doc_type, pa_cb *cb, void *arg)
{
	char *id, *t;
	struct pa_call *k;
	if (flow_id == NULL || *flow_id == '\0' || strlen(flow_id) > 64)
		return refused(pa, PA_OP_GET, cb, arg,
		               xasprintf("\"%s\" is not a flow id", flow_id ? flow_id : ""));
	id = http_path_escape(flow_id);
	t = http_path_escape(doc_type ? doc_type : "Metadata");
	k = call_new(pa, PA_OP_GET, "GET",
	             xasprintf("%s/v1/flows/%s?docType=%s", pa->flow_url, id, t), cb, arg);
	free(id);
	free(t);
	call_begin(k);
	return k;
}

static int
parse_answer(struct pa_call *k, struct json *a, const struct http_resp *h)
{
	struct pa_reply *p = k->reply;
	if (k->directory)
		return parse_directory(k, h->status, a);
	switch (k->op) {
	case PA_OP_SEND:
		if (a == NULL || read_flow(a, &p->flow) == -1) {
			set_reason(&p->r, "the PA's answer to the send has no flowId");
			return -1;
		}
		return 0;
	case PA_OP_SEARCH:
		return parse_search(k, a);
	case PA_OP_GET:
		if (a && h->content_type && strcasestr(h->content_type, "json")) {
			if (read_flow(a, &p->flow) == -1) {
				set_reason(&p->r, "the PA's flow metadata has no flowId");
				return -1;
			}
			return 0;
		}
		buf_add(&p->file.data, h->body.p ? h->body.p : "", h->body.len);
		p->file.name = http_disposition_filename(h->content_disposition);
		p->file.content_type = h->content_type ? xstrdup(h->content_type) : NULL;
		return 0;
	default:
		return 0;
	}
}
