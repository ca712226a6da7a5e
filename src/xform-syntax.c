/*
 * xform-syntax.c - the EN 16931 rules that forbid an element or an attribute in a UBL
 * or CII document (rules.h RULE_FORBID rows), in one walk of the tree: each
 * element is looked up by its name in a hash of the patterns that end with it,
 * and only those few are matched against the path from the root. Part of the
 * xform family: it reads the libxml2 tree xform.c parsed.
 *
 * Errors: none; the patterns come from our own table (a malformed one is a
 * programming error and never matches).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>

#include "conf.h"
#include "rules.h"
#include "xform-int.h"
#include "xform-syntax.h"

/* One step of a path: prefix ("*": any) and name ("*": any; `suffix`: the
 * element's name ends with it). */
struct step {
	char *prefix;
	char *name;
	int suffix;
};

struct pattern {
	const struct rule *r;
	size_t bit;   /* index of r in the compiled set, for "already fired" */
	int absolute; /* from the root; otherwise anywhere ("//") */
	size_t nsteps;
	struct step *steps;
	char *attr;           /* the forbidden attribute of the last element; NULL: the element */
	struct pattern *next; /* the next pattern with the same last step */
};

struct compiled {
	xmlHashTablePtr by_last; /* (last step name, prefix) -> struct pattern list */
	struct pattern *wild;    /* patterns whose last step has no plain name */
	size_t nrules;
};

static struct compiled *compiled[2]; /* SYNTAX_UBL, SYNTAX_CII */

/* The prefixes the table uses, by namespace. */
static const struct {
	const char *href, *prefix;
} prefixes[] = {
    {"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2", "cac"},
    {"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2", "cbc"},
    {"urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2", "ext"},
    {"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "ubl"},
    {"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "cn"},
    {"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100", "rsm"},
    {"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100", "ram"},
    {"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100", "udt"},
    {"urn:un:unece:uncefact:data:standard:QualifiedDataType:100", "qdt"},
};

static const char *
prefix_of(const xmlNs *ns)
{
	size_t i;
	if (ns == NULL || ns->href == NULL)
		return "";
	for (i = 0; i < nitems(prefixes); i++)
		if (strcmp((const char *)ns->href, prefixes[i].href) == 0)
			return prefixes[i].prefix;
	return "?";
}

/* "cac:Foo" -> step; "*" -> any element; "ram:*Foo" -> a ram name ending in Foo. */
static void
parse_step(const char *s, size_t len, struct step *st)
{
	const char *colon = memchr(s, ':', len);
	const char *name = colon ? colon + 1 : s;
	size_t nlen = len - (size_t)(name - s);
	st->prefix = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup("*");
	st->suffix = nlen > 1 && name[0] == '*';
	st->name = st->suffix ? xstrndup(name + 1, nlen - 1) : xstrndup(name, nlen);
}

/* One alternative of a RULE_FORBID path into a pattern. */
static struct pattern *
parse_pattern(const char *s, size_t len)
{
	struct pattern *p = xcalloc(1, sizeof(*p));
	const char *end = s + len, *q;

	if (len >= 2 && s[0] == '/' && s[1] == '/')
		s += 2;
	else {
		p->absolute = 1;
		s++;
	}
	while (s < end) {
		q = memchr(s, '/', (size_t)(end - s));
		if (q == NULL)
			q = end;
		if (*s == '@')
			p->attr = xstrndup(s + 1, (size_t)(q - s - 1));
		else {
			p->steps = xreallocarray(p->steps, p->nsteps + 1, sizeof(*p->steps));
			parse_step(s, (size_t)(q - s), &p->steps[p->nsteps++]);
		}
		s = q + 1;
	}
	return p;
}

static void
add_pattern(struct compiled *c, struct pattern *p)
{
	const struct step *last = p->nsteps ? &p->steps[p->nsteps - 1] : NULL;
	struct pattern *head;

	if (last == NULL || last->suffix || strcmp(last->name, "*") == 0 ||
	    strcmp(last->prefix, "*") == 0) {
		p->next = c->wild;
		c->wild = p;
		return;
	}
	head =
	    xmlHashLookup2(c->by_last, (const xmlChar *)last->name, (const xmlChar *)last->prefix);
	p->next = head;
	if (head)
		xmlHashUpdateEntry2(c->by_last, (const xmlChar *)last->name,
		                    (const xmlChar *)last->prefix, p, NULL);
	else
		xmlHashAddEntry2(c->by_last, (const xmlChar *)last->name,
		                 (const xmlChar *)last->prefix, p);
}

static struct compiled *
compile(unsigned syntax_bit)
{
	struct compiled *c = xcalloc(1, sizeof(*c));
	const struct ruleset *const *set;
	size_t i;

	c->by_last = xmlHashCreate(512);
	for (set = rulesets; *set; set++)
		for (i = 0; i < (*set)->n; i++) {
			const struct rule *r = &(*set)->v[i];
			const char *s = r->what, *bar;
			if (r->how != RULE_FORBID || !(r->syntax & syntax_bit))
				continue;
			for (;;) {
				struct pattern *p;
				bar = strstr(s, " | ");
				p = parse_pattern(s, bar ? (size_t)(bar - s) : strlen(s));
				p->r = r;
				p->bit = c->nrules;
				add_pattern(c, p);
				if (bar == NULL)
					break;
				s = bar + 3;
			}
			c->nrules++;
		}
	return c;
}

static void
free_patterns(struct pattern *p)
{
	size_t i;
	while (p) {
		struct pattern *next = p->next;
		for (i = 0; i < p->nsteps; i++) {
			free(p->steps[i].prefix);
			free(p->steps[i].name);
		}
		free(p->steps);
		free(p->attr);
		free(p);
		p = next;
	}
}

static void
free_entry(void *payload, const xmlChar *name)
{
	(void)name;
	free_patterns(payload);
}

void
xform_syntax_cleanup(void)
{
	size_t i;
	for (i = 0; i < nitems(compiled); i++) {
		if (compiled[i] == NULL)
			continue;
		xmlHashFree(compiled[i]->by_last, free_entry);
		free_patterns(compiled[i]->wild);
		free(compiled[i]);
		compiled[i] = NULL;
	}
}

/* The path from the root to the element being looked at. */
struct frame {
	const char *prefix;
	const char *name;
};

static int
step_matches(const struct step *st, const struct frame *f)
{
	size_t n, l;
	if (strcmp(st->prefix, "*") != 0 && strcmp(st->prefix, f->prefix) != 0)
		return 0;
	if (st->suffix) {
		n = strlen(st->name);
		l = strlen(f->name);
		return l >= n && strcmp(f->name + l - n, st->name) == 0;
	}
	return strcmp(st->name, "*") == 0 || strcmp(st->name, f->name) == 0;
}

static int
matches(const struct pattern *p, const struct frame *path, size_t depth, xmlNodePtr node)
{
	size_t i, first;
	if (p->absolute ? p->nsteps != depth : p->nsteps > depth)
		return 0;
	first = depth - p->nsteps;
	for (i = 0; i < p->nsteps; i++)
		if (!step_matches(&p->steps[i], &path[first + i]))
			return 0;
	return p->attr == NULL || xmlHasNsProp(node, (const xmlChar *)p->attr, NULL) != NULL;
}

struct walk {
	struct compiled *c;
	unsigned char *fired;
	xform_syntax_fn *fn;
	void *arg;
	size_t n;
};

static void
fire(struct walk *w, const struct pattern *p, const struct frame *path, size_t depth,
     xmlNodePtr node)
{
	struct buf b;
	size_t i;
	w->fired[p->bit] = 1;
	w->n++;
	buf_init(&b);
	for (i = 0; i < depth; i++)
		buf_printf(&b, "/%s%s%s", path[i].prefix, *path[i].prefix ? ":" : "", path[i].name);
	if (p->attr)
		buf_printf(&b, "/@%s", p->attr);
	w->fn(w->arg, p->r, b.p, (int)xmlGetLineNo(node));
	buf_free(&b);
}

static void
visit(struct walk *w, const struct pattern *p, const struct frame *path, size_t depth,
      xmlNodePtr node)
{
	for (; p; p = p->next)
		if (!w->fired[p->bit] && matches(p, path, depth, node))
			fire(w, p, path, depth, node);
}

size_t
xform_syntax_check(const struct xform_doc *doc, int syntax, xform_syntax_fn *fn, void *arg)
{
	struct walk w = {0};
	struct frame *path = NULL;
	size_t depth = 0, cap = 0;
	const xmlNs *last_ns = NULL;
	const char *last_prefix = "";
	xmlNodePtr node = xmlDocGetRootElement(doc->doc);
	int k = syntax == SYNTAX_CII ? 1 : 0;

	if (node == NULL)
		return 0;
	if (compiled[k] == NULL)
		compiled[k] = compile(k ? RULE_CII : RULE_UBL);
	w.c = compiled[k];
	w.fired = xcalloc(w.c->nrules + 1, 1);
	w.fn = fn;
	w.arg = arg;
	/* Depth-first, without recursion: the parser bounds the depth, not the stack. */
	while (node) {
		if (node->type == XML_ELEMENT_NODE) {
			if (depth == cap) {
				cap = cap ? cap * 2 : 32;
				path = xreallocarray(path, cap, sizeof(*path));
			}
			if (node->ns != last_ns) {
				last_ns = node->ns;
				last_prefix = prefix_of(last_ns);
			}
			path[depth].prefix = last_prefix;
			path[depth].name = (const char *)node->name;
			depth++;
			visit(
			    &w,
			    xmlHashLookup2(w.c->by_last, node->name, (const xmlChar *)last_prefix),
			    path, depth, node);
			visit(&w, w.c->wild, path, depth, node);
			if (node->children) {
				node = node->children;
				continue;
			}
			depth--;
		}
		while (node->next == NULL) {
			node = node->parent;
			if (node == NULL || node->type != XML_ELEMENT_NODE) {
				node = NULL;
				break;
			}
			depth--;
		}
		if (node)
			node = node->next;
	}
	free(path);
	free(w.fired);
	return w.n;
}
