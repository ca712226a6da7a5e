/*
 * xform.h - from an input file to the XML Chorus Pro receives, and the invoice it
 * describes. Only the xform family (xform.c, xform-attach.c, xform-model.c, sharing
 * xform-int.h) includes libxml2/libxslt; everything here is plain C.
 *
 * The path of a document: xform_make() parses the input safely (no network, no DTD,
 * no entities, bounded size and depth, UTF-8 checked), recognises what it is (an ERP
 * export, UBL 2.1, CII, or a [map.NAME] input), runs the stylesheet with the
 * documented parameters and parses what it produced, all for the document's route
 * (rules.h: CII D16B for Chorus Pro, D22B for a Plateforme Agréée);
 * xform_validate() checks that output against the UBL/CII XSD of the route;
 * xform_model() reads the invoice (invoice.h) from it for check.c. check_document() (check.h)
 * chains all of it for one document.
 *
 * Ownership: every pointer in a struct filled by these functions belongs to that
 * struct and is released by its *_free() function.
 */
#ifndef CHORUSGW_XFORM_H
#define CHORUSGW_XFORM_H

#include <stddef.h>

#include "invoice.h"

struct conf;
struct xform_doc; /* a parsed document (opaque) */

/* ---- what came in ------------------------------------------------------------- */

enum xform_kind {
	XK_UNKNOWN = 0,
	XK_ERP, /* chorusgw ERP export {urn:chorusgw:erp:1}invoice */
	XK_UBL, /* UBL 2.1 Invoice or CreditNote: passed through */
	XK_CII, /* CII CrossIndustryInvoice: passed through */
	XK_MAP, /* matched a [map.NAME] section: the user's stylesheet */
};

/* One problem found by a schema (the ERP export's or the UBL/CII XSD). */
struct xform_diag {
	int line;   /* line in the document; 0 when unknown */
	char *path; /* element path from the root ("cac:InvoiceLine[2]/cbc:ID"), or NULL */
	char *msg;  /* libxml2's message, one line */
};
struct xform_diags {
	struct xform_diag *v;
	size_t n;
	size_t more; /* problems not kept (the list is capped) */
};
void xform_diags_free(struct xform_diags *);

struct xform_result {
	unsigned route; /* the route it was made for (rules.h ROUTE_*) */
	enum xform_kind kind;
	char *what;       /* "ERP export", "UBL 2.1 Invoice", "[map.acme] input", ... */
	char *map;        /* name of the [map.NAME] section used, or NULL */
	char *stylesheet; /* path of the stylesheet run; NULL for a pass-through */
	int syntax;       /* SYNTAX_UBL or SYNTAX_CII (conf.h) of the output; -1 if none */
	char *xml;        /* the document to deposit, UTF-8, NUL-terminated; NULL if none */
	size_t len;
	char *supplier_section; /* SIRET (or identifier without one) choosing [supplier.ID] */
	char *iban_source;      /* an ERP export's account to pay: "export", "[supplier.SIRET]"
	                           (the SIRET or identifier written), "[supplier]"; NULL: none or not
	                           known */
	char *export_route;     /* an ERP export's <route> (chorusgw-erp(5)), or NULL */
	char *export_cadre; /* its <cadre> (on the PA route BT-23 is the billing mode), or NULL */
	struct xform_diags input; /* the input's problems (ERP export vs erp-invoice.xsd) */
	int setup; /* after a failure: 1 when the configuration is at fault (a stylesheet or
	              schema cannot be read or compiled), not the document */
	struct xform_doc *doc; /* `xml` parsed, for xform_validate() and xform_model() */
};

/*
 * Turn `len` bytes (the content of the file called `name`; only its last component
 * is used, for [map.NAME] pattern) into the document `route` (rules.h ROUTE_*)
 * receives, with the limits and settings of `c` ([spool] max_size, [transform] and
 * the [supplier.SIRET] sections; c may be NULL for the defaults); stylesheets get
 * the route's name in their parameter `route`. Fills *r (release with
 * xform_result_free(), also after a failure). 0, or -1 with *why one line: the
 * input is refused (not XML, hostile, unknown, invalid ERP export: then r->input
 * lists each problem) or the stylesheet failed.
 */
int xform_make(const void *data, size_t len, const char *name, const struct conf *c, unsigned route,
               struct xform_result *r, char **why);
void xform_result_free(struct xform_result *);

/*
 * Validate r->doc against the UBL 2.1 Invoice/CreditNote or CII schema (D16B or
 * D22B as r->route says) under [transform] schema_dir; every error goes to *out
 * (caller frees with xform_diags_free). 0 when validated (valid or not: see out->n), 1 when
 * schema_dir is empty (not validated), -1 with *why when the schemas cannot be loaded.
 */
int xform_validate(const struct xform_result *r, const struct conf *c, struct xform_diags *out,
                   char **why);

/* Validate a CDAR D22B lifecycle message (cdar_xml()'s output) against its XSD under
 * [transform] schema_dir: as xform_validate() (0 validated, see out->n; 1 no schema_dir;
 * -1 with *why). */
int xform_validate_cdar(const char *xml, size_t len, const struct conf *c, struct xform_diags *out,
                        char **why);

/* ---- the invoice model (invoice.h) --------------------------------------------- */

/* Read the invoice from r->doc (UBL or CII). Never NULL when r->doc is set; what is
 * absent has text == NULL. Free with invoice_free(). */
struct invoice *xform_model(const struct xform_result *r);

/* ---- lower level, for tests and the fuzzer ------------------------------------ */

/* Parse untrusted bytes the way xform_make() does. NULL with *why on refusal. */
struct xform_doc *xform_parse(const void *data, size_t len, size_t max_size, int max_depth,
                              char **why);
/* The root element as "{namespace}localname" (borrowed). */
const char *xform_doc_root(const struct xform_doc *);
/* SYNTAX_UBL (an Invoice or CreditNote of UBL 2.1), SYNTAX_CII, or -1 (neither). */
int xform_doc_syntax(const struct xform_doc *);
void xform_doc_free(struct xform_doc *);

/* Forget every compiled stylesheet and schema (after SIGHUP: files may have changed);
 * the next use compiles them again. */
void xform_cache_drop(void);
/* xform_cache_drop() and release libxml2's global state (end of program, tests). */
void xform_cleanup(void);

#endif
