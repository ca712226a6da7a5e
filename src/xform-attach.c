/*
 * xform-attach.c - the ERP export's attachments (chorusgw-erp(5) <attachment><file>)
 * embedded, base64, into the document a stylesheet made, from [transform]
 * attachment_dir: a plain file name, a regular file (not a symlink) of at most 10 MB,
 * of a type EN 16931 allows. Part of the xform family (xform-int.h).
 *
 * Errors: 0 / -1 with *why, one line naming the attachment and what to do.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "fileio.h"
#include "util.h"
#include "xform-int.h"

#define MAX_ATTACHMENT (10 * 1024 * 1024) /* Chorus Pro's limit per file */

/* MIME codes EN 16931 allows for BT-125 (BR-CL-24), by file extension. */
static const struct {
	const char *ext, *mime;
} mimes[] = {
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"csv", "text/csv"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
};

static const char *
mime_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	size_t i;
	if (dot == NULL)
		return NULL;
	for (i = 0; i < nitems(mimes); i++)
		if (strcasecmp(dot + 1, mimes[i].ext) == 0)
			return mimes[i].mime;
	return NULL;
}

static int
mime_allowed(const char *m)
{
	size_t i;
	for (i = 0; i < nitems(mimes); i++)
		if (strcmp(m, mimes[i].mime) == 0)
			return 1;
	return 0;
}

/* Insert `n` as a child of `parent`, before the first child whose local name is in
 * `later` (the elements the schema puts after it), else at the end. */
static void
insert_child(xmlNodePtr parent, xmlNodePtr n, const char *const *later)
{
	xmlNodePtr c;
	size_t i;
	for (c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; later[i]; i++)
			if (strcmp((const char *)c->name, later[i]) == 0) {
				xmlAddPrevSibling(c, n);
				return;
			}
	}
	xmlAddChild(parent, n);
}

static xmlNsPtr
ns_for(xmlDocPtr doc, xmlNodePtr at, const char *href, const char *prefix)
{
	xmlNsPtr ns = xmlSearchNsByHref(doc, at, (const xmlChar *)href);
	if (ns == NULL)
		ns = xmlNewNs(xmlDocGetRootElement(doc), (const xmlChar *)href,
		              (const xmlChar *)prefix);
	return ns;
}

/* Embed the files the ERP export names (<attachment><file>, in order) into the
 * references the stylesheet wrote for them (in the same order), reading them from
 * [transform] attachment_dir. Each file: a plain name of at most 50 characters, a
 * regular file (not a symlink) of at most 10 MB, of a type EN 16931 allows. */
int
xform_embed_attachments(xmlDocPtr res, const struct post *post, char **why)
{
	static const char *const ubl_later[] = {"ValidityPeriod", "IssuerParty",
	                                        "ResultOfVerification", NULL};
	static const char *const cii_later[] = {
	    "Information",        "ReferenceTypeCode",           "SectionName",
	    "PreviousRevisionID", "FormattedIssueDateTime",      "EffectiveSpecifiedPeriod",
	    "IssuerTradeParty",   "AttachedSpecifiedBinaryFile", NULL};
	xmlNodePtr root = xmlDocGetRootElement(res), in_root = xmlDocGetRootElement(post->in);
	xmlNodePtr att, ref = NULL, parent;
	int cii = node_is(root, NS_RSM, "CrossIndustryInvoice");
	struct post *p = (struct post *)post;

	parent =
	    cii ? node_find(root,
	                    "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement")
	        : root;
	for (att = in_root->children; att; att = att->next) {
		xmlNodePtr fnode = NULL, mnode = NULL, c, obj;
		char *file, *mime, *path, *b64, *rwhy = NULL;
		const char *m;
		struct buf data;

		if (!node_is(att, NS_ERP, "attachment"))
			continue;
		/* the next reference the stylesheet wrote */
		for (ref = ref      ? ref->next
		           : parent ? parent->children
		                    : NULL;
		     ref; ref = ref->next) {
			if (cii && node_is(ref, NS_RAM, "AdditionalReferencedDocument")) {
				xmlNodePtr tc = node_kid(ref, "ram:TypeCode");
				char *t = tc ? node_text(tc) : NULL;
				int hit = t && strcmp(t, "916") == 0;
				free(t);
				if (hit)
					break;
			} else if (!cii && node_is(ref, NS_CAC, "AdditionalDocumentReference"))
				break;
		}
		if (ref == NULL)
			break;
		if (cii ? node_kid(ref, "ram:AttachmentBinaryObject") != NULL
		        : node_kid(ref, "cac:Attachment") != NULL)
			continue;
		for (c = att->children; c; c = c->next) {
			if (node_is(c, NS_ERP, "file"))
				fnode = c;
			if (node_is(c, NS_ERP, "mime-type"))
				mnode = c;
		}
		if (fnode == NULL)
			continue;
		file = node_text(fnode);
		mime = mnode ? node_text(mnode) : NULL;
		if (*file == '\0' || *file == '.' || strchr(file, '/') || utf8_chars(file) > 50 ||
		    name_is_odd(file)) {
			fail(why,
			     "attachment \"%s\": not a plain file name of at most 50 characters "
			     "(Chorus Pro's limit)",
			     file);
			free(file);
			free(mime);
			return -1;
		}
		m = mime && *mime ? mime : mime_of(file);
		if (m == NULL || !mime_allowed(m)) {
			fail(
			    why,
			    "attachment %s: Chorus Pro and EN 16931 take PDF, PNG, JPEG, CSV, XLSX "
			    "or ODS files only",
			    file);
			free(file);
			free(mime);
			return -1;
		}
		path = xasprintf("%s/%s", p->dir, file);
		buf_init(&data);
		if (read_file(path, MAX_ATTACHMENT, 1, &data, &rwhy) == -1) {
			fail(why,
			     "attachment %s cannot be embedded from [transform] attachment_dir: %s",
			     file, rwhy);
			free(rwhy);
			free(path);
			buf_free(&data);
			free(file);
			free(mime);
			return -1;
		}
		free(path);
		b64 = base64_encode(data.p, data.len);
		buf_free(&data);
		if (cii) {
			obj = xmlNewDocNode(res, ns_for(res, ref, NS_RAM, "ram"),
			                    (const xmlChar *)"AttachmentBinaryObject",
			                    (const xmlChar *)b64);
			xmlNewProp(obj, (const xmlChar *)"mimeCode", (const xmlChar *)m);
			xmlNewProp(obj, (const xmlChar *)"filename", (const xmlChar *)file);
			insert_child(ref, obj, cii_later);
		} else {
			xmlNodePtr wrap = xmlNewDocNode(res, ns_for(res, ref, NS_CAC, "cac"),
			                                (const xmlChar *)"Attachment", NULL);
			obj = xmlNewDocNode(res, ns_for(res, ref, NS_CBC, "cbc"),
			                    (const xmlChar *)"EmbeddedDocumentBinaryObject",
			                    (const xmlChar *)b64);
			xmlNewProp(obj, (const xmlChar *)"mimeCode", (const xmlChar *)m);
			xmlNewProp(obj, (const xmlChar *)"filename", (const xmlChar *)file);
			xmlAddChild(wrap, obj);
			insert_child(ref, wrap, ubl_later);
		}
		p->embedded += strlen(b64);
		free(b64);
		free(file);
		free(mime);
	}
	return 0;
}
