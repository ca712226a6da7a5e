/* Unit tests of feed.c: the search position (updatedAfter minus the window, the cursor
 * of a cut paging, saved only on commit and only when it moved), the flows read within
 * the window, a page read in part, a refused cursor. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "fileio.h"
#include "pa.h"
#include "tap.h"
#include "util.h"

#define W15 (15 * 60 * 1000)

static struct pa_flow flows[3];

static void
page(struct pa_reply *r, const char **updated, size_t n, const char *next)
{
	size_t i;
	memset(r, 0, sizeof(*r));
	memset(flows, 0, sizeof(flows));
	for (i = 0; i < n; i++)
		flows[i].updated = (char *)updated[i];
	r->search.v = flows;
	r->search.n = n;
	r->search.next_cursor = (char *)next;
}

/* A page of flows with ids. */
static void
page_of(struct pa_reply *r, const char **ids, const char **updated, size_t n, const char *next)
{
	size_t i;
	page(r, updated, n, next);
	for (i = 0; i < n; i++)
		flows[i].id = (char *)ids[i];
}

int
main(void)
{
	char dir[] = "/tmp/chorusgw-feed.XXXXXX", *state, *why = NULL;
	struct feed *f;
	struct pa_search_req q;
	struct pa_reply r;
	const char *p1[] = {"2026-12-04T08:00:00.500+01:00", "2026-12-04T08:30:10.000+01:00"};
	const char *p2[] = {"2026-12-04T07:35:00+00:00"};
	const char *ab[] = {"A", "B"}, *ab_up[] = {"2026-12-04T10:01:00Z", "2026-12-04T10:02:00Z"};
	const char *cd[] = {"C", "D"}, *cd_up[] = {"2026-12-04T10:03:00Z", "2026-12-04T10:04:00Z"};
	const char *ef[] = {"E", "F"}, *ef_up[] = {"2026-12-04T10:05:00Z", "2026-12-04T10:06:00Z"};
	const char *g[] = {"G"}, *g_up[] = {"2026-12-04T10:20:00Z"};
	struct pa_result pr;
	time_t t0;

	if (mkdtemp(dir) == NULL)
		return 99;
	state = xasprintf("%s/position", dir);

	f = feed_open(state, dir, 15 * 60 * 1000, 0, &why);
	ok(f != NULL, "a missing state file is a first run");
	memset(&q, 0, sizeof(q));
	feed_query(f, &q);
	is_str(q.updated_after, "1970-01-01T00:00:00Z", "first run: from the start given");
	ok(q.cursor == NULL, "... no cursor");

	page(&r, p1, 2, "CUR-2");
	feed_page(f, &r);
	ok(feed_more(f), "a page with a next cursor: more");
	ok(access(state, F_OK) == -1, "nothing saved before the commit");
	ok(feed_commit(f, &why) == 0, "commit");
	feed_free(f);

	f = feed_open(state, dir, 15 * 60 * 1000, 0, &why);
	feed_query(f, &q);
	is_str(q.cursor, "CUR-2", "after a restart: the cursor of the cut paging");
	is_str(q.updated_after, "1970-01-01T00:00:00Z", "... with the updatedAfter it belongs to");
	page(&r, p2, 1, NULL);
	feed_page(f, &r);
	ok(!feed_more(f), "the last page");
	/* not committed: a new query starts from the committed position again */
	feed_query(f, &q);
	is_str(q.cursor, "CUR-2", "an uncommitted page is read again");
	feed_page(f, &r);
	ok(feed_commit(f, &why) == 0, "commit");
	is_str(feed_high(f), p2[0], "the newest updatedAt read, as an instant (offsets differ)");
	feed_query(f, &q);
	ok(q.cursor == NULL, "paging done: no cursor");
	is_str(q.updated_after, "2026-12-04T07:20:00Z",
	       "updatedAfter = newest minus 15 minutes, UTC");
	feed_free(f);

	ok(write_file_atomic(dir, state, "{\"version\": 9}", 14, 0600, 0, &why) == 0,
	   "a foreign state");
	f = feed_open(state, dir, 0, 0, &why);
	ok(f == NULL && why && strstr(why, "not a search position"), "... refused, saying so");
	free(why);
	why = NULL;

	/* feed_new(): a first run whatever the file holds, replaced at the first commit */
	parse_iso8601("2026-12-04T10:00:00Z", &t0);
	f = feed_new(state, dir, W15, t0);
	feed_query(f, &q);
	is_str(q.updated_after, "2026-12-04T09:45:00Z",
	       "a first run: from the window before start");
	page_of(&r, NULL, NULL, 0, NULL);
	feed_page(f, &r);
	ok(feed_commit(f, &why) == 0, "an empty page committed");
	feed_free(f);
	f = feed_open(state, dir, W15, t0 + 3600, &why);
	ok(f != NULL, "... the foreign state was replaced");
	feed_query(f, &q);
	is_str(q.updated_after, "2026-12-04T09:45:00Z",
	       "... a restart goes on from the first start, not from a new one");

	/* the flows read within the window */
	page_of(&r, ab, ab_up, 2, NULL);
	feed_page(f, &r);
	ok(feed_seen(f, "A", ab_up[0]) && feed_seen(f, "B", ab_up[1]), "the flows read are seen");
	ok(!feed_seen(f, "A", ab_up[1]), "... not when their updatedAt moved");
	ok(feed_commit(f, &why) == 0, "commit");
	feed_free(f);
	f = feed_open(state, dir, W15, t0, &why);
	ok(f && feed_seen(f, "B", ab_up[1]), "... kept across a restart");

	/* the same page again (the window shows it): the position did not move */
	unlink(state);
	feed_query(f, &q);
	feed_page(f, &r);
	ok(feed_commit(f, &why) == 0 && access(state, F_OK) == -1,
	   "a position that did not move is not written again");

	/* a page read in part */
	feed_query(f, &q);
	page_of(&r, cd, cd_up, 2, "CUR-9");
	feed_page(f, &r);
	ok(feed_commit(f, &why) == 0 && access(state, F_OK) == 0, "a moved position is written");
	feed_query(f, &q);
	is_str(q.cursor, "CUR-9", "the next page");
	page_of(&r, ef, ef_up, 2, NULL);
	feed_part(f, &r, 1);
	ok(feed_more(f), "a page read in part: more");
	ok(feed_commit(f, &why) == 0, "commit");
	feed_free(f);
	f = feed_open(state, dir, W15, t0, &why);
	feed_query(f, &q);
	is_str(q.cursor, "CUR-9", "... after a restart, the same page is asked again");
	ok(feed_seen(f, "E", ef_up[0]) && !feed_seen(f, "F", ef_up[1]),
	   "... its flow read is seen, the other not");
	is_str(feed_high(f), ef_up[0], "... the newest updatedAt of the flows read");

	/* a refused cursor */
	memset(&pr, 0, sizeof(pr));
	pr.cls = PA_SETUP;
	ok(!feed_refused(f, &pr), "a set-up failure is no refused cursor");
	pr.cls = PA_DOCUMENT;
	ok(feed_refused(f, &pr), "a search with a cursor refused as a document: the cursor");
	feed_query(f, &q);
	ok(q.cursor == NULL, "... the next search without it");
	is_str(q.updated_after, "2026-12-04T09:50:00Z", "... from the window");
	ok(!feed_refused(f, &pr), "a search without a cursor refused: nothing to drop (no loop)");

	/* the flows updated before the window are forgotten */
	feed_query(f, &q);
	page_of(&r, g, g_up, 1, NULL);
	feed_page(f, &r);
	ok(feed_commit(f, &why) == 0, "commit");
	ok(!feed_seen(f, "A", ab_up[0]) && feed_seen(f, "E", ef_up[0]),
	   "flows updated before the window (and a minute) are forgotten, not the others");
	feed_free(f);

	unlink(state);
	free(state);
	rmdir(dir);
	return done_testing();
}
