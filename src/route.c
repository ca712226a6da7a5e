/*
 * route.c - the routing rule of a document (route.h): the export's choice, works
 * invoices, the configuration, the buyer's entity type.
 *
 * Errors: none; pure functions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "route.h"
#include "util.h"

const char *
route_name(unsigned r)
{
	const struct route_preflight *rp = route_preflight(r);
	return rp ? rp->name : "?";
}

unsigned
route_named(const char *s)
{
	const struct route_preflight *rp = route_preflight_named(s);
	return rp ? rp->route : 0;
}

int
route_works_cadre(const char *cadre)
{
	int64_t n;
	return cadre && cadre[0] == 'A' && parse_int64(cadre + 1, &n) == 0 && n >= 4 && n <= 25;
}

void
route_decide(const struct conf *c, const char *explicit, const char *cadre,
             struct route_choice *out)
{
	memset(out, 0, sizeof(*out));
	out->decided = 1;
	if ((out->route = route_named(explicit)) != 0) {
		out->because = "named by the export";
		return;
	}
	if (route_works_cadre(cadre)) {
		out->route = ROUTE_CHORUS;
		out->because = "a works invoice (cadre of the travaux family) stays on Chorus Pro";
		return;
	}
	if (!c->pa) {
		out->route = ROUTE_CHORUS;
		out->because = "no [pa] section: Chorus Pro";
		return;
	}
	out->decided = 0;
}

void
route_by_buyer(const struct conf *c, const char *entity_type, struct route_choice *out)
{
	out->decided = 1;
	if (entity_type && strcmp(entity_type, "Public") == 0) {
		out->route = c->route_public == CONF_ROUTE_PUBLIC_PA ? ROUTE_PA : ROUTE_CHORUS;
		out->because = out->route == ROUTE_PA
		                   ? "a public buyer (Directory): [route] public = pa"
		                   : "a public buyer (Directory): Chorus Pro";
	} else {
		out->route = ROUTE_PA;
		out->because = "a private buyer (Directory): the PA";
	}
}
