/*
 * fileio.c - the one way chorusgw writes a file that someone else may read: temp file,
 * every write checked, fsync, checked close, rename (or link for no-replace), fsync of
 * the directory. Also bounded reads and the crash/ENOSPC test hooks.
 *
 * Errors: 0 / -1 with a one-line reason in *why naming the path and strerror.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "fileio.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#ifdef CHORUSGW_TEST_HOOKS
/* Parse "name[:n]" from the environment variable `var`; 1 if it names `name`. */
static int
hook_matches(const char *var, const char *name, int substring, long *count)
{
	const char *v = getenv(var);
	const char *colon;
	size_t n;
	if (v == NULL || *v == '\0')
		return 0;
	colon = strrchr(v, ':');
	n = colon ? (size_t)(colon - v) : strlen(v);
	*count = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (substring) {
		char *want = xstrndup(v, n);
		int hit = strstr(name, want) != NULL;
		free(want);
		return hit;
	}
	return strlen(name) == n && strncmp(name, v, n) == 0;
}

void
crashpoint(const char *name)
{
	static long seen;
	long want;
	if (!hook_matches("CHORUSGW_CRASH_AT", name, 0, &want))
		return;
	if (++seen >= (want > 0 ? want : 1))
		kill(getpid(), SIGKILL);
}

static int
injected_enospc(const char *path)
{
	static long seen, failed;
	const char *after = getenv("CHORUSGW_FAIL_WRITE_AFTER");
	long max;
	if (!hook_matches("CHORUSGW_FAIL_WRITE", path, 1, &max))
		return 0;
	if (after && ++seen <= strtol(after, NULL, 10))
		return 0;
	if (max > 0 && failed >= max)
		return 0;
	failed++;
	return 1;
}

/* `len` bytes at `spec` name this pre-flight: NAME, or NAME@ROUTE */
static int
preflight_named(const char *spec, size_t len, const char *name, const char *route)
{
	size_t n = strlen(name);
	if (len < n || strncmp(spec, name, n) != 0)
		return 0;
	return len == n || (spec[n] == '@' && route && strlen(route) == len - n - 1 &&
	                    strncmp(spec + n + 1, route, len - n - 1) == 0);
}

void
step_hook(const char *name, const char *step)
{
	const char *crash = getenv("CHORUSGW_STEP_CRASH");
	const char *colon = crash ? strrchr(crash, ':') : NULL;
	if (colon && strcmp(colon + 1, step) == 0 && strlen(name) == (size_t)(colon - crash) &&
	    strncmp(crash, name, strlen(name)) == 0)
		abort();
}

void
preflight_hook(const char *name, const char *route)
{
	const char *crash = getenv("CHORUSGW_PREFLIGHT_CRASH");
	const char *wait = getenv("CHORUSGW_PREFLIGHT_WAIT");
	const char *colon = wait ? strchr(wait, ':') : NULL;
	if (crash && preflight_named(crash, strlen(crash), name, route))
		abort();
	if (colon && preflight_named(wait, (size_t)(colon - wait), name, route))
		while (access(colon + 1, F_OK) == -1)
			usleep(10000);
}

static int
no_renameat2_flags(void)
{
	const char *force = getenv("CHORUSGW_NO_RENAME_NOREPLACE");
	return force && *force;
}
#else
/* A release build: no hook exists, whatever the environment says. */
void
crashpoint(const char *name)
{
	(void)name;
}

void
preflight_hook(const char *name, const char *route)
{
	(void)name;
	(void)route;
}

void
step_hook(const char *name, const char *step)
{
	(void)name;
	(void)step;
}
#define injected_enospc(path) 0
#define no_renameat2_flags()  0
#endif

int
rename_noreplace(const char *from, const char *to)
{
	long r;
	if (no_renameat2_flags()) {
		errno = EINVAL;
		r = -1;
	} else
		r = syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
	if (r == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* Filesystem without RENAME_NOREPLACE (NFS, some FUSE): link() never replaces,
	 * then drop the old name. A crash in between leaves two names for one inode, which
	 * the spool's recovery resolves. */
	if (link(from, to) == -1)
		return -1;
	crashpoint("rename-link");
	if (unlink(from) == -1)
		return -1;
	return 0;
}

int
fsync_dir(const char *dir, char **why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return fail(why, "open directory %s: %s", dir, strerror(errno));
	if (fsync(fd) == -1 && errno != EINVAL) {
		int e = errno;
		close(fd);
		errno = e;
		return fail(why, "fsync directory %s: %s", dir, strerror(errno));
	}
	close(fd);
	return 0;
}

int
fsync_parent(const char *path, char **why)
{
	char *copy = xstrdup(path);
	int r = fsync_dir(dirname(copy), why);
	free(copy);
	return r;
}

int
write_file_atomic(const char *tmpdir, const char *path, const void *data, size_t len, mode_t mode,
                  int flags, char **why)
{
	static unsigned long seq;
	char *copy = xstrdup(path), *tmp;
	const char *base = basename(copy);
	const char *p = data;
	size_t left = len;
	int fd, e;

	if (tmpdir != NULL)
		tmp = xasprintf("%s/%s.%ld.%lu.tmp", tmpdir, base, (long)getpid(), ++seq);
	else {
		char *dcopy = xstrdup(path);
		tmp = xasprintf("%s/.%s.%ld.%lu.tmp", dirname(dcopy), base, (long)getpid(), ++seq);
		free(dcopy);
	}
	free(copy);

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		fail(why, "create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) == -1) /* umask must not weaken or widen what we asked */
		goto fail_write;
	if (injected_enospc(path)) {
		errno = ENOSPC;
		goto fail_write;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail_write;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail_write;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_write;
	}
	fd = -1;
	if (flags & FIO_NOREPLACE) {
		if (link(tmp, path) == -1)
			goto fail_rename;
		unlink(tmp);
	} else if (rename(tmp, path) == -1)
		goto fail_rename;
	free(tmp);
	return fsync_parent(path, why);

fail_write:
	e = errno;
	fail(why, "write %s: %s", path, strerror(e));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
fail_rename:
	e = errno;
	fail(why, "rename %s to %s: %s", tmp, path, strerror(e));
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}

int
write_file_atomic_sigsafe(int tmpdir_fd, const char *tmp, int dir_fd, const char *name,
                          const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd =
	    openat(tmpdir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= (size_t)n;
	}
	if (len > 0 || fsync(fd) == -1) {
		close(fd);
		unlinkat(tmpdir_fd, tmp, 0);
		return -1;
	}
	if (close(fd) == -1 || renameat(tmpdir_fd, tmp, dir_fd, name) == -1) {
		unlinkat(tmpdir_fd, tmp, 0);
		return -1;
	}
	return fsync(dir_fd);
}

int
read_file_chunks(const char *path, size_t max, int nofollow, read_chunk_fn *fn, void *arg,
                 char **why)
{
	char chunk[65536];
	size_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	struct stat st;
	if (fd == -1)
		return fail(why, "open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(why, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > (uint64_t)max) {
		/* refuse at once, without reading: the size is what the file says now */
		close(fd);
		return fail(why, "%s: %lld bytes, larger than the limit of %zu bytes", path,
		            (long long)st.st_size, max);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return fail(why, "read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			close(fd);
			return fail(why, "%s: larger than the limit of %zu bytes", path, max);
		}
		fn(chunk, (size_t)n, arg);
	}
	close(fd);
	return 0;
}

static void
add_chunk(const void *p, size_t n, void *out)
{
	buf_add(out, p, n);
}

int
read_file(const char *path, size_t max, int nofollow, struct buf *out, char **why)
{
	if (read_file_chunks(path, max, nofollow, add_chunk, out, why) == -1)
		return -1;
	if (out->p == NULL)
		buf_add(out, "", 0);
	return 0;
}

int
mkdir_p(const char *path, mode_t mode, char **why)
{
	char *copy = xstrdup(path), *p;
	struct stat st;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			fail(why, "mkdir %s: %s", copy, strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(copy, mode) == -1 && errno != EEXIST) {
		fail(why, "mkdir %s: %s", copy, strerror(errno));
		free(copy);
		return -1;
	}
	if (stat(copy, &st) == -1 || !S_ISDIR(st.st_mode)) {
		fail(why, "%s exists and is not a directory", copy);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}
