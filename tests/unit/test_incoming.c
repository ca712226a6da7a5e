/* Unit tests of incoming.c: the receipt (round trip, torn or edited receipts refused) and
 * flow file names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "incoming.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	char *why = NULL, *text;
	struct in_receipt rc, back;

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

	return done_testing();
}
