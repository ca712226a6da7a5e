/*
 * xform-cdar.c - the CDAR lifecycle message (cdar.h) as XML: cdar_xml() writes the
 * CrossDomainAcknowledgementAndResponse D22B document, elements in the order of its
 * XSD (schemas/cdar-d22b); cdar_read() reads one (a platform's, a partner's) into the
 * model, through xform_parse() (untrusted bytes: no DTD, no entities, bounded). Part of
 * the xform family, which alone uses libxml2.
 *
 * Writing: values are the model's strings, escaped by libxml2; the caller gives UTF-8
 * without control characters (status.c checks what an ERP wrote); nothing fails but
 * allocation, which aborts. Reading: 0 / -1 with *why.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cdar.h"
#include "util.h"
#include "xform-int.h"

#define NS_CDAR "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"

struct w {
	xmlNsPtr rsm, ram, udt, qdt;
};

static xmlNodePtr
add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
	if (n == NULL)
		abort();
	return n;
}

/* <ram:NAME>text</ram:NAME> when text is not NULL. */
static void
opt(const struct w *w, xmlNodePtr parent, const char *name, const char *text)
{
	if (text)
		add(parent, w->ram, name, text);
}

static void
attr(xmlNodePtr n, const char *name, const char *value)
{
	if (value && xmlNewProp(n, BAD_CAST name, BAD_CAST value) == NULL)
		abort();
}

/* <ram:NAME><NS:DateTimeString format="FMT">when</...></ram:NAME> */
static void
datetime(const struct w *w, xmlNodePtr parent, const char *name, xmlNsPtr ns, const char *fmt,
         const char *when)
{
	if (when)
		attr(add(add(parent, w->ram, name, NULL), ns, "DateTimeString", when), "format",
		     fmt);
}

static void
party(const struct w *w, xmlNodePtr parent, const char *name, const struct cdar_party *p)
{
	xmlNodePtr n;
	size_t i;
	if (p == NULL)
		return;
	n = add(parent, w->ram, name, NULL);
	for (i = 0; i < p->nids; i++)
		attr(add(n, w->ram, "GlobalID", p->ids[i].id ? p->ids[i].id : ""), "schemeID",
		     p->ids[i].scheme);
	opt(w, n, "Name", p->name);
	opt(w, n, "RoleCode", p->role);
	if (p->uri.id)
		attr(add(add(n, w->ram, "URIUniversalCommunication", NULL), w->ram, "URIID",
		         p->uri.id),
		     "schemeID", p->uri.scheme);
}

static void
detail(const struct w *w, xmlNodePtr parent, const struct cdar_detail *d)
{
	xmlNodePtr n = add(parent, w->ram, "SpecifiedDocumentStatus", NULL);
	size_t i;
	opt(w, n, "ReasonCode", d->reason_code);
	opt(w, n, "Reason", d->reason);
	opt(w, n, "ProcessConditionCode", d->status);
	opt(w, n, "RequestedActionCode", d->action);
	opt(w, n, "SequenceNumeric", d->seq);
	for (i = 0; i < d->nchars; i++) {
		xmlNodePtr c = add(n, w->ram, "SpecifiedDocumentCharacteristic", NULL);
		opt(w, c, "TypeCode", d->chars[i].type);
		opt(w, c, "ValueAmount", d->chars[i].amount);
		opt(w, c, "ValuePercent", d->chars[i].percent);
	}
}

static void
ref(const struct w *w, xmlNodePtr parent, const struct cdar_ref *r)
{
	xmlNodePtr n = add(parent, w->ram, "ReferenceReferencedDocument", NULL);
	size_t i;
	opt(w, n, "IssuerAssignedID", r->number);
	opt(w, n, "StatusCode", r->status_code);
	opt(w, n, "TypeCode", r->type_code);
	datetime(w, n, "FormattedIssueDateTime", w->qdt, "102", r->issue_date);
	opt(w, n, "ProcessConditionCode", r->status);
	opt(w, n, "ProcessCondition", r->status_label);
	party(w, n, "IssuerTradeParty", r->issuer);
	for (i = 0; i < r->nrecipients; i++)
		party(w, n, "RecipientTradeParty", &r->recipients[i]);
	for (i = 0; i < r->ndetails; i++)
		detail(w, n, &r->details[i]);
}

char *
cdar_xml(const struct cdar *c, size_t *len)
{
	struct w w;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, n;
	xmlChar *mem = NULL;
	int memlen = 0;
	size_t i, j;
	char *out;

	if (doc == NULL ||
	    (root = xmlNewNode(NULL, BAD_CAST "CrossDomainAcknowledgementAndResponse")) == NULL)
		abort();
	xmlDocSetRootElement(doc, root);
	w.rsm = xmlNewNs(root, BAD_CAST NS_CDAR, BAD_CAST "rsm");
	w.ram = xmlNewNs(root, BAD_CAST NS_RAM, BAD_CAST "ram");
	w.udt = xmlNewNs(root, BAD_CAST NS_UDT, BAD_CAST "udt");
	w.qdt = xmlNewNs(root, BAD_CAST NS_QDT, BAD_CAST "qdt");
	if (!w.rsm || !w.ram || !w.udt || !w.qdt)
		abort();
	xmlSetNs(root, w.rsm);

	n = add(root, w.rsm, "ExchangedDocumentContext", NULL);
	if (c->business_process)
		add(add(n, w.ram, "BusinessProcessSpecifiedDocumentContextParameter", NULL), w.ram,
		    "ID", c->business_process);
	if (c->guideline)
		add(add(n, w.ram, "GuidelineSpecifiedDocumentContextParameter", NULL), w.ram, "ID",
		    c->guideline);

	n = add(root, w.rsm, "ExchangedDocument", NULL);
	opt(&w, n, "ID", c->id);
	opt(&w, n, "Name", c->name);
	datetime(&w, n, "IssueDateTime", w.udt, "204", c->issue_time);
	party(&w, n, "SenderTradeParty", c->sender);
	party(&w, n, "IssuerTradeParty", c->issuer);
	for (i = 0; i < c->nrecipients; i++)
		party(&w, n, "RecipientTradeParty", &c->recipients[i]);

	for (i = 0; i < c->nacks; i++) {
		const struct cdar_ack *a = &c->acks[i];
		n = add(root, w.rsm, "AcknowledgementDocument", NULL);
		if (a->multiple_refs >= 0)
			add(add(n, w.ram, "MultipleReferencesIndicator", NULL), w.udt, "Indicator",
			    a->multiple_refs ? "true" : "false");
		opt(&w, n, "TypeCode", a->type_code);
		datetime(&w, n, "IssueDateTime", w.udt, "204", a->issue_time);
		for (j = 0; j < a->nrefs; j++)
			ref(&w, n, &a->refs[j]);
	}

	xmlDocDumpFormatMemoryEnc(doc, &mem, &memlen, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (mem == NULL)
		abort();
	out = xmalloc((size_t)memlen + 1);
	memcpy(out, mem, (size_t)memlen);
	out[memlen] = '\0';
	xmlFree(mem);
	*len = (size_t)memlen;
	return out;
}

/* ---- reading --------------------------------------------------------------------- */

/* The text of parent's first child `qname`, or NULL when there is none. Caller frees. */
static char *
kid_text(xmlNodePtr parent, const char *qname)
{
	xmlNodePtr n = parent ? node_kid(parent, qname) : NULL;
	return n ? node_text(n) : NULL;
}

static void
read_party(xmlNodePtr n, struct cdar_party *p)
{
	xmlNodePtr u = node_find(n, "ram:URIUniversalCommunication/ram:URIID");
	each_kid(g, n, "ram:GlobalID")
	{
		char *id = node_text(g), *scheme = node_attr(g, "schemeID");
		cdar_add_id(p, id, scheme);
		free(id);
		free(scheme);
	}
	p->name = kid_text(n, "ram:Name");
	p->role = kid_text(n, "ram:RoleCode");
	if (u) {
		p->uri.id = node_text(u);
		p->uri.scheme = node_attr(u, "schemeID");
	}
}

static struct cdar_party *
read_one_party(xmlNodePtr parent, const char *qname)
{
	xmlNodePtr n = node_kid(parent, qname);
	struct cdar_party *p;
	if (n == NULL)
		return NULL;
	p = cdar_party_new();
	read_party(n, p);
	return p;
}

static void
read_ref(xmlNodePtr n, struct cdar_ref *r)
{
	xmlNodePtr d = node_kid(n, "ram:FormattedIssueDateTime");
	r->number = kid_text(n, "ram:IssuerAssignedID");
	r->status_code = kid_text(n, "ram:StatusCode");
	r->type_code = kid_text(n, "ram:TypeCode");
	if (d)
		r->issue_date = kid_text(d, "qdt:DateTimeString");
	r->status = kid_text(n, "ram:ProcessConditionCode");
	r->status_label = kid_text(n, "ram:ProcessCondition");
	r->issuer = read_one_party(n, "ram:IssuerTradeParty");
	each_kid(p, n, "ram:RecipientTradeParty")
	    read_party(p, cdar_add_party(&r->recipients, &r->nrecipients));
	each_kid(sd, n, "ram:SpecifiedDocumentStatus")
	{
		struct cdar_detail *det = cdar_add_detail(r);
		det->reason_code = kid_text(sd, "ram:ReasonCode");
		det->reason = kid_text(sd, "ram:Reason");
		det->status = kid_text(sd, "ram:ProcessConditionCode");
		det->action = kid_text(sd, "ram:RequestedActionCode");
		det->seq = kid_text(sd, "ram:SequenceNumeric");
		each_kid(ch, sd, "ram:SpecifiedDocumentCharacteristic")
		{
			struct cdar_char *c = cdar_add_char(det);
			c->type = kid_text(ch, "ram:TypeCode");
			c->amount = kid_text(ch, "ram:ValueAmount");
			c->percent = kid_text(ch, "ram:ValuePercent");
		}
	}
}

/* The root's child {NS_CDAR}local after `prev` (NULL: the first), or NULL. Not through
 * node_kid(): the canonical prefix "rsm" is CII's namespace. */
static xmlNodePtr
rsm_kid(xmlNodePtr root, xmlNodePtr prev, const char *local)
{
	xmlNodePtr c;
	for (c = prev ? prev->next : root->children; c; c = c->next)
		if (node_is(c, NS_CDAR, local))
			return c;
	return NULL;
}

int
cdar_read(const void *data, size_t len, size_t max_size, int max_depth, struct cdar **out,
          char **why)
{
	struct xform_doc *xd;
	xmlNodePtr root, n;
	struct cdar *c;

	*out = NULL;
	xd = xform_parse(data, len, max_size, max_depth, why);
	if (xd == NULL)
		return -1;
	root = xmlDocGetRootElement(xd->doc);
	if (!node_is(root, NS_CDAR, "CrossDomainAcknowledgementAndResponse")) {
		fail(why,
		     "the root element is %s, not a CDAR CrossDomainAcknowledgementAndResponse",
		     xd->root);
		xform_doc_free(xd);
		return -1;
	}
	c = cdar_new();
	if ((n = rsm_kid(root, NULL, "ExchangedDocumentContext")) != NULL) {
		xmlNodePtr bp = node_kid(n, "ram:BusinessProcessSpecifiedDocumentContextParameter");
		xmlNodePtr gl = node_kid(n, "ram:GuidelineSpecifiedDocumentContextParameter");
		c->business_process = kid_text(bp, "ram:ID");
		c->guideline = kid_text(gl, "ram:ID");
	}
	if ((n = rsm_kid(root, NULL, "ExchangedDocument")) != NULL) {
		xmlNodePtr t = node_kid(n, "ram:IssueDateTime");
		c->id = kid_text(n, "ram:ID");
		c->name = kid_text(n, "ram:Name");
		c->issue_time = kid_text(t, "udt:DateTimeString");
		c->sender = read_one_party(n, "ram:SenderTradeParty");
		c->issuer = read_one_party(n, "ram:IssuerTradeParty");
		each_kid(p, n, "ram:RecipientTradeParty")
		    read_party(p, cdar_add_party(&c->recipients, &c->nrecipients));
	}
	for (xmlNodePtr ad = rsm_kid(root, NULL, "AcknowledgementDocument"); ad;
	     ad = rsm_kid(root, ad, "AcknowledgementDocument")) {
		struct cdar_ack *a = cdar_add_ack(c);
		xmlNodePtr t = node_kid(ad, "ram:IssueDateTime");
		char *ind =
		    kid_text(node_kid(ad, "ram:MultipleReferencesIndicator"), "udt:Indicator");
		if (ind)
			a->multiple_refs = strcmp(ind, "true") == 0 || strcmp(ind, "1") == 0;
		free(ind);
		a->type_code = kid_text(ad, "ram:TypeCode");
		a->issue_time = kid_text(t, "udt:DateTimeString");
		each_kid(r, ad, "ram:ReferenceReferencedDocument") read_ref(r, cdar_add_ref(a));
	}
	xform_doc_free(xd);
	*out = c;
	return 0;
}
