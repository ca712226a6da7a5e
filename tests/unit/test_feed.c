/* Unit tests of feed.c: the search position (updatedAfter minus the window, the cursor
 * of a cut paging, saved only on commit). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "fileio.h"
#include "pa.h"
#include "tap.h"
#include "util.h"

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

int
main(void)
{
	char dir[] = "/tmp/chorusgw-feed.XXXXXX", *state, *why = NULL;
	struct feed *f;
	struct pa_search_req q;
	struct pa_reply r;
	const char *p1[] = {"2026-12-04T08:00:00.500+01:00", "2026-12-04T08:30:10.000+01:00"};
	const char *p2[] = {"2026-12-04T07:35:00+00:00"};

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
	feed_drop_cursor(f);
	feed_free(f);

	ok(write_file_atomic(dir, state, "{\"version\": 9}", 14, 0600, 0, &why) == 0,
	   "a foreign state");
	f = feed_open(state, dir, 0, 0, &why);
	ok(f == NULL && why && strstr(why, "not a search position"), "... refused, saying so");
	free(why);
	why = NULL;

	unlink(state);
	free(state);
	rmdir(dir);
	return done_testing();
}
