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

#include <math.h>
#include <stdarg.h>
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

static void reportf(struct bk *k, const char *rule, const struct inv_value *v, const char *fix,
                    const char *fmt, ...) PRINTFLIKE(5, 6);

/* report() with the text made from `fmt`. */
static void
reportf(struct bk *k, const char *rule, const struct inv_value *v, const char *fix, const char *fmt,
        ...)
{
	va_list ap;
	char *what;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	report(k, rule, v, what, fix);
	free(what);
}

/* An element the schematron reads as one value (a function's argument, a value
 * comparison), given `n` times: Saxon stops there (XPath's XPTY0004) and judges nothing,
 * so the document is refused under chorusgw's own rule REPEATED rather than judged on
 * the first. `v` is one of them; `rule`, the BR-FR rule that reads it. */
static void
repeated(struct bk *k, const struct inv_value *v, size_t n, const char *what, const char *rule,
         const char *fix)
{
	reportf(k, "REPEATED", v, fix,
	        "%s is given %zu times: the reform's schematron reads one (%s) and stops on more",
	        what, n, rule);
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

/* UBL: a line's reference to this very invoice (cbc:ID = $invoiceID, as written). */
static int
to_self(const struct bk *k, const struct inv_ref *r)
{
	return inv_value_same(&r->number, &k->inv->number);
}

static int
type_in(const struct invoice *inv, const char *list)
{
	return present(&inv->type_code) && str_word_in(list, inv->type_code.text);
}

static int
mode_in(const struct invoice *inv, const char *list)
{
	return present(&inv->cadre) && str_word_in(list, inv->cadre.text);
}

/* normalize-space(): blanks trimmed, inner runs of blanks made one space. Caller
 * frees. */
static char *
norm_space(const char *s)
{
	char *r = xmalloc(strlen(s) + 1), *o = r;
	for (; *s; s++) {
		if (strchr(" \t\r\n", *s)) {
			if (o > r && o[-1] != ' ')
				*o++ = ' ';
		} else
			*o++ = *s;
	}
	if (o > r && o[-1] == ' ')
		o--;
	*o = '\0';
	return r;
}

/* XPath number() of a text, as xs:double reads it: a sign, digits with a '.', an
 * exponent, or INF, blanks around allowed; NaN otherwise (NULL too). */
static double
xnumber(const char *s)
{
	char *t, *end;
	const char *p;
	double d = NAN;
	if (s == NULL)
		return NAN;
	t = norm_space(s);
	p = t + (*t == '-' || *t == '+');
	if (strcmp(p, "INF") == 0)
		d = *t == '-' ? -INFINITY : INFINITY;
	/* strtod() also reads hex, "inf", "nan" and blanks, which XPath does not */
	else if (*p && strchr("0123456789.", *p) && p[strspn(p, "0123456789.eE+-")] == '\0') {
		d = strtod(t, &end);
		if (*end != '\0')
			d = NAN;
	}
	free(t);
	return d;
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
	if (!present(v))
		return;
	if (utf8_chars(v->text) > 35)
		reportf(k, "BR-FR-01", v, fix, "%s is longer than 35 characters", what);
	/* as written: blanks around it are characters the format does not allow */
	if (!id_format_ok(v->text) || v->padded) {
		static const char f[] =
		    "%s may only hold letters, digits and + - _ /, without spaces";
		reportf(k, "BR-FR-02", v, fix, f, what);
		/* the UBL schematron also checks the format under BR-FR-01 */
		if (k->ubl)
			reportf(k, "BR-FR-01", v, fix, f, what);
	}
}

static const char doc_types[] = " 380 389 393 501 386 500 384 471 472 473 261 262 381 396 502 503 ";
static const char billing_modes[] = " B1 S1 M1 B2 S2 M2 S3 B4 S4 M4 S5 S6 B7 S7 B8 S8 M8 B9 S9 M9 ";

static void
check_type(struct bk *k, const struct inv_value *v, const char *what, const char *fix)
{
	if (!present(v) || str_word_in(doc_types, v->text))
		return;
	reportf(k, "BR-FR-04", v, fix,
	        "%s is not one the reform accepts (380, 389, 393, 501, 386, 500, 384, "
	        "471, 472, 473, 261, 262, 381, 396, 502, 503)",
	        what);
}

static void
check_codes(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, j;
	check_id(k, &inv->number, "the invoice number (BT-1)", "change <number> in the ERP");
	for (i = 0; i < inv->npreceding; i++) {
		check_id(k, &inv->preceding[i].number, "a preceding invoice number (BT-25)",
		         "change <preceding-invoice><number>");
		check_type(k, &inv->preceding[i].type_code,
		           "a preceding invoice's type code (EXT-FR-FE-02)",
		           "the ERP format does not write it: correct the document's producer");
	}
	check_type(k, &inv->type_code, "the document type (BT-3)", "change <type>");
	/* the earlier invoices a line refers to (not in the ERP format); UBL reads their
	 * number in the line's cac:DocumentReference (BR-FR-02 only: BR-FR-01 reads a
	 * cac:BillingReference/cac:DocumentReference that UBL 2.1 does not have) */
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		static const char fix[] =
		    "the ERP format has no line reference to an earlier invoice: correct the "
		    "document's producer";
		for (j = 0; j < l->ndocrefs && k->ubl; j++)
			if (present(&l->docrefs[j].id) && !id_format_ok(l->docrefs[j].id.text))
				report(k, "BR-FR-02", &l->docrefs[j].id,
				       "a line's document reference (EXT-FR-FE-136) may only hold "
				       "letters, digits and + - _ /, without spaces",
				       fix);
		for (j = 0; j < l->nrefs; j++) {
			if (!k->ubl)
				check_id(k, &l->refs[j].number,
				         "a line's preceding invoice number (EXT-FR-FE-136)", fix);
			check_type(k, &l->refs[j].type_code,
			           "a line's preceding invoice type code (EXT-FR-FE-137)", fix);
		}
	}
	if (inv->cadres > 1)
		repeated(k, &inv->cadre, inv->cadres, "the billing mode (BT-23)", "BR-FR-08",
		         "give one billing mode");
	else if (!present(&inv->cadre) || !str_word_in(billing_modes, inv->cadre.text))
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
	if (!present(v) || date_ok(v->text, k->ubl))
		return;
	reportf(k, "BR-FR-03", v, fix, "%s is not a date of the years 2000 to 2099", what);
}

static void
check_dates(struct bk *k)
{
	const struct invoice *inv = k->inv;
	static const char no_erp[] =
	    "the ERP format does not write it: correct the document's producer";
	size_t i, j;
	check_date(k, &inv->issue_date, "the issue date (BT-2)", "change <issue-date>");
	/* every cbc:DueDate (UBL; a credit note's cbc:PaymentDueDate is not one), every
	 * CII due date */
	for (i = 0; i < inv->ndue_dates; i++)
		check_date(k, &inv->due_dates[i], "the due date (BT-9)", "change <due-date>");
	for (i = 0; i < inv->npreceding; i++)
		check_date(k, &inv->preceding[i].date, "a preceding invoice's date (BT-26)",
		           "change <preceding-invoice><issue-date>");
	check_date(k, &inv->delivery_date, "the delivery date (BT-72)", "change <delivery><date>");
	check_date(k, &inv->period_start, "the invoicing period's start (BT-73)",
	           "change <period><start>");
	check_date(k, &inv->period_end, "the invoicing period's end (BT-74)",
	           "change <period><end>");
	/* BT-7: UBL's one, CII's in each VAT breakdown */
	check_date(k, &inv->tax_point_date, "the VAT point date (BT-7)", "change <vat-point-date>");
	for (i = 0; i < inv->nvats; i++)
		check_date(k, &inv->vats[i].tax_point_date, "the VAT point date (BT-7)",
		           "change <vat-point-date>");
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		check_date(k, &l->period_start, "a line's period start (BT-134)",
		           "change the line's <period><start>");
		check_date(k, &l->period_end, "a line's period end (BT-135)",
		           "change the line's <period><end>");
		check_date(k, &l->delivery_date, "a line's delivery date (EXT-FR-FE-158)", no_erp);
		/* the date of an earlier invoice on a line: UBL reads the line's
		 * cac:DocumentReference, CII its ram:InvoiceReferencedDocument */
		for (j = 0; j < l->ndocrefs && k->ubl; j++)
			check_date(k, &l->docrefs[j].date,
			           "a line's document reference date (EXT-FR-FE-138)", no_erp);
		for (j = 0; j < l->nrefs && !k->ubl; j++)
			check_date(k, &l->refs[j].date,
			           "a line's preceding invoice date (EXT-FR-FE-138)", no_erp);
	}

	/* BR-FR-CO-07: compared as written, as the schematron does; CII reads one due date
	 * (string($dueDate), ge), UBL every one (<, a general comparison) */
	if (!k->ubl && inv->ndue_dates > 1) {
		repeated(
		    k, &inv->due_dates[1], inv->ndue_dates, "the due date (BT-9)", "BR-FR-CO-07",
		    "keep one ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime (<due-date>)");
		return;
	}
	if (!present(&inv->issue_date) || type_in(inv, " 386 500 503 ") ||
	    mode_in(inv, " B2 S2 M2 "))
		return;
	/* CII: $dueDate ge $issueDate, with a due date to compare, reads one issue date */
	if (!k->ubl && inv->issue_dates > 1 && inv->ndue_dates == 1 && filled(&inv->due_dates[0])) {
		repeated(k, &inv->issue_date, inv->issue_dates, "the issue date (BT-2)",
		         "BR-FR-CO-07", "give one ram:IssueDateTime/udt:DateTimeString");
		return;
	}
	for (i = 0; i < inv->ndue_dates; i++) {
		const struct inv_value *due = &inv->due_dates[i];
		/* UBL: an empty cbc:DueDate is there, and "" is before any date */
		if ((k->ubl ? present(due) : filled(due)) &&
		    strcmp(due->text, inv->issue_date.text) < 0) {
			report(
			    k, "BR-FR-CO-07", due,
			    "the due date (BT-9) is before the issue date (BT-2); only a "
			    "prepayment invoice or an invoice already paid (billing mode B2, S2, "
			    "M2) may have it so",
			    "change <due-date>");
			break;
		}
	}
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

/* CII: the note has subject `code` as written (" PMT" is no PMT), as
 * [ram:SubjectCode = 'CODE'] reads it: any of its subject codes. */
static int
note_is(const struct inv_note *n, const char *code)
{
	size_t i;
	if (inv_value_is(&n->subject, code))
		return 1;
	for (i = 0; i < n->nmore_subjects; i++)
		if (inv_value_is(&n->more_subjects[i], code))
			return 1;
	return 0;
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
		n += note_is(&k->inv->notes[i], code);
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
		if (note_is(&k->inv->notes[i], "BAR") && k->inv->notes[i].content.text &&
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
		if (!note_is(n, "BAR"))
			continue;
		if (n->contents > 1)
			repeated(k, &n->content, n->contents, "the text of note BAR (ram:Content)",
			         "BR-FR-20", "give one ram:Content in note BAR");
		else if (!(n->content.text &&
		           str_word_in(" B2B B2BINT B2C B2CINT OUTOFSCOPE ARCHIVEONLY ",
		                       n->content.text)))
			report(k, "BR-FR-20", &n->content, what, fix);
	}
}

/* BR-FR-31: how many notes BAR give a processing rule of the list. CII: notes of
 * subject BAR whose text is one; UBL: occurrences of "BAR#RULE#" in the notes that
 * hold "#BAR#", joined and followed by a '#'. */
static size_t
bar_count(const struct bk *k)
{
	static const char *const rules[] = {"B2B",    "B2BINT",     "B2C",
	                                    "B2CINT", "OUTOFSCOPE", "ARCHIVEONLY"};
	size_t i, j, n = 0;
	if (k->ubl) {
		struct buf b;
		buf_init(&b);
		for (i = 0; i < k->inv->nnotes; i++)
			if (k->inv->notes[i].content.text &&
			    strstr(k->inv->notes[i].content.text, "#BAR#"))
				buf_adds(&b, k->inv->notes[i].content.text);
		buf_addc(&b, '#');
		for (j = 0; j < nitems(rules); j++) {
			char *mark = xasprintf("BAR#%s#", rules[j]);
			const char *p;
			for (p = b.p; (p = strstr(p, mark)) != NULL; p += strlen(mark))
				n++;
			free(mark);
		}
		buf_free(&b);
		return n;
	}
	for (i = 0; i < k->inv->nnotes; i++) {
		const struct inv_note *note = &k->inv->notes[i];
		char *t;
		if (!note_is(note, "BAR") || !note->content.text)
			continue;
		t = norm_space(note->content.text);
		for (j = 0; j < nitems(rules); j++)
			n += strcmp(t, rules[j]) == 0;
		free(t);
	}
	return n;
}

static void
check_notes(struct bk *k, const char *all)
{
	struct inv_value where;
	char path[64];
	size_t i, n;
	char *fix;
	memset(&where, 0, sizeof(where));
	snprintf(path, sizeof(path), "%s",
	         k->ubl ? "cbc:Note" : "rsm:ExchangedDocument/ram:IncludedNote");
	where.path = path;
	for (i = 0; i < nitems(legal_notes); i++) {
		n = notes_with(k, all, legal_notes[i].code);
		fix = xasprintf("%s <note subject=\"%s\"> in the export", n ? "keep one" : "add a",
		                legal_notes[i].code);
		if (n == 0 && legal_notes[i].mandatory) {
			reportf(k, "BR-FR-05", &where, fix,
			        "the mention of %s is missing from the notes (BT-22)",
			        legal_notes[i].what);
		} else if (n > 1) {
			reportf(k, "BR-FR-06", &where, fix,
			        "the mention of %s is given %zu times in the notes (BT-21)",
			        legal_notes[i].what, n);
		}
		free(fix);
	}
	check_bar(k, all, &where);
	if (bar_count(k) > 1)
		report(k, "BR-FR-31", &where,
		       "more than one note BAR gives a processing rule (BT-22)",
		       "keep one <note subject=\"BAR\">");
}

/* ---- parties (BR-FR-09 to 13, 21 to 26, 32, CO-10, CO-14, CO-15) ------------------ */

/* The first identifier of `p` under `scheme`, or NULL. */
static const struct inv_value *
id_of(const struct inv_party *p, const char *scheme)
{
	for (size_t i = 0; i < p->nids; i++)
		if (p->ids[i].attr && strcmp(p->ids[i].attr, scheme) == 0)
			return &p->ids[i];
	return NULL;
}

/* BR-FR-09: the party's first SIRET (scheme 0009) has 14 digits and starts with its
 * SIREN (scheme 0002), both as written; for the seller and the buyer that SIREN must be
 * there, for the other parties a SIRET without it is judged on its digits only. */
static void
check_siret(struct bk *k, const struct inv_party *p, const char *who, const char *fix)
{
	const struct inv_value *s = id_of(p, "0009");
	const char *siren = p->siren.text ? p->siren.text : "";

	if (s == NULL)
		return;
	if (!s->padded && p->role && *siren == '\0' && str_digits(s->text, 14))
		return;
	if (!s->padded && str_digits(s->text, 14) && !p->siren.padded && strlen(siren) == 9 &&
	    strncmp(s->text, siren, 9) == 0)
		return;
	reportf(k, "BR-FR-09", s, fix,
	        "the SIRET of the %s must have 14 digits and start with its SIREN (\"%s\")", who,
	        siren);
}

/* starts-with(a, b), both as written (blanks told apart by where, not which: see
 * inv_value_same()), an absent value being "". */
static int
starts_as_written(const struct inv_value *a, const struct inv_value *b)
{
	const char *x = a->text ? a->text : "", *y = b->text ? b->text : "";
	size_t n = strlen(y);
	if (*y == '\0' && !b->padded)
		return 1;
	if ((a->padded & PAD_LEAD) != (b->padded & PAD_LEAD) || strncmp(x, y, n) != 0)
		return 0;
	/* b's trailing blanks: a blank follows in a, or a ends with blanks too */
	if (!(b->padded & PAD_TRAIL))
		return 1;
	return x[n] != '\0' ? strchr(" \t\r\n", x[n]) != NULL : (a->padded & PAD_TRAIL) != 0;
}

/* starts-with($endpoint, $siren) and scheme 0225. */
static int
address_of(const struct inv_party *p, const struct inv_value *siren)
{
	return starts_as_written(&p->endpoint, siren) && p->endpoint.attr &&
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

/* custom:is-valid-schemeid-format: letters, digits, + - _ . only, at least one. */
static int
scheme_id_ok(const char *s)
{
	return *s &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_.") ==
	           strlen(s);
}

static const char no_erp_party[] =
    "the ERP format does not write this party: correct the document's producer";

/* BR-FR-32: every identifier under scheme 0002 or 0231 and every legal identifier under
 * scheme 0002 (a SIREN) has 9 digits, wherever it is (struct invoice's siren_ids). */
static void
check_sirens(struct bk *k)
{
	const struct invoice *inv = k->inv;
	static const char fix[] = "the stylesheet writes the SIREN from <supplier>, <buyer> or "
	                          "<payee> <siret>: change it there, or correct the document's "
	                          "producer";
	size_t i;
	for (i = 0; i < inv->nsiren_legal_ids; i++)
		if (!str_digits(inv->siren_legal_ids[i].text, 9))
			report(k, "BR-FR-32", &inv->siren_legal_ids[i],
			       "a legal identifier under scheme 0002 (a SIREN) must have 9 digits",
			       fix);
	for (i = 0; i < inv->nsiren_ids; i++)
		if (!str_digits(inv->siren_ids[i].text, 9))
			reportf(k, "BR-FR-32", &inv->siren_ids[i], fix,
			        "an identifier under scheme %s must have 9 digits",
			        inv->siren_ids[i].attr);
}

/* The rules on one party's identifiers and electronic address: BR-FR-09, 32, CO-10,
 * 23, 25, and for the seller and the buyer 24, 26. `who` names it ("supplier",
 * "payee (BT-60)"); `elem`, its element in the ERP format (NULL: none). */
static void
check_party(struct bk *k, const struct inv_party *p, const char *who, const char *elem)
{
	const struct inv_value *e = &p->endpoint;
	char *fix = elem ? xasprintf("change <%s><siret>", elem) : xstrdup(no_erp_party);
	char *efix =
	    elem ? xasprintf("change <%s><electronic-address>", elem) : xstrdup(no_erp_party);
	size_t i, j;

	/* UBL's rule on a line's delivery reads a cac:DeliveryLocation/cac:DeliveryLocation
	 * that UBL 2.1 does not have */
	if (!(k->ubl && p->delivery == 2))
		check_siret(k, p, who, fix);
	for (i = 0; i < p->nids; i++) {
		const struct inv_value *id = &p->ids[i];
		const char *t = id->text ? id->text : "";
		if (id->attr == NULL)
			reportf(k, "BR-FR-CO-10", id, fix,
			        "an identifier of the %s (BT-29, BT-46, BT-60...) has no "
			        "scheme",
			        who);
		for (j = 0; j < i && id->attr; j++)
			if (p->ids[j].attr && strcmp(p->ids[j].attr, id->attr) == 0)
				break;
		if (id->attr && j < i)
			reportf(k, "BR-FR-CO-10", id, fix,
			        "the %s has two identifiers under scheme %s", who, id->attr);
		if (!p->role && id->attr && strcmp(id->attr, "0224") == 0) {
			if (!scheme_id_ok(t) || id->padded)
				reportf(k, "BR-FR-24", id, fix,
				        "the %s's routing identifier (scheme 0224) may only "
				        "hold letters, digits and + - _ .",
				        who);
			if (utf8_chars(t) > 100)
				reportf(k, "BR-FR-26", id, fix,
				        "the %s's routing identifier (scheme 0224) is longer "
				        "than 100 characters",
				        who);
		}
	}
	if (!p->delivery && present(e) && e->attr && strcmp(e->attr, "0225") == 0 &&
	    (!scheme_id_ok(e->text) || e->padded))
		reportf(k, "BR-FR-23", e, efix,
		        "the electronic address of the %s (scheme 0225) may only hold "
		        "letters, digits and + - _ .",
		        who);
	if (!p->delivery && present(e) && utf8_chars(e->text) > 125)
		reportf(k, "BR-FR-25", e, efix,
		        "the electronic address of the %s is longer than 125 characters", who);
	free(fix);
	free(efix);
}

/* BR-FR-CO-14, CO-15: a seller member of a single VAT taxpayer (an identifier under
 * scheme 0231) says so in a note TXD and names its tax representative. */
static void
check_single_taxpayer(struct bk *k, const char *all)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *au = id_of(&inv->supplier, "0231");
	int txd = 0;
	if (au == NULL)
		return;
	if (k->ubl) {
		/* the text after the first "#TXD#" of the joined notes, up to a '#' */
		const char *p = strstr(all, "#TXD#");
		txd = p && strncmp(p + 5, "MEMBRE_ASSUJETTI_UNIQUE", 23) == 0 &&
		      (p[28] == '\0' || p[28] == '#');
	} else
		for (size_t i = 0; i < inv->nnotes; i++)
			txd |= note_is(&inv->notes[i], "TXD") && inv->notes[i].content.text &&
			       strcmp(inv->notes[i].content.text, "MEMBRE_ASSUJETTI_UNIQUE") == 0;
	if (!txd)
		report(k, "BR-FR-CO-14", au,
		       "a seller member of a single VAT taxpayer (identifier under scheme 0231) "
		       "needs a note TXD reading MEMBRE_ASSUJETTI_UNIQUE",
		       "add <note subject=\"TXD\">MEMBRE_ASSUJETTI_UNIQUE</note>");
	/* UBL takes its tax id whatever the scheme, CII its VAT number; as one value */
	if (inv->tax_rep && inv->tax_rep_co15_ids > 1)
		repeated(k, &inv->tax_rep_vat_id, inv->tax_rep_co15_ids,
		         "the tax representative's VAT number (BT-63)", "BR-FR-CO-15",
		         "give one <tax-representative><vat-id>");
	else if (!inv->tax_rep || !filled(k->ubl ? &inv->tax_rep_tax_id : &inv->tax_rep_vat_id))
		report(k, "BR-FR-CO-15", &inv->tax_rep_vat_id,
		       "a seller member of a single VAT taxpayer (identifier under scheme 0231) "
		       "needs the tax representative (BG-11) with the single taxpayer's VAT "
		       "number (BT-63)",
		       "give <tax-representative> with its <vat-id>");
}

/* The party's legal ids under `scheme` (NULL: any), as $siren reads them (UBL: those of
 * every cac:PartyLegalEntity): how many, and *second, the second of them. */
static size_t
legal_ids_under(const struct inv_party *p, const char *scheme, const struct inv_value **second)
{
	size_t i, n = 0;
	for (i = 0; i < p->nlegal_ids; i++)
		if (!scheme || (p->legal_ids[i].attr && strcmp(p->legal_ids[i].attr, scheme) == 0))
			if (++n == 2)
				*second = &p->legal_ids[i];
	return n;
}

/* A party with two SIRENs where a rule that applies reads one: BR-FR-09 (a party with a
 * SIRET), BR-FR-10 (CII's seller), BR-FR-11 (a B2B invoice's buyer), BR-FR-22 (the
 * seller of a self-billed one); CII's BR-FR-21 and 22 read the legal id of the party
 * that receives a B2B invoice whatever its scheme: two legal ids there. */
static void
check_repeated_sirens(struct bk *k, const struct inv_party *p, const char *who, const char *all)
{
	const struct invoice *inv = k->inv;
	int self = type_in(inv, " 389 501 500 471 473 261 502 "), b2b = bar_is(k, all, "B2B");
	int buyer = p == &inv->buyer, seller = p == &inv->supplier;
	const struct inv_value *second = NULL, *second_any = NULL;
	size_t n = legal_ids_under(p, "0002", &second), any = legal_ids_under(p, NULL, &second_any);
	const char *rule = NULL;
	char *what, *fix;
	if (n > 1 && id_of(p, "0009") && !(k->ubl && p->delivery == 2))
		rule = "BR-FR-09";
	else if (n > 1 && seller && !k->ubl)
		rule = "BR-FR-10";
	else if (n > 1 && buyer && b2b)
		rule = "BR-FR-11";
	else if (n > 1 && seller && self && (k->ubl ? bar_is(k, all, NULL) : b2b))
		rule = "BR-FR-22";
	if (rule)
		what = xasprintf("the %s's SIREN (a legal identifier under scheme 0002)", who);
	else if (!k->ubl && any > 1 && b2b && (buyer ? !self : seller && self)) {
		rule = buyer ? "BR-FR-21" : "BR-FR-22";
		what = xasprintf("the %s's legal identifier (BT-30, BT-47)", who);
		n = any;
		second = second_any;
	} else
		return;
	fix = xasprintf("keep one%s", p->role ? "" : ": the stylesheet writes one from <siret>");
	repeated(k, second, n, what, rule, fix);
	free(what);
	free(fix);
}

static void
check_parties(struct bk *k, const char *all)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *ss = &inv->supplier.siren, *bs = &inv->buyer.siren;
	size_t i, sirens = 0;
	check_party(k, &inv->supplier, "supplier", "supplier");
	check_party(k, &inv->buyer, "buyer", "buyer");
	check_repeated_sirens(k, &inv->supplier, "supplier", all);
	check_repeated_sirens(k, &inv->buyer, "buyer", all);
	for (i = 0; i < inv->nothers; i++) {
		check_party(k, &inv->others[i], inv->others[i].role,
		            strncmp(inv->others[i].role, "payee", 5) == 0 ? "payee" : NULL);
		check_repeated_sirens(k, &inv->others[i], inv->others[i].role, all);
	}
	check_sirens(k);
	check_single_taxpayer(k, all);
	/* BR-FR-10: normalize-space() of the seller's SIREN, 9 digits; UBL asks it of each
	 * cac:PartyLegalEntity of the seller (one cbc:CompanyID each), none asking nothing */
	for (i = 0; i < inv->supplier.nlegal_ids; i++)
		sirens += inv->supplier.legal_ids[i].attr &&
		          strcmp(inv->supplier.legal_ids[i].attr, "0002") == 0 &&
		          str_digits(inv->supplier.legal_ids[i].text, 9);
	if (k->ubl ? sirens < inv->supplier.legal_entities : !str_digits(ss->text, 9))
		report(k, "BR-FR-10", ss,
		       present(ss) ? "the supplier's SIREN (BT-30, scheme 0002) must have 9 digits"
		                   : "the supplier's SIREN (BT-30, scheme 0002) is missing",
		       "give <supplier><siret>: the stylesheet writes its first 9 digits");
	/* CII reads the SIREN as written, UBL normalised */
	if (bar_is(k, all, "B2B") && (!str_digits(bs->text, 9) || (!k->ubl && bs->padded)))
		report(k, "BR-FR-11", bs,
		       "a B2B invoice (note BAR B2B) needs the buyer's SIREN (BT-47, scheme 0002) "
		       "with 9 digits",
		       "give <buyer><siret>: the stylesheet writes its first 9 digits");
	check_addresses(k, all);
	/* BR-FR-12, 13 read one electronic address (string(), normalize-space()) */
	if (inv->buyer.endpoints > 1)
		repeated(k, &inv->buyer.endpoint, inv->buyer.endpoints,
		         "the buyer's electronic address (BT-49)", "BR-FR-12",
		         "give one <buyer><electronic-address>");
	if (inv->supplier.endpoints > 1)
		repeated(k, &inv->supplier.endpoint, inv->supplier.endpoints,
		         "the supplier's electronic address (BT-34)", "BR-FR-13",
		         "give one <supplier><electronic-address>");
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

/* `rate_too`: the schematron of this syntax also judges the rate here; `codes`, `rates`:
 * how many of each its CII tax element has (the schematron reads one of each). */
static void
check_vat_pair(struct bk *k, const struct inv_value *cat, const struct inv_value *rate,
               size_t codes, size_t rates, int rate_too, const char *where, const char *fix)
{
	if (codes > 1)
		repeated(k, cat, codes, "the VAT category of one tax (ram:CategoryCode)",
		         "BR-FR-15", "give one ram:CategoryCode in each tax");
	else if (present(cat) && !str_word_in(vat_categories, cat->text)) {
		reportf(k, "BR-FR-15", cat, fix,
		        "the VAT category of %s is not one used in France (S, E, AE, K, G, "
		        "O, Z; not L or M)",
		        where);
	}
	if (rates > 1)
		repeated(k, rate, rates, "the VAT rate of one tax (ram:RateApplicablePercent)",
		         "BR-FR-16", "give one ram:RateApplicablePercent in each tax");
	else if (rate_too && present(rate) && !str_word_in(vat_rates, rate->text)) {
		reportf(k, "BR-FR-16", rate, fix,
		        "the VAT rate of %s is not a French rate, written as a number "
		        "without %% (20, 10, 5.5, 2.1, 0...)",
		        where);
	}
}

static void
check_vat(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i;
	for (i = 0; i < inv->nvats; i++) {
		const struct inv_vat *v = &inv->vats[i];
		check_vat_pair(k, &v->category, &v->rate, v->vat_codes, v->vat_rates, 1,
		               "a VAT breakdown (BT-118, BT-119)",
		               "change the lines' <vat-category>, <vat-rate>");
	}
	for (i = 0; i < inv->nacs; i++) {
		const struct inv_ac *a = &inv->acs[i];
		check_vat_pair(k, &a->vat_category, &a->vat_rate, a->vat_codes, a->vat_rates, 1,
		               "a document allowance or charge (BT-95/102, BT-96/103)",
		               "change its <vat-category>, <vat-rate>");
	}
	/* UBL: the schematron reads the line rates of cac:InvoiceLine only */
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		check_vat_pair(k, &l->vat_category, &l->vat_rate, l->vat_codes, l->vat_rates,
		               !(k->ubl && inv->ubl_credit_note), "a line (BT-151, BT-152)",
		               "change the line's <vat-category>, <vat-rate>");
	}
}

/* ---- documents referred to (BR-FR-17, 18, 29) ------------------------------------ */

static const char attachment_codes[] =
    " RIB LISIBLE FEUILLE_DE_STYLE PJA BORDEREAU_SUIVI DOCUMENT_ANNEXE BON_LIVRAISON "
    "BON_COMMANDE BORDEREAU_SUIVI_VALIDATION ETAT_ACOMPTE FACTURE_PAIEMENT_DIRECT "
    "RECAPITULATIF_COTRAITANCE ";

/* BR-FR-29, 30: a reference of type AFL or AVV (UBL: the schemeID of its identifier,
 * CII: its ReferenceTypeCode) has an identifier that is not blank. */
static void
check_blank_ref(struct bk *k, const struct inv_docref *d, const char *rule, const char *fix)
{
	const char *rt = k->ubl ? d->id.attr : d->ref_type.text;
	char *id;
	if (!rt || !(strcmp(rt, "AFL") == 0 || strcmp(rt, "AVV") == 0) || !present(&d->id))
		return;
	id = norm_space(d->id.text);
	if (*id == '\0')
		report(k, rule, &d->id, "a reference of type AFL or AVV has an empty identifier",
		       fix);
	free(id);
}

/* BR-FR-27, 28: an item attribute has a name or a code, not blank, and either a value
 * or a measure with its unit. UBL's BR-FR-27 reads a cac:Item right under the root,
 * which UBL 2.1 does not have: CII's only. */
static void
check_item_attrs(struct bk *k)
{
	static const char fix[] =
	    "the ERP format has no item attribute: correct the document's producer";
	const struct invoice *inv = k->inv;
	for (size_t i = 0; i < inv->nlines; i++)
		for (size_t j = 0; j < inv->lines[i].nattrs; j++) {
			const struct inv_item_attr *a = &inv->lines[i].attrs[j];
			int measure = present(&a->measure) && a->measure.attr && *a->measure.attr;
			if (!k->ubl) {
				char *n = present(&a->name) ? norm_space(a->name.text) : NULL;
				char *c = present(&a->code) ? norm_space(a->code.text) : NULL;
				if ((!n && !c) || (n && !*n) || (c && !*c))
					report(
					    k, "BR-FR-27", n ? &a->name : &a->code,
					    "an item attribute (BG-32) needs a name (BT-160) or a "
					    "code, not blank",
					    fix);
				free(n);
				free(c);
			}
			if (!(present(&a->value) ? !present(&a->measure) : measure))
				report(k, "BR-FR-28", &a->value,
				       "an item attribute (BG-32) has either a value (BT-161) or a "
				       "measure with its unit, not both",
				       fix);
		}
}

static void
check_docrefs(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, lisible = 0, afl = 0, avv = 0;
	for (i = 0; i < inv->ndocrefs; i++) {
		const struct inv_docref *d = &inv->docrefs[i];
		const char *desc = d->description.text;
		const char *rt = k->ubl ? d->id.attr : d->ref_type.text;
		int judged = k->ubl || (d->type_code.text && strcmp(d->type_code.text, "916") == 0);
		/* BR-FR-17: UBL judges every description as written (blanks around it
		 * included), CII the supporting documents' (type 916) once blanks are
		 * normalised; each reads one */
		if (judged && d->descriptions > 1)
			repeated(k, &d->description, d->descriptions,
			         "a supporting document's description (BT-123)", "BR-FR-17",
			         "give one <attachment><description>");
		else if (judged && desc != NULL) {
			char *code = k->ubl ? xstrdup(desc) : norm_space(desc);
			if ((k->ubl || *code) && (!str_word_in(attachment_codes, code) ||
			                          (k->ubl && d->description.padded)))
				report(
				    k, "BR-FR-17", &d->description,
				    "the description of a supporting document (BT-123) is not "
				    "one of the reform's codes (RIB, LISIBLE, FEUILLE_DE_STYLE, "
				    "PJA, BORDEREAU_SUIVI, DOCUMENT_ANNEXE, BON_LIVRAISON, "
				    "BON_COMMANDE, BORDEREAU_SUIVI_VALIDATION, ETAT_ACOMPTE, "
				    "FACTURE_PAIEMENT_DIRECT, RECAPITULATIF_COTRAITANCE), written "
				    "without blanks around it",
				    "change <attachment><description>");
			free(code);
		}
		/* BR-FR-18 compares as written */
		lisible += desc && strcmp(desc, "LISIBLE") == 0 && !d->description.padded;
		afl += rt && strcmp(rt, "AFL") == 0;
		avv += rt && strcmp(rt, "AVV") == 0;
		check_blank_ref(k, d, "BR-FR-29", "give <invoiced-object scheme=\"...\"> a value");
	}
	/* BR-FR-30: a line's (UBL only: CII's rule reads a ram:AdditionalReferencedDocument
	 * right under the line item, where CII D22B has none) */
	for (i = 0; i < inv->nlines && k->ubl; i++)
		for (size_t j = 0; j < inv->lines[i].ndocrefs; j++)
			check_blank_ref(k, &inv->lines[i].docrefs[j], "BR-FR-30",
			                "the ERP format has no line reference of type AFL or AVV: "
			                "correct the document's producer");
	if (lisible > 1)
		report(k, "BR-FR-18", &inv->docrefs[0].description,
		       "more than one supporting document is described as LISIBLE (BT-123)",
		       "keep one <attachment> with <description>LISIBLE</description>");
	/* UBL counts within one reference, which has one identifier */
	if (!k->ubl && (afl > 1 || avv > 1))
		report(k, "BR-FR-29", &inv->docrefs[0].ref_type,
		       "more than one reference of type AFL, or of type AVV, in the header",
		       "give one <invoiced-object> of each scheme");
}

/* ---- the type, the billing mode and what they ask (BR-FR-CO-03 to 12) ------------- */

/* BR-FR-CO-05: an earlier invoice with its number and date. */
static int
dated_ref(const struct inv_ref *r)
{
	return present(&r->number) && present(&r->date);
}

/* BR-FR-CO-05's other way: every line (CII: without a status, or DETAIL; UBL: but those
 * that refer to this very invoice without DETAIL) refers to an earlier invoice with its
 * number and date. */
static int
lines_refer(const struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, j;
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		int counted = 1, refers = 0;
		if (k->ubl) {
			int self_ref = 0, detail = 0;
			for (j = 0; j < l->nrefs; j++) {
				const struct inv_ref *r = &l->refs[j];
				int is_self = to_self(k, r);
				self_ref |= is_self;
				detail |= is_self && inv_value_is(&r->status, "DETAIL");
				/* cbc:ID != $invoiceID: both there */
				refers |=
				    r->number.text && inv->number.text && !is_self && dated_ref(r);
			}
			counted = !self_ref || detail;
		} else {
			counted = !present(&l->status) || inv_value_is(&l->status, "DETAIL");
			for (j = 0; j < l->nrefs; j++)
				refers |= dated_ref(&l->refs[j]);
		}
		if (counted && !refers)
			return 0;
	}
	return 1;
}

static void
check_coherence(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, dated = 0, dues = inv->ndue_dates;
	int paid_on = 0;
	/* UBL judges the types 262 and the credit notes' (CO-03, CO-05) on a CreditNote
	 * only, the corrective types (CO-04) on an Invoice only */
	int cn_ok = !k->ubl || inv->ubl_credit_note, inv_ok = !k->ubl || !inv->ubl_credit_note;

	if (cn_ok && type_in(inv, " 262 ") &&
	    !(filled(&inv->contract) && filled(&inv->period_start) && filled(&inv->period_end)))
		report(k, "BR-FR-CO-03", &inv->type_code,
		       "a global discount credit note (type 262) needs the contract (BT-12) and "
		       "the invoicing period's start and end (BT-73, BT-74)",
		       "give <contract> and <period> with <start> and <end>");
	if (inv_ok && type_in(inv, " 384 471 472 473 ") && inv->npreceding != 1)
		report(k, "BR-FR-CO-04", &inv->type_code,
		       inv->npreceding ? "a corrective invoice (type 384, 471, 472, 473) refers to "
		                         "one preceding invoice (BT-25) only"
		                       : "a corrective invoice (type 384, 471, 472, 473) needs the "
		                         "preceding invoice it corrects (BT-25, BT-26)",
		       "give one <preceding-invoice>");
	for (i = 0; i < inv->npreceding; i++)
		dated += dated_ref(&inv->preceding[i]);
	if (cn_ok && type_in(inv, " 261 381 396 502 503 ") && dated == 0 && !lines_refer(k))
		report(k, "BR-FR-CO-05", &inv->type_code,
		       "a credit note (type 261, 381, 396, 502, 503) needs the invoice it "
		       "credits, with its number and date (BT-25, BT-26)",
		       "give <preceding-invoice> with <number> and <issue-date>");
	if (mode_in(inv, " B4 S4 M4 ") && type_in(inv, " 386 500 503 "))
		report(k, "BR-FR-CO-08", &inv->cadre,
		       "a final invoice after a prepayment (billing mode B4, S4, M4) cannot be a "
		       "prepayment invoice or credit note (type 386, 500, 503)",
		       "change <billing-mode> or <type>");
	if (mode_in(inv, " B2 S2 M2 ")) {
		/* compared as XPath's number() reads them: NaN equals nothing */
		if (!(xnumber(inv->prepaid.text) == xnumber(inv->tax_inclusive.text)))
			report(
			    k, "BR-FR-CO-09", &inv->prepaid,
			    "an invoice already paid (billing mode B2, S2, M2) has its amount paid "
			    "(BT-113) equal to its total with VAT (BT-112)",
			    "give <totals><prepaid> equal to <total-with-vat>");
		if (!(xnumber(inv->payable.text) == 0))
			report(
			    k, "BR-FR-CO-09", &inv->payable,
			    "an invoice already paid (billing mode B2, S2, M2) has nothing left to "
			    "pay (BT-115 is 0)",
			    "give <totals><payable>0</payable>");
		/* UBL: a payment means' due date counts too, an invoice's as a credit
		 * note's; string() of them all, which stops on more than one */
		for (i = 0; k->ubl && i < inv->npayments; i++) {
			paid_on |= filled(&inv->payments[i].due_date);
			dues += present(&inv->payments[i].due_date);
		}
		if (k->ubl && dues > 1)
			repeated(
			    k, inv->ndue_dates ? &inv->due_dates[0] : &inv->due_date, dues,
			    "the due date (BT-9: cbc:DueDate, cac:PaymentMeans/cbc:PaymentDueDate)",
			    "BR-FR-CO-09", "keep one <due-date>");
		else if (!filled(&inv->due_date) && !paid_on)
			report(k, "BR-FR-CO-09", &inv->due_date,
			       "an invoice already paid (billing mode B2, S2, M2) needs its due "
			       "date (BT-9), the date it was paid",
			       "give <due-date>");
	}
	if (present(&inv->currency) && strcmp(inv->currency.text, "EUR") != 0 &&
	    !(inv->tax_currency.text && strcmp(inv->tax_currency.text, "EUR") == 0 &&
	      filled(&inv->tax_total_acc)))
		report(k, "BR-FR-CO-12", &inv->tax_currency,
		       "an invoice in another currency than EUR needs EUR as its VAT accounting "
		       "currency (BT-6) and the VAT total in EUR (BT-111)",
		       "give <vat-total-accounting currency=\"EUR\">");
}

/* ---- sub-invoice lines (BR-FR-MV, BR-FR-BD) ------------------------------------- */

/* Billing modes B8, S8, M8 (an invoice of several sellers) and B9, S9, M9 (a
 * bidirectional one) split the invoice into sub-invoices: a line GROUP without parent
 * heads each, its lines (DETAIL...) name it as their parent. UBL says so in the line's
 * cac:BillingReference to this very invoice (its status, its cac:BillingReferenceLine),
 * CII in the line's LineStatusReasonCode and ParentLineID. */

static const char no_erp_lines[] =
    "the ERP format has no sub-invoice lines: correct the document's producer";

/* How many sub-invoices the line heads: CII, 1 for a line GROUP without parent; UBL,
 * its references to this invoice of status GROUP without parent line (the UBL rules
 * judge each). */
static size_t
heads(const struct bk *k, const struct inv_line *l)
{
	size_t n = 0;
	if (!k->ubl)
		return inv_value_is(&l->status, "GROUP") && !present(&l->parent);
	for (size_t i = 0; i < l->nrefs; i++)
		n += to_self(k, &l->refs[i]) && inv_value_is(&l->refs[i].status, "GROUP") &&
		     !present(&l->refs[i].parent);
	return n;
}

/* The line's parent line (EXT-FR-FE-162), NULL without one. */
static const struct inv_value *
parent_of(const struct bk *k, const struct inv_line *l)
{
	if (!k->ubl)
		return present(&l->parent) ? &l->parent : NULL;
	for (size_t i = 0; i < l->nrefs; i++)
		if (to_self(k, &l->refs[i]) && present(&l->refs[i].parent))
			return &l->refs[i].parent;
	return NULL;
}

/* UBL: the status of the line's first reference to this invoice, or an absent value. */
static const struct inv_value *
self_status(const struct bk *k, const struct inv_line *l)
{
	static const struct inv_value none;
	for (size_t i = 0; i < l->nrefs; i++)
		if (to_self(k, &l->refs[i]))
			return &l->refs[i].status;
	return &none;
}

/* The line's sub-type is `code` (UBL: one of its references to this invoice says
 * so). */
static int
status_is(const struct bk *k, const struct inv_line *l, const char *code)
{
	if (!k->ubl)
		return inv_value_is(&l->status, code);
	for (size_t i = 0; i < l->nrefs; i++)
		if (to_self(k, &l->refs[i]) && inv_value_is(&l->refs[i].status, code))
			return 1;
	return 0;
}

/* A child of the line whose id is `id`, as BR-FR-MV-05 counts them: its parent is that
 * id, its sub-type is there and is not INFORMATION (UBL: both in one reference to this
 * invoice). */
static int
child_of(const struct bk *k, const struct inv_line *l, const char *id)
{
	if (!k->ubl)
		return inv_value_is(&l->parent, id) && present(&l->status) &&
		       !inv_value_is(&l->status, "INFORMATION");
	for (size_t i = 0; i < l->nrefs; i++) {
		const struct inv_ref *r = &l->refs[i];
		if (to_self(k, r) && inv_value_is(&r->parent, id) && present(&r->status) &&
		    !inv_value_is(&r->status, "INFORMATION"))
			return 1;
	}
	return 0;
}

/* The first line whose id (BT-126) is `id`, or NULL. */
static const struct inv_line *
line_by_id(const struct invoice *inv, const struct inv_value *id)
{
	for (size_t i = 0; i < inv->nlines; i++)
		if (inv_value_same(&inv->lines[i].id, id))
			return &inv->lines[i];
	return NULL;
}

/* An invoiced object of the line of type `scheme` (AFL: the sub-invoice's number, AVV):
 * UBL, a cac:DocumentReference of type 130 whose identifier has that schemeID; CII, a
 * reference of that ReferenceTypeCode (and `any_type` 0: of type 130). */
static int
object_is(const struct bk *k, const struct inv_docref *d, const char *scheme, int any_type)
{
	if (k->ubl)
		return inv_value_is(&d->type_code, "130") && d->id.attr &&
		       strcmp(d->id.attr, scheme) == 0;
	return inv_value_is(&d->ref_type, scheme) &&
	       (any_type || inv_value_is(&d->type_code, "130"));
}

/* normalize-space() of the line's first invoiced object `scheme`; "" without one.
 * Caller frees. */
static char *
object_of(const struct bk *k, const struct inv_line *l, const char *scheme)
{
	for (size_t i = 0; l && i < l->ndocrefs; i++)
		if (object_is(k, &l->docrefs[i], scheme, 0) && present(&l->docrefs[i].id))
			return norm_space(l->docrefs[i].id.text);
	return xstrdup("");
}

/* normalize-space() of v's text ("" when absent) is not empty. */
static int
blank(const struct inv_value *v)
{
	char *t;
	int r;
	if (!present(v))
		return 1;
	t = norm_space(v->text);
	r = *t == '\0';
	free(t);
	return r;
}

/* The line's VAT total in `currency` (EXT-FR-FE-181, 182), or NULL. */
static const struct inv_value *
line_tax(const struct inv_line *l, const struct inv_value *currency)
{
	for (size_t i = 0; currency->text && i < l->ntax_totals; i++)
		if (l->tax_totals[i].attr && strcmp(l->tax_totals[i].attr, currency->text) == 0)
			return &l->tax_totals[i];
	return NULL;
}

/* The line's seller's first legal id, or an absent value. */
static const struct inv_value *
line_seller(const struct inv_line *l)
{
	static const struct inv_value none;
	return l && l->nseller_ids ? &l->seller_ids[0] : &none;
}

/* One of the line's seller's legal ids is one of the party's, both as written; `every`
 * 0: the line's first, normalised (UBL's BR-FR-MV-11), against the party's as written. */
static int
seller_is(const struct inv_line *l, const struct inv_party *p, int every)
{
	for (size_t i = 0; i < (every ? l->nseller_ids : l->nseller_ids > 0); i++) {
		char *n =
		    every || !l->seller_ids[i].text ? NULL : norm_space(l->seller_ids[i].text);
		size_t j;
		for (j = 0; j < p->nlegal_ids; j++)
			if (every ? inv_value_same(&l->seller_ids[i], &p->legal_ids[j])
			          : n && inv_value_is(&p->legal_ids[j], n))
				break;
		free(n);
		if (j < p->nlegal_ids)
			return 1;
	}
	return 0;
}

/* BR-FR-MV-02, BD-02, MV-13, BD-13: the sub-invoices a billing mode asks for. */
static void
check_subinvoice_count(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, n = 0, seller = 0, buyer = 0;
	for (i = 0; i < inv->nlines; i++) {
		size_t h = heads(k, &inv->lines[i]);
		n += h;
		/* UBL compares every id of the line's seller, CII its one */
		seller += seller_is(&inv->lines[i], &inv->supplier, 1) ? h : 0;
		buyer += seller_is(&inv->lines[i], &inv->buyer, 1) ? h : 0;
	}
	if (mode_in(inv, " B8 S8 M8 ") && n == 0)
		report(k, "BR-FR-MV-02", &inv->cadre,
		       "an invoice of several sellers (billing mode B8, S8, M8) needs a line GROUP "
		       "without parent (EXT-FR-FE-163) for each sub-invoice",
		       no_erp_lines);
	if (mode_in(inv, " B9 S9 M9 ") && (n != 2 || seller != 1 || buyer != 1))
		report(k, "BR-FR-BD-02", &inv->cadre,
		       "a bidirectional invoice (billing mode B9, S9, M9) has exactly two lines "
		       "GROUP without parent (EXT-FR-FE-163), one whose seller (EXT-FR-FE-167) is "
		       "the seller (BT-30), one whose seller is the buyer (BT-47)",
		       no_erp_lines);
	if (present(&inv->type_code)) {
		int self = str_word_in(" 389 261 501 500 502 471 473 ", inv->type_code.text);
		if (mode_in(inv, " B8 S8 M8 ") && (self || blank(&inv->type_code)))
			report(k, "BR-FR-MV-13", &inv->type_code,
			       "an invoice of several sellers (billing mode B8, S8, M8) cannot be "
			       "self-billed (type 389, 261, 501, 500, 502, 471, 473)",
			       "change <type> or <billing-mode>");
		if (mode_in(inv, " B9 S9 M9 ") && !self)
			report(k, "BR-FR-BD-13", &inv->type_code,
			       "a bidirectional invoice (billing mode B9, S9, M9) is self-billed "
			       "(type 389, 261, 501, 500, 502, 471, 473)",
			       "change <type> or <billing-mode>");
	}
}

/* BR-FR-MV-03, MV-14, BD-14: what a line GROUP without parent must give. */
static void
check_group_line(struct bk *k, const struct inv_line *l)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *tax = line_tax(l, &inv->currency);
	const struct inv_value *acc = line_tax(l, &inv->tax_currency);
	char *afl, *avv;
	size_t i;
	int number = 0, date = 0, avv_mode = 0;

	if (blank(&l->seller_name) || blank(line_seller(l)) || blank(&l->seller_country))
		report(k, "BR-FR-MV-03", &l->seller_name,
		       "a line GROUP without parent names its seller (EXT-FR-FE-164), the seller's "
		       "legal id (EXT-FR-FE-167) and country (EXT-FR-FE-177)",
		       no_erp_lines);
	if (!tax || blank(tax) ||
	    (present(&inv->tax_currency) &&
	     (*inv->tax_currency.text == '\0' || !acc || blank(acc))))
		report(k, "BR-FR-MV-03", &l->id,
		       "a line GROUP without parent gives its VAT total in the invoice's currency "
		       "(EXT-FR-FE-181), and in the VAT accounting currency (EXT-FR-FE-182) when "
		       "there is one",
		       no_erp_lines);
	if (k->ubl) {
		/* UBL: the first of each, which must be there */
		afl = object_of(k, l, "AFL");
		avv = object_of(k, l, "AVV");
		for (i = 0; i < l->ndocrefs; i++)
			avv_mode |= object_is(k, &l->docrefs[i], "AVV", 0) &&
			            l->docrefs[i].id.text &&
			            str_word_in(" M8 S8 B8 ", l->docrefs[i].id.text);
		if (*afl == '\0' || *avv == '\0' || avv_mode)
			report(
			    k, "BR-FR-MV-03", &l->id,
			    "a line GROUP without parent gives its sub-invoice's number (BT-128, "
			    "scheme AFL) and an invoiced object of scheme AVV other than M8, S8, "
			    "B8, both of type 130",
			    no_erp_lines);
		free(afl);
		free(avv);
	} else {
		/* CII: every reference of type AFL or AVV the line has */
		for (i = 0; i < l->ndocrefs; i++) {
			const struct inv_docref *d = &l->docrefs[i];
			if ((object_is(k, d, "AFL", 1) || object_is(k, d, "AVV", 1)) &&
			    (!inv_value_is(&d->type_code, "130") || blank(&d->id) ||
			     (inv_value_is(&d->ref_type, "AVV") &&
			      str_word_in(" M8 S8 B8 ", d->id.text))))
				report(
				    k, "BR-FR-MV-03", &d->id,
				    "a line GROUP without parent's invoiced object of scheme AFL "
				    "or AVV is of type 130, not blank (AVV: not M8, S8, B8)",
				    no_erp_lines);
		}
	}

	/* BR-FR-MV-14, BD-14: a corrective invoice or credit note names, on each head,
	 * the earlier invoice it corrects (UBL: another reference than to this one) */
	for (i = 0; i < l->nrefs; i++) {
		const struct inv_ref *r = &l->refs[i];
		int other = k->ubl ? inv->number.text && r->number.text && !to_self(k, r)
		                   : present(&r->number);
		number |= other;
		date |= (k->ubl ? other : 1) && present(&r->date);
	}
	if ((mode_in(inv, " B8 S8 M8 ") && type_in(inv, " 384 472 381 396 503 ") &&
	     !(number && date)))
		report(
		    k, "BR-FR-MV-14", &l->id,
		    "a corrective invoice or a credit note of several sellers gives, on each line "
		    "GROUP without parent, the earlier invoice's number and date (EXT-FR-FE-136, "
		    "138)",
		    no_erp_lines);
	if ((mode_in(inv, " B9 S9 M9 ") && type_in(inv, " 261 471 473 502 ") && !(number && date)))
		report(k, "BR-FR-BD-14", &l->id,
		       "a self-billed corrective invoice or credit note of a bidirectional invoice "
		       "gives, on each line GROUP without parent, the earlier invoice's number and "
		       "date (EXT-FR-FE-136, 138)",
		       no_erp_lines);
}

/* BR-FR-MV-05, 09, 10: a line GROUP without parent's totals, its lines' sum. */
static void
check_group_totals(struct bk *k, const struct inv_line *l)
{
	const struct invoice *inv = k->inv;
	const struct inv_value *tax = line_tax(l, &inv->currency);
	char *id = norm_space(l->id.text ? l->id.text : ""), *afl, *mark;
	double sum = 0, vat = 0;
	size_t i, n = 0, details = 0;

	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *c = &inv->lines[i];
		if (child_of(k, c, id) && present(&c->net_amount)) {
			sum += xnumber(c->net_amount.text);
			n++;
		}
		/* BR-FR-MV-10 counts the DETAIL lines (CII: whose parent is the id as
		 * written) */
		details += inv_value_same(&c->parent, &l->id) && inv_value_is(&c->status, "DETAIL");
	}
	if (!(fabs(xnumber(l->net_amount.text) - sum) <= 0.01 * (double)n))
		reportf(k, "BR-FR-MV-05", &l->net_amount, no_erp_lines,
		        "a line GROUP's net amount (BT-131) is the sum of its %zu lines' (%g)", n,
		        sum);

	afl = object_of(k, l, "AFL");
	mark = xasprintf("#%s#", afl);
	/* UBL: every cac:TaxTotal's breakdowns; the scheme and the reason as written */
	for (i = 0; i < inv->nvats + inv->nvats_other; i++) {
		const struct inv_vat *v = &inv->vats[i];
		if (inv_value_is(&v->scheme, "VAT") && v->exemption_reason.text &&
		    !(v->exemption_reason.padded & PAD_LEAD) &&
		    strncmp(v->exemption_reason.text, mark, strlen(mark)) == 0)
			vat += xnumber(v->tax.text);
	}
	if (!(fabs(xnumber(tax ? tax->text : NULL) - vat) <= 0.01))
		reportf(k, "BR-FR-MV-09", tax ? tax : &l->id, no_erp_lines,
		        "a line GROUP's VAT total (EXT-FR-FE-181) is the sum of the VAT breakdowns "
		        "(BT-117) whose exemption reason starts with \"%s\" (%g)",
		        mark, vat);
	/* UBL 2.1 has no line total with VAT (cbc:TaxInclusiveLineExtensionAmount) */
	if (!k->ubl && present(&l->tax_inclusive) &&
	    (blank(&l->tax_inclusive) ||
	     !(fabs(xnumber(l->tax_inclusive.text) - xnumber(l->net_amount.text) -
	            xnumber(tax ? tax->text : NULL)) <= 0.01 * (double)details)))
		report(k, "BR-FR-MV-10", &l->tax_inclusive,
		       "a line GROUP's total with VAT (EXT-FR-FE-184) is its net amount (BT-131) "
		       "plus its VAT total (EXT-FR-FE-181)",
		       no_erp_lines);
	free(mark);
	free(afl);
	free(id);
}

/* BR-FR-MV-12: the sub-invoice numbers (AFL) of the lines GROUP are unique. UBL
 * compares each with the line references of type 130 and scheme AFL before it, CII
 * with every IssuerAssignedID before it (the lines come first in the document). */
static int
afl_seen(const struct bk *k, size_t line, size_t ref)
{
	const struct invoice *inv = k->inv;
	const struct inv_docref *d = &inv->lines[line].docrefs[ref];
	for (size_t i = 0; i <= line; i++) {
		const struct inv_line *l = &inv->lines[i];
		size_t upto = k->ubl ? (i < line ? l->ndocrefs : ref)
		                     : (i < line ? l->nissuer_ids : d->issuer_pos);
		for (size_t j = 0; j < upto; j++) {
			const struct inv_value *v = k->ubl ? &l->docrefs[j].id : &l->issuer_ids[j];
			if ((!k->ubl || object_is(k, &l->docrefs[j], "AFL", 0)) &&
			    inv_value_same(v, &d->id))
				return 1;
		}
	}
	return 0;
}

static void
check_subinvoices(struct bk *k)
{
	const struct invoice *inv = k->inv;
	size_t i, j, own = 0;

	check_subinvoice_count(k);
	if (!mode_in(inv, " B8 S8 M8 B9 S9 M9 "))
		return;
	/* BR-FR-MV-11: how many of the seller's lines GROUP carry the invoice's own number,
	 * both as written (UBL counts lines, CII references) */
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		if (!heads(k, l) || !seller_is(l, &inv->supplier, !k->ubl))
			continue;
		for (j = 0; j < l->ndocrefs; j++)
			if (object_is(k, &l->docrefs[j], "AFL", 0) &&
			    inv_value_same(&l->docrefs[j].id, &inv->number)) {
				own++;
				if (k->ubl)
					break;
			}
	}
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		const struct inv_value *parent = parent_of(k, l);
		const struct inv_line *pl = parent ? line_by_id(inv, parent) : NULL;
		char *afl = object_of(k, l, "AFL"), *pafl = object_of(k, pl, "AFL");
		char *sid = norm_space(line_seller(l)->text ? line_seller(l)->text : "");
		char *psid = norm_space(line_seller(pl)->text ? line_seller(pl)->text : "");

		/* BR-FR-MV-01: UBL, the first reference to this invoice has a status; CII
		 * judges a sub-type that is there */
		if (k->ubl ? blank(self_status(k, l)) : present(&l->status) && blank(&l->status))
			report(
			    k, "BR-FR-MV-01", k->ubl ? &l->id : &l->status,
			    "with billing mode B8, S8, M8, B9, S9, M9 each line gives its sub-type "
			    "(EXT-FR-FE-163: GROUP, DETAIL...)",
			    no_erp_lines);
		if (*sid == '\0' || (parent && strcmp(sid, psid) != 0))
			report(
			    k, "BR-FR-MV-06", line_seller(l)->path ? line_seller(l) : &l->id,
			    "with billing mode B8, S8, M8, B9, S9, M9 each line names its seller "
			    "(EXT-FR-FE-167), the same as its parent line's",
			    no_erp_lines);
		if (*afl == '\0' || (parent && strcmp(afl, pafl) != 0))
			report(
			    k, "BR-FR-MV-07", &l->id,
			    "with billing mode B8, S8, M8, B9, S9, M9 each line gives its "
			    "sub-invoice's number (BT-128, scheme AFL, type 130), the same as its "
			    "parent line's",
			    no_erp_lines);
		if (status_is(k, l, "DETAIL")) {
			char *mark = xasprintf("#%s#", afl);
			if (blank(&l->exemption_reason) || *afl == '\0' ||
			    strncmp(l->exemption_reason.text, mark, strlen(mark)) != 0)
				report(k, "BR-FR-MV-08", &l->exemption_reason,
				       "a line DETAIL's VAT exemption reason starts with its "
				       "sub-invoice's number between # (#number#)",
				       no_erp_lines);
			free(mark);
		}
		if (heads(k, l)) {
			check_group_line(k, l);
			check_group_totals(k, l);
			for (j = 0; j < l->ndocrefs; j++)
				if (object_is(k, &l->docrefs[j], "AFL", 0) &&
				    present(&l->docrefs[j].id) && afl_seen(k, i, j))
					report(
					    k, "BR-FR-MV-12", &l->docrefs[j].id,
					    "two lines GROUP without parent have the same sub-invoice "
					    "number (BT-128, scheme AFL)",
					    no_erp_lines);
			/* the line's number normalised, the invoice's as written */
			if (seller_is(l, &inv->supplier, !k->ubl) &&
			    !(own == 1 || (own == 0 && inv_value_is(&inv->number, afl)) ||
			      (own > 1 && present(&inv->number) &&
			       !inv_value_is(&inv->number, afl))))
				report(
				    k, "BR-FR-MV-11", &l->id,
				    "the seller's (BT-30) lines GROUP without parent: exactly one "
				    "carries the invoice's number (BT-1) as its sub-invoice number "
				    "(BT-128, scheme AFL)",
				    no_erp_lines);
		}
		free(afl);
		free(pafl);
		free(sid);
		free(psid);
	}
}

/* ---- decimals (BR-FR-DEC-01 to 04) ------------------------------------------------ */

/* The custom:is-valid-decimal / percent functions: an optional '-' (`neg`), 1 to `most`
 * digits, then optionally '.' and 1 to `frac` digits; at most `most` characters but
 * the '.'. */
static int
dec_ok(const char *s, int neg, size_t most, size_t frac)
{
	size_t whole, part = 0, len = strlen(s);
	const char *p = s + (neg && *s == '-');
	whole = strspn(p, "0123456789");
	if (p[whole] == '.') {
		part = strspn(p + whole + 1, "0123456789");
		if (part == 0 || part > frac || p[whole + 1 + part] != '\0')
			return 0;
		len--;
	} else if (p[whole] != '\0')
		return 0;
	return whole >= 1 && whole <= most && len <= most;
}

struct dec_rule {
	const char *rule;
	int neg;
	size_t most, frac;
	const char *what; /* "an amount": for the message */
};

static const struct dec_rule dec_amount = {"BR-FR-DEC-01", 1, 19, 2, "an amount"};
static const struct dec_rule dec_quantity = {"BR-FR-DEC-02", 1, 19, 4, "a quantity"};
static const struct dec_rule dec_price = {"BR-FR-DEC-03", 0, 19, 6, "a price"};
static const struct dec_rule dec_price_bd = {"BR-FR-DEC-03", 1, 19, 6, "a price"};
static const struct dec_rule dec_rate = {"BR-FR-DEC-04", 0, 4, 2, "a VAT rate"};

/* `v`, when there (`empty_ok`: and not blank), is a number as `d` asks. */
static void
check_dec(struct bk *k, const struct dec_rule *d, const struct inv_value *v, int empty_ok,
          const char *term)
{
	char *t;
	if (!present(v))
		return;
	t = norm_space(v->text);
	if (!(empty_ok && *t == '\0') && !dec_ok(t, d->neg, d->most, d->frac))
		reportf(k, d->rule, v,
		        "the ERP format's types cannot give it: correct your own stylesheet or "
		        "the document's producer",
		        "%s (%s) must be written with a '.', at most %zu decimals and %zu "
		        "characters%s",
		        term, d->what, d->frac, d->most, d->neg ? "" : ", without a sign");
	free(t);
}

static void
check_decimals(struct bk *k)
{
	const struct invoice *inv = k->inv;
	/* a bidirectional invoice (billing mode B9, S9, M9) may have negative prices */
	const struct dec_rule *price = mode_in(inv, " B9 S9 M9 ") ? &dec_price_bd : &dec_price;
	const struct inv_value *totals[] = {
	    &inv->line_total, &inv->allowance_total, &inv->charge_total,  &inv->tax_exclusive,
	    &inv->tax_total,  &inv->tax_total_acc,   &inv->tax_inclusive, &inv->prepaid,
	    &inv->rounding,   &inv->payable,
	};
	size_t i, j;
	for (i = 0; i < nitems(totals); i++)
		check_dec(k, &dec_amount, totals[i], 0, "a document total (BT-106 to BT-115)");
	for (i = 0; i < inv->nacs; i++) {
		check_dec(k, &dec_amount, &inv->acs[i].amount, 0,
		          "a document allowance or charge (BT-92, BT-99)");
		check_dec(k, &dec_amount, &inv->acs[i].base_amount, 0,
		          "a document allowance or charge's base (BT-93, BT-100)");
		check_dec(k, &dec_rate, &inv->acs[i].vat_rate, 0,
		          "a document allowance or charge's VAT rate (BT-96, BT-103)");
	}
	for (i = 0; i < inv->nvats; i++) {
		check_dec(k, &dec_amount, &inv->vats[i].taxable, 0, "a VAT breakdown (BT-116)");
		check_dec(k, &dec_amount, &inv->vats[i].tax, 0, "a VAT breakdown (BT-117)");
		check_dec(k, &dec_rate, &inv->vats[i].rate, 0, "a VAT breakdown's rate (BT-119)");
	}
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		check_dec(k, &dec_amount, &l->net_amount, 0, "a line's net amount (BT-131)");
		check_dec(k, &dec_quantity, &l->quantity, 0, "a line's quantity (BT-129)");
		/* UBL reads the price and its base quantity as empty when blank */
		check_dec(k, &dec_quantity, &l->base_quantity, k->ubl,
		          "a line's price base quantity (BT-149)");
		check_dec(k, price, &l->price, k->ubl, "a line's net price (BT-146)");
		check_dec(k, price, &l->price_discount, k->ubl, "a line's price discount (BT-147)");
		check_dec(k, price, &l->gross_price, k->ubl, "a line's gross price (BT-148)");
		check_dec(k, &dec_rate, &l->vat_rate, 0, "a line's VAT rate (BT-152)");
		for (j = 0; j < l->nacs; j++) {
			check_dec(k, &dec_amount, &l->acs[j].amount, 0,
			          "a line allowance or charge (BT-136, BT-141)");
			check_dec(k, &dec_amount, &l->acs[j].base_amount, 0,
			          "a line allowance or charge's base (BT-137, BT-142)");
			/* UBL's rule reads any cac:AllowanceCharge's tax category */
			if (k->ubl)
				check_dec(k, &dec_rate, &l->acs[j].vat_rate, 0,
				          "a line allowance or charge's VAT rate");
		}
	}
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
	check_docrefs(&k);
	check_item_attrs(&k);
	check_coherence(&k);
	check_subinvoices(&k);
	check_decimals(&k);
	free(all);
	return k.errors;
}
