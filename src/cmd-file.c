/*
 * cmd-file.c - `chorusgw transform FILE` and `chorusgw validate FILE`: one file
 * outside the spool through the transform (xform.c) or the whole pre-flight
 * (check_document(), as the gateway runs it), for the route --route names (Chorus
 * Pro by default), printed for a person; validate adds the buyer rules from the
 * gateway's Structures cache when it has the buyer. Never uses the network.
 *
 * Errors: one line on stderr; the exit code says whether the document can be sent
 * (0), is refused (4), or the configuration (3) or the command line (2) is at fault.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "cmd.h"
#include "conf.h"
#include "fileio.h"
#include "invoice.h"
#include "route.h"
#include "rules.h"
#include "transport.h"
#include "util.h"
#include "xform.h"

static int
one_file_operand(const struct cmd_ctx *ctx, int argc, int first)
{
	if (argc - first != 1) {
		fprintf(stderr, "chorusgw: %s: needs exactly one FILE\n", ctx->name);
		cmd_usage(stderr, ctx->entry);
		return -1;
	}
	return 0;
}

/* Read FILE for transform/validate. EXIT_OK; EXIT_USAGE after a message when it
 * cannot be read; EXIT_REJECTED with *why when it is refused (too large, not a
 * regular file). */
static int
read_document(const struct cmd_ctx *ctx, const char *path, const struct conf *c, struct buf *b,
              char **why)
{
	struct stat st;
	if (stat(path, &st) == -1) {
		fprintf(stderr, "chorusgw: %s: cannot read %s: %s\n", ctx->name, path,
		        strerror(errno));
		return EXIT_USAGE;
	}
	if (read_file(path, (size_t)c->max_size, 0, b, why) == -1)
		return EXIT_REJECTED;
	return EXIT_OK;
}

/* What transform or validate makes of FILE's bytes `b` for the route `rp`, printed;
 * returns the exit code. With `refused` set, the file could not be taken (too large,
 * not a regular file): say so and return EXIT_REJECTED. */
typedef int file_fn(const struct cmd_ctx *, const char *path, const struct conf *,
                    const struct route_preflight *rp, const struct buf *b, const char *refused);

/* transform and validate: --help, --route NAME, one FILE, read under [spool] max_size. */
static int
file_command(const struct cmd_ctx *ctx, int argc, char **argv, file_fn *fn)
{
	static const struct option extra[] = {{"route", required_argument, NULL, 'r'}, {0}};
	const struct route_preflight *rp = route_preflight(ROUTE_CHORUS);
	char seen[4], *why = NULL;
	struct conf *c;
	struct buf b;
	const char *path;
	int rc;

	CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, "+h", seen);
	if (strchr(seen, 'r') && (rp = route_preflight_named(cmd_opt_arg('r'))) == NULL) {
		fprintf(stderr, "chorusgw: %s: unknown route %s (chorus or pa)\n", ctx->name,
		        cmd_opt_arg('r'));
		cmd_usage(stderr, ctx->entry);
		return EXIT_USAGE;
	}
	if (one_file_operand(ctx, argc, first))
		return EXIT_USAGE;
	path = argv[first];
	c = cmd_load_conf(ctx, CONF_OPTIONAL, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	buf_init(&b);
	rc = read_document(ctx, path, c, &b, &why);
	if (rc == EXIT_OK || why)
		rc = fn(ctx, path, c, rp, &b, why);
	free(why);
	buf_free(&b);
	xform_cleanup();
	conf_free(c);
	return rc;
}

static int
transform_file(const struct cmd_ctx *ctx, const char *path, const struct conf *c,
               const struct route_preflight *rp, const struct buf *b, const char *refused)
{
	struct xform_result r;
	char *why = NULL;
	int rc = EXIT_OK;
	size_t i;

	if (refused) {
		fprintf(stderr, "chorusgw: %s; the document is refused\n", refused);
		return EXIT_REJECTED;
	}
	if (xform_make(b->p, b->len, path, c, rp->route, &r, &why) == -1) {
		fprintf(stderr, "chorusgw: %s: %s\n", path, why);
		for (i = 1; i < r.input.n; i++)
			fprintf(stderr, "chorusgw: %s: line %d: %s%s%s\n", path, r.input.v[i].line,
			        r.input.v[i].path ? r.input.v[i].path : "",
			        r.input.v[i].path ? ": " : "", r.input.v[i].msg);
		rc = r.setup ? EXIT_CONFIG : EXIT_REJECTED;
		free(why);
	} else if (fwrite(r.xml, 1, r.len, stdout) != r.len || fflush(stdout) != 0) {
		fprintf(stderr, "chorusgw: %s: cannot write the output: %s\n", ctx->name,
		        strerror(errno));
		rc = EXIT_RUNTIME;
	}
	xform_result_free(&r);
	return rc;
}

static int
cmd_transform(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return file_command(ctx, argc, argv, transform_file);
}

/* "UBL 2.1 Invoice made from the ERP export by erp-to-ubl.xsl: invoice F1 (380)..." */
static void
describe(FILE *f, const struct preflight *pf, const struct route_preflight *rp)
{
	const struct invoice *inv = pf->inv;
	const char *syn = pf->x.syntax != SYNTAX_CII ? "UBL 2.1"
	                  : rp->cii_d22b             ? "CII D22B"
	                                             : "CII D16B";
	if (pf->x.kind == XK_UBL || pf->x.kind == XK_CII)
		fprintf(f, "%s, passed through", pf->x.what);
	else {
		const char *sheet = pf->x.stylesheet ? strrchr(pf->x.stylesheet, '/') : NULL;
		fprintf(f, "%s %s made from the %s by %s", syn,
		        inv && inv->ubl_credit_note  ? "CreditNote"
		        : pf->x.syntax == SYNTAX_CII ? "CrossIndustryInvoice"
		                                     : "Invoice",
		        pf->x.what, sheet ? sheet + 1 : pf->x.stylesheet);
	}
	if (inv == NULL)
		return;
	fprintf(f, ": invoice %s (type %s), ", inv->number.text ? inv->number.text : "?",
	        inv->type_code.text ? inv->type_code.text : "?");
	if (inv->supplier.siret.text || invoice_supplier_id(inv) == NULL)
		fprintf(f, "supplier SIRET %s",
		        inv->supplier.siret.text ? inv->supplier.siret.text : "none");
	else /* a supplier without a SIRET */
		fprintf(f, "supplier %s %s", invoice_supplier_id(inv)->text,
		        chorus_id_type_name(invoice_supplier_id_type(inv))
		            ? chorus_id_type_name(invoice_supplier_id_type(inv))
		            : "(no Chorus Pro type)");
	fprintf(f, ", buyer SIRET %s", inv->buyer.siret.text ? inv->buyer.siret.text : "none");
	if (inv->service_code.text)
		fprintf(f, ", service %s", inv->service_code.text);
	if (inv->engagement.text)
		fprintf(f, ", engagement %s", inv->engagement.text);
}

/*
 * The buyer rules (BUYER, BUYER-SERVICE, BUYER-ENGAGEMENT,
 * BUYER-SERVICE-OR-ENGAGEMENT) where the gateway would apply them (Chorus Pro route,
 * [chorus] check_structures), from the Structures cache the gateway keeps in the
 * spool, expired or not (validate never asks the network). Appends to pf and returns
 * a malloc'ed note saying where the rules came from, or why they were not checked.
 */
static char *
validate_buyer(const struct conf *c, const struct route_preflight *rp, struct preflight *pf)
{
	const char *siret = pf->inv ? pf->inv->buyer.siret.text : NULL;
	struct buyer_req *req = NULL;
	char *cache, *why = NULL, *note, when[32];
	int64_t fetched = 0;
	int fresh = 0, rc;
	time_t t;
	struct tm tm;

	if (rp->route != ROUTE_CHORUS || pf->verdict == PF_SETUP || siret == NULL)
		return NULL;
	if (!c->check_structures)
		return xstrdup("buyer rules not checked ([chorus] check_structures is off)");
	if (c->spool_dir == NULL)
		return xstrdup("buyer rules not checked (no [spool] dir, so no Structures cache)");
	cache = xasprintf("%s/.chorusgw/cache", c->spool_dir);
	rc = tp_chorus_cached_buyer(c, cache, siret, &req, &fetched, &fresh, &why);
	if (rc == 0)
		note = xasprintf("buyer rules not checked: no Structures cache entry for %s in %s "
		                 "(the gateway reads the Structures API before the deposit)",
		                 siret, cache);
	else if (rc == -1)
		note = xasprintf("buyer rules not checked: %s", why);
	else {
		t = (time_t)(fetched / 1000);
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "?");
		preflight_buyer(pf, req);
		note = xasprintf("buyer rules checked against the Structures cache entry "
		                 "%s/structure-%s.json of %s (%s)",
		                 cache, siret, when,
		                 fresh ? "within [chorus] structure_cache_ttl"
		                       : "expired: the gateway would ask the Structures API again");
		buyer_req_free(req);
	}
	free(why);
	free(cache);
	return note;
}

static int
validate_file(const struct cmd_ctx *ctx, const char *path, const struct conf *c,
              const struct route_preflight *rp, const struct buf *b, const char *refused)
{
	struct preflight pf;
	char *buyer_note, *why;
	int rc;
	size_t i;

	(void)ctx;
	if (refused) {
		printf("%s: cannot be sent to %s: 1 error, 0 warnings\n"
		       "error: %s (rule INPUT)\n",
		       path, rp->what, refused);
		return EXIT_REJECTED;
	}
	check_document(b->p, b->len, path, c, rp->route, 0, &pf, NULL);
	if (pf.inv && (why = route_pa_no_siret(
	                   rp->route, pf.inv->supplier.siret.text,
	                   invoice_supplier_id(pf.inv) ? invoice_supplier_id(pf.inv)->text : NULL,
	                   chorus_id_type_name(invoice_supplier_id_type(pf.inv)))) != NULL) {
		printf("%s: cannot be sent to %s: 1 error, 0 warnings\nerror: %s\n", path, rp->what,
		       why);
		free(why);
		preflight_free(&pf);
		return EXIT_REJECTED;
	}
	buyer_note = validate_buyer(c, rp, &pf);
	if (pf.verdict == PF_SETUP) {
		printf("%s: cannot be checked: the configuration is at fault\n", path);
		rc = EXIT_CONFIG;
	} else if (pf.verdict == PF_OK) {
		printf("%s: can be sent to %s (", path, rp->what);
		describe(stdout, &pf, rp);
		printf("); %zu warning%s\n", pf.problems.nwarnings,
		       pf.problems.nwarnings == 1 ? "" : "s");
		rc = EXIT_OK;
	} else {
		printf("%s: cannot be sent to %s: %zu error%s, %zu warning%s", path, rp->what,
		       pf.problems.nerrors, pf.problems.nerrors == 1 ? "" : "s",
		       pf.problems.nwarnings, pf.problems.nwarnings == 1 ? "" : "s");
		if (pf.x.doc) {
			printf(" (");
			describe(stdout, &pf, rp);
			printf(")");
		}
		printf("\n");
		rc = EXIT_REJECTED;
	}
	for (i = 0; i < pf.problems.n; i++)
		printf("%s: %s\n", pf.problems.v[i].sev == SEV_ERROR ? "error" : "warning",
		       pf.problems.v[i].text);
	if (!pf.xsd_checked && pf.verdict != PF_SETUP && pf.x.doc)
		printf("note: not validated against the UBL/CII schemas ([transform] schema_dir is "
		       "empty)\n");
	if (buyer_note)
		printf("note: %s\n", buyer_note);
	free(buyer_note);
	if (fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
	preflight_free(&pf);
	return rc;
}

static int
cmd_validate(const struct cmd_ctx *ctx, int argc, char **argv)
{
	return file_command(ctx, argc, argv, validate_file);
}

const struct cmd_entry cmd_transform_entry = {
    "transform", cmd_transform, "[--route chorus|pa] FILE",
    "print the XML made from FILE for the route (default Chorus Pro)",
    "  --route R  chorus (Chorus Pro direct: UBL or CII D16B) or pa (a Plateforme\n"
    "             Agréée: UBL or CII D22B, BT-23 the billing mode)\n"};

const struct cmd_entry cmd_validate_entry = {
    "validate", cmd_validate, "[--route chorus|pa] FILE",
    "print the pre-flight verdict for FILE (exit 0 only if it can be sent)",
    "  --route R  chorus (Chorus Pro direct, its own rules and EN 16931) or pa (a\n"
    "             Plateforme Agréée: EN 16931 and the French rules BR-FR)\n"};
