/* Unit tests of route.c: the routing rule's steps in their order (the export's
 * <route>, works cadres, no [pa] section, the buyer's entity type) and the one place
 * that refuses the PA route to a supplier without a SIRET. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "route.h"
#include "tap.h"

static int
has(const char *s, const char *what)
{
	return s && strstr(s, what) != NULL;
}

int
main(void)
{
	struct conf c;
	struct route_choice r;
	char *why;

	memset(&c, 0, sizeof(c));
	c.pa = 1;

	route_decide(&c, "pa", "A4", &r);
	ok(r.decided && r.route == ROUTE_PA && has(r.because, "export"),
	   "the export's <route> comes first, even for a works cadre");
	route_decide(&c, "chorus", NULL, &r);
	ok(r.decided && r.route == ROUTE_CHORUS, "<route>chorus</route>");
	route_decide(&c, NULL, "A4", &r);
	ok(r.decided && r.route == ROUTE_CHORUS && has(r.because, "works"), "A4 is a works cadre");
	route_decide(&c, NULL, "A25", &r);
	ok(r.decided && r.route == ROUTE_CHORUS, "A25 is a works cadre");
	ok(!route_works_cadre("A3") && !route_works_cadre("A26") && !route_works_cadre("A1") &&
	       !route_works_cadre("B4") && !route_works_cadre("A") && !route_works_cadre(NULL),
	   "A1, A3, A26, B4 and no cadre are not");
	route_decide(&c, NULL, "A1", &r);
	ok(!r.decided, "with a [pa] section, an ordinary invoice waits for the buyer's type");
	c.pa = 0;
	route_decide(&c, NULL, "A1", &r);
	ok(r.decided && r.route == ROUTE_CHORUS && has(r.because, "[pa]"),
	   "without a [pa] section everything goes to Chorus Pro");
	c.pa = 1;

	route_by_buyer(&c, "Public", &r);
	ok(r.decided && r.route == ROUTE_CHORUS, "a public buyer: Chorus Pro by default");
	c.route_public = CONF_ROUTE_PUBLIC_PA;
	route_by_buyer(&c, "Public", &r);
	ok(r.decided && r.route == ROUTE_PA && has(r.because, "public = pa"),
	   "a public buyer with [route] public = pa: the PA");
	route_by_buyer(&c, "PrivateVatRegistered", &r);
	ok(r.decided && r.route == ROUTE_PA, "a private buyer: the PA");

	ok(route_pa_no_siret(ROUTE_CHORUS, NULL, "DE129273398", "UE_HORS_FRANCE") == NULL,
	   "a supplier without SIRET may use Chorus Pro");
	ok(route_pa_no_siret(ROUTE_PA, "12345678200010", NULL, "SIRET") == NULL &&
	       route_pa_no_siret(ROUTE_PA, NULL, NULL, NULL) == NULL &&
	       route_pa_no_siret(ROUTE_PA, NULL, "12345678200010", "SIRET") == NULL,
	   "a supplier with a SIRET, or of no known type, is not refused here");
	why = route_pa_no_siret(ROUTE_PA, NULL, "DE129273398", "UE_HORS_FRANCE");
	ok(has(why, "DE129273398, UE_HORS_FRANCE") && has(why, "BR-FR-10") &&
	       has(why, "<route>chorus</route>"),
	   "an EU supplier without SIRET is refused the PA, saying why and what to do");
	free(why);
	why = route_pa_no_siret(ROUTE_PA, NULL, "CHE-123.456.789", "HORS_UE");
	ok(has(why, "HORS_UE"), "so is a supplier outside the EU");
	free(why);
	return done_testing();
}
