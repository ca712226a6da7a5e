/* Unit tests of json.c: parsing, paths, types, building, refusing bad input. */
#include "config.h"

#include <stdlib.h>

#include "json.h"
#include "tap.h"
#include "util.h"

static void
count_keys(const char *key, const struct json *v, void *arg)
{
	(void)key;
	(void)v;
	(*(int *)arg)++;
}

int
main(void)
{
	const char *doc = "{\"codeRetour\":0,\"libelle\":\"TRA_MSG_00.000\","
	                  "\"parametresRetour\":{\"pages\":3,\"total\":23.0},"
	                  "\"listeFactures\":[{\"numeroFacture\":\"F-1\",\"ok\":true},"
	                  "{\"numeroFacture\":\"F-2\",\"ok\":false}]}";
	char *why = NULL, *s;
	struct json *j = json_parse(doc, strlen(doc), &why), *o;
	int64_t n = -1;
	int b = -1, keys = 0;

	ok(j != NULL, "parse");
	ok(json_int(json_get(j, "codeRetour"), &n) == 0 && n == 0, "integer member");
	is_str(json_str(json_get(j, "libelle")), "TRA_MSG_00.000", "string member");
	ok(json_int(json_path(j, "parametresRetour.pages"), &n) == 0 && n == 3, "dotted path");
	ok(json_int(json_path(j, "parametresRetour.total"), &n) == 0 && n == 23,
	   "a whole real reads as an integer");
	is_int(json_len(json_get(j, "listeFactures")), 2, "array length");
	is_str(json_path_str(j, "listeFactures.1.numeroFacture", NULL), "F-2", "path into array");
	ok(json_bool(json_path(j, "listeFactures.0.ok"), &b) == 0 && b == 1, "boolean");
	ok(json_path(j, "listeFactures.7.numeroFacture") == NULL, "out of range index is NULL");
	ok(json_str(json_get(j, "codeRetour")) == NULL, "wrong type is NULL");
	ok(json_int(json_get(j, "libelle"), &n) == -1, "string is not an integer");
	ok(json_get(j, "absent") == NULL, "missing member is NULL");
	is_str(json_path_str(j, "nope.deeper", "dflt"), "dflt", "default for a missing path");
	json_foreach(j, count_keys, &keys);
	is_int(keys, 4, "foreach visits every member");
	json_free(j);

	ok(json_parse("{\"a\":1,\"a\":2}", 13, &why) == NULL && contains(why, "duplicate"),
	   "duplicate keys refused: %s", why);
	free(why);
	why = NULL;
	ok(json_parse("<html>502</html>", 16, &why) == NULL && why != NULL,
	   "an HTML error page is not JSON");
	free(why);
	why = NULL;
	ok(json_parse("{\"a\":", 5, &why) == NULL, "truncated document refused");
	free(why);
	why = NULL;

	o = json_new_object();
	json_set_str(o, "nomFichier", "FOO \"1\".xml");
	json_set_int(o, "n", 42);
	json_set_bool(o, "avecSignature", 0);
	json_set_str(o, "skipped", NULL);
	json_set(o, "list", json_new_array());
	json_push(json_get(o, "list"), json_new_str("x"));
	json_set_str(o, "latin1", "caf\xe9");
	s = json_dump(o, 0);
	is_str(s,
	       "{\"nomFichier\":\"FOO \\\"1\\\".xml\",\"n\":42,\"avecSignature\":false,"
	       "\"list\":[\"x\"],\"latin1\":\"caf?\"}",
	       "build and dump in insertion order, invalid UTF-8 replaced");
	free(s);
	json_free(o);
	return done_testing();
}
