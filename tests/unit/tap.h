/*
 * tap.h - the smallest TAP producer that automake's tap-driver.sh understands.
 * Each check prints "ok N - name" or "not ok N - name" with the failing expression
 * and location; done_testing() prints the plan and returns the exit status.
 */
#ifndef CHORUSGW_TAP_H
#define CHORUSGW_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                   \
	do {                                                                            \
		int ok_ = (cond);                                                       \
		tap_n++;                                                                \
		printf("%sok %d - ", ok_ ? "" : "not ", tap_n);                         \
		printf(__VA_ARGS__);                                                    \
		printf("\n");                                                           \
		if (!ok_) {                                                             \
			tap_failed++;                                                   \
			printf("#   failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
		}                                                                       \
	} while (0)

#define is_str(got, want, ...)                                                             \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		int same_ = (g_ == NULL && w_ == NULL) ||                                  \
		            (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);             \
		ok(same_, __VA_ARGS__);                                                    \
		if (!same_)                                                                \
			printf("#   got:  \"%s\"\n#   want: \"%s\"\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                                        \
	} while (0)

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		ok(g_ == w_, __VA_ARGS__);                                  \
		if (g_ != w_)                                               \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
	} while (0)

/* A check that cannot run in this build, counted as passed with the reason. */
#define skip(...)                               \
	do {                                    \
		tap_n++;                        \
		printf("ok %d # SKIP ", tap_n); \
		printf(__VA_ARGS__);            \
		printf("\n");                   \
	} while (0)

/* 1 if `needle` occurs in `hay` (NULL-safe). */
static inline int
contains(const char *hay, const char *needle)
{
	return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

/* Print the plan. The exit status stays 0: each failure is counted once, by its
 * "not ok" line; a test that crashes never prints its plan and is an error. */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return 0;
}

#endif
