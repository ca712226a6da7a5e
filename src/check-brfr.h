/*
 * check-brfr.h - the French rules BR-FR (the reform's FATAL version) on the invoice
 * model, the second rule set beside EN 16931's; rules.c lists every BR-FR rule and
 * the routes it applies to, check_document() (check.c) calls check_brfr() there.
 */
#ifndef CHORUSGW_CHECK_BRFR_H
#define CHORUSGW_CHECK_BRFR_H

#include <stddef.h>

#include "check.h"

/* Apply the BR-FR rules to `inv` and append what is wrong to *out (rule ids
 * "BR-FR-05"...). Returns the number of errors added. */
size_t check_brfr(const struct invoice *inv, struct problems *out);

#endif
