/*
 * conf.c - the key table and everything it drives: reading the INI file with
 * iniparser (the only file that includes it), validating every value, resolving
 * secrets (inline, *_file, systemd's $CREDENTIALS_DIRECTORY), listing the effective
 * configuration with secrets masked, and listing the keys for the documentation test.
 *
 * Errors: conf_load() collects every problem, one line each, in the form
 * "FILE:LINE: [section] key: what is wrong; what to do", and returns NULL.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "codelist.h"
#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/chorusgw"
#endif

enum ck_type {
	CK_STR,
	CK_PATH,
	CK_SECRET,      /* inline secret; paired with <key>_file */
	CK_SECRET_FILE, /* path of a file holding the secret */
	CK_BOOL,
	CK_INT,
	CK_DURATION,
	CK_SIZE,
	CK_ENUM,
	CK_URL,
	CK_LIST,
	CK_OCTAL,
	CK_SIRET_SCHEME,
	CK_CADRE,
	CK_IBAN,
	CK_BIC,
};

enum ck_scope { CS_GLOBAL, CS_SUPPLIER, CS_MAP };

#define CKF_NEED_SPOOL  0x1 /* required when the command uses the spool */
#define CKF_NEED_CHORUS 0x2 /* required when the command talks to Chorus Pro */
#define CKF_SECRET      0x4 /* never printed */

struct conf_key {
	enum ck_scope scope;
	const char *section; /* "spool"...; "supplier" / "map" for per-name sections */
	const char *key;
	enum ck_type type;
	size_t off;
	const char *def; /* default, as the user would write it; NULL = unset */
	int64_t min, max;
	const char *const *choices;
	unsigned flags;
	const char *help;
};

static const char *const mode_choices[] = {"qualification", "production", NULL};
static const char *const syntax_choices[] = {"ubl", "cii", NULL};
static const char *const target_choices[] = {"auto", "stderr", "syslog", NULL};
static const char *const level_choices[] = {"error", "warning", "info", "debug", NULL};
static const char *const route_choices[] = {"chorus", "pa", NULL};
/* the statuses (XP Z12-012) a sent invoice may be called done at: Déposée, Approuvée,
 * Paiement transmis, Encaissée */
static const char *const final_choices[] = {"200", "205", "211", "212", NULL};
static const char *const facility_choices[] = {"daemon", "user",   "local0", "local1",
                                               "local2", "local3", "local4", "local5",
                                               "local6", "local7", NULL};

#define G(sec, k, t, field, d, mn, mx, ch, fl, h)                                        \
	{                                                                                \
		CS_GLOBAL, sec, k, t, offsetof(struct conf, field), d, mn, mx, ch, fl, h \
	}
#define S(k, t, field, d, ch, fl, h)                                                               \
	{                                                                                          \
		CS_SUPPLIER, "supplier", k, t, offsetof(struct conf_supplier, field), d, 0, 0, ch, \
		    fl, h                                                                          \
	}
#define M(k, t, field, d, ch, fl, h)                                                      \
	{                                                                                 \
		CS_MAP, "map", k, t, offsetof(struct conf_map, field), d, 0, 0, ch, fl, h \
	}

#define SEC  1000LL
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

static const struct conf_key keys[] = {
    G("spool", "dir", CK_PATH, spool_dir, NULL, 0, 0, NULL, CKF_NEED_SPOOL,
      "Spool root holding inbox/, outbox/, accepted/, rejected/ and the internal "
      ".chorusgw/ folder, all on one filesystem."),
    G("spool", "settle", CK_DURATION, settle_ms, "5s", 0, HOUR, NULL, 0,
      "A file written in place is taken once it has not changed (size, mtime, ctime) "
      "for this long, measured against the current time. Files renamed into inbox/ are "
      "taken at once."),
    G("spool", "rescan", CK_DURATION, rescan_ms, "30s", SEC, DAY, NULL, 0,
      "Interval of the full rescan of inbox/, which finds files that raised no inotify "
      "event (writers on another machine over SMB or NFS), and of the check for "
      "documents left by another chorusgw that ended on the same spool."),
    G("spool", "ignore", CK_LIST, ignore, "", 0, 0, NULL, 0,
      "Comma-separated shell patterns of file names in inbox/ to leave alone, in "
      "addition to dot-files, *.tmp and *.part which are always ignored."),
    G("spool", "max_size", CK_SIZE, max_size, "10M", 1024, 1024LL * 1024 * 1024, NULL, 0,
      "Largest file accepted in inbox/; larger files are rejected with a receipt. "
      "Chorus Pro accepts at most 10 MB per file."),
    G("spool", "scan_batch", CK_INT, scan_batch, "500", 1, 1000000, NULL, 0,
      "Most files claimed per scan, oldest first, so one huge drop cannot starve "
      "the rest of the work."),
    G("spool", "json_receipts", CK_BOOL, json_receipts, "no", 0, 0, NULL, 0,
      "Also write FILE.receipt.json beside each INI receipt."),
    G("spool", "file_mode", CK_OCTAL, file_mode, "0640", 0, 0666, NULL, 0,
      "Permission bits of the files chorusgw writes in the visible folders "
      "(receipts and generated XML)."),

    G("chorus", "mode", CK_ENUM, mode, "qualification", 0, 0, mode_choices, 0,
      "qualification (Chorus Pro's test platform, PISTE sandbox) or production. "
      "Chooses the default token_url and api_url."),
    G("chorus", "token_url", CK_URL, token_url, NULL, 0, 0, NULL, 0,
      "PISTE OAuth2 token endpoint. Default: " PISTE_TOKEN_URL_QUALIF
      " in qualification, " PISTE_TOKEN_URL_PROD " in production."),
    G("chorus", "api_url", CK_URL, api_url, NULL, 0, 0, NULL, 0,
      "Base URL of the Chorus Pro API behind PISTE. Default: " PISTE_API_URL_QUALIF
      " in qualification, " PISTE_API_URL_PROD " in production."),
    G("chorus", "ca_file", CK_PATH, ca_file, NULL, 0, 0, NULL, 0,
      "CA certificates (PEM) used to verify the servers; default: the system's store. "
      "TLS verification cannot be turned off."),
    G("chorus", "client_id", CK_STR, client_id, NULL, 0, 0, NULL, CKF_NEED_CHORUS,
      "Client id of the PISTE application (PISTE > Applications > your application)."),
    G("chorus", "client_secret", CK_SECRET, client_secret, NULL, 0, 0, NULL,
      CKF_NEED_CHORUS | CKF_SECRET,
      "Client secret of the PISTE application. Prefer client_secret_file or the "
      "credential client_secret of systemd's LoadCredential=."),
    G("chorus", "client_secret_file", CK_SECRET_FILE, client_secret_file, NULL, 0, 0, NULL, 0,
      "File holding the client secret (mode 0600 or stricter)."),
    G("chorus", "tech_login", CK_STR, tech_login, NULL, 0, 0, NULL, CKF_NEED_CHORUS,
      "Login of the Chorus Pro technical account (TECH_1_...@cpro.fr), sent in the "
      "cpro-account header."),
    G("chorus", "tech_password", CK_SECRET, tech_password, NULL, 0, 0, NULL,
      CKF_NEED_CHORUS | CKF_SECRET,
      "Password of the technical account; it expires every 14 months. Prefer "
      "tech_password_file or the credential tech_password."),
    G("chorus", "tech_password_file", CK_SECRET_FILE, tech_password_file, NULL, 0, 0, NULL, 0,
      "File holding the technical account's password (mode 0600 or stricter)."),
    G("chorus", "syntax", CK_ENUM, syntax, "ubl", 0, 0, syntax_choices, 0,
      "Syntax deposited for ERP exports: ubl (UBL 2.1, IN_DP_E1_UBL_INVOICE) or cii "
      "(CII D16B, IN_DP_E1_CII_16B)."),
    G("chorus", "connect_timeout", CK_DURATION, connect_timeout_ms, "10s", 100, 5 * MIN, NULL, 0,
      "Longest wait for a TCP+TLS connection."),
    G("chorus", "timeout", CK_DURATION, timeout_ms, "60s", SEC, HOUR, NULL, 0,
      "Longest wait for a whole request. A deposit that times out has an unknown "
      "outcome and is settled by a search before any new deposit."),
    G("chorus", "max_in_flight", CK_INT, max_in_flight, "8", 1, 64, NULL, 0,
      "Most requests to Chorus Pro in flight at once."),
    G("chorus", "check_structures", CK_BOOL, check_structures, "no", 0, 0, NULL, 0,
      "Before depositing, check with the Structures API that the buyer exists and "
      "whether it requires a service code or an engagement number (results cached)."),
    G("chorus", "structure_cache_ttl", CK_DURATION, structure_cache_ttl_ms, "1d", 0, 30 * DAY, NULL,
      0, "How long a Structures API answer is trusted."),

    G("pa", "url", CK_URL, pa_url, NULL, 0, 0, NULL, 0,
      "Base URL of the Plateforme Agréée's Flow Service (AFNOR XP Z12-013), the part before "
      "/v1/flows, such as https://api.flow.example-pa.fr/flow-service."),
    G("pa", "directory_url", CK_URL, pa_directory_url, NULL, 0, 0, NULL, 0,
      "Base URL of the PA's Directory Service (annuaire), the part before /v1/siren, such as "
      "https://api.directory.example-pa.fr/directory-service."),
    G("pa", "token_url", CK_URL, pa_token_url, NULL, 0, 0, NULL, 0,
      "The PA's OAuth2 token endpoint for your account (client credentials), such as "
      "https://auth.example-pa.fr/auth-service/CUSTOMER/token."),
    G("pa", "ca_file", CK_PATH, pa_ca_file, NULL, 0, 0, NULL, 0,
      "CA certificates (PEM) used to verify the PA's servers; default: the system's store."),
    G("pa", "client_id", CK_STR, pa_client_id, NULL, 0, 0, NULL, 0,
      "OAuth2 client id the PA gave you."),
    G("pa", "client_secret", CK_SECRET, pa_client_secret, NULL, 0, 0, NULL, CKF_SECRET,
      "OAuth2 client secret the PA gave you. Prefer client_secret_file or the credential "
      "pa_client_secret of systemd's LoadCredential=."),
    G("pa", "client_secret_file", CK_SECRET_FILE, pa_client_secret_file, NULL, 0, 0, NULL, 0,
      "File holding the PA client secret (mode 0600 or stricter)."),
    G("pa", "scope", CK_STR, pa_scope, NULL, 0, 0, NULL, 0,
      "OAuth2 scopes to ask for, space-separated. Unset: none asked, the PA grants the "
      "client's own (the Directory's healthcheck needs health.read)."),
    G("pa", "organization_id", CK_STR, pa_organization_id, NULL, 0, 0, NULL, 0,
      "Sent as the Organization-Id header when your PA account serves several "
      "organizations (multi-tenancy); ask the PA for its value. Unset: not sent."),
    G("pa", "connect_timeout", CK_DURATION, pa_connect_timeout_ms, "10s", 100, 5 * MIN, NULL, 0,
      "Longest wait for a TCP+TLS connection to the PA."),
    G("pa", "timeout", CK_DURATION, pa_timeout_ms, "60s", SEC, HOUR, NULL, 0,
      "Longest wait for a whole request to the PA. A flow sent without an answer has an "
      "unknown outcome and is looked for by its trackingId before it is sent again."),
    G("pa", "max_in_flight", CK_INT, pa_max_in_flight, "8", 1, 64, NULL, 0,
      "Most requests to the PA in flight at once."),
    G("pa", "directory_cache_ttl", CK_DURATION, pa_directory_cache_ttl_ms, "1d", 0, 30 * DAY, NULL,
      0,
      "How long a Directory answer about a buyer is "
      "trusted (an unknown SIREN or SIRET: at most 1 hour)."),

    G("pa", "search_window", CK_DURATION, pa_search_window_ms, "15m", 0, DAY, NULL, 0,
      "Safety window of the searches of new flows: each asks for the flows updated after the "
      "newest one read minus this, as XP Z12-013 advises a client without a web server (a "
      "flow can show up in a search a little after its update), and drops the flows it "
      "already has by their id."),
    G("pa", "poll_interval", CK_DURATION, pa_poll_ms, "1m", 100, HOUR, NULL, 0,
      "How often the PA is asked for the acknowledgement of a sent flow and for new "
      "lifecycle statuses."),
    G("pa", "final_status", CK_ENUM, pa_final_status, "212", 0, 0, final_choices, 0,
      "The lifecycle status at which an invoice sent through the PA is done and moves to "
      "accepted/: 212 (Encaissée, paid), 211 (Paiement transmis), 205 (Approuvée) or 200 "
      "(Déposée, taken by the platform). Until then it stays in outbox/ and its receipt "
      "follows each status."),

    G("incoming", "enabled", CK_BOOL, incoming_enabled, "no", 0, 0, NULL, 0,
      "Receive the invoices the PA holds for your companies (those of the PA account, or "
      "of [pa] organization_id) into incoming/, each with a receipt "
      "(chorusgw-incoming(5)). Needs [pa]."),
    G("incoming", "poll", CK_DURATION, incoming_poll_ms, "1m", 100, DAY, NULL, 0,
      "How often `run` asks the PA for new incoming flows (POST /v1/flows/search)."),
    G("incoming", "readable", CK_BOOL, incoming_readable, "no", 0, 0, NULL, 0,
      "Also fetch each invoice's readable view (a PDF; docType ReadableView) beside it."),
    G("incoming", "converted", CK_BOOL, incoming_converted, "no", 0, 0, NULL, 0,
      "Also fetch each invoice in the other syntax the PA converts it to (docType "
      "Converted: UBL for CII and Factur-X, CII for UBL) beside it."),
    G("incoming", "max_size", CK_SIZE, incoming_max_size, "100M", 1024, 1024LL * 1024 * 1024, NULL,
      0,
      "Largest incoming file accepted (the Flow Service allows 100 MB); a larger one is "
      "quarantined with the reason."),
    G("incoming", "resync_window", CK_DURATION, incoming_resync_ms, "7d", MIN, 365 * DAY, NULL, 0,
      "How far back `reconcile` searches the PA's incoming flows again, to fetch any the "
      "polls missed and to report the gaps."),

    G("route", "public", CK_ENUM, route_public, "chorus", 0, 0, route_choices, 0,
      "Where invoices to public buyers (the Directory's entityType Public) go when the "
      "export names no route: chorus (deposited on Chorus Pro directly) or pa (sent "
      "through the PA, which hands them to Chorus Pro). Invoices to private buyers go to "
      "the PA; works invoices (cadres of the travaux family) always go to Chorus Pro."),

    G("gateway", "report_poll", CK_DURATION, report_poll_ms, "1m", 100, HOUR, NULL, 0,
      "Interval between two reads of a deposit report (consulterCRDetaille) while "
      "Chorus Pro has not finished integrating a deposit. The first reads come sooner: "
      "5 s, 20 s and 50 s after the deposit, never further apart than report_poll."),
    G("gateway", "retry_min", CK_DURATION, retry_min_ms, "30s", 100, DAY, NULL, 0,
      "First wait after a retryable failure (network, timeout, 5xx, 429); waits double "
      "up to retry_max, with random jitter."),
    G("gateway", "retry_max", CK_DURATION, retry_max_ms, "1h", 100, 7 * DAY, NULL, 0,
      "Longest wait between two attempts."),
    G("gateway", "give_up", CK_DURATION, give_up_ms, "5d", MIN / 60, 365 * DAY, NULL, 0,
      "A document not settled with Chorus Pro after this long (still not deposited, held "
      "by Chorus Pro, in an unknown report state) is marked action_required with what to "
      "do (it stays in outbox/ and is still retried)."),
    G("gateway", "unknown_wait", CK_DURATION, unknown_wait_ms, "15m", 100, DAY, NULL, 0,
      "A deposit whose outcome is unknown (timeout, connection lost, crash during the "
      "call) is searched for in Chorus Pro after this long, the time Chorus Pro needs to "
      "integrate a deposit, and deposited again only if Chorus Pro has no such invoice."),
    G("gateway", "once_wait", CK_DURATION, once_wait_ms, "10m", 0, DAY, NULL, 0,
      "How long `chorusgw once` waits for deposit reports before it exits."),
    G("gateway", "crash_limit", CK_INT, crash_limit, "3", 1, 100, NULL, 0,
      "Times processes may die while working on one document (a worker transforming and "
      "checking it: a crash, the system killing it; chorusgw itself crashing in one of "
      "its steps) before the document is held with action_required, so that the others "
      "go on; counted on disk, across restarts."),
    G("gateway", "follow_max_age", CK_DURATION, follow_max_age_ms, "365d", DAY / 24, 5 * 365 * DAY,
      NULL, 0, "reconcile stops following a document's Chorus Pro status after this long."),

    G("transform", "stylesheet_dir", CK_PATH, stylesheet_dir, PKGDATADIR "/xslt", 0, 0, NULL, 0,
      "Folder of the shipped stylesheets (erp-to-ubl.xsl, erp-to-cii.xsl)."),
    G("transform", "schema_dir", CK_PATH, schema_dir, PKGDATADIR "/schemas", 0, 0, NULL, 0,
      "Folder holding ubl-2.1/ and cii-d16b/ XSDs; every generated document is "
      "validated against them before a deposit. Empty: no XSD validation."),
    G("transform", "siret_scheme", CK_SIRET_SCHEME, siret_scheme, "0009", 0, 0, NULL, 0,
      "Scheme written on SIRET identifiers: 0009 (ISO 6523 ICD of SIRET, passes the "
      "EN 16931 code lists) or 1 (Chorus Pro's native code, fails BR-CL-10/11)."),
    G("transform", "workers", CK_INT, workers, "2", 1, 64, NULL, 0,
      "Worker processes that transform and check documents, beside the event loop, so "
      "that a big document never holds up the others, the deposits or the watchdog."),
    G("transform", "max_memory", CK_SIZE, max_memory, "512M", 64LL * 1024 * 1024,
      64LL * 1024 * 1024 * 1024, NULL, 0,
      "Most memory one document may take while it is transformed and checked, estimated "
      "from its size before it is read (about 54 times the file, 17 KB per invoice line, "
      "plus 32 MB); a larger one is rejected with the reason."),
    G("transform", "max_depth", CK_INT, max_depth, "256", 16, 10000, NULL, 0,
      "Deepest element nesting accepted in an input document."),
    G("transform", "attachment_dir", CK_PATH, attachment_dir, NULL, 0, 0, NULL, 0,
      "Folder holding the files an ERP export names in <attachment><file>; their content "
      "is embedded in the generated document (BT-125). Unset: attachments are only "
      "referenced, and the pre-flight refuses them, as Chorus Pro would."),

    G("log", "target", CK_ENUM, log_target, "auto", 0, 0, target_choices, 0,
      "auto (stderr on a terminal, syslog otherwise), stderr or syslog."),
    G("log", "level", CK_ENUM, log_level, "info", 0, 0, level_choices, 0,
      "Least severe level logged: error, warning, info or debug (-v sets debug)."),
    G("log", "facility", CK_ENUM, log_facility, "daemon", 0, 0, facility_choices, 0,
      "Syslog facility."),

    G("metrics", "file", CK_PATH, metrics_file, NULL, 0, 0, NULL, 0,
      "Prometheus textfile written atomically by `run` (for node_exporter's textfile "
      "collector). Unset: no metrics."),
    G("metrics", "interval", CK_DURATION, metrics_interval_ms, "15s", SEC, HOUR, NULL, 0,
      "How often the metrics file is rewritten."),

    G("supplier", "iban", CK_IBAN, default_iban, NULL, 0, 0, NULL, 0,
      "The company's IBAN (default \"RIB transmis\"), used when neither the ERP file nor "
      "the establishment's [supplier.SIRET] section gives one."),
    G("supplier", "bic", CK_BIC, default_bic, NULL, 0, 0, NULL, 0, "BIC of that account."),
    G("supplier", "iban_name", CK_STR, default_iban_name, NULL, 0, 0, NULL, 0,
      "Account holder name of that account."),

    S("iban", CK_IBAN, iban, NULL, NULL, 0,
      "IBAN paid into (\"RIB transmis\"), used when the ERP file carries none."),
    S("bic", CK_BIC, bic, NULL, NULL, 0, "BIC of that account."),
    S("iban_name", CK_STR, iban_name, NULL, NULL, 0, "Account holder name of that account."),
    S("cadre", CK_CADRE, cadre, NULL, NULL, 0,
      "Cadre de facturation used when the ERP file has none (A1 by default)."),
    S("syntax", CK_ENUM, syntax, NULL, syntax_choices, 0,
      "Overrides [chorus] syntax for this supplier."),
    S("tech_login", CK_STR, tech_login, NULL, NULL, 0,
      "Technical account of this establishment, when it differs from [chorus] "
      "tech_login (integrator model: one account per structure)."),
    S("tech_password", CK_SECRET, tech_password, NULL, NULL, CKF_SECRET,
      "Its password. Prefer tech_password_file or the credential tech_password.SIRET."),
    S("tech_password_file", CK_SECRET_FILE, tech_password_file, NULL, NULL, 0,
      "File holding that password."),

    M("root", CK_STR, root, NULL, NULL, 0,
      "Root element of the input documents this stylesheet handles, as "
      "{namespace}localname or localname."),
    M("pattern", CK_STR, pattern, NULL, NULL, 0,
      "Shell pattern on the file name of the input documents this stylesheet handles."),
    M("stylesheet", CK_PATH, stylesheet, NULL, NULL, 0,
      "The XSLT 1.0 stylesheet; relative paths are relative to stylesheet_dir."),
    M("syntax", CK_ENUM, syntax, "ubl", syntax_choices, 0,
      "Syntax the stylesheet produces: ubl or cii."),
};

/* ---- reading ---------------------------------------------------------------- */

/* Where each "section:key" sits in the file, for messages (iniparser keeps no lines). */
struct lineinfo {
	char *name; /* "section:key" or "section" */
	int line;
};

struct loader {
	const char *path;
	struct conf *c;
	struct buf errs;
	int nerrs;
	struct lineinfo *lines;
	size_t nlines;
	int file_is_private; /* mode has no group/other bits */
	mode_t file_mode;
};

/* Add one error to the load's list: "PATH:LINE: [SECTION] KEY: what" (line 0: no line). */
static void PRINTFLIKE(5, 6)
    load_error(struct loader *L, const char *sec, const char *key, int line, const char *fmt, ...)
{
	va_list ap;
	if (L->errs.len)
		buf_addc(&L->errs, '\n');
	if (line > 0)
		buf_printf(&L->errs, "%s:%d: ", L->path, line);
	else
		buf_printf(&L->errs, "%s: ", L->path);
	if (sec && key)
		buf_printf(&L->errs, "[%s] %s: ", sec, key);
	else if (sec)
		buf_printf(&L->errs, "[%s]: ", sec);
	va_start(ap, fmt);
	buf_vprintf(&L->errs, fmt, ap);
	va_end(ap);
	L->nerrs++;
}

static int
line_of(struct loader *L, const char *sec, const char *key)
{
	char *want = key ? xasprintf("%s:%s", sec, key) : xstrdup(sec);
	size_t i;
	int line = 0;
	for (i = 0; i < L->nlines; i++)
		if (strcmp(L->lines[i].name, want) == 0)
			line = L->lines[i].line;
	free(want);
	return line;
}

/* Record where sections and keys sit, and report what iniparser would silently
 * accept: keys outside a section, lines that are neither, keys set twice. */
static void
scan_lines(struct loader *L, const char *text)
{
	char section[256] = "";
	const char *p = text;
	int no = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *copy = xstrndup(p, len), *s, *eq;
		p += len + (nl ? 1 : 0);
		no++;
		s = str_trim(copy);
		if (*s == '\0' || *s == ';' || *s == '#') {
			free(copy);
			continue;
		}
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e == NULL) {
				load_error(L, NULL, NULL, no,
				           "section header without ']'; write [name]");
				free(copy);
				continue;
			}
			*e = '\0';
			snprintf(section, sizeof(section), "%s", str_trim(s + 1));
			str_lower(section);
			L->lines = xreallocarray(L->lines, L->nlines + 1, sizeof(*L->lines));
			L->lines[L->nlines].name = xstrdup(section);
			L->lines[L->nlines++].line = no;
			free(copy);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			load_error(L, NULL, NULL, no, "line is neither [section] nor key = value");
			free(copy);
			continue;
		}
		*eq = '\0';
		s = str_trim(s);
		str_lower(s);
		if (section[0] == '\0')
			load_error(L, NULL, s, no,
			           "key outside any section; put it under [spool], "
			           "[chorus], ... (see chorusgw.ini(5))");
		else {
			char *name = xasprintf("%s:%s", section, s);
			size_t i;
			for (i = 0; i < L->nlines; i++)
				if (strcmp(L->lines[i].name, name) == 0)
					load_error(L, section, s, no,
					           "set twice (first on line %d); keep one",
					           L->lines[i].line);
			L->lines = xreallocarray(L->lines, L->nlines + 1, sizeof(*L->lines));
			L->lines[L->nlines].name = name;
			L->lines[L->nlines++].line = no;
		}
		free(copy);
	}
}

static const char *
type_hint(const struct conf_key *k)
{
	switch (k->type) {
	case CK_BOOL:
		return "write yes or no";
	case CK_INT:
		return "write a whole number";
	case CK_DURATION:
		return "write a duration such as 250ms, 30s, 5m, 2h or 7d";
	case CK_SIZE:
		return "write a size such as 512K, 10M or 1G";
	case CK_OCTAL:
		return "write octal permission bits such as 0640";
	default:
		return "";
	}
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
	         !strcasecmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* Check a URL: https:// anywhere, http:// only to a loopback host. NULL if fine,
 * else a malloc'ed reason. */
static char *
url_problem(const char *v)
{
	const char *h, *end;
	char *host;
	int https = str_has_prefix(v, "https://");
	int http = str_has_prefix(v, "http://");
	if (!https && !http)
		return xasprintf("\"%s\" is not an https:// URL", v);
	h = v + (https ? 8 : 7);
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL)
			return xasprintf("\"%s\": unterminated [IPv6] host", v);
		host = xstrndup(h + 1, (size_t)(end - h - 1));
	} else {
		end = h + strcspn(h, ":/?#");
		host = xstrndup(h, (size_t)(end - h));
	}
	if (*host == '\0') {
		free(host);
		return xasprintf("\"%s\" has no host", v);
	}
	if (http && !host_is_loopback(host)) {
		char *r = xasprintf("plain http:// to %s would send the credentials in clear; "
		                    "use https:// (http:// is only accepted for loopback)",
		                    host);
		free(host);
		return r;
	}
	free(host);
	return NULL;
}

static int
cadre_ok(const char *s)
{
	int64_t n;
	return s[0] == 'A' && parse_int64(s + 1, &n) == 0 && n >= 1 && n <= 25 && s[1] != '0' &&
	       s[1] != '+' && s[1] != '-';
}

/* Parse one value into its slot; on error report it and leave the slot alone. */
static void
set_value(struct loader *L, const struct conf_key *k, void *base, const char *sec, const char *v,
          int line)
{
	char **sp = (char **)((char *)base + k->off);
	int *ip = (int *)((char *)base + k->off);
	int64_t *lp = (int64_t *)((char *)base + k->off);
	int64_t n;
	char *why, num[64], num2[64];
	size_t i;

	switch (k->type) {
	case CK_STR:
	case CK_SECRET:
	case CK_LIST:
		if (str_has_ctrl(v)) {
			load_error(L, sec, k->key, line, "value holds control characters");
			return;
		}
		if (k->type != CK_LIST && *v == '\0' && k->def == NULL) {
			load_error(L, sec, k->key, line, "empty value; set it or remove the line");
			return;
		}
		free(*sp);
		*sp = xstrdup(v);
		return;
	case CK_PATH:
	case CK_SECRET_FILE:
		if (str_has_ctrl(v)) {
			load_error(L, sec, k->key, line, "value holds control characters");
			return;
		}
		free(*sp);
		*sp = *v ? xstrdup(v) : NULL;
		return;
	case CK_URL:
		if ((why = url_problem(v)) != NULL) {
			load_error(L, sec, k->key, line, "%s", why);
			free(why);
			return;
		}
		free(*sp);
		*sp = xstrdup(v);
		return;
	case CK_SIRET_SCHEME:
		if (strcmp(v, "0009") != 0 && strcmp(v, "1") != 0) {
			load_error(L, sec, k->key, line,
			           "\"%s\" is not a SIRET scheme; write 0009 "
			           "(ISO 6523) or 1 (Chorus Pro native)",
			           v);
			return;
		}
		free(*sp);
		*sp = xstrdup(v);
		return;
	case CK_CADRE:
		if (!cadre_ok(v)) {
			load_error(L, sec, k->key, line,
			           "\"%s\" is not a cadre de facturation; write A1 to A25", v);
			return;
		}
		free(*sp);
		*sp = xstrdup(v);
		return;
	case CK_IBAN: {
		char *compact = xstrdup(v), *o = compact;
		const char *p;
		for (p = v; *p; p++)
			if (*p != ' ')
				*o++ = (char)toupper((unsigned char)*p);
		*o = '\0';
		if (!iban_ok(compact)) {
			load_error(L, sec, k->key, line,
			           "\"%s\" is not a valid IBAN (check digits "
			           "fail); copy it again from the RIB",
			           v);
			free(compact);
			return;
		}
		free(*sp);
		*sp = compact;
		return;
	}
	case CK_BIC:
		if (!bic_ok(v)) {
			load_error(L, sec, k->key, line,
			           "\"%s\" is not a BIC; write 8 or 11 capital letters/digits", v);
			return;
		}
		free(*sp);
		*sp = xstrdup(v);
		return;
	case CK_BOOL:
		if (parse_bool(v, ip) == -1)
			load_error(L, sec, k->key, line, "\"%s\" is not yes/no; %s", v,
			           type_hint(k));
		return;
	case CK_ENUM:
		for (i = 0; k->choices[i]; i++)
			if (strcmp(v, k->choices[i]) == 0) {
				*ip = (int)i;
				return;
			}
		{
			struct buf b;
			buf_init(&b);
			for (i = 0; k->choices[i]; i++)
				buf_printf(&b, "%s%s", i ? ", " : "", k->choices[i]);
			load_error(L, sec, k->key, line, "\"%s\" is not one of: %s", v, b.p);
			buf_free(&b);
		}
		return;
	case CK_INT:
	case CK_DURATION:
	case CK_SIZE:
	case CK_OCTAL: {
		int bad;
		if (k->type == CK_INT)
			bad = parse_int64(v, &n);
		else if (k->type == CK_DURATION)
			bad = parse_duration_ms(v, &n);
		else if (k->type == CK_SIZE)
			bad = parse_size(v, &n);
		else {
			char *end;
			errno = 0;
			n = strtoll(v, &end, 8);
			bad = (*v == '\0' || *end != '\0' || errno) ? -1 : 0;
		}
		if (bad == -1) {
			load_error(L, sec, k->key, line, "\"%s\" is not valid; %s", v,
			           type_hint(k));
			return;
		}
		if (n < k->min || n > k->max) {
			if (k->type == CK_DURATION) {
				fmt_duration(num, sizeof(num), k->min);
				fmt_duration(num2, sizeof(num2), k->max);
			} else if (k->type == CK_OCTAL) {
				snprintf(num, sizeof(num), "0%llo", (unsigned long long)k->min);
				snprintf(num2, sizeof(num2), "0%llo", (unsigned long long)k->max);
			} else {
				snprintf(num, sizeof(num), "%lld", (long long)k->min);
				snprintf(num2, sizeof(num2), "%lld", (long long)k->max);
			}
			load_error(L, sec, k->key, line, "%s is out of range; use %s to %s", v, num,
			           num2);
			return;
		}
		*lp = n;
		return;
	}
	}
}

static const struct conf_key *
find_key(enum ck_scope scope, const char *section, const char *key)
{
	size_t i;
	for (i = 0; i < nitems(keys); i++) {
		if (keys[i].scope != scope || strcmp(keys[i].key, key) != 0)
			continue;
		if (scope != CS_GLOBAL || strcmp(keys[i].section, section) == 0)
			return &keys[i];
	}
	return NULL;
}

static void
apply_defaults(struct loader *L, enum ck_scope scope, void *base, const char *sec)
{
	size_t i;
	for (i = 0; i < nitems(keys); i++) {
		if (keys[i].scope != scope || keys[i].def == NULL)
			continue;
		if (scope == CS_GLOBAL)
			sec = keys[i].section;
		set_value(L, &keys[i], base, sec, keys[i].def, 0);
	}
}

/*
 * Resolve the secret `key` stored at *inline_v (inline), *file_v (<key>_file) or in
 * $CREDENTIALS_DIRECTORY/<credname>. Sets *origin to a description for check-config.
 */
static void
resolve_secret(struct loader *L, const char *sec, const char *key, char **inline_v, char **file_v,
               const char *credname, const char **origin)
{
	const char *credir = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL;
	int from_creds = 0;
	struct buf b;
	char *why = NULL;
	struct stat st;

	if (*inline_v && *file_v) {
		load_error(L, sec, key, line_of(L, sec, key),
		           "set both inline and as %s_file; keep only %s_file", key, key);
		return;
	}
	if (*inline_v) {
		*origin = "inline";
		if (!L->file_is_private)
			load_error(L, sec, key, line_of(L, sec, key),
			           "the file holds this secret but is readable by group or others "
			           "(mode %04o); run chmod 600 %s, or move the secret to %s_file",
			           (unsigned)(L->file_mode & 07777), L->path, key);
		log_secret(*inline_v);
		return;
	}
	if (*file_v)
		path = xstrdup(*file_v);
	else if (credir && *credir) {
		path = xasprintf("%s/%s", credir, credname);
		if (access(path, F_OK) == -1) {
			free(path);
			return;
		}
		from_creds = 1;
	} else
		return;

	if (stat(path, &st) == -1) {
		char fkey[64];
		snprintf(fkey, sizeof(fkey), "%s_file", key);
		load_error(L, sec, from_creds ? key : fkey, line_of(L, sec, fkey),
		           "cannot read secret file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!from_creds && (st.st_mode & 077)) {
		load_error(
		    L, sec, key, line_of(L, sec, key),
		    "secret file %s is readable by group or others (mode %04o); run chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	buf_init(&b);
	if (read_file(path, 4096, 0, &b, &why) == -1) {
		load_error(L, sec, key, line_of(L, sec, key), "cannot read secret file: %s", why);
		free(why);
		buf_free(&b);
		goto out;
	}
	while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
		b.p[--b.len] = '\0';
	if (b.len == 0 || strchr(b.p, '\n') || str_has_ctrl(b.p)) {
		load_error(L, sec, key, line_of(L, sec, key),
		           "secret file %s must hold the secret on one line", path);
		buf_free(&b);
		goto out;
	}
	*inline_v = buf_steal(&b);
	log_secret(*inline_v);
	*origin = from_creds ? "systemd credential" : "file";
	if (from_creds) {
		free(*file_v);
		*file_v = path;
		path = NULL;
	}
out:
	free(path);
}

static void
check_required(struct loader *L, unsigned flags)
{
	struct conf *c = L->c;
	size_t i;
	/* a PA-only set-up (public buyers through the PA too, no [chorus] section) needs no
	 * Chorus Pro credentials: works invoices are then refused, saying why */
	if (c->pa && c->route_public == CONF_ROUTE_PUBLIC_PA && line_of(L, "chorus", NULL) == 0)
		flags &= ~(unsigned)CONF_NEED_CHORUS;
	for (i = 0; i < nitems(keys); i++) {
		const struct conf_key *k = &keys[i];
		char **sp;
		if (k->scope != CS_GLOBAL)
			continue;
		if (!((k->flags & CKF_NEED_SPOOL) && (flags & CONF_NEED_SPOOL)) &&
		    !((k->flags & CKF_NEED_CHORUS) && (flags & CONF_NEED_CHORUS)))
			continue;
		sp = (char **)((char *)c + k->off);
		if (*sp != NULL)
			continue;
		if (k->type == CK_SECRET)
			load_error(
			    L, k->section, k->key, 0,
			    "missing; set %s_file = /path/to/file (mode 0600), or %s, or give "
			    "systemd credential %s",
			    k->key, k->key, k->key);
		else
			load_error(L, k->section, k->key, 0, "missing; add it under [%s]",
			           k->section);
	}
}

/* Drop the trailing slashes of a base URL. */
static void
trim_slashes(char *url)
{
	char *p;
	while (url && (p = strchr(url, '\0')) > url && p[-1] == '/')
		p[-1] = '\0';
}

/* The [pa] section: when present, everything needed to reach the PA must be there. */
static void
finish_pa(struct loader *L)
{
	struct conf *c = L->c;
	static const struct {
		size_t off;
		const char *key;
	} need[] = {
	    {offsetof(struct conf, pa_url), "url"},
	    {offsetof(struct conf, pa_directory_url), "directory_url"},
	    {offsetof(struct conf, pa_token_url), "token_url"},
	    {offsetof(struct conf, pa_client_id), "client_id"},
	};
	size_t i;
	int line = line_of(L, "pa", NULL);

	c->pa = line > 0;
	resolve_secret(L, "pa", "client_secret", &c->pa_client_secret, &c->pa_client_secret_file,
	               "pa_client_secret", &c->pa_client_secret_origin);
	trim_slashes(c->pa_url);
	trim_slashes(c->pa_directory_url);
	if (!c->pa) {
		if (c->incoming_enabled)
			load_error(
			    L, "incoming", "enabled", line_of(L, "incoming", "enabled"),
			    "yes, but there is no [pa] section; invoices are received through "
			    "a PA: configure [pa], or write enabled = no");
		if (c->route_public == CONF_ROUTE_PUBLIC_PA)
			load_error(L, "route", "public", line_of(L, "route", "public"),
			           "pa, but there is no [pa] section; configure the PA or write "
			           "public = chorus");
		return;
	}
	for (i = 0; i < nitems(need); i++)
		if (*(char **)((char *)c + need[i].off) == NULL)
			load_error(L, "pa", need[i].key, line,
			           "missing; talking to the PA needs it (see chorusgw.ini(5))");
	if (c->pa_client_secret == NULL)
		load_error(L, "pa", "client_secret", line,
		           "missing; set client_secret_file = /path/to/file (mode 0600), or "
		           "client_secret, or give systemd credential pa_client_secret");
	if (c->pa_ca_file && access(c->pa_ca_file, R_OK) == -1)
		load_error(L, "pa", "ca_file", line_of(L, "pa", "ca_file"), "cannot read %s: %s",
		           c->pa_ca_file, strerror(errno));
}

static void
finish(struct loader *L)
{
	struct conf *c = L->c;
	size_t i, n = 0;
	char *p, *save = NULL, *copy;

	if (c->token_url == NULL)
		c->token_url = xstrdup(c->mode == MODE_PRODUCTION ? PISTE_TOKEN_URL_PROD
		                                                  : PISTE_TOKEN_URL_QUALIF);
	if (c->api_url == NULL)
		c->api_url =
		    xstrdup(c->mode == MODE_PRODUCTION ? PISTE_API_URL_PROD : PISTE_API_URL_QUALIF);
	trim_slashes(c->api_url);
	if (c->retry_max_ms < c->retry_min_ms)
		load_error(L, "gateway", "retry_max", line_of(L, "gateway", "retry_max"),
		           "shorter than retry_min; make it at least as long");
	if (c->spool_dir && c->spool_dir[0] != '/')
		load_error(L, "spool", "dir", line_of(L, "spool", "dir"),
		           "\"%s\" is relative; write an absolute path", c->spool_dir);
	if (c->ca_file && access(c->ca_file, R_OK) == -1)
		load_error(L, "chorus", "ca_file", line_of(L, "chorus", "ca_file"),
		           "cannot read %s: %s", c->ca_file, strerror(errno));

	resolve_secret(L, "chorus", "client_secret", &c->client_secret, &c->client_secret_file,
	               "client_secret", &c->client_secret_origin);
	finish_pa(L);
	resolve_secret(L, "chorus", "tech_password", &c->tech_password, &c->tech_password_file,
	               "tech_password", &c->tech_password_origin);
	for (i = 0; i < c->nsuppliers; i++) {
		struct conf_supplier *s = &c->suppliers[i];
		char *sec = xasprintf("supplier.%s", s->id);
		char *cred = xasprintf("tech_password.%s", s->id);
		str_lower(sec); /* as iniparser and scan_lines() name it */
		resolve_secret(L, sec, "tech_password", &s->tech_password, &s->tech_password_file,
		               cred, &s->tech_password_origin);
		if ((s->tech_password != NULL) != (s->tech_login != NULL))
			load_error(L, sec, s->tech_login ? "tech_password" : "tech_login",
			           line_of(L, sec, NULL),
			           "a supplier's own technical account "
			           "needs both tech_login and tech_password");
		free(sec);
		free(cred);
	}
	for (i = 0; i < c->nmaps; i++) {
		struct conf_map *m = &c->maps[i];
		char *sec = xasprintf("map.%s", m->name);
		if (m->stylesheet == NULL)
			load_error(L, sec, "stylesheet", line_of(L, sec, NULL),
			           "missing; a [map.NAME] section needs the stylesheet to run");
		if (m->root == NULL && m->pattern == NULL)
			load_error(
			    L, sec, "root", line_of(L, sec, NULL),
			    "missing; set root = {namespace}localname and/or pattern = GLOB so "
			    "chorusgw knows which files use this stylesheet");
		free(sec);
	}

	/* split the ignore list */
	copy = xstrdup(c->ignore ? c->ignore : "");
	c->ignore_list = xcalloc(1, sizeof(char *));
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		p = str_trim(p);
		if (*p == '\0')
			continue;
		c->ignore_list = xreallocarray(c->ignore_list, n + 2, sizeof(char *));
		c->ignore_list[n++] = xstrdup(p);
		c->ignore_list[n] = NULL;
	}
	free(copy);
}

/* Is `up` (a section's name in upper case) no name for a [supplier.ID] section? A
 * SIRET; or the identifier of a supplier without one, as Chorus Pro knows it: type 2,
 * an intra-community VAT number (country prefix of another member state, EL for
 * Greece, then digits), type 3 another identifier (letters, digits, - . _ /). A French
 * supplier has a SIRET, so a French VAT number names no section. 1 with *why (caller
 * frees), or 0. */
static int
supplier_name_bad(const char *up, char **why)
{
	size_t n = strlen(up);
	char cc[3] = {0};
	int vat;
	memcpy(cc, up, n < 2 ? n : 2);
	/* a VAT number: the prefix, then digits (Austria: U then digits) */
	vat = n > 2 && (isdigit((unsigned char)up[2]) || (strcmp(cc, "AT") == 0 && up[2] == 'U'));
	if (str_digits(up, 14) && !siret_ok(up))
		*why = xasprintf("\"%s\" is not a valid SIRET (14 digits, Luhn check); name the "
		                 "section [supplier.<SIRET of the establishment>]",
		                 up);
	else if (n == 0 || n > 80 || strspn(up, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/") != n)
		*why =
		    xasprintf("\"%s\" is neither a SIRET nor the identifier of a supplier "
		              "without a SIRET (letters, digits, - . _ /); name the section "
		              "[supplier.<SIRET of the establishment>] or [supplier.<identifier>] "
		              "(chorusgw.ini(5))",
		              up);
	else if (vat && strcmp(cc, "FR") == 0)
		*why = xasprintf("\"%s\" is a French VAT number: a supplier established in France "
		                 "is identified by its SIRET; name the section "
		                 "[supplier.<SIRET of the establishment>]",
		                 up);
	else if (vat &&
	         (strcmp(cc, "EL") == 0 || (codelist_ok("EU", cc) && strcmp(cc, "GR") != 0)) &&
	         (n < 4 || n > 15 ||
	          strspn(up + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n - 2))
		*why = xasprintf("\"%s\" is not an intra-community VAT number (%s, then 2 to 13 "
		                 "letters or digits), the identifier of a supplier of type 2 "
		                 "(UE_HORS_FRANCE)",
		                 up, cc);
	return *why != NULL;
}

static void
read_section(struct loader *L, dictionary *d, const char *sec)
{
	enum ck_scope scope = CS_GLOBAL;
	void *base = L->c;
	const char *name = NULL;
	int nk = iniparser_getsecnkeys(d, sec), i;
	const char **ks;

	if (str_has_prefix(sec, "supplier.")) {
		struct conf_supplier *s;
		char *why = NULL, *up;
		name = sec + strlen("supplier.");
		up = xstrdup(name); /* iniparser gave it in lower case */
		for (char *u = up; *u; u++)
			*u = (char)toupper((unsigned char)*u);
		if (supplier_name_bad(up, &why)) {
			load_error(L, sec, NULL, line_of(L, sec, NULL), "%s", why);
			free(why);
			free(up);
			return;
		}
		L->c->suppliers = xreallocarray(L->c->suppliers, L->c->nsuppliers + 1, sizeof(*s));
		s = &L->c->suppliers[L->c->nsuppliers++];
		memset(s, 0, sizeof(*s));
		s->id = up;
		s->siret = str_digits(s->id, 14) ? s->id : NULL;
		s->syntax = SYNTAX_INHERIT;
		scope = CS_SUPPLIER;
		base = s;
	} else if (str_has_prefix(sec, "map.")) {
		struct conf_map *m;
		name = sec + strlen("map.");
		if (*name == '\0') {
			load_error(L, sec, NULL, line_of(L, sec, NULL),
			           "name the section [map.NAME]");
			return;
		}
		L->c->maps = xreallocarray(L->c->maps, L->c->nmaps + 1, sizeof(*m));
		m = &L->c->maps[L->c->nmaps++];
		memset(m, 0, sizeof(*m));
		m->name = xstrdup(name);
		scope = CS_MAP;
		base = m;
		apply_defaults(L, CS_MAP, m, sec);
	} else {
		size_t i2;
		int known = 0;
		for (i2 = 0; i2 < nitems(keys); i2++)
			if (keys[i2].scope == CS_GLOBAL && strcmp(keys[i2].section, sec) == 0)
				known = 1;
		if (!known) {
			load_error(
			    L, sec, NULL, line_of(L, sec, NULL),
			    "unknown section; known: [spool], [chorus], [pa], [incoming], [route], "
			    "[gateway], [transform], [log], [metrics], [supplier], "
			    "[supplier.SIRET], [supplier.ID], [map.NAME]");
			return;
		}
	}
	if (nk <= 0)
		return;
	ks = xcalloc((size_t)nk, sizeof(*ks));
	iniparser_getseckeys(d, sec, ks);
	for (i = 0; i < nk; i++) {
		const char *full = ks[i];
		const char *key = strchr(full, ':') ? strchr(full, ':') + 1 : full;
		const char *v = iniparser_getstring(d, full, "");
		const struct conf_key *k = find_key(scope, sec, key);
		int line = line_of(L, sec, key);
		if (k == NULL) {
			load_error(
			    L, sec, key, line,
			    "unknown key; see chorusgw.ini(5) or `chorusgw check-config --keys`");
			continue;
		}
		set_value(L, k, base, sec, v, line);
	}
	free(ks);
}

static char *ini_error;

static int PRINTFLIKE(1, 2) ini_errback(const char *fmt, ...)
{
	va_list ap;
	struct buf b;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(ini_error);
	ini_error = buf_steal(&b);
	return 0;
}

struct conf *
conf_load(const char *path, unsigned flags, char **why)
{
	struct loader L;
	struct buf text;
	dictionary *d = NULL;
	char *rwhy = NULL;
	struct stat st;
	int i, nsec;

	memset(&L, 0, sizeof(L));
	buf_init(&L.errs);
	buf_init(&text);
	L.path = path;
	L.c = xcalloc(1, sizeof(*L.c));
	L.c->path = xstrdup(path);
	L.file_is_private = 1;
	apply_defaults(&L, CS_GLOBAL, L.c, NULL);

	if (stat(path, &st) == -1) {
		if (errno == ENOENT && (flags & CONF_OPTIONAL))
			goto done;
		load_error(&L, NULL, NULL, 0, "cannot read the configuration: %s%s",
		           strerror(errno),
		           errno == ENOENT ? "; give one with -c FILE (see chorusgw.ini(5))" : "");
		goto done;
	}
	L.file_mode = st.st_mode;
	L.file_is_private = (st.st_mode & 077) == 0;
	if (read_file(path, 1024 * 1024, 0, &text, &rwhy) == -1) {
		load_error(&L, NULL, NULL, 0, "%s", rwhy);
		free(rwhy);
		goto done;
	}
	if (memchr(text.p, '\0', text.len) != NULL) {
		load_error(&L, NULL, NULL, 0, "holds NUL bytes; it is not a text file");
		goto done;
	}
	scan_lines(&L, text.p);
	if (L.nerrs)
		goto done;
	iniparser_set_error_callback(ini_errback);
	d = iniparser_load(path);
	if (d == NULL) {
		load_error(&L, NULL, NULL, 0, "cannot parse: %s",
		           ini_error ? str_trim(ini_error) : "syntax error");
		goto done;
	}
	nsec = iniparser_getnsec(d);
	for (i = 0; i < nsec; i++)
		read_section(&L, d, iniparser_getsecname(d, i));
done:
	/* After a syntax error the values are unknown: listing "missing" keys would only
	 * bury the real problem. */
	if (L.nerrs == 0) {
		finish(&L);
		check_required(&L, flags);
	}
	if (d)
		iniparser_freedict(d);
	free(ini_error);
	ini_error = NULL;
	buf_free(&text);
	for (size_t j = 0; j < L.nlines; j++)
		free(L.lines[j].name);
	free(L.lines);
	if (L.nerrs) {
		conf_free(L.c);
		if (why) {
			free(*why);
			*why = buf_steal(&L.errs);
		}
		buf_free(&L.errs);
		return NULL;
	}
	buf_free(&L.errs);
	return L.c;
}

static void
free_fields(enum ck_scope scope, void *base)
{
	size_t i;
	for (i = 0; i < nitems(keys); i++) {
		switch (keys[i].type) {
		case CK_STR:
		case CK_PATH:
		case CK_SECRET:
		case CK_SECRET_FILE:
		case CK_URL:
		case CK_LIST:
		case CK_SIRET_SCHEME:
		case CK_CADRE:
		case CK_IBAN:
		case CK_BIC:
			if (keys[i].scope == scope)
				free(*(char **)((char *)base + keys[i].off));
			break;
		default:
			break;
		}
	}
}

void
conf_free(struct conf *c)
{
	size_t i;
	if (c == NULL)
		return;
	free_fields(CS_GLOBAL, c);
	for (i = 0; i < c->nsuppliers; i++) {
		free_fields(CS_SUPPLIER, &c->suppliers[i]);
		free(c->suppliers[i].id);
	}
	free(c->suppliers);
	for (i = 0; i < c->nmaps; i++) {
		free_fields(CS_MAP, &c->maps[i]);
		free(c->maps[i].name);
	}
	free(c->maps);
	if (c->ignore_list)
		for (i = 0; c->ignore_list[i]; i++)
			free(c->ignore_list[i]);
	free(c->ignore_list);
	free(c->path);
	free(c);
}

const struct conf_supplier *
conf_supplier(const struct conf *c, const char *id)
{
	size_t i;
	if (c == NULL || id == NULL)
		return NULL;
	for (i = 0; i < c->nsuppliers; i++)
		if (strcasecmp(c->suppliers[i].id, id) == 0)
			return &c->suppliers[i];
	return NULL;
}

const char *
conf_syntax_name(int s)
{
	return s == SYNTAX_CII ? "cii" : "ubl";
}

const char *
conf_final_status(const struct conf *c)
{
	return final_choices[c->pa_final_status];
}

/* ---- printing ---------------------------------------------------------------- */

/* Render a key's current value as the user would write it; NULL when unset. */
static char *
value_text(const struct conf_key *k, const void *base)
{
	const char *const *sp = (const char *const *)((const char *)base + k->off);
	const int *ip = (const int *)((const char *)base + k->off);
	const int64_t *lp = (const int64_t *)((const char *)base + k->off);
	char tmp[64];

	switch (k->type) {
	case CK_BOOL:
		return xstrdup(*ip ? "yes" : "no");
	case CK_ENUM:
		if (*ip < 0 || (k->scope == CS_SUPPLIER && *ip == SYNTAX_INHERIT))
			return NULL;
		return xstrdup(k->choices[*ip]);
	case CK_INT:
		return xasprintf("%lld", (long long)*lp);
	case CK_SIZE:
		if (*lp % (1024 * 1024) == 0)
			return xasprintf("%lldM", (long long)(*lp / (1024 * 1024)));
		if (*lp % 1024 == 0)
			return xasprintf("%lldK", (long long)(*lp / 1024));
		return xasprintf("%lld", (long long)*lp);
	case CK_DURATION:
		fmt_duration(tmp, sizeof(tmp), *lp);
		return xstrdup(tmp);
	case CK_OCTAL:
		return xasprintf("0%llo", (unsigned long long)*lp);
	default:
		return *sp ? xstrdup(*sp) : NULL;
	}
}

static void
print_value(FILE *f, const struct conf_key *k, const void *base, const char *origin)
{
	char *v = value_text(k, base);
	int is_default = 0;
	if (k->flags & CKF_SECRET) {
		if (v)
			fprintf(f, "%s = ********  ; %s\n", k->key, origin ? origin : "inline");
		else
			fprintf(f, "; %s not set\n", k->key);
		free(v);
		return;
	}
	if (v && k->def) {
		char *d = NULL;
		/* compare with the default rendered the same way */
		if (k->type == CK_STR || k->type == CK_PATH || k->type == CK_LIST ||
		    k->type == CK_SIRET_SCHEME)
			is_default = strcmp(v, k->def) == 0;
		else {
			struct loader L;
			union {
				struct conf c;
				struct conf_supplier s;
				struct conf_map m;
			} u;
			memset(&L, 0, sizeof(L));
			memset(&u, 0, sizeof(u));
			buf_init(&L.errs);
			set_value(&L, k, &u, k->section, k->def, 0);
			d = value_text(k, &u);
			is_default = d && strcmp(d, v) == 0;
			buf_free(&L.errs);
			free(d);
		}
	}
	if (v == NULL)
		fprintf(f, "; %s not set\n", k->key);
	else if (strpbrk(v, ";#") ||
	         (*v && (isspace((unsigned char)*v) || isspace((unsigned char)v[strlen(v) - 1]))))
		fprintf(f, "%s = \"%s\"%s\n", k->key, v, is_default ? "  ; default" : "");
	else
		fprintf(f, "%s = %s%s\n", k->key, v, is_default ? "  ; default" : "");
	free(v);
}

void
conf_print(const struct conf *c, FILE *f)
{
	const char *cur = "";
	size_t i, j;
	fprintf(f, "; effective configuration from %s (secrets masked)\n", c->path);
	for (i = 0; i < nitems(keys); i++) {
		const struct conf_key *k = &keys[i];
		const char *origin = NULL;
		if (k->scope != CS_GLOBAL)
			continue;
		if (strcmp(cur, k->section) != 0) {
			fprintf(f, "\n[%s]\n", k->section);
			cur = k->section;
		}
		if (k->off == offsetof(struct conf, client_secret))
			origin = c->client_secret_origin;
		else if (k->off == offsetof(struct conf, pa_client_secret))
			origin = c->pa_client_secret_origin;
		else if (k->off == offsetof(struct conf, tech_password))
			origin = c->tech_password_origin;
		print_value(f, k, c, origin);
	}
	for (j = 0; j < c->nsuppliers; j++) {
		fprintf(f, "\n[supplier.%s]\n", c->suppliers[j].id);
		for (i = 0; i < nitems(keys); i++)
			if (keys[i].scope == CS_SUPPLIER)
				print_value(f, &keys[i], &c->suppliers[j],
				            c->suppliers[j].tech_password_origin);
	}
	for (j = 0; j < c->nmaps; j++) {
		fprintf(f, "\n[map.%s]\n", c->maps[j].name);
		for (i = 0; i < nitems(keys); i++)
			if (keys[i].scope == CS_MAP)
				print_value(f, &keys[i], &c->maps[j], NULL);
	}
}

static const char *
type_name(enum ck_type t)
{
	switch (t) {
	case CK_STR:
		return "string";
	case CK_PATH:
		return "path";
	case CK_SECRET:
		return "secret";
	case CK_SECRET_FILE:
		return "path";
	case CK_BOOL:
		return "yes|no";
	case CK_INT:
		return "integer";
	case CK_DURATION:
		return "duration";
	case CK_SIZE:
		return "size";
	case CK_ENUM:
		return "choice";
	case CK_URL:
		return "url";
	case CK_LIST:
		return "list";
	case CK_OCTAL:
		return "mode";
	case CK_SIRET_SCHEME:
		return "0009|1";
	case CK_CADRE:
		return "A1..A25";
	case CK_IBAN:
		return "IBAN";
	case CK_BIC:
		return "BIC";
	}
	fatalx("type_name: no key type %d", (int)t);
}

void
conf_print_keys(FILE *f)
{
	size_t i;
	for (i = 0; i < nitems(keys); i++) {
		const struct conf_key *k = &keys[i];
		const char *sec = k->scope == CS_SUPPLIER ? "supplier.SIRET"
		                  : k->scope == CS_MAP    ? "map.NAME"
		                                          : k->section;
		fprintf(f, "%s\t%s\t%s\t%s\t%s\n", sec, k->key, type_name(k->type),
		        k->def ? (*k->def ? k->def : "\"\"") : "-", k->help);
	}
}
