/*
 * feed.c - the durable position of a poller in a PA's flow search (feed.h): the newest
 * updatedAt read (hwm), and while a paging is cut, its cursor with the updatedAfter it
 * belongs to; saved as a small JSON file through fileio.c.
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

#define STATE_MAX (64 * 1024)

struct pos {
	char *hwm;    /* newest updatedAt read, as the PA wrote it; NULL: none yet */
	char *after;  /* the updatedAfter the cursor belongs to */
	char *cursor; /* the next page of a paging that was cut, or NULL */
};

struct feed {
	char *state, *tmp_dir;
	int64_t window_ms;
	time_t start;
	struct pos pos;  /* committed */
	struct pos next; /* after the last page read */
	int has_next;
	char *q_after; /* the updatedAfter of the last query */
};

static void
pos_clear(struct pos *p)
{
	free(p->hwm);
	free(p->after);
	free(p->cursor);
	memset(p, 0, sizeof(*p));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
pos_copy(struct pos *to, const struct pos *from)
{
	pos_clear(to);
	to->hwm = dup_or_null(from->hwm);
	to->after = dup_or_null(from->after);
	to->cursor = dup_or_null(from->cursor);
}

struct feed *
feed_open(const char *state, const char *tmp_dir, int64_t window_ms, time_t start, char **why)
{
	struct feed *f = xcalloc(1, sizeof(*f));
	struct buf b;
	char *rwhy = NULL;
	f->state = dup_or_null(state);
	f->tmp_dir = dup_or_null(tmp_dir);
	f->window_ms = window_ms;
	f->start = start;
	if (state == NULL)
		return f;
	buf_init(&b);
	if (read_file(state, STATE_MAX, 1, &b, &rwhy) == 0) {
		struct json *o = json_parse(b.p, b.len, NULL);
		int64_t v = 0;
		time_t t;
		const char *hwm = json_str(json_get(o, "hwm"));
		if (o == NULL || json_int(json_get(o, "version"), &v) == -1 || v != 1 ||
		    (hwm && parse_iso8601(hwm, &t) == -1)) {
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
		f->pos.hwm = dup_or_null(hwm);
		f->pos.after = dup_or_null(json_str(json_get(o, "after")));
		f->pos.cursor = dup_or_null(json_str(json_get(o, "cursor")));
		if (f->pos.after == NULL || f->pos.cursor == NULL) {
			free(f->pos.after);
			free(f->pos.cursor);
			f->pos.after = f->pos.cursor = NULL;
		}
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
	free(f->state);
	free(f->tmp_dir);
	free(f);
}

void
feed_query(struct feed *f, struct pa_search_req *q)
{
	char t[32];
	time_t from = f->start;
	free(f->q_after);
	f->has_next = 0;
	if (f->pos.cursor) {
		f->q_after = xstrdup(f->pos.after);
		q->updated_after = f->q_after;
		q->cursor = f->pos.cursor;
		return;
	}
	/* seconds are enough: the window, and de-duplication by flow id, cover the rest */
	if (f->pos.hwm && parse_iso8601(f->pos.hwm, &from) == 0)
		from -= (time_t)(f->window_ms / 1000);
	fmt_time_utc(t, sizeof(t), from > 0 ? from : 0);
	f->q_after = xstrdup(t);
	q->updated_after = f->q_after;
	q->cursor = NULL;
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
feed_page(struct feed *f, const struct pa_reply *page)
{
	size_t i;
	pos_copy(&f->next, &f->pos);
	for (i = 0; i < page->search.n; i++)
		if (later(page->search.v[i].updated, f->next.hwm)) {
			free(f->next.hwm);
			f->next.hwm = xstrdup(page->search.v[i].updated);
		}
	free(f->next.after);
	free(f->next.cursor);
	f->next.after = f->next.cursor = NULL;
	if (page->search.next_cursor && f->q_after) {
		f->next.after = xstrdup(f->q_after);
		f->next.cursor = xstrdup(page->search.next_cursor);
	}
	f->has_next = 1;
}

void
feed_drop_cursor(struct feed *f)
{
	free(f->pos.after);
	free(f->pos.cursor);
	f->pos.after = f->pos.cursor = NULL;
	f->has_next = 0;
}

int
feed_more(const struct feed *f)
{
	return f->has_next ? f->next.cursor != NULL : f->pos.cursor != NULL;
}

int
feed_commit(struct feed *f, char **why)
{
	struct json *o;
	char *text;
	int r = 0;
	if (!f->has_next)
		return 0;
	if (f->state) {
		o = json_new_object();
		json_set_int(o, "version", 1);
		json_set_str(o, "hwm", f->next.hwm);
		json_set_str(o, "after", f->next.after);
		json_set_str(o, "cursor", f->next.cursor);
		text = json_dump(o, 1);
		json_free(o);
		r = write_file_atomic(f->tmp_dir, f->state, text, strlen(text), 0600, 0, why);
		free(text);
		if (r == -1)
			return -1;
	}
	pos_copy(&f->pos, &f->next);
	f->has_next = 0;
	return 0;
}

const char *
feed_high(const struct feed *f)
{
	return f->pos.hwm;
}
