/*
 * check-brfr.c - the French rules BR-FR (FATAL version, v1.4.0, FNFE-MPE's
 * schematrons for UBL and CII) on the invoice model, for the routes rules.c applies
 * them to (a Plateforme Agréée). Each check follows the schematron of the
 * document's syntax, test for test, and reports under the schematron's rule id (the
 * assert's pattern: BR-FR-05 for BR-FR-05_BT-22_PMT); the rules not checked here are
 * rows of rules.c that say so.
 *
 * Errors: none; what is wrong is appended to a struct problems (check.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-brfr.h"
#include "conf.h"
#include "util.h"

struct bk {
	const struct invoice *inv;
	int ubl;
	struct problems *out;
	size_t errors;
};

static void
report(struct bk *k, const char *rule, const struct inv_value *v, const char *what, const char *fix)
{
	problems_add(k->out, SEV_ERROR, rule, 0, v ? v->path : NULL, v ? v->line : 0,
	             v ? v->text : NULL, what, fix);
	k->errors++;
}

static int
present(const struct inv_value *v)
{
	return v->text != NULL;
}

static int
filled(const struct inv_value *v)
{
	return v->text != NULL && *v->text != '\0';
}

/* ---- identifiers and codes (BR-FR-01, 02, 04, 08) ------------------------------- */

/* custom:is-valid-id-format: letters, digits, + - _ / only, at least one. */
static int
id_format_ok(const char *s)
{
	return *s &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_/") ==
	           strlen(s);
}

static void
check_id(struct bk *k, const struct inv_value *v, const char *what, const char *fix)
{
	char *msg;
	if (!present(v))
		return;
	if (utf8_chars(v->text) > 35) {
		msg = xasprintf("%s is longer than 35 characters", what);
		report(k, "BR-FR-01", v, msg, fix);
		free(msg);
	}
	if (!id_format_ok(v->text)) {
		msg =
		    xasprintf("%s may only hold letters, digits and + - _ /, without spaces", what);
		report(k, "BR-FR-02", v, msg, fix);
		/* the UBL schematron also checks the format under BR-FR-01 */
		if (k->ubl)
			report(k, "BR-FR-01", v, msg, fix);
		free(msg);
	}
}

static const char doc_types[] = " 380 389 393 501 386 500 384 471 472 473 261 262 381 396 502 503 ";
static const char billing_modes[] = " B1 S1 M1 B2 S2 M2 S3 B4 S4 M4 S5 S6 B7 S7 B8 S8 M8 B9 S9 M9 ";

static void
check_codes(struct bk *k)
{
	const struct invoice *inv = k->inv;
	check_id(k, &inv->number, "the invoice number (BT-1)", "change <number> in the ERP");
	check_id(k, &inv->preceding_number, "the preceding invoice number (BT-25)",
	         "change <preceding-invoice><number>");
	if (present(&inv->type_code) && !str_word_in(doc_types, inv->type_code.text))
		report(
		    k, "BR-FR-04", &inv->type_code,
		    "the document type (BT-3) is not one the reform accepts (380, 389, 393, 501, "
		    "386, 500, 384, 471, 472, 473, 261, 262, 381, 396, 502, 503)",
		    "change <type>");
	if (!present(&inv->cadre) || !str_word_in(billing_modes, inv->cadre.text))
		report(
		    k, "BR-FR-08", &inv->cadre,
		    present(&inv->cadre)
		        ? "the billing mode (BT-23) is not one of B1, S1, M1, B2, S2, M2, S3, B4, "
		          "S4, M4, S5, S6, B7, S7, B8, S8, M8, B9, S9, M9"
		        : "the billing mode (BT-23) is missing",
		    "give <billing-mode>, or <operation> for the stylesheet to derive it");
}

/* ---- dates (BR-FR-03, BR-FR-CO-07) ----------------------------------------------- */

/* custom:is-valid-date-format: a real date of the years 2000 to 2099, YYYY-MM-DD in
 * UBL, YYYYMMDD (the first 8 characters) in CII. */
static int
date_ok(const char *s, int ubl)
{
	char d[9];
	if (ubl) {
		if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
			return 0;
		memcpy(d, s, 4);
		memcpy(d + 4, s + 5, 2);
		memcpy(d + 6, s + 8, 2);
	} else {
		if (strlen(s) < 8)
			return 0;
		memcpy(d, s, 8);
	}
	d[8] = '\0';
	return d[0] == '2' && d[1] == '0' && check_ymd(d) != -1;
}

static void
check_date(struct bk *k, const struct inv_value *v, const char *what, const char *fix)
{
	char *msg;
	if (!present(v) || date_ok(v->text, k->ubl))
		return;
	msg = xasprintf("%s is not a date of the years 2000 to 2099", what);
	report(k, "BR-FR-03", v, msg, fix);
	free(msg);
}

/* A UBL credit note's due date read from its payment means is not cbc:DueDate, the
 * element the UBL schematron reads. */
static const struct inv_value *
due_date(const struct bk *k)
{
	const struct inv_value *v = &k->inv->due_date;
	if (k->ubl && v->path && strstr(v->path, "PaymentDueDate"))
		return NULL;
	return v;
}

static void
check_dates(struct bk *k)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *due = due_date(k);
	check_date(k, &inv->issue_date, "the issue date (BT-2)", "change <issue-date>");
	if (due)
		check_date(k, due, "the due date (BT-9)", "change <due-date>");
	check_date(k, &inv->preceding_date, "the preceding invoice's date (BT-26)",
	           "change <preceding-invoice><issue-date>");
	check_date(k, &inv->delivery_date, "the delivery date (BT-72)", "change <delivery><date>");
	check_date(k, &inv->period_start, "the invoicing period's start (BT-73)",
	           "change <period><start>");
	check_date(k, &inv->period_end, "the invoicing period's end (BT-74)",
	           "change <period><end>");

	/* BR-FR-CO-07: compared as written, as the schematron does */
	if (due && filled(due) && present(&inv->issue_date) &&
	    !(present(&inv->type_code) && str_word_in(" 386 500 503 ", inv->type_code.text)) &&
	    !(present(&inv->cadre) && str_word_in(" B2 S2 M2 ", inv->cadre.text)) &&
	    strcmp(due->text, inv->issue_date.text) < 0)
		report(
		    k, "BR-FR-CO-07", due,
		    "the due date (BT-9) is before the issue date (BT-2); only a prepayment "
		    "invoice or an invoice already paid (billing mode B2, S2, M2) may have it so",
		    "change <due-date>");
}

/* ---- notes (BR-FR-05, 06, 20) ------------------------------------------------- */

/* UBL: the notes joined, as the schematron's string-join(cbc:Note, ''). Caller frees. */
static char *
joined_notes(const struct invoice *inv)
{
	struct buf b;
	size_t i;
	buf_init(&b);
	for (i = 0; i < inv->nnotes; i++)
		if (inv->notes[i].content.text)
			buf_adds(&b, inv->notes[i].content.text);
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

/* How many notes carry `code`: CII, notes of that subject code; UBL, occurrences of
 * "#CODE#" in the joined notes. */
static size_t
notes_with(const struct bk *k, const char *all, const char *code)
{
	size_t i, n = 0;
	if (k->ubl) {
		char *mark = xasprintf("#%s#", code);
		const char *p;
		for (p = all; (p = strstr(p, mark)) != NULL; p += strlen(mark))
			n++;
		free(mark);
		return n;
	}
	for (i = 0; i < k->inv->nnotes; i++)
		if (k->inv->notes[i].subject.text &&
		    strcmp(k->inv->notes[i].subject.text, code) == 0)
			n++;
	return n;
}

/* UBL: the processing rule in the joined notes, a copy (NULL without "#BAR#"). */
static char *
ubl_bar(const char *all)
{
	const char *p = strstr(all, "#BAR#");
	if (p == NULL)
		return NULL;
	p += 5;
	return xstrndup(p, strcspn(p, "#"));
}

/* The processing rule of note BAR (BT-22 of subject BAR), as each schematron reads
 * it: CII, 1 when a BAR note's text is `want`; UBL, the text after the first "#BAR#"
 * of the joined notes, up to the next '#' (`want` NULL: 1 when it is not empty). */
static int
bar_is(const struct bk *k, const char *all, const char *want)
{
	size_t i;
	if (k->ubl) {
		char *t = ubl_bar(all);
		int r = t && (want ? strcmp(t, want) == 0 : *t != '\0');
		free(t);
		return r;
	}
	for (i = 0; i < k->inv->nnotes; i++)
		if (k->inv->notes[i].subject.text &&
		    strcmp(k->inv->notes[i].subject.text, "BAR") == 0 &&
		    k->inv->notes[i].content.text &&
		    strcmp(k->inv->notes[i].content.text, want) == 0)
			return 1;
	return 0;
}

static const struct {
	const char *code, *what;
	int mandatory;
} legal_notes[] = {
    {"PMT", "the fixed compensation for recovery costs (PMT)", 1},
    {"PMD", "the late payment penalties (PMD)", 1},
    {"AAB", "the early payment discount, or that there is none (AAB)", 1},
    {"TXD", "the tax mention (TXD)", 0},
};

/* BR-FR-20: the processing rule of note BAR is one of the list (UBL's list has no
 * B2CINT, which the function CII's rule uses has). */
static void
check_bar(struct bk *k, const char *all, const struct inv_value *where)
{
	static const char what[] = "the processing rule of note BAR (BT-22) is not one of B2B, "
	                           "B2BINT, B2C, B2CINT, OUTOFSCOPE, ARCHIVEONLY";
	static const char fix[] = "change <note subject=\"BAR\">";
	size_t i;
	if (k->ubl) {
		char *t = ubl_bar(all);
		if (t && *t && !str_word_in(" B2B B2BINT B2C OUTOFSCOPE ARCHIVEONLY ", t))
			report(k, "BR-FR-20", where, what, fix);
		free(t);
		return;
	}
	for (i = 0; i < k->inv->nnotes; i++) {
		const struct inv_note *n = &k->inv->notes[i];
		if (n->subject.text && strcmp(n->subject.text, "BAR") == 0 &&
		    !(n->content.text &&
		      str_word_in(" B2B B2BINT B2C B2CINT OUTOFSCOPE ARCHIVEONLY ",
		                  n->content.text)))
			report(k, "BR-FR-20", &n->content, what, fix);
	}
}

static void
check_notes(struct bk *k, const char *all)
{
	struct inv_value where;
	char path[64];
	size_t i, n;
	char *msg, *fix;
	memset(&where, 0, sizeof(where));
	snprintf(path, sizeof(path), "%s",
	         k->ubl ? "cbc:Note" : "rsm:ExchangedDocument/ram:IncludedNote");
	where.path = path;
	for (i = 0; i < nitems(legal_notes); i++) {
		n = notes_with(k, all, legal_notes[i].code);
		fix = xasprintf("%s <note subject=\"%s\"> in the export", n ? "keep one" : "add a",
		                legal_notes[i].code);
		if (n == 0 && legal_notes[i].mandatory) {
			msg = xasprintf("the mention of %s is missing from the notes (BT-22)",
			                legal_notes[i].what);
			report(k, "BR-FR-05", &where, msg, fix);
			free(msg);
		} else if (n > 1) {
			msg = xasprintf("the mention of %s is given %zu times in the notes (BT-21)",
			                legal_notes[i].what, n);
			report(k, "BR-FR-06", &where, msg, fix);
			free(msg);
		}
		free(fix);
	}
	check_bar(k, all, &where);
}

/* ---- parties (BR-FR-09, 10, 11, 12, 13, 21, 22, 32) ------------------------------ */

static void
check_siret(struct bk *k, const struct inv_party *p, const char *who, const char *fix)
{
	const struct inv_value *s = &p->siret;
	char *msg;
	/* only a SIRET under scheme 0009 where the schematron reads it (UBL
	 * PartyIdentification, CII GlobalID) is judged, against the SIREN of scheme 0002 */
	if (!s->attr || strcmp(s->attr, "0009") != 0 || !present(s) ||
	    !strstr(s->path, k->ubl ? "cac:PartyIdentification" : "ram:GlobalID"))
		return;
	if (str_digits(s->text, 14) && p->siren.text && strlen(p->siren.text) == 9 &&
	    strncmp(s->text, p->siren.text, 9) == 0)
		return;
	msg = xasprintf("the %s SIRET must have 14 digits and start with its SIREN (\"%s\")", who,
	                p->siren.text ? p->siren.text : "");
	report(k, "BR-FR-09", s, msg, fix);
	free(msg);
}

/* starts-with($endpoint, $siren) and scheme 0225, an absent value being "". */
static int
address_of(const struct inv_party *p, const struct inv_value *siren)
{
	const char *e = p->endpoint.text ? p->endpoint.text : "";
	const char *s = siren->text ? siren->text : "";
	return strncmp(e, s, strlen(s)) == 0 && p->endpoint.attr &&
	       strcmp(p->endpoint.attr, "0225") == 0;
}

/* BR-FR-21 / 22: on a B2B invoice the electronic address of the party that receives
 * it (the buyer; the seller for a self-billed type) is its SIREN under scheme 0225.
 * CII compares with the legal identifier whatever its scheme, UBL with the SIREN of
 * scheme 0002; UBL's BR-FR-22 applies whatever the processing rule of note BAR. */
static void
check_addresses(struct bk *k, const char *all)
{
	const struct invoice *inv = k->inv;
	int self = present(&inv->type_code) &&
	           str_word_in(" 389 501 500 471 473 261 502 ", inv->type_code.text);
	int b2b = bar_is(k, all, "B2B");
	const struct inv_value *bs = k->ubl ? &inv->buyer.siren : &inv->buyer.legal_id;
	const struct inv_value *ss = k->ubl ? &inv->supplier.siren : &inv->supplier.legal_id;
	if (b2b && !self && !address_of(&inv->buyer, bs))
		report(
		    k, "BR-FR-21", &inv->buyer.endpoint,
		    "on a B2B invoice (note BAR B2B) the buyer's electronic address (BT-49) is its "
		    "SIREN under scheme 0225",
		    "give <buyer><electronic-address scheme=\"0225\"> starting with the buyer's "
		    "SIREN");
	if ((k->ubl ? bar_is(k, all, NULL) : b2b) && self && !address_of(&inv->supplier, ss))
		report(
		    k, "BR-FR-22", &inv->supplier.endpoint,
		    "on a self-billed B2B invoice the supplier's electronic address (BT-34) is its "
		    "SIREN under scheme 0225",
		    "give <supplier><electronic-address scheme=\"0225\"> starting with the "
		    "supplier's SIREN");
}

static void
check_parties(struct bk *k, const char *all)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *ss = &inv->supplier.siren, *bs = &inv->buyer.siren;
	check_siret(k, &inv->supplier, "supplier's", "change <supplier><siret>");
	check_siret(k, &inv->buyer, "buyer's", "change <buyer><siret>");
	/* BR-FR-10: normalize-space() of the seller's SIREN, 9 digits */
	if (!str_digits(ss->text, 9))
		report(k, "BR-FR-10", ss,
		       present(ss) ? "the supplier's SIREN (BT-30, scheme 0002) must have 9 digits"
		                   : "the supplier's SIREN (BT-30, scheme 0002) is missing",
		       "give <supplier><siret>: the stylesheet writes its first 9 digits");
	if (bar_is(k, all, "B2B") && !str_digits(bs->text, 9))
		report(k, "BR-FR-11", bs,
		       "a B2B invoice (note BAR B2B) needs the buyer's SIREN (BT-47, scheme 0002) "
		       "with 9 digits",
		       "give <buyer><siret>: the stylesheet writes its first 9 digits");
	/* BR-FR-32: any identifier under scheme 0002 has 9 digits (seller and buyer) */
	if (present(ss) && !str_digits(ss->text, 9))
		report(k, "BR-FR-32", ss,
		       "an identifier under scheme 0002 (a SIREN) must have 9 digits",
		       "give <supplier><siret>: the stylesheet writes its first 9 digits");
	if (present(bs) && !str_digits(bs->text, 9))
		report(k, "BR-FR-32", bs,
		       "an identifier under scheme 0002 (a SIREN) must have 9 digits",
		       "give <buyer><siret>: the stylesheet writes its first 9 digits");
	check_addresses(k, all);
	if (!filled(&inv->buyer.endpoint))
		report(k, "BR-FR-12", &inv->buyer.endpoint,
		       "the buyer's electronic address (BT-49) is missing",
		       "give <buyer><electronic-address scheme=\"0225\"> (its SIREN, from the "
		       "Directory)");
	if (!filled(&inv->supplier.endpoint))
		report(k, "BR-FR-13", &inv->supplier.endpoint,
		       "the supplier's electronic address (BT-34) is missing",
		       "give <supplier><electronic-address scheme=\"0225\">");
}

/* ---- VAT (BR-FR-15, BR-FR-16) --------------------------------------------------- */

static const char vat_categories[] = " S E AE K G O Z ";
static const char vat_rates[] = " 0 0.0 0.00 10 10.0 10.00 13 13.0 13.00 20 20.0 20.00 8.5 8.50 "
                                "19.6 19.60 2.1 2.10 5.5 5.50 7 7.0 7.00 20.6 20.60 1.05 0.9 "
                                "0.90 1.75 9.2 9.20 9.6 9.60 ";

/* `rate_too`: the schematron of this syntax also judges the rate here. */
static void
check_vat_pair(struct bk *k, const struct inv_value *cat, const struct inv_value *rate,
               int rate_too, const char *where, const char *fix)
{
	char *msg;
	if (present(cat) && !str_word_in(vat_categories, cat->text)) {
		msg = xasprintf("the VAT category of %s is not one used in France (S, E, AE, K, G, "
		                "O, Z; not L or M)",
		                where);
		report(k, "BR-FR-15", cat, msg, fix);
		free(msg);
	}
	if (rate_too && present(rate) && !str_word_in(vat_rates, rate->text)) {
		msg = xasprintf("the VAT rate of %s is not a French rate, written as a number "
		                "without %% (20, 10, 5.5, 2.1, 0...)",
		                where);
		report(k, "BR-FR-16", rate, msg, fix);
		free(msg);
	}
}

static void
check_vat(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i;
	for (i = 0; i < inv->nvats; i++)
		check_vat_pair(k, &inv->vats[i].category, &inv->vats[i].rate, 1,
		               "a VAT breakdown (BT-118, BT-119)",
		               "change the lines' <vat-category>, <vat-rate>");
	for (i = 0; i < inv->nacs; i++)
		check_vat_pair(k, &inv->acs[i].vat_category, &inv->acs[i].vat_rate, 1,
		               "a document allowance or charge (BT-95/102, BT-96/103)",
		               "change its <vat-category>, <vat-rate>");
	/* UBL: the schematron reads the line rates of cac:InvoiceLine only */
	for (i = 0; i < inv->nlines; i++)
		check_vat_pair(k, &inv->lines[i].vat_category, &inv->lines[i].vat_rate,
		               !(k->ubl && inv->ubl_credit_note), "a line (BT-151, BT-152)",
		               "change the line's <vat-category>, <vat-rate>");
}

size_t
check_brfr(const struct invoice *inv, struct problems *out)
{
	struct bk k;
	char *all;
	memset(&k, 0, sizeof(k));
	k.inv = inv;
	k.ubl = inv->syntax != SYNTAX_CII;
	k.out = out;
	all = k.ubl ? joined_notes(inv) : xstrdup("");
	check_codes(&k);
	check_dates(&k);
	check_notes(&k, all);
	check_parties(&k, all);
	check_vat(&k);
	free(all);
	return k.errors;
}
