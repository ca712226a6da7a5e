/*
 * conf.h - the configuration: one table of keys drives parsing, validation, the
 * effective-config listing of `check-config` and the documentation test.
 */
#ifndef CHORUSGW_CONF_H
#define CHORUSGW_CONF_H

#include <stdint.h>
#include <stdio.h>

enum conf_mode { MODE_QUALIFICATION = 0, MODE_PRODUCTION };
enum conf_syntax { SYNTAX_UBL = 0, SYNTAX_CII, SYNTAX_INHERIT };

/* Default URLs per mode (DESIGN §6). */
#define PISTE_TOKEN_URL_QUALIF "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
#define PISTE_TOKEN_URL_PROD   "https://oauth.piste.gouv.fr/api/oauth/token"
#define PISTE_API_URL_QUALIF   "https://sandbox-api.piste.gouv.fr"
#define PISTE_API_URL_PROD     "https://api.piste.gouv.fr"

/* A [supplier.SIRET] section: what differs per establishment; or a [supplier.ID]
 * section, named by the identifier of a supplier without a SIRET (Chorus Pro types 2
 * and 3: an intra-community VAT number, another identifier), upper case. */
struct conf_supplier {
	char *id;    /* the section's name */
	char *siret; /* id when it is a SIRET, else NULL (not freed apart) */
	char *iban;
	char *bic;
	char *iban_name;
	char *cadre;
	int syntax; /* SYNTAX_INHERIT when unset */
	char *tech_login;
	char *tech_password; /* resolved secret (inline, _file or credentials dir) */
	char *tech_password_file;
	const char *tech_password_origin; /* where the secret came from, for check-config */
};

/* A [map.NAME] section: a user's own stylesheet for some input files. */
struct conf_map {
	char *name;
	char *root;    /* "{namespace}localname" or "localname" of the input document */
	char *pattern; /* shell glob on the file name */
	char *stylesheet;
	int syntax; /* syntax the stylesheet produces */
};

struct conf {
	char *path; /* the file read */

	/* [supplier]: every establishment's defaults (the company's RIB) */
	char *default_iban;
	char *default_bic;
	char *default_iban_name;

	/* [spool] */
	char *spool_dir;
	int64_t settle_ms;
	int64_t rescan_ms;
	char *ignore; /* comma-separated globs (also see ignore_list) */
	int64_t max_size;
	int64_t scan_batch;
	int json_receipts;
	int64_t file_mode;

	/* [chorus] */
	int mode;
	char *token_url;
	char *api_url;
	char *ca_file;
	char *client_id;
	char *client_secret;
	char *client_secret_file;
	const char *client_secret_origin;
	char *tech_login;
	char *tech_password;
	char *tech_password_file;
	const char *tech_password_origin;
	int syntax;
	int64_t connect_timeout_ms;
	int64_t timeout_ms;
	int64_t max_in_flight;
	int check_structures;
	int64_t structure_cache_ttl_ms;

	/* [pa]: a Plateforme Agréée (AFNOR XP Z12-013 Flow and Directory Services) */
	int pa;       /* 1 when the [pa] section is present */
	char *pa_url; /* Flow Service base URL */
	char *pa_directory_url;
	char *pa_token_url;
	char *pa_ca_file;
	char *pa_client_id;
	char *pa_client_secret;
	char *pa_client_secret_file;
	const char *pa_client_secret_origin;
	char *pa_scope;
	char *pa_organization_id;
	int64_t pa_connect_timeout_ms;
	int64_t pa_timeout_ms;
	int64_t pa_max_in_flight;
	int64_t pa_directory_cache_ttl_ms;
	int64_t pa_search_window_ms;
	int64_t pa_poll_ms;
	int pa_final_status; /* index in conf.c's choices; conf_final_status() */

	/* [route] */
#define CONF_ROUTE_PUBLIC_PA 1
	int route_public; /* where invoices to public buyers go: 0 Chorus Pro, CONF_ROUTE_PUBLIC_PA
	                   */

	/* [incoming]: invoices received through the PA */
	int incoming_enabled;
	int64_t incoming_poll_ms;
	int incoming_readable;
	int incoming_converted;
	int64_t incoming_max_size;
	int64_t incoming_resync_ms;

	/* [gateway] */
	int64_t report_poll_ms;
	int64_t retry_min_ms;
	int64_t retry_max_ms;
	int64_t give_up_ms;
	int64_t unknown_wait_ms;
	int64_t once_wait_ms;
	int64_t follow_max_age_ms;
	int64_t crash_limit;

	/* [transform] */
	char *stylesheet_dir;
	char *schema_dir;
	char *siret_scheme;
	int64_t workers;
	int64_t max_memory;
	int64_t max_depth;
	char *attachment_dir;

	/* [log] */
	int log_target;
	int log_level;
	int log_facility;

	/* [metrics] */
	char *metrics_file;
	int64_t metrics_interval_ms;

	struct conf_supplier *suppliers;
	size_t nsuppliers;
	struct conf_map *maps;
	size_t nmaps;

	char **ignore_list; /* ignore split on commas, NULL-terminated */
};

/* conf_load() flags: what the command about to run needs. */
#define CONF_NEED_SPOOL  0x1 /* [spool] dir must be set */
#define CONF_NEED_CHORUS 0x2 /* credentials must be present */
#define CONF_OPTIONAL    0x4 /* a missing file is not an error: defaults apply */
#define CONF_NEED_ALL    (CONF_NEED_SPOOL | CONF_NEED_CHORUS)

/*
 * Read and validate `path`. Returns the config (free with conf_free) or NULL with
 * *why set to one line per problem ("FILE:LINE: [section] key: problem; fix"), every
 * problem found, not just the first. Secrets are registered with log_secret().
 */
struct conf *conf_load(const char *path, unsigned flags, char **why);
void conf_free(struct conf *);

/* The effective configuration as INI, secrets masked, defaults marked. */
void conf_print(const struct conf *, FILE *);
/* Every key the table knows: "section key type default - help" lines. */
void conf_print_keys(FILE *);

/* The [supplier.SIRET] or [supplier.ID] section for `id` (a SIRET, or the identifier
 * of a supplier without one, whatever its case), or NULL (also without a conf or id). */
const struct conf_supplier *conf_supplier(const struct conf *, const char *id);
const char *conf_syntax_name(int);
/* The lifecycle status code ("212") of [pa] final_status. */
const char *conf_final_status(const struct conf *);

#endif
