/*
 * metrics.c - a small registry of metric families and their labelled series, rendered
 * in the Prometheus text exposition format and written with write_file_atomic() so the
 * textfile collector never reads half a file.
 *
 * Errors: using an undeclared metric is a programming error and aborts; writing the file
 * returns 0 / -1 with *why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* Latency buckets in seconds: Chorus Pro answers in tens of ms to tens of seconds. */
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	char *labels;
	double value;              /* counter/gauge; histogram: sum */
	uint64_t count;            /* histogram */
	uint64_t bucket[NBUCKETS]; /* histogram, cumulative at render time */
};

struct family {
	char *name;
	char *type;
	char *help;
	struct series *s;
	size_t ns;
};

static struct family *fams;
static size_t nfams;

static struct family *
family(const char *name)
{
	size_t i;
	for (i = 0; i < nfams; i++)
		if (strcmp(fams[i].name, name) == 0)
			return &fams[i];
	fatalx("metric %s not declared", name);
}

void
metrics_declare(const char *name, const char *type, const char *help)
{
	size_t i;
	for (i = 0; i < nfams; i++)
		if (strcmp(fams[i].name, name) == 0)
			return;
	fams = xreallocarray(fams, nfams + 1, sizeof(*fams));
	memset(&fams[nfams], 0, sizeof(fams[nfams]));
	fams[nfams].name = xstrdup(name);
	fams[nfams].type = xstrdup(type);
	fams[nfams].help = xstrdup(help);
	nfams++;
}

static struct series *
series(const char *name, const char *labels)
{
	struct family *f = family(name);
	size_t i;
	if (labels == NULL)
		labels = "";
	for (i = 0; i < f->ns; i++)
		if (strcmp(f->s[i].labels, labels) == 0)
			return &f->s[i];
	f->s = xreallocarray(f->s, f->ns + 1, sizeof(*f->s));
	memset(&f->s[f->ns], 0, sizeof(f->s[f->ns]));
	f->s[f->ns].labels = xstrdup(labels);
	return &f->s[f->ns++];
}

void
metrics_add(const char *name, const char *labels, double v)
{
	series(name, labels)->value += v;
}

void
metrics_set(const char *name, const char *labels, double v)
{
	series(name, labels)->value = v;
}

void
metrics_observe(const char *name, const char *labels, double seconds)
{
	struct series *s = series(name, labels);
	size_t i;
	s->value += seconds;
	s->count++;
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i]) {
			s->bucket[i]++;
			break;
		}
}

void
metrics_clear(const char *name)
{
	struct family *f = family(name);
	size_t i;
	for (i = 0; i < f->ns; i++)
		free(f->s[i].labels);
	free(f->s);
	f->s = NULL;
	f->ns = 0;
}

static void
labelled(struct buf *b, const char *name, const char *suffix, const char *labels, const char *extra)
{
	int has = labels && *labels, hasx = extra && *extra;
	buf_printf(b, "%s%s", name, suffix);
	if (has || hasx)
		buf_printf(b, "{%s%s%s}", has ? labels : "", has && hasx ? "," : "",
		           hasx ? extra : "");
}

char *
metrics_render(void)
{
	struct buf b;
	size_t i, j, k;
	buf_init(&b);
	for (i = 0; i < nfams; i++) {
		struct family *f = &fams[i];
		buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		for (j = 0; j < f->ns; j++) {
			struct series *s = &f->s[j];
			if (strcmp(f->type, "histogram") != 0) {
				labelled(&b, f->name, "", s->labels, NULL);
				buf_printf(&b, " %.17g\n", s->value);
				continue;
			}
			{
				uint64_t cum = 0;
				for (k = 0; k < NBUCKETS; k++) {
					char le[32];
					cum += s->bucket[k];
					snprintf(le, sizeof(le), "le=\"%g\"", buckets[k]);
					labelled(&b, f->name, "_bucket", s->labels, le);
					buf_printf(&b, " %llu\n", (unsigned long long)cum);
				}
				labelled(&b, f->name, "_bucket", s->labels, "le=\"+Inf\"");
				buf_printf(&b, " %llu\n", (unsigned long long)s->count);
				labelled(&b, f->name, "_sum", s->labels, NULL);
				buf_printf(&b, " %.17g\n", s->value);
				labelled(&b, f->name, "_count", s->labels, NULL);
				buf_printf(&b, " %llu\n", (unsigned long long)s->count);
			}
		}
	}
	return buf_steal(&b);
}

int
metrics_write(const char *path, char **why)
{
	char *text = metrics_render();
	/* world-readable on purpose: node_exporter usually runs as another user */
	int r = write_file_atomic(NULL, path, text, strlen(text), 0644, 0, why);
	free(text);
	return r;
}

void
metrics_reset(void)
{
	size_t i;
	/* clear every family first: metrics_clear() looks families up by name */
	for (i = 0; i < nfams; i++)
		metrics_clear(fams[i].name);
	for (i = 0; i < nfams; i++) {
		free(fams[i].name);
		free(fams[i].type);
		free(fams[i].help);
	}
	free(fams);
	fams = NULL;
	nfams = 0;
}
