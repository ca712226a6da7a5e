/*
 * vatcat.c - the EN 16931 rules on which VAT categories an invoice uses and what each
 * asks of the parties, on the invoice model (invoice.h): for every category (S, Z, E,
 * AE, K, G, O, L, M) the breakdown it needs (BR-x-01) and the identifiers of the
 * seller and buyer its lines, allowances and charges need (BR-x-02, -03, -04); a
 * breakdown O alone (BR-O-11..14); what an intra-community supply needs (BR-IC-11,
 * -12); split payment (BR-B-01, -02). One table says what each category needs; the
 * rates, amounts and exemption reasons of the categories are check.c's.
 *
 * Errors: appended to a struct problems (check.h); nothing here fails.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "invoice.h"
#include "vatcat.h"

/* What the lines, allowances and charges of a category need of the parties. */
enum needs {
	SELLER_TAX_ID,          /* seller VAT id (BT-31), tax registration id (BT-32) or the tax
	                           representative's VAT id (BT-63) */
	SELLER_TAX_ID_BUYER_ID, /* that, and the buyer's VAT id (BT-48) or legal
	                           registration id (BT-47) */
	SELLER_VAT_BUYER_VAT,   /* seller or representative VAT id, and buyer VAT id */
	SELLER_VAT,             /* seller or representative VAT id */
	NO_VAT_ID,              /* none of BT-31, BT-63, BT-48 */
};

static const struct category {
	const char *code, *family, *name;
	int one_breakdown; /* 1: exactly one breakdown; 0: at least one */
	enum needs needs;
} categories[] = {
    {"S", "S", "standard rate", 0, SELLER_TAX_ID},
    {"Z", "Z", "zero rate", 1, SELLER_TAX_ID},
    {"E", "E", "exempt", 1, SELLER_TAX_ID},
    {"AE", "AE", "reverse charge", 1, SELLER_TAX_ID_BUYER_ID},
    {"K", "IC", "intra-community supply", 1, SELLER_VAT_BUYER_VAT},
    {"G", "G", "export outside the EU", 1, SELLER_VAT},
    {"O", "O", "outside the scope of VAT", 1, NO_VAT_ID},
    {"L", "AF", "IGIC", 0, SELLER_TAX_ID},
    {"M", "AG", "IPSI", 0, SELLER_TAX_ID},
};

static int
has(const struct inv_value *v)
{
	return v->text != NULL && *v->text != '\0';
}

/* How find_uses() and is() read a category. */
enum {
	AS_WRITTEN = 1, /* compared as written, blanks and all (CII's ram:CategoryCode = 'S',
	                   UBL's BR-B-01, -02 cbc:ID = 'B'), not normalize-space()'d */
	ANY_SCHEME = 2, /* UBL: under any cac:TaxScheme, not only VAT */
};

/* v has the code `code`: its text as written, or blanks trimmed (how: AS_WRITTEN). */
static int
is(const struct inv_value *v, const char *code, unsigned how)
{
	return (how & AS_WRITTEN) ? inv_value_is(v, code)
	                          : v->text != NULL && strcmp(v->text, code) == 0;
}

/* CII compares every category as written, UBL after normalize-space(). */
static unsigned
cat_how(const struct invoice *inv)
{
	return inv->syntax == SYNTAX_CII ? AS_WRITTEN : 0;
}

/* Where the category is used: the first line, document allowance and charge, and
 * the breakdowns. */
struct use {
	/* under the VAT tax scheme; an allowance or charge by its indicator (BR-x-02..04) */
	const struct inv_value *line, *allowance, *charge;
	/* any use, as BR-x-01 counts them */
	const struct inv_value *any;
	/* an S line outside the VAT tax scheme, and none in it: UBL's BR-S-02 fails,
	 * whatever the parties */
	const struct inv_value *s_other;
	size_t nvats;
	const struct inv_value *vat;
	size_t nlines, nacs; /* how many lines, allowances and charges have it (CII's BR-S-01,
	                        BR-AF-01, BR-AG-01 count them) */
};

static void
find_uses(const struct invoice *inv, const char *code, struct use *u, unsigned how)
{
	/* UBL: a category counts under the VAT tax scheme only, but in BR-S-01 (which
	 * reads it whatever the scheme, and whatever an allowance's indicator) */
	int s = strcmp(code, "S") == 0 || (how & ANY_SCHEME);
	size_t i;
	memset(u, 0, sizeof(*u));
	for (i = 0; i < inv->nlines; i++) {
		const struct inv_line *l = &inv->lines[i];
		if (!is(&l->vat_category, code, how))
			continue;
		u->nlines++;
		if (!l->vat_not_vat && !u->line)
			u->line = &l->vat_category;
		if (l->vat_not_vat && s && !u->s_other)
			u->s_other = &l->vat_category;
		if ((!l->vat_not_vat || s) && !u->any)
			u->any = &l->vat_category;
	}
	if (u->line)
		u->s_other = NULL;
	for (i = 0; i < inv->nacs; i++) {
		const struct inv_ac *ac = &inv->acs[i];
		int ind = inv_ac_indicator(ac);
		if (!is(&ac->vat_category, code, how))
			continue;
		u->nacs++;
		if ((!ac->vat_not_vat || s) && !u->any)
			u->any = &ac->vat_category;
		if (ac->vat_not_vat)
			continue;
		/* BR-AF-04 reads a charge's category as written, blanks and all: " L "
		 * is no IGIC charge (UBL compares cbc:ID='L', CII ram:CategoryCode = 'L') */
		if (ind == 1 && !u->charge && !(ac->vat_category.padded && strcmp(code, "L") == 0))
			u->charge = &ac->vat_category;
		else if (ind == 0 && !u->allowance)
			u->allowance = &ac->vat_category;
	}
	/* UBL: the breakdowns of every cac:TaxTotal, as BR-x-01 and BR-B-01, -02 read
	 * cac:TaxTotal/cac:TaxSubtotal */
	for (i = 0; i < inv->nvats + inv->nvats_other; i++)
		if (is(&inv->vats[i].category, code, how) && (!inv->vats[i].vat_not_vat || s)) {
			if (u->nvats++ == 0)
				u->vat = &inv->vats[i].category;
		}
}

static void
add(struct problems *out, const char *family, int n, const struct inv_value *at, const char *what,
    const char *fix)
{
	char rule[16];
	snprintf(rule, sizeof(rule), "BR-%s-%02d", family, n);
	problems_add(out, SEV_ERROR, rule, 0, at ? at->path : NULL, at ? at->line : 0,
	             at && has(at) ? at->text : NULL, what, fix);
}

/* Does the invoice give what category `c` needs of the parties? */
static int
parties_ok(const struct invoice *inv, enum needs needs)
{
	int seller_vat = has(&inv->supplier.vat_id) || has(&inv->tax_rep_vat_id);
	int seller_tax = seller_vat || has(&inv->supplier.tax_reg_id);
	switch (needs) {
	case SELLER_TAX_ID:
		return seller_tax;
	case SELLER_TAX_ID_BUYER_ID:
		return seller_tax && (has(&inv->buyer.vat_id) || has(&inv->buyer.legal_id));
	case SELLER_VAT_BUYER_VAT:
		return seller_vat && has(&inv->buyer.vat_id);
	case SELLER_VAT:
		return seller_vat;
	case NO_VAT_ID:
		return !seller_vat && !has(&inv->buyer.vat_id);
	}
	return 1;
}

static const char *
needs_text(enum needs needs)
{
	switch (needs) {
	case SELLER_TAX_ID:
		return "the seller's VAT identifier (BT-31), tax registration identifier "
		       "(BT-32) or tax representative's VAT identifier (BT-63)";
	case SELLER_TAX_ID_BUYER_ID:
		return "the seller's VAT identifier (BT-31), tax registration identifier "
		       "(BT-32) or tax representative's VAT identifier (BT-63), and the buyer's "
		       "VAT identifier (BT-48) or legal registration identifier (BT-47)";
	case SELLER_VAT_BUYER_VAT:
		return "the seller's (BT-31) or its tax representative's (BT-63) VAT "
		       "identifier, and the buyer's VAT identifier (BT-48)";
	case SELLER_VAT:
		return "the seller's (BT-31) or its tax representative's (BT-63) VAT identifier";
	case NO_VAT_ID:
		return "no VAT identifier of the seller (BT-31), its tax representative "
		       "(BT-63) or the buyer (BT-48)";
	}
	return "";
}

static const char *
needs_fix(enum needs needs)
{
	switch (needs) {
	case SELLER_TAX_ID:
		return "give supplier/vat-id, or supplier/tax-registration-id (a "
		       "micro-entrepreneur's SIREN), or a tax-representative in the export";
	case SELLER_TAX_ID_BUYER_ID:
		return "give supplier/vat-id (or tax-registration-id) and buyer/vat-id";
	case SELLER_VAT_BUYER_VAT:
		return "give supplier/vat-id (or the tax-representative's) and buyer/vat-id";
	case SELLER_VAT:
		return "give supplier/vat-id, or the tax-representative's vat-id";
	case NO_VAT_ID:
		return "remove the VAT identifiers, or use the category that applies";
	}
	return "";
}

/* Where to point when the parties lack something: the first identifier missing. */
static const struct inv_value *
parties_at(const struct invoice *inv, enum needs needs)
{
	if (needs == NO_VAT_ID)
		return has(&inv->supplier.vat_id)  ? &inv->supplier.vat_id
		       : has(&inv->tax_rep_vat_id) ? &inv->tax_rep_vat_id
		                                   : &inv->buyer.vat_id;
	if (!has(&inv->supplier.vat_id) && !has(&inv->tax_rep_vat_id) &&
	    (needs == SELLER_VAT || needs == SELLER_VAT_BUYER_VAT ||
	     !has(&inv->supplier.tax_reg_id)))
		return &inv->supplier.vat_id;
	return &inv->buyer.vat_id;
}

/* BR-x-01 as each artefact words it: S, L, M need a group when used (UBL: and
 * none when unused; CII: the lines that use it and the groups are 2 or more, and so
 * are the allowances and charges and the groups); the others exactly one group when
 * used or in the breakdown (UBL), or one group and a use, or neither (CII; O: a
 * group needs a use). */
static int
breakdown_wrong(const struct invoice *inv, const struct category *c, const struct use *u)
{
	int ubl = inv->syntax == SYNTAX_UBL, used = u->any != NULL;
	size_t nvats = u->nvats;
	if (!c->one_breakdown && !ubl)
		return (u->nlines && u->nlines + nvats < 2) || (u->nacs && u->nacs + nvats < 2);
	if (!c->one_breakdown)
		return used ? nvats == 0 : nvats > 0;
	if (ubl)
		return (used || nvats) && nvats != 1;
	if (strcmp(c->code, "O") == 0)
		return nvats > 0 && !(nvats == 1 && used);
	return !(nvats == 0 && !used) && !(nvats == 1 && used);
}

static void
check_category(const struct invoice *inv, const struct category *c, struct problems *out)
{
	static const char *const where[] = {"an invoice line", "a document allowance",
	                                    "a document charge"};
	struct use u;
	const struct inv_value *used[3];
	size_t i;
	char what[512];

	find_uses(inv, c->code, &u, cat_how(inv));
	used[0] = u.line;
	used[1] = u.allowance;
	used[2] = u.charge;
	if (breakdown_wrong(inv, c, &u)) {
		const struct inv_value *first = u.any;
		if (first == NULL)
			snprintf(what, sizeof(what),
			         "the VAT breakdown (BG-23) has %s for category %s (%s), which "
			         "no line, allowance or charge uses",
			         u.nvats > 1 ? "groups" : "a group", c->code, c->name);
		else
			snprintf(what, sizeof(what),
			         "category %s (%s) is used, and the "
			         "VAT breakdown (BG-23) has %s for it",
			         c->code, c->name,
			         u.nvats == 0 ? "no group" : "more than one group");
		add(out, c->family, 1, u.nvats ? u.vat : first, what,
		    first == NULL ? "remove the group, or correct the categories"
		    : u.nvats     ? "give one VAT breakdown for the category"
		                  : "give the VAT breakdown of the category");
	}
	if (u.s_other)
		used[0] = u.s_other;
	if (parties_ok(inv, c->needs) && !u.s_other)
		return;
	for (i = 0; i < 3; i++) {
		const struct inv_value *at = parties_at(inv, c->needs);
		if (used[i] == NULL || (i > 0 && parties_ok(inv, c->needs)))
			continue;
		if (i == 0 && u.s_other && parties_ok(inv, c->needs)) {
			snprintf(what, sizeof(what),
			         "an invoice line in category S (line %d) is outside the VAT tax "
			         "scheme",
			         u.s_other->line);
			add(out, c->family, 2, u.s_other, what,
			    "write cac:TaxScheme/cbc:ID VAT in the line's category");
			continue;
		}
		snprintf(what, sizeof(what), "%s in category %s (%s, line %d) needs %s", where[i],
		         c->code, c->name, used[i]->line, needs_text(c->needs));
		add(out, c->family, 2 + (int)i, at, what, needs_fix(c->needs));
	}
}

/* A breakdown O is the only one, and nothing is in another category (BR-O-11..14). */
static void
check_outside_scope(const struct invoice *inv, struct problems *out)
{
	const struct inv_value *o = NULL, *other = NULL, *line = NULL, *allowance = NULL,
	                       *charge = NULL;
	unsigned how = cat_how(inv);
	size_t i;
	for (i = 0; i < inv->nvats; i++) {
		if (is(&inv->vats[i].category, "O", how))
			o = o ? o : &inv->vats[i].category;
		else if (!other)
			other = &inv->vats[i].category;
	}
	if (o == NULL)
		return;
	for (i = 0; i < inv->nlines && !line; i++)
		if (has(&inv->lines[i].vat_category) &&
		    !is(&inv->lines[i].vat_category, "O", how) && !inv->lines[i].vat_not_vat)
			line = &inv->lines[i].vat_category;
	for (i = 0; i < inv->nacs; i++) {
		const struct inv_value *cat = &inv->acs[i].vat_category;
		if (!has(cat) || is(cat, "O", how))
			continue;
		if (inv->acs[i].charge && !charge)
			charge = cat;
		else if (!inv->acs[i].charge && !allowance)
			allowance = cat;
	}
	if (other)
		add(out, "O", 11, other,
		    "a VAT breakdown besides the one of category O (outside the scope of VAT)",
		    "an invoice outside the scope of VAT has one breakdown, O; invoice the "
		    "other categories separately");
	if (line)
		add(out, "O", 12, line,
		    "an invoice line of another category in an "
		    "invoice outside the scope of VAT (breakdown O)",
		    "put every line in category O, or invoice them separately");
	if (allowance)
		add(out, "O", 13, allowance,
		    "a document allowance of another category in an invoice outside the scope of "
		    "VAT (breakdown O)",
		    "put the allowance in category O");
	if (charge)
		add(out, "O", 14, charge,
		    "a document charge of another category in an invoice outside the scope of "
		    "VAT (breakdown O)",
		    "put the charge in category O");
}

/* BR-IC-11's "when", as each artefact tests it: UBL a delivery date of two
 * characters or more (string-length(), as written) or any child element of any header
 * cac:InvoicePeriod; CII the delivery date's udt:DateTimeString, the period's
 * ram:StartDateTime or ram:EndDateTime, there, empty or not. */
static int
ic_when(const struct invoice *inv)
{
	const struct inv_value *d = &inv->delivery_date;
	if (inv->syntax == SYNTAX_CII)
		return d->text != NULL || (inv->period & (PERIOD_START | PERIOD_END));
	if (d->text && strlen(d->text) + !!(d->padded & PAD_LEAD) + !!(d->padded & PAD_TRAIL) > 1)
		return 1;
	if (inv->period & PERIOD_CHILD)
		return 1;
	for (size_t i = 0; i < inv->nmore_periods; i++)
		if (inv->more_periods[i].parts & PERIOD_CHILD)
			return 1;
	return 0;
}

/* An intra-community supply says when and where the goods went (BR-IC-11, -12). */
static void
check_intra_community(const struct invoice *inv, struct problems *out)
{
	const struct inv_value *k = NULL;
	size_t i;
	for (i = 0; i < inv->nvats && !k; i++)
		if (is(&inv->vats[i].category, "K", cat_how(inv)))
			k = &inv->vats[i].category;
	if (k == NULL)
		return;
	if (!ic_when(inv))
		add(out, "IC", 11, &inv->delivery_date,
		    "an intra-community supply (VAT breakdown K) without the actual delivery "
		    "date (BT-72) or the invoicing period (BG-14)",
		    "give delivery/date or the period in the export");
	if (!has(&inv->delivery_country))
		add(out, "IC", 12, &inv->delivery_country,
		    "an intra-community supply (VAT breakdown K) without the country it was "
		    "delivered to (BT-80)",
		    "give delivery/address/country in the export");
}

/* A country code there that is not IT as written (BR-B-01). */
static int
not_it(const struct inv_value *c)
{
	return c->text && !inv_value_is(c, "IT");
}

/* Split payment (B) is Italian only, and never beside S (BR-B-01, -02). */
static void
check_split_payment(const struct invoice *inv, struct problems *out)
{
	struct use b, s;
	const struct inv_value *at;
	int foreign;
	size_t i;
	/* both artefacts compare the categories and countries as written, under any tax
	 * scheme (//cac:TaxCategory/cbc:ID = 'B', //ram:CategoryCode = 'B'), and want
	 * every country code the document has to be IT, empty ones too */
	find_uses(inv, "B", &b, AS_WRITTEN | ANY_SCHEME);
	if (!b.any && !b.nvats)
		return;
	at = b.any ? b.any : b.vat;
	foreign = not_it(&inv->supplier.country) || not_it(&inv->buyer.country) ||
	          not_it(&inv->delivery_country);
	for (i = 0; i < inv->nothers && !foreign; i++)
		foreign = not_it(&inv->others[i].country);
	if (foreign)
		problems_add(out, SEV_ERROR, "BR-B-01", 0, at->path, at->line, at->text,
		             "split payment (category B) outside a domestic Italian invoice",
		             "use the category that applies (S for France)");
	find_uses(inv, "S", &s, AS_WRITTEN | ANY_SCHEME);
	if (s.any || s.nvats)
		problems_add(out, SEV_ERROR, "BR-B-02", 0, at->path, at->line, at->text,
		             "split payment (category B) beside standard rate (S)",
		             "use one of the two categories");
}

void
vatcat_check(const struct invoice *inv, struct problems *out)
{
	size_t i;
	for (i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		check_category(inv, &categories[i], out);
	check_outside_scope(inv, out);
	check_intra_community(inv, out);
	check_split_payment(inv, out);
}
