/*
 * golden.h - for the unit tests of the rules (test_check, test_vatcat): the invoice
 * model of a golden file, passed through with the test's configuration `conf`, and
 * the same test on the UBL and the CII golden file of one example. A file that
 * cannot be read or transformed aborts the test, which then has no plan.
 */
#ifndef CHORUSGW_GOLDEN_H
#define CHORUSGW_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "invoice.h"
#include "rules.h"
#include "srctree.h"
#include "xform.h"

static struct conf *conf;

/* The model of tests/xslt/golden/GOLDEN; the caller frees it (invoice_free()). */
static inline struct invoice *
model(const char *golden)
{
	char *rel = xasprintf("tests/xslt/golden/%s", golden), *data, *why = NULL;
	struct xform_result r;
	struct invoice *inv;
	size_t len;
	data = slurp(rel, &len);
	if (xform_make(data, len, golden, conf, ROUTE_CHORUS, &r, &why) == -1) {
		printf("# %s: %s\n", golden, why);
		abort();
	}
	inv = xform_model(&r);
	xform_result_free(&r);
	free(data);
	free(rel);
	return inv;
}

/* fn on the model of BASE.ubl.xml, then of BASE.cii.xml (name: that file's name, cii:
 * 1 for the second); the model is freed after. */
static inline void
each_syntax(const char *base, void (*fn)(struct invoice *inv, const char *name, int cii))
{
	static const char *const syn[] = {"ubl", "cii"};
	size_t i;
	for (i = 0; i < 2; i++) {
		char name[96];
		struct invoice *inv;
		snprintf(name, sizeof(name), "%s.%s.xml", base, syn[i]);
		inv = model(name);
		fn(inv, name, i == 1);
		invoice_free(inv);
	}
}

#endif
