/*
 * xform.h - from an input file to the XML Chorus Pro receives, and the invoice it
 * describes. xform.c is the only module that includes libxml2/libxslt; everything here
 * is plain C.
 *
 * The path of a document: xform_make() parses the input safely (no network, no DTD,
 * no entities, bounded size and depth, UTF-8 checked), recognises what it is (an ERP
 * export, UBL 2.1, CII D16B, or a [map.NAME] input), runs the stylesheet with the
 * documented parameters and parses what it produced; xform_validate() checks that
 * output against the UBL/CII XSD; xform_model() reads the invoice from it for
 * check.c. check_document() (check.h) chains all of it for one document.
 *
 * Ownership: every pointer in a struct filled by these functions belongs to that
 * struct and is released by its *_free() function.
 */
#ifndef CHORUSGW_XFORM_H
#define CHORUSGW_XFORM_H

#include <stddef.h>

struct conf;
struct xform_doc; /* a parsed document (opaque) */

/* ---- what came in ------------------------------------------------------------- */

enum xform_kind {
	XK_UNKNOWN = 0,
	XK_ERP, /* chorusgw ERP export {urn:chorusgw:erp:1}invoice */
	XK_UBL, /* UBL 2.1 Invoice or CreditNote: passed through */
	XK_CII, /* CII D16B CrossIndustryInvoice: passed through */
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
	enum xform_kind kind;
	char *what;       /* "ERP export", "UBL 2.1 Invoice", "[map.acme] input", ... */
	char *map;        /* name of the [map.NAME] section used, or NULL */
	char *stylesheet; /* path of the stylesheet run; NULL for a pass-through */
	int syntax;       /* SYNTAX_UBL or SYNTAX_CII (conf.h) of the output; -1 if none */
	char *xml;        /* the document to deposit, UTF-8, NUL-terminated; NULL if none */
	size_t len;
	char *supplier_siret;     /* SIRET read from the input to choose [supplier.SIRET] */
	struct xform_diags input; /* the input's problems (ERP export vs erp-invoice.xsd) */
	int setup; /* after a failure: 1 when the configuration is at fault (a stylesheet or
	              schema cannot be read or compiled), not the document */
	struct xform_doc *doc; /* `xml` parsed, for xform_validate() and xform_model() */
};

/*
 * Turn `len` bytes (the content of the file called `name`; only its last component
 * is used, for [map.NAME] pattern) into the document Chorus Pro receives, with the
 * limits and settings of `c` ([spool] max_size, [transform] and the [supplier.SIRET]
 * sections; c may be NULL for the defaults). Fills *r (release with
 * xform_result_free(), also after a failure). 0, or -1 with *why one line: the
 * input is refused (not XML, hostile, unknown, invalid ERP export: then r->input
 * lists each problem) or the stylesheet failed.
 */
int xform_make(const void *data, size_t len, const char *name, const struct conf *c,
               struct xform_result *r, char **why);
void xform_result_free(struct xform_result *);

/*
 * Validate r->doc against the UBL 2.1 Invoice/CreditNote or CII D16B schema under
 * [transform] schema_dir; every error goes to *out (caller frees with
 * xform_diags_free). 0 when validated (valid or not: see out->n), 1 when schema_dir
 * is empty (not validated), -1 with *why when the schemas cannot be loaded.
 */
int xform_validate(const struct xform_result *r, const struct conf *c, struct xform_diags *out,
                   char **why);

/* ---- the invoice model ---------------------------------------------------------- */

/* A value read from the generated document, and where it came from. */
struct inv_value {
	char *text; /* content, blanks trimmed; NULL when the element is absent */
	char *attr; /* its qualifier: schemeID (identifiers), unitCode (quantities),
	               currencyID (amounts), format (CII dates); NULL if none */
	char *path; /* element path from the root; when absent, where it would be */
	int line;   /* line in the generated document; 0 when absent */
};

struct inv_party {
	struct inv_value siret;    /* BT-29 / BT-46, attr = scheme; see HACKING.md */
	struct inv_value legal_id; /* BT-30 / BT-47 (SIREN, or SIRET), attr = scheme */
	struct inv_value vat_id;   /* BT-31 / BT-48 */
	struct inv_value name;     /* BT-27 / BT-44 */
	struct inv_value country;  /* BT-40 / BT-55 */
};

/* An allowance or a charge, on a line (BG-27/28) or the document (BG-20/21). */
struct inv_ac {
	int charge;                              /* 1 charge, 0 allowance (from indicator) */
	struct inv_value indicator;              /* ChargeIndicator as written */
	struct inv_value amount;                 /* BT-92/99/136/141 */
	struct inv_value base_amount;            /* BT-93/100/137/142 */
	struct inv_value percent;                /* BT-94/101/138/143 */
	struct inv_value reason;                 /* BT-97/104/139/144 */
	struct inv_value reason_code;            /* BT-98/105/140/145 */
	struct inv_value vat_category, vat_rate; /* BT-95/96, BT-102/103 (document level) */
};

struct inv_line {
	char *path; /* the line element */
	int line;
	struct inv_value id;            /* BT-126 */
	struct inv_value quantity;      /* BT-129, attr = unit BT-130 */
	struct inv_value net_amount;    /* BT-131 */
	struct inv_value price;         /* BT-146 */
	struct inv_value base_quantity; /* BT-149 */
	struct inv_value vat_category;  /* BT-151 */
	struct inv_value vat_rate;      /* BT-152 */
	struct inv_ac *acs;
	size_t nacs;
};

/* A VAT breakdown (BG-23). */
struct inv_vat {
	char *path;
	int line;
	struct inv_value category;         /* BT-118 */
	struct inv_value rate;             /* BT-119 */
	struct inv_value taxable;          /* BT-116 */
	struct inv_value tax;              /* BT-117 */
	struct inv_value exemption_reason; /* BT-120 */
	struct inv_value exemption_code;   /* BT-121 */
};

/* A supporting document (BG-24). */
struct inv_attachment {
	char *path;
	int line;
	struct inv_value id;       /* BT-122 */
	struct inv_value uri;      /* BT-124, external location */
	struct inv_value mime;     /* mimeCode of BT-125; text NULL when nothing embedded */
	struct inv_value filename; /* BT-125-2 */
	size_t content_len;        /* characters of embedded (base64) content; 0 when none */
};

struct inv_payment {
	struct inv_value code; /* BT-81 */
	struct inv_value iban; /* BT-84 */
	struct inv_value bic;  /* BT-86 */
};

struct invoice {
	int syntax;          /* SYNTAX_UBL or SYNTAX_CII */
	int ubl_credit_note; /* a UBL CreditNote document */
	int generated;       /* made by a stylesheet (ERP export, [map]), not passed through */
	char *root;          /* "Invoice", "CreditNote", "rsm:CrossIndustryInvoice" */

	struct inv_value number;                           /* BT-1 */
	struct inv_value type_code;                        /* BT-3 */
	struct inv_value issue_date;                       /* BT-2 (CII: attr = format) */
	struct inv_value due_date;                         /* BT-9 */
	struct inv_value currency;                         /* BT-5 */
	struct inv_value tax_currency;                     /* BT-6 */
	struct inv_value cadre;                            /* BT-23, cadre de facturation */
	struct inv_value customization;                    /* BT-24 */
	struct inv_value service_code;                     /* BT-10, code service exécutant */
	struct inv_value engagement;                       /* BT-13, engagement juridique */
	struct inv_value contract;                         /* BT-12, numéro de marché */
	struct inv_value preceding_number, preceding_date; /* BT-25, BT-26 */
	struct inv_value payment_terms;                    /* BT-20 */
	struct inv_value delivery_country;                 /* BT-80 */

	struct inv_party supplier, buyer;

	struct inv_payment *payments;
	size_t npayments;
	struct inv_line *lines;
	size_t nlines;
	struct inv_ac *acs; /* document level */
	size_t nacs;
	struct inv_vat *vats;
	size_t nvats;
	struct inv_attachment *attachments;
	size_t nattachments;

	struct inv_value line_total;      /* BT-106 */
	struct inv_value allowance_total; /* BT-107 */
	struct inv_value charge_total;    /* BT-108 */
	struct inv_value tax_exclusive;   /* BT-109 */
	struct inv_value tax_total;       /* BT-110 (in the invoice currency) */
	struct inv_value tax_inclusive;   /* BT-112 */
	struct inv_value prepaid;         /* BT-113 */
	struct inv_value rounding;        /* BT-114 */
	struct inv_value payable;         /* BT-115 */
};

/* Read the invoice from r->doc (UBL or CII). Never NULL when r->doc is set; what is
 * absent has text == NULL. Free with invoice_free(). */
struct invoice *xform_model(const struct xform_result *r);
void invoice_free(struct invoice *);
/* Replace v->text by a copy of `text` (NULL: absent); for tests and fix-ups. */
void inv_value_set(struct inv_value *v, const char *text);

/* ---- lower level, for tests and the fuzzer ------------------------------------ */

/* Parse untrusted bytes the way xform_make() does. NULL with *why on refusal. */
struct xform_doc *xform_parse(const void *data, size_t len, size_t max_size, int max_depth,
                              char **why);
/* The root element as "{namespace}localname" (borrowed). */
const char *xform_doc_root(const struct xform_doc *);
void xform_doc_free(struct xform_doc *);

/* Forget every compiled stylesheet and schema (after SIGHUP: files may have changed);
 * the next use compiles them again. */
void xform_cache_drop(void);
/* xform_cache_drop() and release libxml2's global state (end of program, tests). */
void xform_cleanup(void);

#endif
