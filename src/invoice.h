/*
 * invoice.h - the invoice model: what the pre-flight (check.c) judges and the gateway
 * reads (numbers, SIRETs), in plain C. xform-model.c fills it from a UBL 2.1 or CII
 * D16B / D22B document (xform_model(), xform.h); nothing here needs the XML library.
 *
 * Every value keeps where it came from (element path, line), so that a problem names
 * the element to fix. Ownership: a struct invoice owns every string and array it
 * points to; invoice_free() releases them all.
 */
#ifndef CHORUSGW_INVOICE_H
#define CHORUSGW_INVOICE_H

#include <stddef.h>

/* A value read from the generated document, and where it came from. */
struct inv_value {
	char *text; /* content, blanks trimmed; NULL when the element is absent */
	char *attr; /* its qualifier: schemeID (identifiers), unitCode (quantities),
	               currencyID (amounts), format (CII dates); NULL if none */
	char *path; /* element path from the root; when absent, where it would be */
	int line;   /* line in the generated document; 0 when absent */
	int padded; /* the text as written had blanks around it: PAD_LEAD, PAD_TRAIL (the
	               BR-FR schematrons compare most codes as written, "X" != " X") */
};

enum { PAD_LEAD = 1, PAD_TRAIL = 2 };

struct inv_party {
	struct inv_value siret;      /* BT-29 / BT-46, attr = scheme; see HACKING.md */
	struct inv_value legal_id;   /* BT-30 / BT-47 (SIREN, or SIRET), attr = scheme */
	struct inv_value vat_id;     /* BT-31 / BT-48 */
	struct inv_value tax_reg_id; /* BT-32 (seller): a tax id other than VAT */
	struct inv_value name;       /* BT-27 / BT-44 */
	struct inv_value country;    /* BT-40 / BT-55 */
	int present;                 /* the party's element is there */
	int any_id;                  /* an identifier (BT-29 / BT-46) of any scheme but SEPA */
	int address;                 /* its postal address (BG-5 / BG-8) is there */
	struct inv_value siren;      /* BT-30 / BT-47 under scheme 0002 only (BR-FR) */
	struct inv_value endpoint;   /* BT-34 / BT-49 electronic address, attr = scheme */
	size_t endpoints;            /* how many (UBL cbc:EndpointID, CII every
	                                ram:URIUniversalCommunication/ram:URIID) */
	struct inv_value *ids;       /* every identifier (UBL PartyIdentification/cbc:ID, CII
	                                GlobalID), attr = scheme, in order (BR-FR) */
	size_t nids;
	struct inv_value *legal_ids; /* every legal id (UBL PartyLegalEntity/cbc:CompanyID, CII
	                                SpecifiedLegalOrganization/ram:ID), attr = scheme */
	size_t nlegal_ids;
	size_t legal_entities;     /* UBL cac:PartyLegalEntity, CII SpecifiedLegalOrganization */
	struct inv_value *vat_ids; /* every VAT identifier: UBL each cac:PartyTaxScheme whose
	                              scheme is VAT, its cbc:CompanyID; CII every
	                              ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']
	                              (BR-CO-09, BR-CO-26) */
	size_t nvat_ids;
	struct inv_value *names; /* UBL every cac:PartyName/cbc:Name (BT-28, a payee's BT-59),
	                            CII every ram:Name (BR-17) */
	size_t nnames;
	struct inv_value *cii_ids; /* CII every ram:ID (BR-17) */
	size_t ncii_ids;
	int holder;       /* UBL: its cac:AccountingSupplierParty (or Customer) is there, with or
	                     without cac:Party; CII: as present (BR-CO-26) */
	const char *role; /* the other parties (struct invoice's others): "payee (BT-60)"... */
	int delivery;     /* 1: the delivery party (BT-71), 2: a line's (EXT-FR-FE-146); UBL:
	                     its ids are the delivery location's cbc:ID */
};

/* The SIREN of a party: its electronic address under scheme 0225 (SIREN[_...]), else
 * its legal registration id (BT-30 / BT-47, a SIREN, or a SIRET's first 9 digits),
 * else its SIRET's first 9 digits; NULL when none. Written in `buf`. */
const char *invoice_party_siren(const struct inv_party *, char buf[10]);

/* Which elements of an invoicing period (BG-14, a line's BG-26) are there: the CEN
 * artefacts test the elements, whatever their content (BR-CO-19, BR-CO-20). */
enum inv_period {
	PERIOD_THERE = 1,  /* UBL cac:InvoicePeriod, CII ram:BillingSpecifiedPeriod */
	PERIOD_START = 2,  /* UBL cbc:StartDate, CII ram:StartDateTime */
	PERIOD_END = 4,    /* UBL cbc:EndDate, CII ram:EndDateTime */
	PERIOD_CODE = 8,   /* UBL cbc:DescriptionCode (BT-8) */
	PERIOD_CHILD = 16, /* UBL: any child element (BR-IC-11 reads any cac:InvoicePeriod child) */
};

/* A UBL cac:InvoicePeriod after the first, in the header or on a line: UBL-SR-08 and
 * UBL-SR-36 allow one, but the CEN rules on a period (BR-29, BR-30, BR-CO-19, BR-CO-20,
 * BR-CO-03) read every one. */
struct inv_span {
	unsigned parts;              /* enum inv_period */
	struct inv_value start, end; /* cbc:StartDate, cbc:EndDate */
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
	size_t vat_codes, vat_rates; /* CII: the most ram:CategoryCode, ram:RateApplicablePercent
	                                in one of its ram:CategoryTradeTax (BR-FR-15, 16) */
	int vat_not_vat; /* UBL: its cac:TaxCategory's tax scheme is not VAT, or absent */
};

/* A reference to an earlier invoice: BG-3 in the header (UBL cac:BillingReference,
 * CII ram:InvoiceReferencedDocument), or on a line (EXT-FR-FE-136 to 138). */
struct inv_ref {
	struct inv_value number;    /* BT-25 */
	struct inv_value date;      /* BT-26 */
	struct inv_value type_code; /* EXT-FR-FE-02 / 137: the earlier invoice's type */
	struct inv_value status;    /* UBL: cbc:DocumentStatusCode (DETAIL...) */
	struct inv_value parent;    /* UBL: cac:BillingReferenceLine/cbc:ID (EXT-FR-FE-162) */
};

/* A reference to another document in the header (UBL cac:AdditionalDocumentReference,
 * CII ram:AdditionalReferencedDocument) whatever its type: the supporting documents
 * (BG-24) and the others (invoiced object, tender...); or on a line (UBL
 * cac:DocumentReference, CII the line settlement's ram:AdditionalReferencedDocument). */
struct inv_docref {
	struct inv_value id;          /* attr = schemeID (UBL: AFL, AVV...) */
	struct inv_value type_code;   /* UBL cbc:DocumentTypeCode, CII ram:TypeCode */
	struct inv_value ref_type;    /* CII ram:ReferenceTypeCode (AFL, AVV...) */
	struct inv_value description; /* BT-123: UBL cbc:DocumentDescription, CII ram:Name */
	size_t descriptions;          /* how many (UBL may repeat cbc:DocumentDescription) */
	struct inv_value date;        /* UBL cbc:IssueDate */
	size_t issuer_pos; /* a CII line's: its IssuerAssignedID in the line's issuer_ids */
};

/* An item attribute (BG-32): CII ram:ApplicableProductCharacteristic, UBL
 * cac:AdditionalItemProperty. */
struct inv_item_attr {
	struct inv_value name;    /* BT-160: CII ram:Description, UBL cbc:Name */
	struct inv_value code;    /* CII ram:TypeCode, UBL cbc:NameCode */
	struct inv_value value;   /* BT-161: ram:Value, cbc:Value */
	struct inv_value measure; /* ram:ValueMeasure, cbc:ValueQuantity; attr = unitCode */
};

struct inv_line {
	char *path; /* the line element */
	int line;
	struct inv_value id;                       /* BT-126 */
	struct inv_value quantity;                 /* BT-129, attr = unit BT-130 */
	struct inv_value net_amount;               /* BT-131 */
	struct inv_value name;                     /* BT-153 */
	struct inv_value price;                    /* BT-146 */
	struct inv_value base_quantity;            /* BT-149 */
	struct inv_value gross_price;              /* BT-148 */
	struct inv_value price_discount;           /* BT-147 */
	struct inv_value vat_category;             /* BT-151 */
	struct inv_value vat_rate;                 /* BT-152 */
	size_t vat_codes, vat_rates;               /* CII: the most ram:CategoryCode,
	                                              ram:RateApplicablePercent in one of its
	                                              ram:ApplicableTradeTax (BR-FR-15, 16) */
	struct inv_value period_start, period_end; /* BT-134, BT-135 */
	unsigned period;                           /* BG-26's elements, enum inv_period */
	struct inv_span *more_periods;             /* UBL: its other cac:InvoicePeriod */
	size_t nmore_periods;
	struct inv_value delivery_date; /* EXT-FR-FE-158 */
	struct inv_docref *docrefs;     /* UBL: cac:DocumentReference */
	size_t ndocrefs;
	struct inv_item_attr *attrs;
	size_t nattrs;
	struct inv_value status; /* CII: LineStatusReasonCode (DETAIL, GROUP...) */
	struct inv_ref *refs;    /* earlier invoices (EXT-FR-FE-136 to 138) */
	size_t nrefs;
	struct inv_ac *acs;
	size_t nacs;
	/* the sub-invoices of billing modes B8, S8, M8 and B9, S9, M9 (BR-FR-MV, BR-FR-BD):
	 * UBL gives a line's sub-type and parent in its cac:BillingReference to this very
	 * invoice (refs), CII in status and parent */
	struct inv_value parent;         /* CII: ParentLineID (EXT-FR-FE-162) */
	struct inv_value seller_name;    /* EXT-FR-FE-164: UBL cac:Item/cac:ManufacturerParty,
	                                    CII ItemSellerTradeParty */
	struct inv_value seller_country; /* EXT-FR-FE-177 */
	struct inv_value *seller_ids;    /* EXT-FR-FE-167, every legal id of the line's seller */
	size_t nseller_ids;
	struct inv_value *tax_totals; /* EXT-FR-FE-181, 182: the line's VAT totals,
	                                 attr = currencyID */
	size_t ntax_totals;
	struct inv_value tax_inclusive;    /* EXT-FR-FE-184: CII GrandTotalAmount */
	struct inv_value exemption_reason; /* the line's VAT exemption reason */
	struct inv_value *issuer_ids;      /* CII: every ram:IssuerAssignedID below the line, in
	                                      document order (BR-FR-MV-12 reads them all) */
	size_t nissuer_ids;
	struct inv_value *vat_ids; /* BR-CO-09 on the line's parties: UBL its item's
	                              manufacturers' (struct inv_party's vat_ids), CII every
	                              ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']
	                              below it but its ship-to party's (one of `others`) */
	size_t nvat_ids;
	int vat_not_vat; /* UBL: the category's cac:TaxScheme is not VAT, or absent: the CEN
	                    artefacts see no VAT category (BR-CO-04, BR-47) */
};

/* A VAT breakdown (BG-23). */
struct inv_vat {
	char *path;
	int line;
	struct inv_value category;         /* BT-118 */
	struct inv_value rate;             /* BT-119 */
	size_t vat_codes, vat_rates;       /* CII: how many ram:CategoryCode,
	                                      ram:RateApplicablePercent (BR-FR-15, 16) */
	struct inv_value taxable;          /* BT-116 */
	struct inv_value tax;              /* BT-117 */
	struct inv_value exemption_reason; /* BT-120 */
	struct inv_value exemption_code;   /* BT-121 */
	struct inv_value tax_point_date;   /* BT-7, CII (UBL: struct invoice's) */
	struct inv_value scheme;           /* UBL cac:TaxScheme/cbc:ID, CII ram:TypeCode (VAT) */
	int vat_not_vat; /* UBL: its cac:TaxCategory's tax scheme is not VAT, or absent */
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

/* An invoice note (BG-1). UBL has no subject element: the reform writes the
 * subject code inside the text, "#PMT#..." (XP Z12-012). */
struct inv_note {
	struct inv_value subject;        /* BT-21; UBL: the code between the leading '#'s */
	struct inv_value content;        /* BT-22; UBL: cbc:Note as written, subject included */
	struct inv_value *more_subjects; /* CII: its other ram:SubjectCode, after the first:
	                                    the rules' [ram:SubjectCode = 'X'] takes the note
	                                    for any of them */
	size_t nmore_subjects;
	size_t contents; /* CII: how many ram:Content (BR-FR-20 reads one) */
};

struct inv_payment {
	struct inv_value code;     /* BT-81 */
	struct inv_value iban;     /* BT-84 */
	struct inv_value bic;      /* BT-86 */
	struct inv_value due_date; /* UBL cbc:PaymentDueDate (a credit note's BT-9) */
	struct inv_value pan;      /* BT-87, the card number's digits shown */
	int cii_account;           /* CII: 1 ram:PayeePartyCreditorFinancialAccount is there, 2 with
	                              ram:IBANID or ram:ProprietaryID (BR-61's context and test) */
};

struct invoice {
	int syntax;          /* SYNTAX_UBL or SYNTAX_CII */
	int ubl_credit_note; /* a UBL CreditNote document */
	int generated;       /* made by a stylesheet (ERP export, [map]), not passed through */
	char *root;          /* "Invoice", "CreditNote", "rsm:CrossIndustryInvoice" */

	struct inv_value number;                           /* BT-1 */
	struct inv_value type_code;                        /* BT-3 */
	struct inv_value issue_date;                       /* BT-2 (CII: attr = format) */
	size_t issue_dates;                                /* CII: how many (BR-FR-CO-07) */
	struct inv_value due_date;                         /* BT-9 */
	struct inv_value currency;                         /* BT-5 */
	struct inv_value tax_currency;                     /* BT-6 */
	struct inv_value cadre;                            /* BT-23, cadre de facturation */
	size_t cadres;                                     /* how many (BR-FR-08 reads one) */
	struct inv_value customization;                    /* BT-24 */
	struct inv_value service_code;                     /* BT-10, code service exécutant */
	struct inv_value engagement;                       /* BT-13, engagement juridique */
	struct inv_value contract;                         /* BT-12, numéro de marché */
	struct inv_value preceding_number, preceding_date; /* BT-25, BT-26 (the first) */
	struct inv_value tax_point_date;                   /* BT-7, UBL */
	struct inv_value payment_terms;                    /* BT-20 */
	struct inv_value delivery_country;                 /* BT-80 */
	struct inv_value delivery_date;                    /* BT-72 */
	struct inv_value period_start, period_end;         /* BT-73, BT-74 */
	unsigned period;                                   /* BG-14's elements, enum inv_period */
	struct inv_span *more_periods; /* UBL: the header's other cac:InvoicePeriod */
	size_t nmore_periods;
	/* CII: a ram:TaxPointDate (BT-7), a ram:DueDateTypeCode (BT-8) in any tax element
	   (the header's, a line's, an allowance's or charge's), and a header VAT breakdown
	   that is not of category L, M or O under TypeCode VAT (BR-CO-03's context) */
	int tax_point_any, due_code_any, vat_co03;
	struct inv_value tax_rep_vat_id;   /* BT-63 */
	struct inv_value tax_rep_name;     /* BT-62 */
	struct inv_value tax_rep_tax_id;   /* UBL: the tax representative's first
	                                      cac:PartyTaxScheme/cbc:CompanyID, any scheme */
	int tax_rep, tax_rep_address;      /* the tax representative (BG-11), its address (BG-12) */
	struct inv_value *tax_rep_vat_ids; /* its every VAT identifier, as inv_party's vat_ids */
	size_t ntax_rep_vat_ids;
	size_t tax_rep_co15_ids; /* the ids BR-FR-CO-15 reads as one: UBL every
	                            cac:PartyTaxScheme/cbc:CompanyID, CII the VA ones */
	/* BR-FR-32: every identifier under scheme 0002 or 0231 (UBL
	 * cac:PartyIdentification/cbc:ID, CII ram:GlobalID, a product's too) and every legal
	 * id under scheme 0002 (UBL cac:PartyLegalEntity/cbc:CompanyID, CII
	 * ram:SpecifiedLegalOrganization/ram:ID) anywhere in the document, attr = scheme */
	struct inv_value *siren_ids, *siren_legal_ids;
	size_t nsiren_ids, nsiren_legal_ids;
	/* BR-CO-09: every VAT identifier anywhere in the document (UBL each
	 * cac:PartyTaxScheme's of scheme VAT, CII each ram:SpecifiedTaxRegistration/ram:ID
	 * of scheme VA), the parties' the model reads by role too */
	struct inv_value *vat_ids;
	size_t nvat_ids;
	/* every BT-9 element the BR-FR schematrons read: UBL each cbc:DueDate, CII each
	 * ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString */
	struct inv_value *due_dates;
	size_t ndue_dates;

	struct inv_party supplier, buyer;
	struct inv_party *others; /* payee, agents, invoicer, invoicee, delivery (BR-FR) */
	size_t nothers;
	struct inv_ref *preceding; /* every earlier invoice referred to (BG-3) */
	size_t npreceding;
	struct inv_docref *docrefs;
	size_t ndocrefs;

	struct inv_payment *payments;
	size_t npayments;
	struct inv_line *lines;
	size_t nlines;
	struct inv_ac *acs; /* document level */
	size_t nacs;
	struct inv_vat *vats; /* the VAT breakdowns (BG-23): UBL, the cac:TaxTotal's in the
	                         document currency; then (not counted in nvats) the other
	                         cac:TaxTotal's, which only rules that read them all see */
	size_t nvats, nvats_other;
	struct inv_attachment *attachments;
	size_t nattachments;
	struct inv_note *notes;
	size_t nnotes;

	int totals;                       /* the document totals' element (BG-22) is there */
	struct inv_value line_total;      /* BT-106 */
	struct inv_value allowance_total; /* BT-107 */
	struct inv_value charge_total;    /* BT-108 */
	struct inv_value tax_exclusive;   /* BT-109 */
	struct inv_value tax_total;       /* BT-110 (in the invoice currency) */
	struct inv_value tax_total_acc;   /* BT-111 (in BT-6), the first amount in BT-6 */
	int ntax_totals_cur;              /* VAT totals whose currencyID is BT-5 (BR-CO-15) */
	struct inv_value tax_inclusive;   /* BT-112 */
	struct inv_value prepaid;         /* BT-113 */
	struct inv_value rounding;        /* BT-114 */
	struct inv_value payable;         /* BT-115 */
};

/* Release an invoice and everything it holds (NULL is fine). */
void invoice_free(struct invoice *);
/* YYYY-MM-DD of an invoice date (UBL's as it is, CII's format 102 YYYYMMDD), or NULL.
 * Caller frees. */
char *invoice_iso_date(const char *);
/* The distinct rates of the VAT breakdown, in order, space-separated ("20 5.5"), or NULL
 * when it has none. Caller frees. */
char *invoice_vat_rates(const struct invoice *);
/* Replace v->text by a copy of `text` (NULL: absent); for tests and fix-ups. */
void inv_value_set(struct inv_value *v, const char *text);
/* An allowance or charge indicator as the CEN artefacts' XPath compares it with true()
 * and false(): 1 (true, 1), 0 (false, 0), or -1 (absent or another text: neither). */
int inv_ac_indicator(const struct inv_ac *);
/* Release what v holds and zero it (the value becomes absent, with no path). */
void inv_value_free(struct inv_value *v);
/* XPath's v = 'S' on an element as written, blanks around it included: its text is s
 * and it has none. */
int inv_value_is(const struct inv_value *v, const char *s);
/* XPath's a = b on two elements as written: the same text, with blanks on the same
 * sides (the model keeps where a text had blanks, not which: told apart by where). */
int inv_value_same(const struct inv_value *a, const struct inv_value *b);

/* Chorus Pro's supplier identifier types (typeIdentifiantFournisseur) chorusgw sends
 * for, by their code: a SIRET, or a supplier without one (chorusgw-erp(5)). */
enum chorus_id_type {
	CHORUS_ID_NONE = 0,
	CHORUS_ID_SIRET = 1,
	CHORUS_ID_EU = 2,
	CHORUS_ID_NON_EU = 3
};

/* "SIRET", "UE_HORS_FRANCE", "HORS_UE"; NULL for CHORUS_ID_NONE. */
const char *chorus_id_type_name(enum chorus_id_type);

/* The supplier's identifier where Chorus Pro reads it (UBL its first
 * cac:PartyIdentification/cbc:ID, CII ram:SpecifiedLegalOrganization/ram:ID), attr =
 * scheme; NULL when there is none, or when it is under a SIRET's scheme (0009, 1). */
const struct inv_value *invoice_supplier_id(const struct invoice *);

/* Its type: SIRET when the model read one; for another identifier, the type its scheme
 * gives under Chorus Pro's own numbering ("2", "3"), else the supplier's country's: a
 * member state of the EU but France, CHORUS_ID_EU, another country CHORUS_ID_NON_EU;
 * CHORUS_ID_NONE without identifier, or in France, or without country. */
enum chorus_id_type invoice_supplier_id_type(const struct invoice *);

#endif
