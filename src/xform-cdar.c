/*
 * xform-cdar.c - the CDAR lifecycle message (cdar.h) written as XML: the
 * CrossDomainAcknowledgementAndResponse D22B document, elements in the order of its
 * XSD (schemas/cdar-d22b). Part of the xform family, which alone uses libxml2.
 *
 * Values are the model's strings, escaped by libxml2; the caller gives UTF-8 without
 * control characters (status.c checks what an ERP wrote). Nothing fails but
 * allocation, which aborts.
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
