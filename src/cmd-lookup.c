/*
 * cmd-lookup.c - `chorusgw lookup SIREN|SIRET [ROUTING-CODE]`: what the PA's Directory
 * Service says about a company (legal unit), a facility, a routing code, and which
 * directory line receives its invoices, asked now (the cache is not read), printed for
 * a person.
 *
 * Errors: one line on stderr; exit 0 when the company receives electronic invoices, 4
 * when the Directory does not know it or it does not receive (an invoice to it would be
 * refused), 5 when the PA cannot be asked, 3 for the configuration, 2 for the command
 * line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "http.h"
#include "pa.h"
#include "util.h"

struct lk_wait {
	int done;
	struct pa_reply *p;
};

static void
lk_done(struct pa_reply *p, void *arg)
{
	struct lk_wait *w = arg;
	w->p = p;
	w->done = 1;
}

/* Wait for the look-up started with `w`. The reply when the Directory answered (the
 * caller frees it); NULL after printing why it could not. */
static struct pa_reply *
lk_wait(struct lk_wait *w)
{
	char *why = NULL;
	if (http_run_until(&w->done, &why) == -1) {
		fprintf(stderr, "chorusgw: lookup: %s\n", why);
		free(why);
		return NULL;
	}
	if (w->p->r.cls != PA_OK) {
		fprintf(stderr, "chorusgw: lookup: %s%s%s\n",
		        w->p->r.reason ? w->p->r.reason : "failed", w->p->r.setup ? "; " : "",
		        w->p->r.setup ? w->p->r.setup : "");
		pa_reply_free(w->p);
		return NULL;
	}
	return w->p;
}

static const char *
or_unknown(const char *s)
{
	return s ? s : "?";
}

static const char *
entity_words(const char *t)
{
	if (t && strcmp(t, "Public") == 0)
		return "a public entity: its invoices go through Chorus Pro";
	if (t && strcmp(t, "PrivateVatRegistered") == 0)
		return "a private company";
	return "entity type not given";
}

static const char *
status_words(const char *s)
{
	if (s && strcmp(s, "A") == 0)
		return "active";
	if (s && strcmp(s, "C") == 0)
		return "closed";
	return "status not given";
}

static const char *
platform_words(const char *p)
{
	if (p && strcmp(p, "WK") == 0)
		return "a Plateforme Agréée";
	if (p && strcmp(p, "DFH") == 0)
		return "the PPF (Chorus Pro for public buyers)";
	return "platform not given";
}

static void
print_facility(const struct pa_facility *f, const char *siret)
{
	if (!f->found) {
		printf("SIRET %s: not in the Directory\n", siret);
		return;
	}
	printf("SIRET %s: %s\n  facility        %s, %s\n", siret, or_unknown(f->name),
	       f->type && strcmp(f->type, "P") == 0 ? "main" : "secondary",
	       status_words(f->status));
	if (f->b2g)
		printf("  public buyer    engagement number %s, service code %s%s\n",
		       f->manages_legal_commitment ? "required" : "not required",
		       f->service_code ? "required" : "not required",
		       f->manages_legal_commitment_or_service ? ", one of them required" : "");
}

static void
print_routing(const struct pa_routing *r, const char *siret, const char *code)
{
	if (!r->found) {
		printf("routing code %s: not defined at SIRET %s\n", code, siret);
		return;
	}
	printf("routing code %s: %s, %s%s\n", code, or_unknown(r->name), status_words(r->status),
	       r->manages_legal_commitment ? ", engagement number required" : "");
}

static int
cmd_lookup(const struct cmd_ctx *ctx, int argc, char **argv)
{
	char seen[4], siren[10], *why = NULL;
	const char *id, *siret = NULL, *routing = NULL;
	struct conf *c;
	struct pa *pa;
	struct lk_wait w;
	struct pa_reply *co = NULL, *fa = NULL, *rc = NULL, *li = NULL;
	const struct pa_line *best;
	int code = EXIT_SETUP;
	size_t i;

	CMD_OPTS_OR_RETURN(ctx, argc, argv, NULL, "+h", seen);
	if (argc - first < 1 || argc - first > 2) {
		fprintf(stderr, "chorusgw: lookup: needs a SIREN or a SIRET\n");
		cmd_usage(stderr, ctx->entry);
		return EXIT_USAGE;
	}
	id = argv[first];
	if (argc - first == 2)
		routing = argv[first + 1];
	if (!(str_digits(id, 9) && siren_ok(id)) && !(str_digits(id, 14) && siret_ok(id))) {
		fprintf(stderr,
		        "chorusgw: lookup: \"%s\" is neither a SIREN (9 digits) nor a SIRET (14 "
		        "digits) with a valid Luhn key\n",
		        id);
		return EXIT_USAGE;
	}
	if (strlen(id) == 14)
		siret = id;
	else if (routing) {
		fprintf(stderr, "chorusgw: lookup: a routing code needs the SIRET it belongs to\n");
		return EXIT_USAGE;
	}
	snprintf(siren, sizeof(siren), "%.9s", id);
	c = cmd_load_conf(ctx, 0, 0);
	if (c == NULL)
		return EXIT_CONFIG;
	if (!c->pa) {
		fprintf(stderr, "chorusgw: lookup: no [pa] section: the Directory is asked through "
		                "the PA (see chorusgw.ini(5))\n");
		conf_free(c);
		return EXIT_CONFIG;
	}
	if (ev_init(&why) == -1 || (pa = pa_new(c, NULL, &why)) == NULL) {
		fprintf(stderr, "chorusgw: lookup: %s\n", why);
		free(why);
		ev_fini();
		conf_free(c);
		return EXIT_RUNTIME;
	}

	memset(&w, 0, sizeof(w));
	pa_siren(pa, siren, 1, lk_done, &w);
	if ((co = lk_wait(&w)) == NULL)
		goto out;
	if (!co->company.found) {
		printf("SIREN %s: not in the Directory: it receives "
		       "no electronic invoice (check the SIREN)\n",
		       siren);
		code = EXIT_REJECTED;
		goto out;
	}
	printf("SIREN %s: %s\n  entity type     %s (%s)\n  status          %s\n", siren,
	       or_unknown(co->company.name), or_unknown(co->company.entity_type),
	       entity_words(co->company.entity_type), status_words(co->company.status));
	if (siret) {
		memset(&w, 0, sizeof(w));
		pa_siret(pa, siret, 1, lk_done, &w);
		if ((fa = lk_wait(&w)) == NULL)
			goto out;
		print_facility(&fa->facility, siret);
	}
	if (routing) {
		memset(&w, 0, sizeof(w));
		pa_routing_code(pa, siret, routing, 1, lk_done, &w);
		if ((rc = lk_wait(&w)) == NULL)
			goto out;
		print_routing(&rc->routing, siret, routing);
	}
	memset(&w, 0, sizeof(w));
	pa_directory_lines(pa, siren, 1, lk_done, &w);
	if ((li = lk_wait(&w)) == NULL)
		goto out;
	printf("directory lines (%zu):\n", li->lines.n);
	for (i = 0; i < li->lines.n; i++) {
		const struct pa_line *l = &li->lines.v[i];
		printf("  %-40s %-8s %s\n", or_unknown(l->address), or_unknown(l->status),
		       platform_words(l->platform));
	}
	best = pa_best_line(li->lines.v, li->lines.n, siret, routing);
	if (best == NULL)
		printf("receives electronic invoices: no, no directory line addresses %s%s%s\n", id,
		       routing ? " " : "", routing ? routing : "");
	else if (!pa_line_receives(best))
		printf("receives electronic invoices: no, its line %s is %s\n", best->address,
		       or_unknown(best->status));
	else
		printf("receives electronic invoices: yes, at %s through %s\n", best->address,
		       platform_words(best->platform));
	code = pa_line_receives(best) &&
	               (co->company.status == NULL || strcmp(co->company.status, "C") != 0)
	           ? EXIT_OK
	           : EXIT_REJECTED;
out:
	pa_reply_free(co);
	pa_reply_free(fa);
	pa_reply_free(rc);
	pa_reply_free(li);
	pa_free(pa);
	ev_fini();
	conf_free(c);
	return code;
}

const struct cmd_entry cmd_lookup_entry = {
    "lookup", cmd_lookup, "SIREN | SIRET [ROUTING-CODE]",
    "what the PA's Directory says about a company: does it receive, where",
    "Asks the Directory Service of the [pa] section now (its cache is not read).\n"
    "Exit 0: it receives electronic invoices; 4: unknown, closed or not receiving.\n"};
