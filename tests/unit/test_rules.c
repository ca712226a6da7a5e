/* Unit tests of rules.c: the rule tables (EN 16931, BR-FR) are well formed, lookups find the row of
 * the right syntax, the listing and the page print every row, and each route has its pre-flight. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "tap.h"

/* Has s[0..len) a blank outside the predicates "[...]", or unbalanced brackets? */
static int
blank_outside(const char *s, size_t len)
{
	size_t i;
	int depth = 0;
	for (i = 0; i < len; i++) {
		depth += s[i] == '[' ? 1 : s[i] == ']' ? -1 : 0;
		if (depth < 0 || (s[i] == ' ' && depth == 0))
			return 1;
	}
	return depth != 0;
}

/* A RULE_FORBID path: alternatives joined by " | ", each from the root ("/") or
 * anywhere ("//"), steps "prefix:Name" or "prefix:*Suffix" with predicates "[...]",
 * an optional last "@attr". */
static int
path_ok(const char *what)
{
	const char *s = what;
	for (;;) {
		const char *end = strstr(s, " | ");
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len < 2 || s[0] != '/' || blank_outside(s, len) || s[len - 1] == '/')
			return 0;
		if (!end)
			return 1;
		s = end + 3;
	}
}

int
main(void)
{
	const struct ruleset *const *set;
	const struct rule *r;
	size_t i, j, bad_shape = 0, dup = 0, nforbid = 0, nrows = 0, nsets = 0;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	for (set = rulesets; *set; set++) {
		nsets++;
		ok((*set)->n > 0 && (*set)->name && (*set)->source && (*set)->routes,
		   "%s: a named, non-empty rule set", (*set)->name);
		for (i = 0; i < (*set)->n; i++) {
			r = &(*set)->v[i];
			nrows++;
			if (!r->id || !*r->id || !r->syntax ||
			    (r->syntax & ~(RULE_UBL | RULE_CII)) ||
			    (r->flag != RULE_FATAL && r->flag != RULE_WARNING) || !r->what ||
			    (r->how == RULE_NA && !*r->what) || (r->how == RULE_NA && r->checked) ||
			    (r->how == RULE_FORBID && !path_ok(r->what)) ||
			    (r->how == RULE_ASSERT &&
			     (r->what[0] != '/' || !strstr(r->what, ": ")))) {
				bad_shape++;
				printf("#   malformed row %s\n", r->id ? r->id : "(null)");
			}
			nforbid += r->how == RULE_FORBID;
			for (j = 0; j < i; j++)
				if (strcmp((*set)->v[j].id, r->id) == 0 &&
				    ((*set)->v[j].syntax & r->syntax)) {
					dup++;
					printf("#   %s twice for one syntax\n", r->id);
				}
		}
	}
	is_int(bad_shape, 0, "every row has an id, syntaxes, a flag, and a path or reason");
	is_int(dup, 0, "an id has one row per syntax");
	ok(nforbid > 1000, "the forbidding rows are in the table (%zu)", nforbid);

	/* BR-51 is a warning in UBL and fatal in CII: one row each. */
	r = rule_find(rulesets[0], "BR-51", RULE_UBL);
	ok(r && r->flag == RULE_WARNING, "BR-51 in UBL is a warning");
	r = rule_find(rulesets[0], "BR-51", RULE_CII);
	ok(r && r->flag == RULE_FATAL, "BR-51 in CII is fatal");
	ok(rule_find(rulesets[0], "UBL-CR-001", RULE_CII) == NULL, "UBL-CR-001 is not a CII rule");
	ok(rule_find(rulesets[0], "BR-S-02", RULE_UBL | RULE_CII) != NULL, "BR-S-02 is listed");
	ok(rule_find(rulesets[0], "BR-XX-99", RULE_UBL) == NULL, "an unknown id is not found");
	ok(ruleset_named("EN 16931") == rulesets[0] && ruleset_named("XX") == NULL,
	   "a rule set found by name");
	ok(ruleset_named("BR-FR") && ruleset_named("BR-FR")->routes == ROUTE_PA &&
	       rule_find(ruleset_named("BR-FR"), "BR-FR-05", RULE_UBL | RULE_CII) &&
	       rule_find(ruleset_named("BR-FR"), "BR-FR-05", RULE_UBL)->checked,
	   "BR-FR applies to the PA route only; BR-FR-05 is checked");

	/* The listing: one line a row, after one header line a set. */
	f = open_memstream(&out, &outlen);
	is_int(rules_print(f, 0), 0, "rules_print");
	fclose(f);
	for (i = 0, j = 0; i < outlen; i++)
		j += out[i] == '\n';
	is_int(j, nrows + nsets, "one line a row, plus a header a set");
	ok(strstr(out, "\nBR-CO-10\tUBL CII\tfatal\tchecked\t") != NULL, "a checked row");
	free(out);

	f = open_memstream(&out, &outlen);
	is_int(rules_print(f, 1), 0, "rules_print --mdoc");
	fclose(f);
	ok(strncmp(out, ".Dd ", 4) == 0 && strstr(out, "\n.It UBL-CR-001\n") &&
	       strstr(out, "\n.Sh BR-FR\n") && strstr(out, "\n.It BR-FR-MV-14\n") &&
	       strstr(out, "\n.Sh SEE ALSO\n"),
	   "the page is mdoc with every row");
	free(out);

	/* The routes: one row each, found by value and by name. */
	{
		const struct route_preflight *c = route_preflight(ROUTE_CHORUS),
		                             *p = route_preflight(ROUTE_PA);
		ok(c && strcmp(c->name, "chorus") == 0 && !c->cii_d22b && c->chorus_rules,
		   "Chorus Pro direct: CII D16B and its own rules");
		ok(p && strcmp(p->name, "pa") == 0 && p->cii_d22b && !p->chorus_rules,
		   "a Plateforme Agréée: CII D22B, no Chorus Pro rules");
		ok(route_preflight_named("pa") == p && route_preflight_named("chorus") == c,
		   "found by name");
		ok(route_preflight(0) == NULL && route_preflight_named("ppf") == NULL &&
		       route_preflight_named(NULL) == NULL,
		   "no other route");
	}
	return done_testing();
}
