/*
 * xform-int.h - what the files of the xform family share, and the only header besides
 * them that names libxml2 types: include it from xform*.c only (HACKING.md: libxml2 and
 * libxslt stay inside this family). Everything else uses xform.h and invoice.h.
 *
 *   xform.c         safe parsing, error capture, element paths and tree navigation,
 *                   the stylesheet and schema caches, XSD validation, xform_make()
 *   xform-attach.c  embedding the ERP export's attachments into the stylesheet's result
 *   xform-model.c   reading the invoice model (invoice.h) out of a UBL or CII document
 *
 * Ownership: functions returning char * hand a malloc'ed string to the caller; nodes
 * belong to their document.
 */
#ifndef CHORUSGW_XFORM_INT_H
#define CHORUSGW_XFORM_INT_H

#include <string.h>

#include <libxml/tree.h>

#include "util.h"
#include "xform.h"

#define NS_ERP    "urn:chorusgw:erp:1"
#define NS_UBL_IN "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_UBL_CN "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CBC    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
#define NS_CAC    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_EXT    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
#define NS_RSM    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_RAM    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
#define NS_UDT    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
#define NS_QDT    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

/* A parsed document (opaque in xform.h); freed with xform_doc_free(). */
struct xform_doc {
	xmlDocPtr doc;
	char *root; /* "{ns}local" or "local" */
};

/* ---- element paths and tree navigation (xform.c) ---- */

/* Is n the element {uri}local (uri NULL: no namespace)? */
static inline int
node_is(xmlNodePtr n, const char *uri, const char *local)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, local) != 0)
		return 0;
	if (uri == NULL)
		return n->ns == NULL;
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, uri) == 0;
}

/* "cac:InvoiceLine[2]/cbc:ID": steps below the root element, with the canonical
 * prefixes (cbc, cac, ram...) whatever the document's own; the root's own name for
 * the root. Caller frees. */
char *node_path(xmlNodePtr);
/* Append n's step ("cbc:ID", "cac:InvoiceLine[2]", "@name") to b. */
void node_path_step(struct buf *b, xmlNodePtr n);
/* The first child element of `parent` named `qname` ("cbc:ID"), or NULL. */
xmlNodePtr node_kid(xmlNodePtr parent, const char *qname);
/* Follow "a/b/c" from `from`, taking the first match at each step; NULL if none. */
xmlNodePtr node_find(xmlNodePtr from, const char *rel);
/* The next sibling element after `prev` (or the first child of parent when prev is
 * NULL) named `qname`, or NULL. */
xmlNodePtr node_next_kid(xmlNodePtr parent, xmlNodePtr prev, const char *qname);
#define each_kid(var, parent, qname)                                           \
	for (xmlNodePtr var = node_next_kid(parent, NULL, qname); var != NULL; \
	     var = node_next_kid(parent, var, qname))
/* The node's text, blanks trimmed. Caller frees. */
char *node_text(xmlNodePtr);
/* The same; *pad says where blanks were trimmed (PAD_LEAD | PAD_TRAIL, invoice.h). */
char *node_text_pad(xmlNodePtr, int *pad);
/* An attribute without namespace, or NULL. Caller frees. */
char *node_attr(xmlNodePtr, const char *name);

/* ---- attachments (xform-attach.c) ---- */

/* What to do to a stylesheet's result before it is serialised (attachments). */
struct post {
	int (*fn)(xmlDocPtr res, const struct post *, char **why);
	xmlDocPtr in;    /* the input document */
	const char *dir; /* [transform] attachment_dir */
	size_t embedded; /* bytes added */
};

/* A struct post's fn: embed the files the ERP export `post->in` names (<attachment>
 * <file>, in order) into the references the stylesheet wrote for them in `res` (in the
 * same order), read from post->dir; adds their size to post->embedded. 0, or -1 with
 * *why (caller frees). */
int xform_embed_attachments(xmlDocPtr res, const struct post *post, char **why);

/* ---- the invoice model (xform-model.c) ---- */

/* What names the [supplier.ID] section of a UBL or CII document's supplier, read as
 * the model and the gateway read it: its SIRET, else the identifier of a supplier
 * without one (invoice_supplier_id()); or NULL. Caller frees. */
char *xform_supplier_section(xmlDocPtr);

#endif
