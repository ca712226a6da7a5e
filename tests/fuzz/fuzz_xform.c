/*
 * fuzz_xform.c - libFuzzer harness for the whole pre-flight of one document:
 * check_document() parses the bytes (safe parser), recognises them, runs the shipped
 * stylesheets on an ERP export, validates the result against the UBL/CII XSDs, reads
 * the invoice model and applies every rule. Built with ./configure --enable-fuzzing
 * CC=clang; run: tests/fuzz/fuzz_xform -max_len=65536 CORPUS_DIR tests/fuzz/corpus/xform
 *
 * The stylesheets and schemas are read from the source tree (TOP_SRCDIR, or
 * $CHORUSGW_SRCDIR). Both are compiled once and cached, like in the daemon.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "conf.h"
#include "util.h"
#include "xform.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf *conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("CHORUSGW_SRCDIR");
	char *why = NULL;
	(void)argc;
	(void)argv;
	if (src == NULL)
		src = TOP_SRCDIR;
	conf = conf_load("/nonexistent/chorusgw-fuzz.ini", CONF_OPTIONAL, &why);
	if (conf == NULL)
		abort();
	free(conf->stylesheet_dir);
	free(conf->schema_dir);
	conf->stylesheet_dir = xasprintf("%s/xslt", src);
	conf->schema_dir = xasprintf("%s/schemas", src);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct preflight pf;
	char *why = NULL;
	/* a fixed "now" (2026-11-28) keeps runs reproducible */
	check_document(data, size, "fuzz.xml", conf, ROUTE_CHORUS, (time_t)1795867200, &pf, &why);
	if (pf.verdict == PF_SETUP)
		abort(); /* the stylesheets and schemas must always load */
	free(why);
	preflight_free(&pf);
	return 0;
}
