/* Unit tests of cdar.c: the code lists, and each BR-FR-CDV rule failing on a message
 * that breaks it and only it (the agreement with the schematron itself is
 * tests/cdar/agreement.sh); xform-cdar.c's XML in the order of the XSD. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdar.h"
#include "check.h"
#include "cdar-cases.h"
#include "tap.h"
#include "util.h"

/* The rule ids cdar_check() reports, space-separated. */
static char *
verdict(struct cdar *c)
{
	struct problems ps;
	struct buf b;
	size_t i;
	memset(&ps, 0, sizeof(ps));
	cdar_check(c, &ps);
	buf_init(&b);
	for (i = 0; i < ps.n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", ps.v[i].rule);
	buf_adds(&b, "");
	problems_free(&ps);
	cdar_free(c);
	return buf_steal(&b);
}

int
main(void)
{
	char *xml, *v;
	size_t len, i;
	struct cdar *doc;

	ok(cdv_status_find("205") && strcmp(cdv_status_label("205"), "Approuvée") == 0,
	   "205 is Approuvée");
	ok(cdv_status_find("999") == NULL, "999 is no status of BR-FR-CDV-CL-06");
	ok(cdv_status_find("210")->reason && !cdv_status_find("205")->reason,
	   "a reason is mandatory for 210, not for 205 (BR-FR-CDV-15)");
	ok(cdv_reason_ok("TX_TVA_ERR", "210") && !cdv_reason_ok("QTE_ERR", "210"),
	   "CL-09: TX_TVA_ERR fits 210, QTE_ERR does not");
	ok(cdv_reason_ok("QTE_ERR", "207") && cdv_reason_ok("QTE_ERR", NULL),
	   "QTE_ERR fits 207 and the whole list");
	ok(!cdv_reason_ok("TX_TVA", NULL) && !cdv_reason_ok("", NULL), "unknown codes refused");
	ok(strstr(cdv_reasons_for("208"), " JUSTIF_ABS ") != NULL, "208's list has JUSTIF_ABS");

	for (i = 0; i < nitems(cdar_cases); i++) {
		struct cdar *c = cdar_sample();
		if (cdar_cases[i].mutate)
			cdar_cases[i].mutate(c);
		v = verdict(c);
		is_str(v, cdar_cases[i].rules, "%s", cdar_cases[i].name);
		free(v);
	}

	/* the XML: the elements in the XSD's order, values escaped */
	doc = cdar_sample();
	set(&DETAIL(doc)->reason, "TVA <5,5 %> & \"autre\"");
	xml = cdar_xml(doc, &len);
	ok(len == strlen(xml), "the XML has no NUL");
	ok(contains(xml, "<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm=\"urn:un:unece:"
	                 "uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100\""),
	   "root in the CDAR namespace");
	ok(contains(xml, "<ram:Reason>TVA &lt;5,5 %&gt; &amp; \"autre\"</ram:Reason>"),
	   "the reason escaped");
	ok(strstr(xml, "<ram:IssuerAssignedID>F-1") < strstr(xml, "<ram:TypeCode>380") &&
	       strstr(xml, "<ram:TypeCode>380") < strstr(xml, "FormattedIssueDateTime") &&
	       strstr(xml, "FormattedIssueDateTime") < strstr(xml, "<ram:ProcessConditionCode>210"),
	   "the reference's elements in order");
	ok(contains(xml, "<qdt:DateTimeString format=\"102\">20260915</qdt:DateTimeString>"),
	   "the invoice's date, format 102");
	ok(contains(xml, "<ram:GlobalID schemeID=\"0002\">552081317</ram:GlobalID>"),
	   "a GlobalID with its scheme");
	/* read back: the same model */
	{
		static const char xxe[] =
		    "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>";
		struct cdar *back = NULL;
		char *why = NULL;
		ok(cdar_read(xml, len, 1 << 20, 64, &back, &why) == 0, "read back");
		ok(back && back->nacks == 1 && back->acks[0].nrefs == 1 &&
		       strcmp(back->acks[0].refs[0].details[0].reason, "TVA <5,5 %> & \"autre\"") ==
		           0 &&
		       strcmp(back->acks[0].refs[0].issuer->ids[0].scheme, "0002") == 0 &&
		       strcmp(back->recipients[0].uri.id, "732829320") == 0 &&
		       back->acks[0].multiple_refs == -1 && back->sender->nids == 0,
		   "values, schemes, addresses and absences as written");
		cdar_free(back);
		free(why);
		why = NULL;
		ok(cdar_read(xxe, strlen(xxe), 1 << 20, 64, &back, &why) == -1 && back == NULL &&
		       contains(why, "DOCTYPE"),
		   "a DOCTYPE is refused: %s", why ? why : "");
		free(why);
		why = NULL;
		ok(cdar_read("<Invoice/>", 10, 1 << 20, 64, &back, &why) == -1 &&
		       contains(why, "not a CDAR"),
		   "another document is refused: %s", why ? why : "");
		free(why);
	}
	free(xml);
	cdar_free(doc);
	return done_testing();
}
