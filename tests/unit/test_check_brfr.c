/* Unit tests of check-brfr.c: each BR-FR rule checked, with a failing case, on
 * invoice models read from the PA route's golden UBL and CII files and then
 * altered; and check_document() applying BR-FR on the PA route only. The same rules
 * against the schematron itself: tests/brfr/agreement.sh. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-brfr.h"
#include "check.h"
#include "conf.h"
#include "golden.h"
#include "srctree.h"
#include "tap.h"
#include "util.h"
#include "xform.h"

static struct problems ps;

/* Run the BR-FR rules; the number of errors of `rule`. */
static size_t
count(const struct invoice *inv, const char *rule)
{
	size_t i, n = 0;
	problems_free(&ps);
	check_brfr(inv, &ps);
	for (i = 0; i < ps.n; i++)
		if (strcmp(ps.v[i].rule, rule) == 0 && ps.v[i].sev == SEV_ERROR)
			n++;
	return n;
}

/* The text of the first problem of `rule` in the last run, or "". */
static const char *
text(const char *rule)
{
	size_t i;
	for (i = 0; i < ps.n; i++)
		if (strcmp(ps.v[i].rule, rule) == 0)
			return ps.v[i].text;
	return "";
}

static const char *const golden[] = {"invoice-b2b.pa.ubl.xml", "invoice-b2b.pa.cii.xml",
                                     "creditnote-b2b.pa.ubl.xml", "creditnote-b2b.pa.cii.xml"};

static void
test_clean(void)
{
	size_t i;
	for (i = 0; i < nitems(golden); i++) {
		struct invoice *inv = model_route(golden[i], ROUTE_PA);
		problems_free(&ps);
		check_brfr(inv, &ps);
		ok(ps.n == 0, "%s: no BR-FR problem%s%s", golden[i], ps.n ? ": " : "",
		   ps.n ? ps.v[0].text : "");
		ok(inv->nnotes == 4 && inv->buyer.endpoint.text &&
		       strcmp(inv->buyer.endpoint.text, "812345676") == 0 &&
		       strcmp(inv->buyer.endpoint.attr, "0225") == 0 && inv->supplier.siren.text &&
		       strcmp(inv->supplier.siren.text, "732829320") == 0,
		   "%s: the model has the notes, the electronic addresses and the SIRENs",
		   golden[i]);
		invoice_free(inv);
	}
}

/* The rules read the same way in both syntaxes. */
static void
test_both(const char *g)
{
	struct invoice *inv = model_route(g, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL;

	inv_value_set(&inv->number, "F2026-000318-0123456789-0123456789-0");
	is_int(count(inv, "BR-FR-01"), 1, "%s BR-FR-01: invoice number over 35 characters", g);
	ok(contains(text("BR-FR-01"), "longer than 35 characters (rule BR-FR-01); change <number>"),
	   "says what and where: %s", text("BR-FR-01"));
	inv_value_set(&inv->number, "F2026 000318");
	is_int(count(inv, "BR-FR-02"), 1, "%s BR-FR-02: a space in the invoice number", g);
	is_int(count(inv, "BR-FR-01"), ubl, "%s BR-FR-01: the UBL rules report it too", g);
	inv_value_set(&inv->number, "F2026-000318");
	inv_value_set(&inv->preceding_number, "AV#1");
	is_int(count(inv, "BR-FR-02"), 1, "%s BR-FR-02: preceding invoice number", g);
	inv_value_set(&inv->preceding_number, NULL);

	inv_value_set(&inv->issue_date, ubl ? "1999-09-15" : "19990915");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: issue date before 2000", g);
	inv_value_set(&inv->issue_date, ubl ? "2026-09-15" : "20260915");
	inv_value_set(&inv->due_date, ubl ? "2028-02-29" : "20280229");
	is_int(count(inv, "BR-FR-03"), 0, "%s BR-FR-03: 29 February of a leap year", g);
	inv_value_set(&inv->due_date, ubl ? "2027-02-29" : "20270229");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: 29 February of another year", g);
	inv_value_set(&inv->due_date, ubl ? "20261015" : "2026-10-15");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: the other syntax's date format", g);
	inv_value_set(&inv->due_date, ubl ? "2026-09-01" : "20260901");
	is_int(count(inv, "BR-FR-CO-07"), 1, "%s BR-FR-CO-07: due date before the issue date", g);
	inv_value_set(&inv->cadre, "S2");
	is_int(count(inv, "BR-FR-CO-07"), 0, "%s BR-FR-CO-07: allowed when already paid (S2)", g);
	inv_value_set(&inv->cadre, "M1");
	inv_value_set(&inv->due_date, ubl ? "2026-10-15" : "20261015");

	inv_value_set(&inv->type_code, "325");
	is_int(count(inv, "BR-FR-04"), 1, "%s BR-FR-04: type 325 (pro forma)", g);
	inv_value_set(&inv->type_code, "380");
	inv_value_set(&inv->cadre, "A1");
	is_int(count(inv, "BR-FR-08"), 1, "%s BR-FR-08: Chorus Pro's cadre A1 is no billing mode",
	       g);
	inv_value_set(&inv->cadre, NULL);
	is_int(count(inv, "BR-FR-08"), 1, "%s BR-FR-08: billing mode missing", g);
	ok(contains(text("BR-FR-08"), "give <billing-mode>"), "names the ERP element");
	inv_value_set(&inv->cadre, "M1");

	inv_value_set(&inv->supplier.siren, "73282932");
	is_int(count(inv, "BR-FR-10"), 1, "%s BR-FR-10: supplier SIREN of 8 digits", g);
	is_int(count(inv, "BR-FR-32"), 1, "%s BR-FR-32: an identifier of scheme 0002", g);
	is_int(count(inv, "BR-FR-09"), 1, "%s BR-FR-09: the SIRET does not start with it", g);
	inv_value_set(&inv->supplier.siren, NULL);
	is_int(count(inv, "BR-FR-10"), 1, "%s BR-FR-10: supplier SIREN missing", g);
	inv_value_set(&inv->supplier.siren, "732829320");
	inv_value_set(&inv->buyer.siret, "81234567700017");
	is_int(count(inv, "BR-FR-09"), 1, "%s BR-FR-09: buyer SIRET of another SIREN", g);
	inv_value_set(&inv->buyer.siret, "81234567600017");
	inv_value_set(&inv->buyer.siren, NULL);
	is_int(count(inv, "BR-FR-11"), 1, "%s BR-FR-11: B2B without the buyer's SIREN", g);
	inv_value_set(&inv->buyer.siren, "812345676");

	inv_value_set(&inv->buyer.endpoint, NULL);
	is_int(count(inv, "BR-FR-12"), 1, "%s BR-FR-12: no buyer electronic address", g);
	is_int(count(inv, "BR-FR-21"), 1, "%s BR-FR-21: a B2B invoice needs it", g);
	inv_value_set(&inv->buyer.endpoint, "999999999");
	is_int(count(inv, "BR-FR-21"), 1, "%s BR-FR-21: not the buyer's SIREN", g);
	inv_value_set(&inv->buyer.endpoint, "812345676");
	inv_value_set(&inv->supplier.endpoint, NULL);
	is_int(count(inv, "BR-FR-13"), 1, "%s BR-FR-13: no supplier electronic address", g);
	is_int(count(inv, "BR-FR-22"), 0, "%s BR-FR-22: only for self-billing", g);
	inv_value_set(&inv->type_code, "389");
	is_int(count(inv, "BR-FR-22"), 1, "%s BR-FR-22: self-billed B2B invoice", g);
	inv_value_set(&inv->type_code, "380");
	inv_value_set(&inv->supplier.endpoint, "732829320");

	inv_value_set(&inv->vats[0].category, "L");
	is_int(count(inv, "BR-FR-15"), 1, "%s BR-FR-15: category L (Canary Islands)", g);
	inv_value_set(&inv->vats[0].category, "S");
	inv_value_set(&inv->lines[0].vat_rate, "19.6");
	is_int(count(inv, "BR-FR-16"), 0, "%s BR-FR-16: 19.6 (a former rate) is in the list", g);
	inv_value_set(&inv->lines[0].vat_rate, "19");
	is_int(count(inv, "BR-FR-16"), 1, "%s BR-FR-16: 19 is no French rate", g);
	inv_value_set(&inv->lines[0].vat_rate, "20");
	invoice_free(inv);
}

/* The notes: subject codes in CII, "#CODE#" in UBL's text. */
static void
test_notes(void)
{
	struct invoice *u = model_route("invoice-b2b.pa.ubl.xml", ROUTE_PA),
	               *c = model_route("invoice-b2b.pa.cii.xml", ROUTE_PA);
	size_t i;

	for (i = 0; i < c->nnotes; i++)
		if (strcmp(c->notes[i].subject.text, "AAB") == 0)
			inv_value_set(&c->notes[i].subject, "PMT");
	is_int(count(c, "BR-FR-05"), 1, "CII BR-FR-05: the AAB note missing");
	ok(contains(text("BR-FR-05"), "add a <note subject=\"AAB\">"), "says which note to add: %s",
	   text("BR-FR-05"));
	is_int(count(c, "BR-FR-06"), 1, "CII BR-FR-06: the PMT note twice");

	ok(strcmp(u->notes[0].subject.text, "PMD") == 0, "UBL: the subject read from \"#PMD#...\"");
	inv_value_set(&u->notes[1].content, "Indemnité forfaitaire : 40 EUR. #PMD#");
	is_int(count(u, "BR-FR-05"), 1, "UBL BR-FR-05: no \"#PMT#\" in the notes");
	is_int(count(u, "BR-FR-06"), 1, "UBL BR-FR-06: \"#PMD#\" twice, wherever it is");
	inv_value_set(&u->notes[1].content, "#PMT#Indemnité forfaitaire : 40 EUR.");
	inv_value_set(&u->notes[3].content, "#BAR#B2C");
	inv_value_set(&u->buyer.siren, NULL);
	is_int(count(u, "BR-FR-11"), 0, "UBL BR-FR-11: B2C needs no buyer SIREN");
	inv_value_set(&u->notes[3].content, "#BAR#B2B");
	is_int(count(u, "BR-FR-11"), 1, "UBL BR-FR-11: B2B does");
	inv_value_set(&u->notes[3].content, "#BAR#B2G");
	is_int(count(u, "BR-FR-20"), 1, "UBL BR-FR-20: B2G is no processing rule");
	inv_value_set(&u->notes[3].content, "#BAR#B2CINT");
	is_int(count(u, "BR-FR-20"), 1, "UBL BR-FR-20: nor B2CINT, in UBL's list");
	inv_value_set(&c->notes[3].content, "B2CINT");
	is_int(count(c, "BR-FR-20"), 0, "CII BR-FR-20: B2CINT is in CII's");
	inv_value_set(&c->notes[3].content, "B2G");
	is_int(count(c, "BR-FR-20"), 1, "CII BR-FR-20: B2G is not");
	invoice_free(u);
	invoice_free(c);
}

/* check_document() applies BR-FR where rules.c says: the PA route, not Chorus Pro. */
static void
test_routes(void)
{
	struct preflight pf;
	char *data, *why = NULL;
	size_t len, i, brfr;
	int rc;

	data = slurp("xslt/examples/invoice-simple.xml", &len);
	rc = check_document(data, len, "s.xml", conf, ROUTE_CHORUS, 0, &pf, &why);
	ok(rc == 0, "Chorus Pro route: the example without BR-FR's mentions can be sent");
	preflight_free(&pf);
	free(why);
	why = NULL;
	rc = check_document(data, len, "s.xml", conf, ROUTE_PA, 0, &pf, &why);
	for (i = brfr = 0; i < pf.problems.n; i++)
		brfr += strncmp(pf.problems.v[i].rule, "BR-FR-", 6) == 0;
	ok(rc == -1 && pf.verdict == PF_REJECT && brfr == pf.problems.nerrors && brfr >= 3,
	   "PA route: refused for BR-FR only (%zu of %zu errors)", brfr, pf.problems.nerrors);
	ok(contains(why, "(rule BR-FR-08)"), "the reason names the rule: %s", why);
	preflight_free(&pf);
	free(why);
	free(data);
}

int
main(void)
{
	char *text;
	size_t i;
	int rc;

	srctree_init();
	text = xasprintf("[transform]\nstylesheet_dir = %s/xslt\nschema_dir = %s/schemas\n", srcdir,
	                 srcdir);
	rc = golden_conf("brfr", text);
	free(text);
	if (rc == -1)
		return 1;

	test_clean();
	for (i = 0; i < 2; i++)
		test_both(golden[i]);
	test_notes();
	test_routes();

	problems_free(&ps);
	conf_free(conf);
	xform_cleanup();
	return done_testing();
}
