/*
 * xform-model.c - the invoice model (invoice.h) read out of a UBL 2.1 Invoice or
 * CreditNote or a CII D16B CrossIndustryInvoice: every value with its element path
 * and line, so that the pre-flight (check.c) names the element to fix. Part of the
 * xform family (xform-int.h): the only place that knows where EN 16931's terms sit
 * in each syntax (HACKING.md's table).
 *
 * Errors: none; what is absent is a value with text NULL and the path where it would
 * be.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "conf.h"
#include "invoice.h"
#include "util.h"
#include "xform-int.h"

static char *
join_path(const char *base, const char *rel)
{
	size_t nb, nr;
	char *r;
	if (base == NULL || *base == '\0')
		return xstrdup(rel);
	nb = strlen(base); /* no printf: every value absent from every line has one */
	nr = strlen(rel);
	r = xmalloc(nb + nr + 2);
	memcpy(r, base, nb);
	r[nb] = '/';
	memcpy(r + nb + 1, rel, nr + 1);
	return r;
}

/* The path of n below `top`, whose path is top_path: only the steps between them are
 * computed, so reading the thousandth line does not scan the thousand before it. */
static char *
sub_path(xmlNodePtr n, xmlNodePtr top, const char *top_path)
{
	xmlNodePtr chain[32], x;
	size_t depth = 0, i;
	struct buf b;
	if (n == top)
		return xstrdup(top_path);
	for (x = n; x && x != top; x = x->parent) {
		if (depth == nitems(chain) || x->type != XML_ELEMENT_NODE)
			return node_path(n);
		chain[depth++] = x;
	}
	if (x == NULL)
		return node_path(n);
	buf_init(&b);
	buf_adds(&b, top_path);
	for (i = depth; i-- > 0;) {
		if (b.len)
			buf_addc(&b, '/');
		node_path_step(&b, chain[i]);
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

/* Fill v from node n, found below `top` (path top_path); n NULL: v says where it
 * would be, top_path/rel. */
static void
set_from(struct inv_value *v, xmlNodePtr n, xmlNodePtr top, const char *top_path, const char *rel,
         const char *attr)
{
	inv_value_free(v);
	if (n == NULL) {
		v->path = join_path(top_path, rel);
		return;
	}
	v->text = node_text_pad(n, &v->padded);
	v->attr = attr ? node_attr(n, attr) : NULL;
	v->path = top ? sub_path(n, top, top_path) : node_path(n);
	v->line = (int)xmlGetLineNo(n);
}

/* v = the element at rel below node `from` (whose path is from_path). */
static void
get(struct inv_value *v, xmlNodePtr from, const char *from_path, const char *rel, const char *attr)
{
	set_from(v, from ? node_find(from, rel) : NULL, from, from_path, rel, attr);
}

/* The path of n, or `fallback` when n is NULL. */
static char *
path_of(xmlNodePtr n, const char *fallback)
{
	return n ? node_path(n) : xstrdup(fallback);
}

/* The path of `n`, a child of `top`; when n is NULL, top_path/rel. */
static char *
path_below(xmlNodePtr n, xmlNodePtr top, const char *top_path, const char *rel)
{
	return n ? sub_path(n, top, top_path) : join_path(top_path, rel);
}

/* "name" or "name[i]" (1-based) below top_path, for the i-th of n repeated children. */
static char *
indexed_path(const char *top_path, const char *name, size_t i, size_t n)
{
	char step[160];
	if (n > 1)
		snprintf(step, sizeof(step), "%s[%zu]", name, i);
	else
		snprintf(step, sizeof(step), "%s", name);
	return join_path(top_path, step);
}

static size_t
count_kids(xmlNodePtr parent, const char *qname)
{
	size_t n = 0;
	each_kid(k, parent, qname) n++;
	return n;
}

/* The most `qname` children that one `kid` child of parent has. */
static size_t
most_grandkids(xmlNodePtr parent, const char *kid, const char *qname)
{
	size_t most = 0;
	each_kid(k, parent, kid)
	{
		size_t n = count_kids(k, qname);
		most = n > most ? n : most;
	}
	return most;
}

/* A new zeroed element at the end of the array *v of *n elements; *n counts it. */
#define APPEND(v, n)                                          \
	(*(v) = xreallocarray(*(v), *(n) + 1, sizeof(**(v))), \
	 memset(&(*(v))[*(n)], 0, sizeof(**(v))), &(*(v))[(*(n))++])

/* Append node n (its text, its schemeID) to the values v[0..*n). */
static void
add_id(struct inv_value **v, size_t *n, xmlNodePtr node)
{
	set_from(APPEND(v, n), node, NULL, NULL, NULL, "schemeID");
}

/* Append the reference to an earlier invoice `n` (UBL cac:BillingReference, CII
 * ram:InvoiceReferencedDocument) to v[0..*nv). */
static void
add_ref(struct inv_ref **v, size_t *nv, xmlNodePtr n, int cii)
{
	char *np = node_path(n);
	struct inv_ref *r = APPEND(v, nv);
	if (cii) {
		get(&r->number, n, np, "ram:IssuerAssignedID", NULL);
		get(&r->date, n, np, "ram:FormattedIssueDateTime/qdt:DateTimeString", "format");
		get(&r->type_code, n, np, "ram:TypeCode", NULL);
	} else {
		get(&r->number, n, np, "cac:InvoiceDocumentReference/cbc:ID", NULL);
		get(&r->date, n, np, "cac:InvoiceDocumentReference/cbc:IssueDate", NULL);
		get(&r->type_code, n, np, "cac:InvoiceDocumentReference/cbc:DocumentTypeCode",
		    NULL);
		get(&r->status, n, np, "cac:InvoiceDocumentReference/cbc:DocumentStatusCode", NULL);
		get(&r->parent, n, np, "cac:BillingReferenceLine/cbc:ID", NULL);
	}
	free(np);
}

/* Append the document reference `n` (the header's or a line's) to v[0..*nv). */
static void
add_docref(struct inv_docref **v, size_t *nv, xmlNodePtr n, int cii)
{
	char *np = node_path(n);
	struct inv_docref *d = APPEND(v, nv);
	get(&d->id, n, np, cii ? "ram:IssuerAssignedID" : "cbc:ID", "schemeID");
	get(&d->type_code, n, np, cii ? "ram:TypeCode" : "cbc:DocumentTypeCode", NULL);
	get(&d->ref_type, n, np, "ram:ReferenceTypeCode", NULL);
	get(&d->description, n, np, cii ? "ram:Name" : "cbc:DocumentDescription", NULL);
	d->descriptions = count_kids(n, cii ? "ram:Name" : "cbc:DocumentDescription");
	if (!cii)
		get(&d->date, n, np, "cbc:IssueDate", NULL);
	free(np);
}

/* Append the item attribute `n` to l->attrs. */
static void
add_item_attr(struct inv_line *l, xmlNodePtr n, int cii)
{
	char *np = node_path(n);
	struct inv_item_attr *a = APPEND(&l->attrs, &l->nattrs);
	get(&a->name, n, np, cii ? "ram:Description" : "cbc:Name", NULL);
	get(&a->code, n, np, cii ? "ram:TypeCode" : "cbc:NameCode", NULL);
	get(&a->value, n, np, cii ? "ram:Value" : "cbc:Value", NULL);
	get(&a->measure, n, np, cii ? "ram:ValueMeasure" : "cbc:ValueQuantity", "unitCode");
	free(np);
}

/* Append every legal identifier of `party` (UBL cac:PartyLegalEntity/cbc:CompanyID, CII
 * ram:SpecifiedLegalOrganization/ram:ID) to v[0..*n). */
static void
add_legal_ids(struct inv_value **v, size_t *n, xmlNodePtr party, int cii)
{
	each_kid(le, party, cii ? "ram:SpecifiedLegalOrganization" : "cac:PartyLegalEntity")
	    each_kid(id, le, cii ? "ram:ID" : "cbc:CompanyID") add_id(v, n, id);
}

/* Append every identifier of `party` (UBL cac:PartyIdentification/cbc:ID, CII
 * ram:GlobalID) to v[0..*n). */
static void
add_ids(struct inv_value **v, size_t *n, xmlNodePtr party, int cii)
{
	if (cii)
		each_kid(g, party, "ram:GlobalID") add_id(v, n, g);
	else
		each_kid(pi, party, "cac:PartyIdentification")
		{
			xmlNodePtr id = node_kid(pi, "cbc:ID");
			if (id)
				add_id(v, n, id);
		}
}

static int
is_siret_scheme(const char *scheme)
{
	return scheme && (strcmp(scheme, "0009") == 0 || strcmp(scheme, "1") == 0);
}

/* The SIRET of a party (UBL cac:Party or CII ram:*TradeParty, path pp), read as
 * HACKING.md says: the identification element first, the legal-entity element when
 * it holds 14 digits. Fills `siret` and `legal`. */
static void
read_party_ids(xmlNodePtr party, const char *pp, int cii, struct inv_value *siret,
               struct inv_value *legal)
{
	xmlNodePtr found = NULL;
	const char *id_rel = cii ? "ram:GlobalID" : "cac:PartyIdentification/cbc:ID";
	const char *legal_rel =
	    cii ? "ram:SpecifiedLegalOrganization/ram:ID" : "cac:PartyLegalEntity/cbc:CompanyID";

	/* an identifier with a SIRET scheme, else one without scheme holding 14 digits */
	if (cii) {
		each_kid(g, party, "ram:GlobalID")
		{
			char *scheme = node_attr(g, "schemeID");
			int hit = is_siret_scheme(scheme);
			free(scheme);
			if (hit) {
				found = g;
				break;
			}
		}
		if (found == NULL)
			each_kid(g, party, "ram:ID")
			{
				char *t = node_text(g);
				int hit = str_digits(t, 14);
				free(t);
				if (hit) {
					found = g;
					break;
				}
			}
	} else {
		each_kid(pi, party, "cac:PartyIdentification")
		{
			xmlNodePtr id = node_kid(pi, "cbc:ID");
			char *scheme, *t;
			int hit;
			if (id == NULL)
				continue;
			scheme = node_attr(id, "schemeID");
			t = node_text(id);
			hit = is_siret_scheme(scheme) || (scheme == NULL && str_digits(t, 14));
			free(scheme);
			free(t);
			if (hit) {
				found = id;
				break;
			}
		}
	}
	get(legal, party, pp, legal_rel, "schemeID");
	if (found)
		set_from(siret, found, party, pp, id_rel, "schemeID");
	else if (legal->text && str_digits(legal->text, 14))
		set_from(siret, node_find(party, legal_rel), party, pp, legal_rel, "schemeID");
	else
		set_from(siret, NULL, party, pp, id_rel, NULL);
}

/* A party's tax identifier: CII ram:SpecifiedTaxRegistration/ram:ID with schemeID
 * `scheme` ("VA": VAT, "FC": another tax); UBL cac:PartyTaxScheme/cbc:CompanyID whose
 * cac:TaxScheme/cbc:ID is VAT (vat 1) or is not (vat 0). Sets v (absent: where it
 * would be). */
static void
read_tax_id(struct inv_value *v, xmlNodePtr party, const char *pp, int cii, int vat)
{
	xmlNodePtr found = NULL;
	if (cii) {
		each_kid(t, party, "ram:SpecifiedTaxRegistration")
		{
			xmlNodePtr id = node_kid(t, "ram:ID");
			char *scheme = id ? node_attr(id, "schemeID") : NULL;
			int hit = scheme && strcmp(scheme, vat ? "VA" : "FC") == 0;
			free(scheme);
			if (hit) {
				found = id;
				break;
			}
		}
		set_from(v, found, party, pp, "ram:SpecifiedTaxRegistration/ram:ID", "schemeID");
		return;
	}
	each_kid(t, party, "cac:PartyTaxScheme")
	{
		char *scheme = NULL;
		xmlNodePtr s = node_find(t, "cac:TaxScheme/cbc:ID");
		int hit;
		if (s)
			scheme = node_text(s);
		hit = scheme && (strcasecmp(scheme, "VAT") == 0) == vat;
		free(scheme);
		if (hit) {
			found = node_kid(t, "cbc:CompanyID");
			break;
		}
	}
	set_from(v, found, party, pp, "cac:PartyTaxScheme/cbc:CompanyID", NULL);
}

/* The ram:ID of scheme VA of a CII ram:SpecifiedTaxRegistration `t`, appended to
 * v[0..*n). */
static void
add_vat_reg(struct inv_value **v, size_t *n, xmlNodePtr t)
{
	each_kid(id, t, "ram:ID")
	{
		char *scheme = node_attr(id, "schemeID");
		if (scheme && strcmp(scheme, "VA") == 0)
			set_from(APPEND(v, n), id, NULL, NULL, NULL, "schemeID");
		free(scheme);
	}
}

/* The cbc:CompanyID of a UBL cac:PartyTaxScheme `t` whose cac:TaxScheme/cbc:ID is VAT
 * (any case), appended to v[0..*n) (absent: not appended). */
static void
add_vat_scheme(struct inv_value **v, size_t *n, xmlNodePtr t)
{
	xmlNodePtr s = node_find(t, "cac:TaxScheme/cbc:ID"), id;
	char *scheme = s ? node_text(s) : NULL;
	if (scheme && strcasecmp(scheme, "VAT") == 0 && (id = node_kid(t, "cbc:CompanyID")))
		set_from(APPEND(v, n), id, NULL, NULL, NULL, NULL);
	free(scheme);
}

/* Every VAT identifier of a party (`party`, UBL cac:Party or CII ram:*TradeParty) as
 * the CEN artefacts' BR-CO-09 reaches them, appended to v[0..*n): UBL each
 * cac:PartyTaxScheme whose cac:TaxScheme/cbc:ID is VAT (any case), its cbc:CompanyID
 * (absent: not appended); CII each ram:SpecifiedTaxRegistration/ram:ID of scheme VA. */
static void
add_vat_ids(struct inv_value **v, size_t *n, xmlNodePtr party, int cii)
{
	if (cii) {
		each_kid(t, party, "ram:SpecifiedTaxRegistration") add_vat_reg(v, n, t);
		return;
	}
	each_kid(t, party, "cac:PartyTaxScheme") add_vat_scheme(v, n, t);
}

/* The legal identifier under scheme 0002, the SIREN the reform's rules read (BR-FR-09,
 * 10, 11): where the syntax puts BT-30 / BT-47, and only with that scheme. */
static void
read_siren(struct inv_value *v, xmlNodePtr party, const char *pp, int cii)
{
	xmlNodePtr found = NULL;
	/* the first of that scheme: UBL may give several cac:PartyLegalEntity */
	each_kid(le, party, cii ? "ram:SpecifiedLegalOrganization" : "cac:PartyLegalEntity")
	{
		each_kid(id, le, cii ? "ram:ID" : "cbc:CompanyID")
		{
			char *scheme = node_attr(id, "schemeID");
			if (found == NULL && scheme && strcmp(scheme, "0002") == 0)
				found = id;
			free(scheme);
		}
	}
	set_from(v, found, party, pp,
	         cii ? "ram:SpecifiedLegalOrganization/ram:ID"
	             : "cac:PartyLegalEntity/cbc:CompanyID",
	         "schemeID");
}

static void
read_party(struct inv_party *p, xmlNodePtr party, const char *party_path, int cii)
{
	char *pp = party ? node_path(party) : xstrdup(party_path);
	read_party_ids(party, pp, cii, &p->siret, &p->legal_id);
	read_siren(&p->siren, party, pp, cii);
	get(&p->endpoint, party, pp,
	    cii ? "ram:URIUniversalCommunication/ram:URIID" : "cbc:EndpointID", "schemeID");
	if (cii)
		each_kid(u, party, "ram:URIUniversalCommunication") p->endpoints +=
		    count_kids(u, "ram:URIID");
	else
		p->endpoints = count_kids(party, "cbc:EndpointID");
	read_tax_id(&p->vat_id, party, pp, cii, 1);
	read_tax_id(&p->tax_reg_id, party, pp, cii, 0);
	add_vat_ids(&p->vat_ids, &p->nvat_ids, party, cii);
	p->present = party != NULL;
	p->holder = party != NULL;
	each_kid(pn, party, cii ? "ram:Name" : "cac:PartyName")
	{
		xmlNodePtr nm = cii ? pn : node_kid(pn, "cbc:Name");
		if (nm)
			set_from(APPEND(&p->names, &p->nnames), nm, NULL, NULL, NULL, NULL);
	}
	if (cii)
		each_kid(id, party, "ram:ID") add_id(&p->cii_ids, &p->ncii_ids, id);
	add_ids(&p->ids, &p->nids, party, cii);
	add_legal_ids(&p->legal_ids, &p->nlegal_ids, party, cii);
	p->legal_entities =
	    count_kids(party, cii ? "ram:SpecifiedLegalOrganization" : "cac:PartyLegalEntity");
	if (cii)
		p->any_id = node_kid(party, "ram:ID") || node_kid(party, "ram:GlobalID");
	else
		each_kid(pi, party, "cac:PartyIdentification")
		{
			xmlNodePtr id = node_kid(pi, "cbc:ID");
			char *scheme = id ? node_attr(id, "schemeID") : NULL;
			/* BR-CO-26: cbc:ID[not(@schemeID = 'SEPA')], case and all */
			p->any_id |= id && !(scheme && strcmp(scheme, "SEPA") == 0);
			free(scheme);
		}
	p->address =
	    party && node_find(party, cii ? "ram:PostalTradeAddress" : "cac:PostalAddress") != NULL;
	if (cii) {
		get(&p->name, party, pp, "ram:Name", NULL);
		get(&p->country, party, pp, "ram:PostalTradeAddress/ram:CountryID", NULL);
	} else {
		get(&p->name, party, pp, "cac:PartyLegalEntity/cbc:RegistrationName", NULL);
		get(&p->country, party, pp, "cac:PostalAddress/cac:Country/cbc:IdentificationCode",
		    NULL);
	}
	free(pp);
}

char *
xform_supplier_section(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), party;
	int cii = node_is(root, NS_RSM, "CrossIndustryInvoice");
	struct invoice *inv;
	const struct inv_value *id;
	char *r;
	party = cii ? node_find(root, "rsm:SupplyChainTradeTransaction/"
	                              "ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty")
	            : node_find(root, "cac:AccountingSupplierParty/cac:Party");
	if (party == NULL)
		return NULL;
	inv = xcalloc(1, sizeof(*inv));
	inv->syntax = cii ? SYNTAX_CII : SYNTAX_UBL;
	read_party(&inv->supplier, party, NULL, cii);
	/* as the gateway fills the receipt's supplier_siret, else supplier_id */
	id = inv->supplier.siret.text ? &inv->supplier.siret : invoice_supplier_id(inv);
	r = id && id->text ? xstrdup(id->text) : NULL;
	invoice_free(inv);
	return r;
}

/* A party other than the seller and the buyer, when `party` is there. */
static struct inv_party *
read_other(struct invoice *inv, const char *role, xmlNodePtr party, int cii)
{
	struct inv_party *p;
	if (party == NULL)
		return NULL;
	p = APPEND(&inv->others, &inv->nothers);
	read_party(p, party, NULL, cii);
	p->role = role;
	return p;
}

/* UBL's delivery as a party: the deliver-to location's identifiers (cac:DeliveryLocation
 * /cbc:ID) with the delivery party's SIREN. `kind`: struct inv_party's delivery. */
static void
read_delivery_ubl(struct invoice *inv, const char *role, int kind, xmlNodePtr del)
{
	struct inv_party *p = read_other(inv, role, node_kid(del, "cac:DeliveryParty"), 0);
	if (p == NULL && node_kid(del, "cac:DeliveryLocation"))
		p = read_other(inv, role, del, 0);
	if (p == NULL)
		return;
	p->delivery = kind;
	for (size_t i = 0; i < p->nids; i++)
		inv_value_free(&p->ids[i]);
	p->nids = 0;
	each_kid(id, node_kid(del, "cac:DeliveryLocation"), "cbc:ID") add_id(&p->ids, &p->nids, id);
}

/* The parties of the BR-FR rules beyond the seller and the buyer (their roles as the
 * messages name them); the lines' delivery parties are read with the lines. */
static void
read_others_ubl(struct invoice *inv, xmlNodePtr root)
{
	read_other(inv, "payee (BT-60)", node_kid(root, "cac:PayeeParty"), 0);
	read_other(inv, "buyer's agent (EXT-FR-FE-06)",
	           node_find(root, "cac:AccountingCustomerParty/cac:Party/cac:AgentParty"), 0);
	read_other(inv, "payer (EXT-FR-FE-46)",
	           node_find(root, "cac:PaymentMeans/cac:PaymentMandate/cac:PayerParty"), 0);
	read_other(inv, "seller's agent (EXT-FR-FE-69)",
	           node_find(root, "cac:AccountingSupplierParty/cac:Party/cac:AgentParty"), 0);
	read_other(inv, "invoicee (EXT-FR-FE-92)",
	           node_find(root, "cac:AccountingCustomerParty/cac:Party/cac:ServiceProviderParty/"
	                           "cac:Party"),
	           0);
	read_other(inv, "invoicer (EXT-FR-FE-115)",
	           node_find(root, "cac:AccountingSupplierParty/cac:Party/cac:ServiceProviderParty/"
	                           "cac:Party"),
	           0);
	read_delivery_ubl(inv, "delivery (BT-71)", 1, node_kid(root, "cac:Delivery"));
}

static void
read_others_cii(struct invoice *inv, xmlNodePtr agr, xmlNodePtr del, xmlNodePtr set)
{
	struct inv_party *p;
	read_other(inv, "payee (BT-60)", node_kid(set, "ram:PayeeTradeParty"), 1);
	read_other(inv, "buyer's agent (EXT-FR-FE-06)", node_kid(agr, "ram:BuyerAgentTradeParty"),
	           1);
	read_other(inv, "payer (EXT-FR-FE-46)", node_kid(set, "ram:PayerTradeParty"), 1);
	read_other(inv, "seller's agent (EXT-FR-FE-69)", node_kid(agr, "ram:SalesAgentTradeParty"),
	           1);
	read_other(inv, "invoicee (EXT-FR-FE-92)", node_kid(set, "ram:InvoiceeTradeParty"), 1);
	read_other(inv, "invoicer (EXT-FR-FE-115)", node_kid(set, "ram:InvoicerTradeParty"), 1);
	p = read_other(inv, "delivery (BT-71)", node_kid(del, "ram:ShipToTradeParty"), 1);
	if (p)
		p->delivery = 1;
}

/* A UBL tax category (cac:ClassifiedTaxCategory, cac:TaxCategory) whose tax scheme
 * is not VAT: the CEN artefacts read the VAT category only under cac:TaxScheme/cbc:ID
 * VAT. */
static int
not_vat(xmlNodePtr cat)
{
	xmlNodePtr sc = node_find(cat, "cac:TaxScheme/cbc:ID");
	char *t = sc ? node_text(sc) : NULL;
	int r = cat && (t == NULL || strcasecmp(t, "VAT") != 0);
	free(t);
	return r;
}

/* Which elements of the invoicing period `per` (UBL cac:InvoicePeriod, CII
 * ram:BillingSpecifiedPeriod; NULL: none) are there (enum inv_period). */
static unsigned
period_parts(xmlNodePtr per, int cii)
{
	unsigned r;
	if (per == NULL)
		return 0;
	r = PERIOD_THERE;
	if (node_kid(per, cii ? "ram:StartDateTime" : "cbc:StartDate"))
		r |= PERIOD_START;
	if (node_kid(per, cii ? "ram:EndDateTime" : "cbc:EndDate"))
		r |= PERIOD_END;
	if (!cii && node_kid(per, "cbc:DescriptionCode"))
		r |= PERIOD_CODE;
	for (xmlNodePtr k = per->children; !cii && k && !(r & PERIOD_CHILD); k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			r |= PERIOD_CHILD;
	return r;
}

/* Every UBL cac:InvoicePeriod after `first` (NULL: none) among its siblings, appended
 * to v[0..*n) (struct inv_span). */
static void
read_more_periods(struct inv_span **v, size_t *n, xmlNodePtr first)
{
	for (xmlNodePtr per = first;
	     (per = node_next_kid(first->parent, per, "cac:InvoicePeriod"));) {
		struct inv_span *s = APPEND(v, n);
		char *pp = node_path(per);
		s->parts = period_parts(per, 0);
		get(&s->start, per, pp, "cbc:StartDate", NULL);
		get(&s->end, per, pp, "cbc:EndDate", NULL);
		free(pp);
	}
}

/* CII: note whether the tax element `tt` has a ram:TaxPointDate or a
 * ram:DueDateTypeCode (BR-CO-03 looks for them anywhere). */
static void
note_tax_date(struct invoice *inv, xmlNodePtr tt)
{
	inv->tax_point_any |= node_kid(tt, "ram:TaxPointDate") != NULL;
	inv->due_code_any |= node_kid(tt, "ram:DueDateTypeCode") != NULL;
}

/* The same for every tax element of a settlement (header or line) and of its
 * allowances and charges. */
static void
note_tax_dates(struct invoice *inv, xmlNodePtr settlement)
{
	each_kid(tt, settlement, "ram:ApplicableTradeTax") note_tax_date(inv, tt);
	each_kid(ac, settlement, "ram:SpecifiedTradeAllowanceCharge")
	    each_kid(tt, ac, "ram:CategoryTradeTax") note_tax_date(inv, tt);
}

static void
read_ac(struct inv_ac *a, xmlNodePtr n, const char *np, int cii)
{
	if (cii) {
		get(&a->indicator, n, np, "ram:ChargeIndicator/udt:Indicator", NULL);
		get(&a->amount, n, np, "ram:ActualAmount", NULL);
		get(&a->base_amount, n, np, "ram:BasisAmount", NULL);
		get(&a->percent, n, np, "ram:CalculationPercent", NULL);
		get(&a->reason, n, np, "ram:Reason", NULL);
		get(&a->reason_code, n, np, "ram:ReasonCode", NULL);
		get(&a->vat_category, n, np, "ram:CategoryTradeTax/ram:CategoryCode", NULL);
		get(&a->vat_rate, n, np, "ram:CategoryTradeTax/ram:RateApplicablePercent", NULL);
		a->vat_codes = most_grandkids(n, "ram:CategoryTradeTax", "ram:CategoryCode");
		a->vat_rates =
		    most_grandkids(n, "ram:CategoryTradeTax", "ram:RateApplicablePercent");
	} else {
		get(&a->indicator, n, np, "cbc:ChargeIndicator", NULL);
		get(&a->amount, n, np, "cbc:Amount", "currencyID");
		get(&a->base_amount, n, np, "cbc:BaseAmount", "currencyID");
		get(&a->percent, n, np, "cbc:MultiplierFactorNumeric", NULL);
		get(&a->reason, n, np, "cbc:AllowanceChargeReason", NULL);
		get(&a->reason_code, n, np, "cbc:AllowanceChargeReasonCode", NULL);
		get(&a->vat_category, n, np, "cac:TaxCategory/cbc:ID", NULL);
		get(&a->vat_rate, n, np, "cac:TaxCategory/cbc:Percent", NULL);
		a->vat_not_vat = not_vat(node_kid(n, "cac:TaxCategory"));
	}
	a->charge = a->indicator.text &&
	            (strcmp(a->indicator.text, "true") == 0 || strcmp(a->indicator.text, "1") == 0);
}

/* Every `qname` child of `parent` (path parent_path) as an allowance or charge. */
static void
add_acs(struct inv_ac **v, size_t *n, xmlNodePtr parent, const char *parent_path, const char *qname,
        int cii)
{
	size_t total = count_kids(parent, qname), i = 0;
	each_kid(node, parent, qname)
	{
		char *np = indexed_path(parent_path, qname, ++i, total);
		read_ac(APPEND(v, n), node, np, cii);
		free(np);
	}
}

static void
read_line_ubl(struct inv_line *l, xmlNodePtr n, const char *np, int cn)
{
	xmlNodePtr price = node_kid(n, "cac:Price"), per;
	char *pp = path_below(price, n, np, "cac:Price");
	l->path = xstrdup(np);
	l->line = (int)xmlGetLineNo(n);
	get(&l->id, n, np, "cbc:ID", NULL);
	get(&l->quantity, n, np, cn ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity", "unitCode");
	get(&l->net_amount, n, np, "cbc:LineExtensionAmount", "currencyID");
	get(&l->name, n, np, "cac:Item/cbc:Name", NULL);
	get(&l->price, price, pp, "cbc:PriceAmount", "currencyID");
	get(&l->base_quantity, price, pp, "cbc:BaseQuantity", "unitCode");
	get(&l->gross_price, price, pp, "cac:AllowanceCharge/cbc:BaseAmount", "currencyID");
	get(&l->price_discount, price, pp, "cac:AllowanceCharge/cbc:Amount", "currencyID");
	get(&l->vat_category, n, np, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID", NULL);
	get(&l->vat_rate, n, np, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", NULL);
	l->vat_not_vat = not_vat(node_find(n, "cac:Item/cac:ClassifiedTaxCategory"));
	get(&l->period_start, n, np, "cac:InvoicePeriod/cbc:StartDate", NULL);
	get(&l->period_end, n, np, "cac:InvoicePeriod/cbc:EndDate", NULL);
	per = node_kid(n, "cac:InvoicePeriod");
	l->period = period_parts(per, 0);
	if (per)
		read_more_periods(&l->more_periods, &l->nmore_periods, per);
	get(&l->delivery_date, n, np, "cac:Delivery/cbc:ActualDeliveryDate", NULL);
	each_kid(dr, n, "cac:DocumentReference") add_docref(&l->docrefs, &l->ndocrefs, dr, 0);
	each_kid(ap, node_kid(n, "cac:Item"), "cac:AdditionalItemProperty") add_item_attr(l, ap, 0);
	each_kid(br, n, "cac:BillingReference") add_ref(&l->refs, &l->nrefs, br, 0);
	add_acs(&l->acs, &l->nacs, n, np, "cac:AllowanceCharge", 0);
	get(&l->exemption_reason, n, np,
	    "cac:Item/cac:ClassifiedTaxCategory/cbc:TaxExemptionReason", NULL);
	/* the seller of a sub-invoice line: the item's manufacturer */
	get(&l->seller_name, n, np,
	    "cac:Item/cac:ManufacturerParty/cac:PartyLegalEntity/cbc:RegistrationName", NULL);
	get(&l->seller_country, n, np,
	    "cac:Item/cac:ManufacturerParty/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
	    NULL);
	each_kid(mp, node_kid(n, "cac:Item"), "cac:ManufacturerParty")
	{
		add_legal_ids(&l->seller_ids, &l->nseller_ids, mp, 0);
		add_vat_ids(&l->vat_ids, &l->nvat_ids, mp, 0);
	}
	each_kid(tt, n, "cac:TaxTotal") each_kid(ta, tt, "cbc:TaxAmount")
	    set_from(APPEND(&l->tax_totals, &l->ntax_totals), ta, n, np, NULL, "currencyID");
	free(pp);
}

/* One walk below the CII line `n`: every ram:IssuerAssignedID, in document order,
 * appended to v[0..*nv), and the VAT identifiers of every party to l->vat_ids but
 * those of the line's ship-to party (`ship_to`, read as a party). */
static void
walk_line_cii(struct inv_line *l, xmlNodePtr **v, size_t *nv, xmlNodePtr n, xmlNodePtr ship_to)
{
	for (xmlNodePtr k = n->children; k; k = k->next) {
		if (node_is(k, NS_RAM, "IssuerAssignedID"))
			*APPEND(v, nv) = k;
		else if (k->type == XML_ELEMENT_NODE) {
			if (n != ship_to && node_is(k, NS_RAM, "SpecifiedTaxRegistration"))
				add_vat_reg(&l->vat_ids, &l->nvat_ids, k);
			walk_line_cii(l, v, nv, k, ship_to);
		}
	}
}

/* What the BR-FR-MV and BR-FR-BD rules read of a CII line: its parent, its seller, its
 * totals, its invoiced objects (settlement `set`, path sp) and every IssuerAssignedID;
 * in the same walk, its parties' VAT identifiers (BR-CO-09). */
static void
read_line_cii_subinvoice(struct inv_line *l, xmlNodePtr n, const char *np, xmlNodePtr set,
                         const char *sp)
{
	xmlNodePtr seller =
	    node_find(n, "ram:SpecifiedLineTradeAgreement/ram:ItemSellerTradeParty");
	xmlNodePtr sum = node_kid(set, "ram:SpecifiedTradeSettlementLineMonetarySummation");
	char *mp = path_below(sum, set, sp, "ram:SpecifiedTradeSettlementLineMonetarySummation");
	xmlNodePtr *ids = NULL;
	size_t nids = 0;
	get(&l->parent, n, np, "ram:AssociatedDocumentLineDocument/ram:ParentLineID", NULL);
	get(&l->seller_name, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:ItemSellerTradeParty/ram:Name", NULL);
	get(&l->seller_country, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:ItemSellerTradeParty/ram:PostalTradeAddress/"
	    "ram:CountryID",
	    NULL);
	add_legal_ids(&l->seller_ids, &l->nseller_ids, seller, 1);
	each_kid(t, sum, "ram:TaxTotalAmount")
	    set_from(APPEND(&l->tax_totals, &l->ntax_totals), t, n, np, NULL, "currencyID");
	get(&l->tax_inclusive, sum, mp, "ram:GrandTotalAmount", NULL);
	walk_line_cii(l, &ids, &nids, n,
	              node_find(n, "ram:SpecifiedLineTradeDelivery/ram:ShipToTradeParty"));
	for (size_t i = 0; i < nids; i++)
		set_from(APPEND(&l->issuer_ids, &l->nissuer_ids), ids[i], n, np, NULL, NULL);
	each_kid(ard, set, "ram:AdditionalReferencedDocument")
	{
		xmlNodePtr id = node_kid(ard, "ram:IssuerAssignedID");
		struct inv_docref *d;
		add_docref(&l->docrefs, &l->ndocrefs, ard, 1);
		d = &l->docrefs[l->ndocrefs - 1];
		for (d->issuer_pos = 0; d->issuer_pos < nids; d->issuer_pos++)
			if (ids[d->issuer_pos] == id)
				break;
	}
	free(ids);
	free(mp);
}

static void
read_line_cii(struct inv_line *l, xmlNodePtr n, const char *np)
{
	xmlNodePtr set = node_kid(n, "ram:SpecifiedLineTradeSettlement");
	char *sp = path_below(set, n, np, "ram:SpecifiedLineTradeSettlement");
	l->path = xstrdup(np);
	l->line = (int)xmlGetLineNo(n);
	get(&l->id, n, np, "ram:AssociatedDocumentLineDocument/ram:LineID", NULL);
	get(&l->quantity, n, np, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "unitCode");
	get(&l->name, n, np, "ram:SpecifiedTradeProduct/ram:Name", NULL);
	get(&l->price, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", NULL);
	get(&l->base_quantity, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
	    "unitCode");
	get(&l->gross_price, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice/ram:ChargeAmount",
	    NULL);
	get(&l->price_discount, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:GrossPriceProductTradePrice/"
	    "ram:AppliedTradeAllowanceCharge/ram:ActualAmount",
	    NULL);
	get(&l->net_amount, set, sp,
	    "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NULL);
	get(&l->vat_category, set, sp, "ram:ApplicableTradeTax/ram:CategoryCode", NULL);
	get(&l->vat_rate, set, sp, "ram:ApplicableTradeTax/ram:RateApplicablePercent", NULL);
	l->vat_codes = most_grandkids(set, "ram:ApplicableTradeTax", "ram:CategoryCode");
	l->vat_rates = most_grandkids(set, "ram:ApplicableTradeTax", "ram:RateApplicablePercent");
	get(&l->period_start, set, sp,
	    "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "format");
	get(&l->period_end, set, sp,
	    "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString", "format");
	l->period = period_parts(node_kid(set, "ram:BillingSpecifiedPeriod"), 1);
	get(&l->delivery_date, n, np,
	    "ram:SpecifiedLineTradeDelivery/ram:ActualDeliverySupplyChainEvent/"
	    "ram:OccurrenceDateTime/udt:DateTimeString",
	    "format");
	get(&l->status, n, np, "ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode", NULL);
	each_kid(ird, set, "ram:InvoiceReferencedDocument") add_ref(&l->refs, &l->nrefs, ird, 1);
	each_kid(pc, node_kid(n, "ram:SpecifiedTradeProduct"),
	         "ram:ApplicableProductCharacteristic") add_item_attr(l, pc, 1);
	add_acs(&l->acs, &l->nacs, set, sp, "ram:SpecifiedTradeAllowanceCharge", 1);
	get(&l->exemption_reason, set, sp, "ram:ApplicableTradeTax/ram:ExemptionReason", NULL);
	read_line_cii_subinvoice(l, n, np, set, sp);
	free(sp);
}

/* Read every `qname` line of `parent` (path parent_path). */
static void
read_lines(struct invoice *inv, xmlNodePtr parent, const char *parent_path, const char *qname,
           int cii, int cn)
{
	size_t total = count_kids(parent, qname), i = 0;
	inv->lines = xcalloc(total ? total : 1, sizeof(*inv->lines));
	each_kid(line, parent, qname)
	{
		char *np = indexed_path(parent_path, qname, ++i, total);
		if (cii)
			read_line_cii(&inv->lines[inv->nlines++], line, np);
		else
			read_line_ubl(&inv->lines[inv->nlines++], line, np, cn);
		free(np);
		/* a line's delivery party, for the BR-FR rules on parties */
		if (cii) {
			struct inv_party *p;
			note_tax_dates(inv, node_kid(line, "ram:SpecifiedLineTradeSettlement"));
			p = read_other(
			    inv, "delivery of a line (EXT-FR-FE-146)",
			    node_find(line, "ram:SpecifiedLineTradeDelivery/ram:ShipToTradeParty"),
			    1);
			if (p)
				p->delivery = 2;
		} else
			read_delivery_ubl(inv, "delivery of a line (EXT-FR-FE-146)", 2,
			                  node_kid(line, "cac:Delivery"));
	}
}

static struct inv_vat *
new_vat(struct invoice *inv, xmlNodePtr n)
{
	struct inv_vat *v = APPEND(&inv->vats, &inv->nvats);
	v->path = node_path(n);
	v->line = (int)xmlGetLineNo(n);
	return v;
}

static void
read_attachment(struct invoice *inv, xmlNodePtr n, int cii)
{
	struct inv_attachment *a;
	xmlNodePtr obj;
	a = APPEND(&inv->attachments, &inv->nattachments);
	a->path = node_path(n);
	a->line = (int)xmlGetLineNo(n);
	if (cii) {
		get(&a->id, n, a->path, "ram:IssuerAssignedID", NULL);
		get(&a->uri, n, a->path, "ram:URIID", NULL);
		obj = node_kid(n, "ram:AttachmentBinaryObject");
	} else {
		get(&a->id, n, a->path, "cbc:ID", NULL);
		get(&a->uri, n, a->path, "cac:Attachment/cac:ExternalReference/cbc:URI", NULL);
		obj = node_find(n, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject");
	}
	/* the content itself is not copied: only its type, name and size */
	if (obj) {
		xmlChar *t = xmlNodeGetContent(obj);
		a->content_len = t ? strlen((const char *)t) : 0;
		xmlFree(t);
		a->mime.text = node_attr(obj, "mimeCode");
		if (a->mime.text == NULL)
			a->mime.text = xstrdup("");
		{
			char *op = node_path(obj);
			a->mime.path = xasprintf("%s/@mimeCode", op);
			a->filename.path = xasprintf("%s/@filename", op);
			free(op);
		}
		a->mime.line = (int)xmlGetLineNo(obj);
		a->filename.text = node_attr(obj, "filename");
		a->filename.line = a->mime.line;
	} else {
		const char *rel = cii ? "ram:AttachmentBinaryObject"
		                      : "cac:Attachment/cbc:EmbeddedDocumentBinaryObject";
		a->mime.path = join_path(a->path, rel);
		a->filename.path = join_path(a->path, rel);
	}
}

/* Every note of `parent` (UBL: cbc:Note of the root, the subject taken from a
 * leading "#CODE#"; CII: ram:IncludedNote of rsm:ExchangedDocument). */
static void
read_notes(struct invoice *inv, xmlNodePtr parent, const char *parent_path, int cii)
{
	const char *qname = cii ? "ram:IncludedNote" : "cbc:Note";
	size_t total = count_kids(parent, qname), i = 0;
	each_kid(n, parent, qname)
	{
		struct inv_note *note = APPEND(&inv->notes, &inv->nnotes);
		i++;
		if (cii) {
			char *np = indexed_path(parent_path, qname, i, total);
			get(&note->subject, n, np, "ram:SubjectCode", NULL);
			get(&note->content, n, np, "ram:Content", NULL);
			note->contents = count_kids(n, "ram:Content");
			size_t j = 0;
			each_kid(sc, n, "ram:SubjectCode") if (j++ > 0)
			    add_id(&note->more_subjects, &note->nmore_subjects, sc);
			free(np);
		} else {
			const char *t, *end;
			set_from(&note->content, n, parent, parent_path, qname, NULL);
			note->subject.path = xstrdup(note->content.path);
			note->subject.line = note->content.line;
			t = note->content.text;
			end = t && t[0] == '#' ? strchr(t + 1, '#') : NULL;
			if (end)
				note->subject.text = xstrndup(t + 1, (size_t)(end - t - 1));
		}
	}
}

/* Append the VAT breakdowns of UBL cac:TaxTotal `tt` to inv->vats. */
static void
read_subtotals_ubl(struct invoice *inv, xmlNodePtr tt)
{
	each_kid(st, tt, "cac:TaxSubtotal")
	{
		struct inv_vat *v = new_vat(inv, st);
		get(&v->taxable, st, v->path, "cbc:TaxableAmount", "currencyID");
		get(&v->tax, st, v->path, "cbc:TaxAmount", "currencyID");
		get(&v->category, st, v->path, "cac:TaxCategory/cbc:ID", NULL);
		get(&v->rate, st, v->path, "cac:TaxCategory/cbc:Percent", NULL);
		get(&v->exemption_reason, st, v->path, "cac:TaxCategory/cbc:TaxExemptionReason",
		    NULL);
		get(&v->exemption_code, st, v->path, "cac:TaxCategory/cbc:TaxExemptionReasonCode",
		    NULL);
		get(&v->scheme, st, v->path, "cac:TaxCategory/cac:TaxScheme/cbc:ID", NULL);
		v->vat_not_vat = not_vat(node_kid(st, "cac:TaxCategory"));
	}
}

static void
model_ubl(struct invoice *inv, xmlNodePtr root)
{
	int cn = node_is(root, NS_UBL_CN, "CreditNote");
	xmlNodePtr tax_total = NULL, lmt, per;
	char *lp;

	inv->syntax = SYNTAX_UBL;
	inv->ubl_credit_note = cn;
	inv->root = xstrdup(cn ? "CreditNote" : "Invoice");
	get(&inv->number, root, "", "cbc:ID", NULL);
	get(&inv->type_code, root, "", cn ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode", NULL);
	get(&inv->issue_date, root, "", "cbc:IssueDate", NULL);
	if (node_kid(root, "cbc:DueDate") || !cn)
		get(&inv->due_date, root, "", "cbc:DueDate", NULL);
	else
		get(&inv->due_date, root, "", "cac:PaymentMeans/cbc:PaymentDueDate", NULL);
	each_kid(d, root, "cbc:DueDate") add_id(&inv->due_dates, &inv->ndue_dates, d);
	get(&inv->currency, root, "", "cbc:DocumentCurrencyCode", NULL);
	get(&inv->tax_currency, root, "", "cbc:TaxCurrencyCode", NULL);
	get(&inv->cadre, root, "", "cbc:ProfileID", NULL);
	inv->cadres = count_kids(root, "cbc:ProfileID");
	get(&inv->customization, root, "", "cbc:CustomizationID", NULL);
	get(&inv->service_code, root, "", "cbc:BuyerReference", NULL);
	get(&inv->engagement, root, "", "cac:OrderReference/cbc:ID", NULL);
	get(&inv->contract, root, "", "cac:ContractDocumentReference/cbc:ID", NULL);
	get(&inv->preceding_number, root, "",
	    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NULL);
	get(&inv->preceding_date, root, "",
	    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate", NULL);
	each_kid(br, root, "cac:BillingReference")
	    add_ref(&inv->preceding, &inv->npreceding, br, 0);
	get(&inv->tax_point_date, root, "", "cbc:TaxPointDate", NULL);
	get(&inv->payment_terms, root, "", "cac:PaymentTerms/cbc:Note", NULL);
	get(&inv->delivery_country, root, "",
	    "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
	    NULL);
	get(&inv->delivery_date, root, "", "cac:Delivery/cbc:ActualDeliveryDate", NULL);
	get(&inv->period_start, root, "", "cac:InvoicePeriod/cbc:StartDate", NULL);
	get(&inv->period_end, root, "", "cac:InvoicePeriod/cbc:EndDate", NULL);
	per = node_kid(root, "cac:InvoicePeriod");
	inv->period = period_parts(per, 0);
	if (per)
		read_more_periods(&inv->more_periods, &inv->nmore_periods, per);
	{
		xmlNodePtr rep = node_kid(root, "cac:TaxRepresentativeParty");
		add_vat_ids(&inv->tax_rep_vat_ids, &inv->ntax_rep_vat_ids, rep, 0);
		each_kid(t, rep, "cac:PartyTaxScheme") inv->tax_rep_co15_ids +=
		    count_kids(t, "cbc:CompanyID");
		read_tax_id(&inv->tax_rep_vat_id, rep, "cac:TaxRepresentativeParty", 0, 1);
		get(&inv->tax_rep_tax_id, rep, "cac:TaxRepresentativeParty",
		    "cac:PartyTaxScheme/cbc:CompanyID", NULL);
		inv->tax_rep = rep != NULL;
		inv->tax_rep_address = node_kid(rep, "cac:PostalAddress") != NULL;
		get(&inv->tax_rep_name, rep, "cac:TaxRepresentativeParty", "cac:PartyName/cbc:Name",
		    NULL);
	}
	read_party(&inv->supplier, node_find(root, "cac:AccountingSupplierParty/cac:Party"),
	           "cac:AccountingSupplierParty/cac:Party", 0);
	read_party(&inv->buyer, node_find(root, "cac:AccountingCustomerParty/cac:Party"),
	           "cac:AccountingCustomerParty/cac:Party", 0);
	inv->supplier.holder = node_kid(root, "cac:AccountingSupplierParty") != NULL;
	inv->buyer.holder = node_kid(root, "cac:AccountingCustomerParty") != NULL;
	read_notes(inv, root, "", 0);
	read_others_ubl(inv, root);

	each_kid(pm, root, "cac:PaymentMeans")
	{
		struct inv_payment *p = APPEND(&inv->payments, &inv->npayments);
		char *pp = node_path(pm);
		get(&p->code, pm, pp, "cbc:PaymentMeansCode", NULL);
		get(&p->iban, pm, pp, "cac:PayeeFinancialAccount/cbc:ID", NULL);
		get(&p->bic, pm, pp,
		    "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", NULL);
		get(&p->pan, pm, pp, "cac:CardAccount/cbc:PrimaryAccountNumberID", NULL);
		get(&p->due_date, pm, pp, "cbc:PaymentDueDate", NULL);
		free(pp);
	}
	add_acs(&inv->acs, &inv->nacs, root, "", "cac:AllowanceCharge", 0);
	each_kid(adr, root, "cac:AdditionalDocumentReference")
	{
		/* DocumentTypeCode 130 is an invoiced object identifier (BT-18) and 50 a
		 * credit note's project reference (BT-11), not supporting documents */
		xmlNodePtr tc = node_kid(adr, "cbc:DocumentTypeCode");
		char *t = tc ? node_text(tc) : NULL;
		if (t == NULL || (strcmp(t, "130") != 0 && strcmp(t, "50") != 0))
			read_attachment(inv, adr, 0);
		free(t);
		add_docref(&inv->docrefs, &inv->ndocrefs, adr, 0);
	}

	/* the TaxTotal in the document currency; BT-111 is the TaxAmount in BT-6 (a second
	 * TaxTotal, or the same one when BT-6 is BT-5: BR-53 is satisfied in UBL) */
	each_kid(tt, root, "cac:TaxTotal")
	{
		xmlNodePtr amt = node_kid(tt, "cbc:TaxAmount");
		char *cur = amt ? node_attr(amt, "currencyID") : NULL;
		int hit = inv->currency.text == NULL || cur == NULL ||
		          strcmp(cur, inv->currency.text) == 0;
		if (cur && inv->tax_currency.text && strcmp(cur, inv->tax_currency.text) == 0 &&
		    inv->tax_total_acc.text == NULL)
			set_from(&inv->tax_total_acc, amt, NULL, NULL, NULL, NULL);
		if (cur && inv->currency.text && strcmp(cur, inv->currency.text) == 0)
			inv->ntax_totals_cur++;
		free(cur);
		if (hit && tax_total == NULL)
			tax_total = tt;
	}
	if (tax_total == NULL)
		tax_total = node_kid(root, "cac:TaxTotal");
	get(&inv->tax_total, root, "", "cac:TaxTotal/cbc:TaxAmount", "currencyID");
	if (tax_total)
		set_from(&inv->tax_total, node_kid(tax_total, "cbc:TaxAmount"), root, "",
		         "cac:TaxTotal/cbc:TaxAmount", "currencyID");
	read_subtotals_ubl(inv, tax_total);
	/* the other TaxTotals' breakdowns, after those: UBL BR-FR-MV-09 and the CEN
	 * BR-x-01 read cac:TaxTotal/cac:TaxSubtotal, every one */
	{
		size_t n = inv->nvats;
		each_kid(tt, root, "cac:TaxTotal") if (tt != tax_total) read_subtotals_ubl(inv, tt);
		inv->nvats_other = inv->nvats - n;
		inv->nvats = n;
	}

	lmt = node_kid(root, "cac:LegalMonetaryTotal");
	inv->totals = lmt != NULL;
	lp = path_below(lmt, root, "", "cac:LegalMonetaryTotal");
	get(&inv->line_total, lmt, lp, "cbc:LineExtensionAmount", "currencyID");
	get(&inv->allowance_total, lmt, lp, "cbc:AllowanceTotalAmount", "currencyID");
	get(&inv->charge_total, lmt, lp, "cbc:ChargeTotalAmount", "currencyID");
	get(&inv->tax_exclusive, lmt, lp, "cbc:TaxExclusiveAmount", "currencyID");
	get(&inv->tax_inclusive, lmt, lp, "cbc:TaxInclusiveAmount", "currencyID");
	get(&inv->prepaid, lmt, lp, "cbc:PrepaidAmount", "currencyID");
	get(&inv->rounding, lmt, lp, "cbc:PayableRoundingAmount", "currencyID");
	get(&inv->payable, lmt, lp, "cbc:PayableAmount", "currencyID");
	free(lp);

	/* the artefacts read either line element under either root (BR-16, BR-21...) */
	if (node_kid(root, cn ? "cac:CreditNoteLine" : "cac:InvoiceLine") == NULL &&
	    node_kid(root, cn ? "cac:InvoiceLine" : "cac:CreditNoteLine") != NULL)
		read_lines(inv, root, "", cn ? "cac:InvoiceLine" : "cac:CreditNoteLine", 0, !cn);
	else
		read_lines(inv, root, "", cn ? "cac:CreditNoteLine" : "cac:InvoiceLine", 0, cn);
}

static void
model_cii(struct invoice *inv, xmlNodePtr root)
{
	xmlNodePtr ctx = node_kid(root, "rsm:ExchangedDocumentContext");
	xmlNodePtr doc = node_kid(root, "rsm:ExchangedDocument");
	xmlNodePtr tx = node_kid(root, "rsm:SupplyChainTradeTransaction");
	xmlNodePtr agr = node_kid(tx, "ram:ApplicableHeaderTradeAgreement");
	xmlNodePtr del = node_kid(tx, "ram:ApplicableHeaderTradeDelivery");
	xmlNodePtr set = node_kid(tx, "ram:ApplicableHeaderTradeSettlement");
	xmlNodePtr sum = node_kid(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation");
	xmlNodePtr terms = NULL, tax_total = NULL;
	char *cp = path_below(ctx, root, "", "rsm:ExchangedDocumentContext");
	char *dp = path_below(doc, root, "", "rsm:ExchangedDocument");
	char *ap =
	    path_of(agr, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement");
	char *dlp =
	    path_of(del, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery");
	char *sp =
	    path_of(set, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement");
	char *mp =
	    path_of(sum, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
	                 "ram:SpecifiedTradeSettlementHeaderMonetarySummation");
	char *tp;

	inv->syntax = SYNTAX_CII;
	inv->root = xstrdup("rsm:CrossIndustryInvoice");
	get(&inv->cadre, ctx, cp, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
	    NULL);
	each_kid(bp, ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter") inv->cadres +=
	    count_kids(bp, "ram:ID");
	get(&inv->customization, ctx, cp, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
	    NULL);
	get(&inv->number, doc, dp, "ram:ID", NULL);
	get(&inv->type_code, doc, dp, "ram:TypeCode", NULL);
	get(&inv->issue_date, doc, dp, "ram:IssueDateTime/udt:DateTimeString", "format");
	each_kid(it, doc, "ram:IssueDateTime") inv->issue_dates +=
	    count_kids(it, "udt:DateTimeString");
	read_notes(inv, doc, dp, 1);
	get(&inv->service_code, agr, ap, "ram:BuyerReference", NULL);
	get(&inv->engagement, agr, ap, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
	    NULL);
	get(&inv->contract, agr, ap, "ram:ContractReferencedDocument/ram:IssuerAssignedID", NULL);
	/* supporting documents: TypeCode 916 (50 is a tender or lot reference, 130 an
	 * invoiced object identifier) */
	each_kid(ard, agr, "ram:AdditionalReferencedDocument")
	{
		xmlNodePtr tc = node_kid(ard, "ram:TypeCode");
		char *t = tc ? node_text(tc) : NULL;
		if (t && strcmp(t, "916") == 0)
			read_attachment(inv, ard, 1);
		free(t);
		add_docref(&inv->docrefs, &inv->ndocrefs, ard, 1);
	}
	{
		char *pp = xasprintf("%s/ram:SellerTradeParty", ap);
		read_party(&inv->supplier, node_kid(agr, "ram:SellerTradeParty"), pp, 1);
		free(pp);
		pp = xasprintf("%s/ram:BuyerTradeParty", ap);
		read_party(&inv->buyer, node_kid(agr, "ram:BuyerTradeParty"), pp, 1);
		free(pp);
	}
	get(&inv->delivery_country, del, dlp,
	    "ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID", NULL);
	get(&inv->delivery_date, del, dlp,
	    "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString",
	    "format");
	get(&inv->period_start, set, sp,
	    "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "format");
	get(&inv->period_end, set, sp,
	    "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString", "format");
	inv->period = period_parts(node_kid(set, "ram:BillingSpecifiedPeriod"), 1);
	note_tax_dates(inv, set);
	{
		char *rp = xasprintf("%s/ram:SellerTaxRepresentativeTradeParty", ap);
		xmlNodePtr rep = node_kid(agr, "ram:SellerTaxRepresentativeTradeParty");
		read_tax_id(&inv->tax_rep_vat_id, rep, rp, 1, 1);
		add_vat_ids(&inv->tax_rep_vat_ids, &inv->ntax_rep_vat_ids, rep, 1);
		inv->tax_rep_co15_ids = inv->ntax_rep_vat_ids;
		inv->tax_rep = rep != NULL;
		inv->tax_rep_address = node_kid(rep, "ram:PostalTradeAddress") != NULL;
		get(&inv->tax_rep_name, rep, rp, "ram:Name", NULL);
		free(rp);
	}
	get(&inv->currency, set, sp, "ram:InvoiceCurrencyCode", NULL);
	get(&inv->tax_currency, set, sp, "ram:TaxCurrencyCode", NULL);
	get(&inv->preceding_number, set, sp, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
	    NULL);
	get(&inv->preceding_date, set, sp,
	    "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString",
	    "format");
	each_kid(ird, set, "ram:InvoiceReferencedDocument")
	    add_ref(&inv->preceding, &inv->npreceding, ird, 1);
	read_others_cii(inv, agr, del, set);
	/* due date and terms: the first payment terms that have them */
	each_kid(t, set, "ram:SpecifiedTradePaymentTerms")
	{
		if (terms == NULL)
			terms = t;
		if (node_kid(t, "ram:DueDateDateTime")) {
			terms = t;
			break;
		}
	}
	tp = path_of(terms, "ram:SpecifiedTradePaymentTerms");
	if (terms == NULL) {
		free(tp);
		tp = xasprintf("%s/ram:SpecifiedTradePaymentTerms", sp);
	}
	get(&inv->due_date, terms, tp, "ram:DueDateDateTime/udt:DateTimeString", "format");
	each_kid(t, set, "ram:SpecifiedTradePaymentTerms") each_kid(dt, t, "ram:DueDateDateTime")
	    each_kid(d, dt, "udt:DateTimeString") add_id(&inv->due_dates, &inv->ndue_dates, d);
	get(&inv->payment_terms, terms, tp, "ram:Description", NULL);
	free(tp);

	each_kid(pm, set, "ram:SpecifiedTradeSettlementPaymentMeans")
	{
		struct inv_payment *p = APPEND(&inv->payments, &inv->npayments);
		char *pp = node_path(pm);
		get(&p->code, pm, pp, "ram:TypeCode", NULL);
		get(&p->iban, pm, pp, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", NULL);
		get(&p->bic, pm, pp, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
		    NULL);
		get(&p->pan, pm, pp, "ram:ApplicableTradeSettlementFinancialCard/ram:ID", NULL);
		each_kid(a, pm, "ram:PayeePartyCreditorFinancialAccount") p->cii_account =
		    node_kid(a, "ram:IBANID") || node_kid(a, "ram:ProprietaryID") ? 2 : 1;
		free(pp);
	}
	each_kid(tt, set, "ram:ApplicableTradeTax")
	{
		struct inv_vat *v = new_vat(inv, tt);
		get(&v->tax, tt, v->path, "ram:CalculatedAmount", NULL);
		get(&v->taxable, tt, v->path, "ram:BasisAmount", NULL);
		get(&v->category, tt, v->path, "ram:CategoryCode", NULL);
		get(&v->rate, tt, v->path, "ram:RateApplicablePercent", NULL);
		v->vat_codes = count_kids(tt, "ram:CategoryCode");
		v->vat_rates = count_kids(tt, "ram:RateApplicablePercent");
		get(&v->exemption_reason, tt, v->path, "ram:ExemptionReason", NULL);
		get(&v->exemption_code, tt, v->path, "ram:ExemptionReasonCode", NULL);
		get(&v->tax_point_date, tt, v->path, "ram:TaxPointDate/udt:DateString", "format");
		get(&v->scheme, tt, v->path, "ram:TypeCode", NULL);
		/* the breakdowns of category L, M, O (under VAT) have their own template in
		 * the CII artefact, which takes BR-CO-03's from them */
		inv->vat_co03 |= !(v->category.text && strchr("LMO", v->category.text[0]) &&
		                   v->category.text[0] && v->category.text[1] == '\0' &&
		                   v->scheme.text && strcasecmp(v->scheme.text, "VAT") == 0);
	}
	add_acs(&inv->acs, &inv->nacs, set, sp, "ram:SpecifiedTradeAllowanceCharge", 1);

	inv->totals = sum != NULL;
	get(&inv->line_total, sum, mp, "ram:LineTotalAmount", NULL);
	get(&inv->charge_total, sum, mp, "ram:ChargeTotalAmount", NULL);
	get(&inv->allowance_total, sum, mp, "ram:AllowanceTotalAmount", NULL);
	get(&inv->tax_exclusive, sum, mp, "ram:TaxBasisTotalAmount", NULL);
	each_kid(t, sum, "ram:TaxTotalAmount")
	{
		char *cur = node_attr(t, "currencyID");
		int hit = cur == NULL || inv->currency.text == NULL ||
		          strcmp(cur, inv->currency.text) == 0;
		if (cur && inv->tax_currency.text && strcmp(cur, inv->tax_currency.text) == 0 &&
		    inv->tax_total_acc.text == NULL)
			set_from(&inv->tax_total_acc, t, sum, mp, "ram:TaxTotalAmount", NULL);
		if (cur && inv->currency.text && strcmp(cur, inv->currency.text) == 0)
			inv->ntax_totals_cur++;
		free(cur);
		if (hit && tax_total == NULL)
			tax_total = t;
	}
	set_from(&inv->tax_total, tax_total, sum, mp, "ram:TaxTotalAmount", "currencyID");
	get(&inv->rounding, sum, mp, "ram:RoundingAmount", NULL);
	get(&inv->tax_inclusive, sum, mp, "ram:GrandTotalAmount", NULL);
	get(&inv->prepaid, sum, mp, "ram:TotalPrepaidAmount", NULL);
	get(&inv->payable, sum, mp, "ram:DuePayableAmount", NULL);

	read_lines(inv, tx, "rsm:SupplyChainTradeTransaction",
	           "ram:IncludedSupplyChainTradeLineItem", 1, 0);
	free(cp);
	free(dp);
	free(ap);
	free(dlp);
	free(sp);
	free(mp);
}

/* The scheme of `n` is one of `schemes` (" 0002 0231 "), as written. */
static int
scheme_in(xmlNodePtr n, const char *schemes)
{
	char *s = node_attr(n, "schemeID");
	int r = s && *s && !strchr(s, ' ') && str_word_in(schemes, s);
	free(s);
	return r;
}

/* BR-FR-32's identifiers, wherever they are (the schematrons' "//" paths): UBL every
 * cac:PartyIdentification/cbc:ID under scheme 0002 or 0231 and every
 * cac:PartyLegalEntity/cbc:CompanyID under 0002; CII every ram:GlobalID under 0002 or
 * 0231 (a product's BT-157 too) and every ram:SpecifiedLegalOrganization/ram:ID under
 * 0002. In the same walk, BR-CO-09's VAT identifiers, wherever they are (the CEN
 * contexts' "//" paths): UBL every cac:PartyTaxScheme's of scheme VAT, CII every
 * ram:SpecifiedTaxRegistration/ram:ID of scheme VA. One walk of the tree, without
 * recursion; only those elements are read. */
static void
read_siren_ids(struct invoice *inv, xmlNodePtr root, int cii)
{
	const char *pid = cii ? NS_RAM : NS_CAC, *id = cii ? NS_RAM : NS_CBC;
	xmlNodePtr n = root;
	while (n) {
		if (n->type == XML_ELEMENT_NODE) {
			if (cii ? node_is(n, id, "GlobalID")
			        : node_is(n, id, "ID") &&
			              node_is(n->parent, pid, "PartyIdentification")) {
				if (scheme_in(n, " 0002 0231 "))
					add_id(&inv->siren_ids, &inv->nsiren_ids, n);
			} else if (node_is(n, id, cii ? "ID" : "CompanyID") &&
			           node_is(n->parent, pid,
			                   cii ? "SpecifiedLegalOrganization"
			                       : "PartyLegalEntity") &&
			           scheme_in(n, " 0002 "))
				add_id(&inv->siren_legal_ids, &inv->nsiren_legal_ids, n);
			else if (cii ? node_is(n, NS_RAM, "SpecifiedTaxRegistration")
			             : node_is(n, NS_CAC, "PartyTaxScheme")) {
				if (cii)
					add_vat_reg(&inv->vat_ids, &inv->nvat_ids, n);
				else
					add_vat_scheme(&inv->vat_ids, &inv->nvat_ids, n);
			}
			if (n->children) {
				n = n->children;
				continue;
			}
		}
		while (n != root && n->next == NULL)
			n = n->parent;
		n = n == root ? NULL : n->next;
	}
}

struct invoice *
xform_model(const struct xform_result *r)
{
	struct invoice *inv;
	xmlNodePtr root;
	if (r == NULL || r->doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(r->doc->doc);
	inv = xcalloc(1, sizeof(*inv));
	if (node_is(root, NS_RSM, "CrossIndustryInvoice"))
		model_cii(inv, root);
	else
		model_ubl(inv, root);
	read_siren_ids(inv, root, node_is(root, NS_RSM, "CrossIndustryInvoice"));
	inv->generated = r->kind == XK_ERP || r->kind == XK_MAP;
	return inv;
}
