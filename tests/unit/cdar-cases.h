/*
 * cdar-cases.h - lifecycle messages that each break one BR-FR-CDV rule (or none), as
 * mutations of one clean message, with the rule ids cdar_check() must report. Shared
 * by test_cdar (the C verdict is the expected one) and cdardrv (which writes them as
 * XML for tests/cdar/agreement.sh: the schematron must say the same). Test code only.
 */
#ifndef CHORUSGW_CDAR_CASES_H
#define CHORUSGW_CDAR_CASES_H

#include <stdlib.h>

#include "cdar.h"
#include "util.h"

#define S xstrdup

static inline struct cdar_party *
party(struct cdar_party *p, const char *id, const char *scheme, const char *role)
{
	if (id)
		cdar_add_id(p, id, scheme);
	p->role = role ? S(role) : NULL;
	return p;
}

static inline void
set(char **field, const char *v)
{
	free(*field);
	*field = v ? S(v) : NULL;
}

/* Remove a party's GlobalIDs. */
static inline void
drop_ids(struct cdar_party *p)
{
	while (p->nids > 0) {
		p->nids--;
		free(p->ids[p->nids].id);
		free(p->ids[p->nids].scheme);
	}
}

/* A buyer's 210 on invoice F-1 of seller 732829320, as status.c writes one. */
static inline struct cdar *
cdar_sample(void)
{
	struct cdar *c = cdar_new();
	struct cdar_party *rc;
	struct cdar_ack *a;
	struct cdar_ref *r;
	struct cdar_detail *d;

	c->business_process = S("REGULATED");
	c->guideline = S(CDV_GUIDELINE);
	c->id = S("CDV-1");
	c->issue_time = S("20260920120000");
	c->sender = party(cdar_party_new(), NULL, NULL, "BY");
	c->issuer = party(cdar_party_new(), "552081317", "0002", "BY");
	rc = party(cdar_add_party(&c->recipients, &c->nrecipients), "732829320", "0002", "SE");
	rc->uri.id = S("732829320");
	rc->uri.scheme = S("0225");
	a = cdar_add_ack(c);
	a->type_code = S("23");
	r = cdar_add_ref(a);
	r->number = S("F-1");
	r->type_code = S("380");
	r->issue_date = S("20260915");
	r->status = S("210");
	r->issuer = party(cdar_party_new(), "732829320", "0002", "SE");
	d = cdar_add_detail(r);
	d->reason_code = S("TX_TVA_ERR");
	d->seq = S("1");
	return c;
}

#define REF(c)    (&(c)->acks[0].refs[0])
#define DETAIL(c) (&REF(c)->details[0])

static void
case_01(struct cdar *c)
{
	set(&c->guideline, "urn:other");
}

static void
case_02(struct cdar *c)
{
	set(&c->business_process, "B2B");
}

static void
case_03(struct cdar *c)
{
	set(&c->business_process, NULL);
}

static void
case_04(struct cdar *c)
{
	set(&c->id, NULL);
}

static void
case_05(struct cdar *c)
{
	drop_ids(c->issuer);
}

static void
case_06(struct cdar *c)
{
	set(&c->recipients[0].uri.id, NULL);
}

static void
case_07(struct cdar *c)
{
	set(&c->recipients[0].uri.id, NULL);
	set(&c->recipients[0].role, "WK");
}

static void
case_08(struct cdar *c)
{
	set(&c->acks[0].type_code, "24");
}

static void
case_09(struct cdar *c)
{
	set(&REF(c)->issue_date, NULL);
}

static void
case_10(struct cdar *c)
{
	set(&REF(c)->issue_date, NULL);
	set(&REF(c)->status, "501");
	set(&DETAIL(c)->reason_code, "IRR_SYNTAX");
}

static void
case_11(struct cdar *c)
{
	set(&REF(c)->status, NULL);
}

static void
case_12(struct cdar *c)
{
	drop_ids(REF(c)->issuer);
}

static void
case_13(struct cdar *c)
{
	set(&REF(c)->status, "212");
	set(&DETAIL(c)->reason_code, NULL);
}

static void
case_14(struct cdar *c)
{
	set(&REF(c)->status, "212");
	set(&DETAIL(c)->reason_code, NULL);
	(cdar_add_char(DETAIL(c))->type = S("MEN"));
}

static void
case_15(struct cdar *c)
{
	set(&REF(c)->status, "212");
	set(&DETAIL(c)->reason_code, NULL);
	(cdar_add_char(DETAIL(c))->type = S("MEN"));
	(DETAIL(c)->chars[0].amount = S("120.00"));
	(DETAIL(c)->chars[0].percent = S("20"));
}

static void
case_16(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, NULL);
}

static void
case_17(struct cdar *c)
{
	set(&REF(c)->status, "206");
	set(&DETAIL(c)->reason_code, NULL);
}

static void
case_18(struct cdar *c)
{
	set(&REF(c)->status, "205");
	set(&DETAIL(c)->reason_code, NULL);
}

static void
case_19(struct cdar *c)
{
	set(&DETAIL(c)->seq, NULL);
}

static void
case_20(struct cdar *c)
{
	set(&c->sender->role, "SE");
}

static void
case_21(struct cdar *c)
{
	set(&c->sender->role, "XX");
}

static void
case_22(struct cdar *c)
{
	set(&c->issuer->role, "WK");
}

static void
case_23(struct cdar *c)
{
	set(&c->acks[0].type_code, "305");
}

static void
case_24(struct cdar *c)
{
	set(&c->recipients[0].role, "ZZ");
}

static void
case_25(struct cdar *c)
{
	set(&REF(c)->status_code, "45");
}

static void
case_26(struct cdar *c)
{
	set(&REF(c)->status_code, "10");
}

static void
case_27(struct cdar *c)
{
	set(&REF(c)->status, "299");
	set(&DETAIL(c)->reason_code, NULL);
}

static void
case_28(struct cdar *c)
{
	set(&REF(c)->issuer->role, "BY");
}

static void
case_29(struct cdar *c)
{
	party(cdar_add_party(&REF(c)->recipients, &REF(c)->nrecipients), NULL, NULL, "QQ");
}

static void
case_30(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, "TX_TVA");
}

static void
case_31(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, "QTE_ERR");
}

static void
case_32(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, "QTE_ERR");
	set(&DETAIL(c)->status, "207");
}

static void
case_33(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, "LIVR_INCOMP");
	cdar_add_id(c->sender, "9999", "0238");
}

static void
case_34(struct cdar *c)
{
	set(&DETAIL(c)->reason_code, "QTE_ERR");
	cdar_add_id(c->sender, "9999", "0238");
}

static void
case_35(struct cdar *c)
{
	cdar_add_id(c->sender, "552081317", "0002");
}

static void
case_36(struct cdar *c)
{
	set(&DETAIL(c)->action, "XYZ");
}

static void
case_37(struct cdar *c)
{
	cdar_add_char(DETAIL(c))->type = S("ABC");
}

static void
case_38(struct cdar *c)
{
	set(&REF(c)->type_code, "999");
}

/* The clean sample, then each mutation: its name and the rules it breaks. */
static const struct cdar_case {
	void (*mutate)(struct cdar *);
	const char *name;
	const char *rules; /* space-separated, in cdar_check()'s order */
} cdar_cases[] = {
    {NULL, "the clean sample", ""},
    {case_01, "CDV-02: another guideline", "BR-FR-CDV-02_MDT-3"},
    {case_02, "CL-01: B2B", "BR-FR-CDV-CL-01_MDT-2"},
    {case_03, "CL-01: no business process", "BR-FR-CDV-CL-01_MDT-2"},
    {case_04, "CDV-03: no ID", "BR-FR-CDV-03_MDT-4"},
    {case_05, "CDV-07: issuer without GlobalID", "BR-FR-CDV-07_MDT-38_yes"},
    {case_06, "CDV-08: recipient SE without address", "BR-FR-CDV-08_MDT-73"},
    {case_07, "CDV-08: a WK recipient needs no address", ""},
    {case_08, "CDV-09: phase 24", "BR-FR-CDV-09_MDT-77"},
    {case_09, "CDV-11: no issue date", "BR-FR-CDV-11_MDG-35"},
    {case_10, "CDV-11: none needed for 501", ""},
    {case_11, "CDV-12: no status (and each CL-09 list then applies, as in the schematron)",
     "BR-FR-CDV-12_MDT-105 BR-FR-CDV-CL-09_MDT-113_200 BR-FR-CDV-CL-09_MDT-113_213 "
     "BR-FR-CDV-CL-09_MDT-113_206 BR-FR-CDV-CL-09_MDT-113_208 "
     "BR-FR-CDV-CL-09_MDT-113_221 BR-FR-CDV-CL-09_MDT-113_501"},
    {case_12, "CDV-13: seller without id", "BR-FR-CDV-13_MDT-129"},
    {case_13, "CDV-14: 212 without MEN", "BR-FR-CDV-14_MDT-207"},
    {case_14, "CDV-14: MEN without amount nor rate", "BR-FR-CDV-14_MDT-207"},
    {case_15, "CDV-14: MEN with amount and rate", ""},
    {case_16, "CDV-15: 210 without a reason", "BR-FR-CDV-15_MDT-113"},
    {case_17, "CDV-15: 206 without a reason", "BR-FR-CDV-15_MDT-113"},
    {case_18, "CDV-15: 205 needs none", ""},
    {case_19, "CDV-16: no sequence", "BR-FR-CDV-16_MDT-124-2"},
    {case_20, "CL-02: SE may send in phase 23", ""},
    {case_21, "CL-02: XX may not", "BR-FR-CDV-CL-02_MDT-21_23"},
    {case_22, "CL-03: WK does not issue in phase 23", "BR-FR-CDV-CL-03_MDT-40_23"},
    {case_23, "CL-02, CL-03: phase 305 is a platform's",
     "BR-FR-CDV-CL-02_MDT-21_305 BR-FR-CDV-CL-03_MDT-40_305"},
    {case_24, "CL-04: recipient role ZZ", "BR-FR-CDV-CL-04_MDT-59"},
    {case_25, "CL-05: 45 in phase 23", ""},
    {case_26, "CL-05: 10 in phase 23", "BR-FR-CDV-CL-05_MDT-88_23"},
    {case_27, "CL-06: status 299 (a warning)", "BR-FR-CDV-CL-06_MDT-105"},
    {case_28, "CL-07: the invoice's issuer is SE", "BR-FR-CDV-CL-07_MDT-132"},
    {case_29, "CL-08: ref recipient role QQ", "BR-FR-CDV-CL-08_MDT-158"},
    {case_30, "CL-09: unknown code", "BR-FR-CDV-CL-09_MDT-113 BR-FR-CDV-CL-09_MDT-113_210"},
    {case_31, "CL-09: QTE_ERR is not a 210 reason", "BR-FR-CDV-CL-09_MDT-113_210"},
    {case_32, "CL-09: ... but the detail says 207 (schematron: not judged as 210)", ""},
    {case_33, "CL-09 210B2G: LIVR_INCOMP from Chorus Pro", ""},
    {case_34, "CL-09 210B2G: QTE_ERR from Chorus Pro", "BR-FR-CDV-CL-09_MDT-113_210B2G"},
    {case_35, "CL-09 210B2G: any 210 whose sender has a GlobalID, none of scheme 0238",
     "BR-FR-CDV-CL-09_MDT-113_210B2G"},
    {case_36, "CL-10: action XYZ", "BR-FR-CDV-CL-10_MDT-121"},
    {case_37, "CL-11: characteristic ABC", "BR-FR-CDV-CL-11_MDT-207"},
    {case_38, "BR-FR-04: type 999", "BR-FR-04_MDT-91"},
};

#endif
