/*
 * json.c - a thin layer over jansson so that no other module includes it. Values keep
 * jansson's reference counting; the public type is jansson's json_t seen through an
 * opaque name.
 *
 * Errors: json_parse() returns NULL with a reason; accessors return NULL/-1 for a
 * missing member or a value of the wrong type, never abort. Allocation failures inside
 * jansson abort, like xmalloc.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "json.h"
#include "util.h"

#define J(v)  ((json_t *)(v))
#define CJ(v) ((const json_t *)(v))

static void NORETURN
json_oom(void)
{
	static const char msg[] = "chorusgw: out of memory (json)\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);
	(void)n;
	abort();
}

static json_t *
must(json_t *v)
{
	if (v == NULL)
		json_oom();
	return v;
}

struct json *
json_parse(const char *text, size_t len, char **why)
{
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (v == NULL) {
		fail(why, "line %d column %d: %s", err.line, err.column, err.text);
		return NULL;
	}
	return (struct json *)v;
}

void
json_free(struct json *v)
{
	if (v)
		json_decref(J(v));
}

struct json *
json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || !json_is_object(CJ(obj)))
		return NULL;
	return (struct json *)json_object_get(CJ(obj), key);
}

struct json *
json_path(const struct json *root, const char *path)
{
	char *copy = xstrdup(path), *save = NULL, *part;
	const json_t *cur = CJ(root);
	for (part = strtok_r(copy, ".", &save); part && cur; part = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur)) {
			char *end;
			unsigned long i = strtoul(part, &end, 10);
			cur = (*end == '\0' && *part) ? json_array_get(cur, i) : NULL;
		} else if (json_is_object(cur))
			cur = json_object_get(cur, part);
		else
			cur = NULL;
	}
	free(copy);
	return (struct json *)cur;
}

const char *
json_str(const struct json *v)
{
	return v && json_is_string(CJ(v)) ? json_string_value(CJ(v)) : NULL;
}

int
json_int(const struct json *v, int64_t *out)
{
	if (v && json_is_integer(CJ(v))) {
		*out = (int64_t)json_integer_value(CJ(v));
		return 0;
	}
	if (v && json_is_real(CJ(v))) {
		double d = json_real_value(CJ(v));
		if (d == floor(d) && fabs(d) < 9e15) {
			*out = (int64_t)d;
			return 0;
		}
	}
	return -1;
}

int
json_bool(const struct json *v, int *out)
{
	if (v && json_is_boolean(CJ(v))) {
		*out = json_is_true(CJ(v));
		return 0;
	}
	return -1;
}

int
json_isobj(const struct json *v)
{
	return v && json_is_object(CJ(v));
}

int
json_isarr(const struct json *v)
{
	return v && json_is_array(CJ(v));
}

size_t
json_len(const struct json *v)
{
	return v && json_is_array(CJ(v)) ? json_array_size(CJ(v)) : 0;
}

struct json *
json_at(const struct json *arr, size_t i)
{
	return arr && json_is_array(CJ(arr)) ? (struct json *)json_array_get(CJ(arr), i) : NULL;
}

void
json_foreach(const struct json *obj,
             void (*cb)(const char *key, const struct json *value, void *arg), void *arg)
{
	const char *k;
	json_t *v;
	if (obj == NULL || !json_is_object(CJ(obj)))
		return;
	json_object_foreach(J(obj), k, v) cb(k, (struct json *)v, arg);
}

const char *
json_path_str(const struct json *root, const char *path, const char *def)
{
	const char *s = json_str(json_path(root, path));
	return s ? s : def;
}

char *
json_get_strdup(const struct json *obj, const char *key)
{
	const char *s = json_str(json_get(obj, key));
	return s ? xstrdup(s) : NULL;
}

struct json *
json_new_object(void)
{
	return (struct json *)must(json_object());
}

struct json *
json_new_array(void)
{
	return (struct json *)must(json_array());
}

struct json *
json_new_str(const char *s)
{
	/* invalid UTF-8 is replaced rather than dropped: output must stay valid JSON */
	json_t *v = json_string(s);
	if (v == NULL) {
		char *clean = xstrdup(s);
		unsigned char *p;
		for (p = (unsigned char *)clean; *p; p++)
			if (*p >= 0x80)
				*p = '?';
		v = must(json_string(clean));
		free(clean);
	}
	return (struct json *)v;
}

struct json *
json_new_int(int64_t i)
{
	return (struct json *)must(json_integer((json_int_t)i));
}

struct json *
json_new_bool(int b)
{
	return (struct json *)must(json_boolean(b));
}

void
json_set(struct json *obj, const char *key, struct json *v)
{
	if (json_object_set_new(J(obj), key, J(v)) == -1)
		json_oom();
}

void
json_set_str(struct json *obj, const char *key, const char *v)
{
	if (v != NULL)
		json_set(obj, key, json_new_str(v));
}

void
json_set_int(struct json *obj, const char *key, int64_t v)
{
	json_set(obj, key, json_new_int(v));
}

void
json_set_bool(struct json *obj, const char *key, int v)
{
	json_set(obj, key, json_new_bool(v));
}

void
json_push(struct json *arr, struct json *v)
{
	if (json_array_append_new(J(arr), J(v)) == -1)
		json_oom();
}

char *
json_dump(const struct json *v, int pretty)
{
	char *s = json_dumps(CJ(v), JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
	                                (pretty ? JSON_INDENT(2) : JSON_COMPACT));
	char *out;
	if (s == NULL)
		json_oom();
	/* hand back memory from our allocator so callers can free() it uniformly */
	out = xstrdup(s);
	free(s);
	return out;
}
