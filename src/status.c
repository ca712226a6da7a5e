/*
 * status.c - the ERP's status files (status.h, chorusgw-status(5)): reading one, and
 * the CDAR lifecycle message (cdar.h) that carries its status to the platform, with
 * the file's own rules checked before the BR-FR-CDV ones.
 *
 * Errors: status_parse() returns 0 / -1 with *why (one line: the line of the file and
 * the fix); status_cdar() appends problems (check.h) and always returns the message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdar.h"
#include "check.h"
#include "receipt.h"
#include "status.h"
#include "util.h"

/* ---- the file ------------------------------------------------------------------ */

static const char *const keys[] = {"status", "reason_code", "reason",
                                   "amount", "vat_rate",    "invoice_number"};
#define KEYS_LIST "status, reason_code, reason, amount, vat_rate, invoice_number"

static char **
field(struct status_file *sf, size_t k)
{
	char **v[] = {&sf->status, &sf->reason_code, &sf->reason,
	              &sf->amount, &sf->vat_rate,    &sf->invoice_number};
	return v[k];
}

void
status_file_free(struct status_file *sf)
{
	size_t k;
	if (sf == NULL)
		return;
	for (k = 0; k < nitems(keys); k++)
		free(*field(sf, k));
	free(sf);
}

/* One "key = value" line (blanks around both trimmed) into sf. 0 / -1 with *why. */
static int
parse_line(struct status_file *sf, unsigned *seen, size_t lineno, char *line, char **why)
{
	char *eq = strchr(line, '='), *key, *value;
	struct buf b;
	size_t k;
	const char *p;

	if (eq == NULL)
		return fail(why,
		            "line %zu: neither \"key = value\" nor a comment; write for example "
		            "\"status = 205\"",
		            lineno);
	*eq = '\0';
	key = str_trim(line);
	value = str_trim(eq + 1);
	for (k = 0; k < nitems(keys); k++)
		if (strcmp(key, keys[k]) == 0)
			break;
	if (k == nitems(keys))
		return fail(why, "line %zu: unknown key \"%s\"; a status file has " KEYS_LIST,
		            lineno, key);
	if (*seen & (1u << k))
		return fail(why, "line %zu: %s is given twice; keep one", lineno, key);
	*seen |= 1u << k;
	buf_init(&b);
	if (receipt_unescape(value, &b) == -1) {
		buf_free(&b);
		return fail(why, "line %zu: %s: a backslash starts \\\\, \\n, \\r, \\t or \\xNN",
		            lineno, key);
	}
	/* a line break may be written (\n) in the text of the reason, nowhere else */
	for (p = b.p; p < b.p + b.len; p++)
		if (((unsigned char)*p < 0x20 || *p == 0x7f) && !(k == 2 && *p == '\n')) {
			buf_free(&b);
			return fail(why, "line %zu: %s holds a control character", lineno, key);
		}
	if (b.len > 0)
		*field(sf, k) = buf_steal(&b);
	buf_free(&b);
	return 0;
}

int
status_parse(const char *text, size_t len, struct status_file **out, char **why)
{
	struct status_file *sf;
	char *copy, *line, *next;
	size_t lineno = 0, bad;
	unsigned seen = 0;

	*out = NULL;
	if (len > STATUS_FILE_MAX)
		return fail(why, "a status file holds at most %d bytes; this one has %zu",
		            STATUS_FILE_MAX, len);
	if (memchr(text, '\0', len))
		return fail(why, "a status file is text; this one holds a NUL byte");
	if ((bad = utf8_bad_offset(text, len)) < len)
		return fail(why, "byte %zu is not UTF-8; write the status file in UTF-8", bad + 1);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a byte order mark */
		text += 3, len -= 3;
	sf = xcalloc(1, sizeof(*sf));
	copy = xstrndup(text, len);
	for (line = copy; line; line = next) {
		char *t;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		t = str_trim(line);
		if (*t == '\0' || *t == ';' || *t == '#')
			continue;
		if (*t == '[') {
			if (strcasecmp(t, "[status]") == 0)
				continue;
			fail(why, "line %zu: %s: the one section of a status file is [status]",
			     lineno, t);
			goto bad;
		}
		if (parse_line(sf, &seen, lineno, t, why) == -1)
			goto bad;
	}
	if (sf->status == NULL) {
		fail(why, "no status: write for example \"status = 205\" (chorusgw-status(5))");
		goto bad;
	}
	if (!str_digits(sf->status, 3)) {
		fail(why, "status \"%s\": a status is a 3-digit code such as 205", sf->status);
		goto bad;
	}
	free(copy);
	*out = sf;
	return 0;
bad:
	free(copy);
	status_file_free(sf);
	return -1;
}

/* ---- the lifecycle message ------------------------------------------------------- */

/* "123.45" -> 12345; -1 when not a positive amount with at most 2 decimals and 15
 * digits before them (BR-FR-DEC-01 allows 19 in all). */
static int64_t
cents(const char *s)
{
	int64_t v = 0;
	int before = 0, after = -1;
	for (; *s; s++) {
		if (*s == '.' && after < 0) {
			after = 0;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (after >= 0 ? ++after > 2 : ++before > 15)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (before == 0 || after == 0)
		return -1;
	for (after = after < 0 ? 0 : after; after < 2; after++)
		v *= 10;
	return v;
}

static void
status_problem(struct problems *out, const char *key, const char *value, const char *what,
               const char *fix)
{
	problems_add(out, SEV_ERROR, "STATUS", 0, key, 0, value, what, fix);
}

/* The status file's own rules; the VAT rate of a 212's amount into *vat_rate. */
static void
check_file(const struct status_file *sf, const struct lc_invoice *inv, enum status_side side,
           const struct cdv_status *st, const char **vat_rate, struct problems *out)
{
	unsigned who = side == STATUS_BUYER ? CDV_BY_BUYER : CDV_BY_SELLER;
	int needs_amount = st && strcmp(st->code, "206") == 0;
	int takes_amount =
	    st && (needs_amount || strcmp(st->code, "211") == 0 || strcmp(st->code, "212") == 0);
	int64_t a = -1, total;

	if (st == NULL || !(st->by & who)) {
		char what[200];
		snprintf(what, sizeof(what), "status %s%s%s is not one %s", sf->status,
		         st && st->label ? " " : "", st && st->label ? st->label : "",
		         side == STATUS_BUYER ? "the buyer of an invoice received sends"
		                              : "the seller of an invoice issued sends");
		status_problem(out, "status", sf->status, what,
		               side == STATUS_BUYER
		                   ? "write 204, 205, 206, 207, 208, 210 "
		                     "or 211 next to an invoice in incoming/"
		                   : "write 212 (or 209) next to an invoice in accepted/");
	}
	if (sf->invoice_number && inv->number && strcmp(sf->invoice_number, inv->number) != 0)
		status_problem(out, "invoice_number", sf->invoice_number,
		               "is not the number of the invoice whose receipt it is next to",
		               inv->number);
	if (sf->amount) {
		a = cents(sf->amount);
		if (a <= 0)
			status_problem(out, "amount", sf->amount,
			               "is not an amount greater than 0 with at most 2 decimals",
			               "write it as 1234.50");
		else if (!takes_amount)
			status_problem(
			    out, "amount", sf->amount,
			    "goes only with 206 (approved), 211 (paid) or 212 (received)",
			    "leave it out");
		else if (inv->total && (total = cents(inv->total)) > 0 && a > total)
			status_problem(out, "amount", sf->amount,
			               "is more than the invoice's total with VAT", inv->total);
	} else if (needs_amount)
		status_problem(out, "amount", NULL,
		               "206 Approuvée partiellement needs the amount approved, with VAT",
		               "add \"amount = 1234.50\"");
	*vat_rate = sf->vat_rate;
	if (sf->vat_rate && !(st && strcmp(st->code, "212") == 0))
		status_problem(out, "vat_rate", sf->vat_rate, "goes only with 212 Encaissée",
		               "leave it out");
	else if (sf->vat_rate && (cents(sf->vat_rate) < 0 || strlen(sf->vat_rate) > 5)) {
		status_problem(out, "vat_rate", sf->vat_rate, "is not a VAT rate such as 20 or 5.5",
		               NULL);
		*vat_rate = NULL;
	} else if (sf->vat_rate == NULL && st && strcmp(st->code, "212") == 0 && sf->amount) {
		/* the invoice's one rate; with several, the ERP says which */
		const char *r = inv->vat_rates ? inv->vat_rates + strspn(inv->vat_rates, " ") : "";
		size_t n = strcspn(r, " ");
		if (n > 0 && r[n + strspn(r + n, " ")] == '\0')
			*vat_rate = r;
		else
			status_problem(out, "vat_rate", NULL,
			               *r ? "the invoice has several VAT rates: say which one the "
			                    "amount received is at"
			                  : "the VAT rate of the amount received is unknown",
			               inv->vat_rates && *r ? inv->vat_rates
			                                    : "add \"vat_rate = 20\"");
	}
}

/* A company by its SIREN (scheme 0002); with `uri`, its electronic address (scheme
 * 0225: `address`, else the SIREN). */
static struct cdar_party *
company(struct cdar_party *p, const char *siren, const char *name, const char *role, int uri,
        const char *address)
{
	if (siren)
		cdar_add_id(p, siren, "0002");
	p->name = name ? xstrdup(name) : NULL;
	p->role = xstrdup(role);
	if (uri && (address || siren)) {
		p->uri.id = xstrdup(address ? address : siren);
		p->uri.scheme = xstrdup("0225");
	}
	return p;
}

struct cdar *
status_cdar(const struct status_file *sf, const struct lc_invoice *inv, enum status_side side,
            const char *id, time_t now, struct problems *out)
{
	const struct cdv_status *st = cdv_status_find(sf->status);
	struct cdar *c = cdar_new();
	struct cdar_ack *a;
	struct cdar_ref *r;
	const char *vat_rate = NULL, *label = st && st->label ? st->label : "";
	int buyer = side == STATUS_BUYER;
	const char *me_siren = buyer ? inv->buyer_siren : inv->seller_siren;
	const char *me_name = buyer ? inv->buyer_name : inv->seller_name;
	const char *me_role = buyer ? "BY" : "SE";
	char stamp[16];
	struct tm tm;

	check_file(sf, inv, side, st, &vat_rate, out);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);

	c->business_process = xstrdup("REGULATED");
	c->guideline = xstrdup(CDV_GUIDELINE);
	c->id = xstrdup(id);
	c->name = xasprintf("%s%s%s", sf->status, *label ? " " : "", label);
	c->issue_time = xstrdup(stamp);
	/* The status's author sends it (through its platform) and issues it. The sender
	   has no GlobalID: BR-FR-CDV-CL-09_MDT-113_210B2G refuses every 210 whose sender
	   has one, unless it is a platform's number (scheme 0238), which is not ours. */
	c->sender = company(cdar_party_new(), NULL, me_name, me_role, 0, NULL);
	c->issuer = company(cdar_party_new(), me_siren, me_name, me_role, 0, NULL);
	company(cdar_add_party(&c->recipients, &c->nrecipients),
	        buyer ? inv->seller_siren : inv->buyer_siren,
	        buyer ? inv->seller_name : inv->buyer_name, buyer ? "SE" : "BY", 1,
	        buyer ? inv->seller_address : inv->buyer_address);

	a = cdar_add_ack(c);
	a->multiple_refs = 0;
	a->type_code = xstrdup("23"); /* the processing phase: a buyer's or seller's status */
	a->issue_time = xstrdup(stamp);
	r = cdar_add_ref(a);
	r->number = inv->number ? xstrdup(inv->number) : NULL;
	r->type_code = xstrdup(inv->type_code ? inv->type_code : "380");
	if (inv->issue_date && strlen(inv->issue_date) == 10)
		r->issue_date = xasprintf("%.4s%.2s%.2s", inv->issue_date, inv->issue_date + 5,
		                          inv->issue_date + 8);
	r->status = xstrdup(sf->status);
	if (*label)
		r->status_label = xstrdup(label);
	r->issuer = company(cdar_party_new(), inv->seller_siren, inv->seller_name, "SE", 0, NULL);
	if (sf->reason_code || sf->reason || sf->amount) {
		struct cdar_detail *d = cdar_add_detail(r);
		d->reason_code = sf->reason_code ? xstrdup(sf->reason_code) : NULL;
		d->reason = sf->reason ? xstrdup(sf->reason) : NULL;
		d->seq = xstrdup("1");
		if (sf->amount && st) {
			/* MAPTTC approved with VAT, MPA paid, MEN received (with its VAT rate) */
			const char *type = strcmp(st->code, "206") == 0   ? "MAPTTC"
			                   : strcmp(st->code, "211") == 0 ? "MPA"
			                   : strcmp(st->code, "212") == 0 ? "MEN"
			                                                  : NULL;
			if (type) {
				struct cdar_char *ch = cdar_add_char(d);
				ch->type = xstrdup(type);
				ch->amount = xstrdup(sf->amount);
				if (strcmp(type, "MEN") == 0 && vat_rate)
					ch->percent = xstrndup(vat_rate, strcspn(vat_rate, " "));
			}
		}
	}
	cdar_check(c, out);
	return c;
}
