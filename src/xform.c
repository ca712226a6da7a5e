/*
 * xform.c - safe parsing of untrusted documents, libxml2's error capture, element
 * paths and tree navigation for the xform family, the stylesheet and schema caches,
 * recognising what a document is, running the stylesheets (xform_make()) and XSD
 * validation. With xform-attach.c (attachments) and xform-model.c (the invoice
 * model), sharing xform-int.h, the only files that include libxml2 and libxslt.
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
#include "invoice.h"
#include "rules.h"
#include "util.h"
#include "xform-int.h"
#include "xform-syntax.h"
#include "xform.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/share/chorusgw"
#endif

#define ROOT_ERP    "{" NS_ERP "}invoice"
#define ROOT_UBL_IN "{" NS_UBL_IN "}Invoice"
#define ROOT_UBL_CN "{" NS_UBL_CN "}CreditNote"
#define ROOT_CII    "{" NS_RSM "}CrossIndustryInvoice"

#define UBL_INVOICE_XSD    "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
#define UBL_CREDITNOTE_XSD "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
#define CII_XSD            "cii-d16b/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
#define CII_D22B_XSD       "cii-d22b/CrossIndustryInvoice_100pD22B.xsd"
#define CDAR_XSD           "cdar-d22b/CrossDomainAcknowledgementAndResponse_100pD22B.xsd"
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

/* Names of one document come from its dictionary: equal names are most often the
 * same pointer, so that is tried before the compare. */
static int
same_name(xmlNodePtr a, xmlNodePtr b)
{
	if (a->type != b->type ||
	    (a->name != b->name && strcmp((const char *)a->name, (const char *)b->name) != 0))
		return 0;
	if ((a->ns == NULL) != (b->ns == NULL))
		return 0;
	return a->ns == NULL || a->ns == b->ns ||
	       strcmp((const char *)a->ns->href, (const char *)b->ns->href) == 0;
}

void
node_path_step(struct buf *b, xmlNodePtr n)
{
	const char *pfx = ns_prefix(n);
	char pos_text[24];
	if (n->type == XML_ATTRIBUTE_NODE) {
		buf_addc(b, '@');
		buf_adds(b, (const char *)n->name);
		return;
	}
	/* no printf: the model builds a path for every value it reads */
	if (*pfx) {
		buf_adds(b, pfx);
		buf_addc(b, ':');
	}
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
		if (count > 1) {
			snprintf(pos_text, sizeof(pos_text), "[%d]", pos);
			buf_adds(b, pos_text);
		}
	}
}

/* "cac:InvoiceLine[2]/cbc:ID": steps below the root element; the root's own name for
 * the root. Caller frees. */
char *
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
				node_path_step(&b, x);
			break;
		}
		if (depth == nitems(chain)) {
			buf_adds(&b, "…/");
			depth--;
		}
		chain[depth++] = x;
	}
	for (i = depth; i-- > 0;) {
		node_path_step(&b, chain[i]);
		if (i)
			buf_addc(&b, '/');
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return buf_steal(&b);
}

/* "cbc:ID" -> namespace URI and local name. */
static void
split_qname(const char *q, size_t qlen, const char **uri, char *local, size_t locallen)
{
	const char *colon = memchr(q, ':', qlen);
	size_t i, n;
	*uri = NULL;
	if (colon) {
		for (i = 0; i < nitems(known_ns) && *uri == NULL; i++) /* prefixes are unique */
			if (*known_ns[i].prefix &&
			    strncmp(known_ns[i].prefix, q, (size_t)(colon - q)) == 0 &&
			    known_ns[i].prefix[colon - q] == '\0')
				*uri = known_ns[i].uri;
		qlen -= (size_t)(colon + 1 - q);
		q = colon + 1;
	}
	n = qlen < locallen - 1 ? qlen : locallen - 1;
	memcpy(local, q, n);
	local[n] = '\0';
}

xmlNodePtr
node_kid(xmlNodePtr parent, const char *qname)
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
xmlNodePtr
node_find(xmlNodePtr from, const char *rel)
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
		n = node_kid(n, step);
		p += len + (slash ? 1 : 0);
	}
	return n;
}

/* Next sibling element after `prev` (or first child of parent when prev is NULL)
 * named `qname`. */
xmlNodePtr
node_next_kid(xmlNodePtr parent, xmlNodePtr prev, const char *qname)
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

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *
node_text_pad(xmlNodePtr n, int *pad)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "", *start = s;
	size_t len;
	char *r;
	while (is_blank((unsigned char)*s))
		s++;
	len = strlen(s);
	if (pad)
		*pad = (s != start ? PAD_LEAD : 0) |
		       (len && is_blank((unsigned char)s[len - 1]) ? PAD_TRAIL : 0);
	while (len && is_blank((unsigned char)s[len - 1]))
		len--;
	r = xstrndup(s, len);
	xmlFree(t);
	return r;
}

char *
node_text(xmlNodePtr n)
{
	return node_text_pad(n, NULL);
}

char *
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
	xform_syntax_cleanup();
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

static int
syntax_of_root(const char *root)
{
	if (strcmp(root, ROOT_UBL_IN) == 0 || strcmp(root, ROOT_UBL_CN) == 0)
		return SYNTAX_UBL;
	if (strcmp(root, ROOT_CII) == 0)
		return SYNTAX_CII;
	return -1;
}

int
xform_doc_syntax(const struct xform_doc *d)
{
	return syntax_of_root(d->root);
}

static const char *
kind_what(const char *root, const struct route_preflight *rp)
{
	if (strcmp(root, ROOT_UBL_IN) == 0)
		return "UBL 2.1 Invoice";
	if (strcmp(root, ROOT_UBL_CN) == 0)
		return "UBL 2.1 CreditNote";
	if (strcmp(root, ROOT_CII) == 0)
		return rp->cii_d22b ? "CII D22B CrossIndustryInvoice"
		                    : "CII D16B CrossIndustryInvoice";
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

/* The configured account to pay (IBAN, BIC, holder: always together): the
 * establishment's [supplier.SIRET], else the company's [supplier], else none (NULL). */
static const char *
configured_account(const struct conf *c, const struct conf_supplier *s, const char **iban,
                   const char **bic, const char **name)
{
	*iban = *bic = *name = NULL;
	if (s && s->iban) {
		*iban = s->iban;
		*bic = s->bic;
		*name = s->iban_name;
		return "[supplier.SIRET]";
	}
	if (c && c->default_iban) {
		*iban = c->default_iban;
		*bic = c->default_bic;
		*name = c->default_iban_name;
		return "[supplier]";
	}
	return NULL;
}

static void
supplier_params(struct params *p, const struct conf *c, const struct conf_supplier *s,
                const struct route_preflight *rp)
{
	const char *iban, *bic, *name;
	memset(p, 0, sizeof(*p));
	param(p, "route", rp->name);
	param(p, "siret_scheme", c ? c->siret_scheme : NULL);
	configured_account(c, s, &iban, &bic, &name);
	param(p, "supplier_iban", iban);
	param(p, "supplier_bic", bic);
	param(p, "supplier_iban_name", name);
	if (s)
		param(p, "default_cadre", s->cadre);
}

/* Where the account to pay of an ERP export's result comes from: the export's own
 * (supplier/iban or payee/iban: the stylesheets take it first), else the
 * configuration's. Sets r->iban_source. */
static void
erp_account_source(struct xform_result *r, xmlDocPtr in, const struct conf *c,
                   const struct conf_supplier *s)
{
	const char *iban, *bic, *name, *from;
	for (xmlNodePtr x = xmlDocGetRootElement(in)->children; x; x = x->next)
		if (node_is(x, NS_ERP, "supplier") || node_is(x, NS_ERP, "payee"))
			for (xmlNodePtr y = x->children; y; y = y->next)
				if (node_is(y, NS_ERP, "iban")) {
					char *t = node_text(y);
					int given = t && *t;
					free(t);
					if (given) {
						r->iban_source = xstrdup("export");
						return;
					}
				}
	from = configured_account(c, s, &iban, &bic, &name);
	if (from && strcmp(from, "[supplier.SIRET]") == 0)
		r->iban_source = xasprintf("[supplier.%s]", s->id);
	else if (from)
		r->iban_source = xstrdup(from);
}

void
xform_result_free(struct xform_result *r)
{
	free(r->what);
	free(r->map);
	free(r->stylesheet);
	free(r->xml);
	free(r->supplier_section);
	free(r->iban_source);
	free(r->export_route);
	free(r->export_cadre);
	xform_diags_free(&r->input);
	xform_doc_free(r->doc);
	memset(r, 0, sizeof(*r));
	r->syntax = -1;
	r->route = ROUTE_CHORUS;
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
		            "CreditNote nor a CII CrossIndustryInvoice",
		            r->stylesheet, r->doc->root);
	if (want != -1 && got != want)
		return fail(why, "the stylesheet %s produced %s although %s was expected",
		            r->stylesheet, got == SYNTAX_UBL ? "UBL" : "CII",
		            want == SYNTAX_UBL ? "UBL" : "CII");
	r->syntax = got;
	return 0;
}

/* An ERP export: checked against erp-invoice.xsd first (its messages point at the
 * ERP's elements; r->input lists them), then its supplier SIRET (or the identifier of
 * a supplier without one) chooses the [supplier.ID] section (*sup, may be NULL), the
 * syntax (*want) and the stylesheet. 0, or -1 with *why (r->setup when the schema is
 * at fault). */
static int
erp_input(struct xform_result *r, const struct xform_doc *in, const struct conf *c,
          const struct conf_supplier **sup, int *want, char **why)
{
	char *xsd = path_in(stylesheet_dir(c), ERP_XSD);
	xmlNodePtr who = NULL;
	struct stat st;
	int rc = 0;

	r->kind = XK_ERP;
	r->what = xstrdup("ERP export");
	if (stat(xsd, &st) == 0) {
		xmlSchemaPtr schema = schema_get(xsd, why);
		r->setup = schema == NULL;
		if (schema == NULL || schema_validate(schema, in->doc, &r->input, why) == -1)
			rc = -1;
		else if (r->input.n)
			rc = fail(why,
			          "not a valid chorusgw ERP export (%zu problem%s against %s; "
			          "see chorusgw-erp(5)): line %d: %s",
			          r->input.n + r->input.more,
			          r->input.n + r->input.more > 1 ? "s" : "", ERP_XSD,
			          r->input.v[0].line, r->input.v[0].msg);
	}
	free(xsd);
	if (rc == -1)
		return -1;
	for (xmlNodePtr x = xmlDocGetRootElement(in->doc)->children; x; x = x->next) {
		if (node_is(x, NS_ERP, "route") && r->export_route == NULL)
			r->export_route = node_text(x);
		if (node_is(x, NS_ERP, "cadre") && r->export_cadre == NULL)
			r->export_cadre = node_text(x);
		if (node_is(x, NS_ERP, "supplier"))
			for (xmlNodePtr y = x->children; y; y = y->next)
				if (node_is(y, NS_ERP, "siret") ||
				    (node_is(y, NS_ERP, "identifier") && who == NULL))
					who = y; /* a supplier without a SIRET: its identifier */
	}
	if (who)
		r->supplier_section = node_text(who);
	*sup = conf_supplier(c, r->supplier_section);
	*want = *sup && (*sup)->syntax != SYNTAX_INHERIT ? (*sup)->syntax
	        : c                                      ? c->syntax
	                                                 : SYNTAX_UBL;
	r->stylesheet =
	    path_in(stylesheet_dir(c), *want == SYNTAX_CII ? "erp-to-cii.xsl" : "erp-to-ubl.xsl");
	return 0;
}

/* A UBL or CII document, the `len` bytes `data` parsed as *inp: passed through as it
 * is (*inp moves to r->doc and becomes NULL), or converted to UTF-8 when it is in
 * another encoding. 0, or -1 with *why. */
static int
pass_through(struct xform_result *r, struct xform_doc **inp, const void *data, size_t len,
             const struct route_preflight *rp, size_t max_size, int max_depth, char **why)
{
	struct xform_doc *in = *inp;
	xmlDocPtr doc = in->doc;
	xmlChar *mem = NULL;
	int memlen = 0;

	r->syntax = syntax_of_root(in->root);
	r->kind = r->syntax == SYNTAX_UBL ? XK_UBL : XK_CII;
	r->what = xstrdup(kind_what(in->root, rp));
	if (doc->encoding == NULL || strcasecmp((const char *)doc->encoding, "UTF-8") == 0) {
		r->xml = xstrndup(data, len);
		r->len = len;
		r->doc = in;
		*inp = NULL;
		r->supplier_section = xform_supplier_section(in->doc);
		return 0;
	}
	/* deposit UTF-8 whatever the input's encoding */
	xmlDocDumpMemoryEnc(doc, &mem, &memlen, "UTF-8");
	if (mem == NULL)
		return fail(why, "cannot convert the document to UTF-8");
	r->xml = xstrndup((const char *)mem, (size_t)memlen);
	r->len = (size_t)memlen;
	xmlFree(mem);
	return take_output(r, max_size * 2, max_depth, r->syntax, why);
}

/* Refuse a document of an unknown root, naming what chorusgw reads. -1 with *why. */
static int
unknown_input(const struct xform_doc *in, const struct conf *c, char **why)
{
	struct buf b;
	size_t i;
	buf_init(&b);
	for (i = 0; c && i < c->nmaps; i++)
		buf_printf(&b, "%s[map.%s]", i ? ", " : "", c->maps[i].name);
	fail(why,
	     "the root element %s is not an invoice chorusgw knows; it reads a chorusgw "
	     "ERP export (%s, see chorusgw-erp(5)), a UBL 2.1 Invoice or CreditNote, a CII "
	     "D16B or D22B CrossIndustryInvoice, or what a [map.NAME] section maps to a "
	     "stylesheet (%s)",
	     in->root, ROOT_ERP, b.len ? b.p : "none configured");
	buf_free(&b);
	return -1;
}

int
xform_make(const void *data, size_t len, const char *name, const struct conf *c, unsigned route,
           struct xform_result *r, char **why)
{
	const struct route_preflight *rp = route_preflight(route);
	size_t max_size = c && c->max_size > 0 ? (size_t)c->max_size : DEFAULT_MAX_SIZE;
	int max_depth = c && c->max_depth > 0 ? (int)c->max_depth : DEFAULT_MAX_DEPTH;
	struct xform_doc *in;
	const struct conf_map *map;
	const struct conf_supplier *sup = NULL;
	struct params p;
	xsltStylesheetPtr style;
	struct post post;
	char *pwhy = NULL;
	int want, rc = -1;

	memset(r, 0, sizeof(*r));
	r->syntax = -1;
	if (rp == NULL)
		rp = route_preflight(ROUTE_CHORUS);
	r->route = rp->route;
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
		if (erp_input(r, in, c, &sup, &want, why) == -1)
			goto out;
	} else if (syntax_of_root(in->root) != -1) {
		rc = pass_through(r, &in, data, len, rp, max_size, max_depth, why);
		goto out;
	} else {
		unknown_input(in, c, why);
		goto out;
	}

	style = style_get(r->stylesheet, why);
	if (style == NULL) {
		r->setup = 1;
		goto out;
	}
	supplier_params(&p, c, sup, rp);
	memset(&post, 0, sizeof(post));
	if (r->kind == XK_ERP && c && c->attachment_dir && *c->attachment_dir) {
		post.fn = xform_embed_attachments;
		post.in = in->doc;
		post.dir = c->attachment_dir;
	}
	rc = run_style(style, r->stylesheet, in->doc, len, p.n ? p.v : NULL, &post, &r->xml,
	               &r->len, why);
	if (rc < 0) {
		r->setup = rc == -2;
		rc = -1;
		goto out;
	}
	rc = take_output(r, max_size * 8 + post.embedded, max_depth, want, why);
	if (rc == 0 && r->kind == XK_ERP)
		erp_account_source(r, in->doc, c, sup);
	if (rc == 0 && r->kind == XK_MAP) {
		/* the supplier is known only now: run again with the values of its section,
		 * named as an ERP export's is, by its SIRET or its identifier without one */
		r->supplier_section = xform_supplier_section(r->doc->doc);
		sup = conf_supplier(c, r->supplier_section);
		if (sup && (sup->iban || sup->cadre)) {
			supplier_params(&p, c, sup, rp);
			free(r->xml);
			r->xml = NULL;
			xform_doc_free(r->doc);
			r->doc = NULL;
			if (run_style(style, r->stylesheet, in->doc, len, p.v, NULL, &r->xml,
			              &r->len, why) < 0 ||
			    take_output(r, max_size * 8, max_depth, want, why) == -1)
				rc = -1;
		}
	}
out:
	xform_doc_free(in);
	return rc;
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
		const struct route_preflight *rp = route_preflight(r->route);
		path = xasprintf("%s/%s", dir, rp && rp->cii_d22b ? CII_D22B_XSD : CII_XSD);
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

int
xform_validate_cdar(const char *xml, size_t len, const struct conf *c, struct xform_diags *out,
                    char **why)
{
	const char *dir = c ? c->schema_dir : PKGDATADIR "/schemas";
	struct xform_doc *d;
	xmlSchemaPtr schema;
	char *path;
	int rc;
	memset(out, 0, sizeof(*out));
	if (dir == NULL || *dir == '\0')
		return 1;
	path = xasprintf("%s/%s", dir, CDAR_XSD);
	schema = schema_get(path, why);
	free(path);
	if (schema == NULL) {
		why_prefix(why, "[transform] schema_dir");
		return -1;
	}
	d = xform_parse(xml, len, len + 1, DEFAULT_MAX_DEPTH, why);
	if (d == NULL)
		return -1;
	rc = schema_validate(schema, d->doc, out, why);
	xform_doc_free(d);
	return rc;
}
