/*
 * fileio.h - durable file writes and bounded reads.
 */
#ifndef CHORUSGW_FILEIO_H
#define CHORUSGW_FILEIO_H

#include <sys/types.h>

#include "util.h"

/* write_file_atomic() flags */
#define FIO_NOREPLACE 0x1 /* fail with EEXIST instead of replacing an existing file */

/*
 * Durably write `len` bytes to `path`: create a temporary file (in `tmpdir` when given,
 * which must be on the same filesystem, else beside `path` as a dot-file), write it all
 * checking every write, fsync, close (checked), rename into place (or link() for
 * FIO_NOREPLACE), then fsync the directory of `path`. On failure the temporary file is
 * removed, `path` is untouched, and *why says what failed. 0 / -1.
 */
int write_file_atomic(const char *tmpdir, const char *path, const void *data, size_t len,
                      mode_t mode, int flags, char **why);

/*
 * write_file_atomic() for a fatal signal's handler: only async-signal-safe calls (no
 * allocation, no stdio). Writes `len` bytes to `tmp` (relative to the directory open
 * as `tmpdir_fd`, replaced if there), fsyncs it, renames it to `name` (relative to
 * `dir_fd`, on the same filesystem) and fsyncs that directory. 0 / -1 (errno; the
 * temporary file is removed).
 */
int write_file_atomic_sigsafe(int tmpdir_fd, const char *tmp, int dir_fd, const char *name,
                              const void *data, size_t len, mode_t mode);

/*
 * Read a whole file into `out` (appended; NUL-terminated). Refuses more than `max`
 * bytes. With `nofollow`, a symlink is refused (O_NOFOLLOW). 0 / -1.
 */
int read_file(const char *path, size_t max, int nofollow, struct buf *out, char **why);
/* The same, handing each piece read (64 KiB at most) to `fn` instead of keeping it. */
typedef void read_chunk_fn(const void *, size_t, void *arg);
int read_file_chunks(const char *path, size_t max, int nofollow, read_chunk_fn *fn, void *arg,
                     char **why);

/* fsync a directory so that renames/creations in it are durable. 0 / -1. */
int fsync_dir(const char *dir, char **why);
/* fsync the directory that contains `path`. 0 / -1. */
int fsync_parent(const char *path, char **why);

/* rename() that never replaces: EEXIST when `to` exists. 0 / -1 with errno kept. */
int rename_noreplace(const char *from, const char *to);

/* Create a directory (and missing parents) with `mode`; an existing dir is fine. */
int mkdir_p(const char *path, mode_t mode, char **why);

/*
 * Test hooks, compiled only with ./configure --enable-test-hooks (CHORUSGW_TEST_HOOKS;
 * the test suite's build); a release build has none and ignores the environment. In a
 * test build they are inert unless the environment asks for them:
 *  CHORUSGW_CRASH_AT=name[:n]    crashpoint(name) kills the process with SIGKILL the
 *                                n-th time (default 1st) it is reached.
 *  CHORUSGW_FAIL_WRITE=name[:n]  write_file_atomic() of a file whose path contains
 *                                `name` fails with ENOSPC (n times, default always).
 *  CHORUSGW_FAIL_WRITE_AFTER=k   ... once k such writes have succeeded (the disk
 *                                fills up while the process runs).
 *  CHORUSGW_NO_RENAME_NOREPLACE=1  rename_noreplace() takes its link() + unlink()
 *                                fallback, as on a filesystem without renameat2
 *                                flags; crashpoint "rename-link" lies in between.
 */
void crashpoint(const char *name);

/*
 *  CHORUSGW_PREFLIGHT_CRASH=NAME       preflight_hook(NAME, ROUTE), called by
 *                                      check_document() before the pre-flight of the file
 *                                      NAME, abort()s: a document that crashes whoever
 *                                      handles it; NAME@ROUTE ("chorus", "pa"): only its
 *                                      pre-flight for that route.
 *  CHORUSGW_PREFLIGHT_WAIT=NAME:PATH   ... waits until PATH exists: a pre-flight that
 *                                      lasts as long as a test needs (NAME@ROUTE too).
 *  CHORUSGW_STEP_CRASH=NAME:STEP       step_hook(NAME, STEP), called by the daemon when
 *                                      it starts the step STEP of the file NAME
 *                                      (gateway.c: checked, process, deposit, settle,
 *                                      follow; status: a status event of the PA's feed
 *                                      applied to it), abort()s: a document that crashes
 *                                      the daemon itself.
 */
void preflight_hook(const char *name, const char *route);
void step_hook(const char *name, const char *step);

#endif
