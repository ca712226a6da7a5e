/*
 * chorus.c - the Chorus Pro client over http.c: the PISTE token (cached, refreshed
 * once on a 401, one request shared by every caller waiting for it), the headers of
 * every call, the operations (deposit, deposit report, invoice search with every
 * page, status history, buyer structures with an on-disk cache, health-check, the
 * account's own structures), and the classification of every answer into
 * OK / RETRY / SETUP / DOCUMENT with a reason in plain words (DESIGN §3).
 *
 * JSON goes through json.c only. Secrets (client secret, technical password, the
 * base64 cpro-account value, access tokens) are registered with log_secret() and
 * never passed to the logger; the raw answers kept for receipts are redacted too.
 *
 * Errors: chorus_new() returns NULL with *why; operations always end in their
 * callback with a classified reply (unless cancelled).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chorus.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

#define PATH_TOKEN     NULL
#define PATH_HEALTH    "/cpro/transverses/v1/health-check"
#define PATH_DEPOSIT   "/cpro/factures/v1/deposer/flux"
#define PATH_REPORT    "/cpro/transverses/v1/consulterCRDetaille"
#define PATH_SEARCH    "/cpro/factures/v1/rechercher/fournisseur"
#define PATH_HISTORY   "/cpro/factures/v1/consulter/historique"
#define PATH_ST_SEARCH "/cpro/structures/v1/rechercher"
#define PATH_ST_GET    "/cpro/structures/v1/consulter"
#define PATH_ST_SVC    "/cpro/structures/v1/rechercher/services"
#define PATH_OWN       "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"

#define MAX_PAGES         1000 /* a search never reads more pages than this */
#define SERVICES_PER_PAGE 100
#define HISTORY_PER_PAGE  100
#define NEGATIVE_CACHE_MS (3600 * 1000LL) /* "no such SIRET" is trusted at most 1 h */
#define CACHE_MAX_BYTES   (4 * 1024 * 1024)

struct account {
	char *siret; /* NULL: the [chorus] account */
	char *login;
	char *header; /* "cpro-account: <base64>" */
};

struct chorus {
	const struct conf *conf;
	char *api_url, *api_host, *token_host;
	char *client_id;
	int production;
	int64_t timeout_ms;
	struct account *accounts;
	size_t naccounts;
	struct oauth_client *oc;   /* the PISTE token, shared by every call */
	struct chorus_call *calls; /* every live call */
	char *cache_dir;
	int64_t cache_ttl_ms;
};

struct chorus_call {
	struct chorus *ch;
	enum chorus_op op;
	const struct account *acct;
	const char *path;
	int get;
	unsigned flags;
	char *body;
	int refreshed;
	char *token_used;
	struct http_req *req;
	struct ev_timer *defer;
	struct oauth_waiter w; /* waiting for the token */
	struct chorus_call *prev, *next;
	struct chorus_reply *reply;
	chorus_cb *cb;
	void *arg;
	uint64_t t0;
	/* operation state */
	int64_t page, per_page, max_results;
	char *number, *flux, *siret;
	int64_t id;
	int step;
	struct json *seen; /* search: identifiantFactureCPP already kept */
	/* deposit */
	int syntax;
	char *file_name;
	char *b64;
};

static void call_begin(struct chorus_call *);
static void *token_answer(struct oauth_client *, const struct http_resp *, void *);
static void free_failure(void *);
static void call_send(struct chorus_call *);
static void call_finish(struct chorus_call *);

/* ---------------------------------------------------------------------------------
 * names and words
 */

const char *
chorus_class_name(enum chorus_class c)
{
	switch (c) {
	case CHORUS_OK:
		return "ok";
	case CHORUS_RETRY:
		return "retry";
	case CHORUS_SETUP:
		return "setup";
	case CHORUS_DOCUMENT:
		return "document";
	}
	return "?";
}

const char *
chorus_op_name(enum chorus_op op)
{
	switch (op) {
	case CHORUS_OP_TOKEN:
		return "PISTE token";
	case CHORUS_OP_HEALTH:
		return "health-check";
	case CHORUS_OP_DEPOSIT:
		return "deposer/flux";
	case CHORUS_OP_REPORT:
		return "consulterCRDetaille";
	case CHORUS_OP_SEARCH:
		return "rechercher/fournisseur";
	case CHORUS_OP_HISTORY:
		return "consulter/historique";
	case CHORUS_OP_STRUCTURE:
		return "structures";
	case CHORUS_OP_OWN:
		return "recuperer/structures/actives/fournisseur";
	}
	return "?";
}

/* The PISTE API an operation belongs to, as PISTE's catalogue names it. */
static const char *
api_of(enum chorus_op op)
{
	switch (op) {
	case CHORUS_OP_DEPOSIT:
	case CHORUS_OP_SEARCH:
	case CHORUS_OP_HISTORY:
		return "Factures";
	case CHORUS_OP_STRUCTURE:
		return "Structures";
	case CHORUS_OP_TOKEN:
		return "OAuth";
	default:
		return "Transverses";
	}
}

const char *
chorus_code_words(int64_t code, const char *libelle)
{
	static const struct {
		int64_t code;
		const char *libelle;
		const char *words;
	} t[] = {
	    {0, "TRA_MSG_00.000", "done"},
	    {20000, "TRA_MSG_00.015", "the search found nothing"},
	    {20001, "GDP_MSG_11.022",
	     "the file is larger than Chorus Pro accepts (10 MB per file)"},
	    {20003, NULL, "an attached file is larger than 10 MB"},
	    {20007, "GFT_MSG_01.075", "the search found nothing"},
	};
	size_t i;
	for (i = 0; i < nitems(t); i++)
		if (libelle && t[i].libelle && strcmp(libelle, t[i].libelle) == 0)
			return t[i].words;
	for (i = 0; i < nitems(t); i++)
		if (code == t[i].code)
			return t[i].words;
	return NULL;
}

static int
is_no_result(int64_t code, const char *libelle)
{
	return code == 20000 || code == 20007 ||
	       (libelle &&
	        (strcmp(libelle, "TRA_MSG_00.015") == 0 || strcmp(libelle, "GFT_MSG_01.075") == 0));
}

const char *
chorus_state_words(const char *s)
{
	static const struct {
		const char *state;
		const char *words;
	} t[] = {
	    {"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", "received, waiting to be processed"},
	    {"IN_RECU", "received"},
	    {"IN_EN_ATTENTE_TRAITEMENT_CPP", "waiting to be processed"},
	    {"IN_EN_COURS_TRAITEMENT_CPP", "being processed"},
	    {"IN_EN_ATTENTE_RETRAITEMENT_CPP", "waiting to be processed again"},
	    {"IN_TRAITE_SE_CPP", "processed, being integrated"},
	    {"IN_A_RELANCER", "to be processed again by Chorus Pro"},
	    {"IN_ERREUR_INTERNE", "held by an internal error of Chorus Pro"},
	    {"IN_INTEGRE", "integrated: Chorus Pro accepted the invoice"},
	    {"IN_INTEGRE_PARTIEL", "partly integrated: some invoices of the deposit were rejected"},
	    {"IN_REJETE", "rejected by Chorus Pro"},
	    {"IN_INCIDENTE", "stopped by an incident in Chorus Pro (technical error in the file)"},
	};
	size_t i;
	if (s == NULL)
		return NULL;
	for (i = 0; i < nitems(t); i++)
		if (strcmp(s, t[i].state) == 0)
			return t[i].words;
	return NULL;
}

/* Lower-case ASCII copy with the French accented letters of UTF-8 folded to their
 * base letter, so messages match with or without accents. Caller frees. */
static char *
fold(const char *s)
{
	struct buf b;
	const unsigned char *p = (const unsigned char *)s;
	buf_init(&b);
	while (*p) {
		if (p[0] == 0xc3 && p[1]) {
			unsigned c = p[1] | 0x20; /* fold upper-case: À (0x80) -> à (0xa0) */
			char r = '?';
			if (c >= 0xa0 && c <= 0xa5)
				r = 'a';
			else if (c == 0xa7)
				r = 'c';
			else if (c >= 0xa8 && c <= 0xab)
				r = 'e';
			else if (c >= 0xac && c <= 0xaf)
				r = 'i';
			else if (c >= 0xb2 && c <= 0xb6)
				r = 'o';
			else if (c >= 0xb9 && c <= 0xbc)
				r = 'u';
			buf_addc(&b, r);
			p += 2;
			continue;
		}
		buf_addc(&b, (char)tolower(*p));
		p++;
	}
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

char *
chorus_error_advice(const char *message, const char *supplier, const char *buyer)
{
	char *m, *r = NULL;
	const char *sup = supplier && *supplier ? supplier : "of the invoice";
	const char *buy = buyer && *buyer ? buyer : "of the invoice";
	if (message == NULL)
		return NULL;
	m = fold(message);
	if (strstr(m, "existe deja"))
		r = xasprintf("this invoice number was already deposited for supplier %s: a new "
		              "invoice needs a new number (use `chorusgw retry --force` only if "
		              "the first deposit was rejected)",
		              sup);
	else if (strstr(m, "rejetee par le destinataire") || strstr(m, "nouveau numero"))
		r = xstrdup("the buyer rejected an invoice with this number: issue a new invoice "
		            "with a new number");
	else if (strstr(m, "fournisseur") &&
	         (strstr(m, "pas reference") || strstr(m, "aucun identifiant")))
		r = xasprintf(
		    "the supplier SIRET %s is not known to Chorus Pro: fix the supplier's "
		    "SIRET in the invoice, or create the establishment in Chorus Pro",
		    sup);
	else if (strstr(m, "fournisseur") && strstr(m, "rattache"))
		r = xasprintf("the technical account may not deposit for supplier %s: attach the "
		              "account to this establishment in Chorus Pro, or set "
		              "[supplier.%s] tech_login",
		              sup, supplier && *supplier ? supplier : "SIRET");
	else if (strstr(m, "code service") && strstr(m, "obligatoire"))
		r = xasprintf("buyer %s requires a service code: add the buyer's service code "
		              "(code service executant, BT-10) to the invoice",
		              buy);
	else if (strstr(m, "code service") && strstr(m, "inactif"))
		r = xasprintf(
		    "the service code is closed at buyer %s: ask the buyer for its current "
		    "service code and fix it in the invoice",
		    buy);
	else if (strstr(m, "code service") && strstr(m, "n'existe pas"))
		r = xasprintf(
		    "the service code is unknown at buyer %s: fix the buyer's service code "
		    "(BT-10) in the invoice",
		    buy);
	else if (strstr(m, "engagement") && strstr(m, "obligatoire"))
		r = xasprintf("buyer %s requires an engagement number (numero d'engagement "
		              "juridique, the buyer's order reference): add it to the invoice",
		              buy);
	else if (strstr(m, "code service ou un numero d'engagement") ||
	         strstr(m, "code service ou un numero"))
		r = xasprintf("buyer %s requires a service code or an engagement number: add one "
		              "to the invoice",
		              buy);
	else if (strstr(m, "destinataire") &&
	         (strstr(m, "pas reference") || strstr(m, "aucun identifiant")))
		r = xasprintf(
		    "the buyer SIRET %s is not known to Chorus Pro: fix the buyer's SIRET "
		    "in the invoice address",
		    buy);
	else if (strstr(m, "destinataire") && strstr(m, "inactive"))
		r = xasprintf("buyer %s is closed in Chorus Pro and receives no invoices: ask the "
		              "buyer which structure replaces it",
		              buy);
	else if (strstr(m, "pas une structure publique"))
		r = xasprintf("%s is not a public structure: Chorus Pro only takes invoices to "
		              "public buyers; fix the buyer's SIRET",
		              buy);
	else if (strstr(m, "cadre de facturation"))
		r = xstrdup("fix the billing framework (cadre de facturation, A1 for a plain "
		            "supplier invoice)");
	else if (strstr(m, "type de facture"))
		r = xstrdup("fix the document type (380 invoice, 381 credit note)");
	else if (strstr(m, "numero de facture") && strstr(m, "depasse"))
		r = xstrdup(
		    "the invoice number is too long for Chorus Pro (20 characters at most)");
	else if (strstr(m, "xml") || strstr(m, "dtd") || strstr(m, "syntaxe"))
		r = xstrdup(
		    "the file is not a valid UBL/CII invoice for the declared syntax: check "
		    "the stylesheet output with `chorusgw validate`");
	free(m);
	return r;
}

/* ---------------------------------------------------------------------------------
 * classification (pure)
 */

void
chorus_result_clear(struct chorus_result *r)
{
	free(r->libelle);
	free(r->reason);
	free(r->setup);
	free(r->raw);
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

static void PRINTFLIKE(2, 3) set_reason(struct chorus_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->reason);
	r->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

static void PRINTFLIKE(2, 3) set_setup(struct chorus_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->setup);
	r->setup = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The body, at most CHORUS_RAW_MAX bytes, secrets removed. */
static char *
raw_of(const struct buf *b)
{
	return oauth_excerpt(b->p, b->len, CHORUS_RAW_MAX);
}

static const char *
env_name(const struct chorus_env *env)
{
	return env->production ? "production" : "sandbox (qualification)";
}

static void
classify_transport(enum chorus_op op, const struct http_resp *h, const struct chorus_env *env,
                   struct chorus_result *out)
{
	const char *host = env->host ? env->host : "the server";
	const char *err = h->error ? h->error : "unknown error";
	char tbuf[32];
	out->cls = CHORUS_RETRY;
	switch (h->fail) {
	case HTTP_FAIL_RESOLVE:
		set_reason(out, "cannot find %s in the DNS (%s)", host, err);
		set_setup(out,
		          "check the host name in [chorus] token_url / api_url and this machine's "
		          "DNS resolution (and https_proxy if a proxy is required)");
		break;
	case HTTP_FAIL_CONNECT:
		set_reason(out, "cannot connect to %s (%s)", host, err);
		set_setup(out,
		          "check that this machine may open HTTPS connections to %s (firewall, "
		          "outgoing proxy: https_proxy), and the address in [chorus] token_url / "
		          "api_url",
		          host);
		break;
	case HTTP_FAIL_TLS_VERIFY:
		out->cls = CHORUS_SETUP;
		set_reason(out, "the TLS certificate of %s is not trusted (%s)", host, err);
		set_setup(out,
		          "check [chorus] ca_file (or the system's CA store, package "
		          "ca-certificates); behind a TLS-inspecting proxy, put the proxy's CA in "
		          "ca_file; the host name in token_url / api_url must match the "
		          "certificate");
		break;
	case HTTP_FAIL_TLS:
		set_reason(out, "the TLS handshake with %s failed (%s)", host, err);
		set_setup(out, "check the outgoing proxy and that %s is the PISTE address", host);
		break;
	case HTTP_FAIL_TIMEOUT:
		fmt_duration(tbuf, sizeof(tbuf), env->timeout_ms);
		if (h->maybe_sent)
			set_reason(out, "%s did not answer in time (timeout %s)", host, tbuf);
		else
			set_reason(out, "no connection to %s in time (%s)", host, err);
		set_setup(out,
		          "if this persists, check the network path to %s, or raise [chorus] "
		          "timeout / connect_timeout",
		          host);
		break;
	case HTTP_FAIL_DROPPED:
		set_reason(out, "the connection to %s was lost before the answer (%s)", host, err);
		break;
	case HTTP_FAIL_TOO_BIG:
		set_reason(out, "the answer of %s is too large (%s)", host, err);
		break;
	default:
		set_reason(out, "request to %s failed (%s)", host, err);
		break;
	}
	if (op == CHORUS_OP_DEPOSIT && h->maybe_sent)
		out->unknown_outcome = 1;
}

/* 1 when a 401's WWW-Authenticate blames the technical account (cpro-account), not
 * the token: "login or password incorrects". A new token would not help. */
static int
blames_account(const char *www_authenticate)
{
	char *desc =
	    www_authenticate ? oauth_auth_param(www_authenticate, "error_description") : NULL;
	char *fd = fold(desc ? desc : "");
	int r = strstr(fd, "login") || strstr(fd, "password") || strstr(fd, "account") ||
	        strstr(fd, "compte") || strstr(fd, "mot de passe");
	free(fd);
	free(desc);
	return r;
}

static void
classify_401(enum chorus_op op, const struct http_resp *h, const struct chorus_env *env,
             struct chorus_result *out)
{
	char *desc =
	    h->www_authenticate ? oauth_auth_param(h->www_authenticate, "error_description") : NULL;
	char *errc = h->www_authenticate ? oauth_auth_param(h->www_authenticate, "error") : NULL;
	out->cls = CHORUS_SETUP;
	if (op == CHORUS_OP_TOKEN) {
		set_reason(out, "PISTE refused the application's credentials (HTTP 401%s%s)",
		           desc ? ": " : "", desc ? desc : "");
		set_setup(out,
		          "check [chorus] client_id and client_secret: they must be the OAuth "
		          "credentials of your PISTE application in the %s environment",
		          env_name(env));
	} else if (blames_account(h->www_authenticate)) {
		set_reason(out, "Chorus Pro refused the technical account %s (HTTP 401: %s)",
		           env->login ? env->login : "", desc);
		set_setup(
		    out,
		    "check the technical account's login and password ([chorus] tech_login / "
		    "tech_password, or those of the [supplier.SIRET] section); its password "
		    "expires every 14 months and must then be changed in Chorus Pro; qualification "
		    "and production have separate technical accounts (mode = %s)%s",
		    env->production ? "production" : "qualification",
		    env->production
		        ? "; in production, the PISTE application's name must also be "
		          "declared in the structure's API connection (raccordement) in "
		          "Chorus Pro"
		        : "");
	} else {
		set_reason(
		    out,
		    "PISTE refused the access token even after getting a new one (HTTP 401%s%s)",
		    desc || errc ? ": " : "",
		    desc   ? desc
		    : errc ? errc
		           : "");
		set_setup(out,
		          "check that [chorus] token_url and api_url belong to the same PISTE "
		          "environment (sandbox-oauth + sandbox-api for qualification, oauth + api "
		          "for production; mode = %s)",
		          env->production ? "production" : "qualification");
	}
	free(desc);
	free(errc);
}

struct json *
chorus_classify(enum chorus_op op, const struct http_resp *h, const struct chorus_env *env,
                struct chorus_result *out)
{
	struct json *ans = NULL;
	const char *api = api_of(op);
	const char *st;
	long s = h->status;
	char *perr = NULL;

	memset(out, 0, sizeof(*out));
	out->retry_after_ms = -1;
	out->elapsed_ms = h->elapsed_ms;

	if (h->fail != HTTP_FAIL_NONE) {
		classify_transport(op, h, env, out);
		goto done;
	}
	out->http_status = s;
	out->raw = raw_of(&h->body);
	st = http_status_text(s);
	if (h->body.len > 0) {
		ans = json_parse(h->body.p, h->body.len, &perr);
		if (ans && !json_isobj(ans)) {
			json_free(ans);
			ans = NULL;
		}
		free(perr);
	}
	if (ans) {
		int64_t code;
		const char *lib = json_str(json_get(ans, "libelle"));
		if (json_int(json_get(ans, "codeRetour"), &code) == 0) {
			out->has_code_retour = 1;
			out->code_retour = code;
		}
		if (lib)
			out->libelle = xstrdup(lib);
	}

	if (s >= 200 && s < 300) {
		const char *ct = h->content_type ? h->content_type : "no Content-Type";
		if (ans == NULL) {
			out->cls = CHORUS_RETRY;
			set_reason(out,
			           "%s answered HTTP %ld with something that is not JSON (%s): a "
			           "maintenance page or a proxy?",
			           op == CHORUS_OP_TOKEN ? "PISTE" : "Chorus Pro", s, ct);
			set_setup(
			    out,
			    "if this persists, check that [chorus] %s is the PISTE address and "
			    "that no proxy rewrites the answers",
			    op == CHORUS_OP_TOKEN ? "token_url" : "api_url");
			if (op == CHORUS_OP_DEPOSIT)
				out->unknown_outcome = 1;
		} else if (out->has_code_retour && out->code_retour != 0 &&
		           !((op == CHORUS_OP_SEARCH || op == CHORUS_OP_STRUCTURE ||
		              op == CHORUS_OP_OWN) &&
		             is_no_result(out->code_retour, out->libelle))) {
			const char *w = chorus_code_words(out->code_retour, out->libelle);
			out->cls = CHORUS_DOCUMENT;
			set_reason(out, "Chorus Pro refused the request: %s (codeRetour %lld%s%s)",
			           w              ? w
			           : out->libelle ? out->libelle
			                          : "no reason given",
			           (long long)out->code_retour, out->libelle && w ? ", " : "",
			           out->libelle && w ? out->libelle : "");
		} else
			out->cls = CHORUS_OK;
		goto done;
	}

	if (s == 401) {
		classify_401(op, h, env, out);
	} else if (op == CHORUS_OP_TOKEN && s == 400) {
		const char *e = json_str(json_get(ans, "error"));
		const char *d = json_str(json_get(ans, "error_description"));
		out->cls = CHORUS_SETUP;
		if (e && strcmp(e, "invalid_client") == 0) {
			set_reason(out,
			           "PISTE refused the application's credentials (HTTP 400 "
			           "invalid_client%s%s)",
			           d ? ": " : "", d ? d : "");
			set_setup(
			    out,
			    "check [chorus] client_id (%s) and client_secret: they must be the "
			    "OAuth credentials of your PISTE application in the %s environment "
			    "(PISTE > Applications); sandbox and production applications have "
			    "different credentials",
			    env->client_id ? env->client_id : "unset", env_name(env));
		} else {
			set_reason(out, "PISTE refused the token request (HTTP 400 %s%s%s)",
			           e ? e : "Bad Request", d ? ": " : "", d ? d : "");
			set_setup(out, "check [chorus] token_url: it should be the PISTE OAuth "
			               "endpoint, such as " PISTE_TOKEN_URL_PROD);
		}
	} else if (s == 403) {
		const char *d = json_str(json_get(ans, "error_description"));
		out->cls = CHORUS_SETUP;
		if (op == CHORUS_OP_TOKEN) {
			set_reason(out, "PISTE refused the token request (HTTP 403%s%s)",
			           d ? ": " : "", d ? d : "");
			set_setup(out, "check that the PISTE application is active and that "
			               "[chorus] client_id is its id");
		} else {
			set_reason(out,
			           "PISTE refused access to the Chorus Pro %s API (HTTP 403%s%s)",
			           api, d ? ": " : "", d ? d : "");
			set_setup(
			    out,
			    "subscribe your PISTE application to the %s API: in PISTE, accept the "
			    "CGU of the Chorus Pro APIs (Factures, Transverses, Structures) for "
			    "the "
			    "application in the %s environment%s; a 403 also answers a route that "
			    "does not exist: check [chorus] api_url",
			    api, env_name(env),
			    env->production ? ", and declare the application's name in the "
			                      "Chorus Pro API connection (raccordement)"
			                    : "");
		}
	} else if (s == 400) {
		out->cls = CHORUS_DOCUMENT;
		set_reason(out, "Chorus Pro refused the request as malformed (HTTP 400%s%s)",
		           out->libelle ? ": " : "", out->libelle ? out->libelle : "");
	} else if (s == 413) {
		out->cls = CHORUS_DOCUMENT;
		set_reason(out, "the file is too large for Chorus Pro (HTTP 413%s%s)",
		           out->libelle ? ": " : "", out->libelle ? out->libelle : "");
	} else if (s == 408 || s == 425 || s == 429) {
		out->cls = CHORUS_RETRY;
		out->retry_after_ms = http_retry_after_ms(h->retry_after, time(NULL));
		if (s == 429)
			set_reason(out,
			           "PISTE limits the request rate (HTTP 429 Too Many Requests%s%s)",
			           h->retry_after ? "; retry after " : "",
			           h->retry_after ? h->retry_after : "");
		else
			set_reason(out, "Chorus Pro asks to try again later (HTTP %ld %s)", s, st);
		if (s == 429)
			set_setup(out, "if this happens often, lower [chorus] max_in_flight");
	} else if (s >= 500 && s < 600) {
		out->cls = CHORUS_RETRY;
		out->retry_after_ms = http_retry_after_ms(h->retry_after, time(NULL));
		set_reason(out, "%s is unavailable (HTTP %ld%s%s)",
		           op == CHORUS_OP_TOKEN ? "PISTE" : "Chorus Pro", s, *st ? " " : "", st);
		set_setup(out, "nothing to change here: Chorus Pro or PISTE is down or in "
		               "maintenance; chorusgw tries again later (announcements on "
		               "communaute.chorus-pro.gouv.fr)");
		if (op == CHORUS_OP_DEPOSIT)
			out->unknown_outcome = 1;
	} else {
		/* 404, 405, 415, redirects, anything unexpected: the address or chorusgw is
		 * wrong, not the document */
		out->cls = CHORUS_SETUP;
		set_reason(out, "%s answered HTTP %ld%s%s to %s",
		           env->host ? env->host : "the server", s, *st ? " " : "", st,
		           chorus_op_name(op));
		set_setup(out,
		          "check [chorus] %s: it should be the PISTE address only, such as %s "
		          "(without /cpro)",
		          op == CHORUS_OP_TOKEN ? "token_url" : "api_url",
		          op == CHORUS_OP_TOKEN ? PISTE_TOKEN_URL_PROD : PISTE_API_URL_PROD);
	}

done:
	if (out->unknown_outcome && out->reason) {
		char *t = xasprintf("%s; the deposit may have been received: search for it before "
		                    "depositing again",
		                    out->reason);
		free(out->reason);
		out->reason = t;
	}
	return ans;
}

/* ---------------------------------------------------------------------------------
 * client
 */

static char *
host_of(const char *url)
{
	const char *p = strstr(url, "://"), *e;
	p = p ? p + 3 : url;
	e = p + strcspn(p, "/?#");
	return xstrndup(p, (size_t)(e - p));
}

static void
account_init(struct account *a, const char *siret, const char *login, const char *password)
{
	char *pair = xasprintf("%s:%s", login, password);
	char *b64 = base64_encode(pair, strlen(pair));
	log_secret(password);
	log_secret(b64);
	a->siret = siret ? xstrdup(siret) : NULL;
	a->login = xstrdup(login);
	a->header = xasprintf("cpro-account: %s", b64);
	explicit_bzero(pair, strlen(pair));
	explicit_bzero(b64, strlen(b64));
	free(pair);
	free(b64);
}

struct chorus *
chorus_new(const struct conf *c, const char *cache_dir, char **why)
{
	struct chorus *ch;
	struct http_opts ho;
	struct oauth_client_cfg oc;
	size_t i;

	if (c->client_id == NULL || c->client_secret == NULL || c->tech_login == NULL ||
	    c->tech_password == NULL) {
		fail(why, "[chorus] client_id, client_secret, tech_login and tech_password are "
		          "needed to talk to Chorus Pro");
		return NULL;
	}
	memset(&ho, 0, sizeof(ho));
	ho.ca_file = c->ca_file;
	ho.connect_timeout_ms = c->connect_timeout_ms;
	ho.timeout_ms = c->timeout_ms;
	ho.max_in_flight = (int)c->max_in_flight;
	ho.max_answer = 32u * 1024 * 1024;
	if (http_init(&ho, why) == -1)
		return NULL;

	ch = xcalloc(1, sizeof(*ch));
	ch->conf = c;
	ch->api_url = xstrdup(c->api_url);
	ch->token_host = host_of(c->token_url);
	ch->api_host = host_of(c->api_url);
	ch->client_id = xstrdup(c->client_id);
	memset(&oc, 0, sizeof(oc));
	oc.token_url = c->token_url;
	oc.client_id = c->client_id;
	oc.client_secret = c->client_secret;
	oc.scope = "openid";
	oc.what = "PISTE token";
	oc.answer = token_answer;
	oc.free_failure = free_failure;
	oc.arg = ch;
	ch->oc = oauth_client_new(&oc);
	ch->production = c->mode == MODE_PRODUCTION;
	ch->timeout_ms = c->timeout_ms;
	ch->cache_dir = cache_dir ? xstrdup(cache_dir) : NULL;
	ch->cache_ttl_ms = c->structure_cache_ttl_ms;
	ch->accounts = xcalloc(c->nsuppliers + 1, sizeof(*ch->accounts));
	account_init(&ch->accounts[ch->naccounts++], NULL, c->tech_login, c->tech_password);
	for (i = 0; i < c->nsuppliers; i++) {
		const struct conf_supplier *s = &c->suppliers[i];
		if (s->tech_login && s->tech_password)
			account_init(&ch->accounts[ch->naccounts++], s->siret, s->tech_login,
			             s->tech_password);
	}
	return ch;
}

static void
reply_free_fields(struct chorus_reply *p)
{
	size_t i;
	chorus_result_clear(&p->r);
	free(p->deposit.flux);
	free(p->deposit.date);
	free(p->deposit.syntax);
	free(p->report.state);
	free(p->report.deposit_date);
	free(p->report.state_date);
	free(p->report.file_name);
	free(p->report.interface);
	for (i = 0; i < p->report.nerrors; i++) {
		struct chorus_report_error *e = &p->report.errors[i];
		free(e->invoice);
		free(e->supplier);
		free(e->buyer);
		free(e->code);
		free(e->nature);
		free(e->message);
		free(e->advice);
	}
	free(p->report.errors);
	for (i = 0; i < p->invoices.n; i++) {
		struct chorus_invoice *v = &p->invoices.v[i];
		free(v->number);
		free(v->flux);
		free(v->status);
		free(v->status_date);
		free(v->comment);
		free(v->type);
		free(v->deposit_date);
		free(v->supplier);
		free(v->buyer);
		free(v->service);
	}
	free(p->invoices.v);
	free(p->history.current);
	for (i = 0; i < p->history.n; i++) {
		free(p->history.v[i].status);
		free(p->history.v[i].date);
		free(p->history.v[i].comment);
	}
	free(p->history.v);
	free(p->structure.siret);
	free(p->structure.name);
	free(p->structure.status);
	free(p->structure.password_expiry);
	for (i = 0; i < p->structure.nservices; i++) {
		free(p->structure.services[i].code);
		free(p->structure.services[i].label);
	}
	free(p->structure.services);
	for (i = 0; i < p->own.n; i++) {
		free(p->own.v[i].siret);
		free(p->own.v[i].name);
	}
	free(p->own.v);
}

void
chorus_reply_free(struct chorus_reply *p)
{
	if (p == NULL)
		return;
	reply_free_fields(p);
	free(p);
}

static void
call_free(struct chorus_call *k)
{
	if (k->body)
		explicit_bzero(k->body, strlen(k->body));
	free(k->body);
	free(k->token_used);
	free(k->number);
	free(k->flux);
	free(k->siret);
	free(k->file_name);
	free(k->b64);
	json_free(k->seen);
	chorus_reply_free(k->reply);
	free(k);
}

static void
unlink_call(struct chorus_call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		k->ch->calls = k->next;
	if (k->next)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
}

void
chorus_cancel(struct chorus_call *k)
{
	if (k == NULL)
		return;
	if (k->req)
		http_cancel(k->req);
	oauth_client_cancel(k->ch->oc, &k->w);
	if (k->defer)
		ev_timer_del(k->defer);
	unlink_call(k);
	call_free(k);
}

void
chorus_free(struct chorus *ch)
{
	size_t i;
	if (ch == NULL)
		return;
	while (ch->calls)
		chorus_cancel(ch->calls);
	oauth_client_free(ch->oc);
	for (i = 0; i < ch->naccounts; i++) {
		free(ch->accounts[i].siret);
		free(ch->accounts[i].login);
		explicit_bzero(ch->accounts[i].header, strlen(ch->accounts[i].header));
		free(ch->accounts[i].header);
	}
	free(ch->accounts);
	free(ch->api_url);
	free(ch->token_host);
	free(ch->api_host);
	free(ch->client_id);
	free(ch->cache_dir);
	free(ch);
	http_fini();
}

int
chorus_token_fetches(const struct chorus *ch)
{
	return oauth_client_fetches(ch->oc);
}

static const struct account *
account_for(const struct chorus *ch, const char *siret)
{
	size_t i;
	if (siret)
		for (i = 1; i < ch->naccounts; i++)
			if (strcmp(ch->accounts[i].siret, siret) == 0)
				return &ch->accounts[i];
	return &ch->accounts[0];
}

const char *
chorus_account_login(const struct chorus *ch, const char *siret)
{
	return account_for(ch, siret)->login;
}

static void
env_for(const struct chorus_call *k, struct chorus_env *env)
{
	memset(env, 0, sizeof(*env));
	env->production = k->ch->production;
	env->host = k->op == CHORUS_OP_TOKEN ? k->ch->token_host : k->ch->api_host;
	env->login = k->acct ? k->acct->login : NULL;
	env->client_id = k->ch->client_id;
	env->timeout_ms = k->ch->timeout_ms;
}

static struct chorus_call *
call_new(struct chorus *ch, enum chorus_op op, const char *siret, const char *path, chorus_cb *cb,
         void *arg)
{
	struct chorus_call *k = xcalloc(1, sizeof(*k));
	k->ch = ch;
	k->op = op;
	k->acct = account_for(ch, siret);
	k->path = path;
	k->cb = cb;
	k->arg = arg;
	k->t0 = now_ms();
	k->reply = xcalloc(1, sizeof(*k->reply));
	k->reply->op = op;
	k->reply->r.retry_after_ms = -1;
	k->next = ch->calls;
	if (ch->calls)
		ch->calls->prev = k;
	ch->calls = k;
	return k;
}

/* Deliver the reply: the callback owns it; the call is gone afterwards. */
static void
call_finish(struct chorus_call *k)
{
	struct chorus_reply *p = k->reply;
	chorus_cb *cb = k->cb;
	void *arg = k->arg;
	p->r.elapsed_ms = now_ms() - k->t0;
	if (p->r.cls != CHORUS_OK)
		log_debug("chorus: %s: %s: %s", chorus_op_name(k->op), chorus_class_name(p->r.cls),
		          p->r.reason ? p->r.reason : "");
	k->reply = NULL;
	unlink_call(k);
	call_free(k);
	cb(p, arg);
}

static void
on_defer(void *arg)
{
	struct chorus_call *k = arg;
	k->defer = NULL;
	call_finish(k);
}

/* Finish from the event loop, never from inside the call that started the operation. */
static void
call_finish_later(struct chorus_call *k)
{
	k->defer = ev_timer_add(0, on_defer, k);
}

/* Fail a call with a copy of `r` (the token failure every waiter shares). */
static void
call_fail_with(struct chorus_call *k, const struct chorus_result *r, const char *prefix)
{
	struct chorus_result *o = &k->reply->r;
	chorus_result_clear(o);
	o->cls = r->cls;
	o->http_status = r->http_status;
	o->has_code_retour = r->has_code_retour;
	o->code_retour = r->code_retour;
	o->libelle = r->libelle ? xstrdup(r->libelle) : NULL;
	o->reason = r->reason ? xasprintf("%s%s", prefix, r->reason) : NULL;
	o->setup = r->setup ? xstrdup(r->setup) : NULL;
	o->retry_after_ms = r->retry_after_ms;
	o->raw = r->raw ? xstrdup(r->raw) : NULL;
	/* a deposit that never left (no token) has a known outcome: not deposited */
	call_finish(k);
}

/* ---- the token ---- */

/* The PISTE token endpoint's answer: the token is stored, or the failure every waiting
 * call gets (a chorus_result). */
static void *
token_answer(struct oauth_client *oc, const struct http_resp *h, void *arg)
{
	struct chorus *ch = arg;
	struct chorus_result *r = xcalloc(1, sizeof(*r));
	struct chorus_env env;
	struct json *ans;
	int64_t expires_in = 0;

	memset(&env, 0, sizeof(env));
	env.production = ch->production;
	env.host = ch->token_host;
	env.client_id = ch->client_id;
	env.timeout_ms = ch->timeout_ms;
	ans = chorus_classify(CHORUS_OP_TOKEN, h, &env, r);
	if (r->cls == CHORUS_OK) {
		const char *tok = oauth_token_of(ans, &expires_in);
		if (tok == NULL) {
			r->cls = CHORUS_RETRY;
			set_reason(r, "PISTE's token answer holds no usable bearer token");
		} else {
			oauth_client_store(oc, tok, expires_in);
			log_debug("chorus: new PISTE token, valid %llds",
			          (long long)oauth_client_expires_in(oc));
		}
	}
	json_free(ans);
	if (r->cls == CHORUS_OK) {
		chorus_result_clear(r);
		free(r);
		return NULL;
	}
	/* the answer may hold the token: keep only what a failure shows */
	free(r->raw);
	r->raw = raw_of(&h->body);
	return r;
}

static void
free_failure(void *r)
{
	chorus_result_clear(r);
	free(r);
}

/* The token request ended: go on with the call, or fail it as the token failed. */
static void
token_ready(struct oauth_waiter *w, const void *failure)
{
	struct chorus_call *k =
	    (struct chorus_call *)(void *)((char *)w - offsetof(struct chorus_call, w));
	if (failure)
		call_fail_with(k, failure, k->op == CHORUS_OP_TOKEN ? "" : "PISTE token: ");
	else if (k->op == CHORUS_OP_TOKEN) {
		k->reply->token_expires_in_s = oauth_client_expires_in(k->ch->oc);
		k->reply->r.http_status = 200;
		k->reply->r.raw = xstrdup("");
		call_finish(k);
	} else
		call_send(k);
}

/* Run the call now if a token is at hand, else queue it behind the one token request. */
static void
call_begin(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	k->w.ready = token_ready;
	if (!oauth_client_wait(ch->oc, &k->w))
		return;
	if (k->op == CHORUS_OP_TOKEN) {
		k->reply->token_expires_in_s = oauth_client_expires_in(ch->oc);
		k->reply->r.raw = xstrdup("");
		call_finish_later(k);
	} else
		call_send(k);
}

/* ---- API calls ---- */

static void api_done(struct http_resp *, void *);

static void
call_send(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	char *auth = xasprintf("Authorization: Bearer %s", oauth_client_token(ch->oc));
	const char *hdrs[6];
	char *url = xasprintf("%s%s", ch->api_url, k->path);
	struct http_reqspec s;
	size_t n = 0;

	hdrs[n++] = auth;
	hdrs[n++] = k->acct->header;
	hdrs[n++] = "Accept: application/json";
	if (!k->get)
		hdrs[n++] = "Content-Type: application/json;charset=utf-8";
	hdrs[n] = NULL;
	memset(&s, 0, sizeof(s));
	s.method = k->get ? "GET" : "POST";
	s.url = url;
	s.headers = hdrs;
	s.body = k->body;
	s.body_len = k->body ? strlen(k->body) : 0;
	s.flags = k->flags;
	s.what = k->path;
	free(k->token_used);
	k->token_used = xstrdup(oauth_client_token(ch->oc));
	k->req = http_request(&s, api_done, k);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
}

/* Each operation's reading of a successful answer: 1 = another request is needed (the
 * body was rebuilt), 0 = done, -1 = the answer is not what Chorus Pro sends. */
static int parse_answer(struct chorus_call *, struct json *);

static void
api_done(struct http_resp *h, void *arg)
{
	struct chorus_call *k = arg;
	struct chorus_env env;
	struct chorus_result r;
	struct json *ans;
	int rc;

	k->req = NULL;
	if (h->status == 401 && h->fail == HTTP_FAIL_NONE && !k->refreshed &&
	    !blames_account(h->www_authenticate)) {
		/* the token expired or was revoked: one new token, then the same request */
		k->refreshed = 1;
		if (oauth_client_reject(k->ch->oc, k->token_used))
			log_info("chorus: PISTE refused the access token on %s; getting a new one",
			         chorus_op_name(k->op));
		http_resp_free(h);
		call_begin(k);
		return;
	}
	env_for(k, &env);
	ans = chorus_classify(k->op, h, &env, &r);
	/* keep the reply's data from previous pages; take this exchange's verdict */
	chorus_result_clear(&k->reply->r);
	k->reply->r = r;
	if (r.cls == CHORUS_OK) {
		rc = parse_answer(k, ans);
		if (rc == -1) {
			struct chorus_result *o = &k->reply->r;
			o->cls = CHORUS_RETRY;
			if (o->reason == NULL)
				set_reason(o, "Chorus Pro's answer to %s is not understood",
				           chorus_op_name(k->op));
			if (k->op == CHORUS_OP_DEPOSIT) {
				char *t =
				    xasprintf("%s; the deposit may have been received: search for "
				              "it before depositing again",
				              o->reason);
				free(o->reason);
				o->reason = t;
				o->unknown_outcome = 1;
			}
		}
	} else
		rc = 0;
	json_free(ans);
	http_resp_free(h);
	if (rc == 1)
		call_send(k);
	else
		call_finish(k);
}

/* ---- helpers for answers ---- */

static char *
dup_str(const struct json *o, const char *key)
{
	const char *s = json_str(json_get(o, key));
	return s ? xstrdup(s) : NULL;
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

/* ---- deposit ---- */

static int
parse_deposit(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	p->deposit.flux = dup_str(a, "numeroFluxDepot");
	p->deposit.date = dup_str(a, "dateDepot");
	p->deposit.syntax = dup_str(a, "syntaxeFlux");
	if (p->deposit.flux == NULL || *p->deposit.flux == '\0') {
		set_reason(&p->r, "Chorus Pro's answer to the deposit has no numeroFluxDepot");
		return -1;
	}
	return 0;
}

struct chorus_call *
chorus_deposit(struct chorus *ch, const struct chorus_deposit_req *q, chorus_cb *cb, void *arg)
{
	struct chorus_call *k =
	    call_new(ch, CHORUS_OP_DEPOSIT, q->supplier_siret, PATH_DEPOSIT, cb, arg);
	struct json *b = json_new_object();
	char *b64 = base64_encode(q->data, q->len);
	json_set(b, "fichierFlux", json_new_str(b64));
	free(b64);
	json_set_str(b, "nomFichier", q->file_name);
	json_set_str(b, "syntaxeFlux",
	             q->syntax == SYNTAX_CII ? "IN_DP_E1_CII_16B" : "IN_DP_E1_UBL_INVOICE");
	json_set_bool(b, "avecSignature", 0);
	k->body = dump_free(b);
	/* DESIGN §2.5: a connection of its own, never reused, so libcurl cannot re-send it */
	k->flags = HTTP_FRESH;
	call_begin(k);
	return k;
}

/* ---- deposit report ---- */

static void
add_report_error(struct chorus_reply *p, const struct json *e, int technical)
{
	struct chorus_report_error *x;
	p->report.errors =
	    xreallocarray(p->report.errors, p->report.nerrors + 1, sizeof(*p->report.errors));
	x = &p->report.errors[p->report.nerrors++];
	memset(x, 0, sizeof(*x));
	x->technical = technical;
	if (technical) {
		x->code = dup_str(e, "codeErreur");
		x->nature = dup_str(e, "natureErreur");
		x->message = dup_str(e, "libelleErreur");
	} else {
		x->invoice = dup_str(e, "numeroDP");
		x->supplier = dup_str(e, "identifiantFournisseur");
		x->buyer = dup_str(e, "identifiantDestinataire");
		x->message = dup_str(e, "libelleErreurDP");
	}
	x->advice = chorus_error_advice(x->message, x->supplier, x->buyer);
}

static int
parse_report(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l;
	const char *s;
	size_t i;
	p->report.state = dup_str(a, "etatCourantDepotFlux");
	if (p->report.state == NULL) {
		set_reason(&p->r, "Chorus Pro's deposit report has no etatCourantDepotFlux");
		return -1;
	}
	s = p->report.state;
	p->report.words = chorus_state_words(s);
	p->report.integrated = strcmp(s, "IN_INTEGRE") == 0 || strcmp(s, "IN_INTEGRE_PARTIEL") == 0;
	p->report.final =
	    p->report.integrated || strcmp(s, "IN_REJETE") == 0 || strcmp(s, "IN_INCIDENTE") == 0;
	p->report.deposit_date = dup_str(a, "dateDepotFlux");
	p->report.state_date = dup_str(a, "dateHeureEtatCourantFlux");
	p->report.file_name = dup_str(a, "nomFichier");
	p->report.interface = dup_str(a, "codeInterfaceDepotFlux");
	l = json_get(a, "listeErreurDP");
	for (i = 0; i < json_len(l); i++)
		add_report_error(p, json_at(l, i), 0);
	l = json_get(a, "listeErreurTechnique");
	for (i = 0; i < json_len(l); i++)
		add_report_error(p, json_at(l, i), 1);
	return 0;
}

struct chorus_call *
chorus_report(struct chorus *ch, const char *siret, const char *flux, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_REPORT, siret, PATH_REPORT, cb, arg);
	struct json *b = json_new_object();
	json_set_str(b, "numeroFluxDepot", flux ? flux : "");
	k->body = dump_free(b);
	call_begin(k);
	return k;
}

/* ---- invoice search ---- */

static void
build_search(struct chorus_call *k)
{
	struct json *b = json_new_object(), *pg = json_new_object();
	json_set_str(b, "numeroFacture", k->number);
	json_set_str(b, "numeroFluxDepot", k->flux);
	json_set_int(pg, "pageResultatDemandee", k->page);
	json_set_int(pg, "nbResultatsParPage", k->per_page);
	/* oldest first: invoices deposited while we page land on the last page instead
	 * of pushing the ones we have not read yet onto pages we already read */
	json_set_str(pg, "triColonne", "DateDepot");
	json_set_str(pg, "triSens", "Ascendant");
	json_set(b, "rechercheFactureParFournisseur", pg);
	free(k->body);
	k->body = dump_free(b);
}

/* The integer at `path` (a page count), 0 when absent. */
static int64_t
pages_of(const struct json *a, const char *path)
{
	int64_t n = 0;
	if (json_int(json_path(a, path), &n) == 0)
		return n;
	return 0;
}

static int
parse_search(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l = json_get(a, "listeFactures");
	int64_t pages = pages_of(a, "parametresRetour.pages"), total;
	size_t i;

	if (l != NULL && !json_isarr(l)) {
		set_reason(&p->r,
		           "Chorus Pro's search answer has a listeFactures that is not a list");
		return -1;
	}
	if (json_int(json_path(a, "parametresRetour.total"), &total) == 0)
		p->invoices.total = total;
	p->invoices.pages_read++;
	for (i = 0; i < json_len(l); i++) {
		const struct json *f = json_at(l, i);
		struct chorus_invoice *v;
		int64_t id;
		char key[32];
		if (json_int(json_get(f, "identifiantFactureCPP"), &id) == -1)
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)id);
		if (json_get(k->seen, key))
			continue; /* moved across a page boundary while we read */
		json_set_bool(k->seen, key, 1);
		p->invoices.v =
		    xreallocarray(p->invoices.v, p->invoices.n + 1, sizeof(*p->invoices.v));
		v = &p->invoices.v[p->invoices.n++];
		memset(v, 0, sizeof(*v));
		v->id = id;
		v->number = dup_str(f, "numeroFacture");
		v->flux = dup_str(f, "numeroFluxDepot");
		v->status = dup_str(f, "statut");
		v->status_date = dup_str(f, "dateHeureEtatCourant");
		v->comment = dup_str(f, "commentaireEtatCourant");
		v->type = dup_str(f, "typeFacture");
		v->deposit_date = dup_str(f, "dateDepot");
		v->supplier = dup_str(f, "codeFournisseur");
		v->buyer = dup_str(f, "codeDestinataire");
		v->service = dup_str(f, "codeServiceExecutant");
		if (k->max_results && (int64_t)p->invoices.n >= k->max_results)
			return 0;
	}
	if (json_len(l) == 0 || k->page >= pages)
		return 0;
	if (k->page >= MAX_PAGES) {
		log_warn("chorus: rechercher/fournisseur: stopped after %d pages of %lld",
		         MAX_PAGES, (long long)pages);
		return 0;
	}
	k->page++;
	build_search(k);
	return 1;
}

struct chorus_call *
chorus_search(struct chorus *ch, const struct chorus_search_req *q, chorus_cb *cb, void *arg)
{
	struct chorus_call *k =
	    call_new(ch, CHORUS_OP_SEARCH, q->supplier_siret, PATH_SEARCH, cb, arg);
	k->number = q->number ? xstrdup(q->number) : NULL;
	k->flux = q->flux ? xstrdup(q->flux) : NULL;
	k->per_page = q->per_page > 0 ? q->per_page : 10;
	k->max_results = q->max_results > 0 ? q->max_results : 0;
	if (k->max_results && k->max_results < k->per_page)
		k->per_page = k->max_results;
	k->page = 1;
	k->seen = json_new_object();
	build_search(k);
	call_begin(k);
	return k;
}

/* ---- status history ---- */

static void
build_history(struct chorus_call *k)
{
	struct json *b = json_new_object(), *pg = json_new_object();
	json_set_int(b, "idFacture", k->id);
	json_set_int(pg, "pageResultatDemandeeListeHistoStatut", k->page);
	json_set_int(pg, "nbResultatsParPageListeHistoStatut", k->per_page);
	json_set_str(pg, "triSensListeHistoStatut", "Ascendant");
	json_set(b, "paramRechercheHistoStatuts", pg);
	free(k->body);
	k->body = dump_free(b);
}

static int
parse_history(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l = json_path(a, "historiquesDesStatuts.histoStatut");
	int64_t pages = pages_of(a, "historiquesDesStatuts.pagesHistoStatut");
	size_t i;
	if (p->history.current == NULL)
		p->history.current = dup_str(a, "statutCourantCode");
	if (p->history.current == NULL) {
		set_reason(&p->r, "Chorus Pro's history answer has no statutCourantCode");
		return -1;
	}
	for (i = 0; i < json_len(l); i++) {
		const struct json *e = json_at(l, i);
		struct chorus_status_event *v;
		p->history.v = xreallocarray(p->history.v, p->history.n + 1, sizeof(*p->history.v));
		v = &p->history.v[p->history.n++];
		v->status = dup_str(e, "histoStatutCode");
		v->date = dup_str(e, "histoStatutDatePassage");
		v->comment = dup_str(e, "histoStatutCommentaire");
	}
	if (json_len(l) == 0 || k->page >= pages || k->page >= MAX_PAGES)
		return 0;
	k->page++;
	build_history(k);
	return 1;
}

struct chorus_call *
chorus_history(struct chorus *ch, const char *siret, int64_t invoice_id, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_HISTORY, siret, PATH_HISTORY, cb, arg);
	k->id = invoice_id;
	k->page = 1;
	k->per_page = HISTORY_PER_PAGE;
	build_history(k);
	call_begin(k);
	return k;
}

/* ---- health-check, own structures, token ---- */

struct chorus_call *
chorus_health(struct chorus *ch, const char *siret, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_HEALTH, siret, PATH_HEALTH, cb, arg);
	k->get = 1;
	call_begin(k);
	return k;
}

static int
parse_own(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l = json_get(a, "listeStructures");
	size_t i;
	for (i = 0; i < json_len(l); i++) {
		const struct json *s = json_at(l, i);
		struct chorus_own_structure *v;
		p->own.v = xreallocarray(p->own.v, p->own.n + 1, sizeof(*p->own.v));
		v = &p->own.v[p->own.n++];
		memset(v, 0, sizeof(*v));
		json_int(json_get(s, "idStructureCPP"), &v->id);
		v->siret = dup_str(s, "identifiantStructure");
		if (v->siret == NULL)
			v->siret = dup_str(s, "identifiant");
		v->name = dup_str(s, "designationStructure");
	}
	return 0;
}

struct chorus_call *
chorus_own_structures(struct chorus *ch, const char *siret, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_OWN, siret, PATH_OWN, cb, arg);
	k->body = xstrdup("{}");
	call_begin(k);
	return k;
}

struct chorus_call *
chorus_token(struct chorus *ch, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_TOKEN, NULL, NULL, cb, arg);
	k->acct = NULL;
	call_begin(k);
	return k;
}

/* ---- buyer structures, cached ---- */

static int
siret_shape(const char *s)
{
	size_t n = 0;
	if (s == NULL)
		return 0;
	for (; s[n]; n++)
		if (s[n] < '0' || s[n] > '9')
			return 0;
	return n == 14;
}

static char *
cache_path(const struct chorus *ch, const char *siret)
{
	return xasprintf("%s/structure-%s.json", ch->cache_dir, siret);
}

void
chorus_structure_json(const struct chorus_reply *p, int brief, struct json *o)
{
	struct json *svcs;
	size_t i;
	json_set_bool(o, "found", p->structure.found);
	if (!p->structure.found)
		return;
	json_set_int(o, "id", p->structure.id);
	json_set_str(o, "name", p->structure.name);
	json_set_str(o, "status", p->structure.status);
	json_set_bool(o, "service_required", p->structure.service_required);
	json_set_bool(o, "engagement_required", p->structure.engagement_required);
	json_set_bool(o, "service_or_engagement", p->structure.service_or_engagement);
	json_set_str(o, "password_expiry", p->structure.password_expiry);
	svcs = json_new_array();
	for (i = 0; i < p->structure.nservices; i++) {
		const struct chorus_service *sv = &p->structure.services[i];
		struct json *s = json_new_object();
		if (!brief)
			json_set_int(s, "id", sv->id);
		json_set_str(s, "code", sv->code);
		if (!brief)
			json_set_str(s, "label", sv->label);
		json_set_bool(s, "active", sv->active);
		json_push(svcs, s);
	}
	json_set(o, "services", svcs);
}

static void
cache_write(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	struct chorus_reply *p = k->reply;
	struct json *o;
	char *text, *path, *why = NULL;
	if (ch->cache_dir == NULL || ch->cache_ttl_ms <= 0)
		return;
	o = json_new_object();
	json_set_int(o, "version", 1);
	json_set_int(o, "fetched", p->structure.fetched_ms);
	json_set_str(o, "siret", k->siret);
	chorus_structure_json(p, 0, o);
	text = json_dump(o, 1);
	json_free(o);
	path = cache_path(ch, k->siret);
	if (mkdir_p(ch->cache_dir, 0750, &why) == -1 ||
	    write_file_atomic(NULL, path, text, strlen(text), 0640, 0, &why) == -1) {
		log_warn("chorus: cannot cache the structure %s: %s", k->siret, why);
		free(why);
	}
	free(path);
	free(text);
}

/* 1 when a fresh cached answer was loaded into the reply. */
static int
cache_read(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	struct chorus_reply *p = k->reply;
	struct buf b;
	struct json *o;
	const struct json *l;
	char *path, *why = NULL;
	int64_t fetched = 0, ver = 0, ttl = ch->cache_ttl_ms, age;
	int found = 0;
	size_t i;

	if (ch->cache_dir == NULL || ttl <= 0)
		return 0;
	path = cache_path(ch, k->siret);
	buf_init(&b);
	if (read_file(path, CACHE_MAX_BYTES, 1, &b, &why) == -1) {
		if (errno != ENOENT)
			log_warn("chorus: ignoring the structure cache %s: %s", path, why);
		free(why);
		free(path);
		buf_free(&b);
		return 0;
	}
	o = json_parse(b.p, b.len, NULL);
	buf_free(&b);
	if (o == NULL || json_int(json_get(o, "version"), &ver) == -1 || ver != 1 ||
	    json_int(json_get(o, "fetched"), &fetched) == -1 ||
	    json_bool(json_get(o, "found"), &found) == -1 ||
	    strcmp(json_path_str(o, "siret", ""), k->siret) != 0) {
		log_warn("chorus: ignoring the damaged structure cache %s", path);
		json_free(o);
		free(path);
		return 0;
	}
	free(path);
	if (!found && ttl > NEGATIVE_CACHE_MS)
		ttl = NEGATIVE_CACHE_MS;
	age = wall_ms() - fetched;
	if (age < 0 || age >= ttl) {
		json_free(o);
		return 0;
	}
	p->structure.found = found;
	p->structure.from_cache = 1;
	p->structure.fetched_ms = fetched;
	p->structure.siret = xstrdup(k->siret);
	if (found) {
		json_int(json_get(o, "id"), &p->structure.id);
		p->structure.name = dup_str(o, "name");
		p->structure.status = dup_str(o, "status");
		p->structure.service_required = get_bool(o, "service_required");
		p->structure.engagement_required = get_bool(o, "engagement_required");
		p->structure.service_or_engagement = get_bool(o, "service_or_engagement");
		p->structure.password_expiry = dup_str(o, "password_expiry");
		l = json_get(o, "services");
		p->structure.nservices = json_len(l);
		p->structure.services =
		    xcalloc(p->structure.nservices + 1, sizeof(struct chorus_service));
		for (i = 0; i < p->structure.nservices; i++) {
			const struct json *s = json_at(l, i);
			json_int(json_get(s, "id"), &p->structure.services[i].id);
			p->structure.services[i].code = dup_str(s, "code");
			p->structure.services[i].label = dup_str(s, "label");
			p->structure.services[i].active = get_bool(s, "active");
		}
	}
	json_free(o);
	return 1;
}

enum { ST_SEARCH = 0, ST_GET, ST_SERVICES };

static void
build_structure(struct chorus_call *k)
{
	struct json *b = json_new_object(), *x = json_new_object();
	switch (k->step) {
	case ST_SEARCH:
		k->path = PATH_ST_SEARCH;
		json_set_str(x, "identifiantStructure", k->siret);
		json_set_str(x, "typeIdentifiantStructure", "SIRET");
		json_set(b, "structure", x);
		json_set_bool(b, "restreindreStructuresPrivees", 0);
		x = json_new_object();
		json_set_int(x, "nbResultatsParPage", 10);
		json_set_int(x, "pageResultatDemandee", 1);
		json_set(b, "parametres", x);
		break;
	case ST_GET:
		k->path = PATH_ST_GET;
		json_free(x);
		json_set_int(b, "idStructureCPP", k->reply->structure.id);
		json_set_str(b, "codeLangue", "fr");
		break;
	default:
		k->path = PATH_ST_SVC;
		json_set_int(b, "idStructure", k->reply->structure.id);
		json_set_int(x, "nbResultatsParPage", SERVICES_PER_PAGE);
		json_set_int(x, "pageResultatDemandee", k->page);
		json_set(b, "parametresRechercherServicesStructure", x);
		break;
	}
	free(k->body);
	k->body = dump_free(b);
}

static int
parse_structure(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l;
	size_t i;
	switch (k->step) {
	case ST_SEARCH:
		l = json_get(a, "listeStructures");
		for (i = 0; i < json_len(l); i++) {
			const struct json *s = json_at(l, i);
			if (strcmp(json_path_str(s, "identifiantStructure", ""), k->siret) != 0)
				continue;
			if (json_int(json_get(s, "idStructureCPP"), &p->structure.id) == -1)
				continue;
			p->structure.found = 1;
			p->structure.name = dup_str(s, "designationStructure");
			p->structure.status = dup_str(s, "statut");
			break;
		}
		p->structure.fetched_ms = wall_ms();
		if (!p->structure.found) {
			cache_write(k);
			return 0;
		}
		k->step = ST_GET;
		build_structure(k);
		return 1;
	case ST_GET:
		if (json_get(a, "parametres") == NULL) {
			set_reason(&p->r,
			           "Chorus Pro's answer about structure %s has no parametres",
			           k->siret);
			return -1;
		}
		p->structure.service_required =
		    get_bool(json_get(a, "parametres"), "codeServiceDoitEtreRenseigne");
		p->structure.engagement_required =
		    get_bool(json_get(a, "parametres"), "numeroEJDoitEtreRenseigne");
		p->structure.service_or_engagement =
		    get_bool(json_get(a, "parametres"), "gestionNumeroEJOuCodeService");
		p->structure.password_expiry = dup_str(json_get(a, "informationGenerales"),
		                                       "dateExpirationMotPasseCompteTech");
		k->step = ST_SERVICES;
		k->page = 1;
		build_structure(k);
		return 1;
	default:
		l = json_get(a, "listeServices");
		for (i = 0; i < json_len(l); i++) {
			const struct json *s = json_at(l, i);
			struct chorus_service *v;
			p->structure.services =
			    xreallocarray(p->structure.services, p->structure.nservices + 1,
			                  sizeof(*p->structure.services));
			v = &p->structure.services[p->structure.nservices++];
			memset(v, 0, sizeof(*v));
			json_int(json_get(s, "idService"), &v->id);
			v->code = dup_str(s, "codeService");
			v->label = dup_str(s, "libelleService");
			v->active = get_bool(s, "estActif");
		}
		if (json_len(l) > 0 && k->page < pages_of(a, "parametresRetour.pages") &&
		    k->page < MAX_PAGES) {
			k->page++;
			build_structure(k);
			return 1;
		}
		cache_write(k);
		return 0;
	}
}

struct chorus_call *
chorus_structure(struct chorus *ch, const char *siret, int refresh, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_STRUCTURE, NULL, PATH_ST_SEARCH, cb, arg);
	if (!siret_shape(siret)) {
		k->reply->r.cls = CHORUS_DOCUMENT;
		set_reason(&k->reply->r, "\"%s\" is not a SIRET (14 digits)", siret ? siret : "");
		call_finish_later(k);
		return k;
	}
	k->siret = xstrdup(siret);
	if (!refresh && cache_read(k)) {
		call_finish_later(k);
		return k;
	}
	k->reply->structure.siret = xstrdup(siret);
	k->step = ST_SEARCH;
	build_structure(k);
	call_begin(k);
	return k;
}

static int
parse_answer(struct chorus_call *k, struct json *a)
{
	switch (k->op) {
	case CHORUS_OP_DEPOSIT:
		return parse_deposit(k, a);
	case CHORUS_OP_REPORT:
		return parse_report(k, a);
	case CHORUS_OP_SEARCH:
		return parse_search(k, a);
	case CHORUS_OP_HISTORY:
		return parse_history(k, a);
	case CHORUS_OP_STRUCTURE:
		return parse_structure(k, a);
	case CHORUS_OP_OWN:
		return parse_own(k, a);
	case CHORUS_OP_HEALTH:
	case CHORUS_OP_TOKEN:
		return 0;
	}
	return 0;
}
