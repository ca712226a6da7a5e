/*
 * xform-syntax.h - the EN 16931 rules that forbid an element or an attribute in a UBL
 * or CII document (the RULE_FORBID rows of rules.h: UBL-CR, CII-SR, CII-DT),
 * checked in one walk of the tree. Part of the xform family (libxml2).
 */
#ifndef CHORUSGW_XFORM_SYNTAX_H
#define CHORUSGW_XFORM_SYNTAX_H

#include <stddef.h>

struct rule;
struct xform_doc;

/* Called once for each rule that fires, with the path and line of the first
 * element or attribute it forbids. */
typedef void xform_syntax_fn(void *arg, const struct rule *r, const char *path, int line);

/*
 * Walk `doc`, a UBL 2.1 or CII D16B document (`syntax`: SYNTAX_UBL, SYNTAX_CII),
 * against the forbidding rows of every rule set; returns how many rules fired.
 * The patterns are compiled on first use and kept until xform_syntax_cleanup().
 */
size_t xform_syntax_check(const struct xform_doc *doc, int syntax, xform_syntax_fn *fn, void *arg);
void xform_syntax_cleanup(void);

#endif
