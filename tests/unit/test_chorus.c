/*
 * Unit tests of chorus.c's pure parts: the classification of every kind of answer
 * (DESIGN §3's table), the unknown-outcome rule of deposits, the plain words, and the
 * token cache (use until shortly before expiry, drop only the token that was refused).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "chorus.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static struct chorus_env env = {0, "api.example:443", "TECH_1_x@cpro.fr", "app-id", 60000, 0};

/* An answer: status, body, and optional headers. */
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
failure(enum http_fail f, int maybe_sent, const char *err)
{
	struct http_resp *h = answer(0, NULL, NULL);
	h->fail = f;
	h->maybe_sent = maybe_sent;
	h->error = xstrdup(err);
	return h;
}

/* Classify and keep the result in *r (caller clears); returns the class. */
static enum chorus_class
cls(enum chorus_op op, struct http_resp *h, struct chorus_result *r)
{
	struct json *j = chorus_classify(op, h, &env, r);
	json_free(j);
	http_resp_free(h);
	return r->cls;
}

static const char *JSON = "application/json;charset=utf-8";

int
main(void)
{
	struct chorus_result r;
	struct http_resp *h;
	char *s;

	log_init("test", LOG_TARGET_STDERR, LOG_LVL_ERR, 0);

	/* ---- 2xx ---- */
	is_int(cls(CHORUS_OP_DEPOSIT,
	           answer(200,
	                  "{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\",\"numeroFluxDepot\":"
	                  "\"CPP1\"}",
	                  JSON),
	           &r),
	       CHORUS_OK, "200 codeRetour 0: ok");
	is_int(r.code_retour, 0, "codeRetour read");
	ok(r.has_code_retour, "codeRetour present");
	is_str(r.libelle, "TRA_MSG_00.000", "libelle kept");
	ok(r.reason == NULL, "no reason when ok");
	chorus_result_clear(&r);

	is_int(cls(CHORUS_OP_DEPOSIT,
	           answer(200, "{\"codeRetour\":20001,\"libelle\":\"GDP_MSG_11.022\"}", JSON), &r),
	       CHORUS_DOCUMENT, "200 with codeRetour != 0 on a deposit: document");
	is_str(r.kind, "too-large", "20001 on a deposit: the file is too large");
	ok(contains(r.advice, "larger than Chorus Pro takes"), "20001 in plain words: %s",
	   r.advice);
	ok(contains(r.reason, "GDP_MSG_11.022"), "and its libelle");
	ok(!r.unknown_outcome, "a refused deposit has a known outcome");
	chorus_result_clear(&r);

	is_int(
	    cls(CHORUS_OP_SEARCH,
	        answer(200,
	               "{\"codeRetour\":20000,\"libelle\":\"TRA_MSG_00.015\",\"listeFactures\":[]}",
	               JSON),
	        &r),
	    CHORUS_OK, "search without result (20000): ok, an empty list");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_STRUCTURE, answer(200, "{\"codeRetour\":20000}", JSON), &r), CHORUS_OK,
	       "structure search without result: ok");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_REPORT, answer(200, "{\"codeRetour\":20000}", JSON), &r),
	       CHORUS_DOCUMENT, "20000 is only 'no result' for searches");
	chorus_result_clear(&r);
	/* the same number on another operation: a flow Chorus Pro does not know, never
	 * "file too large" */
	is_int(cls(CHORUS_OP_REPORT,
	           answer(200,
	                  "{\"codeRetour\":20001,\"libelle\":\"POQ_MSG_01.003 - Flux "
	                  "introuvable.\"}",
	                  JSON),
	           &r),
	       CHORUS_RETRY, "consulterCRDetaille 20001 POQ_MSG_01.003: retry, not a refusal");
	is_str(r.kind, "flow-not-found", "20001 on a report: flow not found");
	ok(!contains(r.advice, "larger"), "never read as 'file too large': %s", r.advice);
	ok(contains(r.reason, "Flux introuvable"), "the libelle in the reason: %s", r.reason);
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_SEARCH, answer(200, "{\"codeRetour\":20003,\"libelle\":\"x\"}", JSON),
	           &r),
	       CHORUS_DOCUMENT, "20003: an attachment too large");
	is_str(r.kind, "attachment-too-large", "20003 kind");
	chorus_result_clear(&r);

	is_int(cls(CHORUS_OP_DEPOSIT,
	           answer(200, "<html><body>Maintenance</body></html>", "text/html"), &r),
	       CHORUS_RETRY, "non-JSON 200: retry");
	ok(r.unknown_outcome, "non-JSON 200 to a deposit: unknown outcome");
	ok(contains(r.reason, "not JSON") && contains(r.reason, "text/html"),
	   "non-JSON: says so, with the type: %s", r.reason);
	ok(contains(r.reason, "search for it before depositing again"),
	   "unknown outcome: the reason says what to do");
	ok(contains(r.raw, "Maintenance"), "raw answer kept");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_SEARCH, answer(200, "", NULL), &r), CHORUS_RETRY, "empty 200: retry");
	ok(!r.unknown_outcome, "unknown outcome only concerns deposits");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_SEARCH, answer(200, "[1,2]", JSON), &r), CHORUS_RETRY,
	       "JSON that is no object: retry");
	chorus_result_clear(&r);

	/* ---- 4xx ---- */
	is_int(cls(CHORUS_OP_DEPOSIT,
	           answer(400,
	                  "{\"codeRetour\":29000,\"libelle\":\"Requête non conforme : champ "
	                  "syntaxeFlux\"}",
	                  JSON),
	           &r),
	       CHORUS_DOCUMENT, "400 with a codeRetour: Chorus Pro refused it, document");
	ok(contains(r.reason, "refused") && contains(r.reason, "champ syntaxeFlux"),
	   "400: Chorus Pro's libelle in the reason: %s", r.reason);
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, answer(400, "<html>Bad Request</html>", "text/html"), &r),
	       CHORUS_SETUP, "400 without a codeRetour (the PISTE gateway): set-up, not a refusal");
	is_str(r.kind, "gateway-refusal", "400 from PISTE: its kind");
	ok(contains(r.setup, "not at fault"), "400 from PISTE: the invoice is not at fault: %s",
	   r.setup);
	ok(!r.unknown_outcome, "400 from PISTE: refused before Chorus Pro, known outcome");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, answer(400, "", NULL), &r), CHORUS_SETUP,
	       "400 with an empty body: set-up");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, answer(413, "", NULL), &r), CHORUS_DOCUMENT, "413: document");
	ok(contains(r.advice, "larger than Chorus Pro takes"), "413 in words: %s", r.advice);
	chorus_result_clear(&r);

	h = answer(401, "{\"error\":\"Unauthorized\"}", JSON);
	h->www_authenticate = xstrdup("Bearer realm=\"PISTE\",error=\"Unauthorized\","
	                              "error_description=\"login or password incorrects\"");
	is_int(cls(CHORUS_OP_SEARCH, h, &r), CHORUS_SETUP, "401 (after the refresh): set-up");
	ok(contains(r.reason, "technical account TECH_1_x@cpro.fr") &&
	       contains(r.reason, "login or password incorrects"),
	   "401 on the account: names it, with WWW-Authenticate's words: %s", r.reason);
	ok(contains(r.setup, "14 months"), "401 on the account: the 14-month expiry");
	ok(contains(r.setup, "mode = qualification"), "401 on the account: the mode");
	is_str(r.kind, "refused-credentials", "401 on the account: its kind");
	chorus_result_clear(&r);
	/* the same 401 once the account's expiry date has passed: the password expired */
	env.password_expiry = 1700000000; /* 2023-11-14 */
	h = answer(401, "{\"error\":\"Unauthorized\"}", JSON);
	h->www_authenticate = xstrdup("Bearer realm=\"PISTE\",error=\"Unauthorized\","
	                              "error_description=\"login or password incorrects\"");
	is_int(cls(CHORUS_OP_DEPOSIT, h, &r), CHORUS_SETUP, "401, expiry passed: set-up");
	is_str(r.kind, "password-expired", "401, expiry passed: password expired");
	ok(contains(r.reason, "has expired on 2023-11-14"), "the day it expired: %s", r.reason);
	chorus_result_clear(&r);
	env.password_expiry = 0;

	h = answer(401, "", NULL);
	h->www_authenticate =
	    xstrdup("Bearer realm=\"PISTE\",error=\"invalid_token\",error_description=\"Access "
	            "token expired\"");
	is_int(cls(CHORUS_OP_HEALTH, h, &r), CHORUS_SETUP, "401 on the token even after refresh");
	ok(contains(r.setup, "same PISTE environment"),
	   "token refused after refresh: qualification vs production: %s", r.setup);
	chorus_result_clear(&r);

	env.production = 1;
	h = answer(403, "{\"error\":\"Forbidden\",\"error_description\":\"not subscribed\"}", JSON);
	is_int(cls(CHORUS_OP_STRUCTURE, h, &r), CHORUS_SETUP, "403: set-up");
	ok(contains(r.reason, "Structures API"), "403 names the API: %s", r.reason);
	ok(contains(r.setup, "CGU") && contains(r.setup, "production") &&
	       contains(r.setup, "raccordement"),
	   "403 in production: CGU, environment, raccordement: %s", r.setup);
	chorus_result_clear(&r);
	env.production = 0;

	is_int(cls(CHORUS_OP_TOKEN,
	           answer(400,
	                  "{\"error\":\"invalid_client\",\"error_description\":\"Client "
	                  "authentication failed\"}",
	                  JSON),
	           &r),
	       CHORUS_SETUP, "token 400 invalid_client: set-up");
	ok(contains(r.reason, "invalid_client") && contains(r.setup, "client_id (app-id)") &&
	       contains(r.setup, "client_secret"),
	   "invalid_client: check the client id and secret: %s", r.setup);
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_SEARCH, answer(404, "", NULL), &r), CHORUS_SETUP,
	       "404: set-up (the address), never the document");
	ok(contains(r.setup, "api_url"), "404: check api_url");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, answer(415, "", NULL), &r), CHORUS_SETUP,
	       "415: set-up, never the document");
	chorus_result_clear(&r);

	h = answer(429, "Quota exceeded", "text/plain");
	h->retry_after = xstrdup("2");
	is_int(cls(CHORUS_OP_DEPOSIT, h, &r), CHORUS_RETRY, "429: retry");
	is_int(r.retry_after_ms, 2000, "429: Retry-After honoured");
	ok(!r.unknown_outcome, "429 is refused before Chorus Pro sees the deposit");
	chorus_result_clear(&r);

	/* ---- 5xx ---- */
	h = answer(503, "<html>503</html>", "text/html");
	is_int(cls(CHORUS_OP_DEPOSIT, h, &r), CHORUS_RETRY, "503: retry");
	ok(r.unknown_outcome, "5xx to a deposit: unknown outcome (a gateway may answer 5xx after "
	                      "the back end took it)");
	ok(contains(r.reason, "unavailable") && contains(r.setup, "maintenance"),
	   "5xx: down or in maintenance");
	is_int(r.retry_after_ms, -1, "no Retry-After: -1");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_REPORT, answer(500, "", NULL), &r), CHORUS_RETRY, "500: retry");
	ok(!r.unknown_outcome, "not a deposit: no unknown outcome");
	chorus_result_clear(&r);

	/* ---- no answer ---- */
	is_int(cls(CHORUS_OP_DEPOSIT, failure(HTTP_FAIL_TIMEOUT, 1, "Operation timed out"), &r),
	       CHORUS_RETRY, "timeout: retry");
	ok(r.unknown_outcome, "deposit timed out after sending: unknown outcome");
	ok(contains(r.reason, "did not answer in time (timeout 1m)"), "timeout in words: %s",
	   r.reason);
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, failure(HTTP_FAIL_TIMEOUT, 0, "Connection timed out"), &r),
	       CHORUS_RETRY, "connect timeout: retry");
	ok(!r.unknown_outcome, "never connected: the deposit certainly was not made");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, failure(HTTP_FAIL_DROPPED, 1, "Empty reply from server"), &r),
	       CHORUS_RETRY, "connection lost: retry");
	ok(r.unknown_outcome, "deposit lost after sending: unknown outcome");
	chorus_result_clear(&r);
	/* http.c's streamed body: the document could not be read once sending began */
	is_int(cls(CHORUS_OP_DEPOSIT,
	           failure(HTTP_FAIL_OTHER, 1,
	                   "cannot read /s/outbox/a.xml to send: Input/output error"),
	           &r),
	       CHORUS_RETRY, "document unreadable while it is sent: retry");
	ok(r.unknown_outcome, "unreadable mid-stream: unknown outcome, searched before a re-send");
	ok(contains(r.reason, "cannot read /s/outbox/a.xml"), "and the reason says so: %s",
	   r.reason);
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_DEPOSIT, failure(HTTP_FAIL_CONNECT, 0, "Connection refused"), &r),
	       CHORUS_RETRY, "connection refused: retry");
	ok(!r.unknown_outcome, "connection refused: known outcome");
	ok(contains(r.setup, "firewall"), "connect: what to check");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_SEARCH, failure(HTTP_FAIL_RESOLVE, 0, "Could not resolve host"), &r),
	       CHORUS_RETRY, "DNS: retry");
	ok(contains(r.reason, "DNS"), "DNS in words");
	chorus_result_clear(&r);
	is_int(cls(CHORUS_OP_TOKEN, failure(HTTP_FAIL_TLS_VERIFY, 0, "unable to get local issuer"),
	           &r),
	       CHORUS_SETUP, "untrusted certificate: set-up");
	ok(contains(r.setup, "ca_file"), "untrusted certificate: check ca_file");
	chorus_result_clear(&r);

	/* ---- raw answers: bounded, secrets removed ---- */
	log_secret("s3cr3t-value-1234");
	{
		struct buf b;
		buf_init(&b);
		buf_adds(&b, "{\"codeRetour\":1,\"libelle\":\"s3cr3t-value-1234\",\"x\":\"");
		while (b.len < 5000)
			buf_adds(&b, "é");
		buf_adds(&b, "\"}");
		h = answer(400, b.p, JSON);
		buf_free(&b);
	}
	cls(CHORUS_OP_SEARCH, h, &r);
	ok(!contains(r.raw, "s3cr3t-value-1234") && contains(r.raw, "********"),
	   "raw answer: registered secrets removed");
	ok(strlen(r.raw) < CHORUS_RAW_MAX + 40, "raw answer truncated (%zu bytes)", strlen(r.raw));
	ok(contains(r.raw, "bytes cut]"), "truncation said");
	ok(!contains(r.raw, "\xc3]") && !contains(r.raw, "\xc3["), "cut on a character boundary");
	chorus_result_clear(&r);

	/* ---- deposit report states ---- */
	ok(contains(chorus_state_words("IN_REJETE"), "rejected"), "IN_REJETE in words");
	ok(chorus_state_words("IN_NOUVEAU") == NULL, "unknown state: no words");
	{
		static const struct {
			const char *state;
			enum chorus_report_outcome want;
		} st[] = {
		    {"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", CHORUS_REPORT_PENDING},
		    {"IN_RECU", CHORUS_REPORT_PENDING},
		    {"IN_EN_ATTENTE_TRAITEMENT_CPP", CHORUS_REPORT_PENDING},
		    {"IN_EN_COURS_TRAITEMENT_CPP", CHORUS_REPORT_PENDING},
		    {"IN_EN_ATTENTE_RETRAITEMENT_CPP", CHORUS_REPORT_BLOCKED},
		    {"IN_A_RELANCER", CHORUS_REPORT_BLOCKED},
		    {"IN_ERREUR_INTERNE", CHORUS_REPORT_BLOCKED},
		    {"IN_INTEGRE", CHORUS_REPORT_INTEGRATED},
		    {"IN_INTEGRE_PARTIEL", CHORUS_REPORT_PARTIAL},
		    {"IN_REJETE", CHORUS_REPORT_REJECTED},
		    {"IN_INCIDENTE", CHORUS_REPORT_REJECTED},
		    {"QP_IRRECEVABLE", CHORUS_REPORT_REJECTED},
		    {"IN_NOUVEL_ETAT", CHORUS_REPORT_UNKNOWN},
		};
		size_t i;
		for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
			is_int(chorus_state_outcome(st[i].state), st[i].want, "%s: its outcome",
			       st[i].state);
	}
	s = chorus_report_action("IN_EN_ATTENTE_RETRAITEMENT_CPP", "CPP42");
	ok(contains(s, "CPP42") && contains(s, "support"), "blocked: ask support about CPP42: %s",
	   s);
	free(s);
	s = chorus_report_action("IN_NOUVEL_ETAT", "CPP42");
	ok(contains(s, "IN_NOUVEL_ETAT") && contains(s, "does not know"), "unknown state said: %s",
	   s);
	free(s);
	ok(chorus_report_action("IN_INTEGRE", "CPP42") == NULL, "final state: no action");

	/* ---- first reports soon, then every report_poll ---- */
	is_int((int64_t)chorus_report_delay_ms(0, 60000), 5000,
	       "first report 5 s after the deposit");
	is_int((int64_t)chorus_report_delay_ms(5100, 60000), 14900, "then 15 s later");
	is_int((int64_t)chorus_report_delay_ms(20000, 60000), 30000, "then 30 s later");
	is_int((int64_t)chorus_report_delay_ms(50000, 60000), 60000, "then every report_poll");
	is_int((int64_t)chorus_report_delay_ms(0, 200), 200, "never longer than report_poll");

	/* ---- nomFichier ---- */
	{
		char n[CHORUS_FILE_NAME_MAX + 1], longnum[300];
		size_t i;
		chorus_file_name(n, sizeof(n), "F2025/0001 é", "Q1A-2");
		is_str(n, "F2025_0001___Q1A-2.xml",
		       "nomFichier: [A-Za-z0-9._-] only, number first");
		memset(longnum, 'N', sizeof(longnum) - 1);
		longnum[sizeof(longnum) - 1] = '\0';
		chorus_file_name(n, sizeof(n), longnum, "UNIQUE-7");
		is_int((int64_t)strlen(n), CHORUS_FILE_NAME_MAX,
		       "nomFichier: at most 100 characters");
		ok(contains(n, "_UNIQUE-7.xml"), "a long number is cut, never the unique part: %s",
		   n);
		chorus_file_name(n, sizeof(n), NULL, "U1");
		is_str(n, "facture_U1.xml", "no number: a plain word");
		for (i = 0; n[i]; i++)
			if (!(n[i] == '.' || n[i] == '_' || n[i] == '-' ||
			      (n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'z') ||
			      (n[i] >= 'A' && n[i] <= 'Z')))
				break;
		ok(n[i] == '\0', "nomFichier characters");
	}

	/* ---- the classification table: deposit-report reasons ---- */
	{
		static const struct {
			const char *code, *msg, *kind, *advice_has;
		} rs[] = {
		    /* Chorus Pro's own wording (a real deposit report) */
		    {NULL,
		     "L'identifiant fournisseur de la demande de paiement "
		     "(balise : AccountingSupplierParty.Party.PartyIdentification.ID.value) "
		     "n'est pas reference dans notre systeme.",
		     "supplier-unknown", "siret_scheme"},
		    {NULL,
		     "La structure (balise "
		     "AccountingSupplierParty.Party.PartyIdentification.ID.value) n'utilise pa",
		     "structure-setting", "settings"},
		    {"ERR_XSD_001",
		     "IRRECEVABILITE: cvc-complex-type.2.2: Element 'ram:Content' must have no "
		     "element [children], and the value must be valid. - ligne: 14 - position: 207",
		     "xsd", "chorusgw validate"},
		    {NULL,
		     "L'identifiant destinataire de la demande de paiement "
		     "(balise : AccountingCustomerParty.Party.PartyIdentification.ID.value) "
		     "n'est pas reference dans notre systeme.",
		     "buyer-unknown", "test-connection --deposit"},
		    {"REJ_SEMAN", "Donnees incoherentes", "semantic", "REJ_SEMAN"},
		    {"REJ_ADR", "Adressage", "address", "21750019800015"},
		    {"DOUBLON", "Facture en double", "duplicate", "new number"},
		    {NULL,
		     "Le numero de facture F1 (balise : ID) existe deja pour le fournisseur "
		     "43215678400014 (flux CPP1).",
		     "duplicate", "new number"},
		    {NULL,
		     "Le numéro de facture F1 existe déjà pour le fournisseur 43215678400014.",
		     "duplicate", "already deposited"},
		    {NULL,
		     "Le code service XYZ (balise : BuyerReference) n'existe pas pour la structure "
		     "destinataire 21750019800015.",
		     "service-unknown", "unknown at buyer 21750019800015"},
		    {NULL,
		     "Le numero d'engagement juridique (balise : OrderReference.ID) "
		     "est obligatoire pour la structure destinataire 21750019800015.",
		     "engagement-required", "engagement number"},
		    {NULL,
		     "Le code service (balise : BuyerReference) est obligatoire pour la structure "
		     "destinataire 21750019800015.",
		     "service-required", "service code"},
		    {NULL,
		     "La structure destinataire 21750019800015 exige un code service "
		     "(balise : X) ou un numero d'engagement juridique (balise : Y).",
		     "service-or-engagement", "or an engagement"},
		    {NULL,
		     "Le service FACTURES_PUBLIQUES (balise : BuyerReference) est reserve aux "
		     "factures entre structures publiques.",
		     "public-only-service", "FACTURES_PUBLIQUES"},
		};
		const char *kind0 = NULL;
		size_t i;
		for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
			const char *kind = NULL;
			s = chorus_error_advice(rs[i].code, rs[i].msg, "43215678400014",
			                        "21750019800015", &kind);
			is_str(kind, rs[i].kind, "reason %zu: %s", i, rs[i].kind);
			ok(contains(s, rs[i].advice_has), "reason %zu: advice: %s", i, s);
			free(s);
		}
		/* a supplier without a SIRET: no SIRET scheme to try, its structure to register */
		s = chorus_error_advice(NULL, rs[0].msg, "DE129273398", NULL, &kind0);
		is_str(kind0, "supplier-unknown", "no SIRET, unknown: the same kind");
		ok(contains(s, "supplier without a SIRET DE129273398") &&
		       contains(s, "registered in Chorus Pro under that identifier") &&
		       !contains(s, "another SIRET scheme"),
		   "no SIRET, unknown: register the structure, no SIRET scheme: %s", s);
		free(s);
		s = chorus_error_advice(NULL,
		                        "La demande de paiement ne comporte aucun identifiant "
		                        "fournisseur (balise : X) de type UE_HORS_FRANCE.",
		                        NULL, NULL, &kind0);
		is_str(kind0, "supplier-unknown", "type 2 without identifier: supplier-unknown");
		ok(contains(s, "supplier/identifier") && !contains(s, "SIRET is missing"),
		   "type 2 without identifier: write the export's identifier: %s", s);
		free(s);
		ok(chorus_error_advice(NULL, "Quelque chose d'inattendu", NULL, NULL, NULL) == NULL,
		   "unknown message: no advice");
	}

	/* a search answer holds every structure of the technical account: whose invoice? */
	{
		char de_id[] = "DE129273398", fr_id[] = "73282932000074", ch_id[] = "CHE109322551";
		struct chorus_invoice de = {.supplier = de_id}, fr = {.supplier = fr_id},
		                      ch = {.supplier = ch_id}, none = {0};
		ok(chorus_invoice_of(&de, "DE129273398"), "invoice of: the same identifier");
		ok(chorus_invoice_of(&de, "de129273398"),
		   "invoice of: case aside, as sections are named");
		ok(!chorus_invoice_of(&fr, "DE129273398"),
		   "invoice of: an establishment's is not the supplier without a SIRET's");
		ok(!chorus_invoice_of(&ch, "DE129273398"),
		   "invoice of: another supplier without a SIRET's is not ours");
		ok(!chorus_invoice_of(&de, "73282932000074"),
		   "invoice of: nor the other way round");
		ok(chorus_invoice_of(&none, "DE129273398"),
		   "invoice of: no codeFournisseur, no filter");
	}

	is_str(chorus_class_name(CHORUS_DOCUMENT), "document", "class names");
	return done_testing();
}
