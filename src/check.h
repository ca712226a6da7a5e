/*
 * check.h - the pre-flight: rules on the invoice model (invoice.h), each problem with
 * a message in the words of the domain (element path, value, rule, fix), and
 * check_document(), the whole path of one document (xform_make, XSD, model, rules,
 * verdict) that the gateway and `chorusgw validate` call.
 *
 * The buyer's requirements (Chorus Pro's Structures API: does the structure exist, is
 * it active, does it require a service code or an engagement number) are judged here
 * too, by preflight_buyer(), from what the route's transport asked the platform:
 * every verdict is built in this module. Not here: the local duplicate index (the
 * gateway's).
 *
 * Ownership: a struct problems / struct preflight owns its strings and is released by
 * problems_free() / preflight_free(). Errors: check_document() returns 0/-1 with *why.
 */
#ifndef CHORUSGW_CHECK_H
#define CHORUSGW_CHECK_H

#include <stddef.h>
#include <time.h>

#include "codelist.h"
#include "invoice.h"
#include "rules.h"
#include "xform.h"

struct conf;

enum problem_sev { SEV_WARNING = 1, SEV_ERROR = 2 };

struct problem {
	enum problem_sev sev; /* SEV_ERROR: cannot be sent */
	char *rule;           /* "SIRET", "BR-CO-10", "XSD", "ERP-XSD", "INPUT", ... */
	int chorus;           /* 1: a Chorus Pro rule, not EN 16931's nor the schema's */
	char *path;           /* element path from the root, or NULL */
	int line;             /* line in the document; 0 when unknown */
	char *value;          /* the offending value, or NULL */
	/* The whole message, one line:
	 * [line N: ]PATH "VALUE": what is wrong (rule RULE); what to do */
	char *text;
};

struct problems {
	struct problem *v;
	size_t n;
	size_t nerrors, nwarnings;
};

/* Append a problem; path and value may be NULL, line 0. what/fix are plain text. */
void problems_add(struct problems *, enum problem_sev, const char *rule, int chorus,
                  const char *path, int line, const char *value, const char *what, const char *fix);
void problems_free(struct problems *);

/*
 * Apply every pre-flight rule to `inv` and append what is wrong to *out. `now` is
 * the moment the invoice would be deposited (0: now), for "issue date not in the
 * future". Returns the number of errors added.
 */
size_t check_invoice(const struct invoice *inv, time_t now, struct problems *out);

enum preflight_verdict {
	PF_OK = 0, /* can be sent (warnings allowed) */
	PF_REJECT, /* cannot be sent: the document is wrong (problems say why) */
	PF_SETUP,  /* cannot be judged: a stylesheet or schema of the configuration is
	              missing or broken; the document is not at fault */
};

/* Everything the pre-flight learnt about one document. */
struct preflight {
	enum preflight_verdict verdict;
	struct xform_result x;    /* what came in, what will be sent (x.xml, x.len, x.syntax) */
	struct invoice *inv;      /* the model of x.xml; NULL when no document was made */
	struct problems problems; /* errors and warnings, in document order per stage */
	int xsd_checked;          /* 1 when the XSD validation ran */
};

/*
 * The whole pre-flight of one input file: `len` bytes of the file called `name`,
 * with the configuration `c` (NULL: defaults), for `route` (rules.h ROUTE_*: what is
 * made and which rules apply is route_preflight()'s; ROUTE_PA adds BR-FR and leaves
 * out Chorus Pro's own rules). Fills *pf (release with
 * preflight_free(), also after a failure). 0 when the document can be sent
 * (pf->verdict == PF_OK); -1 otherwise, with *why one line: the first error and how
 * many more (PF_REJECT), or what is wrong with the set-up (PF_SETUP).
 */
int check_document(const void *data, size_t len, const char *name, const struct conf *c,
                   unsigned route, time_t now, struct preflight *pf, char **why);
void preflight_free(struct preflight *);

/* ---- the buyer's requirements ---------------------------------------------------- */

/* One service of the buyer's structure. */
struct buyer_service {
	char *code; /* code service exécutant */
	int active;
	/* the service's own requirement of an engagement number (BT-13), which its
	 * structure may not have; only read when it matters (an invoice without one) */
	int engagement_required;
	/* for invoices between public structures only (Chorus Pro's pseudo-service
	 * FACTURES_PUBLIQUES): never offered to a supplier in an advice */
	int public_only;
};

/*
 * What the buyer's structure requires, as the platform says (for Chorus Pro, [chorus]
 * check_structures: the Structures API). The transport of the document's route fills
 * it from the platform's answer (transport-chorus.c), so that this module needs no
 * platform type. It owns its strings and services: buyer_req_free().
 */
struct buyer_req {
	int found;                 /* the buyer SIRET is a structure of the platform */
	char *name;                /* the structure's name, or NULL */
	char *status;              /* "ACTIVE", "INACTIVE"...; NULL when not given */
	int service_required;      /* a service code (BT-10) is mandatory */
	int engagement_required;   /* an engagement number (BT-13) is mandatory */
	int service_or_engagement; /* one of the two is mandatory */
	struct buyer_service *services;
	size_t nservices;
};
/* Release a buyer_req allocated with malloc and everything it holds (NULL is fine). */
void buyer_req_free(struct buyer_req *);

/*
 * The buyer check of a document the pre-flight accepted (pf->inv set): what pf->inv
 * carries against what the buyer requires. Each problem (rules BUYER,
 * BUYER-SERVICE, BUYER-ENGAGEMENT, BUYER-SERVICE-OR-ENGAGEMENT) is appended to
 * pf->problems, and pf->verdict becomes PF_REJECT when there is one. Returns the
 * number of errors added.
 */
size_t preflight_buyer(struct preflight *pf, const struct buyer_req *req);

/* Eight characters YYYYMMDD that are digits and a real date (any year): the date as
 * the integer YYYYMMDD, else -1. The calendar of check.c's and check-brfr.c's dates. */
long check_ymd(const char *digits);

#endif
