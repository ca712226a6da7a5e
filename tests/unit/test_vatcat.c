/* Unit tests of vatcat.c: the VAT category rules on invoice models read from the
 * golden UBL/CII files and then altered; each rule with a passing and a failing case,
 * among them the four cases issue #13 found called sendable (BR-S-02, BR-O-11..14,
 * BR-IC-02/11/12, BR-E-02). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "fileio.h"
#include "golden.h"
#include "srctree.h"
#include "tap.h"
#include "util.h"
#include "vatcat.h"
#include "xform.h"

/* The rule ids vatcat_check() reports, space-separated and sorted as found. */
static char *
rules(const struct invoice *inv)
{
	struct problems ps = {0};
	struct buf b;
	size_t i;
	vatcat_check(inv, &ps);
	buf_init(&b);
	for (i = 0; i < ps.n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", ps.v[i].rule);
	problems_free(&ps);
	return buf_steal(&b);
}

#define is_rules(inv, want, ...)                 \
	do {                                     \
		char *got_ = rules(inv);         \
		is_str(got_, want, __VA_ARGS__); \
		free(got_);                      \
	} while (0)

static void
test_syntax(const char *syn)
{
	int cii = strcmp(syn, "cii") == 0;
	char name[96];
	struct invoice *inv;
	size_t i;

#define GOLDEN(n) (snprintf(name, sizeof(name), "%s.%s.xml", n, syn), model(name))

	/* the golden files break none of these rules */
	static const char *const good[] = {"invoice-simple",    "invoice-exempt",
	                                   "not-subject",       "reverse-charge",
	                                   "invoice-franchise", "invoice-tax-representative"};
	for (i = 0; i < nitems(good); i++) {
		inv = GOLDEN(good[i]);
		is_rules(inv, "", "%s: no VAT category rule broken", name);
		invoice_free(inv);
	}

	/* BR-S-02: standard-rated lines from a seller without any tax identifier */
	inv = GOLDEN("invoice-simple");
	inv_value_set(&inv->supplier.vat_id, NULL);
	is_rules(inv, "BR-S-02", "%s: S lines, no seller VAT id: BR-S-02", name);
	inv_value_set(&inv->supplier.tax_reg_id, "732829320");
	is_rules(inv, "", "%s: a tax registration id (BT-32) will do", name);
	inv_value_set(&inv->supplier.tax_reg_id, NULL);
	inv_value_set(&inv->tax_rep_vat_id, "FR61412345678");
	is_rules(inv, "", "%s: so will a tax representative's VAT id (BT-63)", name);
	invoice_free(inv);

	/* BR-S-01: S used, no S breakdown; BR-Z-01 as each artefact words it: a group
	 * no line uses passes in UBL (one group), not in CII */
	inv = GOLDEN("invoice-simple");
	inv_value_set(&inv->vats[0].category, "Z");
	is_rules(inv, cii ? "BR-Z-01" : "BR-S-01", "%s: S lines, no S breakdown: %s", name,
	         cii ? "CII's BR-S-01 counts the two lines and the groups, 2: it passes; a Z "
	               "group unused: BR-Z-01"
	             : "BR-S-01");
	/* CII: one S line and no S group are fewer than 2 */
	inv_value_set(&inv->lines[1].vat_category, "Z");
	is_rules(inv, "BR-S-01", "%s: one S line, no S breakdown: BR-S-01", name);
	/* UBL's BR-S-01 also fails an S group that nothing uses; CII's does not */
	inv_value_set(&inv->vats[0].category, "S");
	for (i = 0; i < inv->nlines; i++)
		inv_value_set(&inv->lines[i].vat_category, "Z");
	inv_value_set(&inv->lines[0].vat_rate, "0");
	is_rules(inv, cii ? "BR-Z-01" : "BR-S-01 BR-Z-01", "%s: Z lines, an S breakdown: BR-Z-01%s",
	         name, cii ? "" : " and BR-S-01");
	invoice_free(inv);

	/* UBL's BR-S-02 also fails S lines all outside the VAT tax scheme */
	inv = GOLDEN("invoice-simple");
	for (i = 0; i < inv->nlines; i++)
		inv->lines[i].vat_not_vat = 1;
	is_rules(inv, "BR-S-02", "%s: S lines outside the VAT tax scheme: BR-S-02", name);
	invoice_free(inv);

	/* BR-S-03/04 read an allowance or charge by its indicator, under the VAT tax
	 * scheme (UBL) only */
	inv = GOLDEN("invoice-multirate-allowances");
	inv_value_set(&inv->supplier.vat_id, NULL);
	is_rules(inv, "BR-S-02 BR-S-03 BR-S-04", "%s: no seller VAT id: BR-S-02, -03, -04", name);
	for (i = 0; i < inv->nacs; i++)
		if (inv->acs[i].charge)
			inv_value_set(&inv->acs[i].indicator, "maybe");
		else
			inv->acs[i].vat_not_vat = 1;
	is_rules(inv, "BR-S-02", "%s: no charge by its indicator, no allowance in VAT: BR-S-02",
	         name);
	invoice_free(inv);

	/* BR-AF-04 reads a charge's category as written: " L " is no IGIC charge */
	inv = GOLDEN("invoice-multirate-allowances");
	inv_value_set(&inv->supplier.vat_id, NULL);
	for (i = 0; i < inv->nacs; i++)
		if (inv->acs[i].charge)
			inv_value_set(&inv->acs[i].vat_category, "L");
	{
		char *got = rules(inv);
		ok(strstr(got, "BR-AF-04") != NULL, "%s: an IGIC charge, no seller tax id: %s",
		   name, got);
		free(got);
		for (i = 0; i < inv->nacs; i++)
			inv->acs[i].vat_category.padded = inv->acs[i].charge ? PAD_LEAD : 0;
		got = rules(inv);
		ok(strstr(got, "BR-AF-04") == NULL, "%s: written \" L \": no BR-AF-04: %s", name,
		   got);
		free(got);
	}
	invoice_free(inv);

	/* BR-E-02: exempt lines from a seller without a tax identifier; the
	 * micro-entrepreneur's SIREN as BT-32 is enough */
	inv = GOLDEN("invoice-franchise");
	is_rules(inv, "", "%s: franchise en base with BT-32: fine", name);
	inv_value_set(&inv->supplier.tax_reg_id, NULL);
	is_rules(inv, "BR-E-02", "%s: exempt line, no seller tax id: BR-E-02", name);
	invoice_free(inv);

	/* BR-O-11..14: O beside S */
	inv = GOLDEN("invoice-simple");
	inv_value_set(&inv->lines[0].vat_category, "O");
	inv_value_set(&inv->lines[0].vat_rate, NULL);
	/* CII's BR-O-01 asks nothing of an O line without an O breakdown */
	is_rules(inv, cii ? "BR-O-02" : "BR-O-01 BR-O-02",
	         "%s: an O line beside S, seller VAT id: %sBR-O-02", name, cii ? "" : "BR-O-01, ");
	inv_value_set(&inv->vats[0].category, "O");
	is_rules(inv, "BR-S-01 BR-O-02 BR-O-12",
	         "%s: O breakdown, an S line left: BR-S-01, BR-O-02, BR-O-12", name);
	invoice_free(inv);

	inv = GOLDEN("not-subject");
	is_rules(inv, "", "%s: outside the scope of VAT alone: fine", name);
	if (inv->nvats == 1 && inv->nlines >= 1) {
		struct inv_vat *v;
		inv->vats = xreallocarray(inv->vats, 2, sizeof(*inv->vats));
		v = &inv->vats[1];
		memset(v, 0, sizeof(*v));
		inv_value_set(&v->category, "S");
		inv->nvats = 2;
		inv_value_set(&inv->lines[0].vat_category, "S");
		is_rules(inv, "BR-S-02 BR-O-11 BR-O-12",
		         "%s: an S breakdown and line beside O: BR-O-11, -12, and BR-S-02", name);
	}
	invoice_free(inv);

	/* BR-IC-02, -11, -12: an intra-community supply, from the reverse-charge file */
	inv = GOLDEN("reverse-charge");
	for (i = 0; i < inv->nlines; i++)
		inv_value_set(&inv->lines[i].vat_category, "K");
	for (i = 0; i < inv->nvats; i++)
		inv_value_set(&inv->vats[i].category, "K");
	inv_value_set(&inv->buyer.vat_id, NULL);
	inv_value_set(&inv->delivery_date, NULL);
	inv_value_set(&inv->period_start, NULL);
	inv_value_set(&inv->period_end, NULL);
	inv_value_set(&inv->delivery_country, NULL);
	is_rules(inv, "BR-IC-02 BR-IC-11 BR-IC-12",
	         "%s: K without buyer VAT id, date, country: BR-IC-02, -11, -12", name);
	inv_value_set(&inv->buyer.vat_id, "DE123456789");
	inv_value_set(&inv->delivery_date, "2025-03-01");
	inv_value_set(&inv->delivery_country, "DE");
	is_rules(inv, "", "%s: with them: fine", name);
	inv_value_set(&inv->delivery_date, NULL);
	inv_value_set(&inv->period_end, "2025-03-31");
	inv->period = PERIOD_THERE | PERIOD_END | (cii ? 0 : PERIOD_CHILD);
	is_rules(inv, "", "%s: an invoicing period instead of the date: fine", name);
	/* as each artefact tests it: UBL any child of a cac:InvoicePeriod (BT-8 alone),
	 * CII the elements, empty or not */
	inv_value_set(&inv->period_end, NULL);
	inv->period = cii ? PERIOD_THERE : PERIOD_THERE | PERIOD_CODE | PERIOD_CHILD;
	is_rules(inv, cii ? "BR-IC-11" : "", "%s: a period with its code alone: %s", name,
	         cii ? "BR-IC-11" : "fine");
	inv->period = 0;
	inv_value_set(&inv->delivery_date, "");
	is_rules(inv, cii ? "" : "BR-IC-11", "%s: an empty delivery date: %s", name,
	         cii ? "fine" : "BR-IC-11");
	invoice_free(inv);

	/* BR-AE-02: reverse charge needs the buyer's VAT id or legal id */
	inv = GOLDEN("reverse-charge");
	is_rules(inv, "", "%s: reverse charge: fine", name);
	inv_value_set(&inv->buyer.vat_id, NULL);
	inv_value_set(&inv->buyer.legal_id, NULL);
	is_rules(inv, "BR-AE-02", "%s: no buyer VAT or legal id: BR-AE-02", name);
	invoice_free(inv);

	/* BR-B-01, -02: split payment */
	inv = GOLDEN("invoice-simple");
	inv_value_set(&inv->lines[1].vat_category, "B");
	is_rules(inv, "BR-B-01 BR-B-02", "%s: split payment in France beside S: BR-B-01, -02",
	         name);
	/* both artefacts compare B, S and the countries as written, under any scheme */
	inv->lines[1].vat_category.padded = PAD_TRAIL;
	is_rules(inv, "", "%s: \"B \" is no split payment", name);
	inv->lines[1].vat_category.padded = 0;
	inv_value_set(&inv->supplier.country, "IT");
	inv_value_set(&inv->buyer.country, "IT");
	inv_value_set(&inv->delivery_country, NULL);
	for (i = 0; i < inv->nothers; i++)
		inv_value_set(&inv->others[i].country, NULL);
	is_rules(inv, "BR-B-02", "%s: an Italian invoice: BR-B-02 alone", name);
	inv->buyer.country.padded = PAD_TRAIL;
	is_rules(inv, "BR-B-01 BR-B-02", "%s: \"IT \" is not IT as written", name);
	inv->buyer.country.padded = 0;
	inv->lines[1].vat_not_vat = 1;
	is_rules(inv, "BR-B-02", "%s: a B line outside the VAT scheme is split payment too", name);
	invoice_free(inv);

	/* CII compares every category as written (ram:CategoryCode = 'S'), UBL after
	 * normalize-space() */
	inv = GOLDEN("invoice-simple");
	inv_value_set(&inv->supplier.vat_id, NULL);
	for (i = 0; i < inv->nlines; i++)
		inv->lines[i].vat_category.padded = PAD_LEAD;
	is_rules(inv, cii ? "" : "BR-S-02", "%s: lines written \" S\", no seller VAT id: %s", name,
	         cii ? "no S line for CII" : "BR-S-02");
	invoice_free(inv);
#undef GOLDEN
}

int
main(void)
{
	srctree_init();
	if (golden_conf("vatcat", "[transform]\nschema_dir =\n") == -1)
		return 1;
	test_syntax("ubl");
	test_syntax("cii");
	conf_free(conf);
	xform_cleanup();
	return done_testing();
}
