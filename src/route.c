/*
 * route.c - the routing rule of a document (route.h): the export's choice, works
 * invoices, the configuration, the buyer's entity type; and why a supplier without a
 * SIRET has no PA route.
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

/* The PA route carries the invoices of companies established in France, which the
 * French rules know by their SIREN (BR-FR-10); a supplier without a SIRET is
 * established abroad (chorusgw-erp(5)) and has none. Decided here for the gateway
 * (gateway.c's routed()) and `validate` alike. */
char *
route_pa_no_siret(unsigned route, const char *siret, const char *id, const char *type)
{
	if (route != ROUTE_PA || siret != NULL || type == NULL || strcmp(type, "SIRET") == 0)
		return NULL;
	return xasprintf(
	    "the supplier has no SIRET (%s, %s): the Plateforme Agréée route carries the "
	    "invoices of companies established in France, which the French rules identify "
	    "by their SIREN (BR-FR-10), so chorusgw does not send this supplier's invoice "
	    "through the PA; to a public buyer, deposit it on Chorus Pro directly "
	    "(<route>chorus</route> in the export, or [route] public = chorus); to a "
	    "company, send it outside chorusgw: a supplier established abroad is outside "
	    "the reform's e-invoicing through a PA",
	    id ? id : "?", type);
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
