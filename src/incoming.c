/*
 * incoming.c - the spool's incoming area (incoming.h): the receipts of invoices
 * received (struct in_receipt, written and read), their files delivered durably through
 * fileio.c, the quarantine, and the index of the flows fetched with its crash recovery.
 *
 * Errors: 0 / -1 with *why naming the path (HACKING.md).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "incoming.h"
#include "log.h"
#include "receipt.h"
#include "sha256.h"
#include "util.h"

#define RECEIPT_MAX (1024 * 1024)

struct incoming {
	char *root, *in, *quar, *tmp, *pending, *seen, *position;
	mode_t mode;
};

/* ---- the receipt ---- */

static ssize_t
inr_find(const struct in_receipt *r, const char *key)
{
	size_t i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->k[i], key) == 0)
			return (ssize_t)i;
	return -1;
}

static void
inr_append(struct in_receipt *r, const char *key, const char *value)
{
	r->k = xreallocarray(r->k, r->n + 1, sizeof(*r->k));
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->k[r->n] = xstrdup(key);
	r->v[r->n] = xstrdup(value);
	r->n++;
}

void
inr_set(struct in_receipt *r, const char *key, const char *value)
{
	ssize_t i;
	if (value == NULL)
		return;
	i = inr_find(r, key);
	if (i < 0) {
		inr_append(r, key, value);
		return;
	}
	free(r->v[i]);
	r->v[i] = xstrdup(value);
}

void
inr_add(struct in_receipt *r, const char *prefix, const char *value)
{
	size_t n = 1;
	char *key = xasprintf("%s.%zu", prefix, n);
	while (inr_find(r, key) >= 0) {
		free(key);
		key = xasprintf("%s.%zu", prefix, ++n);
	}
	inr_append(r, key, value);
	free(key);
}

const char *
inr_get(const struct in_receipt *r, const char *key)
{
	ssize_t i = inr_find(r, key);
	return i < 0 ? NULL : r->v[i];
}

char *
inr_format(const struct in_receipt *r)
{
	struct buf b;
	size_t i;
	buf_init(&b);
	buf_adds(&b, "; chorusgw incoming receipt, see chorusgw-incoming(5). The checksum line "
	             "detects a torn or edited file.\n[incoming]\n");
	for (i = 0; i < r->n; i++) {
		char *e = receipt_escape(r->v[i]);
		buf_printf(&b, "%s = %s\n", r->k[i], e);
		free(e);
	}
	receipt_seal(&b, 0);
	return buf_steal(&b);
}

int
inr_parse(const char *text, size_t len, struct in_receipt *out, char **why)
{
	size_t body, pos = 0, lineno = 0;
	struct buf val;
	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len) != NULL)
		return fail(why, "contains a NUL byte: not a receipt");
	if (receipt_unseal(text, len, &body, why) == -1)
		return -1;
	buf_init(&val);
	while (pos < body) {
		const char *nl = memchr(text + pos, '\n', body - pos);
		size_t n = (size_t)(nl - (text + pos));
		char *line = xstrndup(text + pos, n), *eq;
		pos += n + 1;
		lineno++;
		if (line[0] == '\0' || line[0] == ';' || strcmp(line, "[incoming]") == 0) {
			free(line);
			continue;
		}
		eq = strstr(line, " = ");
		buf_reset(&val);
		if (eq == NULL || (*eq = '\0', receipt_unescape(eq + 3, &val) == -1)) {
			free(line);
			buf_free(&val);
			inr_free(out);
			return fail(why, "line %zu is malformed", lineno);
		}
		inr_append(out, line, val.p ? val.p : "");
		free(line);
	}
	buf_free(&val);
	return 0;
}

int
inr_read(const char *path, struct in_receipt *out, char **why)
{
	struct buf b;
	int r;
	memset(out, 0, sizeof(*out));
	buf_init(&b);
	r = read_file(path, RECEIPT_MAX, 1, &b, why);
	if (r == 0 && (r = inr_parse(b.p, b.len, out, why)) == -1)
		why_prefix(why, "%s: ", path);
	buf_free(&b);
	return r;
}

void
inr_free(struct in_receipt *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->k[i]);
		free(r->v[i]);
	}
	free(r->k);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- names ---- */

char *
incoming_name(const char *id)
{
	size_t i, n = strlen(id);
	int safe = n > 0 && n <= 64 && id[0] != '.' && id[0] != '-';
	char hex[65];
	for (i = 0; safe && i < n; i++) {
		char c = id[i];
		safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       c == '-' || c == '_' || c == '.';
	}
	if (safe)
		return xstrdup(id);
	sha256_hex(id, n, hex);
	return xasprintf("flow-%.16s", hex);
}

/* ---- the area ---- */

static char *
index_path(const char *dir, const char *flow_id)
{
	char *name = incoming_name(flow_id), *p = xasprintf("%s/%s", dir, name);
	free(name);
	return p;
}

/* pending/NAME holds the folder, the original's file name and the receipt's text, one
 * line each for the first two. Publish what a crash left half done. */
static int
finish_pending(struct incoming *in, const char *name, char **why)
{
	char *p = xasprintf("%s/%s", in->pending, name), *s = xasprintf("%s/%s", in->seen, name);
	char *nl1, *nl2, *dir, *orig, *rcpt;
	struct buf b;
	int r = -1;
	buf_init(&b);
	if (read_file(p, RECEIPT_MAX + 4096, 1, &b, why) == -1)
		goto out;
	nl1 = b.p ? strchr(b.p, '\n') : NULL;
	nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	if (nl2 == NULL) {
		fail(why, "%s is malformed", p);
		goto out;
	}
	*nl1 = *nl2 = '\0';
	dir = xasprintf("%s/%s", in->root, b.p);
	orig = xasprintf("%s/%s", dir, nl1 + 1);
	rcpt = xasprintf("%s/%s" IN_RECEIPT_EXT, dir, name);
	/* the original gone: the ERP took the invoice, receipt and all */
	if (access(rcpt, F_OK) == -1 && (strcmp(orig, rcpt) == 0 || access(orig, F_OK) == 0) &&
	    write_file_atomic(in->tmp, rcpt, nl2 + 1, strlen(nl2 + 1), in->mode, FIO_NOREPLACE,
	                      why) == -1 &&
	    errno != EEXIST) {
		free(dir);
		free(orig);
		free(rcpt);
		goto out;
	}
	free(dir);
	free(orig);
	free(rcpt);
	if (rename(p, s) == -1) {
		fail(why, "rename %s: %s", p, strerror(errno));
		goto out;
	}
	r = fsync_dir(in->seen, why) == -1 || fsync_dir(in->pending, why) == -1 ? -1 : 0;
out:
	buf_free(&b);
	free(p);
	free(s);
	return r;
}

void
incoming_close(struct incoming *in)
{
	if (in == NULL)
		return;
	free(in->root);
	free(in->in);
	free(in->quar);
	free(in->tmp);
	free(in->pending);
	free(in->seen);
	free(in->position);
	free(in);
}

struct incoming *
incoming_open(const char *root, mode_t mode, char **why)
{
	struct incoming *in = xcalloc(1, sizeof(*in));
	DIR *d;
	struct dirent *e;
	char *base;
	in->root = xstrdup(root);
	in->in = xasprintf("%s/" INCOMING_DIR, root);
	in->quar = xasprintf("%s/" QUARANTINE_DIR, root);
	in->tmp = xasprintf("%s/.chorusgw/tmp", root);
	base = xasprintf("%s/.chorusgw/incoming", root);
	in->pending = xasprintf("%s/pending", base);
	in->seen = xasprintf("%s/seen", base);
	in->position = xasprintf("%s/position", base);
	in->mode = mode;
	if (mkdir_p(in->in, 0750, why) == -1 || mkdir_p(in->quar, 0750, why) == -1 ||
	    mkdir_p(in->pending, 0700, why) == -1 || mkdir_p(in->seen, 0700, why) == -1 ||
	    mkdir_p(in->tmp, 0700, why) == -1) {
		free(base);
		incoming_close(in);
		return NULL;
	}
	free(base);
	d = opendir(in->pending);
	if (d == NULL) {
		fail(why, "open %s: %s", in->pending, strerror(errno));
		incoming_close(in);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (finish_pending(in, e->d_name, why) == -1) {
			closedir(d);
			incoming_close(in);
			return NULL;
		}
		log_info("incoming: the delivery of %s interrupted by a stop was finished",
		         e->d_name);
	}
	closedir(d);
	return in;
}

int
incoming_fetched(const struct incoming *in, const char *flow_id)
{
	char *s = index_path(in->seen, flow_id), *p = index_path(in->pending, flow_id);
	struct stat st;
	int r = lstat(s, &st) == 0 || lstat(p, &st) == 0;
	free(s);
	free(p);
	return r;
}

/* Write `path` once: already there with the same bytes (a delivery cut by a crash) is
 * fine, other bytes are never replaced. */
static int
write_once(const struct incoming *in, const char *path, const void *data, size_t len, char **why)
{
	struct buf b;
	int same;
	if (write_file_atomic(in->tmp, path, data, len, in->mode, FIO_NOREPLACE, why) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	buf_init(&b);
	same = read_file(path, len + 1, 1, &b, NULL) == 0 && b.len == len &&
	       (len == 0 || memcmp(b.p, data, len) == 0);
	buf_free(&b);
	if (same)
		return 0;
	free(*why);
	*why = NULL;
	return fail(why,
	            "%s exists with other content; move it away so that the flow can be delivered",
	            path);
}

int
incoming_deliver(struct incoming *in, const char *flow_id, int quarantine,
                 const struct in_file *files, size_t nfiles, struct in_receipt *r, char **why)
{
	const char *dir = quarantine ? in->quar : in->in;
	char *name = incoming_name(flow_id), *pend, *rcpt, *text, *head, *seen;
	size_t i;
	int ret = -1;
	for (i = 0; i < nfiles; i++) {
		char *fn = xasprintf("%s%s", name, files[i].suffix), *path;
		path = xasprintf("%s/%s", dir, fn);
		inr_set(r,
		        i == 0                                         ? "file"
		        : str_has_prefix(files[i].suffix, ".readable") ? "readable_file"
		                                                       : "converted_file",
		        fn);
		if (write_once(in, path, files[i].data, files[i].len, why) == -1) {
			free(fn);
			free(path);
			free(name);
			return -1;
		}
		free(fn);
		free(path);
	}
	crashpoint("incoming-files");
	text = inr_format(r);
	head = xasprintf("%s\n%s%s\n%s", quarantine ? QUARANTINE_DIR : INCOMING_DIR, name,
	                 nfiles ? files[0].suffix : IN_RECEIPT_EXT, text);
	pend = xasprintf("%s/%s", in->pending, name);
	seen = xasprintf("%s/%s", in->seen, name);
	rcpt = xasprintf("%s/%s" IN_RECEIPT_EXT, dir, name);
	if (write_file_atomic(in->tmp, pend, head, strlen(head), 0600, 0, why) == -1)
		goto out;
	crashpoint("incoming-pending");
	if (write_once(in, rcpt, text, strlen(text), why) == -1)
		goto out;
	crashpoint("incoming-receipt");
	if (rename(pend, seen) == -1) {
		fail(why, "rename %s: %s", pend, strerror(errno));
		goto out;
	}
	ret = fsync_dir(in->seen, why) == -1 || fsync_dir(in->pending, why) == -1 ? -1 : 0;
out:
	free(text);
	free(head);
	free(pend);
	free(seen);
	free(rcpt);
	free(name);
	return ret;
}

int
incoming_save(struct incoming *in, const char *path, const struct in_receipt *r, char **why)
{
	char *text = inr_format(r);
	int ret = write_file_atomic(in->tmp, path, text, strlen(text), in->mode, 0, why);
	free(text);
	return ret;
}

const char *
incoming_tmp(const struct incoming *in)
{
	return in->tmp;
}

const char *
incoming_dir(const struct incoming *in)
{
	return in->in;
}

const char *
incoming_position(const struct incoming *in)
{
	return in->position;
}
