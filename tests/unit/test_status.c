/* Unit tests of status.c: reading status files (what is refused, and why, in one
 * line), and the lifecycle message made from one: the file's own rules (STATUS), the
 * BR-FR-CDV rules that concern it, and what the message says. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdar.h"
#include "check.h"
#include "status.h"
#include "tap.h"
#include "util.h"

static struct status_file *
parse(const char *text, char **why)
{
	struct status_file *sf = NULL;
	*why = NULL;
	if (status_parse(text, strlen(text), &sf, why) == -1)
		return NULL;
	return sf;
}

/* Refused, with a reason that contains `part`. */
static void
refused(const char *text, const char *part, const char *name)
{
	char *why;
	struct status_file *sf = parse(text, &why);
	ok(sf == NULL && contains(why, part), "refused: %s", name);
	if (sf || !contains(why, part))
		printf("#   why: %s\n", why ? why : "(accepted)");
	status_file_free(sf);
	free(why);
}

static const struct lc_invoice inv = {
    .number = "F-2026-001",
    .type_code = "380",
    .issue_date = "2026-09-15",
    .seller_siren = "732829320",
    .seller_name = "Fournisseur SA",
    .seller_address = "732829320_FACT",
    .buyer_siren = "552081317",
    .buyer_name = "Acheteur SAS",
    .total = "1200.00",
    .vat_rates = "20",
};

/* The rules the message of `text` breaks, space-separated; the XML into *xml. */
static char *
rules_of(const char *text, enum status_side side, const struct lc_invoice *in, char **xml)
{
	char *why;
	struct status_file *sf = parse(text, &why);
	struct problems ps;
	struct cdar *c;
	struct buf b;
	size_t i, len;
	if (sf == NULL) {
		printf("#   not parsed: %s\n", why);
		free(why);
		return xstrdup("(not parsed)");
	}
	memset(&ps, 0, sizeof(ps));
	c = status_cdar(sf, in, side, "CDV-1", 1790000000, &ps);
	buf_init(&b);
	for (i = 0; i < ps.n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", ps.v[i].rule);
	buf_adds(&b, "");
	if (xml)
		*xml = cdar_xml(c, &len);
	problems_free(&ps);
	cdar_free(c);
	status_file_free(sf);
	return buf_steal(&b);
}

static void
rules_are(const char *text, enum status_side side, const char *want, const char *name)
{
	char *got = rules_of(text, side, &inv, NULL);
	is_str(got, want, "%s", name);
	free(got);
}

int
main(void)
{
	struct status_file *sf;
	char *why, *xml, *r;
	struct lc_invoice two = inv;

	sf = parse("; the ERP's approval\r\n[status]\r\nstatus = 205\r\n", &why);
	ok(sf && strcmp(sf->status, "205") == 0 && sf->reason == NULL, "CRLF, comment, section");
	status_file_free(sf);
	sf = parse("\xef\xbb\xbfstatus=210\nreason_code =  TX_TVA_ERR \n"
	           "reason = Taux\\nfaux \xc3\xa0 20 %\n# done\n",
	           &why);
	ok(sf && strcmp(sf->reason_code, "TX_TVA_ERR") == 0 &&
	       strcmp(sf->reason, "Taux\nfaux \xc3\xa0 20 %") == 0,
	   "BOM, blanks trimmed, \\n in the reason, UTF-8 kept");
	status_file_free(sf);
	sf = parse("status = 205\nreason =\n", &why);
	ok(sf && sf->reason == NULL, "an empty value is no value");
	status_file_free(sf);

	refused("", "no status", "empty file");
	refused("reason = x\n", "no status", "no status key");
	refused("status = 205\nreason_cod = X\n", "line 2: unknown key \"reason_cod\"",
	        "typo in a key");
	refused("status = 205\nstatus = 210\n", "line 2: status is given twice", "repeated key");
	refused("status = approved\n", "3-digit code", "a word for a status");
	refused("status = 2050\n", "3-digit code", "4 digits");
	refused("[receipt]\nstatus = 205\n", "the one section of a status file is [status]",
	        "another section");
	refused("status 205\n", "line 1: neither", "no equals sign");
	refused("status = 205\nreason = a\\qb\n", "backslash", "bad escape");
	refused("status = 205\nreason = a\\x01b\n", "control character", "control character");
	refused("status = 205\ninvoice_number = a\\nb\n", "control character",
	        "line break outside the reason");
	refused("status = 205\nreason = caf\xe9\n", "byte 26 is not UTF-8", "Latin-1");
	{
		char big[STATUS_FILE_MAX + 2];
		memset(big, ';', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		refused(big, "at most", "too large");
	}

	rules_are("status = 205\n", STATUS_BUYER, "", "205 by the buyer");
	rules_are("status = 204\n", STATUS_BUYER, "", "204");
	rules_are("status = 210\nreason_code = TX_TVA_ERR\nreason = 5,5 %\n", STATUS_BUYER, "",
	          "210 with a reason");
	rules_are("status = 210\n", STATUS_BUYER, "BR-FR-CDV-15_MDT-113", "210 without a reason");
	rules_are("status = 210\nreason = wrong VAT\n", STATUS_BUYER, "BR-FR-CDV-15_MDT-113",
	          "210 with a text but no code");
	rules_are("status = 210\nreason_code = QTE_ERR\n", STATUS_BUYER,
	          "BR-FR-CDV-CL-09_MDT-113_210", "210 with a 207 reason");
	rules_are("status = 207\nreason_code = QTE_ERR\n", STATUS_BUYER, "", "207 QTE_ERR");
	rules_are("status = 208\nreason_code = JUSTIF_ABS\n", STATUS_BUYER, "", "208 JUSTIF_ABS");
	rules_are("status = 206\nreason_code = QTE_ERR\namount = 600.00\n", STATUS_BUYER, "",
	          "206 with reason and amount");
	rules_are("status = 206\nreason_code = QTE_ERR\n", STATUS_BUYER, "STATUS",
	          "206 without the amount");
	rules_are("status = 206\nreason_code = QTE_ERR\namount = 1500\n", STATUS_BUYER, "STATUS",
	          "206 above the total");
	rules_are("status = 211\namount = 1200\n", STATUS_BUYER, "", "211 with the amount paid");
	rules_are("status = 211\n", STATUS_BUYER, "", "211 without amount");
	rules_are("status = 205\namount = 12\n", STATUS_BUYER, "STATUS", "205 with an amount");
	rules_are("status = 211\namount = 12.345\n", STATUS_BUYER, "STATUS", "3 decimals");
	rules_are("status = 211\namount = -5\n", STATUS_BUYER, "STATUS", "negative amount");
	rules_are("status = 212\namount = 1200.00\n", STATUS_BUYER, "STATUS",
	          "212 is not the buyer's");
	rules_are("status = 205\n", STATUS_SELLER, "STATUS", "205 is not the seller's");
	rules_are("status = 213\nreason_code = DOUBLON\n", STATUS_BUYER, "STATUS",
	          "213 is a platform's");
	rules_are("status = 299\n", STATUS_BUYER, "STATUS BR-FR-CDV-CL-06_MDT-105",
	          "299 is no status");
	rules_are("status = 212\namount = 1200.00\n", STATUS_SELLER, "",
	          "212 with the amount: the invoice's one VAT rate");
	rules_are("status = 212\n", STATUS_SELLER, "BR-FR-CDV-14_MDT-207",
	          "212 without the amount");
	rules_are("status = 212\namount = 100\nvat_rate = 5.5\n", STATUS_SELLER, "",
	          "212 with its VAT rate");
	rules_are("status = 212\namount = 100\nvat_rate = 5,5\n", STATUS_SELLER,
	          "STATUS BR-FR-CDV-14_MDT-207", "a VAT rate with a comma");
	rules_are("status = 205\ninvoice_number = F-2026-002\n", STATUS_BUYER, "STATUS",
	          "another invoice's number");
	rules_are("status = 205\ninvoice_number = F-2026-001\n", STATUS_BUYER, "",
	          "the invoice's own number");
	two.vat_rates = "20 5.5";
	r = rules_of("status = 212\namount = 100\n", STATUS_SELLER, &two, NULL);
	is_str(r, "STATUS BR-FR-CDV-14_MDT-207", "212 on an invoice with two VAT rates: say which");
	free(r);

	r = rules_of("status = 206\nreason_code = QTE_ERR\nreason = 2 of 4\namount = 600.00\n",
	             STATUS_BUYER, &inv, &xml);
	is_str(r, "", "206: clean");
	ok(contains(xml, "<ram:ID>CDV-1</ram:ID>") &&
	       contains(xml, "<ram:Name>206 Approuvée partiellement</ram:Name>"),
	   "the message's id and name");
	ok(contains(xml, "<ram:RoleCode>BY</ram:RoleCode>") &&
	       contains(xml, "<ram:URIID schemeID=\"0225\">732829320_FACT</ram:URIID>"),
	   "from the buyer to the seller's electronic address");
	ok(contains(xml, "<ram:TypeCode>MAPTTC</ram:TypeCode>") &&
	       contains(xml, "<ram:ValueAmount>600.00</ram:ValueAmount>"),
	   "the amount approved (MAPTTC)");
	ok(contains(xml, "<ram:ProcessConditionCode>206</ram:ProcessConditionCode>") &&
	       contains(xml, "<ram:ReasonCode>QTE_ERR</ram:ReasonCode>") &&
	       contains(xml, "<ram:Reason>2 of 4</ram:Reason>"),
	   "status, reason code and text");
	free(r);
	free(xml);
	r = rules_of("status = 212\namount = 1200.00\n", STATUS_SELLER, &inv, &xml);
	ok(contains(xml, "<ram:TypeCode>MEN</ram:TypeCode>") &&
	       contains(xml, "<ram:ValuePercent>20</ram:ValuePercent>") &&
	       contains(xml, "<ram:RoleCode>SE</ram:RoleCode>"),
	   "212: MEN with the VAT rate, from the seller");
	free(r);
	free(xml);
	return done_testing();
}
