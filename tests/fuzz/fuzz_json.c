/*
 * fuzz_json.c - libFuzzer harness for json.c's parser (the Chorus Pro answers): parse,
 * walk every value with the accessors, serialise, and parse the serialisation again,
 * which must succeed. Built with ./configure --enable-fuzzing CC=clang; run:
 * tests/fuzz/fuzz_json CORPUS_DIR tests/fuzz/corpus/json
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct json *, int depth);

static void
member(const char *key, const struct json *v, void *arg)
{
	(void)key;
	walk(v, *(int *)arg + 1);
}

static void
walk(const struct json *v, int depth)
{
	int64_t i;
	int b;
	size_t k;
	if (v == NULL || depth > 64)
		return;
	(void)json_str(v);
	(void)json_int(v, &i);
	(void)json_bool(v, &b);
	if (json_isobj(v)) {
		json_foreach(v, member, &depth);
		(void)json_path(v, "parametresRetour.pages");
		(void)json_path_str(v, "listeFactures.0.statut", NULL);
	}
	for (k = 0; k < json_len(v); k++)
		walk(json_at(v, k), depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = NULL, *text;
	struct json *j = json_parse((const char *)data, size, &why), *again;
	if (j == NULL) {
		if (why == NULL)
			abort(); /* a refusal always says why */
		free(why);
		return 0;
	}
	walk(j, 0);
	text = json_dump(j, 0);
	again = json_parse(text, strlen(text), &why);
	if (again == NULL)
		abort(); /* what we serialise we must read back */
	json_free(again);
	free(text);
	json_free(j);
	return 0;
}
