/*
 * status.h - the status file an ERP drops next to an invoice's receipt to say what it
 * makes of the invoice (chorusgw-status(5)), and the CDAR lifecycle message (cdar.h)
 * that says it to the platform.
 *
 *   incoming/FILE.status   the buyer's status on an invoice received: 204, 205, 206,
 *                          207, 208, 210, 211
 *   accepted/FILE.status   the seller's on an invoice it issued: 212 Encaissée
 *
 * Ownership: a `struct status_file` owns its strings (status_file_free()); a `struct
 * lc_invoice` only borrows them. Errors: 0 / -1 with *why (HACKING.md); status_cdar()
 * appends problems (check.h).
 */
#ifndef CHORUSGW_STATUS_H
#define CHORUSGW_STATUS_H

#include <stddef.h>
#include <time.h>

struct cdar;
struct problems;

#define STATUS_FILE_MAX (64 * 1024)
#define STATUS_SUFFIX   ".status"

struct status_file {
	char *status;         /* "205" */
	char *reason_code;    /* MDT-113, BR-FR-CDV-CL-09; NULL when not given */
	char *reason;         /* free text */
	char *amount;         /* 206 approved, 211 paid, 212 received (with VAT) */
	char *vat_rate;       /* 212: the VAT rate of `amount` */
	char *invoice_number; /* when given, must be the invoice's */
};

/* Parse the text of a status file (INI: an optional [status] section, key = value,
 * the receipt's escapes). Unknown or repeated keys, a missing status, bytes that are
 * not UTF-8 and control characters are refused: 0, or -1 with *why naming the line and
 * the fix. Caller frees *out with status_file_free(). */
int status_parse(const char *text, size_t len, struct status_file **out, char **why);
void status_file_free(struct status_file *);

/* Who says the status. */
enum status_side {
	STATUS_BUYER = 0, /* on an invoice received (incoming/) */
	STATUS_SELLER,    /* on an invoice issued (accepted/) */
};

/* What the lifecycle message says of the invoice (read from its receipt). */
struct lc_invoice {
	const char *number;         /* BT-1 */
	const char *type_code;      /* BT-3; NULL: 380 */
	const char *issue_date;     /* BT-2, YYYY-MM-DD */
	const char *seller_siren;   /* BT-30 */
	const char *seller_name;    /* BT-27 */
	const char *seller_address; /* BT-34, scheme 0225; NULL: the SIREN */
	const char *buyer_siren;    /* BT-47 */
	const char *buyer_name;     /* BT-44 */
	const char *buyer_address;  /* BT-49, scheme 0225; NULL: the SIREN */
	const char *total;          /* BT-112, with VAT; NULL: unknown */
	const char *vat_rates;      /* the rates of its VAT breakdown, space-separated */
};

/*
 * The CDAR message `id` (unique: the platform refuses a second one) saying `sf`'s
 * status on `inv`, by `side`, dated `now`; every problem that keeps it from being sent
 * is appended to *out: the file's own rules (rule STATUS: who may say which status,
 * amounts) and BR-FR-CDV (cdar_check()). The message is returned even when it has
 * problems (to show and to compare with the schematron); caller frees with cdar_free().
 */
struct cdar *status_cdar(const struct status_file *sf, const struct lc_invoice *inv,
                         enum status_side side, const char *id, time_t now, struct problems *out);

#endif
