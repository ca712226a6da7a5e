/*
 * xform-syntax.c - the EN 16931 rules of a UBL or CII document's syntax: those that
 * forbid an element or an attribute (rules.h RULE_FORBID rows) and those that count
 * the elements under a context or check an attribute's code (RULE_ASSERT rows), in
 * one walk of the tree: each element is looked up by its name in a hash of the
 * patterns that end with it, and only those few are matched against the path from
 * the root; attributes forbidden anywhere are looked up by their name. Part of the
 * xform family: it reads the libxml2 tree xform.c parsed.
 *
 * Errors: none; the patterns come from our own table (a malformed one is a
 * programming error and never matches).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/hash.h>

#include "codelist.h"
#include "conf.h"
#include "rules.h"
#include "xform-int.h"
#include "xform-syntax.h"

struct pred;

/* One step of a path: prefix ("*": any) and name ("*": any; `suffix`: the
 * element's name ends with it; `except`: but is none of these names, "ram:*Amount~TaxTotalAmount",
 * "*~A~B"),
 * then predicates "[...]" the element must pass. In a relative path, a last step
 * "@attr" reaches the elements that have it, and "." is the element itself. */
struct step {
	char *prefix;
	char *name;
	char *except;
	char *attr;
	int suffix;
	int any_name, any_prefix; /* name, prefix "*" */
	const char *canon;        /* the prefix as prefixes[] has it (prefix_of()), or NULL */
	size_t name_len;
	size_t npreds;
	struct pred *preds;
};

/* A predicate, as XPath's: "[REL]" (REL reaches an element), "[REL='a','b']" (one of
 * them has one of these texts, blanks trimmed), "[REL!='a']" (one has another text),
 * a trailing i to compare without case (upper-case()), "[ancestor::P:NAME]" (one
 * ancestor is that element), and "[not ...]". */
struct pred {
	int neg, ne, icase;
	int ancestor; /* "ancestor::STEP": steps is that one step */
	size_t nsteps;
	struct step *steps;
	size_t nvals;
	char **vals;
};

/* A RULE_ASSERT test on the context element: "REL <= N", "REL = N", "REL >= N" (how
 * many elements REL, a relative path, reaches), "@attr in LIST" (the attribute,
 * blanks trimmed, is a code of that list of codelist.h; "@attr? in LIST": when it
 * is there), ". in LIST" (the same for the element's text),
 * "same" (every element the context matches in the document has the same text,
 * blanks trimmed, as the first), "once" (the context matches once in the document at
 * most), "REL != ../REL2" (XPath's general comparison: one text REL reaches from the
 * element differs from one that REL2 reaches from its parent), ". decimals <= N",
 * ". is CCYYMMDD", ". #code# in LIST" (UBL's note subject: the text between the
 * first two "#", when it is 3 characters long, is in that list, read as a string as
 * XPath's contains() reads it). A count's REL starting with "/" is from the root. */
enum test_kind {
	TEST_LE,
	TEST_EQ,
	TEST_GE,
	TEST_CODE,
	TEST_SAME,
	TEST_ONCE,
	TEST_DIFFERS,
	TEST_DECIMALS, /* ". decimals <= N": at most N characters after the first "." */
	TEST_DATE102,  /* ". is CCYYMMDD": format 102, blanks around allowed */
	TEST_SUBJECT,  /* ". #code# in LIST": see subject_ok() */
};

struct test {
	enum test_kind kind;
	size_t n;
	size_t nsteps;
	struct step *steps;
	size_t nsteps2; /* TEST_DIFFERS: REL2, from the parent */
	struct step *steps2;
	char *attr;       /* TEST_CODE: the attribute; NULL: the text */
	int optional;     /* TEST_CODE: "@attr?" */
	int exact;        /* TEST_CODE: the code as written, not normalize-space()'d */
	int absolute;     /* TEST_LE, _EQ, _GE: REL is "/...", from the document's root */
	char *list;       /* TEST_CODE: the list's name */
	char *text;       /* as written in the table, for the message */
	struct test *alt; /* "T1 or T2": passes when either does */
};

struct pattern {
	const struct rule *r;
	size_t bit;   /* index of r in the compiled set, for "already fired" */
	int absolute; /* from the root; otherwise anywhere ("//") */
	size_t nsteps;
	struct step *steps;
	char *attr;           /* the forbidden attribute of the last element; NULL: the element */
	struct test *test;    /* RULE_ASSERT: the test on the element; NULL: forbidden */
	struct pattern *next; /* the next pattern with the same last step */
};

struct compiled {
	xmlHashTablePtr by_last; /* (last step name, prefix) -> struct pattern list */
	struct pattern *wild;    /* patterns whose last step has no plain name */
	xmlHashTablePtr by_attr; /* attribute name -> patterns "//@name" (anywhere) */
	size_t nrules;
	size_t nbad; /* RULE_ASSERT groups whose test is malformed (never checked) */
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

/* The next "/" between s and end outside a predicate, or end. */
static const char *
next_slash(const char *s, const char *end)
{
	int depth = 0;
	for (; s < end; s++)
		if (*s == '[')
			depth++;
		else if (*s == ']')
			depth--;
		else if (*s == '/' && depth == 0)
			return s;
	return end;
}

static size_t parse_steps(const char *s, size_t len, struct step **steps);

/* The predicate between "[" and "]" (s, len). */
static void
parse_pred(const char *s, size_t len, struct pred *pr)
{
	const char *end = s + len, *eq, *v;
	memset(pr, 0, sizeof(*pr));
	if (len > 4 && memcmp(s, "not ", 4) == 0) {
		pr->neg = 1;
		s += 4;
	}
	if ((size_t)(end - s) > 10 && memcmp(s, "ancestor::", 10) == 0) {
		pr->ancestor = 1;
		pr->nsteps = parse_steps(s + 10, (size_t)(end - s - 10), &pr->steps);
		return;
	}
	eq = memchr(s, '=', (size_t)(end - s));
	if (eq == NULL) {
		pr->nsteps = parse_steps(s, (size_t)(end - s), &pr->steps);
		return;
	}
	pr->ne = eq > s && eq[-1] == '!';
	pr->nsteps = parse_steps(s, (size_t)(eq - pr->ne - s), &pr->steps);
	pr->icase = end[-1] == 'i';
	for (v = eq + 1; v < end && *v == '\'';) {
		const char *q = memchr(v + 1, '\'', (size_t)(end - v - 1));
		if (q == NULL)
			break;
		pr->vals = xreallocarray(pr->vals, pr->nvals + 1, sizeof(*pr->vals));
		pr->vals[pr->nvals++] = xstrndup(v + 1, (size_t)(q - v - 1));
		v = q + 1;
		if (v < end && *v == ',')
			v++;
	}
}

/* "cac:Foo" -> step; "*" -> any element; "ram:*Foo" -> a ram name ending in Foo;
 * "." -> the element itself (no step: the caller skips it). */
static void
parse_step(const char *s, size_t len, struct step *st)
{
	const char *colon, *name, *tilde, *br = memchr(s, '[', len);
	size_t nlen;
	memset(st, 0, sizeof(*st));
	while (br) { /* predicates, to the end of the step */
		const char *close = br + 1;
		int depth = 1;
		for (; close < s + len && depth; close++)
			depth += *close == '[' ? 1 : *close == ']' ? -1 : 0;
		st->preds = xreallocarray(st->preds, st->npreds + 1, sizeof(*st->preds));
		parse_pred(br + 1, (size_t)(close - br - 2), &st->preds[st->npreds++]);
		br = close < s + len && *close == '[' ? close : NULL;
	}
	if ((br = memchr(s, '[', len)) != NULL)
		len = (size_t)(br - s);
	colon = memchr(s, ':', len);
	name = colon ? colon + 1 : s;
	tilde = memchr(s, '~', len);
	if (len && s[0] == '@') {
		st->attr = xstrndup(s + 1, len - 1);
		st->prefix = xstrdup("*");
		st->name = xstrdup("*");
		st->any_name = st->any_prefix = 1;
		return;
	}
	if (tilde) {
		st->except = xstrndup(tilde + 1, len - (size_t)(tilde + 1 - s));
		len = (size_t)(tilde - s);
	}
	nlen = len - (size_t)(name - s);
	st->prefix = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup("*");
	st->suffix = nlen > 1 && name[0] == '*';
	st->name = st->suffix ? xstrndup(name + 1, nlen - 1) : xstrndup(name, nlen);
	st->name_len = strlen(st->name);
	st->any_name = strcmp(st->name, "*") == 0;
	st->any_prefix = strcmp(st->prefix, "*") == 0;
	for (size_t i = 0; i < nitems(prefixes) && !st->canon; i++)
		if (strcmp(st->prefix, prefixes[i].prefix) == 0)
			st->canon = prefixes[i].prefix;
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
		q = next_slash(s, end);
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

/* Relative steps "a:B/c:D" (no leading "/") into an array; returns how many. */
static size_t
parse_steps(const char *s, size_t len, struct step **steps)
{
	const char *end = s + len, *q;
	size_t n = 0;
	*steps = NULL;
	while (s < end) {
		q = next_slash(s, end);
		if (!(q - s == 1 && *s == '.')) {
			*steps = xreallocarray(*steps, n + 1, sizeof(**steps));
			parse_step(s, (size_t)(q - s), &(*steps)[n++]);
		}
		s = q + 1;
	}
	return n;
}

static void
free_steps(struct step *st, size_t n)
{
	size_t i, j, k;
	for (i = 0; i < n; i++) {
		for (j = 0; j < st[i].npreds; j++) {
			struct pred *pr = &st[i].preds[j];
			free_steps(pr->steps, pr->nsteps);
			for (k = 0; k < pr->nvals; k++)
				free(pr->vals[k]);
			free(pr->vals);
		}
		free(st[i].preds);
		free(st[i].prefix);
		free(st[i].name);
		free(st[i].except);
		free(st[i].attr);
	}
	free(st);
}

static void
free_test(struct test *t)
{
	while (t) {
		struct test *next = t->alt;
		free_steps(t->steps, t->nsteps);
		free_steps(t->steps2, t->nsteps2);
		free(t->attr);
		free(t->list);
		free(t->text);
		free(t);
		t = next;
	}
}

/* The test after ": " in a RULE_ASSERT group, or NULL when malformed. */
static struct test *
parse_test(const char *s)
{
	struct test *t = xcalloc(1, sizeof(*t));
	const char *op, *alt = strstr(s, " or ");
	t->text = xstrdup(s);
	if (alt) {
		char *first = xstrndup(s, (size_t)(alt - s));
		struct test *a = parse_test(first), *b = parse_test(alt + 4);
		free(first);
		free(t->text);
		free(t);
		if (a == NULL || b == NULL) {
			free_test(a);
			free_test(b);
			return NULL;
		}
		a->alt = b;
		free(a->text);
		a->text = xstrdup(s);
		return a;
	}
	if (strcmp(s, "same") == 0 || strcmp(s, "once") == 0) {
		t->kind = s[0] == 's' ? TEST_SAME : TEST_ONCE;
		return t;
	}
	if (strncmp(s, ". decimals <= ", 14) == 0) {
		t->kind = TEST_DECIMALS;
		t->n = strtoul(s + 14, NULL, 10);
		return t;
	}
	if (strcmp(s, ". is CCYYMMDD") == 0) {
		t->kind = TEST_DATE102;
		return t;
	}
	if (strncmp(s, ". #code# in ", 12) == 0) {
		t->kind = TEST_SUBJECT;
		t->list = xstrdup(s + 12);
		if (!codelist_known(t->list))
			goto bad;
		return t;
	}
	if ((op = strstr(s, " != ../")) != NULL) {
		t->kind = TEST_DIFFERS;
		t->nsteps = parse_steps(s, (size_t)(op - s), &t->steps);
		t->nsteps2 = parse_steps(op + 7, strlen(op + 7), &t->steps2);
		return t;
	}
	if ((op = strstr(s, " in ")) != NULL) {
		t->kind = TEST_CODE;
		t->list = xstrdup(op + 4);
		t->exact = codelist_exact(t->list);
		if (!codelist_known(t->list) || (s[0] != '@' && !(s[0] == '.' && op == s + 1)))
			goto bad;
		if (s[0] == '@') {
			t->optional = op[-1] == '?';
			t->attr = xstrndup(s + 1, (size_t)(op - s - 1) - (size_t)t->optional);
		}
		return t;
	}
	if ((op = strstr(s, " <= ")) != NULL)
		t->kind = TEST_LE;
	else if ((op = strstr(s, " >= ")) != NULL)
		t->kind = TEST_GE;
	else if ((op = strstr(s, " = ")) != NULL)
		t->kind = TEST_EQ;
	else
		goto bad;
	t->n = strtoul(strchr(op + 1, ' ') + 1, NULL, 10);
	t->absolute = s[0] == '/';
	t->nsteps = parse_steps(s + t->absolute, (size_t)(op - s) - (size_t)t->absolute, &t->steps);
	return t;
bad:
	free(t->list);
	free(t->text);
	free(t);
	return NULL;
}

static void
add_pattern(struct compiled *c, struct pattern *p)
{
	const struct step *last = p->nsteps ? &p->steps[p->nsteps - 1] : NULL;
	struct pattern *head;

	if (p->attr && !p->absolute &&
	    (last == NULL || last->suffix || strcmp(last->name, "*") == 0 ||
	     strcmp(last->prefix, "*") == 0)) {
		/* "//@name", "//ram:*ID/@name": looked at only when the element has it */
		head = xmlHashLookup(c->by_attr, (const xmlChar *)p->attr);
		p->next = head;
		if (head)
			xmlHashUpdateEntry(c->by_attr, (const xmlChar *)p->attr, p, NULL);
		else
			xmlHashAddEntry(c->by_attr, (const xmlChar *)p->attr, p);
		return;
	}
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

static void
free_patterns(struct pattern *p)
{
	while (p) {
		struct pattern *next = p->next;
		free_steps(p->steps, p->nsteps);
		free(p->attr);
		free_test(p->test);
		free(p);
		p = next;
	}
}

/* The alternatives of `s` (len bytes, joined by " | ") as patterns of rule `r`, each
 * with its own copy of `test` (NULL: forbidden). */
static void
add_alternatives(struct compiled *c, const struct rule *r, const char *s, size_t len,
                 const char *test)
{
	const char *end = s + len, *bar;
	for (;;) {
		struct pattern *p;
		bar = strstr(s, " | ");
		if (bar == NULL || bar > end)
			bar = end;
		p = parse_pattern(s, (size_t)(bar - s));
		p->r = r;
		p->bit = c->nrules;
		if (test && (p->test = parse_test(test)) == NULL) {
			free_patterns(p);
			c->nbad++;
			return;
		}
		add_pattern(c, p);
		if (bar == end)
			break;
		s = bar + 3;
	}
}

static struct compiled *
compile(unsigned syntax_bit)
{
	struct compiled *c = xcalloc(1, sizeof(*c));
	const struct ruleset *const *set;
	size_t i;

	c->by_last = xmlHashCreate(512);
	c->by_attr = xmlHashCreate(32);
	for (set = rulesets; *set; set++)
		for (i = 0; i < (*set)->n; i++) {
			const struct rule *r = &(*set)->v[i];
			const char *s = r->what;
			if ((r->how != RULE_FORBID && r->how != RULE_ASSERT) ||
			    !(r->syntax & syntax_bit))
				continue;
			if (r->how == RULE_FORBID)
				add_alternatives(c, r, s, strlen(s), NULL);
			else
				/* groups "CONTEXT | CONTEXT: TEST" joined by "; " */
				for (;;) {
					const char *semi = strstr(s, "; ");
					const char *colon = strstr(s, ": ");
					char *test;
					if (colon == NULL || (semi && colon > semi))
						break;
					test = semi
					           ? xstrndup(colon + 2, (size_t)(semi - colon - 2))
					           : xstrdup(colon + 2);
					add_alternatives(c, r, s, (size_t)(colon - s), test);
					free(test);
					if (semi == NULL)
						break;
					s = semi + 2;
				}
			c->nrules++;
		}
	return c;
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
		xmlHashFree(compiled[i]->by_attr, free_entry);
		free_patterns(compiled[i]->wild);
		free(compiled[i]);
		compiled[i] = NULL;
	}
}

/* The path from the root to the element being looked at. */
struct frame {
	const char *prefix; /* NULL: not looked up yet (prefix_of(node->ns)) */
	const char *name;
	xmlNodePtr node;
};

static int step_matches(const struct step *st, const struct frame *f);

/* Is `name` one of the names of `list` ("A~B~C")? */
static int
excepted(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (;;) {
		const char *t = strchr(list, '~');
		size_t len = t ? (size_t)(t - list) : strlen(list);
		if (len == n && memcmp(list, name, n) == 0)
			return 1;
		if (t == NULL)
			return 0;
		list = t + 1;
	}
}

/* s without its leading blanks; *n: its length without the trailing ones. */
static const char *
trimmed(const char *s, size_t *n)
{
	s += strspn(s, " \t\r\n");
	*n = strlen(s);
	while (*n && strchr(" \t\r\n", s[*n - 1]))
		(*n)--;
	return s;
}

/* Does text `v` (blanks trimmed) pass the value condition of pr? */
static int
value_ok(const struct pred *pr, const char *v)
{
	size_t i, n;
	int eq = 0;
	if (pr->nvals == 0)
		return 1;
	v = trimmed(v, &n);
	for (i = 0; i < pr->nvals && !eq; i++)
		eq = strlen(pr->vals[i]) == n &&
		     (pr->icase ? strncasecmp(v, pr->vals[i], n) : strncmp(v, pr->vals[i], n)) == 0;
	return pr->ne ? !eq : eq;
}

/* fn on each element the k steps st reach from n (with `attr` when the last step is
 * "@attr": the element that has it), in document order, until fn returns non-zero;
 * returns that value, or 0. */
typedef int reached_fn(xmlNodePtr n, const char *attr, void *arg);

static int
each_reached(xmlNodePtr n, const struct step *st, size_t k, reached_fn *fn, void *arg)
{
	struct frame f;
	xmlNodePtr c;
	int rc;
	if (k == 0)
		return fn(n, NULL, arg);
	if (st->attr)
		return xmlHasNsProp(n, (const xmlChar *)st->attr, NULL) ? fn(n, st->attr, arg) : 0;
	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		f.prefix = NULL; /* step_matches() looks it up when it needs it */
		f.name = (const char *)c->name;
		f.node = c;
		if (step_matches(st, &f) && (rc = each_reached(c, st + 1, k - 1, fn, arg)) != 0)
			return rc;
	}
	return 0;
}

/* The text of n, or of its attribute `attr`; caller frees with xmlFree(). */
static xmlChar *
text_of(xmlNodePtr n, const char *attr)
{
	return attr ? xmlGetNoNsProp(n, (const xmlChar *)attr) : xmlNodeGetContent(n);
}

static int
value_fn(xmlNodePtr n, const char *attr, void *arg)
{
	xmlChar *v = text_of(n, attr);
	int ok = v && value_ok(arg, (const char *)v);
	xmlFree(v);
	return ok;
}

/* Does one element that the steps of pr reach from n pass its value condition (for
 * "ancestor::", is one of n's ancestors that step)? */
static int
reach(xmlNodePtr n, const struct pred *pr)
{
	struct frame f;
	if (!pr->ancestor)
		return each_reached(n, pr->steps, pr->nsteps, value_fn, (void *)pr);
	for (n = n->parent; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		f.prefix = NULL;
		f.name = (const char *)n->name;
		f.node = n;
		if (pr->nsteps == 1 && step_matches(pr->steps, &f))
			return 1;
	}
	return 0;
}

/* Does the element of f have the name of step st (its predicates aside)? */
static int
step_name_matches(const struct step *st, const struct frame *f)
{
	size_t l;
	if (st->suffix) {
		l = strlen(f->name);
		if (l < st->name_len || strcmp(f->name + l - st->name_len, st->name) != 0)
			return 0;
	} else if (!st->any_name && (st->name[0] != f->name[0] || strcmp(st->name, f->name) != 0))
		return 0;
	/* the prefix after the name: a namespace's prefix costs a few string compares, but
	 * the frame's is one of prefixes[] (or "", "?"), the same pointer as st->canon */
	if (!st->any_prefix) {
		const char *fp = f->prefix ? f->prefix : prefix_of(f->node->ns);
		if (st->canon ? st->canon != fp : strcmp(st->prefix, fp) != 0)
			return 0;
	}
	return st->except == NULL || !excepted(st->except, f->name);
}

static int
step_matches(const struct step *st, const struct frame *f)
{
	size_t i;
	if (!step_name_matches(st, f))
		return 0;
	for (i = 0; i < st->npreds; i++) /* last: they read the tree */
		if (reach(f->node, &st->preds[i]) == st->preds[i].neg)
			return 0;
	return 1;
}

struct count {
	size_t k, enough;
};

static int
count_fn(xmlNodePtr n, const char *attr, void *arg)
{
	struct count *c = arg;
	(void)n;
	(void)attr;
	return ++c->k >= c->enough;
}

/* How many elements the steps of t reach from `n` (1 when there are none; from the
 * root when t->absolute), counting no further than `enough`: the test knows then. */
static size_t
count_steps(xmlNodePtr n, const struct test *t, size_t enough)
{
	struct count c = {0, enough};
	if (t->absolute)
		n = (xmlNodePtr)n->doc; /* its children: the root element */
	if (enough)
		each_reached(n, t->steps, t->nsteps, count_fn, &c);
	return c.k;
}

struct texts {
	char **v;
	size_t n;
};

static int
texts_fn(xmlNodePtr n, const char *attr, void *arg)
{
	struct texts *t = arg;
	xmlChar *v = text_of(n, attr);
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = xstrdup(v ? (const char *)v : "");
	xmlFree(v);
	return 0;
}

/* XPath's REL != ../REL2: one pair of texts that differ. */
static int
differs(const struct test *t, xmlNodePtr node)
{
	struct texts a = {0}, b = {0};
	size_t i, j;
	int found = 0;
	each_reached(node, t->steps, t->nsteps, texts_fn, &a);
	if (node->parent && node->parent->type == XML_ELEMENT_NODE)
		each_reached(node->parent, t->steps2, t->nsteps2, texts_fn, &b);
	for (i = 0; i < a.n; i++)
		for (j = 0; j < b.n && !found; j++)
			found = strcmp(a.v[i], b.v[j]) != 0;
	for (i = 0; i < a.n; i++)
		free(a.v[i]);
	for (j = 0; j < b.n; j++)
		free(b.v[j]);
	free(a.v);
	free(b.v);
	return found;
}

/* At most n characters (not bytes) after the first "." of s. */
static int
decimals_ok(const char *s, size_t n)
{
	const char *dot = s ? strchr(s, '.') : NULL;
	size_t k = 0;
	if (dot == NULL)
		return 1;
	for (dot++; *dot; dot++)
		k += ((unsigned char)*dot & 0xC0) != 0x80;
	return k <= n;
}

/* CII-DT-097's pattern: ^\s*(\d{4})(1[0-2]|0[1-9])(3[01]|[12][0-9]|0[1-9])\s*$ */
static int
date102_ok(const char *s)
{
	int i, m, d;
	if (s == NULL)
		return 0;
	s += strspn(s, " \t\r\n");
	for (i = 0; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	return s[8 + strspn(s + 8, " \t\r\n")] == '\0';
}

/* UBL's BR-CL-08 on a note: contains(.,'#') and
 * string-length(substring-before(substring-after(.,'#'),'#'))=3 and
 * contains(LIST, that), or not the first two. */
static int
subject_ok(const char *s, const char *list)
{
	const char *a = s ? strchr(s, '#') : NULL, *b;
	char code[16]; /* 3 characters: 12 bytes at most */
	size_t n, chars = 0, i;
	if (a == NULL || (b = strchr(++a, '#')) == NULL)
		return 1; /* no "#", or substring-before() of a text without one is "" */
	n = (size_t)(b - a);
	for (i = 0; i < n; i++)
		chars += ((unsigned char)a[i] & 0xC0) != 0x80;
	if (chars != 3)
		return 1;
	memcpy(code, a, n);
	code[n] = '\0';
	return codelist_contains(list, code);
}

/* Does `node` pass test t, ignoring its "or" chain? */
static int
passes_one(const struct test *t, xmlNodePtr node)
{
	xmlChar *v;
	char *code;
	size_t n;
	int ok;
	switch (t->kind) {
	case TEST_LE:
		return count_steps(node, t, t->n + 1) <= t->n;
	case TEST_EQ:
		return count_steps(node, t, t->n + 1) == t->n;
	case TEST_GE:
		return count_steps(node, t, t->n) >= t->n;
	case TEST_SAME: /* see matches() */
	case TEST_ONCE:
		return 1;
	case TEST_DIFFERS:
		return differs(t, node);
	case TEST_DECIMALS: /* string-length(substring-after(., '.')) on the text as it is */
	case TEST_DATE102:
	case TEST_SUBJECT:
		v = xmlNodeGetContent(node);
		ok = t->kind == TEST_DECIMALS  ? decimals_ok((const char *)v, t->n)
		     : t->kind == TEST_DATE102 ? date102_ok((const char *)v)
		                               : subject_ok((const char *)v, t->list);
		xmlFree(v);
		return ok;
	case TEST_CODE:
		if ((v = text_of(node, t->attr)) == NULL)
			return t->attr && t->optional;
		code = (char *)v; /* normalize-space(), unless the artefact compares with "=" */
		if (!t->exact) {
			code = (char *)trimmed((const char *)v, &n); /* a blank inside fails */
			code[n] = '\0';                              /* in codelist_ok() */
		}
		ok = codelist_ok(t->list, code);
		xmlFree(v);
		return ok;
	}
	return 1;
}

/* Does `node` pass test t or one of its "or" chain? */
static int
passes(const struct test *t, xmlNodePtr node)
{
	for (; t; t = t->alt)
		if (passes_one(t, node))
			return 1;
	return 0;
}

/* The patterns by last step of the names met so far, by the name's pointer: names
 * come from the document's dictionary, so a document of a thousand lines hashes
 * each of its few hundred names once, not each of its elements. */
#define LAST_CACHE 256

struct last_cache {
	const xmlChar *name;
	const char *prefix; /* one of prefixes[] (or "", "?"): compared by pointer */
	struct pattern *list;
};

struct walk {
	struct compiled *c;
	struct last_cache *last;
	unsigned char *fired;
	char **first; /* TEST_SAME: the first text, by rule */
	xform_syntax_fn *fn;
	void *arg;
	size_t n;
};

static int
matches(struct walk *w, const struct pattern *p, const struct frame *path, size_t depth,
        xmlNodePtr node)
{
	char *text;
	int differs;
	size_t i, first;
	if (p->absolute ? p->nsteps != depth : p->nsteps > depth)
		return 0;
	first = depth - p->nsteps;
	for (i = 0; i < p->nsteps; i++)
		if (!step_matches(&p->steps[i], &path[first + i]))
			return 0;
	if (p->test && p->test->kind == TEST_ONCE) {
		if (w->first[p->bit] == NULL) {
			w->first[p->bit] = xstrdup("");
			return 0;
		}
		return 1;
	}
	if (p->test && p->test->kind == TEST_SAME) {
		text = node_text(node);
		if (w->first[p->bit] == NULL) {
			w->first[p->bit] = text;
			return 0;
		}
		differs = strcmp(text, w->first[p->bit]) != 0;
		free(text);
		return differs;
	}
	if (p->test)
		return !passes(p->test, node);
	return p->attr == NULL || xmlHasNsProp(node, (const xmlChar *)p->attr, NULL) != NULL;
}

static void
fire(struct walk *w, const struct pattern *p, const struct frame *path, size_t depth,
     xmlNodePtr node, const char *attr)
{
	struct buf b;
	size_t i;
	w->fired[p->bit] = 1;
	w->n++;
	buf_init(&b);
	for (i = 0; i < depth; i++)
		buf_printf(&b, "/%s%s%s", path[i].prefix, *path[i].prefix ? ":" : "", path[i].name);
	if (attr)
		buf_printf(&b, "/@%s", attr);
	w->fn(w->arg, p->r, b.p, (int)xmlGetLineNo(node), p->test ? p->test->text : NULL);
	buf_free(&b);
}

static struct pattern *
by_last(struct walk *w, const xmlChar *name, const char *prefix)
{
	uintptr_t h = ((uintptr_t)name >> 4) ^ ((uintptr_t)name >> 12) ^ ((uintptr_t)prefix >> 3);
	struct last_cache *e = &w->last[h % LAST_CACHE];
	if (e->name != name || e->prefix != prefix) {
		e->name = name;
		e->prefix = prefix;
		e->list = xmlHashLookup2(w->c->by_last, name, (const xmlChar *)prefix);
	}
	return e->list;
}

static void
visit(struct walk *w, const struct pattern *p, const struct frame *path, size_t depth,
      xmlNodePtr node)
{
	for (; p; p = p->next)
		if (!w->fired[p->bit] && matches(w, p, path, depth, node))
			fire(w, p, path, depth, node, p->test ? NULL : p->attr);
}

/* The attributes of `node` forbidden anywhere ("//@name"). */
static void
visit_attrs(struct walk *w, const struct frame *path, size_t depth, xmlNodePtr node)
{
	const struct pattern *p;
	xmlAttrPtr a;
	for (a = node->properties; a; a = a->next) {
		if (a->ns != NULL)
			continue;
		for (p = xmlHashLookup(w->c->by_attr, a->name); p; p = p->next)
			if (!w->fired[p->bit] && matches(w, p, path, depth, node))
				fire(w, p, path, depth, node, p->attr);
	}
}

size_t
xform_syntax_malformed(int syntax)
{
	int k = syntax == SYNTAX_CII ? 1 : 0;
	if (compiled[k] == NULL)
		compiled[k] = compile(k ? RULE_CII : RULE_UBL);
	return compiled[k]->nbad;
}

size_t
xform_syntax_check(const struct xform_doc *doc, int syntax, xform_syntax_fn *fn, void *arg)
{
	struct walk w = {0};
	struct frame *path = NULL;
	size_t depth = 0, cap = 0, i;
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
	w.first = xcalloc(w.c->nrules + 1, sizeof(*w.first));
	w.last = xcalloc(LAST_CACHE, sizeof(*w.last));
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
			path[depth].node = node;
			depth++;
			visit(&w, by_last(&w, node->name, last_prefix), path, depth, node);
			visit(&w, w.c->wild, path, depth, node);
			if (node->properties)
				visit_attrs(&w, path, depth, node);
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
	for (i = 0; i < w.c->nrules; i++)
		free(w.first[i]);
	free(w.first);
	free(w.last);
	return w.n;
}
