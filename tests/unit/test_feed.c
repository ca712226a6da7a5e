/* Unit tests of feed.c (the search position: updatedAfter minus the window, the cursor
 * of a cut paging, saved only on commit) and of incoming.c's receipt (round trip, torn
 * or edited receipts refused) and flow names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "fileio.h"
#include "incoming.h"
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
	char dir[] = "/tmp/chorusgw-feed.XXXXXX", *state, *why = NULL, *text;
	struct feed *f;
	struct pa_search_req q;
	struct pa_reply r;
	struct in_receipt rc, back;
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

	/* the incoming receipt */
	memset(&rc, 0, sizeof(rc));
	inr_set(&rc, "state", "received");
	inr_set(&rc, "supplier_name", "Café \"Au bon coin\"\n; not a comment");
	inr_set(&rc, "state", "quarantined");
	inr_add(&rc, "history", "one");
	inr_add(&rc, "history", "two");
	is_str(inr_get(&rc, "state"), "quarantined", "inr_set replaces");
	is_str(inr_get(&rc, "history.2"), "two", "inr_add numbers");
	text = inr_format(&rc);
	ok(inr_parse(text, strlen(text), &back, &why) == 0, "round trip");
	is_str(inr_get(&back, "supplier_name"), "Café \"Au bon coin\"\n; not a comment",
	       "... escapes restored");
	ok(back.n == rc.n, "... every key");
	inr_free(&back);
	text[strlen(text) / 2] ^= 1;
	ok(inr_parse(text, strlen(text), &back, &why) == -1, "an edited receipt is refused: %s",
	   why);
	free(why);
	why = NULL;
	ok(inr_parse(text, strlen(text) / 2, &back, &why) == -1, "a torn receipt is refused");
	free(why);
	free(text);
	inr_free(&rc);

	text = incoming_name("PAE-20261204-0a1b2c");
	is_str(text, "PAE-20261204-0a1b2c", "a safe flow id is the file name");
	free(text);
	text = incoming_name("../../etc/passwd");
	ok(strncmp(text, "flow-", 5) == 0 && strlen(text) == 21 && strchr(text, '/') == NULL,
	   "an unsafe one is hashed: %s", text);
	free(text);
	text = incoming_name(".hidden");
	ok(strncmp(text, "flow-", 5) == 0, "a dot-file name is hashed too");
	free(text);

	unlink(state);
	free(state);
	rmdir(dir);
	return done_testing();
}
