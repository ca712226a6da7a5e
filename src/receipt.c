/*
 * receipt.c - owns the document record (`struct doc`) and its written forms: the INI
 * receipt (chorusgw-receipt(5)), the spool's private record (the same text plus a
 * [spool] section), and the optional JSON receipt. One key table drives writing,
 * reading and JSON, so the three cannot drift apart.
 *
 * Text rule: values are written as they are, unquoted, so that an INI reader without
 * interpolation or inline comments (Python's configparser with interpolation=None)
 * reads them back byte for byte; only a backslash, control characters, bytes that are
 * not UTF-8 and a leading or trailing space are escaped (\\ \n \r \t \xNN). The last
 * line is "checksum = sha256:HEX" over every byte before it: a torn or edited file is
 * detected on read.
 *
 * Errors: 0 / -1 with *why (HACKING.md); formatting cannot fail.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json.h"
#include "log.h"
#include "receipt.h"
#include "sha256.h"
#include "util.h"

#define RECEIPT_FORMAT  1
#define RECEIPT_MAX     (1024 * 1024)
#define CHECKSUM_PREFIX "checksum = sha256:"

static const char *const state_names[DOC_NSTATES] = {"received",  "queued",   "submitting",
                                                     "deposited", "accepted", "rejected"};

const char *
doc_state_name(enum doc_state s)
{
	if ((unsigned)s >= DOC_NSTATES)
		fatalx("doc_state_name: no document state %d", (int)s);
	return state_names[s];
}

int
doc_state_parse(const char *s, enum doc_state *out)
{
	int i;
	for (i = 0; i < DOC_NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum doc_state)i;
			return 0;
		}
	return -1;
}

/* ---- the key table ------------------------------------------------------------- */

enum kt { K_QID, K_STATE, K_STR, K_TIME, K_BOOL, K_INT, K_I64, K_FOLDER };

struct rkey {
	const char *name;
	enum kt type;
	size_t off;
};

#define K(name, type, field)                            \
	{                                               \
		name, type, offsetof(struct doc, field) \
	}

/* The receipt's keys in the order they are written; chorusgw-receipt(5) documents each
 * (tests/e2e/receipt-docs.sh checks). reason.N and history.N follow them. */
static const struct rkey receipt_keys[] = {
    K("queue_id", K_QID, qid),
    K("state", K_STATE, state),
    K("original_name", K_STR, original_name),
    K("file", K_STR, file),
    K("chorus_xml", K_STR, chorus_xml),
    K("size", K_I64, size),
    K("supplier_siret", K_STR, supplier_siret),
    K("supplier_siren", K_STR, supplier_siren),
    K("supplier_id", K_STR, supplier_id),
    K("supplier_id_type", K_STR, supplier_id_type),
    K("buyer_siret", K_STR, buyer_siret),
    K("buyer_siren", K_STR, buyer_siren),
    K("invoice_number", K_STR, invoice_number),
    K("syntax", K_STR, syntax),
    K("iban_source", K_STR, iban_source),
    K("route", K_STR, route),
    K("numero_flux_depot", K_STR, numero_flux_depot),
    K("deposit_date", K_TIME, deposit_date),
    K("deposit_report_state", K_STR, deposit_report_state),
    K("chorus_invoice_id", K_STR, chorus_invoice_id),
    K("chorus_status", K_STR, chorus_status),
    K("chorus_status_date", K_TIME, chorus_status_date),
    K("chorus_status_comment", K_STR, chorus_status_comment),
    K("pa_flow_id", K_STR, pa_flow_id),
    K("pa_tracking_id", K_STR, pa_tracking_id),
    K("pa_ack", K_STR, pa_ack),
    K("pa_processing_rule", K_STR, pa_processing_rule),
    K("status_code", K_STR, status_code),
    K("status_label", K_STR, status_label),
    K("status_date", K_TIME, status_date),
    K("status_reason", K_STR, status_reason),
    K("action_required", K_BOOL, action_required),
    K("action", K_STR, action),
    K("held", K_BOOL, held),
    K("force", K_BOOL, force),
    K("duplicate_of", K_STR, duplicate_of),
    K("payload_sha256", K_STR, payload_sha256),
    K("attempts", K_INT, attempts),
    K("next_attempt", K_TIME, next_attempt),
    K("received", K_TIME, received),
    K("updated", K_TIME, updated),
};

/* The private record's [spool] section. */
static const struct rkey record_keys[] = {
    K("folder", K_FOLDER, folder),   K("owner", K_STR, owner),
    K("move_to", K_FOLDER, move_to), K("move_file", K_STR, move_file),
    K("move_xml", K_STR, move_xml),  K("crashes", K_INT, crashes),
};

#define FIELD(d, k, T) ((T *)(void *)((char *)(d) + (k)->off))

/* ---- struct doc ----------------------------------------------------------------- */

struct doc *
doc_new(void)
{
	struct doc *d = xcalloc(1, sizeof(*d));
	d->state = DOC_RECEIVED;
	d->folder = SF_WORK;
	d->move_to = SF_NONE;
	return d;
}

static void
free_strings(struct doc *d, const struct rkey *keys, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (keys[i].type == K_STR) {
			free(*FIELD(d, &keys[i], char *));
			*FIELD(d, &keys[i], char *) = NULL;
		}
}

void
doc_clear_reasons(struct doc *d)
{
	size_t i;
	for (i = 0; i < d->nreasons; i++)
		free(d->reasons[i]);
	free(d->reasons);
	d->reasons = NULL;
	d->nreasons = 0;
}

void
doc_free(struct doc *d)
{
	size_t i;
	if (d == NULL)
		return;
	free_strings(d, receipt_keys, nitems(receipt_keys));
	free_strings(d, record_keys, nitems(record_keys));
	doc_clear_reasons(d);
	for (i = 0; i < d->nhistory; i++)
		free(d->history[i].note);
	free(d->history);
	free(d);
}

static void
dup_strings(struct doc *to, const struct doc *from, const struct rkey *keys, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (keys[i].type == K_STR) {
			const char *v = *FIELD(from, &keys[i], char *);
			*FIELD(to, &keys[i], char *) = v ? xstrdup(v) : NULL;
		}
}

struct doc *
doc_dup(const struct doc *from)
{
	struct doc *d = xmalloc(sizeof(*d));
	size_t i;
	*d = *from;
	dup_strings(d, from, receipt_keys, nitems(receipt_keys));
	dup_strings(d, from, record_keys, nitems(record_keys));
	d->reasons = NULL;
	if (from->nreasons) {
		d->reasons = xcalloc(from->nreasons, sizeof(char *));
		for (i = 0; i < from->nreasons; i++)
			d->reasons[i] = xstrdup(from->reasons[i]);
	}
	d->history = NULL;
	if (from->nhistory) {
		d->history = xcalloc(from->nhistory, sizeof(*d->history));
		for (i = 0; i < from->nhistory; i++) {
			d->history[i] = from->history[i];
			d->history[i].note =
			    from->history[i].note ? xstrdup(from->history[i].note) : NULL;
		}
	}
	return d;
}

void
doc_set(char **field, const char *v)
{
	char *n = v ? xstrdup(v) : NULL;
	free(*field);
	*field = n;
}

static void
add_event(struct doc *d, time_t when, enum doc_state s, const char *note)
{
	d->history = xreallocarray(d->history, d->nhistory + 1, sizeof(*d->history));
	d->history[d->nhistory].when = when;
	d->history[d->nhistory].state = s;
	d->history[d->nhistory].note = note && *note ? xstrdup(note) : NULL;
	d->nhistory++;
}

void
doc_set_state(struct doc *d, enum doc_state s, const char *note)
{
	d->state = s;
	add_event(d, time(NULL), s, note);
}

void
doc_note(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	add_event(d, time(NULL), d->state, s);
	free(s);
}

void
doc_add_reason(struct doc *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	d->reasons = xreallocarray(d->reasons, d->nreasons + 1, sizeof(char *));
	d->reasons[d->nreasons++] = xvasprintf(fmt, ap);
	va_end(ap);
}

const char *
doc_supplier_key(const struct doc *d)
{
	return d->supplier_siret   ? d->supplier_siret
	       : d->supplier_siren ? d->supplier_siren
	       : d->supplier_id    ? d->supplier_id
	                           : "";
}

const char *
doc_supplier_section(const struct doc *d)
{
	return d->supplier_siret ? d->supplier_siret : d->supplier_id;
}

const char *
doc_last_reason(const struct doc *d)
{
	return d->nreasons ? d->reasons[d->nreasons - 1] : NULL;
}

/* ---- escaping -------------------------------------------------------------------- */

char *
receipt_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0;
	struct buf b;
	buf_init(&b);
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		if (c == '\\')
			buf_adds(&b, "\\\\");
		else if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c == '\r')
			buf_adds(&b, "\\r");
		else if (c == '\t')
			buf_adds(&b, "\\t");
		else if (c < 0x20 || c == 0x7f || (c == ' ' && (i == 0 || i == len - 1)))
			buf_printf(&b, "\\x%02x", c);
		else if ((n = utf8_seq_len(p + i, len - i)) == 0)
			buf_printf(&b, "\\x%02x", c);
		else {
			buf_add(&b, p + i, n);
			i += n;
			continue;
		}
		i++;
	}
	return buf_steal(&b);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
receipt_unescape(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (*s != '\\') {
			buf_addc(out, *s);
			continue;
		}
		switch (*++s) {
		case '\\':
			buf_addc(out, '\\');
			break;
		case 'n':
			buf_addc(out, '\n');
			break;
		case 'r':
			buf_addc(out, '\r');
			break;
		case 't':
			buf_addc(out, '\t');
			break;
		case 'x': {
			int h = s[1] ? hexval(s[1]) : -1, l = h >= 0 && s[2] ? hexval(s[2]) : -1;
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			buf_addc(out, (char)(h * 16 + l));
			s += 2;
			break;
		}
		default:
			return -1;
		}
	}
	if (out->p == NULL)
		buf_add(out, "", 0);
	return 0;
}

/* ---- writing --------------------------------------------------------------------- */

static void
put(struct buf *b, const char *key, const char *value)
{
	char *e = receipt_escape(value ? value : "");
	buf_printf(b, "%s = %s\n", key, e);
	free(e);
}

static void
put_time(struct buf *b, const char *key, time_t t)
{
	char ts[32] = "";
	if (t != 0)
		fmt_time_utc(ts, sizeof(ts), t);
	put(b, key, ts);
}

static void
put_keys(struct buf *b, const struct doc *d, const struct rkey *keys, size_t n)
{
	size_t i;
	char num[32];
	for (i = 0; i < n; i++) {
		const struct rkey *k = &keys[i];
		switch (k->type) {
		case K_QID:
			put(b, k->name, d->qid);
			break;
		case K_STATE:
			put(b, k->name, doc_state_name(*FIELD(d, k, enum doc_state)));
			break;
		case K_STR:
			put(b, k->name, *FIELD(d, k, char *));
			break;
		case K_TIME:
			put_time(b, k->name, *FIELD(d, k, time_t));
			break;
		case K_BOOL:
			put(b, k->name, *FIELD(d, k, int) ? "yes" : "no");
			break;
		case K_INT:
			snprintf(num, sizeof(num), "%d", *FIELD(d, k, int));
			put(b, k->name, num);
			break;
		case K_I64:
			snprintf(num, sizeof(num), "%lld", (long long)*FIELD(d, k, int64_t));
			put(b, k->name, num);
			break;
		case K_FOLDER:
			put(b, k->name, spool_folder_name(*FIELD(d, k, enum spool_folder)));
			break;
		}
	}
}

static char *
history_text(const struct doc_event *e)
{
	char ts[32];
	fmt_time_utc(ts, sizeof(ts), e->when);
	return xasprintf("%s %s%s%s", ts, doc_state_name(e->state), e->note ? " " : "",
	                 e->note ? e->note : "");
}

void
receipt_format(const struct doc *d, unsigned flags, struct buf *out)
{
	size_t start = out->len, i;
	char key[32];
	buf_adds(out, flags & RCPT_RECORD
	                  ? "; chorusgw record (private; the receipt beside the document is "
	                    "the public copy)\n"
	                  : "; chorusgw receipt, see chorusgw-receipt(5). The checksum line "
	                    "detects a torn or edited file.\n");
	buf_adds(out, "[receipt]\n");
	buf_printf(out, "format = %d\n", RECEIPT_FORMAT);
	put_keys(out, d, receipt_keys, nitems(receipt_keys));
	for (i = 0; i < d->nreasons; i++) {
		snprintf(key, sizeof(key), "reason.%zu", i + 1);
		put(out, key, d->reasons[i]);
	}
	for (i = 0; i < d->nhistory; i++) {
		char *h = history_text(&d->history[i]);
		snprintf(key, sizeof(key), "history.%zu", i + 1);
		put(out, key, h);
		free(h);
	}
	if (flags & RCPT_RECORD) {
		buf_adds(out, "[spool]\n");
		put_keys(out, d, record_keys, nitems(record_keys));
	}
	receipt_seal(out, start);
}

void
receipt_seal(struct buf *out, size_t start)
{
	char hex[65];
	sha256_hex(out->p + start, out->len - start, hex);
	buf_printf(out, CHECKSUM_PREFIX "%s\n", hex);
}

/* ---- reading --------------------------------------------------------------------- */

static const struct rkey *
find_key(const struct rkey *keys, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
set_key(struct doc *d, const struct rkey *k, const char *v)
{
	int64_t n;
	time_t t;
	switch (k->type) {
	case K_QID:
		if (strlen(v) == 0 || strlen(v) >= QID_MAX)
			return -1;
		snprintf(d->qid, sizeof(d->qid), "%s", v);
		return 0;
	case K_STATE:
		return doc_state_parse(v, FIELD(d, k, enum doc_state));
	case K_STR:
		doc_set(FIELD(d, k, char *), *v ? v : NULL);
		return 0;
	case K_TIME:
		if (*v == '\0')
			t = 0;
		else if (parse_time_utc(v, &t) == -1)
			return -1;
		*FIELD(d, k, time_t) = t;
		return 0;
	case K_BOOL:
		return parse_bool(v, FIELD(d, k, int));
	case K_INT:
		if (parse_int64(v, &n) == -1 || n < 0 || n > 1000000000)
			return -1;
		*FIELD(d, k, int) = (int)n;
		return 0;
	case K_I64:
		if (parse_int64(v, &n) == -1)
			return -1;
		*FIELD(d, k, int64_t) = n;
		return 0;
	case K_FOLDER:
		return spool_folder_parse(v, FIELD(d, k, enum spool_folder));
	}
	return -1;
}

static int
parse_history(struct doc *d, const char *v)
{
	const char *sp1 = strchr(v, ' '), *sp2;
	char *ts, *st;
	time_t when;
	enum doc_state s;
	int r = -1;
	if (sp1 == NULL)
		return -1;
	sp2 = strchr(sp1 + 1, ' ');
	ts = xstrndup(v, (size_t)(sp1 - v));
	st = sp2 ? xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1)) : xstrdup(sp1 + 1);
	if (parse_time_utc(ts, &when) == 0 && doc_state_parse(st, &s) == 0) {
		add_event(d, when, s, sp2 ? sp2 + 1 : NULL);
		r = 0;
	}
	free(ts);
	free(st);
	return r;
}

/* Does `key` read "prefix.N" with N the next expected index? */
static int
numbered(const char *key, const char *prefix, size_t next)
{
	size_t n = strlen(prefix);
	int64_t idx;
	return strncmp(key, prefix, n) == 0 && key[n] == '.' &&
	       parse_int64(key + n + 1, &idx) == 0 && idx == (int64_t)next;
}

int
receipt_unseal(const char *text, size_t len, size_t *body_len, char **why)
{
	size_t end = len, start;
	char hex[65];
	if (end == 0 || text[end - 1] != '\n')
		return fail(why, "incomplete (no final line): the file is torn");
	start = end - 1;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	if (end - start != strlen(CHECKSUM_PREFIX) + 64 + 1 ||
	    strncmp(text + start, CHECKSUM_PREFIX, strlen(CHECKSUM_PREFIX)) != 0)
		return fail(why, "no checksum line at the end: the file is torn or was edited");
	sha256_hex(text, start, hex);
	if (strncmp(text + start + strlen(CHECKSUM_PREFIX), hex, 64) != 0)
		return fail(why, "checksum mismatch: the file is torn or was edited");
	*body_len = start;
	return 0;
}

int
receipt_parse(const char *text, size_t len, struct doc **out, char **why)
{
	struct doc *d;
	size_t body = 0, pos = 0, lineno = 0;
	int section = 0; /* 0 none, 1 receipt, 2 spool */
	int have_qid = 0, have_state = 0, have_format = 0;
	struct buf val;

	if (memchr(text, '\0', len) != NULL)
		return fail(why, "contains a NUL byte: not a receipt");
	if (receipt_unseal(text, len, &body, why) == -1)
		return -1;
	d = doc_new();
	buf_init(&val);
	while (pos < body) {
		const char *nl = memchr(text + pos, '\n', body - pos);
		size_t n = (size_t)(nl - (text + pos));
		char *line = xstrndup(text + pos, n), *eq, *key, *v;
		const struct rkey *k;
		int bad = 0;
		pos += n + 1;
		lineno++;
		if (line[0] == '\0' || line[0] == ';' || line[0] == '#') {
			free(line);
			continue;
		}
		if (line[0] == '[') {
			if (strcmp(line, "[receipt]") == 0)
				section = 1;
			else if (strcmp(line, "[spool]") == 0)
				section = 2;
			else
				bad = 1;
			free(line);
			if (bad)
				goto malformed;
			continue;
		}
		eq = strstr(line, " = ");
		if (eq == NULL || section == 0) {
			free(line);
			goto malformed;
		}
		*eq = '\0';
		key = line;
		buf_reset(&val);
		if (receipt_unescape(eq + 3, &val) == -1) {
			free(line);
			goto malformed;
		}
		v = val.p;
		if (section == 2) {
			k = find_key(record_keys, nitems(record_keys), key);
			bad = k != NULL && set_key(d, k, v) == -1;
		} else if (strcmp(key, "format") == 0) {
			bad = strcmp(v, "1") != 0;
			have_format = 1;
		} else if (numbered(key, "reason", d->nreasons + 1)) {
			doc_add_reason(d, "%s", v);
		} else if (numbered(key, "history", d->nhistory + 1)) {
			bad = parse_history(d, v) == -1;
		} else if ((k = find_key(receipt_keys, nitems(receipt_keys), key)) != NULL) {
			bad = set_key(d, k, v) == -1;
			have_qid |= k->type == K_QID;
			have_state |= k->type == K_STATE;
		}
		/* unknown keys are ignored: a newer writer may add some */
		free(line);
		if (bad)
			goto malformed;
	}
	buf_free(&val);
	if (!have_format || !have_qid || !have_state) {
		doc_free(d);
		return fail(why, "format, queue_id or state missing");
	}
	*out = d;
	return 0;
malformed:
	buf_free(&val);
	doc_free(d);
	return fail(why, "line %zu is malformed", lineno);
}

/* ---- JSON ------------------------------------------------------------------------ */

static int
utf8_valid(const char *s)
{
	return utf8_bad_offset(s, strlen(s)) == strlen(s);
}

/* JSON strings must be UTF-8: text that is not keeps the INI escapes (\xNN). */
static void
json_set_text(struct json *o, const char *key, const char *v)
{
	char *e;
	if (v == NULL || utf8_valid(v)) {
		json_set_str(o, key, v ? v : "");
		return;
	}
	e = receipt_escape(v);
	json_set_str(o, key, e);
	free(e);
}

static void
json_keys(struct json *o, const struct doc *d)
{
	size_t i;
	char ts[32];
	for (i = 0; i < nitems(receipt_keys); i++) {
		const struct rkey *k = &receipt_keys[i];
		switch (k->type) {
		case K_QID:
			json_set_str(o, k->name, d->qid);
			break;
		case K_STATE:
			json_set_str(o, k->name, doc_state_name(d->state));
			break;
		case K_STR:
			json_set_text(o, k->name, *FIELD(d, k, char *));
			break;
		case K_TIME:
			ts[0] = '\0';
			if (*FIELD(d, k, time_t))
				fmt_time_utc(ts, sizeof(ts), *FIELD(d, k, time_t));
			json_set_str(o, k->name, ts);
			break;
		case K_BOOL:
			json_set_bool(o, k->name, *FIELD(d, k, int));
			break;
		case K_INT:
			json_set_int(o, k->name, *FIELD(d, k, int));
			break;
		case K_I64:
			json_set_int(o, k->name, *FIELD(d, k, int64_t));
			break;
		case K_FOLDER:
			break;
		}
	}
}

char *
receipt_json(const struct doc *d)
{
	struct json *o = json_new_object(), *arr;
	size_t i;
	char ts[32], *s, *r;
	json_set_int(o, "format", RECEIPT_FORMAT);
	json_keys(o, d);
	arr = json_new_array();
	for (i = 0; i < d->nreasons; i++)
		json_push(arr, json_new_str(d->reasons[i]));
	json_set(o, "reasons", arr);
	arr = json_new_array();
	for (i = 0; i < d->nhistory; i++) {
		struct json *e = json_new_object();
		fmt_time_utc(ts, sizeof(ts), d->history[i].when);
		json_set_str(e, "date", ts);
		json_set_str(e, "state", doc_state_name(d->history[i].state));
		json_set_str(e, "note", d->history[i].note ? d->history[i].note : "");
		json_push(arr, e);
	}
	json_set(o, "history", arr);
	s = json_dump(o, 1);
	json_free(o);
	r = xasprintf("%s\n", s);
	free(s);
	return r;
}

/* ---- files ----------------------------------------------------------------------- */

int
receipt_write(const char *tmpdir, const char *path, const struct doc *d, unsigned flags,
              mode_t mode, int noreplace, char **why)
{
	struct buf b;
	int r;
	buf_init(&b);
	receipt_format(d, flags, &b);
	r = write_file_atomic(tmpdir, path, b.p, b.len, mode, noreplace ? FIO_NOREPLACE : 0, why);
	buf_free(&b);
	return r;
}

int
receipt_write_json(const char *tmpdir, const char *path, const struct doc *d, mode_t mode,
                   char **why)
{
	char *s = receipt_json(d);
	int r = write_file_atomic(tmpdir, path, s, strlen(s), mode, 0, why);
	free(s);
	return r;
}

int
receipt_read(const char *path, struct doc **out, char **why)
{
	struct buf b;
	int r;
	buf_init(&b);
	if (read_file(path, RECEIPT_MAX, 1, &b, why) == -1) {
		buf_free(&b);
		return -1;
	}
	r = receipt_parse(b.p, b.len, out, why);
	if (r == -1)
		why_prefix(why, "%s", path);
	buf_free(&b);
	if (r == -1)
		errno = EINVAL;
	return r;
}

char *
receipt_read_qid(const char *path, int json)
{
	struct doc *d = NULL;
	struct json *j;
	struct buf b;
	char *qid = NULL;
	if (!json) {
		if (receipt_read(path, &d, NULL) == 0)
			qid = xstrdup(d->qid);
		doc_free(d);
		return qid;
	}
	buf_init(&b);
	if (read_file(path, RECEIPT_MAX, 1, &b, NULL) == 0) {
		j = json_parse(b.p, b.len, NULL);
		if (j)
			qid = xstrdup(json_path_str(j, "queue_id", ""));
		json_free(j);
	}
	buf_free(&b);
	return qid;
}
