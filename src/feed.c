/*
 * feed.c - the durable position of a poller in a PA's flow search (feed.h): the newest
 * updatedAt read (hwm), while a paging is cut its cursor with the updatedAfter it belongs
 * to, and the flows read within the window (seen: flow id -> updatedAt); saved as a small
 * JSON file through fileio.c.
 *
 * Errors: 0 / -1 with *why; a state file that is not ours is refused at open.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "fileio.h"
#include "json.h"
#include "pa.h"
#include "util.h"

/* a window's flows: about 80 bytes each */
#define STATE_MAX (4 * 1024 * 1024)

struct pos {
	char *hwm;         /* newest updatedAt read, as the PA wrote it (or the start) */
	char *after;       /* the updatedAfter the cursor belongs to */
	char *cursor;      /* the next page of a paging that was cut, or NULL */
	struct json *seen; /* flow id -> updatedAt, the flows read within the window */
};

struct feed {
	char *state, *tmp_dir;
	int64_t window_ms;
	struct pos pos;  /* committed */
	struct pos next; /* after the last page read */
	int has_next;
	int part;      /* the last page was read in part */
	char *q_after; /* the updatedAfter of the last query */
	int q_cursor;  /* the last query carried a cursor */
	char *saved;   /* the state file's text of pos, to write only a moved position */
};

static void
pos_clear(struct pos *p)
{
	free(p->hwm);
	free(p->after);
	free(p->cursor);
	json_free(p->seen);
	memset(p, 0, sizeof(*p));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct json *
copy_seen(const struct json *seen)
{
	char *s = seen ? json_dump(seen, 0) : NULL;
	struct json *o = s ? json_parse(s, strlen(s), NULL) : NULL;
	free(s);
	return json_isobj(o) ? o : (json_free(o), json_new_object());
}

static void
pos_copy(struct pos *to, const struct pos *from)
{
	pos_clear(to);
	to->hwm = dup_or_null(from->hwm);
	to->after = dup_or_null(from->after);
	to->cursor = dup_or_null(from->cursor);
	to->seen = copy_seen(from->seen);
}

static char *
pos_text(const struct pos *p)
{
	struct json *o = json_new_object();
	char *text;
	json_set_int(o, "version", 1);
	json_set_str(o, "hwm", p->hwm);
	json_set_str(o, "after", p->after);
	json_set_str(o, "cursor", p->cursor);
	json_set(o, "seen", copy_seen(p->seen));
	text = json_dump(o, 1);
	json_free(o);
	return text;
}

/* RFC 3339 (UTC) of `iso` minus `ms`, at least the epoch. Caller frees. */
static char *
minus(const char *iso, int64_t ms)
{
	time_t t = 0;
	char out[32];
	/* seconds are enough: the window, and de-duplication by flow id, cover the rest */
	if (iso == NULL || parse_iso8601(iso, &t) == -1)
		t = 0;
	t -= (time_t)(ms / 1000);
	fmt_time_utc(out, sizeof(out), t > 0 ? t : 0);
	return xstrdup(out);
}

struct feed *
feed_new(const char *state, const char *tmp_dir, int64_t window_ms, time_t start)
{
	struct feed *f = xcalloc(1, sizeof(*f));
	char t[32];
	f->state = dup_or_null(state);
	f->tmp_dir = dup_or_null(tmp_dir);
	f->window_ms = window_ms;
	fmt_time_utc(t, sizeof(t), start > 0 ? start : 0);
	f->pos.hwm = xstrdup(t);
	f->pos.seen = json_new_object();
	return f;
}

struct feed *
feed_open(const char *state, const char *tmp_dir, int64_t window_ms, time_t start, char **why)
{
	struct feed *f = feed_new(state, tmp_dir, window_ms, start);
	struct buf b;
	char *rwhy = NULL;
	if (state == NULL)
		return f;
	buf_init(&b);
	if (read_file(state, STATE_MAX, 1, &b, &rwhy) == 0) {
		struct json *o = json_parse(b.p, b.len, NULL);
		int64_t v = 0;
		time_t t;
		const char *hwm = json_str(json_get(o, "hwm"));
		const struct json *seen = json_get(o, "seen");
		if (o == NULL || json_int(json_get(o, "version"), &v) == -1 || v != 1 ||
		    (hwm && parse_iso8601(hwm, &t) == -1) || (seen && !json_isobj(seen))) {
			fail(
			    why,
			    "%s is not a search position of chorusgw; remove it to read every flow "
			    "again from the start",
			    state);
			json_free(o);
			buf_free(&b);
			feed_free(f);
			return NULL;
		}
		if (hwm) { /* none: nothing was read, the start stands */
			free(f->pos.hwm);
			f->pos.hwm = xstrdup(hwm);
		}
		f->pos.after = dup_or_null(json_str(json_get(o, "after")));
		f->pos.cursor = dup_or_null(json_str(json_get(o, "cursor")));
		if (f->pos.after == NULL || f->pos.cursor == NULL) {
			free(f->pos.after);
			free(f->pos.cursor);
			f->pos.after = f->pos.cursor = NULL;
		}
		json_free(f->pos.seen);
		f->pos.seen = copy_seen(seen);
		f->saved = pos_text(&f->pos);
		json_free(o);
	} else if (errno != ENOENT) {
		fail(why, "%s", rwhy);
		free(rwhy);
		buf_free(&b);
		feed_free(f);
		return NULL;
	}
	free(rwhy);
	buf_free(&b);
	return f;
}

void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	pos_clear(&f->pos);
	pos_clear(&f->next);
	free(f->q_after);
	free(f->saved);
	free(f->state);
	free(f->tmp_dir);
	free(f);
}

void
feed_query(struct feed *f, struct pa_search_req *q)
{
	free(f->q_after);
	f->has_next = 0;
	f->q_cursor = f->pos.cursor != NULL;
	f->q_after = f->pos.cursor ? xstrdup(f->pos.after) : minus(f->pos.hwm, f->window_ms);
	q->updated_after = f->q_after;
	q->cursor = f->pos.cursor;
}

static int
later(const char *a, const char *b)
{
	time_t x, y;
	if (a == NULL || parse_iso8601(a, &x) == -1)
		return 0;
	return b == NULL || parse_iso8601(b, &y) == -1 || x > y;
}

void
feed_part(struct feed *f, const struct pa_reply *page, size_t n)
{
	size_t i;
	pos_copy(&f->next, &f->pos);
	for (i = 0; i < n && i < page->search.n; i++) {
		const struct pa_flow *fl = &page->search.v[i];
		if (fl->id)
			json_set_str(f->next.seen, fl->id, fl->updated ? fl->updated : "");
		if (later(fl->updated, f->next.hwm)) {
			free(f->next.hwm);
			f->next.hwm = xstrdup(fl->updated);
		}
	}
	f->part = n < page->search.n;
	if (!f->part) { /* past the page: its next cursor; else the same page again */
		free(f->next.after);
		free(f->next.cursor);
		f->next.after = f->next.cursor = NULL;
		if (page->search.next_cursor && f->q_after) {
			f->next.after = xstrdup(f->q_after);
			f->next.cursor = xstrdup(page->search.next_cursor);
		}
	}
	f->has_next = 1;
}

void
feed_page(struct feed *f, const struct pa_reply *page)
{
	feed_part(f, page, page->search.n);
}

int
feed_seen(const struct feed *f, const char *id, const char *updated)
{
	const char *was =
	    json_str(json_get(f->has_next ? f->next.seen : f->pos.seen, id ? id : ""));
	return was && updated && strcmp(was, updated) == 0;
}

int
feed_refused(struct feed *f, const struct pa_result *r)
{
	/* XP Z12-013 gives a refused cursor no error code of its own (a 400 whose errorCode
	 * the PA words: INVALID_CURSOR for the emulator); pa.c reads that wording once and
	 * classifies it PA_DOCUMENT, the only document error of a search. Without a cursor
	 * sent there is nothing to drop: reading again at once would loop. */
	if (!f->q_cursor || r->cls != PA_DOCUMENT)
		return 0;
	free(f->pos.after);
	free(f->pos.cursor);
	f->pos.after = f->pos.cursor = NULL;
	f->has_next = 0;
	f->q_cursor = 0;
	return 1;
}

int
feed_more(const struct feed *f)
{
	if (!f->has_next)
		return f->pos.cursor != NULL;
	return f->part || f->next.cursor != NULL;
}

static void
keep_recent(const char *key, const struct json *v, void *arg)
{
	void **a = arg;
	if (!later((const char *)a[1], json_str(v)))
		json_set_str(a[0], key, json_str(v) ? json_str(v) : "");
}

int
feed_commit(struct feed *f, char **why)
{
	struct json *keep;
	char *text, *floor;
	void *a[2];
	if (!f->has_next)
		return 0;
	/* the flows updated before the window (and a minute) cannot show again: forget them */
	keep = json_new_object();
	floor = minus(f->next.hwm, f->window_ms + 60000);
	a[0] = keep;
	a[1] = floor;
	json_foreach(f->next.seen, keep_recent, a);
	free(floor);
	json_free(f->next.seen);
	f->next.seen = keep;
	text = pos_text(&f->next);
	if (f->state && (f->saved == NULL || strcmp(text, f->saved) != 0) &&
	    write_file_atomic(f->tmp_dir, f->state, text, strlen(text), 0600, 0, why) == -1) {
		free(text);
		return -1;
	}
	free(f->saved);
	f->saved = text;
	pos_copy(&f->pos, &f->next);
	f->has_next = 0;
	f->part = 0;
	return 0;
}

const char *
feed_high(const struct feed *f)
{
	return f->pos.hwm;
}
