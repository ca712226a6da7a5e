/*
 * invoice.c - the invoice model's memory (invoice.h): releasing it and setting its
 * values. Plain C: the model is read from XML by xform-model.c, judged by check.c.
 *
 * Errors: none (allocation failures abort, util.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "codelist.h"
#include "invoice.h"
#include "util.h"

int
inv_ac_indicator(const struct inv_ac *a)
{
	const char *t = a->indicator.text;
	if (t && (strcmp(t, "true") == 0 || strcmp(t, "1") == 0))
		return 1;
	if (t && (strcmp(t, "false") == 0 || strcmp(t, "0") == 0))
		return 0;
	return -1;
}

void
inv_value_set(struct inv_value *v, const char *text)
{
	free(v->text);
	v->text = text ? xstrdup(text) : NULL;
	v->padded = 0;
}

int
inv_value_is(const struct inv_value *v, const char *s)
{
	return v->text && !v->padded && strcmp(v->text, s) == 0;
}

int
inv_value_same(const struct inv_value *a, const struct inv_value *b)
{
	return a->text && b->text && a->padded == b->padded && strcmp(a->text, b->text) == 0;
}

void
inv_value_free(struct inv_value *v)
{
	free(v->text);
	free(v->attr);
	free(v->path);
	memset(v, 0, sizeof(*v));
}

static void
ac_free(struct inv_ac *a)
{
	inv_value_free(&a->indicator);
	inv_value_free(&a->amount);
	inv_value_free(&a->base_amount);
	inv_value_free(&a->percent);
	inv_value_free(&a->reason);
	inv_value_free(&a->reason_code);
	inv_value_free(&a->vat_category);
	inv_value_free(&a->vat_rate);
}

const char *
invoice_party_siren(const struct inv_party *p, char buf[10])
{
	const char *e = p->endpoint.text, *l = p->legal_id.text, *s = p->siret.text;
	const char *from = NULL;
	if (e && p->endpoint.attr && strcmp(p->endpoint.attr, "0225") == 0 &&
	    strspn(e, "0123456789") == 9 && (e[9] == '\0' || e[9] == '_'))
		from = e;
	else if (str_digits(l, 9) || str_digits(l, 14))
		from = l;
	else if (str_digits(s, 14))
		from = s;
	if (from == NULL)
		return NULL;
	memcpy(buf, from, 9);
	buf[9] = '\0';
	return buf;
}

const char *
chorus_id_type_name(enum chorus_id_type t)
{
	switch (t) {
	case CHORUS_ID_SIRET:
		return "SIRET";
	case CHORUS_ID_EU:
		return "UE_HORS_FRANCE";
	case CHORUS_ID_NON_EU:
		return "HORS_UE";
	default:
		return NULL;
	}
}

const struct inv_value *
invoice_supplier_id(const struct invoice *inv)
{
	const struct inv_party *p = &inv->supplier;
	const struct inv_value *v = inv->syntax == SYNTAX_CII ? &p->legal_id
	                            : p->nids                 ? &p->ids[0]
	                                                      : NULL;
	if (v && v->attr && (strcmp(v->attr, "0009") == 0 || strcmp(v->attr, "1") == 0))
		return NULL; /* a SIRET's scheme: not a supplier without one */
	return v && v->text && *v->text ? v : NULL;
}

enum chorus_id_type
invoice_supplier_id_type(const struct invoice *inv)
{
	const struct inv_value *id = invoice_supplier_id(inv);
	const char *c = inv->supplier.country.text, *s;
	if (inv->supplier.siret.text && *inv->supplier.siret.text)
		return CHORUS_ID_SIRET;
	if (id == NULL)
		return CHORUS_ID_NONE;
	s = id->attr ? id->attr : "";
	if (strcmp(s, "2") == 0)
		return CHORUS_ID_EU;
	if (strcmp(s, "3") == 0)
		return CHORUS_ID_NON_EU;
	if (c == NULL || strlen(c) != 2 || strcmp(c, "FR") == 0)
		return CHORUS_ID_NONE;
	return codelist_ok("EU", c) ? CHORUS_ID_EU : CHORUS_ID_NON_EU;
}

static void
values_free(struct inv_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		inv_value_free(&v[i]);
	free(v);
}

static void
party_free(struct inv_party *p)
{
	inv_value_free(&p->siret);
	inv_value_free(&p->legal_id);
	inv_value_free(&p->vat_id);
	inv_value_free(&p->tax_reg_id);
	inv_value_free(&p->name);
	inv_value_free(&p->country);
	inv_value_free(&p->siren);
	inv_value_free(&p->endpoint);
	values_free(p->ids, p->nids);
	values_free(p->legal_ids, p->nlegal_ids);
	values_free(p->vat_ids, p->nvat_ids);
	values_free(p->names, p->nnames);
	values_free(p->cii_ids, p->ncii_ids);
}

static void
spans_free(struct inv_span *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		inv_value_free(&v[i].start);
		inv_value_free(&v[i].end);
	}
	free(v);
}

static void
docrefs_free(struct inv_docref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		inv_value_free(&v[i].id);
		inv_value_free(&v[i].type_code);
		inv_value_free(&v[i].ref_type);
		inv_value_free(&v[i].description);
		inv_value_free(&v[i].date);
	}
	free(v);
}

static void
refs_free(struct inv_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		inv_value_free(&v[i].number);
		inv_value_free(&v[i].date);
		inv_value_free(&v[i].type_code);
		inv_value_free(&v[i].status);
		inv_value_free(&v[i].parent);
	}
	free(v);
}

void
invoice_free(struct invoice *inv)
{
	size_t i, j;
	if (inv == NULL)
		return;
	free(inv->root);
	inv_value_free(&inv->number);
	inv_value_free(&inv->type_code);
	inv_value_free(&inv->issue_date);
	inv_value_free(&inv->due_date);
	inv_value_free(&inv->currency);
	inv_value_free(&inv->tax_currency);
	inv_value_free(&inv->tax_total_acc);
	inv_value_free(&inv->tax_rep_name);
	inv_value_free(&inv->cadre);
	inv_value_free(&inv->customization);
	inv_value_free(&inv->service_code);
	inv_value_free(&inv->engagement);
	inv_value_free(&inv->contract);
	inv_value_free(&inv->preceding_number);
	inv_value_free(&inv->preceding_date);
	inv_value_free(&inv->tax_point_date);
	refs_free(inv->preceding, inv->npreceding);
	docrefs_free(inv->docrefs, inv->ndocrefs);
	inv_value_free(&inv->payment_terms);
	inv_value_free(&inv->delivery_country);
	inv_value_free(&inv->delivery_date);
	inv_value_free(&inv->period_start);
	inv_value_free(&inv->period_end);
	spans_free(inv->more_periods, inv->nmore_periods);
	inv_value_free(&inv->tax_rep_vat_id);
	inv_value_free(&inv->tax_rep_tax_id);
	values_free(inv->tax_rep_vat_ids, inv->ntax_rep_vat_ids);
	values_free(inv->siren_ids, inv->nsiren_ids);
	values_free(inv->vat_ids, inv->nvat_ids);
	values_free(inv->due_dates, inv->ndue_dates);
	values_free(inv->siren_legal_ids, inv->nsiren_legal_ids);
	party_free(&inv->supplier);
	party_free(&inv->buyer);
	for (i = 0; i < inv->nothers; i++)
		party_free(&inv->others[i]);
	free(inv->others);
	for (i = 0; i < inv->npayments; i++) {
		inv_value_free(&inv->payments[i].code);
		inv_value_free(&inv->payments[i].iban);
		inv_value_free(&inv->payments[i].bic);
		inv_value_free(&inv->payments[i].due_date);
		inv_value_free(&inv->payments[i].pan);
	}
	free(inv->payments);
	for (i = 0; i < inv->nlines; i++) {
		struct inv_line *l = &inv->lines[i];
		free(l->path);
		inv_value_free(&l->id);
		inv_value_free(&l->quantity);
		inv_value_free(&l->net_amount);
		inv_value_free(&l->price);
		inv_value_free(&l->name);
		inv_value_free(&l->base_quantity);
		inv_value_free(&l->gross_price);
		inv_value_free(&l->price_discount);
		inv_value_free(&l->vat_category);
		inv_value_free(&l->vat_rate);
		inv_value_free(&l->period_start);
		inv_value_free(&l->period_end);
		spans_free(l->more_periods, l->nmore_periods);
		inv_value_free(&l->delivery_date);
		docrefs_free(l->docrefs, l->ndocrefs);
		for (j = 0; j < l->nattrs; j++) {
			inv_value_free(&l->attrs[j].name);
			inv_value_free(&l->attrs[j].code);
			inv_value_free(&l->attrs[j].value);
			inv_value_free(&l->attrs[j].measure);
		}
		free(l->attrs);
		inv_value_free(&l->status);
		refs_free(l->refs, l->nrefs);
		for (j = 0; j < l->nacs; j++)
			ac_free(&l->acs[j]);
		free(l->acs);
		inv_value_free(&l->parent);
		inv_value_free(&l->seller_name);
		inv_value_free(&l->seller_country);
		values_free(l->seller_ids, l->nseller_ids);
		values_free(l->tax_totals, l->ntax_totals);
		inv_value_free(&l->tax_inclusive);
		inv_value_free(&l->exemption_reason);
		values_free(l->issuer_ids, l->nissuer_ids);
		values_free(l->vat_ids, l->nvat_ids);
	}
	free(inv->lines);
	for (i = 0; i < inv->nacs; i++)
		ac_free(&inv->acs[i]);
	free(inv->acs);
	for (i = 0; i < inv->nvats + inv->nvats_other; i++) {
		struct inv_vat *v = &inv->vats[i];
		free(v->path);
		inv_value_free(&v->category);
		inv_value_free(&v->rate);
		inv_value_free(&v->taxable);
		inv_value_free(&v->tax);
		inv_value_free(&v->exemption_reason);
		inv_value_free(&v->exemption_code);
		inv_value_free(&v->tax_point_date);
		inv_value_free(&v->scheme);
	}
	free(inv->vats);
	for (i = 0; i < inv->nattachments; i++) {
		struct inv_attachment *a = &inv->attachments[i];
		free(a->path);
		inv_value_free(&a->id);
		inv_value_free(&a->uri);
		inv_value_free(&a->mime);
		inv_value_free(&a->filename);
	}
	free(inv->attachments);
	for (i = 0; i < inv->nnotes; i++) {
		inv_value_free(&inv->notes[i].subject);
		inv_value_free(&inv->notes[i].content);
		values_free(inv->notes[i].more_subjects, inv->notes[i].nmore_subjects);
	}
	free(inv->notes);
	inv_value_free(&inv->line_total);
	inv_value_free(&inv->allowance_total);
	inv_value_free(&inv->charge_total);
	inv_value_free(&inv->tax_exclusive);
	inv_value_free(&inv->tax_total);
	inv_value_free(&inv->tax_inclusive);
	inv_value_free(&inv->prepaid);
	inv_value_free(&inv->rounding);
	inv_value_free(&inv->payable);
	free(inv);
}

char *
invoice_vat_rates(const struct invoice *inv)
{
	struct buf rates;
	size_t i;
	char *s = NULL;
	buf_init(&rates);
	buf_addc(&rates, ' '); /* " 20 5.5 ": str_word_in()'s form */
	for (i = 0; i < inv->nvats; i++) {
		const char *v = inv->vats[i].rate.text;
		if (v && !str_word_in(rates.p, v))
			buf_printf(&rates, "%s ", v);
	}
	if (rates.len > 2) {
		rates.p[rates.len - 1] = '\0';
		s = xstrdup(rates.p + 1);
	}
	buf_free(&rates);
	return s;
}

char *
invoice_iso_date(const char *s)
{
	if (s && strlen(s) == 8 && str_digits(s, 8))
		return xasprintf("%.4s-%.2s-%.2s", s, s + 4, s + 6);
	return s ? xstrdup(s) : NULL;
}
