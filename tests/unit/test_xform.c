/* Unit tests of xform.c: the safe parser's refusals (DOCTYPE, depth, size, UTF-8,
 * not XML), recognising documents (ERP, UBL, CII, [map.NAME] by root and pattern,
 * unknown), stylesheet parameters from [supplier.SIRET], the stylesheet cache and
 * its drop, pass-through re-encoding, XSD validation and the invoice model. The
 * command-line view of the same (and the hostile files) is tests/e2e/xform-*.sh. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fileio.h"
#include "rules.h"
#include "srctree.h"
#include "tap.h"
#include "util.h"
#include "xform.h"

/* the UBL 2.1 namespaces' common part (a literal is never cut inside a name) */
#define UBL "urn:oasis:names:specification:ubl:schema:xsd:"

static char dir[] = "/tmp/chorusgw-xform-XXXXXX";

static char *
write_tmp(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	unlink(p);
	if (write_file_atomic(NULL, p, text, strlen(text), 0600, 0, NULL) == -1)
		abort();
	return p;
}

/* A [map.NAME] stylesheet in `name`: a UBL invoice numbered by the input's @n, whose
 * supplier party holds `party`, paid into $supplier_iban. Caller frees the path. */
static char *
map_sheet(const char *name, const char *party)
{
	char *text = xasprintf(
	    "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'\n"
	    " xmlns:a='urn:acme'\n"
	    " xmlns='" UBL "Invoice-2'\n"
	    " xmlns:cac='" UBL "CommonAggregateComponents-2'\n"
	    " xmlns:cbc='" UBL "CommonBasicComponents-2'>\n"
	    " <xsl:output method='xml' encoding='UTF-8'/>\n"
	    " <xsl:param name='supplier_iban'/>\n"
	    " <xsl:template match='/a:Facture'><Invoice><cbc:ID><xsl:value-of select='@n'/>"
	    "</cbc:ID><cac:AccountingSupplierParty><cac:Party>%s</cac:Party>"
	    "</cac:AccountingSupplierParty><cac:PaymentMeans><cbc:PaymentMeansCode>"
	    "30</cbc:PaymentMeansCode><cac:PayeeFinancialAccount><cbc:ID><xsl:value-of "
	    "select='$supplier_iban'/></cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>"
	    "</Invoice></xsl:template>\n"
	    "</xsl:stylesheet>\n",
	    party);
	char *p = write_tmp(name, text);
	free(text);
	return p;
}

static struct conf *
load_conf(const char *extra)
{
	char *text = xasprintf("[transform]\nstylesheet_dir = %s/xslt\nschema_dir = %s/schemas\n%s",
	                       srcdir, srcdir, extra ? extra : "");
	char *p = write_tmp("c.ini", text), *why = NULL;
	struct conf *c = conf_load(p, CONF_OPTIONAL, &why);
	if (c == NULL) {
		printf("# config: %s\n", why);
		abort();
	}
	free(text);
	free(p);
	return c;
}

/* <Facture xmlns='urn:acme'/> as x.acme through [map.NAME] to the stylesheet XSL
 * (written to NAME.xsl): what xform_make() returns, with *r and *why as it left them. */
static int
through_sheet(const char *name, const char *xsl, struct xform_result *r, char **why)
{
	char *file = xasprintf("%s.xsl", name), *sheet = write_tmp(file, xsl);
	char *extra = xasprintf("[map.%s]\npattern = *.acme\nstylesheet = %s\n", name, sheet);
	struct conf *c = load_conf(extra);
	int rc;
	free(*why);
	*why = NULL;
	rc = xform_make("<Facture xmlns='urn:acme'/>", 27, "x.acme", c, ROUTE_CHORUS, r, why);
	conf_free(c);
	free(extra);
	free(sheet);
	free(file);
	return rc;
}

/* xform_parse() of a string: NULL (and *why) on refusal. */
static struct xform_doc *
parse(const char *text, char **why)
{
	free(*why);
	*why = NULL;
	return xform_parse(text, strlen(text), 1 << 20, 64, why);
}

static void
test_parser(void)
{
	char *why = NULL, *deep;
	struct xform_doc *d;
	struct buf b;
	int i;

	d = parse("<a xmlns='urn:x'><b/></a>", &why);
	ok(d != NULL, "a small document parses");
	if (d)
		is_str(xform_doc_root(d), "{urn:x}a", "root as {ns}local");
	xform_doc_free(d);
	d = parse("<a/>", &why);
	if (d)
		is_str(xform_doc_root(d), "a", "root without namespace: local name");
	xform_doc_free(d);

	d = parse("<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	          "<a>&x;</a>",
	          &why);
	ok(d == NULL && contains(why, "DOCTYPE"), "external entity: refused at the DOCTYPE (%s)",
	   why);
	d = parse("<!DOCTYPE a SYSTEM 'http://127.0.0.1:1/x.dtd'><a/>", &why);
	ok(d == NULL && contains(why, "DOCTYPE"), "external DTD: refused");
	d = parse("<!DOCTYPE a [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
	          "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><a>&c;</a>",
	          &why);
	ok(d == NULL && contains(why, "DOCTYPE"), "entity expansion: refused");
	d = parse("<a>&undeclared;</a>", &why);
	ok(d == NULL && contains(why, "not well-formed"), "undeclared entity: not well-formed (%s)",
	   why);
	d = parse("<a>&amp;&#233;&lt;</a>", &why);
	ok(d != NULL, "predefined and character references are fine");
	xform_doc_free(d);

	buf_init(&b);
	for (i = 0; i < 65; i++)
		buf_adds(&b, "<a>");
	for (i = 0; i < 65; i++)
		buf_adds(&b, "</a>");
	deep = buf_steal(&b);
	d = parse(deep, &why);
	ok(d == NULL && contains(why, "nested more than 64 deep"), "depth 65 > 64: refused (%s)",
	   why);
	deep[strlen(deep) - 4] = '\0';
	memmove(deep, deep + 3, strlen(deep + 3) + 1);
	d = parse(deep, &why);
	ok(d != NULL, "depth 64: accepted");
	xform_doc_free(d);
	free(deep);

	free(why);
	why = NULL;
	d = xform_parse("<a>12345</a>", 12, 11, 64, &why);
	ok(d == NULL && contains(why, "more than the limit of 11 bytes"), "size bound (%s)", why);

	d = parse("<a>caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80</a>", &why);
	ok(d != NULL, "valid UTF-8 (2, 3 and 4 bytes) accepted");
	xform_doc_free(d);
	d = parse("<a>\n\nF\xc3\x28</a>", &why);
	ok(d == NULL && contains(why, "invalid UTF-8 at line 3"), "bad continuation byte (%s)",
	   why);
	d = parse("<a>\xc0\xaf</a>", &why);
	ok(d == NULL && contains(why, "invalid UTF-8"), "overlong encoding refused");
	d = parse("<a>\xed\xa0\x80</a>", &why);
	ok(d == NULL && contains(why, "invalid UTF-8"), "UTF-16 surrogate refused");
	d = parse("<a>\xf4\x90\x80\x80</a>", &why);
	ok(d == NULL && contains(why, "invalid UTF-8"), "code point above U+10FFFF refused");
	d = parse("<a>\xe9</a>", &why);
	ok(d == NULL && contains(why, "invalid UTF-8"), "Latin-1 byte without declaration refused");
	d = parse("<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xe9</a>", &why);
	ok(d != NULL, "Latin-1 with its declaration accepted");
	xform_doc_free(d);

	d = parse("%PDF-1.4", &why);
	ok(d == NULL && contains(why, "not XML"), "a PDF is not XML (%s)", why);
	d = parse("{\"invoice\": 1}", &why);
	ok(d == NULL && contains(why, "not XML"), "JSON is not XML");
	free(why);
	why = NULL;
	d = xform_parse("", 0, 100, 64, &why);
	ok(d == NULL && contains(why, "empty"), "empty file (%s)", why);
	d = parse("<a><b></a>", &why);
	ok(d == NULL && contains(why, "not well-formed XML: line 1"), "mismatched tags (%s)", why);
	d = parse("<a/><b/>", &why);
	ok(d == NULL && contains(why, "not well-formed"), "two roots");
	d = parse("<a>\x01</a>", &why);
	ok(d == NULL && contains(why, "not well-formed"), "control character");
	free(why);
}

static void
test_detect(void)
{
	struct conf *c;
	struct xform_result r;
	char *why = NULL, *data, *sheet, *extra;
	size_t len;
	int rc;

	c = load_conf(NULL);
	data = slurp("xslt/examples/invoice-simple.xml", &len);
	rc = xform_make(data, len, "invoice-simple.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0, "ERP export transforms: %s", why ? why : "");
	is_int(r.kind, XK_ERP, "kind ERP");
	is_int(r.syntax, SYNTAX_UBL, "default syntax UBL");
	is_str(r.supplier_section, "73282932000074", "supplier SIRET read from the export");
	ok(r.xml && contains(r.xml, "<cbc:CustomizationID>"), "UBL output");
	xform_result_free(&r);
	free(data);
	conf_free(c);

	c = load_conf("[chorus]\nsyntax = cii\n");
	data = slurp("xslt/examples/invoice-simple.xml", &len);
	rc = xform_make(data, len, "invoice-simple.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0 && r.syntax == SYNTAX_CII, "[chorus] syntax = cii gives CII");
	ok(r.stylesheet && contains(r.stylesheet, "erp-to-cii.xsl"), "erp-to-cii.xsl ran");
	xform_result_free(&r);
	free(data);
	conf_free(c);

	/* per-supplier syntax and RIB transmis */
	c = load_conf("[supplier.55210055400013]\niban = FR8120041010050512345K02629\n"
	              "bic = PSSTFRPPPAR\ncadre = A2\nsyntax = cii\n");
	data = slurp("tests/xslt/input/rib-config.xml", &len);
	rc = xform_make(data, len, "rib-config.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0 && r.syntax == SYNTAX_CII, "[supplier.SIRET] syntax overrides: %s",
	   why ? why : "");
	ok(r.xml && contains(r.xml, "<ram:IBANID>FR8120041010050512345K02629</ram:IBANID>"),
	   "supplier_iban passed from [supplier.SIRET] iban");
	ok(r.xml && contains(r.xml, "<ram:BICID>PSSTFRPPPAR</ram:BICID>"), "supplier_bic passed");
	ok(r.xml && contains(r.xml, "<ram:ID>A2</ram:ID>"), "default_cadre passed");
	xform_result_free(&r);
	free(data);
	conf_free(c);

	c = load_conf(NULL);
	data = slurp("tests/samples/ubl/cen_ubl-tc434-example1.xml", &len);
	rc = xform_make(data, len, "x.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0 && r.kind == XK_UBL, "UBL passes through");
	ok(r.len == len && memcmp(r.xml, data, len) == 0, "pass-through keeps the bytes");
	ok(r.stylesheet == NULL, "no stylesheet for a pass-through");
	xform_result_free(&r);
	free(data);
	data = slurp("tests/samples/cii/cen_CII_example1.xml", &len);
	rc = xform_make(data, len, "x.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0 && r.kind == XK_CII && r.syntax == SYNTAX_CII, "CII passes through");
	xform_result_free(&r);
	free(data);

	/* a Latin-1 UBL document is deposited as UTF-8 */
	{
		const char *latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		                    "<Invoice xmlns=\"" UBL "Invoice-2\" xmlns:cbc=\"" UBL
		                    "CommonBasicComponents-2\">"
		                    "<cbc:Note>caf\xe9</cbc:Note></Invoice>\n";
		rc = xform_make(latin, strlen(latin), "l.xml", c, ROUTE_CHORUS, &r, &why);
		ok(rc == 0 && r.xml && contains(r.xml, "caf\xc3\xa9") &&
		       contains(r.xml, "encoding=\"UTF-8\""),
		   "Latin-1 pass-through re-encoded to UTF-8");
		xform_result_free(&r);
	}

	rc = xform_make("<Facture xmlns='urn:acme'/>", 27, "ACME-1.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == -1 && contains(why, "{urn:acme}Facture is not an invoice chorusgw knows") &&
	       contains(why, "UBL 2.1") && contains(why, "CII D16B") &&
	       contains(why, "{urn:chorusgw:erp:1}invoice"),
	   "unknown root: refused, listing what is accepted (%s)", why);
	free(why);
	why = NULL;
	xform_result_free(&r);
	conf_free(c);

	/* [map.NAME]: a user's stylesheet, chosen by root and/or pattern */
	sheet = map_sheet("acme.xsl", "<cac:PartyIdentification><cbc:ID schemeID='0009'>"
	                              "73282932000074</cbc:ID></cac:PartyIdentification>");
	extra = xasprintf("[map.acme]\nroot = {urn:acme}Facture\npattern = ACME-*.xml\n"
	                  "stylesheet = %s\n"
	                  "[supplier.73282932000074]\niban = FR7630006000011234567890189\n",
	                  sheet);
	c = load_conf(extra);
	rc = xform_make("<Facture xmlns='urn:acme' n='A1'/>", 34, "in/ACME-1.xml", c, ROUTE_CHORUS,
	                &r, &why);
	ok(rc == 0 && r.kind == XK_MAP, "map: root and pattern match: %s", why ? why : "");
	is_str(r.map, "acme", "map name");
	ok(r.xml && contains(r.xml, "<cbc:ID>A1</cbc:ID>"), "map stylesheet output");
	ok(r.xml && contains(r.xml, "FR7630006000011234567890189"),
	   "map: [supplier.SIRET] iban passed once the supplier is known");
	is_str(r.supplier_section, "73282932000074", "map: supplier SIRET read from the output");
	xform_result_free(&r);
	rc = xform_make("<Facture xmlns='urn:acme' n='A1'/>", 34, "OTHER.xml", c, ROUTE_CHORUS, &r,
	                &why);
	ok(rc == -1 && r.kind == XK_UNKNOWN && contains(why, "[map.acme]"),
	   "map: root alone does not match when pattern is set too");
	free(why);
	why = NULL;
	xform_result_free(&r);
	conf_free(c);
	free(extra);
	/* a supplier without a SIRET: its section is named by its identifier (any case), as
	 * an ERP export's supplier/identifier names it */
	{
		char *de = map_sheet("acme-de.xsl",
		                     "<cac:PartyIdentification><cbc:ID>DE129273398</cbc:ID>"
		                     "</cac:PartyIdentification><cac:PostalAddress><cac:Country>"
		                     "<cbc:IdentificationCode>DE</cbc:IdentificationCode>"
		                     "</cac:Country></cac:PostalAddress>");
		extra = xasprintf("[map.acme]\nroot = {urn:acme}Facture\nstylesheet = %s\n"
		                  "[supplier.de129273398]\niban = DE02 1203 0000 0000 2020 51\n",
		                  de);
		c = load_conf(extra);
		rc = xform_make("<Facture xmlns='urn:acme' n='D1'/>", 34, "D1.xml", c, ROUTE_CHORUS,
		                &r, &why);
		ok(rc == 0 && r.kind == XK_MAP, "map, no SIRET: converted: %s", why ? why : "");
		is_str(r.supplier_section, "DE129273398",
		       "map, no SIRET: the supplier's identifier read from the output");
		ok(r.xml && contains(r.xml, "DE02120300000000202051"),
		   "map, no SIRET: [supplier.ID] iban passed once the supplier is known");
		xform_result_free(&r);
		free(de);
	}
	conf_free(c);
	free(extra);

	extra = xasprintf("[map.bypattern]\npattern = *.acme\nstylesheet = %s\n"
	                  "[map.ubl]\nroot = {" UBL "CreditNote-2}CreditNote\nstylesheet = %s\n",
	                  sheet, sheet);
	c = load_conf(extra);
	rc = xform_make("<Facture xmlns='urn:acme' n='B2'/>", 34, "x.acme", c, ROUTE_CHORUS, &r,
	                &why);
	ok(rc == 0 && r.kind == XK_MAP, "map by pattern only");
	xform_result_free(&r);
	{
		const char *ubl = "<Invoice xmlns='" UBL "Invoice-2'/>";
		const char *cn = "<CreditNote xmlns='" UBL "CreditNote-2'/>";
		rc = xform_make(ubl, strlen(ubl), "x.acme", c, ROUTE_CHORUS, &r, &why);
		ok(rc == 0 && r.kind == XK_UBL, "a pattern-only map does not take a UBL document");
		xform_result_free(&r);
		rc = xform_make(cn, strlen(cn), "x.xml", c, ROUTE_CHORUS, &r, &why);
		ok(r.kind == XK_MAP && r.map && strcmp(r.map, "ubl") == 0,
		   "a map naming the UBL root explicitly takes it");
		free(why);
		why = NULL;
		xform_result_free(&r);
	}
	conf_free(c);
	free(extra);

	/* the cache: compiled once, reloaded after xform_cache_drop() */
	extra = xasprintf("[map.bypattern]\npattern = *.acme\nstylesheet = %s\n", sheet);
	c = load_conf(extra);
	free(sheet);
	sheet = write_tmp(
	    "acme.xsl",
	    "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>\n"
	    " <xsl:template match='/'><CrossIndustryInvoice "
	    "xmlns='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'/>"
	    "</xsl:template>\n</xsl:stylesheet>\n");
	rc = xform_make("<Facture xmlns='urn:acme' n='B2'/>", 34, "x.acme", c, ROUTE_CHORUS, &r,
	                &why);
	ok(rc == 0 && r.xml && contains(r.xml, "<cbc:ID>B2</cbc:ID>"),
	   "cache: the compiled stylesheet is reused");
	xform_result_free(&r);
	xform_cache_drop();
	rc = xform_make("<Facture xmlns='urn:acme' n='B2'/>", 34, "x.acme", c, ROUTE_CHORUS, &r,
	                &why);
	ok(rc == -1 && contains(why, "produced CII although UBL was expected"),
	   "after xform_cache_drop() the new stylesheet runs (%s)", why);
	free(why);
	why = NULL;
	xform_result_free(&r);
	conf_free(c);
	free(extra);
	free(sheet);

	/* a runaway stylesheet (a recursion that branches: 2^40 calls) is stopped by the
	 * bound on its work, with a reason, and the document is not made */
	rc = through_sheet(
	    "runaway",
	    "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>\n"
	    " <xsl:template name='t'><xsl:param name='n'/><xsl:if test='$n &gt; 0'>"
	    "<xsl:call-template name='t'><xsl:with-param name='n' select='$n - 1'/>"
	    "</xsl:call-template><xsl:call-template name='t'>"
	    "<xsl:with-param name='n' select='$n - 1'/></xsl:call-template></xsl:if>"
	    "</xsl:template>\n"
	    " <xsl:template match='/'><Invoice "
	    "xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'>"
	    "<xsl:call-template name='t'><xsl:with-param name='n' select='40'/>"
	    "</xsl:call-template></Invoice></xsl:template>\n</xsl:stylesheet>\n",
	    &r, &why);
	ok(rc == -1 && !r.setup && r.xml == NULL && contains(why, "was stopped after") &&
	       contains(why, "runaway recursion"),
	   "runaway stylesheet: stopped with a reason (%s)", why);
	xform_result_free(&r);

	/* a stylesheet that does not compile is the configuration's fault */
	rc = through_sheet("broken",
	                   "<xsl:stylesheet version='1.0' "
	                   "xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
	                   "<xsl:template match='/'><xsl:bogus/></xsl:template>"
	                   "</xsl:stylesheet>",
	                   &r, &why);
	ok(rc == -1 && r.setup && contains(why, "cannot compile the stylesheet"),
	   "broken stylesheet: a set-up failure (%s)", why);
	free(why);
	why = NULL;
	xform_result_free(&r);

	/* an ERP export that does not follow its schema */
	c = load_conf(NULL);
	rc = xform_make("<invoice xmlns='urn:chorusgw:erp:1'><number>1</number><bogus/></invoice>",
	                72, "e.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == -1 && !r.setup && r.input.n >= 1 &&
	       contains(why, "not a valid chorusgw ERP export"),
	   "invalid ERP export: refused with its schema errors (%s)", why);
	if (r.input.n)
		ok(r.input.v[0].line == 1 && contains(r.input.v[0].msg, "issue-date"),
		   "each error with its line and message: %s", r.input.v[0].msg);
	free(why);
	why = NULL;
	xform_result_free(&r);
	conf_free(c);
}

static void
test_validate_and_model(void)
{
	struct conf *c = load_conf("[chorus]\nsyntax = ubl\n");
	struct xform_result r;
	struct xform_diags d;
	struct invoice *inv;
	char *why = NULL, *data;
	size_t len;
	int rc;

	data = slurp("xslt/examples/invoice-multirate-allowances.xml", &len);
	rc = xform_make(data, len, "m.xml", c, ROUTE_CHORUS, &r, &why);
	ok(rc == 0, "multirate transforms");
	rc = xform_validate(&r, c, &d, &why);
	ok(rc == 0 && d.n == 0, "generated UBL validates against UBL-Invoice-2.1.xsd");
	xform_diags_free(&d);
	inv = xform_model(&r);
	ok(inv != NULL, "model read");
	if (inv) {
		is_str(inv->number.text, "FB-2025-0031", "number");
		is_str(inv->number.path, "cbc:ID", "number's path");
		ok(inv->number.line > 1, "number's line %d", inv->number.line);
		is_str(inv->type_code.text, "380", "type code");
		is_str(inv->issue_date.text, "2025-01-20", "issue date");
		is_str(inv->supplier.siret.text, "55210055400013", "supplier SIRET");
		is_str(inv->supplier.siret.attr, "0009", "its scheme");
		is_str(inv->supplier.siret.path,
		       "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID",
		       "its path");
		is_str(inv->buyer.siret.text, "21750001600019", "buyer SIRET");
		is_str(inv->buyer.legal_id.text, "217500016", "buyer SIREN");
		is_str(inv->engagement.text, "2025004518", "engagement");
		ok(inv->service_code.text == NULL, "no service code");
		is_str(inv->service_code.path, "cbc:BuyerReference", "where it would be");
		is_str(inv->cadre.text, "A1", "cadre");
		is_int(inv->nlines, 5, "five lines");
		is_int(inv->nvats, 3, "three VAT rates");
		is_int(inv->nacs, 2, "document allowance and charge");
		if (inv->nlines == 5) {
			is_str(inv->lines[0].acs[0].amount.text, "111.00", "line allowance");
			is_str(inv->lines[4].base_quantity.text, "100", "price base quantity");
			is_str(inv->lines[1].vat_rate.text, "5.5", "line rate");
			is_str(inv->lines[2].net_amount.path,
			       "cac:InvoiceLine[3]/cbc:LineExtensionAmount",
			       "line path with index");
			is_str(inv->lines[0].quantity.attr, "C62", "unit code");
		}
		is_str(inv->payable.text, "3311.88", "payable");
		is_str(inv->prepaid.text, "1500.00", "prepaid");
		ok(inv->npayments == 1 && inv->payments[0].iban.text &&
		       strcmp(inv->payments[0].iban.text, "FR7610278073100002051364561") == 0,
		   "IBAN");
		ok(inv->generated, "made by a stylesheet");
	}
	invoice_free(inv);
	xform_result_free(&r);
	conf_free(c);

	c = load_conf("[chorus]\nsyntax = cii\n");
	rc = xform_make(data, len, "m.xml", c, ROUTE_CHORUS, &r, &why);
	rc = rc == 0 ? xform_validate(&r, c, &d, &why) : -1;
	ok(rc == 0 && d.n == 0,
	   "generated CII validates against CrossIndustryInvoice_100pD16B.xsd");
	xform_diags_free(&d);
	inv = xform_model(&r);
	if (inv) {
		is_str(inv->number.text, "FB-2025-0031", "CII number");
		is_str(inv->issue_date.text, "20250120", "CII date");
		is_str(inv->issue_date.attr, "102", "CII date format");
		is_str(inv->supplier.siret.text, "55210055400013", "CII supplier SIRET");
		is_str(inv->tax_total.text, "511.15", "CII VAT total in the invoice currency");
		is_int(inv->nlines, 5, "CII lines");
		is_int(inv->nvats, 3, "CII VAT breakdown");
	}
	invoice_free(inv);
	xform_result_free(&r);
	free(data);
	conf_free(c);

	/* the electronic addresses BT-34 / BT-49, in UBL and in CII */
	data = slurp("xslt/examples/invoice-identifiers.xml", &len);
	c = load_conf("");
	rc = xform_make(data, len, "i.xml", c, ROUTE_CHORUS, &r, &why);
	inv = rc == 0 ? xform_model(&r) : NULL;
	ok(inv != NULL, "identifiers example read");
	if (inv) {
		is_str(inv->supplier.endpoint.text, "732829320",
		       "UBL: seller's electronic address");
		is_str(inv->supplier.endpoint.attr, "0225", "... its scheme");
		is_str(inv->buyer.endpoint.text, "263300592", "UBL: buyer's electronic address");
		is_str(inv->buyer.endpoint.path,
		       "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", "... its path");
	}
	invoice_free(inv);
	xform_result_free(&r);
	conf_free(c);
	c = load_conf("[chorus]\nsyntax = cii\n");
	rc = xform_make(data, len, "i.xml", c, ROUTE_CHORUS, &r, &why);
	inv = rc == 0 ? xform_model(&r) : NULL;
	if (inv) {
		is_str(inv->buyer.endpoint.text, "263300592", "CII: buyer's electronic address");
		is_str(inv->buyer.endpoint.attr, "0225", "... its scheme");
	}
	invoice_free(inv);
	xform_result_free(&r);
	conf_free(c);
	free(data);

	/* an invalid document: each XSD error with line, path and a short message */
	c = load_conf(NULL);
	data = slurp("tests/xslt/golden/invoice-simple.ubl.xml", &len);
	{
		char *bad = xstrdup(data), *p = strstr(bad, "<cbc:IssueDate>");
		struct buf b;
		buf_init(&b);
		buf_add(&b, bad, (size_t)(p - bad));
		buf_adds(&b, "<cbc:Bogus/>");
		buf_adds(&b, p);
		rc = xform_make(b.p, b.len, "bad.xml", c, ROUTE_CHORUS, &r, &why);
		rc = rc == 0 ? xform_validate(&r, c, &d, &why) : -1;
		ok(rc == 0 && d.n == 1, "one XSD error");
		if (d.n) {
			is_str(d.v[0].path, "cbc:Bogus", "XSD error path");
			ok(d.v[0].line == 6, "XSD error line %d", d.v[0].line);
			ok(contains(d.v[0].msg,
			            "Element 'cbc:Bogus': This element is not expected"),
			   "namespaces shortened to prefixes: %s", d.v[0].msg);
		}
		xform_diags_free(&d);
		xform_result_free(&r);
		buf_free(&b);
		free(bad);
	}
	conf_free(c);

	c = load_conf(NULL);
	free(c->schema_dir);
	c->schema_dir = NULL;
	rc = xform_make(data, len, "x.xml", c, ROUTE_CHORUS, &r, &why);
	is_int(xform_validate(&r, c, &d, &why), 1, "schema_dir empty: not validated");
	xform_result_free(&r);
	c->schema_dir = xasprintf("%s/nowhere", dir);
	rc = xform_make(data, len, "x.xml", c, ROUTE_CHORUS, &r, &why);
	rc = xform_validate(&r, c, &d, &why);
	ok(rc == -1 && contains(why, "schema_dir") && contains(why, "cannot read the schema"),
	   "missing schema: a set-up failure (%s)", why);
	free(why);
	xform_result_free(&r);
	conf_free(c);
	free(data);
}

/* The model of a golden file passed through (NULL if it fails); release r. */
static struct invoice *
golden_model(const char *name, struct xform_result *r)
{
	struct conf *c = load_conf(NULL);
	char *why = NULL, *path = xasprintf("tests/xslt/golden/%s", name), *data;
	size_t len;
	struct invoice *inv = NULL;

	data = slurp(path, &len);
	if (xform_make(data, len, name, c, ROUTE_CHORUS, r, &why) == 0)
		inv = xform_model(r);
	free(why);
	free(data);
	free(path);
	conf_free(c);
	return inv;
}

/* The terms the VAT category rules need: the seller's tax registration identifier
 * (BT-32), the tax representative's VAT identifier (BT-63), the delivery date (BT-72)
 * and the invoicing period (BG-14), in both syntaxes. */
static void
test_model_tax_terms(void)
{
	static const char *const syn[] = {"ubl", "cii"};
	struct xform_result r;
	struct invoice *inv;
	char name[96];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "invoice-identifiers.%s.xml", syn[i]);
		inv = golden_model(name, &r);
		ok(inv != NULL, "%s: model", name);
		if (inv) {
			is_str(inv->supplier.vat_id.text, "FR44732829320", "%s: VAT id", name);
			is_str(inv->supplier.tax_reg_id.text, "732829320",
			       "%s: tax registration id apart from it", name);
			ok(inv->buyer.tax_reg_id.text == NULL, "%s: the buyer has none", name);
			ok(inv->tax_rep_vat_id.text == NULL && inv->tax_rep_vat_id.path,
			   "%s: no tax representative, and where it would be", name);
		}
		invoice_free(inv);
		xform_result_free(&r);

		snprintf(name, sizeof(name), "invoice-tax-representative.%s.xml", syn[i]);
		inv = golden_model(name, &r);
		is_str(inv ? inv->tax_rep_vat_id.text : NULL, "FR61412345678",
		       "%s: tax representative's VAT id", name);
		ok(inv && inv->supplier.tax_reg_id.text == NULL,
		   "%s: the VAT id is no tax registration id", name);
		invoice_free(inv);
		xform_result_free(&r);

		snprintf(name, sizeof(name), "invoice-multirate-allowances.%s.xml", syn[i]);
		inv = golden_model(name, &r);
		is_str(inv ? inv->delivery_date.text : NULL, i ? "20250116" : "2025-01-16",
		       "%s: delivery date", name);
		invoice_free(inv);
		xform_result_free(&r);

		snprintf(name, sizeof(name), "invoice-engagement.%s.xml", syn[i]);
		inv = golden_model(name, &r);
		is_str(inv ? inv->period_start.text : NULL, i ? "20250201" : "2025-02-01",
		       "%s: invoicing period start", name);
		ok(inv && inv->period_end.text, "%s: and end", name);
		invoice_free(inv);
		xform_result_free(&r);
	}
}

int
main(void)
{
	srctree_init();
	if (mkdtemp(dir) == NULL)
		return 1;
	test_parser();
	test_detect();
	test_validate_and_model();
	test_model_tax_terms();
	xform_cleanup();
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			ok(0, "cleanup");
		free(cmd);
	}
	return done_testing();
}
