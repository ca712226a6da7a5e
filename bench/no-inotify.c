/*
 * no-inotify.c - LD_PRELOAD shim for bench/run's "rescan alone" pick-up measurement.
 *
 * inotify_add_watch() on a folder whose name ends in "inbox" fails with ENOSPC, as it
 * does when fs.inotify.max_user_watches is exhausted. watch.c then logs "no inotify
 * watch ...; relying on rescans every N ms" and finds files with its periodic rescans
 * only: the path chorusgw takes on a share whose writers raise no events (SMB, NFS).
 * Every other watch (the spool's ctl/ folder) is left alone. Nothing in chorusgw is
 * changed; bench/run checks the log line to be sure the shim took effect.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>

int
inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	static int (*real)(int, const char *, uint32_t);
	size_t n = path ? strlen(path) : 0;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= 5 && strncmp(path + n - 5, "inbox", 5) == 0) {
		errno = ENOSPC;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "inotify_add_watch");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, path, mask);
}
