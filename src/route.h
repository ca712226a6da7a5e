/*
 * route.h - which route a document takes (Chorus Pro direct, or a Plateforme Agréée):
 * the routing rule (DESIGN §11). The routes themselves are rules.h's ROUTE_CHORUS and
 * ROUTE_PA, and what the pre-flight makes and applies on each is rules.c's
 * route_preflight(); this module only chooses between them.
 *
 * The rule (chorusgw(8), ROUTES), in this order:
 *   1. the ERP export names the route (<route>, chorusgw-erp(5));
 *   2. a works invoice (cadre de facturation A4 to A25, the travaux family) goes to
 *      Chorus Pro: the reform keeps them there;
 *   3. without a [pa] section, everything goes to Chorus Pro, as before the reform;
 *   4. otherwise the buyer decides: the Directory's entityType of its SIREN (a public
 *      entity: [route] public, Chorus Pro by default; a private company: the PA).
 * Pure functions; no I/O (the Directory answer is the caller's to fetch).
 */
#ifndef CHORUSGW_ROUTE_H
#define CHORUSGW_ROUTE_H

#include "rules.h"

struct conf;

/* The routes, numbered from 0 for arrays: route_index(ROUTE_CHORUS) is 0. */
#define ROUTE_N        2
#define route_index(r) ((unsigned)(r)-1u)

/* "chorus" or "pa" (route_preflight()'s name); "?" for no route. */
const char *route_name(unsigned route);
/* The ROUTE_* named "chorus" or "pa", else 0. */
unsigned route_named(const char *);

/* The decision for one document. */
struct route_choice {
	int decided;         /* 0: the buyer's entity type is needed (route_by_buyer) */
	unsigned route;      /* ROUTE_*, when decided */
	const char *because; /* why, in words (static), for the receipt's history */
};
/* Steps 1 to 3 of the rule: `explicit` is the export's <route> (NULL: none), `cadre`
 * BT-23 (NULL: none). A wrong <route> value is refused by the ERP schema first. */
void route_decide(const struct conf *, const char *explicit, const char *cadre,
                  struct route_choice *out);
/* Step 4: the Directory's entityType of the buyer's SIREN ("Public",
 * "PrivateVatRegistered"). */
void route_by_buyer(const struct conf *, const char *entity_type, struct route_choice *out);
/* NULL when `route` may carry the supplier's invoice; else why a supplier without a
 * SIRET (`siret` NULL, its identifier `id` of Chorus Pro type name `type`,
 * UE_HORS_FRANCE or HORS_UE) has no PA route, and what to do; caller frees. */
char *route_pa_no_siret(unsigned route, const char *siret, const char *id, const char *type);
/* 1 when the cadre is of the works family (A4 to A25). */
int route_works_cadre(const char *cadre);

#endif
