/*
 * xform.c - the only module that includes libxml2 and libxslt: safe parsing of
 * untrusted documents, the stylesheet and schema caches, recognising what a document
 * is, running the stylesheets, XSD validation, and reading the invoice model out of
 * a UBL 2.1 or CII D16B document.
 *
 * Safety. Untrusted bytes are parsed from memory with no network (XML_PARSE_NONET,
 * and an external entity loader that refuses everything outside the "trusted" phases
 * below), without entity substitution or DTD loading (XML_PARSE_NOENT, _DTDLOAD and
 * _HUGE are never set), and a document carrying a DOCTYPE is refused as soon as the
 * parser sees it, before any declaration in it is read. The size is checked before
 * parsing, the nesting depth while parsing (SAX hook, [transform] max_depth), UTF-8
 * before parsing. Stylesheets run with XSLT security preferences that refuse reading
 * and writing files, creating directories and the network: document(), exsl:document
 * and xsl:document fail and the transform is refused. Only while compiling our own
 * stylesheets and schemas (files named by the configuration) may local files be read,
 * for xsl:include/import and xs:include/import.
 *
 * Errors: functions return 0/-1 (or NULL) and set *why to one line that says what is
 * wrong and what to do; libxml2's own messages are captured (never printed) and
 * quoted in those lines or listed as struct xform_diag.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <libexslt/exslt.h>

#include "conf.h"
#include "fileio.h"
#include "util.h"
#include "xform.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/chorusgw"
#endif

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

#define ROOT_ERP    "{" NS_ERP "}invoice"
#define ROOT_UBL_IN "{" NS_UBL_IN "}Invoice"
#define ROOT_UBL_CN "{" NS_UBL_CN "}CreditNote"
#define ROOT_CII    "{" NS_RSM "}CrossIndustryInvoice"

#define UBL_INVOICE_XSD    "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
#define UBL_CREDITNOTE_XSD "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
#define CII_XSD            "cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
#define ERP_XSD            "erp-invoice.xsd"

#define DEFAULT_MAX_SIZE  (10 * 1024 * 1024)
#define DEFAULT_MAX_DEPTH 256
#define MAX_DIAGS         50                 /* schema errors kept per document */
#define MAX_STYLE_SIZE    (16 * 1024 * 1024) /* a stylesheet file */

/* Canonical prefixes used in element paths, whatever the document's own prefixes. */
static const struct {
	const char *prefix, *uri;
} known_ns[] = {
    {"cbc", NS_CBC}, {"cac", NS_CAC}, {"ext", NS_EXT}, {"rsm", NS_RSM}, {"ram", NS_RAM},
    {"udt", NS_UDT}, {"qdt", NS_QDT}, {"", NS_UBL_IN}, {"", NS_UBL_CN}, {"", NS_ERP},
};

struct xform_doc {
	xmlDocPtr doc;
	char *root; /* "{ns}local" or "local" */
};

/* ---- global state: error capture, guards -------------------------------------- */

/* Where libxml2/libxslt messages go while an operation runs (single-threaded). */
struct sink {
	struct buf text;           /* generic (printf-style) messages */
	struct xform_diags *diags; /* structured errors, when a list is wanted */
	char *first;               /* first structured error: "line N: message" */
	int nerrors;
	struct buf refused; /* what a guard refused (file, network) */
};

static struct sink *cur_sink;
static int inited;
static int trusted;          /* > 0 while compiling configured stylesheets and schemas */
static int compiling_schema; /* ... schemas: XSD files are read without annotations */
static xmlExternalEntityLoader default_loader;
static xsltSecurityPrefsPtr secprefs;

static void
sink_begin(struct sink *s, struct xform_diags *diags)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->text);
	buf_init(&s->refused);
	s->diags = diags;
	cur_sink = s;
}

static void
sink_end(struct sink *s)
{
	buf_free(&s->text);
	buf_free(&s->refused);
	free(s->first);
	if (cur_sink == s)
		cur_sink = NULL;
}

/* The generic channel's text as one line: newlines become "; ", blanks squeezed. */
static char *
one_line(const char *text)
{
	struct buf b;
	const char *p;
	int sep = 0;
	buf_init(&b);
	for (p = text; p && *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\n' || ch == '\r') {
			sep = 2;
			continue;
		}
		if (ch == ' ' || ch == '\t') {
			if (sep == 0)
				sep = 1;
			continue;
		}
		if (b.len && sep == 2)
			buf_adds(&b, "; ");
		else if (b.len && sep == 1)
			buf_addc(&b, ' ');
		sep = 0;
		buf_addc(&b, ch < 0x20 ? ' ' : (char)ch);
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

static void PRINTFLIKE(2, 3) on_generic(void *ctx, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	if (cur_sink == NULL || cur_sink->text.len > 8192)
		return;
	va_start(ap, fmt);
	buf_vprintf(&cur_sink->text, fmt, ap);
	va_end(ap);
}

static char *node_path(xmlNodePtr);

/* "{urn:...CommonBasicComponents-2}ID" -> "cbc:ID" in libxml2's messages. Frees msg. */
static char *
short_names(char *msg)
{
	struct buf b;
	const char *p = msg;
	buf_init(&b);
	while (*p) {
		size_t i;
		int done = 0;
		if (*p == '{')
			for (i = 0; i < nitems(known_ns); i++) {
				size_t n = strlen(known_ns[i].uri);
				if (strncmp(p + 1, known_ns[i].uri, n) == 0 && p[1 + n] == '}') {
					if (*known_ns[i].prefix)
						buf_printf(&b, "%s:", known_ns[i].prefix);
					p += n + 2;
					done = 1;
					break;
				}
			}
		if (!done)
			buf_addc(&b, *p++);
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	free(msg);
	return buf_steal(&b);
}

static void
on_structured(void *ctx, xmlErrorPtr e)
{
	struct sink *s = cur_sink;
	char *msg;
	(void)ctx;
	if (s == NULL || e == NULL || e->level == XML_ERR_WARNING)
		return;
	msg = short_names(one_line(e->message ? e->message : "error"));
	s->nerrors++;
	if (s->first == NULL)
		s->first = e->line > 0 ? xasprintf("line %d: %s", e->line, msg) : xstrdup(msg);
	if (s->diags) {
		if (s->diags->n < MAX_DIAGS) {
			struct xform_diag *d;
			xmlNodePtr n = e->node;
			s->diags->v = xreallocarray(s->diags->v, s->diags->n + 1, sizeof(*d));
			d = &s->diags->v[s->diags->n++];
			d->line = e->line;
			d->path = NULL;
			if (n && (n->type == XML_ELEMENT_NODE || n->type == XML_ATTRIBUTE_NODE) &&
			    n->doc)
				d->path = node_path(n);
			d->msg = msg;
			msg = NULL;
		} else
			s->diags->more++;
	}
	free(msg);
}

static int
url_is_local(const char *url)
{
	const char *colon, *slash;
	if (url == NULL)
		return 0;
	if (strncmp(url, "file:", 5) == 0)
		return 1;
	colon = strchr(url, ':');
	slash = strchr(url, '/');
	return colon == NULL || (slash != NULL && slash < colon);
}

#define MAX_SCHEMA_FILE (16 * 1024 * 1024)

#define XSD_NS "http://www.w3.org/2001/XMLSchema"

/* Copy the XSD read by `r` to `w` without its xs:annotation elements, comments,
 * processing instructions and whitespace-only text. Streaming: the whole document is
 * never in memory. 0 / -1 (also for a DTD, whose entities this copy would lose). */
static int
copy_lean_xsd(xmlTextReaderPtr r, xmlTextWriterPtr w)
{
	int rc = xmlTextReaderRead(r);
	while (rc == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_ELEMENT) {
			const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
			int empty = xmlTextReaderIsEmptyElement(r);
			if (ns && xmlStrEqual(ns, BAD_CAST XSD_NS) &&
			    xmlStrEqual(xmlTextReaderConstLocalName(r), BAD_CAST "annotation")) {
				rc = xmlTextReaderNext(r); /* the whole subtree */
				continue;
			}
			if (xmlTextWriterStartElement(w, xmlTextReaderConstName(r)) < 0)
				return -1;
			while (xmlTextReaderMoveToNextAttribute(r) == 1)
				if (xmlTextWriterWriteAttribute(w, xmlTextReaderConstName(r),
				                                xmlTextReaderConstValue(r)) < 0)
					return -1;
			if (empty && xmlTextWriterEndElement(w) < 0)
				return -1;
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (xmlTextWriterEndElement(w) < 0)
				return -1;
		} else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
			if (xmlTextWriterWriteString(w, xmlTextReaderConstValue(r)) < 0)
				return -1;
		} else if (type == XML_READER_TYPE_DOCUMENT_TYPE ||
		           type == XML_READER_TYPE_ENTITY_REFERENCE) {
			return -1; /* entities: leave such a schema to libxml2's own loading */
		}
		rc = xmlTextReaderRead(r);
	}
	return rc == 0 ? 0 : -1;
}

/*
 * A local XSD read for compilation, without its xs:annotation elements. libxml2 keeps
 * every parsed schema document as long as the compiled schema lives, and UBL 2.1's
 * documentation is 2.2 of its 2.9 MB: without it, validating one invoice takes 12 MB
 * instead of 20 (xmllint --schema, max RSS). Annotations carry no constraint. NULL:
 * the caller loads the file as it is (and reports what is wrong with it).
 */
static xmlParserInputPtr
lean_schema_input(const char *url, xmlParserCtxtPtr ctxt)
{
	const char *path = url;
	struct buf b;
	char *rwhy = NULL;
	xmlTextReaderPtr r;
	xmlBufferPtr out;
	xmlTextWriterPtr w;
	xmlParserInputBufferPtr ib = NULL;
	xmlParserInputPtr in = NULL;
	int ok;

	if (strncmp(path, "file://", 7) == 0)
		path += 7;
	else if (strncmp(path, "file:", 5) == 0)
		path += 5;
	buf_init(&b);
	if (read_file(path, MAX_SCHEMA_FILE, 0, &b, &rwhy) == -1) {
		free(rwhy);
		buf_free(&b);
		return NULL;
	}
	r = xmlReaderForMemory(b.p, (int)b.len, url, NULL, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	out = xmlBufferCreate();
	w = out ? xmlNewTextWriterMemory(out, 0) : NULL;
	ok = r && w && xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0 &&
	     copy_lean_xsd(r, w) == 0 && xmlTextWriterEndDocument(w) >= 0;
	if (w)
		xmlFreeTextWriter(w); /* flushes into `out` */
	if (r)
		xmlFreeTextReader(r);
	buf_free(&b);
	if (ok)
		ib = xmlParserInputBufferCreateMem((const char *)xmlBufferContent(out),
		                                   xmlBufferLength(out), XML_CHAR_ENCODING_NONE);
	if (out)
		xmlBufferFree(out); /* the input buffer holds its own copy */
	if (ib)
		in = xmlNewIOInputStream(ctxt, ib, XML_CHAR_ENCODING_NONE);
	if (in == NULL) {
		if (ib)
			xmlFreeParserInputBuffer(ib);
		return NULL;
	}
	/* the document's URL, against which its own imports and includes resolve */
	in->filename = (char *)xmlCanonicPath(BAD_CAST url);
	return in;
}

/* Every external resource libxml2 or libxslt wants to read comes through here. */
static xmlParserInputPtr
guarded_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	if (trusted > 0 && compiling_schema && url_is_local(url) && str_has_suffix(url, ".xsd")) {
		xmlParserInputPtr in = lean_schema_input(url, ctxt);
		if (in)
			return in;
	}
	if (trusted > 0 && url_is_local(url))
		return xmlNoNetExternalEntityLoader(url, id, ctxt);
	if (cur_sink && cur_sink->refused.len < 1024)
		buf_printf(&cur_sink->refused, "%sreading %s", cur_sink->refused.len ? "; " : "",
		           url  ? url
		           : id ? id
		                : "an external resource");
	return NULL;
}

static int
refuse(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value, const char *what)
{
	(void)sec;
	(void)t;
	if (cur_sink && cur_sink->refused.len < 1024)
		buf_printf(&cur_sink->refused, "%s%s %s", cur_sink->refused.len ? "; " : "", what,
		           value ? value : "");
	return 0;
}

static int
refuse_read_file(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value)
{
	return refuse(sec, t, value, "reading the file");
}

static int
refuse_write_file(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value)
{
	return refuse(sec, t, value, "writing the file");
}

static int
refuse_mkdir(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value)
{
	return refuse(sec, t, value, "creating the directory");
}

static int
refuse_read_net(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value)
{
	return refuse(sec, t, value, "reading from the network");
}

static int
refuse_write_net(xsltSecurityPrefsPtr sec, xsltTransformContextPtr t, const char *value)
{
	return refuse(sec, t, value, "writing to the network");
}

static void
init(void)
{
	if (inited)
		return;
	inited = 1;
	xmlInitParser();
	/* Our own depth check (SAX hook) must be the one that triggers. */
	if (xmlParserMaxDepth < 20000)
		xmlParserMaxDepth = 20000;
	default_loader = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(guarded_loader);
	xmlSetGenericErrorFunc(NULL, on_generic);
	xmlSetStructuredErrorFunc(NULL, on_structured);
	xsltSetGenericErrorFunc(NULL, on_generic);
	exsltRegisterAll();
	secprefs = xsltNewSecurityPrefs();
	if (secprefs == NULL)
		abort();
	xsltSetSecurityPrefs(secprefs, XSLT_SECPREF_READ_FILE, refuse_read_file);
	xsltSetSecurityPrefs(secprefs, XSLT_SECPREF_WRITE_FILE, refuse_write_file);
	xsltSetSecurityPrefs(secprefs, XSLT_SECPREF_CREATE_DIRECTORY, refuse_mkdir);
	xsltSetSecurityPrefs(secprefs, XSLT_SECPREF_READ_NETWORK, refuse_read_net);
	xsltSetSecurityPrefs(secprefs, XSLT_SECPREF_WRITE_NETWORK, refuse_write_net);
}

/* ---- element paths and small tree helpers --------------------------------------- */

static const char *
ns_prefix(xmlNodePtr n)
{
	size_t i;
	if (n->ns == NULL || n->ns->href == NULL)
		return "";
	for (i = 0; i < nitems(known_ns); i++)
		if (strcmp((const char *)n->ns->href, known_ns[i].uri) == 0)
			return known_ns[i].prefix;
	return n->ns->prefix ? (const char *)n->ns->prefix : "";
}

static int
same_name(xmlNodePtr a, xmlNodePtr b)
{
	if (a->type != b->type || strcmp((const char *)a->name, (const char *)b->name) != 0)
		return 0;
	if ((a->ns == NULL) != (b->ns == NULL))
		return 0;
	return a->ns == NULL || strcmp((const char *)a->ns->href, (const char *)b->ns->href) == 0;
}

static void
add_step(struct buf *b, xmlNodePtr n)
{
	const char *pfx = ns_prefix(n);
	if (n->type == XML_ATTRIBUTE_NODE) {
		buf_printf(b, "@%s", (const char *)n->name);
		return;
	}
	if (*pfx)
		buf_printf(b, "%s:", pfx);
	buf_adds(b, (const char *)n->name);
	if (n->parent && n->parent->type == XML_ELEMENT_NODE) {
		xmlNodePtr s;
		int pos = 0, count = 0;
		for (s = n->parent->children; s; s = s->next) {
			if (s->type != XML_ELEMENT_NODE || !same_name(s, n))
				continue;
			count++;
			if (s == n)
				pos = count;
		}
		if (count > 1)
			buf_printf(b, "[%d]", pos);
	}
}

/* "cac:InvoiceLine[2]/cbc:ID": steps below the root element; the root's own name for
 * the root. Caller frees. */
static char *
node_path(xmlNodePtr n)
{
	xmlNodePtr chain[64], x;
	size_t depth = 0, i;
	struct buf b;
	buf_init(&b);
	for (x = n; x && (x->type == XML_ELEMENT_NODE || x->type == XML_ATTRIBUTE_NODE);
	     x = x->parent) {
		if (x->parent == NULL || x->parent->type == XML_DOCUMENT_NODE) {
			if (depth == 0)
				add_step(&b, x);
			break;
		}
		if (depth == nitems(chain)) {
			buf_adds(&b, "…/");
			depth--;
		}
		chain[depth++] = x;
	}
	for (i = depth; i-- > 0;) {
		add_step(&b, chain[i]);
		if (i)
			buf_addc(&b, '/');
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

static int
node_is(xmlNodePtr n, const char *uri, const char *local)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, local) != 0)
		return 0;
	if (uri == NULL)
		return n->ns == NULL;
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, uri) == 0;
}

/* "cbc:ID" -> namespace URI and local name. */
static void
split_qname(const char *q, size_t qlen, const char **uri, char *local, size_t locallen)
{
	const char *colon = memchr(q, ':', qlen);
	size_t i, n;
	*uri = NULL;
	if (colon) {
		for (i = 0; i < nitems(known_ns); i++)
			if (*known_ns[i].prefix &&
			    strlen(known_ns[i].prefix) == (size_t)(colon - q) &&
			    strncmp(known_ns[i].prefix, q, (size_t)(colon - q)) == 0)
				*uri = known_ns[i].uri;
		qlen -= (size_t)(colon + 1 - q);
		q = colon + 1;
	}
	n = qlen < locallen - 1 ? qlen : locallen - 1;
	memcpy(local, q, n);
	local[n] = '\0';
}

static xmlNodePtr
kid(xmlNodePtr parent, const char *qname)
{
	const char *uri;
	char local[128];
	xmlNodePtr c;
	if (parent == NULL)
		return NULL;
	split_qname(qname, strlen(qname), &uri, local, sizeof(local));
	for (c = parent->children; c; c = c->next)
		if (node_is(c, uri, local))
			return c;
	return NULL;
}

/* Follow "a/b/c" from `from`, taking the first match at each step. */
static xmlNodePtr
find(xmlNodePtr from, const char *rel)
{
	const char *p = rel;
	xmlNodePtr n = from;
	while (n && *p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char step[160];
		if (len >= sizeof(step))
			return NULL;
		memcpy(step, p, len);
		step[len] = '\0';
		n = kid(n, step);
		p += len + (slash ? 1 : 0);
	}
	return n;
}

/* Next sibling element after `prev` (or first child of parent when prev is NULL)
 * named `qname`. */
static xmlNodePtr
next_kid(xmlNodePtr parent, xmlNodePtr prev, const char *qname)
{
	const char *uri;
	char local[128];
	xmlNodePtr c;
	if (parent == NULL)
		return NULL;
	split_qname(qname, strlen(qname), &uri, local, sizeof(local));
	for (c = prev ? prev->next : parent->children; c; c = c->next)
		if (node_is(c, uri, local))
			return c;
	return NULL;
}

#define each_kid(var, parent, qname)                                      \
	for (xmlNodePtr var = next_kid(parent, NULL, qname); var != NULL; \
	     var = next_kid(parent, var, qname))

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The node's text, blanks trimmed. Caller frees. */
static char *
node_text(xmlNodePtr n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t len;
	char *r;
	while (is_blank((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && is_blank((unsigned char)s[len - 1]))
		len--;
	r = xstrndup(s, len);
	xmlFree(t);
	return r;
}

static char *
node_attr(xmlNodePtr n, const char *name)
{
	xmlChar *a = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *r = a ? xstrdup((const char *)a) : NULL;
	xmlFree(a);
	return r;
}

static char *
doc_root_name(xmlNodePtr root)
{
	if (root->ns && root->ns->href && *root->ns->href)
		return xasprintf("{%s}%s", (const char *)root->ns->href, (const char *)root->name);
	return xstrdup((const char *)root->name);
}

/* ---- safe parsing -------------------------------------------------------------- */

struct pstate {
	int depth, max_depth;
	int doctype, too_deep;
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};

static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pstate *ps = ctxt->_private;
	(void)name;
	(void)ext;
	(void)sys;
	ps->doctype = 1;
	xmlStopParser(ctxt);
}

static void
sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
          int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
          const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pstate *ps = ctxt->_private;
	if (++ps->depth > ps->max_depth) {
		ps->too_deep = 1;
		xmlStopParser(ctxt);
		return;
	}
	ps->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
	          nb_defaulted, attributes);
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pstate *ps = ctxt->_private;
	ps->depth--;
	ps->end(ctx, localname, prefix, uri);
}

/* Offset of the first byte that is not well-formed UTF-8 (overlong forms, surrogates
 * and code points above U+10FFFF included), or n. */
static size_t
utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k, len;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return i;
		if (i + len > n)
			return i;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += len;
	}
	return n;
}

/* 1 when the bytes are meant to be UTF-8: no UTF-16/32 byte order mark or pattern,
 * and no encoding declaration other than UTF-8. */
static int
meant_utf8(const unsigned char *p, size_t n)
{
	const char *decl_end, *enc;
	char name[32];
	size_t i;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		n -= 3;
	}
	if (n >= 2 && ((p[0] == 0xfe && p[1] == 0xff) || (p[0] == 0xff && p[1] == 0xfe)))
		return 0;
	if (n >= 2 && (p[0] == 0 || p[1] == 0))
		return 0; /* UTF-16/32 without a mark: libxml2 detects it */
	if (n < 6 || memcmp(p, "<?xml", 5) != 0)
		return 1;
	decl_end = memchr(p, '>', n < 512 ? n : 512);
	if (decl_end == NULL)
		return 1;
	{
		char decl[512];
		size_t dl = (size_t)(decl_end - (const char *)p);
		memcpy(decl, p, dl);
		decl[dl] = '\0';
		enc = strstr(decl, "encoding");
		if (enc == NULL)
			return 1;
		enc += 8;
		while (*enc == ' ' || *enc == '=' || *enc == '\t' || *enc == '\r' || *enc == '\n')
			enc++;
		if (*enc != '"' && *enc != '\'')
			return 1;
		enc++;
		for (i = 0; i < sizeof(name) - 1 && enc[i] && enc[i] != '"' && enc[i] != '\''; i++)
			name[i] = (char)tolower((unsigned char)enc[i]);
		name[i] = '\0';
	}
	return strcmp(name, "utf-8") == 0 || strcmp(name, "utf8") == 0;
}

static int
line_of_offset(const char *p, size_t off)
{
	int line = 1;
	size_t i;
	for (i = 0; i < off; i++)
		if (p[i] == '\n')
			line++;
	return line;
}

/* fail() for functions that return a pointer. */
static void *PRINTFLIKE(2, 3) null_fail(char **why, const char *fmt, ...)
{
	va_list ap;
	if (why) {
		va_start(ap, fmt);
		*why = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static xmlDocPtr
parse_untrusted(const char *data, size_t len, size_t max_size, int max_depth, char **why)
{
	xmlParserCtxtPtr ctxt;
	struct pstate ps;
	struct sink s;
	xmlDocPtr doc = NULL;
	size_t bad;

	init();
	if (len > max_size)
		return null_fail(why,
		                 "%zu bytes, more than the limit of %zu bytes ([spool] max_size)",
		                 len, max_size);
	if (len == 0)
		return null_fail(why, "empty file, not an XML document");
	if (len > INT32_MAX)
		return null_fail(why, "too large to parse");
	if (meant_utf8((const unsigned char *)data, len)) {
		const unsigned char *p = (const unsigned char *)data;
		size_t i = len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
		while (i < len && is_blank(p[i]))
			i++;
		if (i < len && p[i] != '<')
			return null_fail(why, "not XML: it does not start with '<'");
	}
	if (meant_utf8((const unsigned char *)data, len) &&
	    (bad = utf8_bad((const unsigned char *)data, len)) < len)
		return null_fail(why,
		                 "invalid UTF-8 at line %d (byte %zu); save the file as UTF-8, or "
		                 "declare its real encoding in <?xml version=\"1.0\" "
		                 "encoding=\"...\"?>",
		                 line_of_offset(data, bad), bad + 1);

	ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
	if (ctxt == NULL)
		return null_fail(why, "cannot create an XML parser");
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES);
	memset(&ps, 0, sizeof(ps));
	ps.max_depth = max_depth > 0 ? max_depth : DEFAULT_MAX_DEPTH;
	ps.start = ctxt->sax->startElementNs;
	ps.end = ctxt->sax->endElementNs;
	ctxt->sax->startElementNs = sax_start;
	ctxt->sax->endElementNs = sax_end;
	ctxt->sax->internalSubset = sax_internal_subset;
	ctxt->_private = &ps;
	ctxt->linenumbers = 1;

	sink_begin(&s, NULL);
	xmlParseDocument(ctxt);
	if (ctxt->wellFormed && !ps.doctype && !ps.too_deep && s.refused.len == 0)
		doc = ctxt->myDoc;
	else if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;

	if (ps.doctype)
		fail(why, "the document has a DOCTYPE declaration; DTDs and entity declarations "
		          "are refused in invoices (they can read files or explode in size): "
		          "remove the <!DOCTYPE ...>");
	else if (ps.too_deep)
		fail(why,
		     "elements nested more than %d deep ([transform] max_depth); an invoice "
		     "is never that deep",
		     ps.max_depth);
	else if (s.refused.len)
		fail(why, "refused %s: a document may not refer to anything outside itself",
		     s.refused.p);
	else if (doc == NULL) {
		const char *m = s.first ? s.first : "malformed";
		const unsigned char *p = (const unsigned char *)data;
		size_t i = 0;
		if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
			i = 3;
		while (i < len && is_blank(p[i]))
			i++;
		if (i < len && p[i] != '<')
			fail(why, "not XML: it does not start with '<' (%s)", m);
		else
			fail(why, "not well-formed XML: %s", m);
	} else if (xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
		fail(why, "not XML: no root element");
	}
	sink_end(&s);
	xmlFreeParserCtxt(ctxt);
	return doc;
}

struct xform_doc *
xform_parse(const void *data, size_t len, size_t max_size, int max_depth, char **why)
{
	xmlDocPtr doc = parse_untrusted(data, len, max_size, max_depth, why);
	struct xform_doc *d;
	if (doc == NULL)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->doc = doc;
	d->root = doc_root_name(xmlDocGetRootElement(doc));
	return d;
}

const char *
xform_doc_root(const struct xform_doc *d)
{
	return d->root;
}

void
xform_doc_free(struct xform_doc *d)
{
	if (d == NULL)
		return;
	xmlFreeDoc(d->doc);
	free(d->root);
	free(d);
}

/* ---- caches ------------------------------------------------------------------ */

struct style_ent {
	char *path;
	xsltStylesheetPtr style;
};
struct schema_ent {
	char *path;
	xmlSchemaPtr schema;
};
static struct style_ent *styles;
static size_t nstyles;
static struct schema_ent *schemas;
static size_t nschemas;

void
xform_cache_drop(void)
{
	size_t i;
	for (i = 0; i < nstyles; i++) {
		xsltFreeStylesheet(styles[i].style);
		free(styles[i].path);
	}
	free(styles);
	styles = NULL;
	nstyles = 0;
	for (i = 0; i < nschemas; i++) {
		xmlSchemaFree(schemas[i].schema);
		free(schemas[i].path);
	}
	free(schemas);
	schemas = NULL;
	nschemas = 0;
}

void
xform_cleanup(void)
{
	xform_cache_drop();
	if (!inited)
		return;
	xsltFreeSecurityPrefs(secprefs);
	secprefs = NULL;
	xsltCleanupGlobals();
	xmlSetExternalEntityLoader(default_loader);
	xmlCleanupParser();
	inited = 0;
}

static xsltStylesheetPtr
style_get(const char *path, char **why)
{
	size_t i;
	struct buf b;
	struct sink s;
	xmlDocPtr doc;
	xsltStylesheetPtr style;
	char *rwhy = NULL;

	init();
	for (i = 0; i < nstyles; i++)
		if (strcmp(styles[i].path, path) == 0)
			return styles[i].style;
	buf_init(&b);
	if (read_file(path, MAX_STYLE_SIZE, 0, &b, &rwhy) == -1) {
		fail(why, "cannot read the stylesheet: %s", rwhy);
		free(rwhy);
		buf_free(&b);
		return NULL;
	}
	sink_begin(&s, NULL);
	trusted++;
	doc = xmlReadMemory(b.p, (int)b.len, path, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOENT | XML_PARSE_NOCDATA);
	style = doc ? xsltParseStylesheetDoc(doc) : NULL;
	trusted--;
	buf_free(&b);
	/* libxslt reports some compilation errors (an unknown xsl: element) without
	 * counting them: its message says so */
	if (style && (style->errors || (s.text.p && strstr(s.text.p, "compilation error")))) {
		xsltFreeStylesheet(style); /* frees doc too */
		style = NULL;
		doc = NULL;
	}
	if (style == NULL) {
		char *text = one_line(s.text.p);
		fail(why, "cannot compile the stylesheet %s: %s", path,
		     s.first ? s.first
		     : *text ? text
		             : "not an XSLT stylesheet");
		free(text);
		if (doc)
			xmlFreeDoc(doc);
		sink_end(&s);
		return NULL;
	}
	sink_end(&s);
	styles = xreallocarray(styles, nstyles + 1, sizeof(*styles));
	styles[nstyles].path = xstrdup(path);
	styles[nstyles].style = style;
	nstyles++;
	return style;
}

static xmlSchemaPtr
schema_get(const char *path, char **why)
{
	size_t i;
	struct sink s;
	xmlSchemaParserCtxtPtr pctxt;
	xmlSchemaPtr schema = NULL;
	struct stat st;

	init();
	for (i = 0; i < nschemas; i++)
		if (strcmp(schemas[i].path, path) == 0)
			return schemas[i].schema;
	if (stat(path, &st) == -1)
		return null_fail(why, "cannot read the schema %s: %s", path, strerror(errno));
	sink_begin(&s, NULL);
	trusted++;
	pctxt = xmlSchemaNewParserCtxt(path);
	if (pctxt) {
		xmlSchemaSetParserStructuredErrors(pctxt, on_structured, NULL);
		compiling_schema = 1;
		schema = xmlSchemaParse(pctxt);
		compiling_schema = 0;
		xmlSchemaFreeParserCtxt(pctxt);
	}
	trusted--;
	if (schema == NULL) {
		char *text = one_line(s.text.p);
		fail(why, "cannot load the schema %s: %s", path,
		     s.first ? s.first
		     : *text ? text
		             : "not an XML Schema");
		free(text);
		sink_end(&s);
		return NULL;
	}
	sink_end(&s);
	schemas = xreallocarray(schemas, nschemas + 1, sizeof(*schemas));
	schemas[nschemas].path = xstrdup(path);
	schemas[nschemas].schema = schema;
	nschemas++;
	return schema;
}

/* "DIR/REL" escaped for an XML attribute value. Caller frees. */
static char *
xml_attr_escape(const char *dir, const char *rel)
{
	char *raw = xasprintf("%s/%s", dir, rel);
	struct buf b;
	const char *p;
	buf_init(&b);
	for (p = raw; *p; p++) {
		switch (*p) {
		case '&':
			buf_adds(&b, "&amp;");
			break;
		case '<':
			buf_adds(&b, "&lt;");
			break;
		case '"':
			buf_adds(&b, "&quot;");
			break;
		default:
			buf_addc(&b, *p);
		}
	}
	free(raw);
	return buf_steal(&b);
}

/*
 * The UBL 2.1 Invoice and CreditNote schemas compiled as one: a wrapper importing both
 * shares their common components, so a spool that sees credit notes holds one
 * compiled UBL schema (about 7 MB, annotations left out) instead of two. NULL with *why.
 */
static xmlSchemaPtr
ubl_schema_get(const char *dir, char **why)
{
	char *key = xasprintf("%s/ubl-2.1 (Invoice and CreditNote)", dir);
	char *abs = realpath(dir, NULL), *inv, *cn, *text;
	struct sink s;
	xmlSchemaParserCtxtPtr pctxt;
	xmlSchemaPtr schema = NULL;
	size_t i;

	init();
	for (i = 0; i < nschemas; i++)
		if (strcmp(schemas[i].path, key) == 0) {
			free(key);
			free(abs);
			return schemas[i].schema;
		}
	if (abs == NULL) {
		fail(why, "cannot read the schema folder %s: %s", dir, strerror(errno));
		free(key);
		return NULL;
	}
	inv = xml_attr_escape(abs, UBL_INVOICE_XSD);
	cn = xml_attr_escape(abs, UBL_CREDITNOTE_XSD);
	text = xasprintf("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
	                 "targetNamespace=\"urn:chorusgw:ubl-2.1\">"
	                 "<xs:import namespace=\"%s\" schemaLocation=\"%s\"/>"
	                 "<xs:import namespace=\"%s\" schemaLocation=\"%s\"/></xs:schema>",
	                 NS_UBL_IN, inv, NS_UBL_CN, cn);
	free(inv);
	free(cn);
	free(abs);
	sink_begin(&s, NULL);
	trusted++;
	pctxt = xmlSchemaNewMemParserCtxt(text, (int)strlen(text));
	if (pctxt) {
		xmlSchemaSetParserStructuredErrors(pctxt, on_structured, NULL);
		compiling_schema = 1;
		schema = xmlSchemaParse(pctxt);
		compiling_schema = 0;
		xmlSchemaFreeParserCtxt(pctxt);
	}
	trusted--;
	free(text);
	if (schema == NULL) {
		char *msg = one_line(s.text.p);
		fail(why, "cannot load the UBL 2.1 schemas under %s: %s", dir,
		     s.first ? s.first
		     : *msg  ? msg
		             : "not an XML Schema");
		free(msg);
		sink_end(&s);
		free(key);
		return NULL;
	}
	sink_end(&s);
	schemas = xreallocarray(schemas, nschemas + 1, sizeof(*schemas));
	schemas[nschemas].path = key;
	schemas[nschemas].schema = schema;
	nschemas++;
	return schema;
}

/* Validate `doc`; errors into *out. 0, or -1 when validation itself failed. */
static int
schema_validate(xmlSchemaPtr schema, xmlDocPtr doc, struct xform_diags *out, char **why)
{
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
	struct sink s;
	int rc;
	if (v == NULL)
		return fail(why, "cannot create a schema validation context");
	sink_begin(&s, out);
	xmlSchemaSetValidStructuredErrors(v, on_structured, NULL);
	rc = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (rc > 0 && out->n == 0) {
		/* an error without a structured message: say so anyway */
		char *text = one_line(s.text.p);
		out->v = xreallocarray(out->v, 1, sizeof(*out->v));
		out->v[0].line = 0;
		out->v[0].path = NULL;
		out->v[0].msg = xstrdup(*text ? text : "the document does not follow the schema");
		out->n = 1;
		free(text);
	}
	sink_end(&s);
	if (rc < 0)
		return fail(why, "schema validation failed internally");
	return 0;
}

void
xform_diags_free(struct xform_diags *d)
{
	size_t i;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- running a stylesheet ---------------------------------------------------- */

/* What to do to a stylesheet's result before it is serialised (attachments). */
struct post {
	int (*fn)(xmlDocPtr res, const struct post *, char **why);
	xmlDocPtr in;    /* the input document */
	const char *dir; /* [transform] attachment_dir */
	size_t embedded; /* bytes added */
};

#define XSLT_OPS_BASE      1000000UL
#define XSLT_OPS_PER_BYTE  20UL
#define XPATH_OPS_BASE     50000000UL
#define XPATH_OPS_PER_BYTE 200UL

/* Run `style` on `in` (parsed from `insize` bytes) with string parameters (name, value,
 * ..., NULL); the serialised result into *out (caller frees). 0, or -1 with *why (-2
 * when the stylesheet itself cannot be used: it does not produce UTF-8 XML). */
static int
run_style(xsltStylesheetPtr style, const char *stylename, xmlDocPtr in, size_t insize,
          const char **params, struct post *post, char **out, size_t *outlen, char **why)
{
	xsltTransformContextPtr t;
	xmlDocPtr res;
	struct sink s;
	xmlChar *mem = NULL;
	int memlen = 0, rc = -1;

	if (style->method && strcmp((const char *)style->method, "xml") != 0) {
		fail(why, "the stylesheet %s has xsl:output method=\"%s\"; it must produce XML",
		     stylename, (const char *)style->method);
		return -2;
	}
	if (style->encoding && strcasecmp((const char *)style->encoding, "UTF-8") != 0) {
		fail(why,
		     "the stylesheet %s has xsl:output encoding=\"%s\"; write encoding=\"UTF-8\" "
		     "(Chorus Pro reads UTF-8)",
		     stylename, (const char *)style->encoding);
		return -2;
	}
	t = xsltNewTransformContext(style, in);
	if (t == NULL)
		return fail(why, "cannot create a transform context");
	sink_begin(&s, NULL);
	xsltSetCtxtSecurityPrefs(secprefs, t);
	xsltSetTransformErrorFunc(t, NULL, on_generic);
	if (params && xsltQuoteUserParams(t, params) != 0) {
		char *text = one_line(s.text.p);
		fail(why, "cannot pass the parameters to %s: %s", stylename, text);
		free(text);
		goto out;
	}
	/* A bound on the work, in proportion to the document, so that a runaway user
	 * stylesheet (a recursion that branches) stops with a reason instead of holding
	 * the event loop: the shipped ones take 0.17 instructions and 2.3 XPath steps per
	 * input byte (measured from 10 to 20 000 lines), about 100 times less. */
	t->opLimit = XSLT_OPS_BASE + XSLT_OPS_PER_BYTE * (unsigned long)insize;
	if (t->xpathCtxt)
		t->xpathCtxt->opLimit = XPATH_OPS_BASE + XPATH_OPS_PER_BYTE * (unsigned long)insize;
	res = xsltApplyStylesheetUser(style, in, NULL, NULL, NULL, t);
	if (t->opCount >= t->opLimit ||
	    (t->xpathCtxt && t->xpathCtxt->opCount >= t->xpathCtxt->opLimit)) {
		fail(why,
		     "the stylesheet %s was stopped after %lu instructions and %lu XPath steps, "
		     "about 100 times what the shipped stylesheets need for a document of this "
		     "size: look for a runaway recursion or loop in it",
		     stylename, t->opCount, t->xpathCtxt ? t->xpathCtxt->opCount : 0UL);
		xmlFreeDoc(res);
		goto out;
	}
	if (s.refused.len) {
		fail(why,
		     "the stylesheet %s tried %s, which is refused: stylesheets may not read or "
		     "write files or use the network",
		     stylename, s.refused.p);
		xmlFreeDoc(res);
		goto out;
	}
	if (res == NULL || t->state != XSLT_STATE_OK) {
		char *text = one_line(s.text.p);
		fail(why, "the stylesheet %s stopped: %s", stylename,
		     *text ? text : "transformation failed");
		free(text);
		xmlFreeDoc(res);
		goto out;
	}
	if (xmlDocGetRootElement(res) == NULL) {
		fail(why, "the stylesheet %s produced no element", stylename);
		xmlFreeDoc(res);
		goto out;
	}
	if (post && post->fn && post->fn(res, post, why) == -1) {
		xmlFreeDoc(res);
		goto out;
	}
	if (xsltSaveResultToString(&mem, &memlen, res, style) != 0 || mem == NULL) {
		fail(why, "cannot serialise what %s produced", stylename);
		xmlFreeDoc(res);
		goto out;
	}
	xmlFreeDoc(res);
	*out = xmalloc((size_t)memlen + 1);
	memcpy(*out, mem, (size_t)memlen);
	(*out)[memlen] = '\0';
	*outlen = (size_t)memlen;
	xmlFree(mem);
	rc = 0;
out:
	sink_end(&s);
	xsltFreeTransformContext(t);
	return rc;
}

/* ---- attachments ------------------------------------------------------------- */

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
static int
embed_attachments(xmlDocPtr res, const struct post *post, char **why)
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
	    cii ? find(root, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement")
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
				xmlNodePtr tc = kid(ref, "ram:TypeCode");
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
		if (cii ? kid(ref, "ram:AttachmentBinaryObject") != NULL
		        : kid(ref, "cac:Attachment") != NULL)
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
		if (*file == '\0' || *file == '.' || strchr(file, '/') || strlen(file) > 50 ||
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

/* ---- recognising a document -------------------------------------------------- */

static const char *
base_name(const char *name)
{
	const char *s;
	if (name == NULL)
		return "";
	s = strrchr(name, '/');
	return s ? s + 1 : name;
}

static int syntax_of_root(const char *root);

/* The first [map.NAME] (file order) whose root (when set) is the document's and whose
 * pattern (when set) matches the file name. A map without root never takes a document
 * chorusgw reads by itself (ERP export, UBL, CII): only one that names that root
 * explicitly does (to rework such documents). */
static const struct conf_map *
find_map(const struct conf *c, const char *root, const char *name)
{
	int builtin = strcmp(root, ROOT_ERP) == 0 || syntax_of_root(root) != -1;
	size_t i;
	if (c == NULL)
		return NULL;
	for (i = 0; i < c->nmaps; i++) {
		const struct conf_map *m = &c->maps[i];
		if (m->root == NULL && (m->pattern == NULL || builtin))
			continue;
		if (m->root && strcmp(m->root, root) != 0)
			continue;
		if (m->pattern && fnmatch(m->pattern, base_name(name), 0) != 0)
			continue;
		return m;
	}
	return NULL;
}

static char *
path_in(const char *dir, const char *file)
{
	if (file[0] == '/' || dir == NULL || *dir == '\0')
		return xstrdup(file);
	return xasprintf("%s/%s", dir, file);
}

static const char *
stylesheet_dir(const struct conf *c)
{
	return c && c->stylesheet_dir ? c->stylesheet_dir : PKGDATADIR "/xslt";
}

/* The SIRET of a party (UBL cac:Party or CII ram:*TradeParty), read as HACKING.md
 * says: the identification element first, the legal-entity element when it holds
 * 14 digits. Fills `siret` and `legal`. */
static void read_party_ids(xmlNodePtr party, const char *party_path, int cii,
                           struct inv_value *siret, struct inv_value *legal);

static int
syntax_of_root(const char *root)
{
	if (strcmp(root, ROOT_UBL_IN) == 0 || strcmp(root, ROOT_UBL_CN) == 0)
		return SYNTAX_UBL;
	if (strcmp(root, ROOT_CII) == 0)
		return SYNTAX_CII;
	return -1;
}

static void
value_free(struct inv_value *v)
{
	free(v->text);
	free(v->attr);
	free(v->path);
	memset(v, 0, sizeof(*v));
}

/* The supplier SIRET of a UBL or CII document, or NULL. Caller frees. */
static char *
output_supplier_siret(xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), party;
	struct inv_value siret, legal;
	char *r;
	int cii = node_is(root, NS_RSM, "CrossIndustryInvoice");
	memset(&siret, 0, sizeof(siret));
	memset(&legal, 0, sizeof(legal));
	party = cii ? find(root, "rsm:SupplyChainTradeTransaction/"
	                         "ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty")
	            : find(root, "cac:AccountingSupplierParty/cac:Party");
	if (party == NULL)
		return NULL;
	read_party_ids(party, "", cii, &siret, &legal);
	r = siret.text ? xstrdup(siret.text) : NULL;
	value_free(&siret);
	value_free(&legal);
	return r;
}

static const char *
kind_what(const char *root)
{
	if (strcmp(root, ROOT_UBL_IN) == 0)
		return "UBL 2.1 Invoice";
	if (strcmp(root, ROOT_UBL_CN) == 0)
		return "UBL 2.1 CreditNote";
	if (strcmp(root, ROOT_CII) == 0)
		return "CII D16B CrossIndustryInvoice";
	return "document";
}

/* Parameters for a stylesheet: name/value pairs, NULL-terminated. */
struct params {
	const char *v[16];
	size_t n;
};

static void
param(struct params *p, const char *name, const char *value)
{
	if (value == NULL || *value == '\0' || p->n + 3 > nitems(p->v))
		return;
	p->v[p->n++] = name;
	p->v[p->n++] = value;
	p->v[p->n] = NULL;
}

static void
supplier_params(struct params *p, const struct conf *c, const struct conf_supplier *s)
{
	memset(p, 0, sizeof(*p));
	param(p, "siret_scheme", c ? c->siret_scheme : NULL);
	if (s) {
		param(p, "supplier_iban", s->iban);
		param(p, "supplier_bic", s->bic);
		param(p, "supplier_iban_name", s->iban_name);
		param(p, "default_cadre", s->cadre);
	}
}

void
xform_result_free(struct xform_result *r)
{
	free(r->what);
	free(r->map);
	free(r->stylesheet);
	free(r->xml);
	free(r->supplier_siret);
	xform_diags_free(&r->input);
	xform_doc_free(r->doc);
	memset(r, 0, sizeof(*r));
	r->syntax = -1;
}

/* Parse what a stylesheet produced and check it is of `want` syntax. */
static int
take_output(struct xform_result *r, size_t max_size, int max_depth, int want, char **why)
{
	char *pwhy = NULL;
	int got;
	r->doc = xform_parse(r->xml, r->len, max_size, max_depth, &pwhy);
	if (r->doc == NULL) {
		fail(why, "the stylesheet %s produced a document chorusgw refuses: %s",
		     r->stylesheet, pwhy);
		free(pwhy);
		return -1;
	}
	got = syntax_of_root(r->doc->root);
	if (got == -1)
		return fail(why,
		            "the stylesheet %s produced %s, which is neither a UBL 2.1 Invoice or "
		            "CreditNote nor a CII D16B CrossIndustryInvoice",
		            r->stylesheet, r->doc->root);
	if (want != -1 && got != want)
		return fail(why, "the stylesheet %s produced %s although %s was expected",
		            r->stylesheet, got == SYNTAX_UBL ? "UBL" : "CII",
		            want == SYNTAX_UBL ? "UBL" : "CII");
	r->syntax = got;
	return 0;
}

int
xform_make(const void *data, size_t len, const char *name, const struct conf *c,
           struct xform_result *r, char **why)
{
	size_t max_size = c && c->max_size > 0 ? (size_t)c->max_size : DEFAULT_MAX_SIZE;
	int max_depth = c && c->max_depth > 0 ? (int)c->max_depth : DEFAULT_MAX_DEPTH;
	struct xform_doc *in;
	const struct conf_map *map;
	const struct conf_supplier *sup = NULL;
	struct params p;
	xsltStylesheetPtr style;
	struct post post;
	char *pwhy = NULL;
	int want, rc;

	memset(r, 0, sizeof(*r));
	r->syntax = -1;
	in = xform_parse(data, len, max_size, max_depth, &pwhy);
	if (in == NULL) {
		fail(why, "%s", pwhy);
		free(pwhy);
		return -1;
	}

	map = find_map(c, in->root, name);
	if (map) {
		r->kind = XK_MAP;
		r->map = xstrdup(map->name);
		r->what = xasprintf("[map.%s] input", map->name);
		r->stylesheet = path_in(stylesheet_dir(c), map->stylesheet);
		want = map->syntax;
	} else if (strcmp(in->root, ROOT_ERP) == 0) {
		xmlNodePtr siret;
		r->kind = XK_ERP;
		r->what = xstrdup("ERP export");
		/* the export's own schema first: its messages point at the ERP's elements */
		{
			char *xsd = path_in(stylesheet_dir(c), ERP_XSD);
			struct stat st;
			if (stat(xsd, &st) == 0) {
				xmlSchemaPtr schema = schema_get(xsd, why);
				r->setup = schema == NULL;
				if (schema == NULL ||
				    schema_validate(schema, in->doc, &r->input, why) == -1) {
					free(xsd);
					xform_doc_free(in);
					return -1;
				}
				if (r->input.n) {
					fail(why,
					     "not a valid chorusgw ERP export (%zu problem%s "
					     "against "
					     "%s; see chorusgw-erp(5)): line %d: %s",
					     r->input.n + r->input.more,
					     r->input.n + r->input.more > 1 ? "s" : "", ERP_XSD,
					     r->input.v[0].line, r->input.v[0].msg);
					free(xsd);
					xform_doc_free(in);
					return -1;
				}
			}
			free(xsd);
		}
		siret = NULL;
		for (xmlNodePtr x = xmlDocGetRootElement(in->doc)->children; x && !siret;
		     x = x->next)
			if (node_is(x, NS_ERP, "supplier"))
				for (xmlNodePtr y = x->children; y && !siret; y = y->next)
					if (node_is(y, NS_ERP, "siret"))
						siret = y;
		if (siret)
			r->supplier_siret = node_text(siret);
		sup = c && r->supplier_siret ? conf_supplier(c, r->supplier_siret) : NULL;
		want = sup && sup->syntax != SYNTAX_INHERIT ? sup->syntax
		       : c                                  ? c->syntax
		                                            : SYNTAX_UBL;
		r->stylesheet = path_in(stylesheet_dir(c),
		                        want == SYNTAX_CII ? "erp-to-cii.xsl" : "erp-to-ubl.xsl");
	} else if (syntax_of_root(in->root) != -1) {
		xmlDocPtr doc = in->doc;
		r->kind = syntax_of_root(in->root) == SYNTAX_UBL ? XK_UBL : XK_CII;
		r->what = xstrdup(kind_what(in->root));
		r->syntax = syntax_of_root(in->root);
		if (doc->encoding && strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
			/* deposit UTF-8 whatever the input's encoding */
			xmlChar *mem = NULL;
			int memlen = 0;
			xmlDocDumpMemoryEnc(doc, &mem, &memlen, "UTF-8");
			if (mem == NULL) {
				xform_doc_free(in);
				return fail(why, "cannot convert the document to UTF-8");
			}
			r->xml = xstrndup((const char *)mem, (size_t)memlen);
			r->len = (size_t)memlen;
			xmlFree(mem);
			xform_doc_free(in);
			return take_output(r, max_size * 2, max_depth, r->syntax, why);
		}
		r->xml = xstrndup(data, len);
		r->len = len;
		r->doc = in;
		r->supplier_siret = output_supplier_siret(in->doc);
		return 0;
	} else {
		struct buf b;
		size_t i;
		buf_init(&b);
		for (i = 0; c && i < c->nmaps; i++)
			buf_printf(&b, "%s[map.%s]", i ? ", " : "", c->maps[i].name);
		fail(why,
		     "the root element %s is not an invoice chorusgw knows; it reads a chorusgw "
		     "ERP export (%s, see chorusgw-erp(5)), a UBL 2.1 Invoice or CreditNote, a CII "
		     "D16B CrossIndustryInvoice, or what a [map.NAME] section maps to a "
		     "stylesheet (%s)",
		     in->root, ROOT_ERP, b.len ? b.p : "none configured");
		buf_free(&b);
		xform_doc_free(in);
		return -1;
	}

	style = style_get(r->stylesheet, why);
	if (style == NULL) {
		r->setup = 1;
		xform_doc_free(in);
		return -1;
	}
	supplier_params(&p, c, sup);
	memset(&post, 0, sizeof(post));
	if (r->kind == XK_ERP && c && c->attachment_dir && *c->attachment_dir) {
		post.fn = embed_attachments;
		post.in = in->doc;
		post.dir = c->attachment_dir;
	}
	rc = run_style(style, r->stylesheet, in->doc, len, p.n ? p.v : NULL, &post, &r->xml,
	               &r->len, why);
	if (rc < 0) {
		r->setup = rc == -2;
		xform_doc_free(in);
		return -1;
	}
	if (take_output(r, max_size * 8 + post.embedded, max_depth, want, why) == -1) {
		xform_doc_free(in);
		return -1;
	}
	if (r->kind == XK_MAP) {
		/* the supplier is known only now: run again with its [supplier.SIRET] values */
		r->supplier_siret = output_supplier_siret(r->doc->doc);
		sup = c && r->supplier_siret ? conf_supplier(c, r->supplier_siret) : NULL;
		if (sup && (sup->iban || sup->bic || sup->iban_name || sup->cadre)) {
			supplier_params(&p, c, sup);
			free(r->xml);
			r->xml = NULL;
			xform_doc_free(r->doc);
			r->doc = NULL;
			if (run_style(style, r->stylesheet, in->doc, len, p.v, NULL, &r->xml,
			              &r->len, why) < 0 ||
			    take_output(r, max_size * 8, max_depth, want, why) == -1) {
				xform_doc_free(in);
				return -1;
			}
		}
	}
	xform_doc_free(in);
	return 0;
}

int
xform_validate(const struct xform_result *r, const struct conf *c, struct xform_diags *out,
               char **why)
{
	const char *dir = c ? c->schema_dir : PKGDATADIR "/schemas";
	char *path;
	xmlSchemaPtr schema;
	int rc;

	memset(out, 0, sizeof(*out));
	if (dir == NULL || *dir == '\0')
		return 1;
	if (r->doc == NULL)
		return fail(why, "no document to validate");
	if (strcmp(r->doc->root, ROOT_UBL_IN) == 0 || strcmp(r->doc->root, ROOT_UBL_CN) == 0)
		schema = ubl_schema_get(dir, why);
	else if (strcmp(r->doc->root, ROOT_CII) == 0) {
		path = xasprintf("%s/%s", dir, CII_XSD);
		schema = schema_get(path, why);
		free(path);
	} else
		return fail(why, "%s is neither UBL nor CII", r->doc->root);
	if (schema == NULL) {
		why_prefix(why, "[transform] schema_dir");
		return -1;
	}
	rc = schema_validate(schema, r->doc->doc, out, why);
	return rc;
}

/* ---- the invoice model ----------------------------------------------------------- */

void
inv_value_set(struct inv_value *v, const char *text)
{
	free(v->text);
	v->text = text ? xstrdup(text) : NULL;
}

static char *
join_path(const char *base, const char *rel)
{
	if (base == NULL || *base == '\0')
		return xstrdup(rel);
	return xasprintf("%s/%s", base, rel);
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
		add_step(&b, chain[i]);
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
	value_free(v);
	if (n == NULL) {
		v->path = join_path(top_path, rel);
		return;
	}
	v->text = node_text(n);
	v->attr = attr ? node_attr(n, attr) : NULL;
	v->path = top ? sub_path(n, top, top_path) : node_path(n);
	v->line = (int)xmlGetLineNo(n);
}

/* v = the element at rel below node `from` (whose path is from_path). */
static void
get(struct inv_value *v, xmlNodePtr from, const char *from_path, const char *rel, const char *attr)
{
	set_from(v, from ? find(from, rel) : NULL, from, from_path, rel, attr);
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

static int
is_siret_scheme(const char *scheme)
{
	return scheme && (strcmp(scheme, "0009") == 0 || strcmp(scheme, "1") == 0);
}

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
			xmlNodePtr id = kid(pi, "cbc:ID");
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
		set_from(siret, find(party, legal_rel), party, pp, legal_rel, "schemeID");
	else
		set_from(siret, NULL, party, pp, id_rel, NULL);
}

static void
read_party(struct inv_party *p, xmlNodePtr party, const char *party_path, int cii)
{
	char *pp = party ? node_path(party) : xstrdup(party_path);
	read_party_ids(party, pp, cii, &p->siret, &p->legal_id);
	if (cii) {
		xmlNodePtr vat = NULL;
		each_kid(t, party, "ram:SpecifiedTaxRegistration")
		{
			xmlNodePtr id = kid(t, "ram:ID");
			char *scheme = id ? node_attr(id, "schemeID") : NULL;
			int hit = scheme && strcmp(scheme, "VA") == 0;
			free(scheme);
			if (hit) {
				vat = id;
				break;
			}
		}
		set_from(&p->vat_id, vat, party, pp, "ram:SpecifiedTaxRegistration/ram:ID",
		         "schemeID");
		get(&p->name, party, pp, "ram:Name", NULL);
		get(&p->country, party, pp, "ram:PostalTradeAddress/ram:CountryID", NULL);
	} else {
		xmlNodePtr vat = NULL;
		each_kid(t, party, "cac:PartyTaxScheme")
		{
			char *scheme = NULL;
			xmlNodePtr s = find(t, "cac:TaxScheme/cbc:ID");
			int hit;
			if (s)
				scheme = node_text(s);
			hit = scheme && strcasecmp(scheme, "VAT") == 0;
			free(scheme);
			if (hit) {
				vat = kid(t, "cbc:CompanyID");
				break;
			}
		}
		set_from(&p->vat_id, vat, party, pp, "cac:PartyTaxScheme/cbc:CompanyID", NULL);
		get(&p->name, party, pp, "cac:PartyLegalEntity/cbc:RegistrationName", NULL);
		get(&p->country, party, pp, "cac:PostalAddress/cac:Country/cbc:IdentificationCode",
		    NULL);
	}
	free(pp);
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
	} else {
		get(&a->indicator, n, np, "cbc:ChargeIndicator", NULL);
		get(&a->amount, n, np, "cbc:Amount", "currencyID");
		get(&a->base_amount, n, np, "cbc:BaseAmount", "currencyID");
		get(&a->percent, n, np, "cbc:MultiplierFactorNumeric", NULL);
		get(&a->reason, n, np, "cbc:AllowanceChargeReason", NULL);
		get(&a->reason_code, n, np, "cbc:AllowanceChargeReasonCode", NULL);
		get(&a->vat_category, n, np, "cac:TaxCategory/cbc:ID", NULL);
		get(&a->vat_rate, n, np, "cac:TaxCategory/cbc:Percent", NULL);
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
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		memset(&(*v)[*n], 0, sizeof(**v));
		read_ac(&(*v)[*n], node, np, cii);
		(*n)++;
		free(np);
	}
}

static void
read_line_ubl(struct inv_line *l, xmlNodePtr n, const char *np, int cn)
{
	xmlNodePtr price = kid(n, "cac:Price");
	char *pp = path_below(price, n, np, "cac:Price");
	l->path = xstrdup(np);
	l->line = (int)xmlGetLineNo(n);
	get(&l->id, n, np, "cbc:ID", NULL);
	get(&l->quantity, n, np, cn ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity", "unitCode");
	get(&l->net_amount, n, np, "cbc:LineExtensionAmount", "currencyID");
	get(&l->price, price, pp, "cbc:PriceAmount", "currencyID");
	get(&l->base_quantity, price, pp, "cbc:BaseQuantity", "unitCode");
	get(&l->vat_category, n, np, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID", NULL);
	get(&l->vat_rate, n, np, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", NULL);
	add_acs(&l->acs, &l->nacs, n, np, "cac:AllowanceCharge", 0);
	free(pp);
}

static void
read_line_cii(struct inv_line *l, xmlNodePtr n, const char *np)
{
	xmlNodePtr set = kid(n, "ram:SpecifiedLineTradeSettlement");
	char *sp = path_below(set, n, np, "ram:SpecifiedLineTradeSettlement");
	l->path = xstrdup(np);
	l->line = (int)xmlGetLineNo(n);
	get(&l->id, n, np, "ram:AssociatedDocumentLineDocument/ram:LineID", NULL);
	get(&l->quantity, n, np, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "unitCode");
	get(&l->price, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", NULL);
	get(&l->base_quantity, n, np,
	    "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
	    "unitCode");
	get(&l->net_amount, set, sp,
	    "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NULL);
	get(&l->vat_category, set, sp, "ram:ApplicableTradeTax/ram:CategoryCode", NULL);
	get(&l->vat_rate, set, sp, "ram:ApplicableTradeTax/ram:RateApplicablePercent", NULL);
	add_acs(&l->acs, &l->nacs, set, sp, "ram:SpecifiedTradeAllowanceCharge", 1);
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
	}
}

static struct inv_vat *
new_vat(struct invoice *inv, xmlNodePtr n)
{
	struct inv_vat *v;
	inv->vats = xreallocarray(inv->vats, inv->nvats + 1, sizeof(*inv->vats));
	v = &inv->vats[inv->nvats++];
	memset(v, 0, sizeof(*v));
	v->path = node_path(n);
	v->line = (int)xmlGetLineNo(n);
	return v;
}

static void
read_attachment(struct invoice *inv, xmlNodePtr n, int cii)
{
	struct inv_attachment *a;
	xmlNodePtr obj;
	inv->attachments =
	    xreallocarray(inv->attachments, inv->nattachments + 1, sizeof(*inv->attachments));
	a = &inv->attachments[inv->nattachments++];
	memset(a, 0, sizeof(*a));
	a->path = node_path(n);
	a->line = (int)xmlGetLineNo(n);
	if (cii) {
		get(&a->id, n, a->path, "ram:IssuerAssignedID", NULL);
		get(&a->uri, n, a->path, "ram:URIID", NULL);
		obj = kid(n, "ram:AttachmentBinaryObject");
	} else {
		get(&a->id, n, a->path, "cbc:ID", NULL);
		get(&a->uri, n, a->path, "cac:Attachment/cac:ExternalReference/cbc:URI", NULL);
		obj = find(n, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject");
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

static struct inv_payment *
new_payment(struct invoice *inv)
{
	inv->payments = xreallocarray(inv->payments, inv->npayments + 1, sizeof(*inv->payments));
	memset(&inv->payments[inv->npayments], 0, sizeof(*inv->payments));
	return &inv->payments[inv->npayments++];
}

static void
model_ubl(struct invoice *inv, xmlNodePtr root)
{
	int cn = node_is(root, NS_UBL_CN, "CreditNote");
	xmlNodePtr tax_total = NULL, lmt;
	char *lp;

	inv->syntax = SYNTAX_UBL;
	inv->ubl_credit_note = cn;
	inv->root = xstrdup(cn ? "CreditNote" : "Invoice");
	get(&inv->number, root, "", "cbc:ID", NULL);
	get(&inv->type_code, root, "", cn ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode", NULL);
	get(&inv->issue_date, root, "", "cbc:IssueDate", NULL);
	if (kid(root, "cbc:DueDate") || !cn)
		get(&inv->due_date, root, "", "cbc:DueDate", NULL);
	else
		get(&inv->due_date, root, "", "cac:PaymentMeans/cbc:PaymentDueDate", NULL);
	get(&inv->currency, root, "", "cbc:DocumentCurrencyCode", NULL);
	get(&inv->tax_currency, root, "", "cbc:TaxCurrencyCode", NULL);
	get(&inv->cadre, root, "", "cbc:ProfileID", NULL);
	get(&inv->customization, root, "", "cbc:CustomizationID", NULL);
	get(&inv->service_code, root, "", "cbc:BuyerReference", NULL);
	get(&inv->engagement, root, "", "cac:OrderReference/cbc:ID", NULL);
	get(&inv->contract, root, "", "cac:ContractDocumentReference/cbc:ID", NULL);
	get(&inv->preceding_number, root, "",
	    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NULL);
	get(&inv->preceding_date, root, "",
	    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate", NULL);
	get(&inv->payment_terms, root, "", "cac:PaymentTerms/cbc:Note", NULL);
	get(&inv->delivery_country, root, "",
	    "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
	    NULL);
	read_party(&inv->supplier, find(root, "cac:AccountingSupplierParty/cac:Party"),
	           "cac:AccountingSupplierParty/cac:Party", 0);
	read_party(&inv->buyer, find(root, "cac:AccountingCustomerParty/cac:Party"),
	           "cac:AccountingCustomerParty/cac:Party", 0);

	each_kid(pm, root, "cac:PaymentMeans")
	{
		struct inv_payment *p = new_payment(inv);
		char *pp = node_path(pm);
		get(&p->code, pm, pp, "cbc:PaymentMeansCode", NULL);
		get(&p->iban, pm, pp, "cac:PayeeFinancialAccount/cbc:ID", NULL);
		get(&p->bic, pm, pp,
		    "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", NULL);
		free(pp);
	}
	add_acs(&inv->acs, &inv->nacs, root, "", "cac:AllowanceCharge", 0);
	each_kid(adr, root, "cac:AdditionalDocumentReference")
	{
		/* DocumentTypeCode 130 is an invoiced object identifier (BT-18), not a
		 * supporting document */
		xmlNodePtr tc = kid(adr, "cbc:DocumentTypeCode");
		char *t = tc ? node_text(tc) : NULL;
		if (t == NULL || strcmp(t, "130") != 0)
			read_attachment(inv, adr, 0);
		free(t);
	}

	/* the TaxTotal in the document currency (a second one may be in BT-6) */
	each_kid(tt, root, "cac:TaxTotal")
	{
		xmlNodePtr amt = kid(tt, "cbc:TaxAmount");
		char *cur = amt ? node_attr(amt, "currencyID") : NULL;
		int hit = inv->currency.text == NULL || cur == NULL ||
		          strcmp(cur, inv->currency.text) == 0;
		free(cur);
		if (hit && tax_total == NULL)
			tax_total = tt;
	}
	if (tax_total == NULL)
		tax_total = kid(root, "cac:TaxTotal");
	get(&inv->tax_total, root, "", "cac:TaxTotal/cbc:TaxAmount", "currencyID");
	if (tax_total)
		set_from(&inv->tax_total, kid(tax_total, "cbc:TaxAmount"), root, "",
		         "cac:TaxTotal/cbc:TaxAmount", "currencyID");
	each_kid(st, tax_total, "cac:TaxSubtotal")
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
	}

	lmt = kid(root, "cac:LegalMonetaryTotal");
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

	read_lines(inv, root, "", cn ? "cac:CreditNoteLine" : "cac:InvoiceLine", 0, cn);
}

static void
model_cii(struct invoice *inv, xmlNodePtr root)
{
	xmlNodePtr ctx = kid(root, "rsm:ExchangedDocumentContext");
	xmlNodePtr doc = kid(root, "rsm:ExchangedDocument");
	xmlNodePtr tx = kid(root, "rsm:SupplyChainTradeTransaction");
	xmlNodePtr agr = kid(tx, "ram:ApplicableHeaderTradeAgreement");
	xmlNodePtr del = kid(tx, "ram:ApplicableHeaderTradeDelivery");
	xmlNodePtr set = kid(tx, "ram:ApplicableHeaderTradeSettlement");
	xmlNodePtr sum = kid(set, "ram:SpecifiedTradeSettlementHeaderMonetarySummation");
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
	get(&inv->customization, ctx, cp, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
	    NULL);
	get(&inv->number, doc, dp, "ram:ID", NULL);
	get(&inv->type_code, doc, dp, "ram:TypeCode", NULL);
	get(&inv->issue_date, doc, dp, "ram:IssueDateTime/udt:DateTimeString", "format");
	get(&inv->service_code, agr, ap, "ram:BuyerReference", NULL);
	get(&inv->engagement, agr, ap, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
	    NULL);
	get(&inv->contract, agr, ap, "ram:ContractReferencedDocument/ram:IssuerAssignedID", NULL);
	/* supporting documents: TypeCode 916 (50 is a tender or lot reference, 130 an
	 * invoiced object identifier) */
	each_kid(ard, agr, "ram:AdditionalReferencedDocument")
	{
		xmlNodePtr tc = kid(ard, "ram:TypeCode");
		char *t = tc ? node_text(tc) : NULL;
		if (t && strcmp(t, "916") == 0)
			read_attachment(inv, ard, 1);
		free(t);
	}
	{
		char *pp = xasprintf("%s/ram:SellerTradeParty", ap);
		read_party(&inv->supplier, kid(agr, "ram:SellerTradeParty"), pp, 1);
		free(pp);
		pp = xasprintf("%s/ram:BuyerTradeParty", ap);
		read_party(&inv->buyer, kid(agr, "ram:BuyerTradeParty"), pp, 1);
		free(pp);
	}
	get(&inv->delivery_country, del, dlp,
	    "ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID", NULL);
	get(&inv->currency, set, sp, "ram:InvoiceCurrencyCode", NULL);
	get(&inv->tax_currency, set, sp, "ram:TaxCurrencyCode", NULL);
	get(&inv->preceding_number, set, sp, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
	    NULL);
	get(&inv->preceding_date, set, sp,
	    "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString",
	    "format");
	/* due date and terms: the first payment terms that have them */
	each_kid(t, set, "ram:SpecifiedTradePaymentTerms")
	{
		if (terms == NULL)
			terms = t;
		if (kid(t, "ram:DueDateDateTime")) {
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
	get(&inv->payment_terms, terms, tp, "ram:Description", NULL);
	free(tp);

	each_kid(pm, set, "ram:SpecifiedTradeSettlementPaymentMeans")
	{
		struct inv_payment *p = new_payment(inv);
		char *pp = node_path(pm);
		get(&p->code, pm, pp, "ram:TypeCode", NULL);
		get(&p->iban, pm, pp, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", NULL);
		get(&p->bic, pm, pp, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
		    NULL);
		free(pp);
	}
	each_kid(tt, set, "ram:ApplicableTradeTax")
	{
		struct inv_vat *v = new_vat(inv, tt);
		get(&v->tax, tt, v->path, "ram:CalculatedAmount", NULL);
		get(&v->taxable, tt, v->path, "ram:BasisAmount", NULL);
		get(&v->category, tt, v->path, "ram:CategoryCode", NULL);
		get(&v->rate, tt, v->path, "ram:RateApplicablePercent", NULL);
		get(&v->exemption_reason, tt, v->path, "ram:ExemptionReason", NULL);
		get(&v->exemption_code, tt, v->path, "ram:ExemptionReasonCode", NULL);
	}
	add_acs(&inv->acs, &inv->nacs, set, sp, "ram:SpecifiedTradeAllowanceCharge", 1);

	get(&inv->line_total, sum, mp, "ram:LineTotalAmount", NULL);
	get(&inv->charge_total, sum, mp, "ram:ChargeTotalAmount", NULL);
	get(&inv->allowance_total, sum, mp, "ram:AllowanceTotalAmount", NULL);
	get(&inv->tax_exclusive, sum, mp, "ram:TaxBasisTotalAmount", NULL);
	each_kid(t, sum, "ram:TaxTotalAmount")
	{
		char *cur = node_attr(t, "currencyID");
		int hit = cur == NULL || inv->currency.text == NULL ||
		          strcmp(cur, inv->currency.text) == 0;
		free(cur);
		if (hit) {
			tax_total = t;
			break;
		}
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
	inv->generated = r->kind == XK_ERP || r->kind == XK_MAP;
	return inv;
}

static void
ac_free(struct inv_ac *a)
{
	value_free(&a->indicator);
	value_free(&a->amount);
	value_free(&a->base_amount);
	value_free(&a->percent);
	value_free(&a->reason);
	value_free(&a->reason_code);
	value_free(&a->vat_category);
	value_free(&a->vat_rate);
}

static void
party_free(struct inv_party *p)
{
	value_free(&p->siret);
	value_free(&p->legal_id);
	value_free(&p->vat_id);
	value_free(&p->name);
	value_free(&p->country);
}

void
invoice_free(struct invoice *inv)
{
	size_t i, j;
	if (inv == NULL)
		return;
	free(inv->root);
	value_free(&inv->number);
	value_free(&inv->type_code);
	value_free(&inv->issue_date);
	value_free(&inv->due_date);
	value_free(&inv->currency);
	value_free(&inv->tax_currency);
	value_free(&inv->cadre);
	value_free(&inv->customization);
	value_free(&inv->service_code);
	value_free(&inv->engagement);
	value_free(&inv->contract);
	value_free(&inv->preceding_number);
	value_free(&inv->preceding_date);
	value_free(&inv->payment_terms);
	value_free(&inv->delivery_country);
	party_free(&inv->supplier);
	party_free(&inv->buyer);
	for (i = 0; i < inv->npayments; i++) {
		value_free(&inv->payments[i].code);
		value_free(&inv->payments[i].iban);
		value_free(&inv->payments[i].bic);
	}
	free(inv->payments);
	for (i = 0; i < inv->nlines; i++) {
		struct inv_line *l = &inv->lines[i];
		free(l->path);
		value_free(&l->id);
		value_free(&l->quantity);
		value_free(&l->net_amount);
		value_free(&l->price);
		value_free(&l->base_quantity);
		value_free(&l->vat_category);
		value_free(&l->vat_rate);
		for (j = 0; j < l->nacs; j++)
			ac_free(&l->acs[j]);
		free(l->acs);
	}
	free(inv->lines);
	for (i = 0; i < inv->nacs; i++)
		ac_free(&inv->acs[i]);
	free(inv->acs);
	for (i = 0; i < inv->nvats; i++) {
		struct inv_vat *v = &inv->vats[i];
		free(v->path);
		value_free(&v->category);
		value_free(&v->rate);
		value_free(&v->taxable);
		value_free(&v->tax);
		value_free(&v->exemption_reason);
		value_free(&v->exemption_code);
	}
	free(inv->vats);
	for (i = 0; i < inv->nattachments; i++) {
		struct inv_attachment *a = &inv->attachments[i];
		free(a->path);
		value_free(&a->id);
		value_free(&a->uri);
		value_free(&a->mime);
		value_free(&a->filename);
	}
	free(inv->attachments);
	value_free(&inv->line_total);
	value_free(&inv->allowance_total);
	value_free(&inv->charge_total);
	value_free(&inv->tax_exclusive);
	value_free(&inv->tax_total);
	value_free(&inv->tax_inclusive);
	value_free(&inv->prepaid);
	value_free(&inv->rounding);
	value_free(&inv->payable);
	free(inv);
}
