/*
 * rules.h - the rule inventory: every rule of each rule set the pre-flight answers
 * for (EN 16931: the ids of the CEN validation artefacts; BR-FR: those of the French
 * schematrons; UBL and CII), with
 * how chorusgw checks it and where a fix goes. `chorusgw rules` and the page
 * chorusgw-rules(7) print it; tests/cen/agreement.sh and tests/brfr/agreement.sh
 * fail when an id of the artefacts is missing from it.
 *
 * BR-FR, the reform's French rules (check-brfr.c), is the second `struct ruleset`
 * in rulesets[], with its own rows; it applies to the PA route only.
 *
 * What the pre-flight makes and applies on each route is decided here, and only
 * here: route_preflights[] (the syntax version the stylesheets write and the XSD
 * checks, whether Chorus Pro's own rules apply) and each rule set's `routes`.
 */
#ifndef CHORUSGW_RULES_H
#define CHORUSGW_RULES_H

#include <stddef.h>
#include <stdio.h>

enum rule_syntax { RULE_UBL = 1, RULE_CII = 2 };
enum rule_flag { RULE_FATAL = 1, RULE_WARNING }; /* the artefacts' flags */
enum rule_how {
	RULE_MODEL = 1, /* a rule on the invoice model (check.c) */
	RULE_FORBID,    /* an element or attribute that must not be there; `what` is
	                   its path (a leading "/" then "*" for the root, "//"
	                   anywhere, "ram:*Name" any ram element whose name ends
	                   with Name, " | " between alternatives): one walk of the
	                   tree (xform-syntax.c) */
	RULE_NA,        /* does not apply; `what` says why */
	RULE_ASSERT,    /* a test on each element of a context, in the same walk:
	                   `what` is "CONTEXT: TEST", CONTEXT a path as RULE_FORBID's,
	                   TEST "REL <= N", "REL = N", "REL >= N" (how many elements
	                   the relative path REL reaches), "@attr in LIST" / ". in LIST"
	                   (a code list of codelist.h; "@attr?": only when present),
	                   "same", "once", "REL != ../REL2", ". #code# in LIST"
	                   (xform-syntax.c says how; a count's REL may start at
	                   the root, "/..."; a step's predicate may be
	                   "[ancestor::P:NAME]"); several such groups joined by "; " */
};

struct rule {
	const char *id;        /* "BR-CO-10", "UBL-CR-001", ... */
	unsigned char syntax;  /* RULE_UBL | RULE_CII: the syntaxes that have it */
	unsigned char flag;    /* RULE_FATAL: cannot be sent; RULE_WARNING */
	unsigned char how;     /* enum rule_how */
	unsigned char checked; /* 1: the pre-flight checks it, with this id */
	const char *what;      /* RULE_MODEL: the ERP export elements to fix ("" when
	                          the stylesheet writes it); RULE_FORBID: the path;
	                          RULE_ASSERT: context and test; RULE_NA: the reason */
};

enum rule_route { ROUTE_CHORUS = 1, ROUTE_PA = 2 };

/* The pre-flight of one route. */
struct route_preflight {
	unsigned route;   /* ROUTE_CHORUS or ROUTE_PA */
	const char *name; /* "chorus", "pa": the stylesheets' `route` parameter, --route */
	const char *what; /* "Chorus Pro", "the Plateforme Agréée": for messages */
	int cii_d22b;     /* 1: CII is written and validated as D22B (the reform's); 0: D16B */
	int chorus_rules; /* 1: Chorus Pro's own rules (SIRET, cadre, its limits) apply */
};

/* The pre-flight of `route` (ROUTE_*), or NULL when there is no such route. */
const struct route_preflight *route_preflight(unsigned route);
/* The same by name ("chorus", "pa"), or NULL. */
const struct route_preflight *route_preflight_named(const char *name);

struct ruleset {
	const char *name;   /* "EN 16931" */
	const char *source; /* where the ids come from */
	unsigned routes;    /* ROUTE_* it applies to */
	const struct rule *v;
	size_t n;
};

/* Every rule set, NULL-terminated. */
extern const struct ruleset *const rulesets[];
/* The rule set called `name` ("EN 16931", "BR-FR"), or NULL. */
const struct ruleset *ruleset_named(const char *name);

/* The row of `id` for `syntax` (RULE_UBL or RULE_CII) in `set`, or NULL. */
const struct rule *rule_find(const struct ruleset *set, const char *id, int syntax);

/* Print every rule set: one line a row, tab-separated (id, syntaxes, flag, how,
 * what), each set after a "# NAME: ..." line; or, with `mdoc`, the page
 * chorusgw-rules(7). Returns -1 when the stream reports a write error. */
int rules_print(FILE *f, int mdoc);

#endif
