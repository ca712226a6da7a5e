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

/* Append a value (text, scheme) to v[0..*n); returns it. */
static struct inv_value *
add_value(struct inv_value **v, size_t *n, const char *text, const char *attr)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	inv_value_set(&(*v)[*n], text);
	(*v)[*n].attr = attr ? xstrdup(attr) : NULL;
	return &(*v)[(*n)++];
}

/* Set the party's SIREN: its siren and its legal id of scheme 0002 (added with its
 * legal entity when it has none), as the model reads them. */
static void
set_siren(struct inv_party *p, const char *siren)
{
	size_t i;
	inv_value_set(&p->siren, siren);
	for (i = 0; i < p->nlegal_ids; i++)
		if (p->legal_ids[i].attr && strcmp(p->legal_ids[i].attr, "0002") == 0)
			break;
	if (i == p->nlegal_ids) {
		add_value(&p->legal_ids, &p->nlegal_ids, NULL, "0002");
		p->legal_entities++;
	}
	inv_value_set(&p->legal_ids[i], siren);
}

/* The model of the golden file `g` (tests/xslt/golden) passed through on the PA route
 * after each pair (from, to) of `edits` (NULL-terminated) replaced its first `from`; the
 * caller frees it. Aborts when a `from` is not there. */
static struct invoice *
model_edited(const char *g, const char *const *edits)
{
	char *rel = xasprintf("tests/xslt/golden/%s", g), *data;
	struct invoice *inv;
	size_t len;
	data = slurp(rel, &len);
	for (; edits[0]; edits += 2) {
		char *at = strstr(data, edits[0]), *d;
		if (at == NULL)
			abort();
		d = xasprintf("%.*s%s%s", (int)(at - data), data, edits[1], at + strlen(edits[0]));
		free(data);
		data = d;
	}
	inv = model_data(g, data, strlen(data), ROUTE_PA);
	free(data);
	free(rel);
	return inv;
}

/* BR-FR-32 on every identifier the schematrons' "//" paths reach, read from the
 * document: CII every ram:GlobalID (a product's BT-157 too), UBL every party
 * identification (not an item's cac:StandardItemIdentification). */
static void
test_sirens(void)
{
	static const char *const cii_product[] = {
	    "<ram:SellerAssignedID>ECR-27-QHD</ram:SellerAssignedID>",
	    "<ram:GlobalID schemeID=\"0002\">73282932</ram:GlobalID>"
	    "<ram:SellerAssignedID>ECR-27-QHD</ram:SellerAssignedID>",
	    NULL};
	static const char *const cii_legal[] = {"<ram:ID schemeID=\"0002\">812345676</ram:ID>",
	                                        "<ram:ID schemeID=\"0002\">81234567</ram:ID>",
	                                        NULL};
	static const char *const ubl_item[] = {
	    "<cac:SellersItemIdentification>",
	    "<cac:StandardItemIdentification><cbc:ID schemeID=\"0002\">73282932</cbc:ID>"
	    "</cac:StandardItemIdentification><cac:SellersItemIdentification>",
	    NULL};
	static const char *const ubl_delivery[] = {
	    "<cac:AccountingSupplierParty>",
	    "<cac:Delivery><cac:DeliveryParty><cac:PartyIdentification><cbc:ID "
	    "schemeID=\"0231\">7328293</cbc:ID></cac:PartyIdentification></cac:DeliveryParty>"
	    "</cac:Delivery><cac:AccountingSupplierParty>",
	    NULL};
	struct invoice *inv = model_edited("invoice-b2b.pa.cii.xml", cii_product);
	ok(count(inv, "BR-FR-32") == 1 && contains(text("BR-FR-32"), "ram:SpecifiedTradeProduct"),
	   "CII BR-FR-32: a product's GlobalID (BT-157) under scheme 0002: %s", text("BR-FR-32"));
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.cii.xml", cii_legal);
	is_int(count(inv, "BR-FR-32"), 1, "CII BR-FR-32: the buyer's SIREN of 8 digits");
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.ubl.xml", ubl_item);
	is_int(count(inv, "BR-FR-32"), 0,
	       "UBL BR-FR-32: an item's standard identifier is no party's (the rule reads "
	       "cac:PartyIdentification)");
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.ubl.xml", ubl_delivery);
	is_int(count(inv, "BR-FR-32"), 1, "UBL BR-FR-32: the delivery party's identifier");
	invoice_free(inv);
}

/* Every due date read from the document: CII's BR-FR-CO-07 reads one (Saxon stops on two:
 * REPEATED), UBL's compares each. */
static void
test_due_dates(void)
{
	static const char *const cii_terms[] = {
	    "</ram:SpecifiedTradePaymentTerms>",
	    "</ram:SpecifiedTradePaymentTerms><ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>"
	    "<udt:DateTimeString format=\"102\">20261115</udt:DateTimeString></ram:DueDateDateTime>"
	    "</ram:SpecifiedTradePaymentTerms>",
	    NULL};
	static const char *const ubl_due[] = {"<cbc:DueDate>2026-10-15</cbc:DueDate>",
	                                      "<cbc:DueDate>2026-10-15</cbc:DueDate>"
	                                      "<cbc:DueDate>2026-09-01</cbc:DueDate>",
	                                      NULL};
	static const char *const cii_issue[] = {
	    "<udt:DateTimeString format=\"102\">20260915</udt:DateTimeString>",
	    "<udt:DateTimeString format=\"102\">20260915</udt:DateTimeString>"
	    "<udt:DateTimeString format=\"102\">20260915</udt:DateTimeString>",
	    NULL};
	struct invoice *inv = model_edited("invoice-b2b.pa.cii.xml", cii_terms);
	ok(count(inv, "REPEATED") == 1 && contains(text("REPEATED"), "given 2 times") &&
	       contains(text("REPEATED"), "BR-FR-CO-07"),
	   "CII REPEATED: two payment terms with a due date: %s", text("REPEATED"));
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.cii.xml", cii_issue);
	ok(count(inv, "REPEATED") == 1 && contains(text("REPEATED"), "issue date") &&
	       contains(text("REPEATED"), "BR-FR-CO-07"),
	   "CII REPEATED: two issue dates, compared with the due date: %s", text("REPEATED"));
	inv->ndue_dates = 0;
	is_int(count(inv, "REPEATED"), 0, "CII: two issue dates and no due date: not compared");
	inv->ndue_dates = 1;
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.ubl.xml", ubl_due);
	ok(count(inv, "BR-FR-CO-07") == 1 && count(inv, "REPEATED") == 0,
	   "UBL BR-FR-CO-07: the second cbc:DueDate is before the issue date");
	invoice_free(inv);
}

/* The document g edited by `edits` is refused once under REPEATED, naming `rule`. */
static void
is_repeated(const char *g, const char *const *edits, const char *rule, const char *what)
{
	struct invoice *inv = model_edited(g, edits);
	ok(count(inv, "REPEATED") == 1 && contains(text("REPEATED"), rule),
	   "%s REPEATED (%s): %s: %s", g, rule, what, text("REPEATED"));
	invoice_free(inv);
}

/* CII: BR-FR-15 and 16 read one ram:CategoryCode and one ram:RateApplicablePercent
 * of each tax (a function's argument, string()): Saxon stops on two, so REPEATED. */
static void
test_vat_twice(void)
{
	static const char *const line_code[] = {
	    "<ram:CategoryCode>S</ram:CategoryCode>",
	    "<ram:CategoryCode>S</ram:CategoryCode><ram:CategoryCode>S</ram:CategoryCode>", NULL};
	static const char *const line_rate[] = {
	    "<ram:RateApplicablePercent>20</ram:RateApplicablePercent>",
	    "<ram:RateApplicablePercent>20</ram:RateApplicablePercent>"
	    "<ram:RateApplicablePercent>20</ram:RateApplicablePercent>",
	    NULL};
	is_repeated("invoice-b2b.pa.cii.xml", line_code, "BR-FR-15",
	            "a line's tax with two ram:CategoryCode");
	is_repeated("invoice-b2b.pa.cii.xml", line_rate, "BR-FR-16",
	            "a line's tax with two ram:RateApplicablePercent");
}

/* CII notes: BR-FR-20 reads one ram:Content of note BAR (Saxon stops on two: REPEATED);
 * [ram:SubjectCode = 'PMT'] takes a note for any of its subject codes. */
static void
test_notes_cii(void)
{
	static const char *const bar_twice[] = {"<ram:Content>B2B</ram:Content>",
	                                        "<ram:Content>B2B</ram:Content>"
	                                        "<ram:Content>B2B</ram:Content>",
	                                        NULL};
	static const char *const pmt_second[] = {"<ram:SubjectCode>AAB</ram:SubjectCode>",
	                                         "<ram:SubjectCode>AAB</ram:SubjectCode>"
	                                         "<ram:SubjectCode>PMT</ram:SubjectCode>",
	                                         NULL};
	static const char *const pmt_padded[] = {"<ram:SubjectCode>PMT<", "<ram:SubjectCode> PMT<",
	                                         NULL};
	struct invoice *inv;
	is_repeated("invoice-b2b.pa.cii.xml", bar_twice, "BR-FR-20",
	            "note BAR with two ram:Content");
	inv = model_edited("invoice-b2b.pa.cii.xml", pmt_padded);
	ok(count(inv, "BR-FR-05") == 1 && contains(text("BR-FR-05"), "(PMT)"),
	   "CII BR-FR-05: subject \" PMT\" is no PMT (compared as written): %s", text("BR-FR-05"));
	invoice_free(inv);
	inv = model_edited("invoice-b2b.pa.cii.xml", pmt_second);
	ok(count(inv, "BR-FR-06") == 1 && contains(text("BR-FR-06"), "given 2 times"),
	   "CII BR-FR-06: PMT as a note's second subject code makes two PMT notes: %s",
	   text("BR-FR-06"));
	invoice_free(inv);
}

/* BR-FR-08 reads one billing mode, BR-FR-CO-15 one VAT number of the tax representative
 * (when the seller is a member of a single taxpayer): Saxon stops on two, so REPEATED. */
static void
test_single_values(void)
{
	static const char *const cii_mode[] = {
	    "<ram:ID>M1</ram:ID>",
	    "<ram:ID>M1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>"
	    "<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>M1</ram:ID>",
	    NULL};
	static const char *const ubl_rep[] = {
	    "<cbc:EndpointID schemeID=\"0225\">732829320</cbc:EndpointID>",
	    "<cbc:EndpointID schemeID=\"0225\">732829320</cbc:EndpointID><cac:PartyIdentification>"
	    "<cbc:ID schemeID=\"0231\">732829320</cbc:ID></cac:PartyIdentification>",
	    "<cac:PaymentMeans>",
	    "<cac:TaxRepresentativeParty><cac:PartyTaxScheme><cbc:CompanyID>FR44732829320"
	    "</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"
	    "<cac:PartyTaxScheme><cbc:CompanyID>FR44732829320</cbc:CompanyID><cac:TaxScheme>"
	    "<cbc:ID>TAX</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:TaxRepresentativeParty>"
	    "<cac:PaymentMeans>",
	    NULL};
	static const char *const cii_names[] = {
	    "</ram:BuyerOrderReferencedDocument>",
	    "</ram:BuyerOrderReferencedDocument><ram:AdditionalReferencedDocument><ram:IssuerAssignedID>"
	    "PJ1</ram:IssuerAssignedID><ram:TypeCode>916</ram:TypeCode><ram:Name>RIB</ram:Name>"
	    "<ram:Name>RIB</ram:Name></ram:AdditionalReferencedDocument>",
	    NULL};
	is_repeated("invoice-b2b.pa.cii.xml", cii_mode, "BR-FR-08", "two billing modes");
	is_repeated("invoice-b2b.pa.cii.xml", cii_names, "BR-FR-17",
	            "a supporting document (916) with two ram:Name");
	is_repeated("invoice-b2b.pa.ubl.xml", ubl_rep, "BR-FR-CO-15",
	            "a single taxpayer's representative with two tax ids");
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

	inv_value_set(&inv->issue_date, ubl ? "1999-09-15" : "19990915");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: issue date before 2000", g);
	inv_value_set(&inv->issue_date, ubl ? "2026-09-15" : "20260915");
	inv_value_set(&inv->due_dates[0], ubl ? "2028-02-29" : "20280229");
	is_int(count(inv, "BR-FR-03"), 0, "%s BR-FR-03: 29 February of a leap year", g);
	inv_value_set(&inv->due_dates[0], ubl ? "2027-02-29" : "20270229");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: 29 February of another year", g);
	inv_value_set(&inv->due_dates[0], ubl ? "20261015" : "2026-10-15");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: the other syntax's date format", g);
	inv_value_set(&inv->due_dates[0], ubl ? "2026-09-01" : "20260901");
	is_int(count(inv, "BR-FR-CO-07"), 1, "%s BR-FR-CO-07: due date before the issue date", g);
	inv_value_set(&inv->cadre, "S2");
	is_int(count(inv, "BR-FR-CO-07"), 0, "%s BR-FR-CO-07: allowed when already paid (S2)", g);
	inv_value_set(&inv->cadre, "M1");
	inv_value_set(&inv->due_dates[0], ubl ? "2026-10-15" : "20261015");
	/* a second due date: UBL judges each, CII's BR-FR-CO-07 reads one and stops */
	add_value(&inv->due_dates, &inv->ndue_dates, ubl ? "2026-09-01" : "20260901", NULL);
	ok(count(inv, "BR-FR-CO-07") == (size_t)ubl && count(inv, "REPEATED") == (size_t)!ubl,
	   "%s: a second due date before the issue date: %s", g,
	   ubl ? "BR-FR-CO-07 (UBL compares each)" : "REPEATED (CII reads one)");
	ok(!ubl || contains(text("BR-FR-CO-07"), "\"2026-09-01\""), "%s: names the second: %s", g,
	   text("BR-FR-CO-07"));
	inv_value_set(&inv->due_dates[1], ubl ? "2026-02-30" : "20260230");
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: a second due date, 30 February", g);
	inv_value_free(&inv->due_dates[--inv->ndue_dates]);

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

	set_siren(&inv->supplier, "73282932");
	is_int(count(inv, "BR-FR-10"), 1, "%s BR-FR-10: supplier SIREN of 8 digits", g);
	is_int(count(inv, "BR-FR-09"), 1, "%s BR-FR-09: the SIRET does not start with it", g);
	set_siren(&inv->supplier, NULL);
	is_int(count(inv, "BR-FR-10"), 1, "%s BR-FR-10: supplier SIREN missing", g);
	set_siren(&inv->supplier, "732829320");
	/* two SIRENs: the rules that read one (BR-FR-09 with a SIRET) stop on them */
	add_value(&inv->supplier.legal_ids, &inv->supplier.nlegal_ids, "732829320", "0002");
	ok(count(inv, "REPEATED") == 1 && contains(text("REPEATED"), "BR-FR-09") &&
	       contains(text("REPEATED"), "supplier's SIREN"),
	   "%s REPEATED: the supplier's SIREN twice: %s", g, text("REPEATED"));
	inv_value_free(&inv->supplier.legal_ids[--inv->supplier.nlegal_ids]);
	add_value(&inv->buyer.legal_ids, &inv->buyer.nlegal_ids, "RCS Lyon", NULL);
	is_int(count(inv, "REPEATED"), !ubl,
	       "%s REPEATED: a B2B buyer's two legal ids (CII's BR-FR-21 reads one whatever "
	       "the scheme)",
	       g);
	inv_value_free(&inv->buyer.legal_ids[--inv->buyer.nlegal_ids]);
	add_value(&inv->supplier.legal_ids, &inv->supplier.nlegal_ids, "RCS Lyon", NULL);
	inv->supplier.legal_entities++;
	is_int(count(inv, "BR-FR-10"), ubl, "%s BR-FR-10: a second legal entity without SIREN%s", g,
	       ubl ? " (UBL asks it of each)" : "");
	inv->supplier.legal_entities = 0;
	set_siren(&inv->supplier, NULL);
	is_int(count(inv, "BR-FR-10"), !ubl, "%s BR-FR-10: no legal entity%s", g,
	       ubl ? " (UBL asks nothing)" : "");
	inv->supplier.legal_entities = 1;
	inv_value_free(&inv->supplier.legal_ids[--inv->supplier.nlegal_ids]);
	set_siren(&inv->supplier, "732829320");
	inv_value_set(&inv->buyer.ids[0], "81234567700017");
	is_int(count(inv, "BR-FR-09"), 1, "%s BR-FR-09: buyer SIRET of another SIREN", g);
	inv_value_set(&inv->buyer.ids[0], "81234567600017");
	set_siren(&inv->buyer, NULL);
	is_int(count(inv, "BR-FR-11"), 1, "%s BR-FR-11: B2B without the buyer's SIREN", g);
	set_siren(&inv->buyer, "812345676");

	inv_value_set(&inv->buyer.endpoint, NULL);
	is_int(count(inv, "BR-FR-12"), 1, "%s BR-FR-12: no buyer electronic address", g);
	is_int(count(inv, "BR-FR-21"), 1, "%s BR-FR-21: a B2B invoice needs it", g);
	inv_value_set(&inv->buyer.endpoint, "999999999");
	is_int(count(inv, "BR-FR-21"), 1, "%s BR-FR-21: not the buyer's SIREN", g);
	inv_value_set(&inv->buyer.endpoint, "812345676");
	inv->buyer.endpoints = 2;
	ok(count(inv, "REPEATED") == 1 && contains(text("REPEATED"), "BR-FR-12"),
	   "%s REPEATED: two electronic addresses of the buyer: %s", g, text("REPEATED"));
	inv->buyer.endpoints = 1;
	/* identifiers read and compared as written: blanks around are characters */
	inv->buyer.endpoint.padded = PAD_TRAIL;
	ok(count(inv, "BR-FR-23") == 1 && count(inv, "BR-FR-21") == 0,
	   "%s BR-FR-23: \"812345676 \" is no address of scheme 0225; BR-FR-21: it starts with "
	   "the SIREN",
	   g);
	inv->buyer.endpoint.padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-21"), 1, "%s BR-FR-21: \" 812345676\" does not start with it", g);
	inv->buyer.endpoint.padded = 0;
	inv->buyer.siren.padded = inv->buyer.legal_id.padded = PAD_TRAIL;
	ok(count(inv, "BR-FR-09") == 1 && count(inv, "BR-FR-21") == 1 &&
	       count(inv, "BR-FR-11") == !ubl,
	   "%s BR-FR-09, 21 (and CII's BR-FR-11): the buyer's SIREN \"812345676 \"", g);
	inv->buyer.siren.padded = inv->buyer.legal_id.padded = 0;
	inv->buyer.ids[0].padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-09"), 1, "%s BR-FR-09: the buyer's SIRET \" 81234567600017\"", g);
	inv->buyer.ids[0].padded = 0;
	inv->number.padded = PAD_TRAIL;
	is_int(count(inv, "BR-FR-02"), 1, "%s BR-FR-02: the invoice number \"F2026-000318 \"", g);
	inv->number.padded = 0;
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

/* Append a reference to an earlier invoice to v[0..*n). */
static struct inv_ref *
add_ref(struct inv_ref **v, size_t *n, const char *number, const char *date, const char *type)
{
	struct inv_ref *r;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	inv_value_set(&r->number, number);
	inv_value_set(&r->date, date);
	inv_value_set(&r->type_code, type);
	return r;
}

static struct inv_docref *
add_docref_to(struct inv_docref **v, size_t *n, const char *type, const char *ref_type,
              const char *id, const char *desc)
{
	struct inv_docref *d;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	d = &(*v)[(*n)++];
	memset(d, 0, sizeof(*d));
	inv_value_set(&d->type_code, type);
	inv_value_set(&d->ref_type, ref_type);
	inv_value_set(&d->id, id);
	inv_value_set(&d->description, desc);
	return d;
}

static struct inv_docref *
add_docref(struct invoice *inv, const char *type, const char *ref_type, const char *id,
           const char *desc)
{
	return add_docref_to(&inv->docrefs, &inv->ndocrefs, type, ref_type, id, desc);
}

/* Append a party other than the seller and the buyer. */
static struct inv_party *
add_party(struct invoice *inv, const char *role, int delivery)
{
	struct inv_party *p;
	inv->others = xreallocarray(inv->others, inv->nothers + 1, sizeof(*inv->others));
	p = &inv->others[inv->nothers++];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->delivery = delivery;
	return p;
}

/* Drop the last n document references. */
static void
drop_docrefs(struct invoice *inv, size_t n)
{
	while (n-- > 0) {
		struct inv_docref *d = &inv->docrefs[--inv->ndocrefs];
		inv_value_free(&d->id);
		inv_value_free(&d->type_code);
		inv_value_free(&d->ref_type);
		inv_value_free(&d->description);
	}
}

/* The rules this file gained with the references, the parties beyond the seller and
 * the buyer, and the coherence of type, billing mode and amounts, in both syntaxes:
 * each with a failing case (tests/brfr/mutations has the same against the
 * schematron). */
static void
test_more(const char *g)
{
	struct invoice *inv = model_route(g, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL;
	const char *d1999 = ubl ? "1999-09-16" : "19990916";
	struct inv_party *payee;
	struct inv_value *id;

	/* every preceding invoice, and the lines' */
	add_ref(&inv->preceding, &inv->npreceding, "F2026-000317", ubl ? "2026-09-01" : "20260901",
	        NULL);
	add_ref(&inv->preceding, &inv->npreceding, "AV 2", d1999, "325");
	is_int(count(inv, "BR-FR-02"), 1, "%s BR-FR-02: the second preceding invoice's number", g);
	is_int(count(inv, "BR-FR-03"), 1, "%s BR-FR-03: the second preceding invoice's date", g);
	is_int(count(inv, "BR-FR-04"), 1, "%s BR-FR-04: the second preceding invoice's type", g);
	inv_value_set(&inv->type_code, "384");
	is_int(count(inv, "BR-FR-CO-04"), 1, "%s BR-FR-CO-04: a corrective invoice, two references",
	       g);
	inv_value_set(&inv->type_code, "380");
	add_ref(&inv->lines[0].refs, &inv->lines[0].nrefs, "AV 3", d1999, "325");
	if (ubl)
		add_docref_to(&inv->lines[0].docrefs, &inv->lines[0].ndocrefs, NULL, NULL, "AV 3",
		              NULL);
	is_int(count(inv, "BR-FR-04"), 2, "%s BR-FR-04: a line's preceding invoice type too", g);
	is_int(count(inv, "BR-FR-02"), 2, "%s BR-FR-02: a line's reference (%s)", g,
	       ubl ? "cac:DocumentReference" : "ram:InvoiceReferencedDocument");
	is_int(count(inv, "BR-FR-03"), ubl ? 1 : 2,
	       "%s BR-FR-03: a line's preceding invoice date%s", g, ubl ? " is not UBL's" : "");
	inv_value_set(&inv->lines[0].period_start, d1999);
	ok(count(inv, "BR-FR-03") == (ubl ? 2u : 3u) &&
	       contains(text("BR-FR-03"), "change <preceding-invoice><issue-date>"),
	   "%s BR-FR-03: a line's period start (BT-134)", g);
	inv_value_set(&inv->lines[0].period_start, NULL);
	invoice_free(inv);

	inv = model_route(g, ROUTE_PA);
	if (ubl)
		inv_value_set(&inv->tax_point_date, "1999-01-01");
	else
		inv_value_set(&inv->vats[0].tax_point_date, "19990101");
	ok(count(inv, "BR-FR-03") == 1 && contains(text("BR-FR-03"), "change <vat-point-date>"),
	   "%s BR-FR-03: the VAT point date (BT-7)", g);
	inv_value_set(&inv->tax_point_date, NULL);
	inv_value_set(&inv->vats[0].tax_point_date, NULL);

	/* the documents referred to */
	add_docref(inv, ubl ? NULL : "916", NULL, "PJ1", "FACTURE");
	ok(count(inv, "BR-FR-17") == 1 && contains(text("BR-FR-17"), "<attachment><description>"),
	   "%s BR-FR-17: FACTURE is not a code of the list", g);
	inv_value_set(&inv->docrefs[0].description, "LISIBLE");
	is_int(count(inv, "BR-FR-17"), 0, "%s BR-FR-17: LISIBLE is", g);
	inv->docrefs[0].description.padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-17"), ubl,
	       "%s BR-FR-17: \" LISIBLE\" (UBL compares as written, CII normalised)", g);
	inv->docrefs[0].descriptions = 2;
	is_int(count(inv, "REPEATED"), 1, "%s REPEATED: two descriptions (BR-FR-17 reads one)", g);
	inv_value_set(&inv->docrefs[0].type_code, ubl ? NULL : "130");
	is_int(count(inv, "REPEATED"), ubl, "%s REPEATED: two descriptions%s", g,
	       ubl ? " (UBL's BR-FR-17 reads one whatever the type)"
	           : " of a document not of type 916");
	inv_value_set(&inv->docrefs[0].type_code, ubl ? NULL : "916");
	inv->docrefs[0].descriptions = 1;
	add_docref(inv, ubl ? NULL : "916", NULL, "PJ2", "LISIBLE");
	is_int(count(inv, "BR-FR-18"), 0, "%s BR-FR-18: \" LISIBLE\" is not LISIBLE", g);
	inv->docrefs[0].description.padded = 0;
	is_int(count(inv, "BR-FR-18"), 1, "%s BR-FR-18: two documents LISIBLE", g);
	drop_docrefs(inv, 2);
	if (ubl) {
		add_docref(inv, "130", NULL, " ", NULL)->id.attr = xstrdup("AFL");
		inv_value_set(&inv->docrefs[0].id, "");
		is_int(count(inv, "BR-FR-29"), 1, "%s BR-FR-29: an AFL reference left blank", g);
		drop_docrefs(inv, 1);
	} else {
		add_docref(inv, "130", "AFL", "O1", NULL);
		add_docref(inv, "130", "AFL", "O2", NULL);
		is_int(count(inv, "BR-FR-29"), 1, "%s BR-FR-29: two AFL references", g);
		drop_docrefs(inv, 2);
	}

	/* the parties */
	inv_value_set(&inv->buyer.endpoint, "812345676/A");
	is_int(count(inv, "BR-FR-23"), 1, "%s BR-FR-23: a '/' in an address of scheme 0225", g);
	inv_value_set(&inv->buyer.endpoint, "812345676");
	{
		char *longer = xasprintf("732829320_%0120d", 0);
		inv_value_set(&inv->supplier.endpoint, longer);
		free(longer);
	}
	ok(count(inv, "BR-FR-25") == 1 &&
	       contains(text("BR-FR-25"), "change <supplier><electronic-address>"),
	   "%s BR-FR-25: an electronic address over 125 characters", g);
	inv_value_set(&inv->supplier.endpoint, "732829320");
	id = add_value(&inv->buyer.ids, &inv->buyer.nids, "81234567600025", "0009");
	is_int(count(inv, "BR-FR-CO-10"), 1, "%s BR-FR-CO-10: two identifiers under scheme 0009",
	       g);
	free(id->attr);
	id->attr = NULL;
	is_int(count(inv, "BR-FR-CO-10"), 1, "%s BR-FR-CO-10: an identifier without a scheme", g);
	free(id->attr);
	id->attr = xstrdup("0224");
	inv_value_set(id, "SERV/1");
	is_int(count(inv, "BR-FR-24"), 1, "%s BR-FR-24: a '/' in a routing identifier", g);
	{
		char *longer = xasprintf("S%0100d", 0);
		inv_value_set(id, longer);
		free(longer);
	}
	is_int(count(inv, "BR-FR-26"), 1, "%s BR-FR-26: a routing identifier over 100 characters",
	       g);
	inv_value_set(id, "SERV-1");
	is_int(count(inv, "BR-FR-24") + count(inv, "BR-FR-26"), 0, "%s: SERV-1 is a good one", g);
	add_value(&inv->supplier.ids, &inv->supplier.nids, "732829320", "0231");
	is_int(count(inv, "BR-FR-CO-14"), 1, "%s BR-FR-CO-14: a single taxpayer without note TXD",
	       g);
	is_int(count(inv, "BR-FR-CO-15"), 1, "%s BR-FR-CO-15: nor tax representative", g);
	inv->tax_rep = 1;
	inv_value_set(&inv->tax_rep_tax_id, "FR44732829320");
	is_int(count(inv, "BR-FR-CO-15"), !ubl,
	       "%s BR-FR-CO-15: a tax id of another scheme (UBL takes any, CII its VAT id)", g);
	inv->tax_rep = 0;
	inv_value_set(&inv->tax_rep_tax_id, NULL);
	add_value(&inv->siren_ids, &inv->nsiren_ids, "73282932", "0002");
	is_int(count(inv, "BR-FR-32"), 1, "%s BR-FR-32: an identifier under scheme 0002", g);

	payee = add_party(inv, "payee (BT-60)", 0);
	add_value(&payee->ids, &payee->nids, "81234567600017", "0009");
	is_int(count(inv, "BR-FR-09"), 0, "%s BR-FR-09: a payee's SIRET without its SIREN", g);
	set_siren(payee, "999999999");
	ok(count(inv, "BR-FR-09") == 1 && contains(text("BR-FR-09"), "change <payee><siret>"),
	   "%s BR-FR-09: the payee's SIRET and SIREN differ", g);
	add_value(&inv->siren_legal_ids, &inv->nsiren_legal_ids, "81234567", "0002");
	is_int(count(inv, "BR-FR-32"), 2, "%s BR-FR-32: a legal id under scheme 0002 of 8 digits",
	       g);
	add_value(&inv->siren_ids, &inv->nsiren_ids, "81234567", "0231");
	is_int(count(inv, "BR-FR-32"), 3, "%s BR-FR-32: an identifier under scheme 0231", g);
	invoice_free(inv);
}

/* The type, the billing mode and what they ask, in both syntaxes. */
static void
test_coherence(const char *g)
{
	struct invoice *inv = model_route(g, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL, cn = strstr(g, "creditnote") != NULL;

	if (cn) {
		inv_value_set(&inv->type_code, "262");
		ok(count(inv, "BR-FR-CO-03") == 1 && contains(text("BR-FR-CO-03"), "<contract>"),
		   "%s BR-FR-CO-03: a global discount without contract nor period", g);
		inv_value_set(&inv->type_code, "381");
		inv_value_set(&inv->preceding[0].date, NULL);
		is_int(count(inv, "BR-FR-CO-05"), 1,
		       "%s BR-FR-CO-05: the invoice credited has no date", g);
		add_ref(&inv->lines[0].refs, &inv->lines[0].nrefs, "F2026-000318",
		        ubl ? "2026-09-15" : "20260915", NULL);
		is_int(count(inv, "BR-FR-CO-05"), 0, "%s BR-FR-CO-05: the line refers to it, dated",
		       g);
		invoice_free(inv);
		return;
	}
	inv_value_set(&inv->type_code, "384");
	is_int(count(inv, "BR-FR-CO-04"), 1,
	       "%s BR-FR-CO-04: a corrective invoice without reference", g);
	inv_value_set(&inv->type_code, "386");
	inv_value_set(&inv->cadre, "M4");
	is_int(count(inv, "BR-FR-CO-08"), 1, "%s BR-FR-CO-08: a prepayment invoice in mode M4", g);
	inv_value_set(&inv->type_code, "380");
	inv_value_set(&inv->cadre, "M2");
	ok(count(inv, "BR-FR-CO-09") == 2 && contains(text("BR-FR-CO-09"), "<totals><prepaid>"),
	   "%s BR-FR-CO-09: already paid, but nothing paid and all to pay", g);
	inv_value_set(&inv->prepaid, "1141.2");
	inv_value_set(&inv->payable, "0.00");
	is_int(count(inv, "BR-FR-CO-09"), 0, "%s BR-FR-CO-09: paid 1141.2 of 1141.20, 0.00 due", g);
	inv_value_set(&inv->due_date, NULL);
	is_int(count(inv, "BR-FR-CO-09"), 1, "%s BR-FR-CO-09: and the date paid", g);
	if (inv->npayments) {
		inv_value_set(&inv->payments[0].due_date, "2026-09-15");
		is_int(
		    count(inv, "REPEATED"), ubl,
		    "%s BR-FR-CO-09: UBL reads cbc:DueDate and cbc:PaymentDueDate as one: REPEATED",
		    g);
		inv_value_free(&inv->due_dates[--inv->ndue_dates]);
		is_int(count(inv, "BR-FR-CO-09"), !ubl,
		       "%s BR-FR-CO-09: UBL takes a payment means' due date, an invoice's too", g);
		inv_value_set(&inv->payments[0].due_date, NULL);
	}
	inv_value_set(&inv->due_date, ubl ? "2026-09-15" : "20260915");
	inv_value_set(&inv->payable, "0x0");
	is_int(count(inv, "BR-FR-CO-09"), 1, "%s BR-FR-CO-09: 0x0 is no number to XPath", g);
	inv_value_set(&inv->payable, "0E0");
	is_int(count(inv, "BR-FR-CO-09"), 0, "%s BR-FR-CO-09: 0E0 is", g);
	inv_value_set(&inv->cadre, "M1");
	inv_value_set(&inv->currency, "USD");
	ok(count(inv, "BR-FR-CO-12") == 1 && contains(text("BR-FR-CO-12"), "<vat-total-accounting"),
	   "%s BR-FR-CO-12: in USD without the VAT in EUR", g);
	inv_value_set(&inv->tax_currency, "EUR");
	inv_value_set(&inv->tax_total_acc, "190.20");
	is_int(count(inv, "BR-FR-CO-12"), 0, "%s BR-FR-CO-12: with it", g);
	invoice_free(inv);
}

/* BR-FR-27, 28, 30: the lines' item attributes and references of type AFL or AVV. */
static void
test_line_extras(const char *g)
{
	struct invoice *inv = model_route(g, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL;
	struct inv_line *l = &inv->lines[0];
	struct inv_item_attr *a;
	struct inv_party *p;

	l->attrs = xreallocarray(l->attrs, l->nattrs + 1, sizeof(*l->attrs));
	a = &l->attrs[l->nattrs++];
	memset(a, 0, sizeof(*a));
	inv_value_set(&a->value, "rouge");
	is_int(count(inv, "BR-FR-27"), ubl ? 0 : 1, "%s BR-FR-27: an attribute without a name%s", g,
	       ubl ? " (UBL's rule reads no line)" : "");
	inv_value_set(&a->name, "Couleur");
	is_int(count(inv, "BR-FR-27") + count(inv, "BR-FR-28"), 0, "%s: a name and a value", g);
	inv_value_set(&a->measure, "3");
	is_int(count(inv, "BR-FR-28"), 1, "%s BR-FR-28: a value and a measure", g);
	inv_value_set(&a->value, NULL);
	is_int(count(inv, "BR-FR-28"), 1, "%s BR-FR-28: a measure without its unit", g);
	a->measure.attr = xstrdup("MTR");
	is_int(count(inv, "BR-FR-28"), 0, "%s BR-FR-28: a measure with its unit", g);

	add_docref_to(&l->docrefs, &l->ndocrefs, NULL, NULL, "", NULL)->id.attr = xstrdup("AFL");
	p = add_party(inv, "delivery of a line (EXT-FR-FE-146)", 2);
	set_siren(p, "999999999");
	add_value(&p->ids, &p->nids, "81234567600017", "0009");
	add_value(&p->ids, &p->nids, "DEPOT-1", NULL);
	is_int(count(inv, "BR-FR-09"), !ubl, "%s BR-FR-09: a line's delivery SIRET and SIREN%s", g,
	       ubl ? " (UBL's rule reads none)" : "");
	is_int(count(inv, "BR-FR-CO-10"), 1, "%s BR-FR-CO-10: a line's delivery id without scheme",
	       g);
	is_int(count(inv, "BR-FR-30"), ubl, "%s BR-FR-30: a line's AFL reference left blank%s", g,
	       ubl ? "" : " (CII's rule reads none)");
	invoice_free(inv);
}

/* BR-FR-DEC: the numbers' form, in both syntaxes. */
static void
test_decimals(const char *g)
{
	struct invoice *inv = model_route(g, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL;

	inv_value_set(&inv->payable, "1141.200");
	is_int(count(inv, "BR-FR-DEC-01"), 1, "%s BR-FR-DEC-01: an amount with 3 decimals", g);
	inv_value_set(&inv->payable, "1234567890123456789");
	is_int(count(inv, "BR-FR-DEC-01"), 0, "%s BR-FR-DEC-01: 19 digits", g);
	inv_value_set(&inv->payable, "-1234567890123456789");
	is_int(count(inv, "BR-FR-DEC-01"), 1, "%s BR-FR-DEC-01: 19 digits and a sign are 20", g);
	inv_value_set(&inv->payable, "1141.20");
	inv_value_set(&inv->lines[0].quantity, "4.00000");
	is_int(count(inv, "BR-FR-DEC-02"), 1, "%s BR-FR-DEC-02: a quantity with 5 decimals", g);
	inv_value_set(&inv->lines[0].quantity, "4");
	inv_value_set(&inv->lines[0].price, "-189.00");
	ok(count(inv, "BR-FR-DEC-03") == 1 && contains(text("BR-FR-DEC-03"), "without a sign"),
	   "%s BR-FR-DEC-03: a negative price", g);
	inv_value_set(&inv->cadre, "M9");
	is_int(count(inv, "BR-FR-DEC-03"), 0, "%s BR-FR-DEC-03: allowed when bidirectional (M9)",
	       g);
	inv_value_set(&inv->cadre, "M1");
	inv_value_set(&inv->lines[0].price, "");
	is_int(count(inv, "BR-FR-DEC-03"), ubl ? 0 : 1, "%s BR-FR-DEC-03: a blank price %s", g,
	       ubl ? "passes UBL's rule" : "fails CII's");
	inv_value_set(&inv->lines[0].price, "189.00");
	inv_value_set(&inv->vats[0].rate, "20.000");
	is_int(count(inv, "BR-FR-DEC-04"), 1, "%s BR-FR-DEC-04: a rate with 3 decimals", g);
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
	set_siren(&u->buyer, NULL);
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
	inv_value_set(&c->notes[3].content, " B2C ");
	inv_value_set(&c->notes[0].subject, "BAR");
	inv_value_set(&c->notes[0].content, "B2B");
	is_int(count(c, "BR-FR-31"), 1, "CII BR-FR-31: two notes BAR with a processing rule");
	inv_value_set(&u->notes[3].content, "#BAR#B2B#BAR#B2C");
	is_int(count(u, "BR-FR-31"), 1, "UBL BR-FR-31: two processing rules in the notes");
	inv_value_set(&u->notes[3].content, "#BAR#B2B");
	is_int(count(u, "BR-FR-31"), 0, "UBL BR-FR-31: one");
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

/* The line's invoiced object of scheme `scheme` (UBL schemeID, CII ReferenceTypeCode). */
static struct inv_docref *
object(struct inv_line *l, const char *scheme)
{
	for (size_t i = 0; i < l->ndocrefs; i++) {
		struct inv_docref *d = &l->docrefs[i];
		const char *s = d->ref_type.text ? d->ref_type.text : d->id.attr;
		if (s && strcmp(s, scheme) == 0)
			return d;
	}
	abort();
}

/* The line's sub-type: UBL, the status of its reference to the invoice itself. */
static struct inv_value *
subtype(struct inv_line *l, int ubl)
{
	return ubl ? &l->refs[0].status : &l->status;
}

/* The sub-invoice rules (BR-FR-MV, BR-FR-BD) on tests/brfr/bases/multivendor: an invoice
 * of several sellers (M8), two sub-invoices (lines 1 and 3, GROUP) of one line each
 * (2 and 4, DETAIL). */
static void
test_subinvoices(const char *g)
{
	char *rel = xasprintf("../../brfr/bases/%s", g);
	struct invoice *inv = model_route(rel, ROUTE_PA);
	int ubl = strstr(g, ".ubl.") != NULL;
	struct inv_line *l = inv->lines;

	problems_free(&ps);
	check_brfr(inv, &ps);
	ok(ps.n == 0, "%s: no BR-FR problem%s%s", g, ps.n ? ": " : "", ps.n ? ps.v[0].text : "");
	ok(inv->nlines == 4 && l[0].nseller_ids == 1 &&
	       strcmp(l[0].seller_ids[0].text, "732829320") == 0 && l[2].seller_name.text &&
	       l[0].ntax_totals == 1 && strcmp(l[0].tax_totals[0].attr, "EUR") == 0 &&
	       strcmp(subtype(&l[3], ubl)->text, "DETAIL") == 0 &&
	       strcmp((ubl ? &l[3].refs[0].parent : &l[3].parent)->text, "3") == 0 &&
	       strcmp(object(&l[2], "AFL")->id.text, "SF-2") == 0 && inv->nvats == 2 &&
	       strcmp(inv->vats[1].scheme.text, "VAT") == 0 && inv->supplier.nlegal_ids == 1,
	   "%s: the model has the sub-types, parents, sellers, line VAT, AFL, breakdowns", g);

	inv_value_set(subtype(&l[3], ubl), " ");
	is_int(count(inv, "BR-FR-MV-01"), 1, "%s BR-FR-MV-01: a blank sub-type", g);
	inv_value_set(subtype(&l[3], ubl), ubl ? NULL : "DETAIL");
	is_int(count(inv, "BR-FR-MV-01"), ubl, "%s BR-FR-MV-01: none (CII judges one there)", g);
	inv_value_set(subtype(&l[3], ubl), "DETAIL");
	inv_value_set(subtype(&l[0], ubl), "GRP");
	inv_value_set(subtype(&l[2], ubl), "GRP");
	is_int(count(inv, "BR-FR-MV-02"), 1, "%s BR-FR-MV-02: no line GROUP", g);
	inv_value_set(subtype(&l[0], ubl), "GROUP");
	inv_value_set(subtype(&l[2], ubl), "GROUP");

	inv_value_set(&inv->cadre, "M9");
	is_int(count(inv, "BR-FR-BD-02"), 1, "%s BR-FR-BD-02: no sub-invoice of the buyer", g);
	is_int(count(inv, "BR-FR-BD-13"), 1, "%s BR-FR-BD-13: bidirectional but not self-billed",
	       g);
	inv_value_set(&l[2].seller_ids[0], "812345676");
	inv_value_set(&l[3].seller_ids[0], "812345676");
	is_int(count(inv, "BR-FR-BD-02"), 0, "%s BR-FR-BD-02: the seller's and the buyer's", g);
	inv_value_set(&inv->type_code, "261");
	is_int(count(inv, "BR-FR-BD-13"), 0, "%s BR-FR-BD-13: self-billed", g);
	is_int(count(inv, "BR-FR-BD-14"), 2, "%s BR-FR-BD-14: a credit note, no earlier invoice",
	       g);
	inv_value_set(&l[2].seller_ids[0], "552100554");
	inv_value_set(&l[3].seller_ids[0], "552100554");
	inv_value_set(&inv->cadre, "M8");
	inv_value_set(&inv->type_code, "389");
	is_int(count(inv, "BR-FR-MV-13"), 1, "%s BR-FR-MV-13: several sellers, self-billed", g);
	inv_value_set(&inv->type_code, "384");
	is_int(count(inv, "BR-FR-MV-14"), 2,
	       "%s BR-FR-MV-14: a corrective invoice, no earlier "
	       "invoice on its lines GROUP",
	       g);
	inv_value_set(&inv->type_code, "380");

	inv_value_set(&l[2].seller_name, NULL);
	is_int(count(inv, "BR-FR-MV-03"), 1, "%s BR-FR-MV-03: a line GROUP without its seller", g);
	inv_value_set(&l[2].seller_name, "Atelier");
	inv_value_set(&object(&l[2], "AVV")->id, "M8");
	is_int(count(inv, "BR-FR-MV-03"), 1, "%s BR-FR-MV-03: an object AVV of M8", g);
	inv_value_set(&object(&l[2], "AVV")->id, "M1");

	inv_value_set(&l[0].net_amount, "750.00");
	is_int(count(inv, "BR-FR-MV-05"), 1, "%s BR-FR-MV-05: 750.00 for a line of 756.00", g);
	inv_value_set(&l[0].net_amount, "7.5601e2");
	is_int(count(inv, "BR-FR-MV-05"), 0, "%s BR-FR-MV-05: 7.5601e2 is a number, within 0.01",
	       g);
	inv_value_set(&l[0].net_amount, "0x2F4");
	is_int(count(inv, "BR-FR-MV-05"), 1, "%s BR-FR-MV-05: 0x2F4 is not", g);
	inv_value_set(&l[0].net_amount, "756.00");

	inv_value_set(&l[3].seller_ids[0], "552100555");
	is_int(count(inv, "BR-FR-MV-06"), 1, "%s BR-FR-MV-06: a line's seller not its parent's", g);
	inv_value_set(&l[3].seller_ids[0], "552100554");
	inv_value_set(&object(&l[3], "AFL")->id, "SF-3");
	is_int(count(inv, "BR-FR-MV-07"), 1, "%s BR-FR-MV-07: a line's AFL not its parent's", g);
	is_int(count(inv, "BR-FR-MV-08"), 1, "%s BR-FR-MV-08: its reason starts with another", g);
	inv_value_set(&object(&l[3], "AFL")->id, "SF-2");
	inv_value_set(&l[3].exemption_reason, "SF-2 détail");
	is_int(count(inv, "BR-FR-MV-08"), 1, "%s BR-FR-MV-08: no #SF-2#", g);
	inv_value_set(&l[3].exemption_reason, "#SF-2# détail");
	inv_value_set(&inv->vats[1].exemption_reason, "#SF-3#");
	is_int(count(inv, "BR-FR-MV-09"), 1, "%s BR-FR-MV-09: no breakdown of SF-2", g);
	inv_value_set(&inv->vats[1].exemption_reason, "#SF-2#");
	/* the schematrons compare the reason and the scheme as written */
	inv->vats[1].exemption_reason.padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-MV-09"), 1, "%s BR-FR-MV-09: \" #SF-2#\" does not start with it",
	       g);
	inv->vats[1].exemption_reason.padded = PAD_TRAIL;
	is_int(count(inv, "BR-FR-MV-09"), 0, "%s BR-FR-MV-09: \"#SF-2# \" does", g);
	inv->vats[1].exemption_reason.padded = 0;
	inv->vats[1].scheme.padded = PAD_TRAIL;
	is_int(count(inv, "BR-FR-MV-09"), 1, "%s BR-FR-MV-09: scheme \"VAT \" is not VAT", g);
	inv->vats[1].scheme.padded = 0;
	subtype(&l[0], ubl)->padded = PAD_LEAD;
	subtype(&l[2], ubl)->padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-MV-02"), 1, "%s BR-FR-MV-02: \" GROUP\" is no line GROUP", g);
	subtype(&l[0], ubl)->padded = 0;
	subtype(&l[2], ubl)->padded = 0;
	if (ubl) {
		/* UBL: BR-FR-MV-09 sums the breakdowns of every cac:TaxTotal */
		struct inv_vat *o;
		inv->vats = xreallocarray(inv->vats, inv->nvats + 1, sizeof(*inv->vats));
		o = &inv->vats[inv->nvats];
		memset(o, 0, sizeof(*o));
		inv->nvats_other = 1;
		inv_value_set(&o->scheme, "VAT");
		inv_value_set(&o->exemption_reason, "#SF-2#");
		inv_value_set(&o->tax, "5.00");
		is_int(count(inv, "BR-FR-MV-09"), 1,
		       "%s BR-FR-MV-09: a breakdown of SF-2 in another cac:TaxTotal counts", g);
	}

	inv_value_set(&l[0].tax_inclusive, "900.00");
	is_int(count(inv, "BR-FR-MV-10"), !ubl, "%s BR-FR-MV-10: 900.00 is not 756.00 + 151.20%s",
	       g, ubl ? " (UBL 2.1 has no such total)" : "");
	inv_value_set(&l[0].tax_inclusive, "907.20");
	is_int(count(inv, "BR-FR-MV-10"), 0, "%s BR-FR-MV-10: 907.20 is", g);
	inv_value_set(&l[0].tax_inclusive, NULL);

	inv_value_set(&object(&l[0], "AFL")->id, "F2026-1");
	is_int(count(inv, "BR-FR-MV-11"), 1,
	       "%s BR-FR-MV-11: the seller's sub-invoice has "
	       "another number than the invoice's",
	       g);
	/* a line whose seller is the seller's legal id as written (UBL: the line's
	 * normalised) */
	inv->supplier.legal_ids[0].padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-MV-11"), 0,
	       "%s BR-FR-MV-11: not the seller's lines when its legal id is \" 732829320\"", g);
	inv->supplier.legal_ids[0].padded = 0;
	l[0].seller_ids[0].padded = PAD_LEAD;
	is_int(count(inv, "BR-FR-MV-11"), ubl,
	       "%s BR-FR-MV-11: a line's seller \" 732829320\" is the seller's in UBL only", g);
	l[0].seller_ids[0].padded = 0;
	inv_value_set(&object(&l[0], "AFL")->id, "F2026-000318");
	/* the invoice number as written: no line carries "F2026-000318 " */
	inv->number.padded = PAD_TRAIL;
	is_int(count(inv, ubl ? "BR-FR-MV-02" : "BR-FR-MV-11"), 1,
	       "%s %s: the invoice number \"F2026-000318 \" is no line's", g,
	       ubl ? "BR-FR-MV-02 (no line refers to this invoice)" : "BR-FR-MV-11");
	inv->number.padded = 0;
	inv_value_set(&object(&l[2], "AFL")->id, "F2026-000318");
	object(&l[2], "AFL")->id.padded = PAD_TRAIL;
	is_int(count(inv, "BR-FR-MV-12"), 0, "%s BR-FR-MV-12: \"F2026-000318 \" is another number",
	       g);
	object(&l[2], "AFL")->id.padded = 0;
	is_int(count(inv, "BR-FR-MV-12"), 1, "%s BR-FR-MV-12: two sub-invoices F2026-000318", g);
	inv_value_set(&object(&l[2], "AFL")->id, "M1");
	is_int(count(inv, "BR-FR-MV-12"), !ubl,
	       "%s BR-FR-MV-12: M1, an earlier line's AVV (CII compares every IssuerAssignedID)",
	       g);
	invoice_free(inv);
	free(rel);
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
	test_sirens();
	test_vat_twice();
	test_notes_cii();
	test_single_values();
	test_due_dates();
	for (i = 0; i < 2; i++)
		test_both(golden[i]);
	for (i = 0; i < 2; i++) {
		test_more(golden[i]);
		test_decimals(golden[i]);
		test_line_extras(golden[i]);
	}
	for (i = 0; i < nitems(golden); i++)
		test_coherence(golden[i]);
	test_subinvoices("multivendor.ubl.xml");
	test_subinvoices("multivendor.cii.xml");
	test_notes();
	test_routes();

	problems_free(&ps);
	conf_free(conf);
	xform_cleanup();
	return done_testing();
}
