/*
 * cdar.h - lifecycle messages: the UN/CEFACT CrossDomainAcknowledgementAndResponse
 * D22B (CDAR) that carries an invoice's status between platforms (XP Z12-012), as
 * a plain-C model, the French code lists (BR-FR-CDV-CL-*) and the BR-FR-CDV rules.
 *
 *   cdar.c        the model, the status and reason lists, cdar_check() (the rules)
 *   xform-cdar.c  the model written as XML (the xform family owns libxml2)
 *
 * The model keeps what the rules look at, with NULL for an element that is absent, so
 * that cdar_check() judges a document as the schematron (BR-FR-CDV V1.4.0) does.
 *
 * Ownership: a `struct cdar` owns every string and array it points to; cdar_free()
 * releases them. Errors: cdar_check() appends to a `struct problems` (check.h);
 * nothing else here fails.
 */
#ifndef CHORUSGW_CDAR_H
#define CHORUSGW_CDAR_H

#include <stddef.h>

struct problems;

/* An identifier with its scheme (GlobalID schemeID="0002", URIID schemeID="0225"). */
struct cdar_id {
	char *id;
	char *scheme; /* NULL: no schemeID */
};

/* A TradePartyType: sender, issuer, recipient (MDG-9.., MDG-35..). */
struct cdar_party {
	struct cdar_id *ids; /* GlobalID, in order */
	size_t nids;
	char *name;
	char *role;         /* RoleCode (BY, SE, WK, DFH...) */
	struct cdar_id uri; /* URIUniversalCommunication/URIID (electronic address) */
};

/* SpecifiedDocumentCharacteristic (MDG-43): an amount of the status. */
struct cdar_char {
	char *type;    /* MDT-207: MEN, MPA, MAPTTC... (BR-FR-CDV-CL-11) */
	char *amount;  /* MDT-215 ValueAmount */
	char *percent; /* MDT-224 ValuePercent (VAT rate, for MEN) */
};

/* SpecifiedDocumentStatus (MDG-37): a reason, an action, amounts. */
struct cdar_detail {
	char *reason_code; /* MDT-113 (BR-FR-CDV-CL-09) */
	char *reason;      /* its text */
	char *status;      /* MDT-115 ProcessConditionCode of the detail */
	char *action;      /* MDT-121 RequestedActionCode (BR-FR-CDV-CL-10) */
	char *seq;         /* MDT-124-2 SequenceNumeric */
	struct cdar_char *chars;
	size_t nchars;
};

/* ReferenceReferencedDocument (MDG-33): the invoice and its status. */
struct cdar_ref {
	char *number;              /* MDT-87 IssuerAssignedID (BT-1) */
	char *status_code;         /* MDT-88 StatusCode (BR-FR-CDV-CL-05) */
	char *type_code;           /* MDT-91 TypeCode (BT-3) */
	char *issue_date;          /* MDG-35 FormattedIssueDateTime, YYYYMMDD (format 102) */
	char *status;              /* MDT-105 ProcessConditionCode: 205, 210... */
	char *status_label;        /* ProcessCondition: "Approuvée" */
	struct cdar_party *issuer; /* the invoice's seller (MDT-129, role SE); NULL: absent */
	struct cdar_party *recipients;
	size_t nrecipients;
	struct cdar_detail *details;
	size_t ndetails;
};

/* AcknowledgementDocument (MDG-31). */
struct cdar_ack {
	int multiple_refs; /* MultipleReferencesIndicator: -1 absent, 0 false, 1 true */
	char *type_code;   /* MDT-77: 23 (processing phase) or 305 (transmission phase) */
	char *issue_time;  /* IssueDateTime, YYYYMMDDHHMMSS (format 204) */
	struct cdar_ref *refs;
	size_t nrefs;
};

struct cdar {
	char *business_process;    /* MDT-2: REGULATED... */
	char *guideline;           /* MDT-3: urn.cpro.gouv.fr:1p0:CDV:invoice */
	char *id;                  /* MDT-4 ExchangedDocument/ID */
	char *name;                /* ExchangedDocument/Name */
	char *issue_time;          /* MDG-4, YYYYMMDDHHMMSS (format 204) */
	struct cdar_party *sender; /* MDG-9; NULL: absent */
	struct cdar_party *issuer; /* MDG-10.. the status's author; NULL: absent */
	struct cdar_party *recipients;
	size_t nrecipients;
	struct cdar_ack *acks;
	size_t nacks;
};

#define CDV_GUIDELINE    "urn.cpro.gouv.fr:1p0:CDV:invoice"
#define CDV_GUIDELINE_F2 "urn.cpro.gouv.fr:1p0:CDV:einvoicingF2"

struct cdar *cdar_new(void);
void cdar_free(struct cdar *);
/* Append an empty element to an array and return it (zeroed). */
struct cdar_party *cdar_add_party(struct cdar_party **v, size_t *n);
struct cdar_id *cdar_add_id(struct cdar_party *, const char *id, const char *scheme);
struct cdar_ack *cdar_add_ack(struct cdar *);
struct cdar_ref *cdar_add_ref(struct cdar_ack *);
struct cdar_detail *cdar_add_detail(struct cdar_ref *);
struct cdar_char *cdar_add_char(struct cdar_detail *);
/* A new party (freed by cdar_free through its owner). */
struct cdar_party *cdar_party_new(void);

/* ---- the vocabulary (XP Z12-012, BR-FR-CDV-CL-06 and CL-09) ---- */

/* Who may say a status on an invoice. */
#define CDV_BY_PLATFORM 0x1 /* a platform (MDT-77 305): 200, 213... */
#define CDV_BY_BUYER    0x2 /* the buyer: 204..208, 210, 211 */
#define CDV_BY_SELLER   0x4 /* the seller: 209, 212 */

struct cdv_status {
	const char *code;  /* "205" */
	const char *label; /* "Approuvée" */
	unsigned by;       /* CDV_BY_* (0: in the list, sent by no one we know of) */
	int reason;        /* 1: a reason code is mandatory (BR-FR-CDV-15) */
	/* the reason codes BR-FR-CDV-CL-09 allows for it (space-separated, surrounded by
	   spaces), or NULL when any code of the list is allowed */
	const char *reasons;
};

/* The status `code` of BR-FR-CDV-CL-06, or NULL. */
const struct cdv_status *cdv_status_find(const char *code);
/* "Approuvée" for "205", or NULL. */
const char *cdv_status_label(const char *code);
/* 1 when `code` is in BR-FR-CDV-CL-09's list of reasons (for `status` when it is not
 * NULL). */
int cdv_reason_ok(const char *code, const char *status);
/* The reasons allowed for `status`, space-separated (borrowed; all codes when the
 * status has no list of its own). */
const char *cdv_reasons_for(const char *status);

/*
 * Apply the BR-FR-CDV rules (V1.4.0, FATAL mode) and BR-FR-04 to `c` as the
 * schematron states them; each failure is appended to *out with the assertion's id
 * as rule ("BR-FR-CDV-15_MDT-113"), SEV_ERROR for the fatal ones, SEV_WARNING for
 * BR-FR-CDV-CL-06. Returns the number of errors added.
 */
size_t cdar_check(const struct cdar *c, struct problems *out);

/* ---- XML (xform-cdar.c) ---- */

/* The CDAR D22B document for `c`, UTF-8, NUL-terminated, *len bytes. Caller frees. */
char *cdar_xml(const struct cdar *c, size_t *len);
/* Read a CDAR document (untrusted bytes, parsed as xform_parse() does, within
 * `max_size` bytes and `max_depth` levels) into *out (caller frees with cdar_free()).
 * Values are trimmed of blanks; an element that is absent stays NULL. 0, or -1 with
 * *why: not XML, hostile, or not a CDAR. */
int cdar_read(const void *data, size_t len, size_t max_size, int max_depth, struct cdar **out,
              char **why);

#endif
