/*
 * json.h - JSON values for the rest of chorusgw (the only module that includes
 * jansson). A `struct json *` returned by a constructor or json_parse() is owned by the
 * caller and released with json_free(); pointers returned by the accessors are
 * borrowed from their parent and live as long as it does.
 */
#ifndef CHORUSGW_JSON_H
#define CHORUSGW_JSON_H

#include <stddef.h>
#include <stdint.h>

struct json;

/* Parse a whole document (duplicate keys refused). NULL with *why "line L column C:
 * reason" on malformed input. */
struct json *json_parse(const char *text, size_t len, char **why);
void json_free(struct json *);

/* ---- reading (borrowed results; NULL when absent or of another type) ---- */
struct json *json_get(const struct json *obj, const char *key);
/* Follow a dotted path: "parametresRetour.pages", "listeFactures.0.statut". */
struct json *json_path(const struct json *root, const char *path);
const char *json_str(const struct json *);
/* 0 and *out when the value is an integer (or a real with no fraction); else -1. */
int json_int(const struct json *, int64_t *out);
/* 0 and *out (0/1) when the value is a boolean; else -1. */
int json_bool(const struct json *, int *out);
int json_isobj(const struct json *);
int json_isarr(const struct json *);
size_t json_len(const struct json *); /* array length, 0 otherwise */
struct json *json_at(const struct json *arr, size_t i);
/* Call cb(key, value, arg) for each member of an object, in document order. */
void json_foreach(const struct json *obj,
                  void (*cb)(const char *key, const struct json *value, void *arg), void *arg);
/* Convenience: the string at `path`, or `def`. */
const char *json_path_str(const struct json *root, const char *path, const char *def);
/* A malloc'ed copy of the string member `key` (the caller frees it), or NULL. */
char *json_get_strdup(const struct json *obj, const char *key);

/* ---- building (results owned by the caller until handed to a parent) ---- */
struct json *json_new_object(void);
struct json *json_new_array(void);
struct json *json_new_str(const char *);
struct json *json_new_int(int64_t);
struct json *json_new_bool(int);
/* json_set* replace any existing member; json_set/json_push take ownership of v. */
void json_set(struct json *obj, const char *key, struct json *v);
void json_set_str(struct json *obj, const char *key, const char *v); /* NULL: no-op */
void json_set_int(struct json *obj, const char *key, int64_t v);
void json_set_bool(struct json *obj, const char *key, int v);
void json_push(struct json *arr, struct json *v);

/* Serialise: compact on one line, or indented with `pretty`. Caller frees. */
char *json_dump(const struct json *, int pretty);

#endif
