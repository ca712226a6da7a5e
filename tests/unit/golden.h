/*
 * golden.h - for the unit tests of the rules (test_check, test_check_brfr,
 * test_vatcat): the test's configuration `conf`, the invoice model of a golden file
 * passed through with it on a route, and the same test on the UBL and the CII golden
 * file of one example. A file that cannot be read or transformed aborts the test,
 * which then has no plan.
 */
#ifndef CHORUSGW_GOLDEN_H
#define CHORUSGW_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fileio.h"
#include "invoice.h"
#include "rules.h"
#include "srctree.h"
#include "xform.h"

static struct conf *conf;

/* conf = the configuration `text` (an ini file's text, written in a temporary
 * directory named after `test` and removed); 0, or -1 after a diagnostic. */
static inline int
golden_conf(const char *test, const char *text)
{
	char *tmpl = xasprintf("/tmp/chorusgw-%s-XXXXXX", test), *p, *why = NULL;
	int rc = -1;
	if (mkdtemp(tmpl) == NULL) {
		free(tmpl);
		return -1;
	}
	p = xasprintf("%s/c.ini", tmpl);
	if (write_file_atomic(NULL, p, text, strlen(text), 0600, 0, NULL) == 0) {
		conf = conf_load(p, 0, &why);
		if (conf == NULL)
			printf("# %s\n", why);
		else
			rc = 0;
		unlink(p);
	}
	rmdir(tmpl);
	free(p);
	free(tmpl);
	return rc;
}

/* The model of `data` (a document called `name`) passed through on `route` (ROUTE_*);
 * the caller frees it (invoice_free()). */
static inline struct invoice *
model_data(const char *name, const char *data, size_t len, unsigned route)
{
	struct xform_result r;
	struct invoice *inv;
	char *why = NULL;
	if (xform_make(data, len, name, conf, route, &r, &why) == -1) {
		printf("# %s: %s\n", name, why);
		abort();
	}
	inv = xform_model(&r);
	xform_result_free(&r);
	return inv;
}

/* The model of tests/xslt/golden/GOLDEN passed through on `route`. */
static inline struct invoice *
model_route(const char *golden, unsigned route)
{
	char *rel = xasprintf("tests/xslt/golden/%s", golden), *data;
	struct invoice *inv;
	size_t len;
	data = slurp(rel, &len);
	inv = model_data(golden, data, len, route);
	free(data);
	free(rel);
	return inv;
}

/* The model of a golden file on the Chorus Pro route. */
static inline struct invoice *
model(const char *golden)
{
	return model_route(golden, ROUTE_CHORUS);
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
