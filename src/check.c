/*
 * check.c - the pre-flight rules on the invoice model, and check_document(), the
 * whole pre-flight of one document (xform.c does the XML, this file the judging).
 *
 * Each rule adds a struct problem whose text names the element path, the value, what
 * is wrong in the words of the domain, the rule (EN 16931 BR-xx, or our own name for
 * Chorus Pro's and the code lists') and what to do. Errors mean the document cannot
 * be sent; warnings do not stop it.
 *
 * Arithmetic is done on integers: amounts, quantities, prices and rates as decimal
 * mantissa and scale, exact as written (an amount with 3 decimals is added as it is,
 * as the CEN artefacts' xs:decimal does, whatever BR-DEC says of it), rounded to the
 * cent only where the artefacts round, products in 128 bits, comparisons exact or
 * with the tolerance the CEN rules use (formats.md A5). No floating point. A
 * computation beyond 128 bits (38 digits) is reported (AMOUNT), never wrapped.
 *
 * Errors: check_document() returns 0/-1 with *why (one line), per the conventions.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "check-brfr.h"
#include "codelist.h"
#include "conf.h"
#include "fileio.h"
#include "invoice.h"
#include "rules.h"
#include "util.h"
#include "vatcat.h"
#include "xform-syntax.h"
#include "xform.h"

__extension__ typedef __int128 i128;

/* ---- problems ----------------------------------------------------------------- */

void
problems_add(struct problems *ps, enum problem_sev sev, const char *rule, int chorus,
             const char *path, int line, const char *value, const char *what, const char *fix)
{
	struct problem *p;
	struct buf b;
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	p = &ps->v[ps->n++];
	memset(p, 0, sizeof(*p));
	p->sev = sev;
	p->rule = xstrdup(rule);
	p->chorus = chorus;
	p->path = path ? xstrdup(path) : NULL;
	p->line = line;
	p->value = value ? xstrdup(value) : NULL;
	buf_init(&b);
	if (line > 0)
		buf_printf(&b, "line %d: ", line);
	if (path)
		buf_adds(&b, path);
	if (value)
		buf_printf(&b, "%s\"%s\"", path ? " " : "", value);
	if (path || value)
		buf_adds(&b, ": ");
	buf_printf(&b, "%s (rule %s)", what, rule);
	if (fix && *fix)
		buf_printf(&b, "; %s", fix);
	p->text = buf_steal(&b);
	if (sev == SEV_ERROR)
		ps->nerrors++;
	else
		ps->nwarnings++;
}

static void
problem_release(struct problem *p)
{
	free(p->rule);
	free(p->path);
	free(p->value);
	free(p->text);
}

void
problems_free(struct problems *ps)
{
	size_t i;
	for (i = 0; i < ps->n; i++)
		problem_release(&ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

struct ck {
	const struct invoice *inv;
	struct problems *out;
	time_t now;
	size_t errors;
};

/* A problem about value v (its path, line and text). `fix` may be NULL. */
static void PRINTFLIKE(7, 8)
    problem(struct ck *k, enum problem_sev sev, const char *rule, int chorus,
            const struct inv_value *v, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char *what;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	problems_add(k->out, sev, rule, chorus, v ? v->path : NULL, v ? v->line : 0,
	             v ? v->text : NULL, what, fix);
	if (sev == SEV_ERROR)
		k->errors++;
	free(what);
}

#define ERR  SEV_ERROR
#define WARN SEV_WARNING

/* ---- decimals ------------------------------------------------------------------ */

struct dec {
	i128 m; /* value = m / 10^scale; at most 30 digits, scale at most 18 */
	int scale;
};

static const int64_t pow10_tab[19] = {1,
                                      10,
                                      100,
                                      1000,
                                      10000,
                                      100000,
                                      1000000,
                                      10000000,
                                      100000000,
                                      1000000000,
                                      10000000000LL,
                                      100000000000LL,
                                      1000000000000LL,
                                      10000000000000LL,
                                      100000000000000LL,
                                      1000000000000000LL,
                                      10000000000000000LL,
                                      100000000000000000LL,
                                      1000000000000000000LL};

/* Parse an XML Schema decimal ("-12.50", "3", ".5"); at most 30 significant digits
 * and 18 decimals. 0 / -1. */
static int
dec_parse(const char *s, struct dec *d)
{
	int neg = 0, digits = 0, sig = 0, scale = 0, dot = 0;
	i128 m = 0;
	if (s == NULL)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.') {
			if (dot)
				return -1;
			dot = 1;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		if (m == 0 && *s == '0' && !dot) {
			digits++;
			continue;
		}
		if (sig >= 30 || (dot && scale >= 18))
			return -1;
		m = m * 10 + (*s - '0');
		digits++;
		sig++;
		if (dot)
			scale++;
	}
	if (digits == 0)
		return -1;
	d->m = neg ? -m : m;
	d->scale = scale;
	return 0;
}

static int
decimals_of(const char *s)
{
	const char *dot = s ? strchr(s, '.') : NULL;
	return dot ? (int)strlen(dot + 1) : 0;
}

/* The characters of XPath's normalize-space(s): runs of blanks count as one, none at
 * either end. */
static size_t
norm_chars(const char *s)
{
	size_t n = 0;
	int blank = 0;
	for (; *s; s++) {
		if (strchr(" \t\r\n", *s)) {
			blank = n > 0;
			continue;
		}
		if (((unsigned char)*s & 0xc0) == 0x80)
			continue;
		n += 1 + blank;
		blank = 0;
	}
	return n;
}

static int
int_digits_of(const char *s)
{
	int n = 0;
	if (*s == '-' || *s == '+')
		s++;
	while (*s == '0' && s[1] && s[1] != '.')
		s++;
	for (; *s && *s != '.'; s++)
		n++;
	return n;
}

/* q = round(num / den) half away from zero; den > 0. */
static i128
div_round(i128 num, i128 den)
{
	i128 q = num / den, r = num % den;
	if (r < 0)
		r = -r;
	if (r >= den - r)
		q += num < 0 ? -1 : 1;
	return q;
}

static i128
to_cents(struct dec d)
{
	if (d.scale <= 2)
		return d.m * pow10_tab[2 - d.scale]; /* at most 32 digits */
	return div_round(d.m, pow10_tab[d.scale - 2]);
}

/* m / 10^scale with `scale` decimals: "-12.50". */
static void
fmt_fixed(char *b, size_t n, i128 m, int scale)
{
	char digits[64];
	size_t k = 0, o = 0;
	unsigned __int128 a =
	    m < 0 ? (unsigned __int128)0 - (unsigned __int128)m : (unsigned __int128)m;
	do {
		digits[k++] = (char)('0' + (int)(a % 10));
		a /= 10;
	} while ((a > 0 || k <= (size_t)scale) && k < sizeof(digits));
	if (n == 0)
		return;
	if (m < 0 && o + 1 < n)
		b[o++] = '-';
	while (k > (size_t)scale && o + 1 < n)
		b[o++] = digits[--k];
	if (scale > 0 && o + 1 < n)
		b[o++] = '.';
	while (k > 0 && o + 1 < n)
		b[o++] = digits[--k];
	b[o] = '\0';
}

static void
fmt_cents(char *b, size_t n, i128 c)
{
	fmt_fixed(b, n, c, 2);
}

/* An amount for messages, with all its decimals and at least 2: "1436.5001". */
static void
fmt_amount(char *b, size_t n, struct dec d)
{
	i128 m;
	if (d.scale < 2 && !__builtin_mul_overflow(d.m, (i128)pow10_tab[2 - d.scale], &m)) {
		d.m = m;
		d.scale = 2;
	}
	fmt_fixed(b, n, d.m, d.scale);
}

/* Rate for messages: "20", "5.5". */
static void
fmt_rate(char *b, size_t n, const struct dec *r)
{
	int scale = r->scale;
	i128 m = r->m;
	while (scale > 0 && m % 10 == 0) {
		m /= 10;
		scale--;
	}
	fmt_fixed(b, n, m, scale);
}

static int
dec_eq(const struct dec *a, const struct dec *b)
{
	i128 x, y;
	int s = a->scale > b->scale ? a->scale : b->scale;
	if (__builtin_mul_overflow(a->m, (i128)pow10_tab[s - a->scale], &x) ||
	    __builtin_mul_overflow(b->m, (i128)pow10_tab[s - b->scale], &y))
		return 0;
	return x == y;
}

/* ---- exact sums: every value as written, within 38 digits ------------------------ */

/* 10^n for n <= 36 */
static i128
p10(int n)
{
	return n <= 18 ? (i128)pow10_tab[n] : (i128)pow10_tab[18] * pow10_tab[n - 18];
}

/* *d rewritten with `scale` decimals (scale >= d->scale, at most 36); -1 on overflow. */
static int
dec_rescale(struct dec *d, int scale)
{
	if (scale == d->scale)
		return 0;
	if (__builtin_mul_overflow(d->m, p10(scale - d->scale), &d->m))
		return -1;
	d->scale = scale;
	return 0;
}

/* *acc += sign * x (sign 1 or -1), exact; -1 on overflow (*acc is then unusable). */
static int
dec_add(struct dec *acc, const struct dec *x, int sign)
{
	struct dec y = *x;
	if (y.scale < acc->scale ? dec_rescale(&y, acc->scale) == -1
	                         : dec_rescale(acc, y.scale) == -1)
		return -1;
	return sign > 0 ? (__builtin_add_overflow(acc->m, y.m, &acc->m) ? -1 : 0)
	                : (__builtin_sub_overflow(acc->m, y.m, &acc->m) ? -1 : 0);
}

/* *out = a - b; -1 on overflow. */
static int
dec_diff(const struct dec *a, const struct dec *b, struct dec *out)
{
	*out = *a;
	return dec_add(out, b, -1);
}

/* XPath's round(d * 10^n) div 10^n: n decimals, half up (-0.005 is 0.00 for n = 2).
 * -1 on overflow. */
static int
dec_round(struct dec *d, int n)
{
	i128 p, q;
	if (d->scale <= n)
		return dec_rescale(d, n);
	p = p10(d->scale - n);
	if (__builtin_add_overflow(d->m, p / 2, &q))
		return -1;
	d->m = q / p - (q % p < 0);
	d->scale = n;
	return 0;
}

/* The artefacts' round(x * 10 * 10) div 100: to the cent. */
static int
dec_round2(struct dec *d)
{
	return dec_round(d, 2);
}

/* The VAT the artefacts expect, round(abs(BT-116) * (BT-119 div 100) * 10 * 10) div
 * 100, that is round(|taxable| x rate) / 100; -1 on overflow. */
static int
dec_vat(const struct dec *taxable, const struct dec *rate, struct dec *out)
{
	i128 t = taxable->m < 0 ? -taxable->m : taxable->m;
	out->scale = taxable->scale + rate->scale;
	if (out->scale > 36 || __builtin_mul_overflow(t, rate->m, &out->m) ||
	    dec_round(out, 0) == -1)
		return -1;
	out->scale = 2;
	return 0;
}

/* XPath's round(d) = 0: -0.5 <= d < 0.5. */
static int
dec_rounds_to_zero(const struct dec *d)
{
	i128 half = p10(d->scale) / 2;
	return d->scale == 0 ? d->m == 0 : d->m >= -half && d->m < half;
}

/* |d| < 1 */
static int
within_one(const struct dec *d)
{
	return d->m < p10(d->scale) && d->m > -p10(d->scale);
}

static int
dec_sign(const struct dec *d)
{
	return (d->m > 0) - (d->m < 0);
}

/* |d| */
static struct dec
dec_abs(struct dec d)
{
	if (d.m < 0)
		d.m = -d.m;
	return d;
}

/* ---- reading values -------------------------------------------------------------- */

/* An amount in cents; 0 when present and well-formed, -1 otherwise (the format rules
 * report it). */
static int
cents(const struct inv_value *v, i128 *out)
{
	struct dec d;
	if (v->text == NULL || dec_parse(v->text, &d) == -1)
		return -1;
	*out = to_cents(d);
	return 0;
}

static int
has(const struct inv_value *v)
{
	return v->text != NULL && *v->text != '\0';
}

static int
credit_note(const struct invoice *inv)
{
	return has(&inv->type_code) && strcmp(inv->type_code.text, "381") == 0;
}

/* An amount exact as written, and whether it could be read (present when required,
 * a decimal number: its format rules, BR-DEC and AMOUNT, do not matter here, as in
 * the artefacts); a rule that needs an amount that is not `ok` is not applied. */
struct amount {
	struct dec v;
	int ok;
};

/* A value of the document as a decimal: 0, or -1 if absent or not a number. */
static int
dec_read(const struct inv_value *v, struct dec *d)
{
	return v->text == NULL ? -1 : dec_parse(v->text, d);
}

/* A computation for `rule` that does not fit in 128 bits: reported, not judged. */
static void
too_large(struct ck *k, const char *rule, const struct inv_value *v)
{
	problem(k, ERR, "AMOUNT", 0, v, "write amounts of at most 19 digits, 2 after the point",
	        "%s cannot be checked: its computation exceeds the 38 digits chorusgw "
	        "computes with",
	        rule);
}

/* s += sign * x, as the artefacts' sum() adds; an overflow is reported on v and
 * leaves s not ok. */
static void
sum_add(struct ck *k, struct amount *s, const struct dec *x, int sign, const char *rule,
        const struct inv_value *v)
{
	if (s->ok && dec_add(&s->v, x, sign) == -1) {
		s->ok = 0;
		too_large(k, rule, v);
	}
}

/* Amount format: its decimals under `dec_rule`, the BR-DEC-nn rule of that amount
 * (as the CEN artefacts report it), and Chorus Pro's 19 digits. Returns 0 if usable. */
static int
check_amount(struct ck *k, const struct inv_value *v, const char *dec_rule, const char *what)
{
	struct dec d;
	if (!has(v))
		return -1;
	if (dec_parse(v->text, &d) == -1) {
		if (strspn(v->text, "+-0123456789.") == strlen(v->text) &&
		    strchr(v->text, '.') == strrchr(v->text, '.') && strpbrk(v->text, "0123456789"))
			problem(k, ERR, "AMOUNT", 1, v,
			        "Chorus Pro takes at most 19 digits, 2 after the point",
			        "%s has too many digits", what);
		else
			problem(k, ERR, "AMOUNT", 0, v, "write a decimal number such as 1250.00",
			        "%s is not a decimal number", what);
		return -1;
	}
	if (decimals_of(v->text) > 2) {
		problem(k, ERR, dec_rule, strncmp(dec_rule, "BR-", 3) != 0, v,
		        "round it to the cent (2 decimals) in the ERP",
		        "%s has %d decimals; amounts have at most 2", what, decimals_of(v->text));
		return -1;
	}
	if (int_digits_of(v->text) + decimals_of(v->text) > 19) {
		problem(k, ERR, "AMOUNT", 1, v, "Chorus Pro takes at most 19 digits",
		        "%s has too many digits", what);
		return -1;
	}
	return 0;
}

static int
check_number(struct ck *k, const struct inv_value *v, const char *what, const char *fix)
{
	struct dec d;
	if (!has(v))
		return -1;
	if (dec_parse(v->text, &d) == -1) {
		problem(k, ERR, "NUMBER", 0, v, fix, "%s is not a decimal number", what);
		return -1;
	}
	return 0;
}

/* ---- dates ------------------------------------------------------------------ */

static int
days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

long
check_ymd(const char *digits)
{
	long v;
	int y, m, d;
	if (!str_digits(digits, 8))
		return -1;
	v = atol(digits);
	y = (int)(v / 10000);
	m = (int)(v / 100 % 100);
	d = (int)(v % 100);
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	return v;
}

/* YYYY-MM-DD (UBL) or YYYYMMDD (CII format 102) -> YYYYMMDD as an integer; -1. */
static long
parse_date(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char digits[9];
	long v;
	if (n == 10 && s[4] == '-' && s[7] == '-') {
		memcpy(digits, s, 4);
		memcpy(digits + 4, s + 5, 2);
		memcpy(digits + 6, s + 8, 2);
	} else if (n == 8)
		memcpy(digits, s, 8);
	else
		return -1;
	digits[8] = '\0';
	v = check_ymd(digits);
	return v < 19000000 ? -1 : v;
}

static long
check_date(struct ck *k, const struct inv_value *v, const char *what)
{
	long d;
	if (!has(v))
		return -1;
	if (k->inv->syntax == SYNTAX_CII && v->attr && strcmp(v->attr, "102") != 0) {
		problem(k, ERR, "DATE", 0, v, "write the date as YYYYMMDD with format=\"102\"",
		        "%s uses date format %s", what, v->attr);
		return -1;
	}
	d = parse_date(v->text);
	if (d == -1)
		problem(k, ERR, "DATE", 0, v,
		        k->inv->syntax == SYNTAX_CII ? "write a real date as YYYYMMDD"
		                                     : "write a real date as YYYY-MM-DD",
		        "%s is not a valid date", what);
	return d;
}

/* ---- identifiers ----------------------------------------------------------- */

/* BR-CO-09 as each artefact tests a VAT identifier's first two characters as written
 * (a blank around the text taken for a space: the model keeps where blanks were, not
 * which). CII: they are a code of its list (ISO 3166, EL, AN, but not SS). UBL: its
 * test looks for them anywhere in the list's text (ISO 3166 and EL between blanks), so
 * that nothing, one letter, the digit 1 or a blank, a letter then a blank, or a blank
 * then a letter or 1 also pass. */
static int
vat_prefix_ok(const struct inv_value *id, int cii)
{
	const char *v = id->text;
	char c[3] = {v[0], v[0] ? v[1] : '\0', '\0'};
	if (id->padded & PAD_LEAD)
		c[0] = ' ', c[1] = v[0];
	else if (c[0] && !c[1] && (id->padded & PAD_TRAIL))
		c[1] = ' ';
	if (!cii && (c[0] == '\0' || (c[1] == '\0' && c[0] == ' ') ||
	             (c[0] == ' ' && (isupper((unsigned char)c[1]) || c[1] == '1')) ||
	             ((isupper((unsigned char)c[0]) || c[0] == '1') &&
	              (c[1] == '\0' || (c[1] == ' ' && c[0] != '1')))))
		return 1;
	if (strcmp(c, "EL") == 0 || (cii && strcmp(c, "AN") == 0))
		return 1;
	return !(cii && strcmp(c, "SS") == 0) && iso3166_ok(c);
}

/* BR-CO-09 on every VAT identifier v[0..n) of a party (`whose`): the artefacts test
 * each one they reach, empty or not. */
static void
check_vat_prefixes(struct ck *k, const struct inv_value *v, size_t n, const char *whose)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].text && !vat_prefix_ok(&v[i], k->inv->syntax == SYNTAX_CII))
			problem(k, ERR, "BR-CO-09", 0, &v[i],
			        "write the VAT identifier with its country prefix, FR for France",
			        "%s VAT identifier does not start with a country code", whose);
}

/* BR-CO-09 on the VAT identifiers of the parties read by no role (UBL's
 * cac:SellerSupplierParty, cac:OriginatorCustomerParty, CII's ram:ShipFromTradeParty,
 * ...): those of inv->vat_ids not already said by a party's check. */
static void
check_other_vat_ids(struct ck *k)
{
	const struct invoice *inv = k->inv;
	for (size_t i = 0; i < inv->nvat_ids; i++) {
		const struct inv_value *v = &inv->vat_ids[i];
		size_t j;
		if (!v->text || vat_prefix_ok(v, inv->syntax == SYNTAX_CII))
			continue;
		for (j = 0; j < k->out->n; j++)
			if (strcmp(k->out->v[j].rule, "BR-CO-09") == 0 && k->out->v[j].path &&
			    strcmp(k->out->v[j].path, v->path) == 0)
				break;
		if (j == k->out->n)
			check_vat_prefixes(k, v, 1, "a party's");
	}
}

/* A supplier without a SIRET (chorusgw-erp(5)), established outside France: Chorus
 * Pro's identifier type 2 (UE_HORS_FRANCE), its intra-community VAT number, or 3
 * (HORS_UE), the identifier it registered. */
static void
check_supplier_id(struct ck *k)
{
	const struct invoice *inv = k->inv;
	const struct inv_party *p = &inv->supplier;
	const struct inv_value *id = invoice_supplier_id(inv);
	enum chorus_id_type t = invoice_supplier_id_type(inv);
	const char *c = p->country.text, *scheme = id->attr ? id->attr : "";
	char prefix[3];

	if (c == NULL || !iso3166_ok(c))
		return; /* BR-09, BR-CL-14 (the syntax walk) say it */
	if ((strcmp(scheme, "2") == 0 || strcmp(scheme, "3") == 0) &&
	    (t == CHORUS_ID_EU) != (codelist_ok("EU", c) && strcmp(c, "FR") != 0)) {
		problem(k, ERR, "SUPPLIER-ID", 1, id,
		        "type 2 is for a supplier in another member state of the EU, 3 for one "
		        "outside the EU",
		        "the supplier's identifier is of type %s (%s) but its country is %s",
		        scheme, chorus_id_type_name(t), c);
		return;
	}
	if (t != CHORUS_ID_EU)
		return;
	/* its VAT number, prefixed as VAT numbers are (EL for Greece) */
	snprintf(prefix, sizeof(prefix), "%s", strcmp(c, "GR") == 0 ? "EL" : c);
	if (strncmp(id->text, prefix, 2) != 0 || strlen(id->text) < 4 || strlen(id->text) > 15)
		problem(k, ERR, "SUPPLIER-ID", 1, id,
		        "give the supplier's intra-community VAT number as its identifier",
		        "a supplier of type 2 (UE_HORS_FRANCE) is identified in Chorus Pro by its "
		        "intra-community VAT number, which starts with %s",
		        prefix);
	else if (has(&p->vat_id) && strcmp(p->vat_id.text, id->text) != 0)
		problem(k, ERR, "SUPPLIER-ID", 1, id,
		        "give the same intra-community VAT number in both",
		        "the supplier's identifier (type 2, UE_HORS_FRANCE) is not its VAT "
		        "number %s",
		        p->vat_id.text);
}

static void
check_party(struct ck *k, const struct inv_party *p, int buyer)
{
	const struct invoice *inv = k->inv;
	const char *who = buyer ? "the buyer's" : "the supplier's";
	const char *fix_siret =
	    buyer ? "check the SIRET of the public structure in the Chorus Pro directory"
	          : "check the SIRET of the issuing establishment "
	            "(INSEE, or the structure in Chorus Pro)";
	const char *where =
	    inv->syntax == SYNTAX_CII
	        ? (buyer
	               ? "write the buyer's 14-digit SIRET in ram:BuyerTradeParty/ram:GlobalID "
	                 "with schemeID=\"0009\""
	               : "write the supplier's 14-digit SIRET in ram:SellerTradeParty/ram:GlobalID "
	                 "with schemeID=\"0009\"")
	        : (buyer ? "write the buyer's 14-digit SIRET in "
	                   "cac:AccountingCustomerParty/cac:Party/"
	                   "cac:PartyIdentification/cbc:ID with schemeID=\"0009\""
	                 : "write the supplier's 14-digit SIRET in cac:AccountingSupplierParty/"
	                   "cac:Party/cac:PartyIdentification/cbc:ID with schemeID=\"0009\"");

	/* a French supplier (or one without country) has a SIRET */
	if (!has(&p->siret) && !buyer && invoice_supplier_id_type(inv) > CHORUS_ID_SIRET)
		check_supplier_id(k);
	else if (!has(&p->siret))
		problem(k, ERR, "SIRET", 1, &p->siret, where, "%s SIRET is missing: Chorus Pro %s",
		        who,
		        buyer ? "identifies the public buyer by SIRET"
		              : "identifies the supplier by SIRET, or without one by an identifier "
		                "of type 2 or 3 (chorusgw-erp(5))");
	else if (!str_digits(p->siret.text, 14))
		problem(k, ERR, "SIRET", 1, &p->siret, fix_siret, "%s SIRET is not 14 digits", who);
	else if (!siret_ok(p->siret.text))
		problem(k, ERR, "SIRET", 1, &p->siret, fix_siret, "%s SIRET fails the Luhn check",
		        who);

	if (has(&p->legal_id) && p->legal_id.text != p->siret.text &&
	    (p->legal_id.path == NULL || p->siret.path == NULL ||
	     strcmp(p->legal_id.path, p->siret.path) != 0)) {
		const char *l = p->legal_id.text;
		if (str_digits(l, 9)) {
			if (!siren_ok(l))
				problem(k, ERR, "SIREN", 1, &p->legal_id,
				        "the SIREN is the first 9 digits of the SIRET; check it",
				        "%s SIREN fails the Luhn check", who);
			else if (str_digits(p->siret.text, 14) && strncmp(p->siret.text, l, 9) != 0)
				problem(k, WARN, "SIREN", 1, &p->legal_id,
				        "the SIREN is the first 9 digits of the SIRET",
				        "%s SIREN is not the start of its SIRET %s", who,
				        p->siret.text);
		} else if (str_digits(l, 14) && !siret_ok(l))
			problem(k, ERR, "SIRET", 1, &p->legal_id, fix_siret,
			        "%s legal registration identifier (a SIRET) fails the Luhn check",
			        who);
	}

	/* BR-CO-26 asks for the elements, empty or not, from UBL's
	 * cac:AccountingSupplierParty even without its cac:Party */
	if (!buyer && p->holder && !p->any_id && p->nlegal_ids == 0 && p->nvat_ids == 0)
		problem(k, ERR, "BR-CO-26", 0, &p->siret, fix_siret,
		        "the seller has no identifier, legal "
		        "registration identifier nor VAT identifier");

	if (!has(&p->name))
		problem(k, ERR, buyer ? "BR-07" : "BR-06", 0, &p->name,
		        buyer ? "give the public structure's name" : "give the company name",
		        "%s name is missing", who);
	else if (utf8_chars(p->name.text) > 99)
		problem(k, WARN, "NAME", 1, &p->name, "shorten it to 99 characters",
		        "%s name is longer than the 99 characters Chorus Pro keeps", who);

	check_vat_prefixes(k, p->vat_ids, p->nvat_ids, who);

	/* BR-08 / BR-10; the country, BR-09 / BR-11, is looked for in an address only by
	 * the UBL artefact, in any case by the CII one */
	if (!p->address)
		problem(k, ERR, buyer ? "BR-10" : "BR-08", 0, &p->country,
		        "give the postal address, at least its country code",
		        "%s postal address is missing", who);
	if (!has(&p->country)) {
		if (p->address || k->inv->syntax == SYNTAX_CII)
			problem(k, ERR, buyer ? "BR-11" : "BR-09", 0, &p->country,
			        "give the ISO 3166 country code of the address, FR for France",
			        "%s country code is missing", who);
	} /* not an ISO 3166 code: BR-CL-14, the syntax walk's, for every country */

	/* French VAT number: FR + key + SIREN, key = (12 + 3 (SIREN mod 97)) mod 97 */
	if (!buyer && has(&p->vat_id) && strncmp(p->vat_id.text, "FR", 2) == 0 &&
	    strlen(p->vat_id.text) == 13 && str_digits(p->vat_id.text + 2, 11)) {
		long siren = atol(p->vat_id.text + 4);
		int key = (p->vat_id.text[2] - '0') * 10 + (p->vat_id.text[3] - '0');
		if (key != (int)((12 + 3 * (siren % 97)) % 97))
			problem(k, WARN, "VAT-ID", 0, &p->vat_id,
			        "copy the intra-community VAT number from the company's records",
			        "the supplier's French VAT number has a wrong check key");
		else if (str_digits(p->siret.text, 14) &&
		         strncmp(p->siret.text, p->vat_id.text + 4, 9) != 0)
			problem(k, WARN, "VAT-ID", 0, &p->vat_id,
			        "the VAT number of a French company contains its SIREN",
			        "the supplier's VAT number is not that of SIREN %.9s",
			        p->siret.text);
	}
}

/* ---- header ------------------------------------------------------------------- */

/* BT-6 and BT-111: the VAT total in the VAT accounting currency, as each syntax's
 * artefact reads the rules. BR-53: UBL wants an amount in BT-6; CII also wants BT-6
 * to differ from BT-5. BR-DEC-15: CII wants an amount in BT-6 whose value has at
 * most 2 decimals (1.500 is 1.5); in UBL its test never matches, the decimals
 * written are UBL-DT-01's, as for every amount. */
static void
check_vat_accounting(struct ck *k, const struct invoice *inv)
{
	const char *fix = "give the VAT total in the accounting currency, <vat-total-accounting "
	                  "currency=\"EUR\">, in another currency than the invoice's";
	const struct inv_value *v = &inv->tax_total_acc;
	int cii = inv->syntax == SYNTAX_CII;
	const char *dot;
	size_t decimals;

	if (!has(&inv->tax_currency))
		return;
	if (!has(v))
		problem(k, ERR, "BR-53", 0, &inv->tax_currency, fix,
		        "a VAT accounting currency (BT-6) without the VAT total in it (BT-111)");
	else if (cii && has(&inv->currency) &&
	         strcmp(inv->tax_currency.text, inv->currency.text) == 0)
		problem(k, ERR, "BR-53", 0, &inv->tax_currency, fix,
		        "the VAT accounting currency (BT-6) is the invoice currency");
	dot = has(v) ? strchr(v->text, '.') : NULL;
	decimals = dot ? strlen(dot + 1) : 0;
	if (cii)
		while (decimals > 0 && dot[decimals] == '0')
			decimals--;
	if (cii && (!has(v) || decimals > 2))
		problem(k, ERR, "BR-DEC-15", 0, has(v) ? v : &inv->tax_currency,
		        "give it rounded to the cent (2 decimals)",
		        "no VAT total in the accounting currency (BT-111) with at most 2 decimals");
	else if (!cii && decimals > 2)
		problem(
		    k, ERR, "UBL-DT-01", 0, v, "round it to the cent (2 decimals)",
		    "the VAT total in the accounting currency (BT-111) has more than 2 decimals");
}

/*
 * The cadres whose invoice names more parties than the supplier and the buyer: A9 and
 * A12 a validator (valideur), the works cadres the parties of the works circuit (maître
 * d'oeuvre, maître d'ouvrage). Chorus Pro's API carries the validator
 * (cadreDeFacturation.codeStructureValideur, required for A9 and A12), but no public
 * source says where Chorus Pro reads these parties in a deposited UBL or CII flow, and
 * works invoices have had flows of their own (E4, E5) since February 2024, which
 * deposer/flux does not offer (tests/emulator/README, "Cadres with more parties"). So
 * these cadres are refused rather than deposited without them. What each cadre is:
 * the Swagger's cadreFacturation names. A3 (justice costs) and A21 (TIC refund) name
 * no such party.
 */
static const struct cadre_parties {
	unsigned char n;  /* the cadre's number: A<n> */
	const char *what; /* what the cadre is */
} cadre_parties[] = {
    {4, "a supplier's projet de décompte mensuel"},
    {5, "a supplier's état d'acompte"},
    {6, "a supplier's validated état d'acompte"},
    {7, "a supplier's projet de décompte final"},
    {8, "a supplier's décompte général et définitif"},
    {9, "a subcontractor's invoice"},
    {10, "a subcontractor's projet de décompte mensuel"},
    {11, "a subcontractor's projet de décompte final"},
    {12, "a co-contractor's invoice"},
    {13, "a co-contractor's projet de décompte mensuel"},
    {14, "a co-contractor's projet de décompte final"},
    {15, "a maître d'oeuvre's état d'acompte"},
    {16, "a maître d'oeuvre's validated état d'acompte"},
    {17, "a maître d'oeuvre's projet de décompte général"},
    {18, "a maître d'oeuvre's décompte général"},
    {19, "a maître d'ouvrage's validated état d'acompte"},
    {20, "a maître d'ouvrage's décompte général"},
    {22, "a supplier's projet de décompte général, tacit procedure"},
    {23, "a supplier's tacit décompte général et définitif"},
    {24, "a maître d'oeuvre's tacit décompte général et définitif"},
    {25, "a maître d'ouvrage's décompte général et définitif, tacit procedure"},
};

/* Cadre A<n> refused when it needs parties chorusgw cannot place (above). */
static void
check_cadre_parties(struct ck *k, int n)
{
	const struct cadre_parties *c;
	for (c = cadre_parties; c < cadre_parties + nitems(cadre_parties); c++)
		if (c->n == n)
			break;
	if (c == cadre_parties + nitems(cadre_parties))
		return;
	if (n == 9 || n == 12)
		problem(k, ERR, "CADRE-PARTY", 1, &k->inv->cadre,
		        "enter this invoice on the Chorus Pro portal, with its validator; use "
		        "A1 only for an invoice under your own contract with the buyer",
		        "cadre A%d (%s) needs its validator (valideur: the %s), which "
		        "chorusgw cannot yet place in a deposited UBL or CII flow",
		        n, c->what, n == 9 ? "contract holder" : "lead contractor");
	else
		problem(k, ERR, "CADRE-PARTY", 1, &k->inv->cadre,
		        "enter it in the Chorus Pro portal's works invoices space (Factures de "
		        "travaux)",
		        "cadre A%d (%s) is a works invoice: it needs the parties of the works "
		        "circuit (maître d'oeuvre, maître d'ouvrage), which chorusgw cannot "
		        "yet place in a deposited UBL or CII flow",
		        n, c->what);
}

static void
check_header(struct ck *k)
{
	const struct invoice *inv = k->inv;
	static const char *const types[] = {"380", "381", "384", "386", "389"};
	size_t i;
	long issue = -1, due;
	struct tm tm;
	long today;

	if (!has(&inv->customization))
		problem(k, ERR, "BR-01", 0, &inv->customization,
		        "write the specification identifier, urn:cen.eu:en16931:2017",
		        "the specification identifier (BT-24) is missing");
	if (!has(&inv->number))
		problem(k, ERR, "BR-02", 0, &inv->number, "give the invoice number",
		        "the invoice number (BT-1) is missing");
	else {
		size_t n = utf8_chars(inv->number.text);
		const char *s;
		if (n > 20)
			problem(
			    k, ERR, "NUMBER", 1, &inv->number, "shorten the numbering in the ERP",
			    "the invoice number has %zu characters; Chorus Pro accepts at most 20",
			    n);
		for (s = inv->number.text; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("+-_/", *s))
				break;
		if (*s) {
			char what[32];
			if (*s == ' ')
				snprintf(what, sizeof(what), "a space");
			else if ((unsigned char)*s >= 0x80)
				snprintf(what, sizeof(what), "a non-ASCII character");
			else
				snprintf(what, sizeof(what), "'%c'", *s);
			problem(k, WARN, "NUMBER", 1, &inv->number,
			        "keep to letters, digits and + - _ /",
			        "the invoice number holds %s, which Chorus Pro may refuse", what);
		}
	}

	if (!has(&inv->type_code))
		problem(k, ERR, "BR-04", 0, &inv->type_code,
		        "give the invoice type code, 380 for an invoice",
		        "the invoice type code (BT-3) is missing");
	else {
		for (i = 0; i < nitems(types); i++)
			if (strcmp(inv->type_code.text, types[i]) == 0)
				break;
		if (i == nitems(types))
			problem(
			    k, ERR, "TYPE", 1, &inv->type_code,
			    "use 380 (invoice), 381 (credit note), 384 (corrective invoice), 386 "
			    "(prepayment invoice) or 389 (self-billed invoice)",
			    "Chorus Pro does not accept this invoice type code");
	}

	if (!has(&inv->issue_date))
		problem(k, ERR, "BR-03", 0, &inv->issue_date, "give the issue date",
		        "the issue date (BT-2) is missing");
	else if ((issue = check_date(k, &inv->issue_date, "the issue date")) != -1) {
		time_t now = k->now ? k->now : time(NULL);
		localtime_r(&now, &tm);
		today = (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
		if (issue > today)
			problem(
			    k, ERR, "DATE", 1, &inv->issue_date,
			    "deposit it on or after its issue date, or correct the date",
			    "the issue date is after today (%04ld-%02ld-%02ld); Chorus Pro refuses "
			    "an invoice dated after its deposit",
			    today / 10000, today / 100 % 100, today % 100);
	}
	due = check_date(k, &inv->due_date, "the payment due date");
	if (due != -1 && issue != -1 && due < issue)
		problem(k, WARN, "DATE", 0, &inv->due_date, "check the due date",
		        "the payment due date is before the issue date");
	check_date(k, &inv->preceding_date, "the preceding invoice's date");

	if (!has(&inv->currency))
		problem(k, ERR, "BR-05", 0, &inv->currency, "give the currency code, EUR",
		        "the invoice currency code (BT-5) is missing");
	else if (!iso4217_ok(inv->currency.text))
		problem(k, ERR, "BR-CL-04", 0, &inv->currency, "write an ISO 4217 code such as EUR",
		        "the invoice currency is not an ISO 4217 code");
	else if (strcmp(inv->currency.text, "EUR") != 0 &&
	         !(has(&inv->tax_currency) && strcmp(inv->tax_currency.text, "EUR") == 0 &&
	           has(&inv->tax_total_acc)))
		problem(k, WARN, "CURRENCY", 1, &inv->currency,
		        "invoice in EUR, or give the VAT in EUR: <vat-total-accounting "
		        "currency=\"EUR\"> (BT-6, BT-111)",
		        "Chorus Pro expects invoices in EUR, or at least the VAT in EUR");
	if (has(&inv->tax_currency) && !iso4217_ok(inv->tax_currency.text))
		problem(k, ERR, "BR-CL-05", 0, &inv->tax_currency,
		        "write an ISO 4217 code such as EUR",
		        "the VAT accounting currency is not an ISO 4217 code");
	check_vat_accounting(k, inv);

	if (!has(&inv->cadre))
		problem(k, WARN, "CADRE", 1, &inv->cadre,
		        "set it (A1 for a supplier's invoice) in "
		        "the export or with [supplier.SIRET] cadre",
		        "no cadre de facturation (BT-23): "
		        "Chorus Pro will take A1, a supplier's invoice");
	else {
		const char *c = inv->cadre.text;
		int n = 0;
		if (c[0] == 'A' && c[1] >= '1' && c[1] <= '9' &&
		    (c[2] == '\0' || (isdigit((unsigned char)c[2]) && c[3] == '\0')))
			n = atoi(c + 1);
		if (n < 1 || n > 25)
			problem(k, ERR, "CADRE", 1, &inv->cadre,
			        "write the Chorus Pro cadre de facturation, "
			        "A1 to A25 (A1: supplier's invoice)",
			        "not a cadre de facturation");
		else
			check_cadre_parties(k, n);
	}

	if (has(&inv->service_code) && utf8_chars(inv->service_code.text) > 100)
		problem(k, ERR, "SERVICE", 1, &inv->service_code,
		        "copy the service code from the Chorus Pro directory",
		        "the code service exécutant is longer than 100 characters");

	if (has(&inv->type_code) && strcmp(inv->type_code.text, "381") == 0 &&
	    !has(&inv->preceding_number))
		problem(k, WARN, "PRECEDING", 0, &inv->preceding_number,
		        "name the invoice this credit note corrects (facture antérieure)",
		        "a credit note without its preceding invoice (BT-25)");
}

/* ---- payment ----------------------------------------------------------------- */

static void
check_payment(struct ck *k, const struct amount *payable)
{
	const struct invoice *inv = k->inv;
	char due[48];
	size_t i;
	int credit = credit_note(inv);

	for (i = 0; i < inv->npayments; i++) {
		const struct inv_payment *p = &inv->payments[i];
		const char *code = p->code.text;
		if (!has(&p->code))
			problem(k, ERR, "BR-49", 0, &p->code,
			        "give the payment means code, 30 for a credit transfer",
			        "the payment means type code (BT-81) is missing");
		if (has(&p->iban)) {
			char *compact = xstrdup(p->iban.text), *o = compact;
			const char *s;
			for (s = p->iban.text; *s; s++)
				if (*s != ' ')
					*o++ = *s;
			*o = '\0';
			if (strlen(compact) < 5 || !isupper((unsigned char)compact[0]) ||
			    !isupper((unsigned char)compact[1]) ||
			    !isdigit((unsigned char)compact[2]) ||
			    !isdigit((unsigned char)compact[3]))
				problem(
				    k, ERR, "IBAN", 1, &p->iban,
				    "give the IBAN of the account (RIB), or [supplier.SIRET] or [supplier] iban",
				    "not an IBAN; Chorus Pro accepts "
				    "only IBANs as the account to pay");
			else if (!iban_ok(compact))
				problem(
				    k, ERR, "IBAN", 1, &p->iban,
				    "copy the IBAN again from the RIB (or [supplier.SIRET] or [supplier] iban)",
				    "the IBAN's check digits fail (mod 97)");
			free(compact);
		}
		if (has(&p->bic) && !bic_ok(p->bic.text))
			problem(k, ERR, "BIC", 1, &p->bic,
			        "write 8 or 11 capital letters and digits", "not a BIC");
		/* BR-51: a warning in the UBL artefact, fatal in the CII one */
		if (has(&p->pan) && norm_chars(p->pan.text) > 10)
			problem(k, inv->syntax == SYNTAX_CII ? ERR : WARN, "BR-51", 0, &p->pan,
			        "give at most the first 6 and the last 4 digits of the card",
			        "the card number (BT-87) has more than 10 characters: PCI DSS "
			        "forbids the full number on an invoice");
		/* BR-61 as the artefacts test it: UBL the account's cbc:ID, empty or not; CII
		 * an account element without ram:IBANID nor ram:ProprietaryID (without the
		 * element, CII-SR-470 says it). Chorus Pro refuses the others all the same
		 * (IBAN). */
		if (code && (strcmp(code, "30") == 0 || strcmp(code, "58") == 0) &&
		    !has(&p->iban)) {
			int cen =
			    inv->syntax == SYNTAX_CII ? p->cii_account == 1 : p->iban.text == NULL;
			problem(k, ERR, cen ? "BR-61" : "IBAN", !cen, &p->iban,
			        "give the IBAN in the export or as [supplier.SIRET] or [supplier] "
			        "iban (RIB transmis)",
			        "payment by credit transfer (%s) without the account to pay "
			        "(IBAN, BT-84)",
			        code);
		}
		if (code && strcmp(code, "58") == 0)
			problem(k, WARN, "PAYMENT", 1, &p->code,
			        "use 30 for a credit transfer to Chorus Pro",
			        "Chorus Pro wants payment means 30, not 58 (SEPA credit transfer)");
		if (code && strcmp(code, "59") == 0)
			problem(k, WARN, "PAYMENT", 1, &p->code,
			        "use 49 for a direct debit to Chorus Pro",
			        "Chorus Pro wants payment means 49, not 59 (SEPA direct debit)");
	}
	if (inv->npayments == 0 && !credit)
		problem(k, WARN, "PAYMENT", 1, NULL,
		        "give the payment means (30 and the IBAN for a credit transfer)",
		        "no payment means (BG-16): Chorus Pro rejects some invoices without one");
	/* BR-CO-25 is in EN 16931 but not in the CEN validation artefacts 1.3.16 for UBL
	 * and CII, so public invoices break it: a warning */
	fmt_amount(due, sizeof(due), payable->v);
	if (payable->ok && dec_sign(&payable->v) > 0 && !has(&inv->due_date) &&
	    !has(&inv->payment_terms))
		problem(k, WARN, "BR-CO-25", 0, &inv->due_date,
		        "give the due date or the payment terms",
		        "an amount is due (%s) but there is neither a due date nor payment terms",
		        due);
}

/* ---- VAT categories ------------------------------------------------------------ */

/* The rule family of a VAT category: S, Z, E, AE, IC (K), G, O, AF (L), AG (M). */
static const char *
cat_rule(const char *cat)
{
	static const struct {
		const char *cat, *rule;
	} t[] = {{"S", "S"}, {"Z", "Z"}, {"E", "E"},  {"AE", "AE"}, {"K", "IC"},
	         {"G", "G"}, {"O", "O"}, {"L", "AF"}, {"M", "AG"},  {"B", "B"}};
	size_t i;
	for (i = 0; cat && i < nitems(t); i++)
		if (strcmp(cat, t[i].cat) == 0)
			return t[i].rule;
	return NULL;
}

static const char *
cat_name(const char *cat)
{
	static const struct {
		const char *cat, *name;
	} t[] = {{"S", "standard rate"},
	         {"Z", "zero rate"},
	         {"E", "exempt"},
	         {"AE", "reverse charge (autoliquidation)"},
	         {"K", "intra-community supply"},
	         {"G", "export outside the EU"},
	         {"O", "outside the scope of VAT"},
	         {"L", "IGIC (Canary Islands)"},
	         {"M", "IPSI (Ceuta and Melilla)"},
	         {"B", "split payment"}};
	size_t i;
	for (i = 0; cat && i < nitems(t); i++)
		if (strcmp(cat, t[i].cat) == 0)
			return t[i].name;
	return "unknown";
}

/* Line / allowance / charge VAT rate against its category (BR-x-05/06/07). */
static void
check_rate(struct ck *k, const struct inv_value *cat, const struct inv_value *rate, int level)
{
	const char *fam = cat_rule(cat->text);
	struct dec r;
	char rule[16];
	if (!has(cat))
		return;
	if (fam == NULL) {
		problem(k, ERR, "BR-CL-18", 0, cat, "use S, Z, E, AE, K, G or O (UNCL 5305)",
		        "not a VAT category code");
		return;
	}
	/* CII's contexts compare the code as written (ram:CategoryCode = 'S'): " S" is in
	 * no category there, though in the code list (normalize-space()) */
	if (k->inv->syntax == SYNTAX_CII && cat->padded)
		return;
	snprintf(rule, sizeof(rule), "BR-%s-%02d", fam, 5 + level);
	if (strcmp(cat->text, "L") == 0 || strcmp(cat->text, "M") == 0 ||
	    strcmp(cat->text, "B") == 0) {
		/* BR-AF-05..07, BR-AG-05..07: a rate of 0 or more (CII's L: above 0) */
		int above = k->inv->syntax == SYNTAX_CII && strcmp(cat->text, "L") == 0;
		if (strcmp(cat->text, "B") != 0 &&
		    (rate->text == NULL ||
		     (dec_parse(rate->text, &r) == 0 && (r.m < 0 || (above && r.m == 0)))))
			problem(k, ERR, rule, 0, rate, "give the VAT rate",
			        "category %s (%s) needs a rate of %s", cat->text,
			        cat_name(cat->text), above ? "more than 0" : "0 or more");
		problem(k, WARN, "VAT-CATEGORY", 1, cat, "use S, Z, E, AE, K, G or O",
		        "VAT category %s (%s) does not apply to a French public buyer", cat->text,
		        cat_name(cat->text));
		return;
	}
	if (strcmp(cat->text, "O") == 0) {
		if (has(rate))
			problem(k, ERR, rule, 0, rate, "leave the VAT rate out for category O",
			        "a VAT rate with category O (outside the scope of VAT)");
		return;
	}
	if (!has(rate)) {
		problem(k, ERR, rule, 0, rate, "give the VAT rate",
		        "the VAT rate of category %s (%s) is missing", cat->text,
		        cat_name(cat->text));
		return;
	}
	if (check_number(k, rate, "the VAT rate", "write the rate in percent, such as 20 or 5.5"))
		return;
	dec_parse(rate->text, &r);
	if (strcmp(cat->text, "S") == 0) {
		if (r.m <= 0)
			problem(k, ERR, rule, 0, rate,
			        "use category Z, E or another for a 0 %% rate, or give the rate",
			        "category S (standard rate) needs a rate above 0");
	} else if (r.m != 0)
		problem(k, ERR, rule, 0, rate, "use category S for a taxed supply, or a rate of 0",
		        "category %s (%s) has a VAT rate of 0", cat->text, cat_name(cat->text));
}

/* A line's, allowance's or charge's category: its rate (check_rate()) when it is a
 * VAT category; outside the VAT tax scheme, only the code list (BR-CL-18 reads it
 * whatever the scheme). */
static void
check_category(struct ck *k, const struct inv_value *cat, const struct inv_value *rate, int not_vat,
               int level)
{
	if (!not_vat)
		check_rate(k, cat, rate, level);
	else if (has(cat) && cat_rule(cat->text) == NULL)
		problem(k, ERR, "BR-CL-18", 0, cat, "use S, Z, E, AE, K, G or O (UNCL 5305)",
		        "not a VAT category code");
}

/* ---- arithmetic ----------------------------------------------------------------- */

struct vgroup {
	const char *cat;
	struct dec rate;
	int has_rate;
	struct amount lines, charges, allowances; /* exact sums */
	int matched;
};

static struct vgroup *
group_of(struct vgroup **g, size_t *n, const char *cat, const struct inv_value *rate)
{
	struct dec r = {0, 0};
	int hr = 0;
	size_t i;
	if (strcmp(cat, "O") != 0 && rate->text && dec_parse(rate->text, &r) == 0)
		hr = 1;
	for (i = 0; i < *n; i++)
		if (strcmp((*g)[i].cat, cat) == 0 && (*g)[i].has_rate == hr &&
		    (!hr || dec_eq(&(*g)[i].rate, &r)))
			return &(*g)[i];
	*g = xreallocarray(*g, *n + 1, sizeof(**g));
	memset(&(*g)[*n], 0, sizeof(**g));
	(*g)[*n].cat = cat;
	(*g)[*n].rate = r;
	(*g)[*n].has_rate = hr;
	(*g)[*n].lines.ok = (*g)[*n].charges.ok = (*g)[*n].allowances.ok = 1;
	return &(*g)[(*n)++];
}

static void
desc_group(char *b, size_t n, const char *cat, const struct dec *rate, int has_rate)
{
	char r[32];
	if (has_rate && strcmp(cat, "O") != 0) {
		fmt_rate(r, sizeof(r), rate);
		snprintf(b, n, "VAT category %s at %s %%", cat, r);
	} else
		snprintf(b, n, "VAT category %s", cat);
}

/* Line net amount = quantity x price / base quantity + charges - allowances, within
 * one cent (the ERP may round at another step). */
static void
check_line_net(struct ck *k, const struct inv_line *l, i128 net, i128 acsum)
{
	struct dec q, p, b = {1, 0};
	i128 num, den, lhs, diff;
	i128 expect;
	char e[48], s[48];
	if (!has(&l->quantity) || !has(&l->price) || dec_parse(l->quantity.text, &q) == -1 ||
	    dec_parse(l->price.text, &p) == -1)
		return;
	if (has(&l->base_quantity) && dec_parse(l->base_quantity.text, &b) == -1)
		return;
	if (b.m <= 0)
		return;
	/* exact value in cents = num / den; too large to compute: not judged */
	if (__builtin_mul_overflow(q.m, p.m, &num) ||
	    __builtin_mul_overflow(num, (i128)pow10_tab[b.scale] * 100, &num))
		return;
	den = b.m;
	if (q.scale + p.scale > 18) {
		if (__builtin_mul_overflow(den, (i128)pow10_tab[18], &den) ||
		    __builtin_mul_overflow(den, (i128)pow10_tab[q.scale + p.scale - 18], &den))
			return;
	} else if (__builtin_mul_overflow(den, (i128)pow10_tab[q.scale + p.scale], &den))
		return;
	if (__builtin_mul_overflow(net - acsum, den, &lhs) ||
	    __builtin_sub_overflow(lhs, num, &diff))
		return;
	if (diff < 0)
		diff = -diff;
	if (diff <= den)
		return;
	expect = (i128)div_round(num, den) + acsum;
	fmt_cents(e, sizeof(e), expect);
	fmt_cents(s, sizeof(s), acsum);
	/* EN 16931 has no such rule (public samples that pass the CEN rules break it), so
	 * only a warning for a document passed through; the ERP export format defines
	 * the line net amount so (chorusgw-erp(5)), hence an error for what we made */
	problem(k, k->inv->generated ? ERR : WARN, "LINE-NET", 0, &l->net_amount,
	        "correct the line: net amount = quantity x net price / base quantity - "
	        "allowances + charges",
	        "the line net amount should be %s "
	        "(quantity %s x price %s%s%s, allowances and charges %s)",
	        e, l->quantity.text, l->price.text, has(&l->base_quantity) ? " / " : "",
	        has(&l->base_quantity) ? l->base_quantity.text : "", s);
}

static void
check_ac_fields(struct ck *k, const struct inv_ac *a, int doc_level)
{
	const char *rule_amount =
	    doc_level ? (a->charge ? "BR-36" : "BR-31") : (a->charge ? "BR-43" : "BR-41");
	const char *rule_reason =
	    doc_level ? (a->charge ? "BR-38" : "BR-33") : (a->charge ? "BR-44" : "BR-42");
	/* EN 16931 states the reason rule twice; the artefacts report both ids */
	const char *rule_reason_co = doc_level ? (a->charge ? "BR-CO-22" : "BR-CO-21")
	                                       : (a->charge ? "BR-CO-24" : "BR-CO-23");
	const char *what = a->charge ? "charge" : "allowance";
	if (!has(&a->indicator) ||
	    (strcmp(a->indicator.text, "true") != 0 && strcmp(a->indicator.text, "false") != 0 &&
	     strcmp(a->indicator.text, "1") != 0 && strcmp(a->indicator.text, "0") != 0))
		problem(k, ERR, "INDICATOR", 0, &a->indicator,
		        "write true for a charge, false for an allowance",
		        "the charge indicator must be true or false");
	/* the artefacts select allowances and charges by their indicator (CII: the words
	 * only); without one their rules do not apply, the INDICATOR error stands */
	if (!has(&a->indicator) ||
	    (strcmp(a->indicator.text, "true") != 0 && strcmp(a->indicator.text, "false") != 0 &&
	     (k->inv->syntax == SYNTAX_CII ||
	      (strcmp(a->indicator.text, "1") != 0 && strcmp(a->indicator.text, "0") != 0))))
		return;
	if (!has(&a->amount))
		problem(k, ERR, rule_amount, 0, &a->amount, "give the amount",
		        "the %s amount is missing", what);
	else
		check_amount(k, &a->amount,
		             doc_level ? (a->charge ? "BR-DEC-05" : "BR-DEC-01")
		                       : (a->charge ? "BR-DEC-27" : "BR-DEC-24"),
		             a->charge ? "the charge amount" : "the allowance amount");
	check_amount(k, &a->base_amount,
	             doc_level ? (a->charge ? "BR-DEC-06" : "BR-DEC-02")
	                       : (a->charge ? "BR-DEC-28" : "BR-DEC-25"),
	             "the base amount");
	if (!has(&a->reason) && !has(&a->reason_code)) {
		problem(k, ERR, rule_reason, 0, &a->reason, "give a reason text or a reason code",
		        "the %s has neither a reason nor a reason code", what);
		problem(k, ERR, rule_reason_co, 0, &a->reason,
		        "give a reason text or a reason code",
		        "the %s has neither a reason nor a reason code", what);
	}
	if (doc_level) {
		if (!has(&a->vat_category) || a->vat_not_vat)
			problem(k, ERR, a->charge ? "BR-37" : "BR-32", 0, &a->vat_category,
			        a->vat_not_vat ? "write cac:TaxScheme/cbc:ID VAT in its category"
			                       : "give the VAT category of the allowance or charge",
			        "the document level %s has no VAT category", what);
		check_category(k, &a->vat_category, &a->vat_rate, a->vat_not_vat,
		               a->charge ? 2 : 1);
	}
}

/* Compare `got` (v's value as written, or what the rule computes of it) with
 * `expect`, exactly, after rounding `expect` to the cent when `round` (the artefacts'
 * round(... * 10 * 10) div 100). */
static void
total_eq(struct ck *k, const char *rule, const struct inv_value *v, const struct dec *got,
         const char *what, struct dec expect, int round, const char *how, const char *fix)
{
	struct dec d;
	char e[48];
	if ((round && dec_round2(&expect) == -1) || dec_diff(got, &expect, &d) == -1) {
		too_large(k, rule, v);
		return;
	}
	if (d.m == 0)
		return;
	fmt_amount(e, sizeof(e), expect);
	problem(k, ERR, rule, 0, v, fix, "%s should be %s (%s)", what, e, how);
}

/* a + sb * b + sc * c (sb, sc: 1, -1, or 0 to leave that term out); -1 on overflow. */
static int
dec_sum3(struct dec *out, const struct dec *a, int sb, const struct dec *b, int sc,
         const struct dec *c)
{
	*out = *a;
	return (sb && dec_add(out, b, sb) == -1) || (sc && dec_add(out, c, sc) == -1) ? -1 : 0;
}

/* ---- amounts: lines, allowances and charges, VAT breakdown, totals ----------------- */

/* What the lines, allowances, charges and VAT breakdown add up to, and the totals the
 * document states: what check_amounts()'s steps share. */
struct sums {
	/* added up from the parts as the CEN artefacts add them: an absent part adds
	 * nothing (sum() of nothing is 0); not ok when a part is there but unreadable */
	struct amount lines;          /* line net amounts (BT-131) */
	struct amount allowances;     /* document level allowances (BT-92) */
	struct amount charges;        /* document level charges (BT-99) */
	struct amount vat;            /* VAT amounts of the breakdown (BT-117) */
	size_t nallowances, ncharges; /* document level ones, by their indicator */
	struct vgroup *groups;        /* lines, allowances, charges per VAT category and rate */
	size_t ngroups;
	/* stated (BG-22); an optional total that is absent is ok and 0 */
	struct amount line_total;      /* BT-106 */
	struct amount allowance_total; /* BT-107, optional */
	struct amount charge_total;    /* BT-108, optional */
	struct amount tax_exclusive;   /* BT-109 */
	struct amount tax_total;       /* BT-110, optional when there is no VAT */
	struct amount tax_inclusive;   /* BT-112 */
	struct amount prepaid;         /* BT-113, optional */
	struct amount rounding;        /* BT-114, optional */
	struct amount payable;         /* BT-115 */
};

/* A stated amount, its format checked (check_amount() reports what is wrong), exact
 * as written. Absent: ok and 0 when optional, not ok when mandatory (the caller's
 * rule says it is missing). */
static struct amount
stated(struct ck *k, const struct inv_value *v, const char *dec_rule, const char *what,
       int mandatory)
{
	struct amount a = {{0, 0}, 0};
	if (!has(v)) {
		a.ok = !mandatory;
		return a;
	}
	check_amount(k, v, dec_rule, what);
	a.ok = dec_read(v, &a.v) == 0;
	return a;
}

/* BR-29 / BR-30: the period's end is not before its start, as each artefact compares
 * them: UBL as xs:date (a date it cannot read stops it: nothing said here), CII the
 * texts of format 102 (a date without that format fails). 1: it fails. */
static int
period_reversed(const struct ck *k, const struct inv_value *start, const struct inv_value *end)
{
	long a, b;
	if (k->inv->syntax == SYNTAX_CII)
		return !(start->text && end->text && start->attr && end->attr &&
		         strcmp(start->attr, "102") == 0 && strcmp(end->attr, "102") == 0 &&
		         strcmp(end->text, start->text) >= 0);
	a = parse_date(start->text);
	b = parse_date(end->text);
	return a != -1 && b != -1 && b < a;
}

/* An invoicing period (BG-14: BR-CO-19, BR-29) or a line's (BG-26: BR-CO-20, BR-30):
 * its start or end element is there (UBL's header period may have its code, BT-8,
 * alone), and it does not end before it starts. */
static void
check_period_dates(struct ck *k, unsigned period, const struct inv_value *start,
                   const struct inv_value *end, int line)
{
	unsigned dates = PERIOD_START | PERIOD_END | (line ? 0 : PERIOD_CODE);
	const char *what = line ? "the line's period" : "the invoicing period";
	if ((period & (PERIOD_THERE | dates)) == PERIOD_THERE)
		problem(k, ERR, line ? "BR-CO-20" : "BR-CO-19", 0, start,
		        line ? "give the line's period/start or period/end, or leave its period out"
		             : "give period/start or period/end, or leave period out",
		        "%s has neither start nor end date", what);
	else if ((period & (PERIOD_START | PERIOD_END)) == (PERIOD_START | PERIOD_END) &&
	         period_reversed(k, start, end))
		problem(k, ERR, line ? "BR-30" : "BR-29", 0, end,
		        line
		            ? "correct the line's period/end: the same day as period/start or later"
		            : "correct period/end: the same day as period/start or later",
		        "%s ends before it starts", what);
}

/* A line's period (BG-26) and gross price (BR-28). */
static void
check_line_period_price(struct ck *k, const struct inv_line *l)
{
	struct dec g;
	check_period_dates(k, l->period, &l->period_start, &l->period_end, 1);
	for (size_t i = 0; i < l->nmore_periods; i++)
		check_period_dates(k, l->more_periods[i].parts, &l->more_periods[i].start,
		                   &l->more_periods[i].end, 1);
	if (has(&l->gross_price) && dec_parse(l->gross_price.text, &g) == 0 && g.m < 0)
		problem(k, ERR, "BR-28", 0, &l->gross_price, "give line/gross-price, 0 or more",
		        "the item gross price is negative");
}

/* The category `cat` of a line or a document allowance or charge puts its amount in
 * a VAT group (BR-x-08's sums): CII's sums select ram:CategoryCode = 'S' as written,
 * so " S" is in none. */
static int
in_group(const struct ck *k, const struct inv_value *cat)
{
	return has(cat) && cat_rule(cat->text) && !(k->inv->syntax == SYNTAX_CII && cat->padded);
}

/* One invoice line (BG-25): its fields, its allowances and charges, its net amount;
 * the net amount is added to s->lines and to its VAT group. */
static void
check_line(struct ck *k, const struct inv_line *l, int credit, struct sums *s)
{
	i128 net = 0, acsum = 0;
	int net_ok, acs_ok = 1;
	struct dec exact;
	size_t j;

	check_line_period_price(k, l);
	check_vat_prefixes(k, l->vat_ids, l->nvat_ids, "a line's party's");
	if (!has(&l->id))
		problem(k, ERR, "BR-21", 0, &l->id, "number the line",
		        "the line has no identifier");
	if (!has(&l->name))
		problem(k, ERR, "BR-25", 0, &l->name, "name the item", "the item name is missing");
	/* as the artefacts test them: the elements and the unit attribute exist (BR-22,
	 * BR-23, BR-26), and a missing price is no price of 0 or more (BR-27) */
	if (l->quantity.text == NULL)
		problem(k, ERR, "BR-22", 0, &l->quantity, "give the quantity",
		        "the invoiced quantity is missing");
	if (l->quantity.attr == NULL || *l->quantity.attr == '\0')
		problem(k, ERR, "BR-23", 0, &l->quantity,
		        "give the unit of measure (unitCode), C62 for one",
		        "the quantity has no unit of measure");
	if (has(&l->quantity) &&
	    check_number(k, &l->quantity, "the quantity", "write a decimal number") == 0) {
		if (decimals_of(l->quantity.text) > 4)
			problem(k, WARN, "QUANTITY", 1, &l->quantity, "round it to 4 decimals",
			        "the quantity has more than the 4 decimals Chorus Pro keeps");
		if (credit && l->quantity.text[0] == '-')
			problem(k, WARN, "SIGN", 1, &l->quantity,
			        "write the credited quantity as a positive number",
			        "a negative quantity on a credit note; "
			        "Chorus Pro wants credit notes with positive amounts");
	}
	if (l->price.text == NULL) {
		problem(k, ERR, "BR-26", 0, &l->price, "give the net price",
		        "the item net price (BT-146) is missing");
		problem(k, ERR, "BR-27", 0, &l->price, "give the net price, 0 or more",
		        "the item net price is not 0 or more");
	} else if (has(&l->price) &&
	           check_number(k, &l->price, "the net price", "write a decimal number") == 0 &&
	           l->price.text[0] == '-')
		problem(k, ERR, "BR-27", 0, &l->price,
		        "use a positive price (a negative quantity or a credit note for a refund)",
		        "the item net price is negative");
	if (has(&l->base_quantity) && check_number(k, &l->base_quantity, "the price base quantity",
	                                           "write a decimal number") == 0) {
		struct dec b;
		dec_parse(l->base_quantity.text, &b);
		if (b.m <= 0)
			problem(k, ERR, "BASE-QUANTITY", 0, &l->base_quantity,
			        "write the number of units the price is for, such as 1 or 100",
			        "the price base quantity must be above 0");
	}
	if (!has(&l->vat_category) || l->vat_not_vat)
		problem(k, ERR, "BR-CO-04", 0, &l->vat_category,
		        l->vat_not_vat ? "write cac:TaxScheme/cbc:ID VAT in the line's category"
		                       : "give the VAT category of the line",
		        l->vat_not_vat ? "the line's tax category is not a VAT category"
		                       : "the line has no VAT category");
	check_category(k, &l->vat_category, &l->vat_rate, l->vat_not_vat, 0);
	for (j = 0; j < l->nacs; j++) {
		i128 a;
		check_ac_fields(k, &l->acs[j], 0);
		if (cents(&l->acs[j].amount, &a) == 0)
			acsum += l->acs[j].charge ? a : -a;
		else
			acs_ok = 0;
	}
	if (!has(&l->net_amount)) {
		/* it adds nothing to the sums (BR-24 says it is missing), but the line is
		 * in its VAT group */
		problem(k, ERR, "BR-24", 0, &l->net_amount, "give the line net amount",
		        "the line net amount (BT-131) is missing");
		if (in_group(k, &l->vat_category))
			group_of(&s->groups, &s->ngroups, l->vat_category.text, &l->vat_rate);
		return;
	} else
		net_ok = check_amount(k, &l->net_amount, "BR-DEC-23", "the line net amount") == 0 &&
		         cents(&l->net_amount, &net) == 0;
	if (net_ok && acs_ok)
		check_line_net(k, l, net, acsum);
	if (net_ok && credit && net < 0)
		problem(k, WARN, "SIGN", 1, &l->net_amount,
		        "write credit note lines with positive amounts",
		        "a negative line amount on a credit note");
	/* the sums take it as written, even when BR-DEC-23 refuses its decimals */
	if (dec_read(&l->net_amount, &exact) == -1) {
		s->lines.ok = 0;
		return;
	}
	sum_add(k, &s->lines, &exact, 1, "BR-CO-10", &l->net_amount);
	if (in_group(k, &l->vat_category))
		sum_add(
		    k,
		    &group_of(&s->groups, &s->ngroups, l->vat_category.text, &l->vat_rate)->lines,
		    &exact, 1, "the taxable amount of its VAT category (BR-x-08)", &l->net_amount);
}

/* The lines: at least one (BR-16), each checked and added up. */
static void
check_lines(struct ck *k, struct sums *s)
{
	const struct invoice *inv = k->inv;
	int credit = credit_note(inv);
	size_t i;
	if (inv->nlines == 0)
		problem(k, ERR, "BR-16", 0, NULL, "give at least one invoice line",
		        "the invoice has no line (BG-25)");
	for (i = 0; i < inv->nlines; i++)
		check_line(k, &inv->lines[i], credit, s);
}

/* Document level allowances and charges (BG-20, BG-21): checked, added up into s and
 * into their VAT groups. */
static void
check_document_acs(struct ck *k, struct sums *s)
{
	const struct invoice *inv = k->inv;
	size_t i;
	for (i = 0; i < inv->nacs; i++) {
		const struct inv_ac *a = &inv->acs[i];
		struct amount *sum = a->charge ? &s->charges : &s->allowances;
		struct dec amt;
		check_ac_fields(k, a, 1);
		/* the artefacts select them by indicator (= true() / false()): one that is
		 * neither is in no sum */
		if (inv_ac_indicator(a) == -1)
			continue;
		*(a->charge ? &s->ncharges : &s->nallowances) += 1;
		if (!has(&a->amount))
			continue;
		/* as written, even when BR-DEC refuses its decimals */
		if (dec_read(&a->amount, &amt) == -1) {
			sum->ok = 0;
			continue;
		}
		sum_add(k, sum, &amt, 1, a->charge ? "BR-CO-12" : "BR-CO-11", &a->amount);
		if (in_group(k, &a->vat_category)) {
			struct vgroup *x =
			    group_of(&s->groups, &s->ngroups, a->vat_category.text, &a->vat_rate);
			sum_add(k, a->charge ? &x->charges : &x->allowances, &amt, 1,
			        "the taxable amount of its VAT category (BR-x-08)", &a->amount);
		}
	}
}

/* BG-23: an earlier breakdown (before index i) of the same category and rate. */
static void
check_vat_duplicate(struct ck *k, size_t i, const struct dec *rate)
{
	const struct inv_vat *v = &k->inv->vats[i];
	const char *cat = v->category.text;
	char desc[64];
	size_t j;
	for (j = 0; j < i; j++) {
		const struct inv_vat *w = &k->inv->vats[j];
		struct dec wr;
		if (w->category.text == NULL || strcmp(w->category.text, cat) != 0)
			continue;
		if (strcmp(cat, "O") != 0 &&
		    (w->rate.text == NULL || dec_parse(w->rate.text, &wr) == -1 ||
		     !dec_eq(&wr, rate)))
			continue;
		desc_group(desc, sizeof(desc), cat, rate, strcmp(cat, "O") != 0);
		problem(k, ERR, "BG-23", 0, &v->category, "merge them into one",
		        "a second VAT breakdown for %s", desc);
		return;
	}
}

/* BR-x-10: an exemption reason is required for E, AE, K, G, O and forbidden for S, Z,
 * L, M. */
static void
check_vat_exemption(struct ck *k, const struct inv_vat *v, const char *fam)
{
	const char *cat = v->category.text;
	char rule[16];
	snprintf(rule, sizeof(rule), "BR-%s-10", fam);
	if (strchr("SZLM", cat[0]) && cat[1] == '\0') {
		if (has(&v->exemption_reason) || has(&v->exemption_code))
			problem(k, ERR, rule, 0,
			        has(&v->exemption_reason) ? &v->exemption_reason
			                                  : &v->exemption_code,
			        "remove the exemption reason",
			        "an exemption reason in a VAT breakdown of category %s", cat);
	} else if (strcmp(cat, "B") != 0 && !has(&v->exemption_reason) && !has(&v->exemption_code))
		problem(k, ERR, rule, 0, &v->exemption_reason,
		        "give the exemption reason (mention d'exonération) or its VATEX code",
		        "the VAT breakdown of category %s (%s) has no exemption reason", cat,
		        cat_name(cat));
}

/* BR-x-08: the taxable amount is the lines plus charges minus allowances of the
 * breakdown's category (and rate, for S, L and M); the groups it covers are marked.
 * As the artefacts read it: an absent taxable amount fails the rule; so does, in
 * UBL, an invoice without lines; S, L and M without a rate pass ("every $rate in
 * ()"); UBL adds the amounts exactly, CII rounds each of its three sums to the cent;
 * the tolerance of 1.00 is the artefacts' own: UBL S, L, M and CII S, Z, E, AE, K, G
 * have it, the others compare exactly. */
static void
check_vat_taxable(struct ck *k, const struct inv_vat *v, const char *fam, const struct dec *rate,
                  const struct amount *taxable, struct sums *s)
{
	const char *cat = v->category.text;
	int cii = k->inv->syntax == SYNTAX_CII, by_rate = strchr("SLM", cat[0]) && !cat[1];
	int exact = cii ? by_rate || strcmp(cat, "O") == 0 : !by_rate;
	struct amount lines = {{0, 0}, 1}, charges = {{0, 0}, 1}, allowances = {{0, 0}, 1};
	struct dec expect, d;
	int found = 0;
	char rule[16], desc[64], e[48];
	size_t j;

	if (strcmp(fam, "B") == 0 || (by_rate && rate == NULL))
		return;
	snprintf(rule, sizeof(rule), "BR-%s-08", fam);
	for (j = 0; j < s->ngroups; j++) {
		struct vgroup *g = &s->groups[j];
		if (strcmp(g->cat, cat) != 0 ||
		    (by_rate && !(g->has_rate && dec_eq(&g->rate, rate))))
			continue;
		found = 1;
		g->matched = 1;
		lines.ok &= g->lines.ok;
		charges.ok &= g->charges.ok;
		allowances.ok &= g->allowances.ok;
		sum_add(k, &lines, &g->lines.v, 1, rule, &v->taxable);
		sum_add(k, &charges, &g->charges.v, 1, rule, &v->taxable);
		sum_add(k, &allowances, &g->allowances.v, 1, rule, &v->taxable);
	}
	desc_group(desc, sizeof(desc), cat, rate ? rate : &(struct dec){0, 0}, rate != NULL);
	if (!cii && (strcmp(cat, "S") == 0 ? !found : k->inv->nlines == 0)) {
		problem(k, ERR, rule, 0, &v->category,
		        "remove this VAT breakdown or correct its rate", "no line%s is in %s",
		        strcmp(cat, "S") == 0 ? ", allowance or charge" : "", desc);
		return;
	}
	if (!has(&v->taxable)) {
		problem(k, ERR, rule, 0, &v->taxable, "give the taxable amount",
		        "the taxable amount of %s is missing", desc);
		return;
	}
	if (!taxable->ok || !s->lines.ok || !s->charges.ok || !s->allowances.ok || !lines.ok ||
	    !charges.ok || !allowances.ok)
		return;
	expect = lines.v;
	if ((cii && (dec_round2(&expect) == -1 || dec_round2(&charges.v) == -1 ||
	             dec_round2(&allowances.v) == -1)) ||
	    dec_add(&expect, &charges.v, 1) == -1 || dec_add(&expect, &allowances.v, -1) == -1 ||
	    dec_diff(&taxable->v, &expect, &d) == -1) {
		too_large(k, rule, &v->taxable);
		return;
	}
	fmt_amount(e, sizeof(e), expect);
	if (d.m != 0 && (exact || !within_one(&d)))
		problem(k, ERR, rule, 0, &v->taxable, "correct the VAT breakdown or the lines",
		        "the taxable amount of %s should be %s, the line net amounts "
		        "plus charges minus allowances of that category",
		        desc, e);
	else if (d.m != 0)
		problem(k, WARN, "VAT-ROUNDING", 0, &v->taxable,
		        "correct the VAT breakdown (the CEN rules tolerate up to 1.00)",
		        "the taxable amount of %s should be %s", desc, e);
}

/* BR-x-09: the VAT amount is taxable amount x rate, rounded, within 1.00 (S, and in
 * UBL L and M; CII's BR-AF-09 and BR-AG-09 are always true), or 0 (the others).
 * An absent amount or rate fails it, as in the artefacts. */
static void
check_vat_amount(struct ck *k, const struct inv_vat *v, const char *fam, const struct dec *rate,
                 const struct amount *taxable, const struct amount *tax)
{
	const char *cat = v->category.text;
	char rule[16], desc[64], e[48];

	desc_group(desc, sizeof(desc), cat, rate ? rate : &(struct dec){0, 0}, rate != NULL);
	snprintf(rule, sizeof(rule), "BR-%s-09", fam);
	if (strcmp(cat, "S") == 0 ||
	    (k->inv->syntax == SYNTAX_UBL && strchr("LM", cat[0]) && cat[1] == '\0')) {
		struct dec expect, d, got = dec_abs(tax->v);
		if (!has(&v->tax) || !has(&v->taxable) || rate == NULL) {
			problem(k, ERR, rule, 0, &v->tax,
			        "give the taxable amount, rate and VAT amount",
			        "the VAT amount of %s cannot be checked: %s is missing", desc,
			        !has(&v->tax)       ? "the VAT amount"
			        : !has(&v->taxable) ? "the taxable amount"
			                            : "the rate");
			return;
		}
		if (!tax->ok || !taxable->ok)
			return;
		if (dec_vat(&taxable->v, rate, &expect) == -1 ||
		    dec_diff(&got, &expect, &d) == -1) {
			too_large(k, rule, &v->tax);
			return;
		}
		fmt_amount(e, sizeof(e), expect);
		if (!within_one(&d))
			problem(
			    k, ERR, rule, 0, &v->tax,
			    "compute the VAT per rate on the taxable amount, rounded to the cent",
			    "the VAT amount of %s should be %s (taxable amount %s x rate, rounded)",
			    desc, e, v->taxable.text);
		else if (d.m != 0) /* within the artefacts' tolerance: chorusgw's own advice */
			problem(k, WARN, "VAT-ROUNDING", 0, &v->tax,
			        "round taxable amount x rate to the cent "
			        "(the CEN rules tolerate up to 1.00)",
			        "the VAT amount of %s should be %s", desc, e);
	} else if (strchr("LMB", cat[0]) && cat[1] == '\0')
		return;
	else if (!has(&v->tax))
		problem(k, ERR, rule, 0, &v->tax, "write 0.00",
		        "the VAT amount of %s (%s) is missing; it must be 0", desc, cat_name(cat));
	else if (tax->ok && dec_sign(&tax->v) != 0)
		problem(k, ERR, rule, 0, &v->tax, "write 0.00",
		        "the VAT amount of %s (%s) must be 0", desc, cat_name(cat));
}

/* BR-CO-17, on every breakdown whatever its category: with a rate that rounds to
 * 0, or none, the VAT amount rounds to 0; otherwise it is taxable amount x rate
 * within 1.00 (UBL: strictly; CII: 1.00 itself passes). Absent amounts fail it. The
 * small differences are BR-S-09's warning, not repeated here. */
static void
check_vat_co17(struct ck *k, const struct inv_vat *v, const struct dec *rate,
               const struct amount *taxable, const struct amount *tax)
{
	int zero_rate = rate == NULL || (2 * rate->m >= -(i128)pow10_tab[rate->scale] &&
	                                 2 * rate->m < (i128)pow10_tab[rate->scale]);
	struct dec expect, d, got = dec_abs(tax->v);
	char e[48];

	if (has(&v->tax) && !tax->ok)
		return;
	if (zero_rate) {
		if (!has(&v->tax) || !dec_rounds_to_zero(&tax->v))
			problem(k, ERR, "BR-CO-17", 0, &v->tax, "write 0.00",
			        "the VAT amount of a breakdown %s must be 0",
			        rate == NULL ? "without a rate" : "at a 0 %% rate");
		return;
	}
	if (!has(&v->tax) || !has(&v->taxable)) {
		problem(k, ERR, "BR-CO-17", 0, !has(&v->tax) ? &v->tax : &v->taxable,
		        "give the taxable amount and the VAT amount",
		        "the VAT amount of the breakdown cannot be checked: %s is missing",
		        !has(&v->tax) ? "the VAT amount" : "the taxable amount");
		return;
	}
	if (!taxable->ok)
		return;
	if (dec_vat(&taxable->v, rate, &expect) == -1 || dec_diff(&got, &expect, &d) == -1) {
		too_large(k, "BR-CO-17", &v->tax);
		return;
	}
	/* |d| < 1, or <= 1 in CII */
	if (!within_one(&d) && !(k->inv->syntax == SYNTAX_CII && dec_abs(d).m == p10(d.scale))) {
		fmt_amount(e, sizeof(e), expect);
		problem(k, ERR, "BR-CO-17", 0, &v->tax,
		        "compute the VAT per rate on the taxable amount, rounded to the cent",
		        "the VAT amount should be %s (taxable amount %s x rate, rounded)", e,
		        v->taxable.text);
	}
}

/* One VAT breakdown (BG-23), the i-th: its amounts (added to s->vat), category and
 * rate, then the rules of its category. */
static void
check_vat(struct ck *k, size_t i, struct sums *s)
{
	const struct inv_vat *v = &k->inv->vats[i];
	const char *cat = v->category.text, *fam;
	struct amount taxable = stated(k, &v->taxable, "BR-DEC-19", "the VAT taxable amount", 1);
	struct amount tax = stated(k, &v->tax, "BR-DEC-20", "the VAT amount", 1);
	struct dec rate = {0, 0};
	int vat = !v->vat_not_vat, outside = vat && has(&v->category) && strcmp(cat, "O") == 0;
	int rated = 0; /* the rate is there and a number */

	if (!has(&v->taxable))
		problem(k, ERR, "BR-45", 0, &v->taxable, "give the taxable amount",
		        "the VAT breakdown has no taxable amount");
	if (!has(&v->tax))
		problem(k, ERR, "BR-46", 0, &v->tax, "give the VAT amount",
		        "the VAT breakdown has no VAT amount");
	if (tax.ok)
		sum_add(k, &s->vat, &tax.v, 1, "BR-CO-14", &v->tax);
	else if (has(&v->tax))
		s->vat.ok = 0;
	/* BR-48 reads the rate element whatever the category (none, or unknown) but O */
	if ((v->rate.text == NULL || !vat) && !outside)
		problem(k, ERR, "BR-48", 0, &v->rate, "give the VAT rate",
		        "the VAT breakdown%s%s has no rate",
		        has(&v->category) ? " of category " : "", has(&v->category) ? cat : "");
	else if (has(&v->rate) && (outside || check_number(k, &v->rate, "the VAT rate",
	                                                   "write the rate in percent") == 0))
		rated = dec_parse(v->rate.text, &rate) == 0;
	if (!vat || v->rate.text == NULL || rated) /* an unreadable rate: the artefacts stop */
		check_vat_co17(k, v, rated && vat ? &rate : NULL, &taxable, &tax);
	if (!has(&v->category) || !vat) {
		problem(k, ERR, "BR-47", 0, &v->category,
		        vat ? "give the VAT category"
		            : "write cac:TaxScheme/cbc:ID VAT in the category",
		        vat ? "the VAT breakdown has no VAT category"
		            : "the VAT breakdown's tax category is not a VAT category");
		return;
	}
	fam = cat_rule(cat);
	if (fam == NULL) {
		problem(k, ERR, "BR-CL-18", 0, &v->category, "use S, Z, E, AE, K, G or O",
		        "not a VAT category code");
		return;
	}
	if (k->inv->syntax == SYNTAX_CII && v->category.padded)
		return; /* as in check_rate(): no category's rules see it */
	if (outside)
		rated = 0, rate = (struct dec){0, 0};
	if (rated || outside)
		check_vat_duplicate(k, i, &rate);
	check_vat_exemption(k, v, fam);
	check_vat_taxable(k, v, fam, rated ? &rate : NULL, &taxable, s);
	check_vat_amount(k, v, fam, rated ? &rate : NULL, &taxable, &tax);
}
/* The VAT breakdown: at least one (BR-CO-18), each checked, and one for every VAT
 * category and rate the lines, allowances and charges use (BG-23). */
static void
check_vat_breakdown(struct ck *k, struct sums *s)
{
	size_t i;
	/* the CII artefact asks for it from an invoice line */
	if (k->inv->nvats == 0 && (k->inv->syntax != SYNTAX_CII || k->inv->nlines > 0))
		problem(k, ERR, "BR-CO-18", 0, NULL,
		        "give the VAT breakdown: one per VAT category and rate",
		        "the invoice has no VAT breakdown (BG-23)");
	for (i = 0; i < k->inv->nvats; i++)
		check_vat(k, i, s);
	for (i = 0; i < s->ngroups; i++) {
		char desc[64];
		if (s->groups[i].matched)
			continue;
		desc_group(desc, sizeof(desc), s->groups[i].cat, &s->groups[i].rate,
		           s->groups[i].has_rate);
		problem(k, ERR, "BG-23", 0, NULL,
		        "add a VAT breakdown for each VAT category and rate used",
		        "lines or allowances/charges are in %s, but the VAT breakdown has none",
		        desc);
	}
}

/* `rule` fails because `v`, which it reads, is absent (an empty sequence in the
 * artefacts' XPath makes the comparison false). */
static void
total_missing(struct ck *k, const char *rule, const struct inv_value *v, const char *what,
              const char *fix)
{
	problem(k, ERR, rule, 0, v, fix, "%s cannot be checked: it is missing", what);
}

/* BR-CO-11 (allowances) or BR-CO-12 (charge): the total of the document level
 * ones (n of them, their exact sum `sum`) is that sum rounded to the cent; no total
 * when there are none. */
static void
check_ac_total(struct ck *k, int charge, const struct amount *sum, const struct amount *total,
               size_t n)
{
	const struct inv_value *v = charge ? &k->inv->charge_total : &k->inv->allowance_total;
	const char *rule = charge ? "BR-CO-12" : "BR-CO-11",
	           *what = charge ? "charges" : "allowances";
	char sum_of[32], how[96], fix[64];

	snprintf(sum_of, sizeof(sum_of), "the sum of %s", what);
	if (sum->ok && has(v)) {
		snprintf(how, sizeof(how), "the sum of the document level %s, rounded to the cent",
		         what);
		snprintf(fix, sizeof(fix), "correct the %s total", charge ? "charge" : "allowance");
		if (total->ok)
			total_eq(k, rule, v, &total->v, sum_of, sum->v, 1, how, fix);
	} else if (n && v->text == NULL) {
		snprintf(fix, sizeof(fix), "give the sum of document level %s", what);
		problem(k, ERR, rule, 0, v, fix, "document level %s without their total (%s)", what,
		        charge ? "BT-108" : "BT-107");
	}
}

/* BR-CO-10 to BR-CO-13 and BR-CO-16: each total is what its parts add up to, the
 * stated total exact as written, the sum rounded to the cent where the artefacts
 * round it. */
static void
check_totals_sums(struct ck *k, const struct sums *s)
{
	const struct invoice *inv = k->inv;
	int ubl = inv->syntax == SYNTAX_UBL;
	char a1[48], a2[48], a3[48], how[256];
	struct dec x, lhs;

	if (!has(&inv->line_total))
		total_missing(k, "BR-CO-10", &inv->line_total, "the sum of line net amounts",
		              "give the sum of the line net amounts");
	else if (s->lines.ok && s->line_total.ok)
		total_eq(k, "BR-CO-10", &inv->line_total, &s->line_total.v,
		         "the sum of line net amounts", s->lines.v, 1,
		         "the sum of the lines, rounded to the cent",
		         "correct the total or the line net amounts");
	check_ac_total(k, 0, &s->allowances, &s->allowance_total, s->nallowances);
	check_ac_total(k, 1, &s->charges, &s->charge_total, s->ncharges);
	if (!has(&inv->tax_exclusive) || !has(&inv->line_total))
		total_missing(k, "BR-CO-13", &inv->tax_exclusive, "the total without VAT",
		              "give the total without VAT and the sum of the line net amounts");
	else if (s->line_total.ok && s->allowance_total.ok && s->charge_total.ok &&
	         s->tax_exclusive.ok) {
		fmt_amount(a1, sizeof(a1), s->line_total.v);
		fmt_amount(a2, sizeof(a2), s->allowance_total.v);
		fmt_amount(a3, sizeof(a3), s->charge_total.v);
		snprintf(how, sizeof(how), "line total %s - allowances %s + charges %s", a1, a2,
		         a3);
		if (dec_sum3(&x, &s->line_total.v, -1, &s->allowance_total.v, 1,
		             &s->charge_total.v) == -1)
			too_large(k, "BR-CO-13", &inv->tax_exclusive);
		else /* UBL takes the line total as it is when there is neither total */
			total_eq(k, "BR-CO-13", &inv->tax_exclusive, &s->tax_exclusive.v,
			         "the total without VAT", x,
			         !ubl || has(&inv->allowance_total) || has(&inv->charge_total), how,
			         "correct the total without VAT");
	}
	if (!has(&inv->payable) || !has(&inv->tax_inclusive))
		total_missing(k, "BR-CO-16", &inv->payable, "the amount due for payment",
		              "give the total with VAT and the amount due for payment");
	else if (s->tax_inclusive.ok && s->prepaid.ok && s->rounding.ok && s->payable.ok) {
		fmt_amount(a1, sizeof(a1), s->tax_inclusive.v);
		fmt_amount(a2, sizeof(a2), s->prepaid.v);
		fmt_amount(a3, sizeof(a3), s->rounding.v);
		snprintf(how, sizeof(how), "total with VAT %s - paid %s + rounding %s", a1, a2, a3);
		/* CII: due = total - paid + rounding, exactly; UBL: round(due - rounding) =
		 * round(total - paid), each side rounded only when its second amount is there */
		if (ubl && has(&inv->rounding)) {
			if (dec_diff(&s->payable.v, &s->rounding.v, &lhs) == -1 ||
			    dec_round2(&lhs) == -1 ||
			    dec_diff(&s->tax_inclusive.v, &s->prepaid.v, &x) == -1)
				too_large(k, "BR-CO-16", &inv->payable);
			else
				total_eq(k, "BR-CO-16", &inv->payable, &lhs,
				         "the amount due minus the rounding amount, rounded to the "
				         "cent,",
				         x, has(&inv->prepaid), how, "correct the amount due");
		} else if (dec_sum3(&x, &s->tax_inclusive.v, -1, &s->prepaid.v, ubl ? 0 : 1,
		                    &s->rounding.v) == -1)
			too_large(k, "BR-CO-16", &inv->payable);
		else
			total_eq(k, "BR-CO-16", &inv->payable, &s->payable.v,
			         "the amount due for payment", x, ubl && has(&inv->prepaid), how,
			         "correct the amount due");
	}
}

/* BR-CO-14: the VAT total is the sum of the breakdown's VAT amounts, rounded to the
 * cent; UBL asserts it on the cac:TaxTotal that holds a breakdown, CII on the VAT
 * total in the invoice currency (currencyID = BT-5), with or without a breakdown. */
static void
check_vat_total(struct ck *k, const struct sums *s)
{
	const struct invoice *inv = k->inv;
	if (inv->syntax == SYNTAX_UBL ? inv->nvats > 0
	                              : inv->tax_total.attr && has(&inv->currency) &&
	                                    strcmp(inv->tax_total.attr, inv->currency.text) == 0) {
		if (!has(&inv->tax_total))
			total_missing(k, "BR-CO-14", &inv->tax_total, "the VAT total",
			              "give the VAT total, the sum of the VAT breakdown");
		else if (s->vat.ok && s->tax_total.ok)
			total_eq(k, "BR-CO-14", &inv->tax_total, &s->tax_total.v, "the VAT total",
			         s->vat.v, 1, "the sum of the VAT breakdown, rounded to the cent",
			         "correct the VAT total or the breakdown");
	}
}

/* BR-CO-15, asserted for the invoice currency (BT-5; none: nothing to assert): one
 * VAT total in it (currencyID = BT-5; CII: or none when the total with VAT is the
 * total without), and total with VAT = total without + that VAT total. */
static void
check_total_with_vat(struct ck *k, const struct sums *s)
{
	const struct invoice *inv = k->inv;
	char a1[48], a2[48], how[256];

	if (!has(&inv->currency))
		return;
	if (inv->syntax == SYNTAX_CII && s->tax_exclusive.ok && s->tax_inclusive.ok &&
	    has(&inv->tax_exclusive) && has(&inv->tax_inclusive) &&
	    dec_eq(&s->tax_exclusive.v, &s->tax_inclusive.v))
		return;
	if (inv->ntax_totals_cur == 0) {
		problem(k, ERR, "BR-CO-15", 0, &inv->tax_total,
		        "give the VAT total in the invoice currency",
		        "the invoice total VAT amount (BT-110) in the invoice currency (%s) is "
		        "missing",
		        inv->currency.text);
		return;
	}
	if (inv->ntax_totals_cur > 1) {
		problem(k, ERR, "BR-CO-15", 0, &inv->tax_total,
		        "give one VAT total in the invoice currency",
		        "%d VAT totals (BT-110) in the invoice currency (%s)", inv->ntax_totals_cur,
		        inv->currency.text);
		return;
	}
	if (!has(&inv->tax_inclusive) || !has(&inv->tax_exclusive))
		total_missing(k, "BR-CO-15", &inv->tax_inclusive, "the total with VAT",
		              "give the total without VAT and the total with VAT");
	else if (s->tax_exclusive.ok && s->tax_total.ok && s->tax_inclusive.ok) {
		struct dec x;
		fmt_amount(a1, sizeof(a1), s->tax_exclusive.v);
		fmt_amount(a2, sizeof(a2), s->tax_total.v);
		snprintf(how, sizeof(how), "total without VAT %s + VAT %s", a1, a2);
		if (dec_sum3(&x, &s->tax_exclusive.v, 1, &s->tax_total.v, 0, NULL) == -1)
			too_large(k, "BR-CO-15", &inv->tax_inclusive);
		else
			total_eq(k, "BR-CO-15", &inv->tax_inclusive, &s->tax_inclusive.v,
			         "the total with VAT", x, 1, how, "correct the total with VAT");
	}
}

/* The document totals (BG-22): present (BR-12 to BR-15, BR-CO-15), well-formed, and
 * each what its parts add up to (BR-CO-10 to BR-CO-16). Fills s's stated totals. */
static void
check_totals(struct ck *k, struct sums *s)
{
	const struct invoice *inv = k->inv;

	s->line_total = stated(k, &inv->line_total, "BR-DEC-09", "the sum of line net amounts", 1);
	s->allowance_total =
	    stated(k, &inv->allowance_total, "BR-DEC-10", "the sum of allowances", 0);
	s->charge_total = stated(k, &inv->charge_total, "BR-DEC-11", "the sum of charges", 0);
	s->tax_exclusive = stated(k, &inv->tax_exclusive, "BR-DEC-12", "the total without VAT", 1);
	/* an absent VAT total counts as 0 (CII's BR-CO-15 allows it when there is no VAT) */
	/* the UBL artefact's BR-DEC-13 never fires (it looks for DocumentCurrencyCode
	 * inside cbc:TaxAmount): in UBL the decimals are Chorus Pro's own AMOUNT rule */
	s->tax_total =
	    stated(k, &inv->tax_total, inv->syntax == SYNTAX_UBL ? "AMOUNT" : "BR-DEC-13",
	           "the VAT total", 0);
	s->tax_inclusive = stated(k, &inv->tax_inclusive, "BR-DEC-14", "the total with VAT", 1);
	s->prepaid = stated(k, &inv->prepaid, "BR-DEC-16", "the paid amount", 0);
	s->rounding = stated(k, &inv->rounding, "BR-DEC-17", "the rounding amount", 0);
	s->payable = stated(k, &inv->payable, "BR-DEC-18", "the amount due for payment", 1);

	/* BR-12..15: the artefacts look for them in the totals' element only (the schema
	 * requires that element) */
	if (inv->totals) {
		if (!has(&inv->line_total))
			problem(k, ERR, "BR-12", 0, &inv->line_total,
			        "give the sum of the line net amounts",
			        "the sum of line net amounts (BT-106) is missing");
		if (!has(&inv->tax_exclusive))
			problem(k, ERR, "BR-13", 0, &inv->tax_exclusive,
			        "give the total without VAT",
			        "the invoice total without VAT (BT-109) is missing");
		if (!has(&inv->tax_inclusive))
			problem(k, ERR, "BR-14", 0, &inv->tax_inclusive, "give the total with VAT",
			        "the invoice total with VAT (BT-112) is missing");
		if (!has(&inv->payable))
			problem(k, ERR, "BR-15", 0, &inv->payable,
			        "give the amount due for payment",
			        "the amount due for payment (BT-115) is missing");
		/* BR-CO-10 to 13 and 16 are asserted on this element: an absent amount they
		 * read fails them */
		check_totals_sums(k, s);
	}
	check_vat_total(k, s);
	check_total_with_vat(k, s);
}

/* Chorus Pro's signs: a credit note's totals are not negative; a negative invoice
 * total is a warning (a refund is a credit note). */
static void
check_signs(struct ck *k, const struct sums *s)
{
	const struct invoice *inv = k->inv;
	size_t i;
	if (credit_note(inv)) {
		const struct inv_value *tot[] = {&inv->tax_exclusive, &inv->tax_inclusive,
		                                 &inv->payable};
		for (i = 0; i < nitems(tot); i++) {
			struct dec v;
			if (dec_read(tot[i], &v) == 0 && dec_sign(&v) < 0)
				problem(k, ERR, "SIGN", 1, tot[i],
				        "write the credit note (381) with positive amounts",
				        "a negative total on a credit note; "
				        "Chorus Pro wants the amounts of a credit note positive");
		}
	} else if (s->tax_inclusive.ok && dec_sign(&s->tax_inclusive.v) < 0)
		problem(k, WARN, "SIGN", 1, &inv->tax_inclusive,
		        "for a refund, send a credit note (381) with positive amounts",
		        "a negative invoice total");
}

/* Cadre A2 (invoice already paid): the paid amount is the total, nothing is due. */
static void
check_prepaid(struct ck *k, const struct sums *s)
{
	const struct invoice *inv = k->inv;
	if (has(&inv->cadre) && strcmp(inv->cadre.text, "A2") == 0 && s->payable.ok &&
	    s->tax_inclusive.ok && s->prepaid.ok &&
	    (dec_sign(&s->payable.v) != 0 || !dec_eq(&s->prepaid.v, &s->tax_inclusive.v)))
		problem(k, ERR, "CADRE", 1, &inv->payable,
		        "with cadre A2 the paid amount equals the total and nothing is due; "
		        "use A1 otherwise",
		        "cadre A2 (invoice already paid) but an amount is still due");
}

/* Every rule on amounts, in document order: lines, document allowances and charges,
 * VAT breakdown, totals, then signs, cadre A2 and the payment. */
static void
check_amounts(struct ck *k)
{
	struct sums s;
	memset(&s, 0, sizeof(s));
	s.lines.ok = s.allowances.ok = s.charges.ok = s.vat.ok = 1;
	check_lines(k, &s);
	check_document_acs(k, &s);
	check_vat_breakdown(k, &s);
	check_totals(k, &s);
	check_signs(k, &s);
	check_prepaid(k, &s);
	check_payment(k, &s.payable);
	free(s.groups);
}

/* Supporting documents (BG-24): Chorus Pro wants their content. */
static void
check_attachments(struct ck *k)
{
	const struct invoice *inv = k->inv;
	size_t i, j;
	/* BR-52 on every document reference the artefacts reach: UBL's
	 * cac:AdditionalDocumentReference, whatever its type, CII's
	 * ram:AdditionalReferencedDocument, also a line's */
	for (i = 0; i < inv->ndocrefs; i++)
		if (!has(&inv->docrefs[i].id))
			problem(k, ERR, "BR-52", 0, &inv->docrefs[i].id,
			        "give attachment/id, the supporting document's reference",
			        "a referenced document without its identifier (BT-122)");
	for (i = 0; inv->syntax == SYNTAX_CII && i < inv->nlines; i++)
		for (j = 0; j < inv->lines[i].ndocrefs; j++)
			if (!has(&inv->lines[i].docrefs[j].id))
				problem(k, ERR, "BR-52", 0, &inv->lines[i].docrefs[j].id,
				        "give the line's object identifier",
				        "a referenced document without its identifier");
	for (i = 0; i < k->inv->nattachments; i++) {
		const struct inv_attachment *a = &k->inv->attachments[i];
		if (a->content_len == 0 && !has(&a->uri)) {
			problem(k, ERR, "ATTACHMENT", 1, &a->id,
			        k->inv->generated
			            ? "put the file in [transform] attachment_dir so that chorusgw "
			              "embeds it, or remove the <attachment> from the export"
			            : "embed the file (BT-125) or remove the reference",
			        "a supporting document without its content; Chorus Pro refuses it");
			continue;
		}
		if (a->content_len == 0)
			continue;
		/* a MIME code outside EN 16931's list is BR-CL-24 (the syntax walk); none,
		 * or no file name, the CEN artefacts let pass (but UBL-DT-06/07 in UBL) */
		if (!has(&a->mime))
			problem(
			    k, ERR, "ATTACHMENT", 1, &a->mime,
			    "attach PDF, PNG, JPEG, CSV, XLSX or ODS files, with their MIME code",
			    "an embedded document without its MIME code (BT-125-1)");
		if (!has(&a->filename))
			problem(k, ERR, "ATTACHMENT", 1, &a->filename, "give the file name",
			        "an embedded document without its file name (BT-125-2)");
		else if (utf8_chars(a->filename.text) > 50)
			problem(k, ERR, "ATTACHMENT", 1, &a->filename,
			        "rename the file (at most 50 characters with its extension)",
			        "the file name is longer than Chorus Pro's 50 characters");
		if (a->content_len / 4 * 3 > 10 * 1024 * 1024)
			problem(
			    k, ERR, "ATTACHMENT", 1, &a->filename,
			    "send a smaller file (Chorus Pro takes at most 10 MB per attachment)",
			    "the attachment is larger than 10 MB");
	}
}

/* Every invoicing period (BG-14: BR-29, BR-CO-19) and the VAT point date (BR-CO-03: BT-7
 * or BT-8, not both; CII looks for them anywhere, from a VAT breakdown). */
static void
check_period(struct ck *k)
{
	const struct invoice *inv = k->inv;
	int cii = inv->syntax == SYNTAX_CII;
	unsigned codes = inv->period & PERIOD_CODE;
	check_period_dates(k, inv->period, &inv->period_start, &inv->period_end, 0);
	for (size_t i = 0; i < inv->nmore_periods; i++) {
		const struct inv_span *s = &inv->more_periods[i];
		check_period_dates(k, s->parts, &s->start, &s->end, 0);
		codes |= s->parts & PERIOD_CODE;
	}
	if (cii ? inv->vat_co03 && inv->tax_point_any && inv->due_code_any
	        : inv->tax_point_date.text && codes)
		problem(k, ERR, "BR-CO-03", 0, &inv->tax_point_date,
		        "give vat-point-date or vat-due-on, not both",
		        "both the VAT point date (BT-7) and its code (BT-8) are given");
}

/* One of a[0..na) has the text of one of b[0..nb), as written (XPath's general
 * comparison "=", which neither trims nor normalizes). */
static int
same_text(const struct inv_value *a, size_t na, const struct inv_value *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; a[i].text && j < nb; j++)
			if (inv_value_same(&a[i], &b[j]))
				return 1;
	return 0;
}

/* BR-17: a payee (BG-10) has its name, and is not the seller (the UBL artefact compares
 * the names, BT-59 with BT-28, and the identifiers; CII's the names, BT-59 with BT-27,
 * the identifiers and the legal registration identifiers). */
static void
check_payee(struct ck *k, const struct inv_party *p)
{
	const struct inv_party *s = &k->inv->supplier;
	if (p->nnames == 0)
		problem(k, ERR, "BR-17", 0, &p->name, "give payee/name",
		        "the payee (BG-10) has no name (BT-59)");
	else if (same_text(p->names, p->nnames, s->names, s->nnames) ||
	         (k->inv->syntax == SYNTAX_UBL
	              ? same_text(p->ids, p->nids, s->ids, s->nids)
	              : same_text(p->cii_ids, p->ncii_ids, s->cii_ids, s->ncii_ids) ||
	                    same_text(p->legal_ids, p->nlegal_ids, s->legal_ids, s->nlegal_ids)))
		problem(k, ERR, "BR-17", 0, &p->names[0],
		        "leave payee out when the supplier itself is paid; a payee has its own "
		        "payee/name and payee/siret",
		        "the payee (BG-10) has the seller's name or identifier: EN 16931 wants a "
		        "payee only when it is not the seller");
}

/* The parties other than the seller and the buyer: the payee (BR-17), and the VAT
 * identifiers of all (BR-CO-09). */
static void
check_others(struct ck *k)
{
	for (size_t i = 0; i < k->inv->nothers; i++) {
		const struct inv_party *p = &k->inv->others[i];
		char *whose = xasprintf("the %s", p->role);
		if (strncmp(p->role, "payee", 5) == 0)
			check_payee(k, p);
		check_vat_prefixes(k, p->vat_ids, p->nvat_ids, whose);
		free(whose);
	}
}

/* The seller's tax representative (BG-11), when there is one. */
static void
check_tax_rep(struct ck *k)
{
	const struct invoice *inv = k->inv;
	if (!inv->tax_rep)
		return;
	if (!has(&inv->tax_rep_name))
		problem(k, ERR, "BR-18", 0, &inv->tax_rep_name, "give tax-representative/name",
		        "the seller's tax representative has no name (BT-62)");
	if (!inv->tax_rep_address)
		problem(k, ERR, "BR-19", 0, &inv->tax_rep_name, "give tax-representative/address",
		        "the seller's tax representative has no postal address (BG-12)");
	if (!has(&inv->tax_rep_vat_id))
		problem(k, ERR, "BR-56", 0, &inv->tax_rep_vat_id, "give tax-representative/vat-id",
		        "the seller's tax representative has no VAT identifier (BT-63)");
	check_vat_prefixes(k, inv->tax_rep_vat_ids, inv->ntax_rep_vat_ids,
	                   "the tax representative's");
}

size_t
check_invoice(const struct invoice *inv, time_t now, struct problems *out)
{
	struct ck k;
	memset(&k, 0, sizeof(k));
	k.inv = inv;
	k.out = out;
	k.now = now;
	check_header(&k);
	check_party(&k, &inv->supplier, 0);
	check_party(&k, &inv->buyer, 1);
	check_tax_rep(&k);
	check_others(&k);
	check_period(&k);
	check_amounts(&k);
	check_other_vat_ids(&k);
	vatcat_check(inv, out);
	check_attachments(&k);
	return k.errors;
}

/* ---- the buyer's requirements (Structures API) --------------------------------- */

/* The buyer's active services other than `except`, "A, B, C"; NULL when none. Caller
 * frees. */
static char *
active_services(const struct buyer_req *req, const struct buyer_service *except)
{
	struct buf b;
	size_t i;
	buf_init(&b);
	for (i = 0; i < req->nservices; i++) {
		const struct buyer_service *sv = &req->services[i];
		if (sv != except && sv->code && sv->active && !sv->public_only)
			buf_printf(&b, "%s%s", b.len ? ", " : "", sv->code);
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The service code the invoice carries, against the buyer's services. */
static void
check_buyer_service(struct ck *k, const struct buyer_req *req, const char *who)
{
	const struct inv_value *svc = &k->inv->service_code;
	const char *siret = k->inv->buyer.siret.text;
	const struct buyer_service *found = NULL;
	char *known, *fix;
	size_t i;

	for (i = 0; i < req->nservices; i++)
		if (req->services[i].code && strcmp(req->services[i].code, svc->text) == 0)
			found = &req->services[i];
	if (found && found->active) {
		/* the service's own requirement, where its structure has none (said above) */
		if (found->engagement_required && !req->engagement_required &&
		    k->inv->engagement.text == NULL)
			problem(k, ERR, "BUYER-ENGAGEMENT", 1, &k->inv->engagement,
			        "add the buyer's order number to the invoice",
			        "the service %s of the buyer %s (%s) requires an "
			        "engagement number (numéro d'engagement juridique, "
			        "BT-13), though the buyer's structure does not",
			        svc->text, siret, who);
		return;
	}
	known = active_services(req, found);
	fix = known ? xasprintf("write one of its active services: %s", known)
	            : xstrdup("ask the buyer for its service code");
	if (found == NULL)
		problem(k, ERR, "BUYER-SERVICE", 1, svc, fix,
		        "the service code %s does not exist at the buyer %s (%s)", svc->text, siret,
		        who);
	else
		problem(k, ERR, "BUYER-SERVICE", 1, svc, fix,
		        "the service code %s is inactive at the buyer %s (%s)", svc->text, siret,
		        who);
	free(fix);
	free(known);
}

static void
check_buyer(struct ck *k, const struct buyer_req *req)
{
	const struct invoice *inv = k->inv;
	const char *siret = inv->buyer.siret.text ? inv->buyer.siret.text : "?";
	const char *who = req->name ? req->name : "?";
	int svc = inv->service_code.text != NULL, ej = inv->engagement.text != NULL;

	if (!req->found) {
		problem(k, ERR, "BUYER", 1, &inv->buyer.siret,
		        "check the buyer's SIRET in the invoice",
		        "the buyer SIRET %s is not a structure of Chorus Pro: "
		        "the Structures API does not know it",
		        siret);
		return;
	}
	if (req->status && strcmp(req->status, "ACTIVE") != 0) {
		problem(k, ERR, "BUYER", 1, &inv->buyer.siret,
		        "ask the buyer which structure to invoice",
		        "the buyer %s (%s) is %s in Chorus Pro", siret, who, req->status);
		return;
	}
	if (req->service_required && !svc)
		problem(k, ERR, "BUYER-SERVICE", 1, &inv->service_code,
		        "add the buyer's service code to the invoice",
		        "the buyer %s (%s) requires a service code (code service exécutant, BT-10)",
		        siret, who);
	if (req->engagement_required && !ej)
		problem(k, ERR, "BUYER-ENGAGEMENT", 1, &inv->engagement,
		        "add the buyer's order number to the invoice",
		        "the buyer %s (%s) requires an engagement number "
		        "(numéro d'engagement juridique, BT-13)",
		        siret, who);
	if (req->service_or_engagement && !svc && !ej)
		problem(k, ERR, "BUYER-SERVICE-OR-ENGAGEMENT", 1, &inv->service_code,
		        "add one of them to the invoice",
		        "the buyer %s (%s) requires a service code or an engagement number", siret,
		        who);
	if (svc)
		check_buyer_service(k, req, who);
}

void
buyer_req_free(struct buyer_req *req)
{
	size_t i;
	if (req == NULL)
		return;
	free(req->name);
	free(req->status);
	for (i = 0; i < req->nservices; i++)
		free(req->services[i].code);
	free(req->services);
	free(req);
}

size_t
preflight_buyer(struct preflight *pf, const struct buyer_req *req)
{
	struct ck k;
	memset(&k, 0, sizeof(k));
	k.inv = pf->inv;
	k.out = &pf->problems;
	if (pf->inv == NULL)
		return 0;
	check_buyer(&k, req);
	if (k.errors)
		pf->verdict = PF_REJECT;
	return k.errors;
}

/* ---- the whole document -------------------------------------------------------- */

void
preflight_free(struct preflight *pf)
{
	xform_result_free(&pf->x);
	invoice_free(pf->inv);
	problems_free(&pf->problems);
	memset(pf, 0, sizeof(*pf));
}

/* Where an ERP export fixes what a rule of the syntax walk reports, for the rules an
 * export can break (its XSD lets these codes through); the others the stylesheets
 * never break: the document is to be corrected. */
static const struct {
	const char *id, *fix;
} erp_fixes[] = {
    {"BR-CL-08", "write a UNTDID 4451 code in the export's note/@subject"},
    {"BR-CL-10", "write an ISO 6523 ICD in the export's supplier/identifier/@scheme, and "
                 "[transform] siret_scheme = 0009"},
    {"BR-CL-11", "write an ISO 6523 ICD in the export's supplier/identifier/@scheme, and "
                 "[transform] siret_scheme = 0009"},
    {"BR-CL-14", "write an ISO 3166-1 alpha-2 code, such as FR, in the export's "
                 "address/country (supplier, buyer, payee, delivery)"},
    {"BR-CL-24", "attach PDF, PNG, JPEG, CSV, XLSX or ODS files (the export's "
                 "attachment/mime-type)"},
    {"BR-CL-25", "write a CEF EAS code in the export's electronic-address/@scheme "
                 "(supplier, buyer)"},
};

struct syntax_ctx {
	struct problems *out;
	int erp; /* the document was made from an ERP export */
};

/* An element or attribute EN 16931 forbids (there, when the path has a condition
 * "[...]"), or an element that fails a test of the syntax (xform_syntax_check()'s
 * callback). */
static void
syntax_problem(void *arg, const struct rule *r, const char *path, int line, const char *test)
{
	struct syntax_ctx *sc = arg;
	enum problem_sev sev = r->flag == RULE_FATAL ? SEV_ERROR : SEV_WARNING;
	const char *fix = "correct the UBL or CII document (chorusgw-rules(7))";
	char *what;
	size_t i;
	if (test == NULL && strchr(r->what, '[') == NULL) {
		problems_add(
		    sc->out, sev, r->id, 0, path, line, NULL, "an element EN 16931 does not use",
		    "remove it: the stylesheets never write it, the ERP export cannot say it");
		return;
	}
	for (i = 0; sc->erp && i < nitems(erp_fixes); i++)
		if (strcmp(erp_fixes[i].id, r->id) == 0)
			fix = erp_fixes[i].fix;
	what = test ? xasprintf("EN 16931 requires %s here", test)
	            : xasprintf("EN 16931 does not allow this element here (%s)", r->what);
	problems_add(sc->out, sev, r->id, 0, path, line, NULL, what, fix);
	free(what);
}

/* With [transform] siret_scheme = 1, chorusgw writes Chorus Pro's own code as the
 * scheme of the SIRETs (and of a supplier's identifier of type 2 or 3), which the
 * CEN artefacts refuse (BR-CL-10, BR-CL-11). The operator chose it because Chorus Pro
 * asked for it (test-connection --deposit says which), so on the Chorus Pro route, for
 * a document chorusgw made, they are warnings that say so; on a PA's, errors. */
static void
chorus_scheme_warnings(struct problems *ps)
{
	size_t i;
	for (i = 0; i < ps->n; i++) {
		struct problem *p = &ps->v[i];
		char *text;
		if (p->sev != SEV_ERROR ||
		    (strcmp(p->rule, "BR-CL-10") != 0 && strcmp(p->rule, "BR-CL-11") != 0))
			continue;
		p->sev = SEV_WARNING;
		ps->nerrors--;
		ps->nwarnings++;
		text = xasprintf("%s; [transform] siret_scheme = 1 writes Chorus Pro's own scheme, "
		                 "which Chorus Pro takes and EN 16931 does not",
		                 p->text);
		free(p->text);
		p->text = text;
	}
}

/* Leave out the problems of Chorus Pro's own rules (the route does not apply them). */
static void
drop_chorus_rules(struct problems *ps)
{
	size_t i, kept = 0;
	for (i = 0; i < ps->n; i++) {
		struct problem *p = &ps->v[i];
		if (!p->chorus) {
			ps->v[kept++] = *p;
			continue;
		}
		if (p->sev == SEV_ERROR)
			ps->nerrors--;
		else
			ps->nwarnings--;
		problem_release(p);
	}
	ps->n = kept;
}

int
check_document(const void *data, size_t len, const char *name, const struct conf *c, unsigned route,
               time_t now, struct preflight *pf, char **why)
{
	const struct route_preflight *rp = route_preflight(route);
	struct xform_diags xsd;
	char *xwhy = NULL;
	int rc;
	size_t i;

	if (rp == NULL)
		rp = route_preflight(ROUTE_CHORUS);
	preflight_hook(name, rp->name); /* tests: a document that crashes or lasts (fileio.h) */
	memset(pf, 0, sizeof(*pf));
	pf->verdict = PF_REJECT;
	if (xform_make(data, len, name, c, rp->route, &pf->x, &xwhy) == -1) {
		if (pf->x.setup) {
			pf->verdict = PF_SETUP;
			problems_add(&pf->problems, SEV_ERROR, "SETUP", 0, NULL, 0, NULL, xwhy,
			             "fix the configuration ([transform] and [map.NAME] sections)");
		} else if (pf->x.input.n) {
			for (i = 0; i < pf->x.input.n; i++)
				problems_add(&pf->problems, SEV_ERROR, "ERP-XSD", 0,
				             pf->x.input.v[i].path, pf->x.input.v[i].line, NULL,
				             pf->x.input.v[i].msg,
				             "correct the export (chorusgw-erp(5))");
			if (pf->x.input.more)
				problems_add(&pf->problems, SEV_ERROR, "ERP-XSD", 0, NULL, 0, NULL,
				             "more problems against erp-invoice.xsd", NULL);
		} else
			problems_add(&pf->problems, SEV_ERROR, "INPUT", 0, NULL, 0, NULL, xwhy,
			             NULL);
		if (why)
			*why = xwhy;
		else
			free(xwhy);
		return -1;
	}

	rc = xform_validate(&pf->x, c, &xsd, &xwhy);
	if (rc == -1) {
		pf->verdict = PF_SETUP;
		problems_add(&pf->problems, SEV_ERROR, "SETUP", 0, NULL, 0, NULL, xwhy,
		             "check [transform] schema_dir");
		if (why)
			*why = xwhy;
		else
			free(xwhy);
		return -1;
	}
	pf->xsd_checked = rc == 0;
	for (i = 0; i < xsd.n; i++)
		problems_add(&pf->problems, SEV_ERROR, "XSD", 0, xsd.v[i].path, xsd.v[i].line, NULL,
		             xsd.v[i].msg,
		             pf->x.syntax != SYNTAX_CII
		                 ? "the document must follow the UBL 2.1 schema"
		             : rp->cii_d22b ? "the document must follow the CII D22B schema"
		                            : "the document must follow the CII D16B schema");
	if (xsd.more)
		problems_add(&pf->problems, SEV_ERROR, "XSD", 0, NULL, 0, NULL,
		             "more errors against the schema", NULL);
	xform_diags_free(&xsd);

	pf->inv = xform_model(&pf->x);
	if (pf->inv)
		check_invoice(pf->inv, now, &pf->problems);
	{
		struct syntax_ctx sc = {&pf->problems, pf->x.kind == XK_ERP};
		xform_syntax_check(pf->x.doc, pf->x.syntax, syntax_problem, &sc);
	}
	if (rp->route == ROUTE_CHORUS && pf->x.kind == XK_ERP && c && c->siret_scheme &&
	    strcmp(c->siret_scheme, "1") == 0)
		chorus_scheme_warnings(&pf->problems);
	if (pf->inv && (ruleset_named("BR-FR")->routes & rp->route))
		check_brfr(pf->inv, &pf->problems);
	if (!rp->chorus_rules)
		drop_chorus_rules(&pf->problems);

	if (pf->problems.nerrors == 0) {
		pf->verdict = PF_OK;
		return 0;
	}
	if (why) {
		for (i = 0; i < pf->problems.n; i++)
			if (pf->problems.v[i].sev == SEV_ERROR)
				break;
		if (pf->problems.nerrors > 1)
			*why = xasprintf("%s (and %zu more error%s)", pf->problems.v[i].text,
			                 pf->problems.nerrors - 1,
			                 pf->problems.nerrors > 2 ? "s" : "");
		else
			*why = xstrdup(pf->problems.v[i].text);
	}
	return -1;
}
