/*
 * srctree.h - for unit tests that read the source tree (stylesheets, schemas, golden
 * files): where it is ($top_srcdir, else the TOP_SRCDIR Makefile.am defines) and a
 * file's bytes. A file that cannot be read aborts the test, which then has no plan.
 */
#ifndef CHORUSGW_SRCTREE_H
#define CHORUSGW_SRCTREE_H

#include <stdio.h>
#include <stdlib.h>

#include "fileio.h"
#include "util.h"

static const char *srcdir;

static inline void
srctree_init(void)
{
	srcdir = getenv("top_srcdir");
	if (srcdir == NULL)
		srcdir = TOP_SRCDIR;
}

/* SRCDIR/REL, whole, *len its size; caller frees. */
static inline char *
slurp(const char *rel, size_t *len)
{
	char *p = xasprintf("%s/%s", srcdir, rel), *why = NULL;
	struct buf b;
	buf_init(&b);
	if (read_file(p, 64 << 20, 0, &b, &why) == -1) {
		printf("# %s\n", why);
		abort();
	}
	free(p);
	*len = b.len;
	return buf_steal(&b);
}

#endif
