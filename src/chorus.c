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
#define PATH_ST_SVC1   "/cpro/structures/v1/consulter/service"
#define PATH_OWN       "/cpro/transverses/v1/recuperer/structures/actives/fournisseur"
#define PATH_ATTACH    "/cpro/transverses/v1/ajouter/fichier"
#define PATH_COMPLETE  "/cpro/factures/v1/completer"
#define PATH_RECYCLE   "/cpro/factures/v1/recycler"

/* The deposit's body is `{"fichierFlux":"` + the file's base64 + `","nomFichier":...}`,
 * as json_dump() writes it compact (base64 needs no escaping): the rest of the object
 * is built here, the file is streamed by http.c (struct http_stream). */
#define DEPOSIT_HEAD "{\"fichierFlux\":\""

#define MAX_PAGES         1000 /* a search never reads more pages than this */
#define SERVICES_PER_PAGE 100
#define HISTORY_PER_PAGE  100
#define NEGATIVE_CACHE_MS (3600 * 1000LL) /* "no such SIRET" is trusted at most 1 h */
#define CACHE_MAX_BYTES   (4 * 1024 * 1024)

struct account {
	char *siret; /* NULL: the [chorus] account */
	char *login;
	char *header;  /* "cpro-account: <base64>" */
	time_t expiry; /* of its password, once learnt (0: not known) */
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
	char *stream_path; /* deposer/flux streamed: `body` follows the file's base64 */
	uint64_t stream_size;
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
	int64_t id;     /* an invoice, or consulter/service's structure */
	int64_t svc_id; /* consulter/service's service */
	int step;
	struct json *seen; /* search: identifiantFactureCPP already kept */
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
	fatalx("chorus_class_name: no Chorus Pro outcome class %d", (int)c);
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
	case CHORUS_OP_EXPIRY:
		return "password expiry";
	case CHORUS_OP_ATTACH:
		return "ajouter/fichier";
	case CHORUS_OP_COMPLETE:
		return "completer";
	case CHORUS_OP_RECYCLE:
		return "recycler";
	case CHORUS_OP_SERVICE:
		return "consulter/service";
	}
	fatalx("chorus_op_name: no Chorus Pro operation %d", (int)op);
}

/* The PISTE API an operation belongs to, as PISTE's catalogue names it. */
static const char *
api_of(enum chorus_op op)
{
	switch (op) {
	case CHORUS_OP_DEPOSIT:
	case CHORUS_OP_SEARCH:
	case CHORUS_OP_HISTORY:
	case CHORUS_OP_COMPLETE:
	case CHORUS_OP_RECYCLE:
		return "Factures";
	case CHORUS_OP_STRUCTURE:
	case CHORUS_OP_SERVICE:
		return "Structures";
	case CHORUS_OP_TOKEN:
		return "OAuth";
	default:
		return "Transverses";
	}
}

/* Lower-case ASCII copy with the French accented letters of UTF-8 folded to their
 * base letter, so messages match with or without accents (Chorus Pro writes none).
 * Caller frees. */
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

/* ---------------------------------------------------------------------------------
 * the classification table
 *
 * Chorus Pro reuses codeRetour numbers across operations (20001 is "file too large"
 * on deposer/flux and "flow not found" on consulterCRDetaille), and its rejection
 * texts are unaccented, name the XML element, join several reasons with "|" and are
 * cut at 255 characters. So a row matches on where the text was found, the
 * operation, the HTTP status, the code and words of the text together; the first
 * matching row wins. The source of each wording is in tests/emulator/README §7.
 */

#define OPS(x)   (1u << (x))
#define ANY_OP   0u
#define ANY_CODE INT64_MIN
#define NO_CODE  (INT64_MIN + 1) /* the answer carried no codeRetour */

enum where { W_ANSWER, W_REPORT };

#define ADV_FLOW_NOT_FOUND                                                                      \
	"Chorus Pro does not know this deposit (Flux introuvable): it may not be visible yet; " \
	"if it lasts, look for the deposit in the Chorus Pro portal (Suivi des flux) with the " \
	"technical account, and ask Chorus Pro's support with its numeroFluxDepot"
#define ADV_TOO_LARGE                                                                       \
	"the file is larger than Chorus Pro takes (10 MB per file, attachments included): " \
	"make the attachments smaller or send fewer of them"
#define ADV_PASSWORD_EXPIRED                                                          \
	"the technical account's password has expired: change it in Chorus Pro (the " \
	"account's page) and in chorusgw's configuration"
#define ADV_XSD                                                                                \
	"Chorus Pro's schema check (XSD) refused the file at the place named: fix the export " \
	"or the stylesheet; `chorusgw validate` with [transform] schema_dir set finds the "    \
	"same problems before a deposit"
#define ADV_SUPPLIER_UNKNOWN                                                                \
	"Chorus Pro does not find the supplier's identifier {supplier}: when the SIRET is " \
	"right, Chorus Pro may want another SIRET scheme: run `chorusgw test-connection "   \
	"--deposit`, which says which [transform] siret_scheme to set; else fix the "       \
	"supplier's SIRET, or create the establishment in Chorus Pro"
/* a supplier without a SIRET (an identifier that is not 14 digits): no SIRET scheme to
 * try, the structure must exist in Chorus Pro under that very identifier */
#define ADV_SUPPLIER_UNKNOWN_NO_SIRET                                                           \
	"Chorus Pro does not find the supplier without a SIRET {supplier}: its structure must " \
	"be registered in Chorus Pro under that identifier (type UE_HORS_FRANCE: its "          \
	"intra-community VAT number; HORS_UE: the identifier it registered), and the "          \
	"technical account attached to it: create the structure in the Chorus Pro portal (or "  \
	"have the supplier create it), or write in the export's supplier/identifier the "       \
	"identifier exactly as registered ([transform] siret_scheme and `chorusgw "             \
	"test-connection --deposit` concern SIRETs only)"
#define ADV_BUYER_UNKNOWN                                                                      \
	"Chorus Pro does not find the buyer's identifier {buyer}: when the SIRET is right, "   \
	"Chorus Pro may want another SIRET scheme: run `chorusgw test-connection --deposit`, " \
	"which says which [transform] siret_scheme to set; else fix the buyer's SIRET in the " \
	"invoice"
#define ADV_SERVICE_OR_EJ                                                                \
	"buyer {buyer} requires a service code or an engagement number: add one to the " \
	"invoice"
#define ADV_SYNTAX                                                                    \
	"the file is not a valid UBL/CII invoice for the declared syntax: check the " \
	"stylesheet output with `chorusgw validate`"

static const struct chorus_rule {
	enum where where;
	unsigned ops;    /* bit per enum chorus_op; ANY_OP: every operation */
	long http;       /* HTTP status, 0: any */
	int64_t code;    /* codeRetour, ANY_CODE, NO_CODE */
	const char *pat; /* words of the text, folded, "&"-separated: all must appear;
	                  * NULL: any text */
	enum chorus_class cls;
	const char *kind;
	/* what to do, in plain words; {supplier} and {buyer} are replaced */
	const char *advice;
} rules[] = {
    /* answers of an operation: codeRetour and libelle */
    {W_ANSWER, OPS(CHORUS_OP_REPORT), 0, 20001, NULL, CHORUS_RETRY, "flow-not-found",
     ADV_FLOW_NOT_FOUND},
    {W_ANSWER, OPS(CHORUS_OP_REPORT), 0, ANY_CODE, "flux introuvable", CHORUS_RETRY,
     "flow-not-found", ADV_FLOW_NOT_FOUND},
    {W_ANSWER, OPS(CHORUS_OP_SEARCH) | OPS(CHORUS_OP_STRUCTURE) | OPS(CHORUS_OP_OWN), 0, 20000,
     NULL, CHORUS_OK, "no-result", NULL},
    {W_ANSWER, OPS(CHORUS_OP_SEARCH) | OPS(CHORUS_OP_STRUCTURE) | OPS(CHORUS_OP_OWN), 0, 20007,
     NULL, CHORUS_OK, "no-result", NULL},
    {W_ANSWER, OPS(CHORUS_OP_DEPOSIT), 0, 20001, NULL, CHORUS_DOCUMENT, "too-large", ADV_TOO_LARGE},
    {W_ANSWER, OPS(CHORUS_OP_DEPOSIT), 413, ANY_CODE, NULL, CHORUS_DOCUMENT, "too-large",
     ADV_TOO_LARGE},
    {W_ANSWER, ANY_OP, 0, 20003, NULL, CHORUS_DOCUMENT, "attachment-too-large",
     "an attachment is larger than Chorus Pro takes (10 MB): make it smaller"},
    {W_ANSWER, ANY_OP, 0, ANY_CODE, "mot de passe&expir", CHORUS_SETUP, "password-expired",
     ADV_PASSWORD_EXPIRED},
    {W_ANSWER, ANY_OP, 0, ANY_CODE, "password&expir", CHORUS_SETUP, "password-expired",
     ADV_PASSWORD_EXPIRED},
    {W_ANSWER, ANY_OP, 401, ANY_CODE, NULL, CHORUS_SETUP, "refused-credentials", NULL},
    {W_ANSWER, ANY_OP, 403, ANY_CODE, NULL, CHORUS_SETUP, "not-subscribed", NULL},
    /* a 400 without a codeRetour comes from the PISTE gateway, before Chorus Pro looked
     * at the invoice: our request or the set-up is at fault, never the invoice */
    {W_ANSWER, ANY_OP, 400, NO_CODE, NULL, CHORUS_SETUP, "gateway-refusal",
     "PISTE refused chorusgw's request before Chorus Pro saw the invoice (HTTP 400 "
     "without a Chorus Pro answer): the invoice is not at fault; check the set-up with "
     "`chorusgw test-connection`, and report the answer (in the receipt) if it persists"},
    {W_ANSWER, ANY_OP, 400, ANY_CODE, NULL, CHORUS_DOCUMENT, "refused", NULL},

    /* errors of a deposit report (listeErreurDP, listeErreurTechnique): one reason */
    {W_REPORT, ANY_OP, 0, ANY_CODE, "err_xsd", CHORUS_DOCUMENT, "xsd", ADV_XSD},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "irrecevabilite: cvc-", CHORUS_DOCUMENT, "xsd", ADV_XSD},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "rej_seman", CHORUS_DOCUMENT, "semantic",
     "Chorus Pro refused the invoice's content (REJ_SEMAN, semantic rules): fix what the "
     "message names in the ERP and send the invoice again (a number rejected at deposit "
     "may be used again)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "rej_adr", CHORUS_DOCUMENT, "address",
     "Chorus Pro cannot route the invoice to its recipient (REJ_ADR): check the buyer's "
     "SIRET {buyer} and service code in the invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "doublon", CHORUS_DOCUMENT, "duplicate",
     "this invoice number was already deposited for supplier {supplier} (DOUBLON): a new invoice "
     "needs a new number (`chorusgw retry --force` only if the first deposit was rejected)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "existe deja", CHORUS_DOCUMENT, "duplicate",
     "this invoice number was already deposited for supplier {supplier}: a new invoice "
     "needs a new number (`chorusgw retry --force` only if the first deposit was rejected)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "rejetee par le destinataire", CHORUS_DOCUMENT,
     "number-refused",
     "the buyer rejected an invoice with this number: issue a new invoice with a new number"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "fournisseur&rattache", CHORUS_DOCUMENT,
     "supplier-not-attached",
     "the technical account may not deposit for supplier {supplier}: attach the account "
     "to this establishment in Chorus Pro, or set [supplier.{supplier}] tech_login"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "fournisseur&pas reference", CHORUS_DOCUMENT,
     "supplier-unknown", ADV_SUPPLIER_UNKNOWN},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "destinataire&pas reference", CHORUS_DOCUMENT, "buyer-unknown",
     ADV_BUYER_UNKNOWN},
    /* the same two, cut by Chorus Pro before "n'est pas reference": their start says it */
    {W_REPORT, ANY_OP, 0, ANY_CODE, "identifiant fournisseur de la demande", CHORUS_DOCUMENT,
     "supplier-unknown", ADV_SUPPLIER_UNKNOWN},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "identifiant destinataire de la demande", CHORUS_DOCUMENT,
     "buyer-unknown", ADV_BUYER_UNKNOWN},
    /* the next one for a type 2 or 3 scheme (the emulator's wording, tests/emulator/README) */
    {W_REPORT, ANY_OP, 0, ANY_CODE, "fournisseur&aucun identifiant&de type", CHORUS_DOCUMENT,
     "supplier-unknown",
     "the supplier's identifier is missing from the invoice where Chorus Pro reads it, "
     "under a scheme that gives a type without SIRET: write it in the export's "
     "supplier/identifier (chorusgw-erp(5), SUPPLIERS WITHOUT A SIRET)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "fournisseur&aucun identifiant", CHORUS_DOCUMENT,
     "supplier-unknown",
     "the supplier's SIRET is missing from the invoice where Chorus Pro reads it: write it "
     "in the supplier's identifier (see chorusgw-erp(5))"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "destinataire&aucun identifiant", CHORUS_DOCUMENT,
     "buyer-unknown",
     "the buyer's SIRET is missing from the invoice where Chorus Pro reads it: write it in "
     "the buyer's identifier (see chorusgw-erp(5))"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "n'utilise pa", CHORUS_DOCUMENT, "structure-setting",
     "Chorus Pro says the structure named does not use what this deposit needs (message "
     "cut by Chorus Pro): check that structure's settings in the Chorus Pro portal"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "factures_publiques", CHORUS_DOCUMENT, "public-only-service",
     "the service FACTURES_PUBLIQUES takes invoices between public structures only: ask "
     "buyer {buyer} for the service code to invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "exige un code service", CHORUS_DOCUMENT,
     "service-or-engagement", ADV_SERVICE_OR_EJ},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "code service ou", CHORUS_DOCUMENT, "service-or-engagement",
     ADV_SERVICE_OR_EJ},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "code service&obligatoire", CHORUS_DOCUMENT, "service-required",
     "buyer {buyer} requires a service code: add the buyer's service code (code service "
     "executant, BT-10) to the invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "code service&inactif", CHORUS_DOCUMENT, "service-inactive",
     "the service code is closed at buyer {buyer}: ask the buyer for its current service "
     "code and fix it in the invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "code service&n'existe pas", CHORUS_DOCUMENT, "service-unknown",
     "the service code is unknown at buyer {buyer}: fix the buyer's service code (BT-10) "
     "in the invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "engagement&obligatoire", CHORUS_DOCUMENT,
     "engagement-required",
     "buyer {buyer} requires an engagement number (numero d'engagement juridique, the "
     "buyer's order reference, BT-13): add it to the invoice"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "engagement&depasse", CHORUS_DOCUMENT, "engagement-too-long",
     "the engagement number is too long for Chorus Pro (50 characters at most)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "destinataire&inactive", CHORUS_DOCUMENT, "buyer-inactive",
     "buyer {buyer} is closed in Chorus Pro and receives no invoices: ask the buyer which "
     "structure replaces it"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "pas une structure publique", CHORUS_DOCUMENT, "not-public",
     "{buyer} is not a public structure: Chorus Pro only takes invoices to public buyers; "
     "fix the buyer's SIRET"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "fournisseur&inactive", CHORUS_DOCUMENT, "supplier-inactive",
     "the supplier's structure {supplier} is closed in Chorus Pro: reactivate it in the "
     "Chorus Pro portal"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "cadre de facturation", CHORUS_DOCUMENT, "cadre",
     "fix the billing framework (cadre de facturation, A1 for a plain supplier invoice)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "type de facture", CHORUS_DOCUMENT, "type",
     "fix the document type (380 invoice, 381 credit note)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "numero de facture&depasse", CHORUS_DOCUMENT, "number-too-long",
     "the invoice number is too long for Chorus Pro (20 characters at most)"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "irrecevab", CHORUS_DOCUMENT, "inadmissible",
     "Chorus Pro found the file inadmissible: fix what the message names and send it again"},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "dtd", CHORUS_DOCUMENT, "syntax", ADV_SYNTAX},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "xml", CHORUS_DOCUMENT, "syntax", ADV_SYNTAX},
    {W_REPORT, ANY_OP, 0, ANY_CODE, "syntaxe", CHORUS_DOCUMENT, "syntax", ADV_SYNTAX},
};

/* 1 when every "&"-separated word of `pat` is in the folded text `t`. */
static int
words_in(const char *t, const char *pat)
{
	const char *p = pat;
	char w[64];
	while (*p) {
		size_t n = strcspn(p, "&");
		if (n >= sizeof(w))
			n = sizeof(w) - 1;
		memcpy(w, p, n);
		w[n] = '\0';
		if (strstr(t, w) == NULL)
			return 0;
		p += n;
		if (*p == '&')
			p++;
	}
	return 1;
}

static const struct chorus_rule *
rule_find(enum where where, enum chorus_op op, long http, int has_code, int64_t code,
          const char *text)
{
	char *t = fold(text ? text : "");
	const struct chorus_rule *found = NULL;
	size_t i;
	for (i = 0; i < nitems(rules) && found == NULL; i++) {
		const struct chorus_rule *r = &rules[i];
		if (r->where != where || (r->ops && !(r->ops & OPS(op))) ||
		    (r->http && r->http != http))
			continue;
		if (r->code == NO_CODE ? has_code
		                       : r->code != ANY_CODE && (!has_code || r->code != code))
			continue;
		if (r->pat && !words_in(t, r->pat))
			continue;
		found = r;
	}
	free(t);
	return found;
}

/* The advice of a row with {supplier} and {buyer} filled in; caller frees. */
static char *
rule_advice(const struct chorus_rule *r, const char *supplier, const char *buyer)
{
	const char *sup = supplier && *supplier ? supplier : "of the invoice";
	const char *buy = buyer && *buyer ? buyer : "of the invoice";
	struct buf b;
	const char *p;
	if (r == NULL || r->advice == NULL)
		return NULL;
	buf_init(&b);
	for (p = r->advice; *p;) {
		if (strncmp(p, "{supplier}", 10) == 0) {
			buf_adds(&b, sup);
			p += 10;
		} else if (strncmp(p, "{buyer}", 7) == 0) {
			buf_adds(&b, buy);
			p += 7;
		} else
			buf_addc(&b, *p++);
	}
	return buf_steal(&b);
}

char *
chorus_error_advice(const char *code, const char *message, const char *supplier, const char *buyer,
                    const char **kind)
{
	char *both = xasprintf("%s %s", code ? code : "", message ? message : "");
	const struct chorus_rule *r = rule_find(W_REPORT, CHORUS_OP_REPORT, 0, 0, 0, both);
	free(both);
	if (kind)
		*kind = r ? r->kind : NULL;
	if (r && strcmp(r->kind, "supplier-unknown") == 0 && supplier && *supplier &&
	    !str_digits(supplier, 14)) {
		static const struct chorus_rule no_siret = {.advice =
		                                                ADV_SUPPLIER_UNKNOWN_NO_SIRET};
		r = &no_siret;
	}
	return rule_advice(r, supplier, buyer);
}

/* What each etatCourantDepotFlux means (reference/chorus-api.md §3.2; the words of the
 * chorus-api Python package for those it describes), what it leads to, and what to do
 * when it lasts. */
static const struct report_state {
	const char *state;
	enum chorus_report_outcome outcome;
	const char *words;
} states[] = {
    {"IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP", CHORUS_REPORT_PENDING,
     "received, waiting to be processed"},
    {"IN_RECU", CHORUS_REPORT_PENDING, "received by Chorus Pro"},
    {"IN_TRAITE_SE_CPP", CHORUS_REPORT_PENDING, "arrived in Chorus Pro's exchange system"},
    {"IN_EN_ATTENTE_TRAITEMENT_CPP", CHORUS_REPORT_PENDING, "in Chorus Pro's waiting list"},
    {"IN_EN_COURS_TRAITEMENT_CPP", CHORUS_REPORT_PENDING, "being processed"},
    {"QP_RECEVABLE", CHORUS_REPORT_PENDING, "admissible, being processed"},
    {"QP_RECEVABLE_AVEC_ERREUR", CHORUS_REPORT_PENDING, "admissible with errors, being processed"},
    {"IN_EN_ATTENTE_RETRAITEMENT_CPP", CHORUS_REPORT_BLOCKED,
     "blocked: it waits for Chorus Pro's operators (AIFE) to reprocess it by hand"},
    {"IN_A_RELANCER", CHORUS_REPORT_BLOCKED, "waiting to be relaunched by Chorus Pro"},
    {"IN_ERREUR_INTERNE", CHORUS_REPORT_BLOCKED, "held by an internal error of Chorus Pro"},
    {"IN_INTEGRE", CHORUS_REPORT_INTEGRATED, "integrated: Chorus Pro accepted the invoice"},
    {"IN_INTEGRE_PARTIEL", CHORUS_REPORT_PARTIAL,
     "partly integrated: the invoices listed in error were rejected, the others accepted"},
    {"IN_REJETE", CHORUS_REPORT_REJECTED, "rejected by Chorus Pro"},
    {"IN_INCIDENTE", CHORUS_REPORT_REJECTED,
     "not processed by Chorus Pro's exchange system "
     "(incident): the whole deposit must be sent again"},
    {"QP_IRRECEVABLE", CHORUS_REPORT_REJECTED, "inadmissible: Chorus Pro refused the file"},
};

const char *
chorus_status_label(const char *s)
{
	static const struct {
		const char *status, *label;
	} t[] = {
	    {"DEPOSEE", "Déposée"},
	    {"EN_COURS_ACHEMINEMENT", "En cours d'acheminement"},
	    {"MISE_A_DISPOSITION", "Mise à disposition"},
	    {"MISE_A_DISPOSITION_COMPTABLE", "Mise à disposition du comptable"},
	    {"A_RECYCLER", "À recycler"},
	    {"A_COMPLETER", "À compléter"},
	    {"COMPLETEE", "Complétée"},
	    {"SUSPENDUE", "Suspendue"},
	    {"SERVICE_FAIT", "Service fait"},
	    {"MANDATEE", "Mandatée"},
	    {"MISE_EN_PAIEMENT", "Mise en paiement"},
	    {"COMPTABILISEE", "Comptabilisée"},
	    {"REJETEE", "Rejetée"},
	    {"TRANSMISE_MOA", "Transmise à la MOA"},
	};
	size_t i;
	for (i = 0; s && i < nitems(t); i++)
		if (strcmp(s, t[i].status) == 0)
			return t[i].label;
	return NULL;
}

const char *
chorus_state_words(const char *s)
{
	size_t i;
	for (i = 0; s && i < nitems(states); i++)
		if (strcmp(s, states[i].state) == 0)
			return states[i].words;
	return NULL;
}

enum chorus_report_outcome
chorus_state_outcome(const char *s)
{
	size_t i;
	for (i = 0; s && i < nitems(states); i++)
		if (strcmp(s, states[i].state) == 0)
			return states[i].outcome;
	return CHORUS_REPORT_UNKNOWN;
}

char *
chorus_report_action(const char *state, const char *flux)
{
	const char *w = chorus_state_words(state);
	const char *f = flux ? flux : "?";
	switch (chorus_state_outcome(state)) {
	case CHORUS_REPORT_PENDING:
		return xasprintf(
		    "Chorus Pro has not finished processing deposit %s (state %s: %s): "
		    "look it up in the Chorus Pro portal (Suivi des flux) and ask "
		    "Chorus Pro's support with this number",
		    f, state, w);
	case CHORUS_REPORT_BLOCKED:
		return xasprintf("Chorus Pro holds deposit %s (state %s: %s): ask Chorus Pro's "
		                 "support (AIFE) to reprocess it, giving this number; chorusgw "
		                 "follows it on its own afterwards",
		                 f, state, w);
	case CHORUS_REPORT_UNKNOWN:
		return xasprintf(
		    "Chorus Pro reports deposit %s in state %s, which chorusgw does "
		    "not know: look the deposit up in the Chorus Pro portal (Suivi des "
		    "flux), and report the state to chorusgw's maintainers",
		    f, state ? state : "(none)");
	default:
		return NULL;
	}
}

/* First reports come soon (Chorus Pro often integrates in seconds), then every
 * report_poll: polls at 5 s, 20 s and 50 s after the deposit, never further apart than
 * report_poll. */
uint64_t
chorus_report_delay_ms(int64_t since_deposit_ms, int64_t report_poll_ms)
{
	static const int64_t at[] = {5000, 20000, 50000};
	size_t i;
	if (since_deposit_ms < 0)
		since_deposit_ms = 0;
	for (i = 0; i < nitems(at); i++)
		if (since_deposit_ms < at[i])
			return (uint64_t)(at[i] - since_deposit_ms < report_poll_ms
			                      ? at[i] - since_deposit_ms
			                      : report_poll_ms);
	return (uint64_t)report_poll_ms;
}

/* Copy `s` into out[n..cap) with every character outside [A-Za-z0-9._-] (a UTF-8
 * sequence counts as one) made '_'. */
static size_t
name_part(char *out, size_t n, size_t cap, const char *s)
{
	for (; *s && n < cap; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			out[n++] = isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '_';
	return n;
}

void
chorus_file_name(char *out, size_t size, const char *number, const char *unique)
{
	size_t n, room, keep;
	if (size > CHORUS_FILE_NAME_MAX + 1)
		size = CHORUS_FILE_NAME_MAX + 1;
	room = size - 5; /* ".xml" and the NUL */
	/* the number first (what an operator looks for in the portal); a long number is
	 * cut, never more than half of `unique` */
	keep = unique ? strlen(unique) + 1 : 0;
	if (keep > room / 2)
		keep = room / 2;
	n = name_part(out, 0, room - keep, number && *number ? number : "facture");
	if (unique) {
		out[n++] = '_';
		n = name_part(out, n, room, unique);
	}
	memcpy(out + n, ".xml", 5);
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
	free(r->advice);
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
	out->cls = CHORUS_RETRY;
	free(out->reason);
	out->reason = http_fail_reason(h, host, env->timeout_ms);
	switch (h->fail) {
	case HTTP_FAIL_RESOLVE:
		set_setup(out,
		          "check the host name in [chorus] token_url / api_url and this machine's "
		          "DNS resolution (and https_proxy if a proxy is required)");
		break;
	case HTTP_FAIL_CONNECT:
		set_setup(out,
		          "check that this machine may open HTTPS connections "
		          "to %s (firewall, outgoing proxy: https_proxy), "
		          "and the address in [chorus] token_url / api_url",
		          host);
		break;
	case HTTP_FAIL_TLS_VERIFY:
		out->cls = CHORUS_SETUP;
		set_setup(out, "check [chorus] ca_file (or the system's CA store, "
		               "package ca-certificates); behind a TLS-inspecting "
		               "proxy, put the proxy's CA in ca_file; the host name "
		               "in token_url / api_url must match the certificate");
		break;
	case HTTP_FAIL_TLS:
		set_setup(out, "check the outgoing proxy and that %s is the PISTE address", host);
		break;
	case HTTP_FAIL_TIMEOUT:
		set_setup(out,
		          "if this persists, check the network path to %s, or raise [chorus] "
		          "timeout / connect_timeout",
		          host);
		break;
	default:
		break; /* the network's fault: nothing to check */
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
	out->kind = "refused-token";
	if (op == CHORUS_OP_TOKEN) {
		set_reason(out, "PISTE refused the application's credentials (HTTP 401%s%s)",
		           desc ? ": " : "", desc ? desc : "");
		set_setup(out,
		          "check [chorus] client_id and client_secret: they must be the OAuth "
		          "credentials of your PISTE application in the %s environment",
		          env_name(env));
	} else if (blames_account(h->www_authenticate)) {
		char *fd = fold(desc ? desc : "");
		out->kind = "refused-credentials";
		if ((env->password_expiry && env->password_expiry <= time(NULL)) ||
		    strstr(fd, "expir")) {
			/* PISTE words an expired password like a wrong one; what we learnt of
			 * the account's expiry tells them apart */
			char day[32] = "";
			if (env->password_expiry)
				fmt_time_utc(day, sizeof(day), env->password_expiry);
			out->kind = "password-expired";
			set_reason(out,
			           "the password of technical account "
			           "%s has expired%s%.10s (HTTP 401: %s)",
			           env->login ? env->login : "", *day ? " on " : "", day,
			           desc ? desc : "");
			set_setup(
			    out,
			    "change the technical account's password in Chorus Pro (it "
			    "expires every 14 months), then in chorusgw's configuration "
			    "(tech_password of [chorus] or of the [supplier.SIRET] sections of %s)",
			    env->login ? env->login : "this account");
			free(fd);
			free(desc);
			free(errc);
			return;
		}
		free(fd);
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
		        ? "; in production, the PISTE application's name must also be declared "
		          "in the structure's API connection (raccordement) in Chorus Pro"
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

/* An answer with a codeRetour other than 0, or a 400 / 413: the table decides. */
static void
classify_code(enum chorus_op op, long s, struct chorus_result *out)
{
	const struct chorus_rule *r =
	    rule_find(W_ANSWER, op, s, out->has_code_retour, out->code_retour, out->libelle);
	char code[48] = "";
	if (out->has_code_retour)
		snprintf(code, sizeof(code), "codeRetour %lld", (long long)out->code_retour);
	out->cls = r ? r->cls : CHORUS_DOCUMENT;
	out->kind = r ? r->kind : "refused";
	out->advice = rule_advice(r, NULL, NULL);
	if (out->cls == CHORUS_OK)
		return;
	if (out->cls == CHORUS_SETUP) {
		set_reason(out, "%s refused chorusgw's request (HTTP %ld%s%s%s%s)",
		           out->has_code_retour ? "Chorus Pro" : "PISTE", s, *code ? ", " : "",
		           code, out->libelle ? ": " : "", out->libelle ? out->libelle : "");
		set_setup(out, "%s", out->advice ? out->advice : "check the set-up");
	} else
		set_reason(out, "Chorus Pro %s (HTTP %ld%s%s%s%s)",
		           out->cls == CHORUS_RETRY ? "cannot answer yet" : "refused the request",
		           s, *code ? ", " : "", code, out->libelle ? ": " : "",
		           out->libelle ? out->libelle : "");
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
		} else if (out->has_code_retour && out->code_retour != 0)
			classify_code(op, s, out);
		else
			out->cls = CHORUS_OK;
		goto done;
	}

	if (s == 401) {
		classify_401(op, h, env, out);
	} else if (op == CHORUS_OP_TOKEN && s == 400) {
		const char *e = json_str(json_get(ans, "error"));
		const char *d = json_str(json_get(ans, "error_description"));
		out->cls = CHORUS_SETUP;
		out->kind = "refused-token";
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
		out->kind = "not-subscribed";
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
			    "subscribe your PISTE application to the %s API: in PISTE, accept "
			    "the CGU of the Chorus Pro APIs (Factures, Transverses, "
			    "Structures) for the application in the %s environment%s; a 403 "
			    "also answers a route that does not exist: check [chorus] api_url",
			    api, env_name(env),
			    env->production ? ", and declare the application's name in the "
			                      "Chorus Pro API connection (raccordement)"
			                    : "");
		}
	} else if (s == 400 || s == 413) {
		classify_code(op, s, out);
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
			account_init(&ch->accounts[ch->naccounts++], s->id, s->tech_login,
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
	free(p->expiry.date);
	free(p->expiry.login);
	free(p->new_status);
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
	free(k->stream_path);
	free(k->token_used);
	free(k->number);
	free(k->flux);
	free(k->siret);
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
			if (strcasecmp(ch->accounts[i].siret, siret) == 0)
				return &ch->accounts[i];
	return &ch->accounts[0];
}

const char *
chorus_account_login(const struct chorus *ch, const char *siret)
{
	return account_for(ch, siret)->login;
}

/* Is account i the first with its login? (several sections may name one account) */
static int
first_of_login(const struct chorus *ch, size_t i)
{
	size_t k;
	for (k = 0; k < i; k++)
		if (strcmp(ch->accounts[k].login, ch->accounts[i].login) == 0)
			return 0;
	return 1;
}

time_t
chorus_account_expiry(const struct chorus *ch, const char *siret)
{
	return account_for(ch, siret)->expiry;
}

size_t
chorus_naccounts(const struct chorus *ch)
{
	size_t i, n = 0;
	for (i = 0; i < ch->naccounts; i++)
		n += first_of_login(ch, i);
	return n;
}

const char *
chorus_account_at(const struct chorus *ch, size_t at, const char **siret)
{
	size_t i;
	for (i = 0; i < ch->naccounts; i++)
		if (first_of_login(ch, i) && at-- == 0) {
			*siret = ch->accounts[i].siret;
			return ch->accounts[i].login;
		}
	*siret = NULL;
	return NULL;
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
	env->password_expiry = k->acct ? k->acct->expiry : 0;
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
	o->kind = r->kind;
	o->advice = r->advice ? xstrdup(r->advice) : NULL;
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
	struct http_stream st;
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
	if (k->stream_path) {
		st.head = DEPOSIT_HEAD;
		st.path = k->stream_path;
		st.size = k->stream_size;
		st.tail = k->body;
		s.stream = &st;
	} else {
		s.body = k->body;
		s.body_len = k->body ? strlen(k->body) : 0;
	}
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
	p->deposit.flux = json_get_strdup(a, "numeroFluxDepot");
	p->deposit.date = json_get_strdup(a, "dateDepot");
	p->deposit.syntax = json_get_strdup(a, "syntaxeFlux");
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
	char name[CHORUS_FILE_NAME_MAX + 1], *rest;
	chorus_file_name(name, sizeof(name), q->number, q->unique);
	json_set_str(b, "nomFichier", name);
	json_set_str(b, "syntaxeFlux",
	             q->syntax == SYNTAX_CII ? "IN_DP_E1_CII_16B" : "IN_DP_E1_UBL_INVOICE");
	json_set_bool(b, "avecSignature", 0);
	rest = dump_free(b); /* {"nomFichier":...}: its "{" becomes the string's end */
	if (q->path) {
		k->stream_path = xstrdup(q->path);
		k->stream_size = q->size;
		k->body = xasprintf("\",%s", rest + 1);
	} else {
		char *b64 = base64_encode(q->data, q->len);
		k->body = xasprintf(DEPOSIT_HEAD "%s\",%s", b64, rest + 1);
		free(b64);
	}
	free(rest);
	/* DESIGN §2.5: a connection of its own, never reused, so libcurl cannot re-send it */
	k->flags = HTTP_FRESH;
	call_begin(k);
	return k;
}

/* ---- deposit report ---- */

/* One reason of entry `e`, `message` taken as is (owned by the reply afterwards). */
static void
add_report_reason(struct chorus_reply *p, const struct json *e, int technical, char *message)
{
	struct chorus_report_error *x;
	p->report.errors =
	    xreallocarray(p->report.errors, p->report.nerrors + 1, sizeof(*p->report.errors));
	x = &p->report.errors[p->report.nerrors++];
	memset(x, 0, sizeof(*x));
	x->technical = technical;
	x->message = message;
	if (technical) {
		x->code = json_get_strdup(e, "codeErreur");
		x->nature = json_get_strdup(e, "natureErreur");
	} else {
		x->invoice = json_get_strdup(e, "numeroDP");
		x->supplier = json_get_strdup(e, "identifiantFournisseur");
		x->buyer = json_get_strdup(e, "identifiantDestinataire");
	}
	x->advice = chorus_error_advice(x->code, x->message, x->supplier, x->buyer, &x->kind);
}

/* A listeErreurDP entry joins its reasons with "|": one error per reason, so that each
 * gets its advice and none is lost (the last may be cut by Chorus Pro). */
static void
add_report_error(struct chorus_reply *p, const struct json *e, int technical)
{
	const char *m = json_str(json_get(e, technical ? "libelleErreur" : "libelleErreurDP"));
	const char *bar;
	if (m == NULL || technical) {
		add_report_reason(p, e, technical, m ? xstrdup(m) : NULL);
		return;
	}
	do {
		bar = strchr(m, '|');
		if (bar == NULL || bar > m)
			add_report_reason(p, e, 0,
			                  bar ? xstrndup(m, (size_t)(bar - m)) : xstrdup(m));
		m = bar + 1;
	} while (bar);
}

static int
parse_report(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l;
	const char *s;
	size_t i;
	p->report.state = json_get_strdup(a, "etatCourantDepotFlux");
	if (p->report.state == NULL) {
		set_reason(&p->r, "Chorus Pro's deposit report has no etatCourantDepotFlux");
		return -1;
	}
	s = p->report.state;
	p->report.words = chorus_state_words(s);
	p->report.outcome = chorus_state_outcome(s);
	p->report.integrated = p->report.outcome == CHORUS_REPORT_INTEGRATED ||
	                       p->report.outcome == CHORUS_REPORT_PARTIAL;
	p->report.final = p->report.integrated || p->report.outcome == CHORUS_REPORT_REJECTED;
	p->report.deposit_date = json_get_strdup(a, "dateDepotFlux");
	p->report.state_date = json_get_strdup(a, "dateHeureEtatCourantFlux");
	p->report.file_name = json_get_strdup(a, "nomFichier");
	p->report.interface = json_get_strdup(a, "codeInterfaceDepotFlux");
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
		v->number = json_get_strdup(f, "numeroFacture");
		v->flux = json_get_strdup(f, "numeroFluxDepot");
		v->status = json_get_strdup(f, "statut");
		v->status_date = json_get_strdup(f, "dateHeureEtatCourant");
		v->comment = json_get_strdup(f, "commentaireEtatCourant");
		v->type = json_get_strdup(f, "typeFacture");
		v->deposit_date = json_get_strdup(f, "dateDepot");
		v->supplier = json_get_strdup(f, "codeFournisseur");
		v->buyer = json_get_strdup(f, "codeDestinataire");
		v->service = json_get_strdup(f, "codeServiceExecutant");
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

/* The search is not narrowed to one structure (idFournisseur is Chorus Pro's internal
 * id, which the gateway does not know): its answer holds the invoices of every structure
 * the technical account reaches, where a supplier without a SIRET and an establishment,
 * or two such suppliers, may have invoices with the same number. Identifiers compare
 * case aside, as [supplier.ID] sections are named (conf_supplier()). */
int
chorus_invoice_of(const struct chorus_invoice *inv, const char *supplier)
{
	return inv->supplier == NULL || supplier == NULL ||
	       strcasecmp(inv->supplier, supplier) == 0;
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
		p->history.current = json_get_strdup(a, "statutCourantCode");
	if (p->history.current == NULL) {
		set_reason(&p->r, "Chorus Pro's history answer has no statutCourantCode");
		return -1;
	}
	for (i = 0; i < json_len(l); i++) {
		const struct json *e = json_at(l, i);
		struct chorus_status_event *v;
		p->history.v = xreallocarray(p->history.v, p->history.n + 1, sizeof(*p->history.v));
		v = &p->history.v[p->history.n++];
		v->status = json_get_strdup(e, "histoStatutCode");
		v->date = json_get_strdup(e, "histoStatutDatePassage");
		v->comment = json_get_strdup(e, "histoStatutCommentaire");
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
		v->siret = json_get_strdup(s, "identifiantStructure");
		if (v->siret == NULL)
			v->siret = json_get_strdup(s, "identifiant");
		v->name = json_get_strdup(s, "designationStructure");
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

/* ---- the technical account's password expiry ---- */

/* First the account's structures (recuperer/structures/actives/fournisseur), then
 * structures/v1/consulter of one of them, preferably the SIRET the account was asked
 * for: Chorus Pro shows the account's password expiry with its own structures. */
static int
parse_expiry(struct chorus_call *k, struct json *a)
{
	struct chorus_reply *p = k->reply;
	const struct json *l;
	struct json *b;
	int64_t id = 0;
	size_t i;
	if (k->step == 0) {
		l = json_get(a, "listeStructures");
		for (i = 0; i < json_len(l); i++) {
			const struct json *st = json_at(l, i);
			const char *siret = json_str(json_get(st, "identifiantStructure"));
			int64_t v;
			if (siret == NULL)
				siret = json_str(json_get(st, "identifiant"));
			if (json_int(json_get(st, "idStructureCPP"), &v) == -1)
				continue;
			if (id == 0 || (k->siret && siret && strcmp(siret, k->siret) == 0))
				id = v;
		}
		if (id == 0) {
			set_reason(&p->r,
			           "the technical account acts for no active structure: Chorus Pro "
			           "shows no password expiry");
			return -1;
		}
		k->step = 1;
		k->path = PATH_ST_GET;
		b = json_new_object();
		json_set_int(b, "idStructureCPP", id);
		json_set_str(b, "codeLangue", "fr");
		free(k->body);
		k->body = dump_free(b);
		return 1;
	}
	p->expiry.date = json_get_strdup(json_get(a, "informationGenerales"),
	                                 "dateExpirationMotPasseCompteTech");
	if (p->expiry.date && parse_iso8601(p->expiry.date, &p->expiry.at) == 0)
		((struct account *)k->acct)->expiry = p->expiry.at;
	return 0;
}

struct chorus_call *
chorus_password_expiry(struct chorus *ch, const char *siret, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_EXPIRY, siret, PATH_OWN, cb, arg);
	k->siret = siret ? xstrdup(siret) : NULL;
	k->body = xstrdup("{}");
	k->reply->expiry.login = xstrdup(k->acct->login);
	call_begin(k);
	return k;
}

/* ---- completing and recycling an invoice ---- */

static struct chorus_call *
call_with_body(struct chorus *ch, enum chorus_op op, const char *siret, const char *path,
               struct json *b, chorus_cb *cb, void *arg)
{
	struct chorus_call *k = call_new(ch, op, siret, path, cb, arg);
	k->body = dump_free(b);
	call_begin(k);
	return k;
}

struct chorus_call *
chorus_attach(struct chorus *ch, const char *siret, const char *name, const void *data, size_t len,
              chorus_cb *cb, void *arg)
{
	struct json *b = json_new_object();
	const char *dot = strrchr(name, '.');
	char *b64 = base64_encode(data, len), ext[16];
	size_t i;
	/* the extension in capitals, as the portal lists them (PDF, XML, PNG...) */
	snprintf(ext, sizeof(ext), "%s", dot && dot[1] ? dot + 1 : "BIN");
	for (i = 0; ext[i]; i++)
		ext[i] = (char)toupper((unsigned char)ext[i]);
	json_set(b, "pieceJointeFichier", json_new_str(b64));
	free(b64);
	json_set_str(b, "pieceJointeNom", name);
	json_set_str(b, "pieceJointeTypeMime",
	             strcmp(ext, "PDF") == 0   ? "application/pdf"
	             : strcmp(ext, "XML") == 0 ? "application/xml"
	             : strcmp(ext, "PNG") == 0 ? "image/png"
	             : strcmp(ext, "JPG") == 0 || strcmp(ext, "JPEG") == 0
	                 ? "image/jpeg"
	                 : "application/octet-stream");
	json_set_str(b, "pieceJointeExtension", ext);
	return call_with_body(ch, CHORUS_OP_ATTACH, siret, PATH_ATTACH, b, cb, arg);
}

struct chorus_call *
chorus_complete(struct chorus *ch, const char *siret, int64_t invoice_id, const char *comment,
                const int64_t *ids, const char *const *names, size_t n, chorus_cb *cb, void *arg)
{
	struct json *b = json_new_object(), *l = json_new_array();
	size_t i;
	json_set_int(b, "identifiantFactureCPP", invoice_id);
	if (comment)
		json_set_str(b, "commentaire", comment);
	for (i = 0; i < n; i++) {
		struct json *pj = json_new_object();
		json_set_int(pj, "pieceJointeComplementaireId", ids[i]);
		json_set_str(pj, "pieceJointeComplementaireDesignation", names[i]);
		json_push(l, pj);
	}
	json_set(b, "pieceJointeComplementaire", l);
	return call_with_body(ch, CHORUS_OP_COMPLETE, siret, PATH_COMPLETE, b, cb, arg);
}

struct chorus_call *
chorus_recycle(struct chorus *ch, const char *siret, int64_t invoice_id, const char *buyer,
               const char *service, chorus_cb *cb, void *arg)
{
	struct json *b = json_new_object(), *d = json_new_object();
	json_set_int(b, "identifiantFactureCPP", invoice_id);
	if (buyer)
		json_set_str(d, "codeDestinataire", buyer);
	if (service)
		json_set_str(d, "codeServiceExecutant", service);
	json_set(b, "destinataire", d);
	return call_with_body(ch, CHORUS_OP_RECYCLE, siret, PATH_RECYCLE, b, cb, arg);
}

struct chorus_call *
chorus_service(struct chorus *ch, int64_t structure_id, int64_t service_id, chorus_cb *cb,
               void *arg)
{
	struct chorus_call *k = call_new(ch, CHORUS_OP_SERVICE, NULL, PATH_ST_SVC1, cb, arg);
	struct json *b = json_new_object();
	json_set_int(b, "idStructure", structure_id);
	json_set_int(b, "idService", service_id);
	json_set_str(b, "codeLangue", "fr");
	k->id = structure_id; /* for the cache entry of the answer */
	k->svc_id = service_id;
	k->body = dump_free(b);
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
cache_path(const char *cache_dir, const char *siret)
{
	return xasprintf("%s/structure-%s.json", cache_dir, siret);
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

/* Store the cache entry `o` (released) at `path` (released); a failure is only logged:
 * the answer is still used, the next call asks again. */
static void
cache_store(struct chorus *ch, char *path, struct json *o)
{
	char *text = json_dump(o, 1), *why = NULL;
	json_free(o);
	if (mkdir_p(ch->cache_dir, 0750, &why) == -1 ||
	    write_file_atomic(NULL, path, text, strlen(text), 0640, 0, &why) == -1) {
		log_warn("chorus: cannot write the cache entry %s: %s", path, why);
		free(why);
	}
	free(path);
	free(text);
}

static void
cache_write(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	struct chorus_reply *p = k->reply;
	struct json *o;
	if (ch->cache_dir == NULL || ch->cache_ttl_ms <= 0)
		return;
	o = json_new_object();
	json_set_int(o, "version", 1);
	json_set_int(o, "fetched", p->structure.fetched_ms);
	json_set_str(o, "siret", k->siret);
	chorus_structure_json(p, 0, o);
	cache_store(ch, cache_path(ch->cache_dir, k->siret), o);
}

int
chorus_structure_fresh(const struct chorus_reply *p, int64_t ttl_ms, int64_t now_ms)
{
	int64_t age = now_ms - p->structure.fetched_ms;
	if (!p->structure.found && ttl_ms > NEGATIVE_CACHE_MS)
		ttl_ms = NEGATIVE_CACHE_MS;
	return age >= 0 && age < ttl_ms;
}

int
chorus_structure_cached(const char *cache_dir, const char *siret, struct chorus_reply *p,
                        char **why)
{
	struct buf b;
	struct json *o;
	const struct json *l;
	char *path, *err = NULL;
	int64_t fetched = 0, ver = 0;
	int found = 0;
	size_t i;

	if (!siret_shape(siret))
		return 0;
	path = cache_path(cache_dir, siret);
	buf_init(&b);
	if (read_file(path, CACHE_MAX_BYTES, 1, &b, &err) == -1) {
		int rc = errno == ENOENT ? 0 : -1;
		if (rc == -1)
			*why = xasprintf("%s: %s", path, err);
		free(err);
		free(path);
		buf_free(&b);
		return rc;
	}
	o = json_parse(b.p, b.len, NULL);
	buf_free(&b);
	if (o == NULL || json_int(json_get(o, "version"), &ver) == -1 || ver != 1 ||
	    json_int(json_get(o, "fetched"), &fetched) == -1 ||
	    json_bool(json_get(o, "found"), &found) == -1 ||
	    strcmp(json_path_str(o, "siret", ""), siret) != 0) {
		*why = xasprintf("%s is damaged", path);
		json_free(o);
		free(path);
		return -1;
	}
	free(path);
	p->structure.found = found;
	p->structure.from_cache = 1;
	p->structure.fetched_ms = fetched;
	p->structure.siret = xstrdup(siret);
	if (found) {
		json_int(json_get(o, "id"), &p->structure.id);
		p->structure.name = json_get_strdup(o, "name");
		p->structure.status = json_get_strdup(o, "status");
		p->structure.service_required = get_bool(o, "service_required");
		p->structure.engagement_required = get_bool(o, "engagement_required");
		p->structure.service_or_engagement = get_bool(o, "service_or_engagement");
		p->structure.password_expiry = json_get_strdup(o, "password_expiry");
		l = json_get(o, "services");
		p->structure.nservices = json_len(l);
		p->structure.services =
		    xcalloc(p->structure.nservices + 1, sizeof(struct chorus_service));
		for (i = 0; i < p->structure.nservices; i++) {
			const struct json *s = json_at(l, i);
			json_int(json_get(s, "id"), &p->structure.services[i].id);
			p->structure.services[i].code = json_get_strdup(s, "code");
			p->structure.services[i].label = json_get_strdup(s, "label");
			p->structure.services[i].active = get_bool(s, "active");
		}
	}
	json_free(o);
	return 1;
}

/* 1 when a fresh cached answer was loaded into the reply k->reply (otherwise it is
 * left untouched). */
static int
cache_read(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	struct chorus_reply *p;
	char *why = NULL;
	int rc;

	if (ch->cache_dir == NULL || ch->cache_ttl_ms <= 0)
		return 0;
	p = xcalloc(1, sizeof(*p));
	rc = chorus_structure_cached(ch->cache_dir, k->siret, p, &why);
	if (rc == -1) {
		log_warn("chorus: ignoring the structure cache: %s", why);
		free(why);
	}
	if (rc == 1 && chorus_structure_fresh(p, ch->cache_ttl_ms, wall_ms())) {
		k->reply->structure = p->structure;
		memset(&p->structure, 0, sizeof(p->structure));
	} else
		rc = 0;
	chorus_reply_free(p);
	return rc == 1;
}

static char *
service_cache_path(const char *cache_dir, int64_t structure_id, int64_t service_id)
{
	return xasprintf("%s/service-%lld-%lld.json", cache_dir, (long long)structure_id,
	                 (long long)service_id);
}

/* consulter/service's answer, kept for `chorusgw validate` (the buyer check itself
 * asks again: it is only asked for an invoice without an engagement number). */
static void
service_cache_write(struct chorus_call *k)
{
	struct chorus *ch = k->ch;
	struct json *o;
	if (ch->cache_dir == NULL || ch->cache_ttl_ms <= 0)
		return;
	o = json_new_object();
	json_set_int(o, "version", 1);
	json_set_int(o, "fetched", wall_ms());
	json_set_int(o, "structure", k->id);
	json_set_int(o, "service", k->svc_id);
	json_set_bool(o, "engagement_required", k->reply->service_engagement_required);
	cache_store(ch, service_cache_path(ch->cache_dir, k->id, k->svc_id), o);
}

int
chorus_service_cached(const char *cache_dir, int64_t structure_id, int64_t service_id,
                      int *engagement_required)
{
	struct buf b;
	struct json *o;
	char *path = service_cache_path(cache_dir, structure_id, service_id), *why = NULL;
	int64_t ver = 0, st = 0, sv = 0;
	int rc = 0;
	buf_init(&b);
	if (read_file(path, CACHE_MAX_BYTES, 1, &b, &why) == 0) {
		o = json_parse(b.p, b.len, NULL);
		rc = o && json_int(json_get(o, "version"), &ver) == 0 && ver == 1 &&
		     json_int(json_get(o, "structure"), &st) == 0 && st == structure_id &&
		     json_int(json_get(o, "service"), &sv) == 0 && sv == service_id &&
		     json_bool(json_get(o, "engagement_required"), engagement_required) == 0;
		json_free(o);
	}
	free(why);
	free(path);
	buf_free(&b);
	return rc;
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
			p->structure.name = json_get_strdup(s, "designationStructure");
			p->structure.status = json_get_strdup(s, "statut");
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
		p->structure.password_expiry = json_get_strdup(json_get(a, "informationGenerales"),
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
			v->code = json_get_strdup(s, "codeService");
			v->label = json_get_strdup(s, "libelleService");
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
	case CHORUS_OP_EXPIRY:
		return parse_expiry(k, a);
	case CHORUS_OP_ATTACH:
		json_int(json_get(a, "pieceJointeId"), &k->reply->attachment_id);
		return 0;
	case CHORUS_OP_RECYCLE:
		k->reply->new_status = json_get_strdup(a, "statutFacture");
		return 0;
	case CHORUS_OP_COMPLETE:
		return 0;
	case CHORUS_OP_SERVICE:
		k->reply->service_engagement_required =
		    get_bool(json_get(a, "parametres"), "numeroEngagement");
		service_cache_write(k);
		return 0;
	case CHORUS_OP_HEALTH:
	case CHORUS_OP_TOKEN:
		return 0;
	}
	return 0;
}
