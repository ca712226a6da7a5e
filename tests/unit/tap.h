/*
 * tap.h - the smallest TAP producer that automake's tap-driver.sh understands.
 * Each check prints "ok N - name" or "not ok N - name" with the failing expression
 * and location; done_testing() prints the plan and returns the exit status.
 */
#ifndef CHORUSGW_TAP_H
#define CHORUSGW_TAP_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Run fn(arg) in a child process whose stderr goes to a pipe: 1 when it aborted
 * (SIGABRT, no core file) after writing `needle` to stderr, as fatalx() does. What it
 * wrote is in `out` (`outsz` bytes, NUL-terminated, without its last newline). */
static inline int
dies_with(void (*fn)(int), int arg, const char *needle, char *out, size_t outsz)
{
	int p[2], status = 0;
	size_t n = 0;
	ssize_t r;
	pid_t pid;
	out[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	if (pipe(p) == -1 || (pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		struct rlimit no = {0, 0};
		setrlimit(RLIMIT_CORE, &no);
		close(p[0]);
		dup2(p[1], 2);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	while (n + 1 < outsz && (r = read(p[0], out + n, outsz - n - 1)) > 0)
		n += (size_t)r;
	while (n > 0 && out[n - 1] == '\n')
		n--; /* one TAP line */
	out[n] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(out, needle) != NULL;
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
