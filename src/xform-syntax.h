/*
 * xform-syntax.h - the EN 16931 rules of a UBL or CII document's syntax (the
 * RULE_FORBID and RULE_ASSERT rows of rules.h: UBL-CR, UBL-SR, UBL-DT, CII-SR,
 * CII-DT, the BR-CL code lists), checked in one walk of the tree. Part of the xform
 * family (libxml2).
 */
#ifndef CHORUSGW_XFORM_SYNTAX_H
#define CHORUSGW_XFORM_SYNTAX_H

#include <stddef.h>

struct rule;
struct xform_doc;

/* Called once for each rule that fires, with the path and line of the first
 * element or attribute it forbids, or of the first element that fails its test
 * (`test`: the test as the table words it; NULL for a forbidding rule). */
typedef void xform_syntax_fn(void *arg, const struct rule *r, const char *path, int line,
                             const char *test);

/*
 * Walk `doc`, a UBL 2.1 or CII D16B document (`syntax`: SYNTAX_UBL, SYNTAX_CII),
 * against the RULE_FORBID and RULE_ASSERT rows of every rule set; returns how many rules fired.
 * The patterns are compiled on first use and kept until xform_syntax_cleanup().
 */
size_t xform_syntax_check(const struct xform_doc *doc, int syntax, xform_syntax_fn *fn, void *arg);
void xform_syntax_cleanup(void);
/* How many tests of the table `syntax` (SYNTAX_UBL, SYNTAX_CII) cannot be read (and are
 * never checked): 0, or a mistake in rules.c that tests/unit/test_check.c reports. */
size_t xform_syntax_malformed(int syntax);

#endif
