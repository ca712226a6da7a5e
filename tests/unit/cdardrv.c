/*
 * cdardrv.c - builds the CDAR lifecycle message of a status file and prints the C
 * verdict on it, for tests/cdar/agreement.sh (which compares it with the BR-FR-CDV
 * schematron under Saxon-HE). Not installed.
 *
 *   cdardrv status buyer|seller STATUSFILE CDAR-OUT [KEY=VALUE...]
 *       KEY is a field of struct lc_invoice (number, type_code, issue_date,
 *       seller_siren, seller_name, seller_address, buyer_siren, buyer_name,
 *       buyer_address, total, vat_rates). Writes the message to CDAR-OUT, then prints
 *       one line per problem: "error|warning RULE TEXT". Exit 1 when the status file
 *       cannot be read (the reason on stdout as "parse TEXT").
 *   cdardrv cases DIR
 *       writes each message of tests/unit/cdar-cases.h as DIR/case-NN.xml, and what
 *       cdar_check() says of it as DIR/case-NN.c (the same lines).
 *   cdardrv read FILE
 *       reads the CDAR FILE (cdar_read()) and prints what cdar_check() says of it;
 *       exit 1 when it cannot be read ("read TEXT").
 *
 * Exit 0; 2 on a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdar-cases.h"
#include "cdar.h"
#include "check.h"
#include "fileio.h"
#include "status.h"
#include "util.h"

/* Write the message to `path` and its problems to `out`. 0 / -1. */
static int
emit(const struct cdar *c, const struct problems *probs, const char *path, FILE *out)
{
	char *xml, *why = NULL;
	size_t len, i;
	xml = cdar_xml(c, &len);
	if (write_file_atomic(NULL, path, xml, len, 0644, 0, &why) == -1) {
		fprintf(stderr, "cdardrv: %s\n", why);
		free(why);
		free(xml);
		return -1;
	}
	free(xml);
	for (i = 0; i < probs->n; i++)
		fprintf(out, "%s %s %s\n", probs->v[i].sev == SEV_ERROR ? "error" : "warning",
		        probs->v[i].rule, probs->v[i].text);
	return 0;
}

static int
cases(const char *dir)
{
	size_t i;
	for (i = 0; i < nitems(cdar_cases); i++) {
		struct cdar *c = cdar_sample();
		struct problems probs;
		char *xml = xasprintf("%s/case-%02zu.xml", dir, i),
		     *c_out = xasprintf("%s/case-%02zu.c", dir, i);
		FILE *f = fopen(c_out, "w");
		int rc;
		if (f == NULL) {
			perror(c_out);
			return 2;
		}
		if (cdar_cases[i].mutate)
			cdar_cases[i].mutate(c);
		memset(&probs, 0, sizeof(probs));
		cdar_check(c, &probs);
		rc = emit(c, &probs, xml, f);
		if (fclose(f) != 0 || rc == -1)
			return 2;
		problems_free(&probs);
		cdar_free(c);
		free(xml);
		free(c_out);
	}
	return 0;
}

static int
read_one(const char *path)
{
	struct problems probs;
	struct cdar *c;
	struct buf b;
	char *why = NULL;
	size_t i;
	buf_init(&b);
	if (read_file(path, 1024 * 1024, 1, &b, &why) == -1 ||
	    cdar_read(b.p, b.len, 1024 * 1024, 64, &c, &why) == -1) {
		printf("read %s\n", why);
		free(why);
		buf_free(&b);
		return 1;
	}
	buf_free(&b);
	memset(&probs, 0, sizeof(probs));
	cdar_check(c, &probs);
	for (i = 0; i < probs.n; i++)
		printf("%s %s %s\n", probs.v[i].sev == SEV_ERROR ? "error" : "warning",
		       probs.v[i].rule, probs.v[i].text);
	problems_free(&probs);
	cdar_free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	struct lc_invoice inv;
	struct status_file *sf;
	struct problems probs;
	struct cdar *c;
	struct buf b;
	char *why = NULL;
	size_t i;
	int a, rc;
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define F(x) {#x, offsetof(struct lc_invoice, x)}
	    F(number),        F(type_code),      F(issue_date),  F(seller_siren),
	    F(seller_name),   F(seller_address), F(buyer_siren), F(buyer_name),
	    F(buyer_address), F(total),          F(vat_rates),
#undef F
	};

	if (argc == 3 && strcmp(argv[1], "cases") == 0)
		return cases(argv[2]);
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return read_one(argv[2]);
	if (argc < 5 || strcmp(argv[1], "status") != 0 ||
	    (strcmp(argv[2], "buyer") != 0 && strcmp(argv[2], "seller") != 0)) {
		fprintf(stderr,
		        "usage: cdardrv status buyer|seller STATUSFILE CDAR-OUT "
		        "[KEY=VALUE...]\n       cdardrv cases DIR\n       cdardrv read FILE\n");
		return 2;
	}
	memset(&inv, 0, sizeof(inv));
	for (a = 5; a < argc; a++) {
		char *eq = strchr(argv[a], '=');
		for (i = 0; eq && i < nitems(fields); i++)
			if (strlen(fields[i].name) == (size_t)(eq - argv[a]) &&
			    strncmp(argv[a], fields[i].name, (size_t)(eq - argv[a])) == 0)
				break;
		if (eq == NULL || i == nitems(fields)) {
			fprintf(stderr, "cdardrv: %s: not KEY=VALUE with a known KEY\n", argv[a]);
			return 2;
		}
		*(const char **)((char *)&inv + fields[i].off) = eq + 1;
	}
	buf_init(&b);
	if (read_file(argv[3], STATUS_FILE_MAX + 1, 1, &b, &why) == -1 ||
	    status_parse(b.p, b.len, &sf, &why) == -1) {
		printf("parse %s\n", why);
		free(why);
		buf_free(&b);
		return 1;
	}
	buf_free(&b);
	memset(&probs, 0, sizeof(probs));
	c = status_cdar(sf, &inv, strcmp(argv[2], "buyer") == 0 ? STATUS_BUYER : STATUS_SELLER,
	                "CDV-TEST-1", 1790000000, &probs);
	rc = emit(c, &probs, argv[4], stdout) == -1 ? 2 : 0;
	cdar_free(c);
	status_file_free(sf);
	problems_free(&probs);
	return rc;
}
