/*
 * bench-check.c - the benchmark's in-process driver (bench/run builds it against
 * build/src/libchorusgw.a; never part of make check).
 *
 *   bench-check -c CONF --mode MODE [--repeat N] [--warmup N] [--preload-schemas] DIR
 *
 * Runs every *.xml file of DIR (sorted by name) through one MODE, N times over, in
 * this one process, after warm-up documents that are not timed (stylesheet and schema
 * compilation happen there, as they happen once in the daemon). Each document is read
 * from disk inside the timed loop, as the gateway reads it from its spool.
 *
 *   check    check_document(): what the gateway calls for a claimed document (gateway.c
 *            STEP_PROCESS): safe parse, ERP-export XSD, stylesheet, serialise, parse the
 *            output again, UBL/CII XSD, invoice model, pre-flight rules, verdict.
 *   xform    xform_make() alone: the same minus the UBL/CII XSD, model and rules
 *            ("transform only", what `chorusgw transform` does).
 *   stages   check_document()'s steps called one by one (xform_make, xform_validate,
 *            xform_model, check_invoice), each timed: where the time of `check` goes.
 *   libxslt  plain libxslt, the way xsltproc works in-process: the stylesheet compiled
 *            once; per document xmlReadMemory (xsltproc's parser options, --nonet),
 *            xsltApplyStylesheet with the same parameter, xsltSaveResultToString.
 *   heap     no timing: check_document() once per file, in order, with no warm-up,
 *            printing after each the process's RSS and the malloc heap in use, so that
 *            what each first use of a stylesheet or schema costs shows (one line each:
 *            file=... verdict=... rss_kb=... heap_kb=...).
 *
 * --preload-schemas runs check_document() once on the first file before the warm-up, so
 * that the process holds the compiled schemas as the daemon does, whatever the mode
 * (bench/run's memory-locality experiment with --mode libxslt).
 *
 * Prints one line of key=value pairs: mode, docs, wall_s, cpu_s, docs_per_s, ms_per_doc,
 * ok (documents whose verdict was PF_OK, or which transformed), maxrss_kb, and for
 * stages the seconds of each step. Exits 1 if any document was not OK (the generator
 * must produce sendable documents) or on a usage error.
 */
#include "config.h"

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <libexslt/exslt.h>

#include "check.h"
#include "conf.h"
#include "fileio.h"
#include "log.h"
#include "util.h"
#include "xform.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* resident set, from /proc/self/statm */
static long
rss_kb(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* bytes of the malloc heap in use (glibc) */
static size_t
heap_kb(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (mi.uordblks + mi.hblkhd) / 1024;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **
list_xml(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t len;
	*n = 0;
	if (d == NULL) {
		perror(dir);
		exit(2);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), by_name);
	return v;
}

enum mode { M_CHECK, M_XFORM, M_STAGES, M_LIBXSLT, M_HEAP };

struct run {
	enum mode mode;
	const struct conf *c;
	xsltStylesheetPtr style; /* libxslt mode */
	const char *params[3];
	double stage[4]; /* stages: xform_make, xform_validate, xform_model, check_invoice */
};

/* One document through the mode; 1 when it came out OK. */
static int
one(struct run *r, const char *path)
{
	struct buf b;
	char *why = NULL;
	int ok = 0;

	buf_init(&b);
	if (read_file(path, (size_t)r->c->max_size, 0, &b, &why) == -1) {
		fprintf(stderr, "bench-check: %s: %s\n", path, why);
		free(why);
		return 0;
	}
	switch (r->mode) {
	case M_CHECK: {
		struct preflight pf;
		ok = check_document(b.p, b.len, path, r->c, ROUTE_CHORUS, 0, &pf, &why) == 0;
		if (!ok)
			fprintf(stderr, "bench-check: %s: %s\n", path, why ? why : "?");
		preflight_free(&pf);
		break;
	}
	case M_XFORM: {
		struct xform_result x;
		ok = xform_make(b.p, b.len, path, r->c, ROUTE_CHORUS, &x, &why) == 0;
		if (!ok)
			fprintf(stderr, "bench-check: %s: %s\n", path, why ? why : "?");
		xform_result_free(&x);
		break;
	}
	case M_STAGES: {
		/* check_document()'s order (check.c), each step timed */
		struct xform_result x;
		struct xform_diags xsd;
		struct invoice *inv;
		struct problems ps;
		double t0 = now_s(), t1, t2, t3, t4;
		memset(&ps, 0, sizeof(ps));
		if (xform_make(b.p, b.len, path, r->c, ROUTE_CHORUS, &x, &why) == -1) {
			fprintf(stderr, "bench-check: %s: %s\n", path, why ? why : "?");
			xform_result_free(&x);
			break;
		}
		t1 = now_s();
		if (xform_validate(&x, r->c, &xsd, &why) == -1) {
			fprintf(stderr, "bench-check: %s: %s\n", path, why ? why : "?");
			xform_result_free(&x);
			break;
		}
		t2 = now_s();
		inv = xform_model(&x);
		t3 = now_s();
		check_invoice(inv, 0, &ps);
		t4 = now_s();
		ok = xsd.n == 0 && ps.nerrors == 0;
		r->stage[0] += t1 - t0;
		r->stage[1] += t2 - t1;
		r->stage[2] += t3 - t2;
		r->stage[3] += t4 - t3;
		problems_free(&ps);
		invoice_free(inv);
		xform_diags_free(&xsd);
		xform_result_free(&x);
		break;
	}
	case M_LIBXSLT: {
		xmlDocPtr in, res;
		xmlChar *mem = NULL;
		int memlen = 0;
		in = xmlReadMemory(b.p, (int)b.len, path, NULL,
		                   XSLT_PARSE_OPTIONS | XML_PARSE_NONET);
		if (in == NULL)
			break;
		res = xsltApplyStylesheet(r->style, in, r->params);
		if (res && xsltSaveResultToString(&mem, &memlen, res, r->style) == 0 && mem)
			ok = memlen > 0;
		xmlFree(mem);
		xmlFreeDoc(res);
		xmlFreeDoc(in);
		break;
	}
	case M_HEAP: /* main() runs it */
		break;
	}
	free(why);
	buf_free(&b);
	return ok;
}

/* The timed part, a function of its own so that a profiler can be told to record it
 * alone: valgrind --tool=callgrind --toggle-collect=timed_loop (bench/profile). */
static long __attribute__((noinline)) timed_loop(struct run *r, char **files, size_t n, long repeat)
{
	long k, ok = 0;
	size_t i;
	for (k = 0; k < repeat; k++)
		for (i = 0; i < n; i++)
			ok += one(r, files[i]);
	return ok;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-check -c CONF --mode check|xform|stages|libxslt|heap "
	                "[--repeat N] [--warmup N] [--preload-schemas] DIR\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *mode = NULL, *dir = NULL;
	long repeat = 1, warmup = 20, i, ok = 0, docs = 0;
	char **files, *why = NULL;
	size_t n;
	struct run r;
	double w0, c0, wall, cpu;
	struct rusage ru;
	int a, preload = 0;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "-c") == 0 && a + 1 < argc)
			conf_path = argv[++a];
		else if (strcmp(argv[a], "--mode") == 0 && a + 1 < argc)
			mode = argv[++a];
		else if (strcmp(argv[a], "--repeat") == 0 && a + 1 < argc)
			repeat = atol(argv[++a]);
		else if (strcmp(argv[a], "--warmup") == 0 && a + 1 < argc)
			warmup = atol(argv[++a]);
		else if (strcmp(argv[a], "--preload-schemas") == 0)
			preload = 1;
		else if (argv[a][0] != '-' && dir == NULL)
			dir = argv[a];
		else
			usage();
	}
	if (conf_path == NULL || mode == NULL || dir == NULL || repeat < 1 || warmup < 0)
		usage();
	memset(&r, 0, sizeof(r));
	if (strcmp(mode, "check") == 0)
		r.mode = M_CHECK;
	else if (strcmp(mode, "xform") == 0)
		r.mode = M_XFORM;
	else if (strcmp(mode, "stages") == 0)
		r.mode = M_STAGES;
	else if (strcmp(mode, "libxslt") == 0)
		r.mode = M_LIBXSLT;
	else if (strcmp(mode, "heap") == 0)
		r.mode = M_HEAP;
	else
		usage();

	log_init("bench-check", LOG_TARGET_STDERR, LOG_LVL_WARN, 0);
	r.c = conf_load(conf_path, 0, &why);
	if (r.c == NULL) {
		fprintf(stderr, "bench-check: %s\n", why);
		return 2;
	}
	files = list_xml(dir, &n);
	if (n == 0) {
		fprintf(stderr, "bench-check: no *.xml in %s\n", dir);
		return 2;
	}
	if (r.mode == M_LIBXSLT) {
		/* what xsltproc --nonet --stringparam siret_scheme VALUE does */
		char *sheet =
		    xasprintf("%s/%s", r.c->stylesheet_dir,
		              r.c->syntax == SYNTAX_CII ? "erp-to-cii.xsl" : "erp-to-ubl.xsl");
		xmlSubstituteEntitiesDefault(1);
		xmlLoadExtDtdDefaultValue = 0;
		exsltRegisterAll(); /* as xsltproc does: the stylesheets use set:distinct */
		r.style = xsltParseStylesheetFile((const xmlChar *)sheet);
		if (r.style == NULL) {
			fprintf(stderr, "bench-check: cannot compile %s\n", sheet);
			return 2;
		}
		free(sheet);
		if (r.c->siret_scheme && *r.c->siret_scheme) {
			static char quoted[64];
			snprintf(quoted, sizeof(quoted), "'%s'", r.c->siret_scheme);
			r.params[0] = "siret_scheme";
			r.params[1] = quoted;
		}
	}

	if (r.mode == M_HEAP) {
		printf("file=(start) verdict=- rss_kb=%ld heap_kb=%zu\n", rss_kb(), heap_kb());
		for (i = 0; i < (long)n; i++) {
			struct preflight pf;
			struct buf b;
			buf_init(&b);
			if (read_file(files[i], (size_t)r.c->max_size, 0, &b, &why) == -1) {
				fprintf(stderr, "bench-check: %s: %s\n", files[i], why);
				return 1;
			}
			check_document(b.p, b.len, files[i], r.c, ROUTE_CHORUS, 0, &pf, NULL);
			printf("file=%s verdict=%d rss_kb=%ld heap_kb=%zu\n", files[i],
			       (int)pf.verdict, rss_kb(), heap_kb());
			preflight_free(&pf);
			buf_free(&b);
		}
		return 0;
	}
	if (preload) { /* the daemon's heap: erp-invoice.xsd and the UBL/CII XSD compiled */
		struct run r2 = r;
		r2.mode = M_CHECK;
		one(&r2, files[0]);
	}
	for (i = 0; i < warmup; i++)
		one(&r, files[(size_t)i % n]);
	memset(r.stage, 0, sizeof(r.stage));

	w0 = now_s();
	c0 = cpu_s();
	ok = timed_loop(&r, files, n, repeat);
	docs = repeat * (long)n;
	wall = now_s() - w0;
	cpu = cpu_s() - c0;
	getrusage(RUSAGE_SELF, &ru);

	printf("mode=%s docs=%ld wall_s=%.6f cpu_s=%.6f docs_per_s=%.2f ms_per_doc=%.4f ok=%ld "
	       "maxrss_kb=%ld",
	       mode, docs, wall, cpu, docs / wall, wall * 1000.0 / docs, ok, ru.ru_maxrss);
	if (r.mode == M_STAGES)
		printf(" make_s=%.6f xsd_s=%.6f model_s=%.6f rules_s=%.6f", r.stage[0], r.stage[1],
		       r.stage[2], r.stage[3]);
	printf("\n");

	if (r.style)
		xsltFreeStylesheet(r.style);
	xform_cleanup();
	for (i = 0; i < (long)n; i++)
		free(files[i]);
	free(files);
	conf_free((struct conf *)r.c);
	return ok == docs ? 0 : 1;
}
