/*
 * spool.c - owns every spool path and every rename: the layout and its checks, queue
 * ids, claims, moves between folders, per-document records, crash recovery, ownership
 * across processes (flock'ed lock files), the duplicate index and operator requests.
 * The layout and the protocols are described in spool.h.
 *
 * Errors: 0 / -1 with a one-line *why naming the path and, for set-up problems, the
 * fix (HACKING.md). Claims return SPOOL_CLAIMED / SPOOL_GONE / SPOOL_REFUSED.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "receipt.h"
#include "sha256.h"
#include "spool.h"
#include "util.h"

#define LAYOUT_MARK   "chorusgw spool layout 1\n"
#define PRIV          ".chorusgw"
#define RECORD_MODE   0600
#define TMP_STALE_SEC (24 * 3600)
#define NAME_MAX_LEN  255
#define RECEIPT_EXT   ".receipt"
#define JSON_EXT      ".receipt.json"
#define CRASH_EXT     ".crash"   /* proc/PROCID.crash: spool_crash_note() */
#define STAGE_PREFIX  ".staged." /* work/QID/.staged.N.xml: spool_stage_path() */

struct spool {
	char *root;
	char *dirs[SF_NONE]; /* [SF_WORK] is the work area's parent: .chorusgw/work */
	char *inbox, *priv, *tmp, *active, *final, *dup, *proc, *ctl, *lock;
	char *refs, *events, *state; /* made when first used (spools older than them) */
	struct spool_cfg cfg;
	char procid[QID_MAX];
	int proc_fd;
	/* the crash note (spool_crash_note): directories open, names made in advance */
	int tmp_dfd, proc_dfd;
	char crash_tmp[QID_MAX + 16], crash_name[QID_MAX + 16];
	int admin;
	int ctl_fd;
	unsigned stage_seq; /* spool_stage_path(): a new name each call */
};

/* Visible folders, then the private ones, with their modes (spool_init / check). */
static const struct {
	const char *rel;
	mode_t mode;
	int priv;
} layout[] = {
    {"inbox", 0770, 0},      {"outbox", 0750, 0},       {"accepted", 0750, 0},
    {"rejected", 0750, 0},   {PRIV, 0700, 1},           {PRIV "/tmp", 0700, 1},
    {PRIV "/work", 0700, 1}, {PRIV "/active", 0700, 1}, {PRIV "/final", 0700, 1},
    {PRIV "/dup", 0700, 1},  {PRIV "/proc", 0700, 1},   {PRIV "/ctl", 0700, 1},
    {PRIV "/lock", 0700, 1},
};

/* enum spool_folder's names, as a record's [spool] section writes them */
static const char *const folder_names[] = {"work", "outbox", "accepted", "rejected", "none"};

const char *
spool_folder_name(enum spool_folder f)
{
	if ((unsigned)f > SF_NONE)
		fatalx("spool_folder_name: no spool folder %d", (int)f);
	return folder_names[f];
}

int
spool_folder_parse(const char *s, enum spool_folder *out)
{
	int i;
	for (i = 0; i <= SF_NONE; i++)
		if (strcmp(s, folder_names[i]) == 0) {
			*out = (enum spool_folder)i;
			return 0;
		}
	return -1;
}

static char *
pjoin(const char *a, const char *b)
{
	return xasprintf("%s/%s", a, b);
}

static int
lexists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* ---- queue ids ------------------------------------------------------------------- */

static const char b30[] = "0123456789BCDFGHJKLMNPQRSTVWXY";

static void
enc30(char **p, uint64_t v, int width)
{
	char tmp[32];
	int n = 0;
	do {
		tmp[n++] = b30[v % 30];
		v /= 30;
	} while (v > 0 && n < (int)sizeof(tmp));
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		*(*p)++ = tmp[--n];
}

void
spool_make_qid(char out[QID_MAX], uint64_t unique)
{
	static uint64_t last;
	struct timespec ts;
	uint64_t us;
	char *p = out;
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (us <= last)
		us = last + 1;
	last = us;
	enc30(&p, us / 1000000, 7);
	enc30(&p, us % 1000000, 5);
	*p++ = 'Z';
	enc30(&p, unique, 1);
	*p = '\0';
}

static int
qid_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 14 || n >= QID_MAX)
		return 0;
	for (; *s; s++)
		if (*s != 'Z' && strchr(b30, *s) == NULL)
			return 0;
	return 1;
}

/* ---- layout: init and check -------------------------------------------------------- */

static int
check_dir(const char *root, const char *rel, int priv, dev_t dev, char **why)
{
	char *path = pjoin(root, rel);
	struct stat st;
	int r = -1;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			fail(why,
			     "spool folder %s is missing; create the "
			     "spool with `chorusgw check-config --init`",
			     path);
		else
			fail(why, "spool folder %s: %s", path, strerror(errno));
	} else if (S_ISLNK(st.st_mode))
		fail(why, "spool folder %s is a symbolic link; make it a real folder inside %s",
		     path, root);
	else if (!S_ISDIR(st.st_mode))
		fail(why,
		     "spool folder %s is not a folder; move it "
		     "away and run `chorusgw check-config --init`",
		     path);
	else if (st.st_uid != geteuid())
		fail(why,
		     "spool folder %s is owned by uid %ld, not "
		     "by uid %ld that runs chorusgw; chown it",
		     path, (long)st.st_uid, (long)geteuid());
	else if (st.st_dev != dev)
		fail(why,
		     "spool folder %s is on another filesystem than %s; every folder of the "
		     "spool must be on one filesystem (renames are the state changes)",
		     path, root);
	else if (priv && (st.st_mode & 077))
		fail(why, "spool folder %s has mode %04o; it is private: chmod 700 %s", path,
		     (unsigned)(st.st_mode & 07777), path);
	else if (!priv && strcmp(rel, "inbox") != 0 && (st.st_mode & 022))
		fail(why,
		     "spool folder %s has mode %04o; others must not write there: chmod go-w %s",
		     path, (unsigned)(st.st_mode & 07777), path);
	else if (strcmp(rel, "inbox") == 0 && (st.st_mode & 002))
		fail(why,
		     "spool folder %s is writable by everyone (mode %04o): chmod o-w %s and "
		     "give the ERP's account the folder's group",
		     path, (unsigned)(st.st_mode & 07777), path);
	else if ((st.st_mode & 0700) != 0700)
		fail(why, "spool folder %s has mode %04o; chorusgw needs rwx: chmod u+rwx %s", path,
		     (unsigned)(st.st_mode & 07777), path);
	else
		r = 0;
	free(path);
	return r;
}

int
spool_check(const char *dir, char **why)
{
	struct stat st;
	char *mark;
	struct buf b;
	size_t i;
	if (dir == NULL || dir[0] != '/')
		return fail(why, "[spool] dir must be an absolute path");
	if (lstat(dir, &st) == -1)
		return fail(why, "spool %s: %s; create it with `chorusgw check-config --init`", dir,
		            strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(why, "spool %s is not a folder", dir);
	if (st.st_uid != geteuid())
		return fail(why,
		            "spool %s is owned by uid %ld, not by "
		            "uid %ld that runs chorusgw; chown it",
		            dir, (long)st.st_uid, (long)geteuid());
	if (st.st_mode & 022)
		return fail(why,
		            "spool %s has mode %04o; others must not write there: chmod go-w %s",
		            dir, (unsigned)(st.st_mode & 07777), dir);
	for (i = 0; i < nitems(layout); i++)
		if (check_dir(dir, layout[i].rel, layout[i].priv, st.st_dev, why) == -1)
			return -1;
	mark = xasprintf("%s/" PRIV "/layout", dir);
	buf_init(&b);
	if (read_file(mark, 4096, 1, &b, NULL) == -1 || strcmp(b.p, LAYOUT_MARK) != 0) {
		fail(why,
		     "%s is missing or unknown: not a chorusgw "
		     "spool; run `chorusgw check-config --init`",
		     mark);
		free(mark);
		buf_free(&b);
		return -1;
	}
	free(mark);
	buf_free(&b);
	return 0;
}

int
spool_init(const char *dir, char **why)
{
	size_t i;
	char *mark;
	if (dir == NULL || dir[0] != '/')
		return fail(why, "[spool] dir must be an absolute path");
	if (!lexists(dir)) {
		if (mkdir_p(dir, 0750, why) == -1)
			return -1;
		if (chmod(dir, 0750) == -1)
			return fail(why, "chmod %s: %s", dir, strerror(errno));
	}
	for (i = 0; i < nitems(layout); i++) {
		char *path = pjoin(dir, layout[i].rel);
		if (!lexists(path)) {
			if (mkdir(path, layout[i].mode) == -1 ||
			    chmod(path, layout[i].mode) == -1) {
				fail(why, "create %s: %s", path, strerror(errno));
				free(path);
				return -1;
			}
		}
		free(path);
	}
	mark = xasprintf("%s/" PRIV "/layout", dir);
	if (!lexists(mark) &&
	    write_file_atomic(NULL, mark, LAYOUT_MARK, strlen(LAYOUT_MARK), 0600, FIO_NOREPLACE,
	                      why) == -1 &&
	    errno != EEXIST) {
		free(mark);
		return -1;
	}
	free(mark);
	if (fsync_dir(dir, why) == -1)
		return -1;
	return spool_check(dir, why);
}

/* ---- open / close ---------------------------------------------------------------- */

static int
lock_path(const char *path, int nonblock)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) == -1) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
admin_lock(struct spool *sp, char **why)
{
	char *p = pjoin(sp->lock, "admin");
	int fd = lock_path(p, 0);
	if (fd == -1)
		fail(why, "lock %s: %s", p, strerror(errno));
	free(p);
	return fd;
}

static void
unlock_fd(int fd)
{
	if (fd != -1)
		close(fd); /* closing releases the flock */
}

int
spool_lock_command(struct spool *sp, const char *command, char **why)
{
	char *p = pjoin(sp->lock, command);
	int fd = lock_path(p, 1);
	if (fd == -1 && errno == EWOULDBLOCK)
		fail(why, "another `chorusgw %s` is running on %s; try again once it has ended",
		     command, sp->root);
	else if (fd == -1)
		fail(why, "lock %s: %s", p, strerror(errno));
	free(p);
	return fd;
}

void
spool_unlock_command(int fd)
{
	unlock_fd(fd);
}

/* Register this process: a lock file made and locked in tmp/, then renamed into proc/,
 * so nobody ever sees it unlocked while we live. */
static int
register_process(struct spool *sp, char **why)
{
	char *tmp, *dst;
	int fd;
	char info[128];
	spool_make_qid(sp->procid, (uint64_t)getpid());
	tmp = xasprintf("%s/proc.%s", sp->tmp, sp->procid);
	dst = pjoin(sp->proc, sp->procid);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd != -1) {
		/* blocking: another process's clean_tmp() may hold it for an instant */
		int r;
		while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
			;
		if (r == -1) {
			int e = errno;
			close(fd);
			unlink(tmp);
			errno = e;
			fd = -1;
		}
	}
	if (fd == -1) {
		fail(why, "create lock file %s: %s", tmp, strerror(errno));
		goto out;
	}
	snprintf(info, sizeof(info), "pid %ld\n", (long)getpid());
	/* a plain rename(): the process id is new, nothing can be replaced, and it is
	 * atomic where rename_noreplace() would fall back to link() + unlink() */
	if (write(fd, info, strlen(info)) < 0 || rename(tmp, dst) == -1) {
		fail(why, "register process in %s: %s", dst, strerror(errno));
		unlink(tmp);
		close(fd);
		fd = -1;
		goto out;
	}
	sp->proc_fd = fd;
	/* what a crash note needs, ready before any signal handler may use it */
	sp->tmp_dfd = open(sp->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sp->proc_dfd = open(sp->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(sp->crash_tmp, sizeof(sp->crash_tmp), "crash.%s", sp->procid);
	snprintf(sp->crash_name, sizeof(sp->crash_name), "%s" CRASH_EXT, sp->procid);
out:
	free(tmp);
	free(dst);
	return sp->proc_fd == -1 ? -1 : 0;
}

void
spool_crash_note(struct spool *sp, const char *qid)
{
	char line[QID_MAX + 1];
	size_t n = strnlen(qid, QID_MAX - 1);
	if (sp->tmp_dfd == -1 || sp->proc_dfd == -1)
		return;
	memcpy(line, qid, n);
	line[n] = '\n';
	write_file_atomic_sigsafe(sp->tmp_dfd, sp->crash_tmp, sp->proc_dfd, sp->crash_name, line,
	                          n + 1, RECORD_MODE);
}

/* Did the dead process `owner` note that it crashed while working on `qid`? */
static int
crash_noted(struct spool *sp, const char *owner, const char *qid)
{
	char *p = xasprintf("%s/%s" CRASH_EXT, sp->proc, owner);
	struct buf b;
	int hit;
	buf_init(&b);
	hit = read_file(p, QID_MAX + 1, 1, &b, NULL) == 0 && b.len == strlen(qid) + 1 &&
	      memcmp(b.p, qid, b.len - 1) == 0;
	buf_free(&b);
	free(p);
	return hit;
}

struct spool *
spool_open(const char *dir, const struct spool_cfg *cfg, unsigned flags, char **why)
{
	struct spool *sp;
	if (spool_check(dir, why) == -1)
		return NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->root = xstrdup(dir);
	sp->inbox = pjoin(dir, "inbox");
	sp->dirs[SF_OUTBOX] = pjoin(dir, "outbox");
	sp->dirs[SF_ACCEPTED] = pjoin(dir, "accepted");
	sp->dirs[SF_REJECTED] = pjoin(dir, "rejected");
	sp->priv = pjoin(dir, PRIV);
	sp->dirs[SF_WORK] = pjoin(sp->priv, "work");
	sp->tmp = pjoin(sp->priv, "tmp");
	sp->active = pjoin(sp->priv, "active");
	sp->final = pjoin(sp->priv, "final");
	sp->dup = pjoin(sp->priv, "dup");
	sp->proc = pjoin(sp->priv, "proc");
	sp->ctl = pjoin(sp->priv, "ctl");
	sp->lock = pjoin(sp->priv, "lock");
	sp->refs = pjoin(sp->priv, "refs");
	sp->events = pjoin(sp->priv, "events");
	sp->state = pjoin(sp->priv, "state");
	if (cfg)
		sp->cfg = *cfg;
	if (sp->cfg.file_mode == 0)
		sp->cfg.file_mode = 0640;
	if (sp->cfg.max_size == 0)
		sp->cfg.max_size = 10 * 1024 * 1024;
	sp->proc_fd = -1;
	sp->tmp_dfd = -1;
	sp->proc_dfd = -1;
	sp->ctl_fd = -1;
	sp->admin = (flags & SPOOL_ADMIN) != 0;
	if (!sp->admin && register_process(sp, why) == -1) {
		spool_close(sp);
		return NULL;
	}
	return sp;
}

void
spool_close(struct spool *sp)
{
	size_t i;
	if (sp == NULL)
		return;
	/* The lock file stays, unlocked: our documents become orphans, and a process still
	 * running on the spool sees a dead peer (spool_orphans) and adopts them without
	 * waiting for its own restart. The adopter removes the file. */
	if (sp->proc_fd != -1)
		close(sp->proc_fd);
	if (sp->tmp_dfd != -1)
		close(sp->tmp_dfd);
	if (sp->proc_dfd != -1)
		close(sp->proc_dfd);
	if (sp->ctl_fd != -1)
		close(sp->ctl_fd);
	for (i = 0; i < SF_NONE; i++)
		free(sp->dirs[i]);
	free(sp->root);
	free(sp->inbox);
	free(sp->priv);
	free(sp->tmp);
	free(sp->active);
	free(sp->final);
	free(sp->dup);
	free(sp->proc);
	free(sp->ctl);
	free(sp->lock);
	free(sp->refs);
	free(sp->events);
	free(sp->state);
	free(sp);
}

const char *
spool_root(const struct spool *sp)
{
	return sp->root;
}

const char *
spool_inbox(const struct spool *sp)
{
	return sp->inbox;
}

const char *
spool_procid(const struct spool *sp)
{
	return sp->procid;
}

/* Is the process `owner` alive? Ours is; a missing or unlocked lock file is dead. */
static int
owner_alive(struct spool *sp, const char *owner)
{
	char *p;
	int fd, alive;
	if (owner == NULL || *owner == '\0' || !qid_ok(owner))
		return 0;
	if (strcmp(owner, sp->procid) == 0)
		return 1;
	p = pjoin(sp->proc, owner);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	if (fd == -1)
		return errno != ENOENT;
	alive = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

static int
may_change(struct spool *sp, const struct doc *d, char **why)
{
	if (sp->admin || (d->owner && strcmp(d->owner, sp->procid) == 0))
		return 0;
	return fail(why, "%s: owned by process %s, not by this one", d->qid,
	            d->owner ? d->owner : "(none)");
}

/* ---- paths and names ------------------------------------------------------------- */

/* The folder holding a document's files (work area: work/QID). Caller frees. */
static char *
folder_path(const struct spool *sp, enum spool_folder f, const char *qid)
{
	if (f == SF_WORK)
		return pjoin(sp->dirs[SF_WORK], qid);
	return xstrdup(sp->dirs[f]);
}

static char *
file_in(const struct spool *sp, enum spool_folder f, const char *qid, const char *name)
{
	char *dir = folder_path(sp, f, qid), *p = pjoin(dir, name);
	free(dir);
	return p;
}

char *
spool_original_path(const struct spool *sp, const struct doc *d)
{
	return file_in(sp, d->folder, d->qid, d->file ? d->file : "");
}

char *
spool_xml_path(const struct spool *sp, const struct doc *d)
{
	return d->chorus_xml ? file_in(sp, d->folder, d->qid, d->chorus_xml) : NULL;
}

char *
spool_receipt_path(const struct spool *sp, const struct doc *d)
{
	char *n, *p;
	if (d->folder == SF_WORK || d->file == NULL)
		return NULL;
	n = xasprintf("%s" RECEIPT_EXT, d->file);
	p = file_in(sp, d->folder, d->qid, n);
	free(n);
	return p;
}

static char *
record_path(const struct spool *sp, const char *qid, int final)
{
	return pjoin(final ? sp->final : sp->active, qid);
}

/* Split "NAME.EXT" at its last dot (not a leading one). Returns the dot or NULL. */
static const char *
ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && dot != name ? dot : NULL;
}

/*
 * The name a document's original gets in a visible folder: control characters and
 * backslashes become '_', and with `unique` the queue id (and `n` when > 1) goes before the
 * extension. Long names are shortened so that NAME.receipt.json still fits. Caller frees.
 */
static char *
make_base(const char *file, const char *qid, int unique, int n)
{
	char *clean = xstrdup(file), *p, *stem, *out;
	const char *ext;
	size_t room = NAME_MAX_LEN - strlen(JSON_EXT), extlen, taglen;
	char tag[QID_MAX + 16] = "";
	for (p = clean; *p; p++)
		if (name_char_odd(*p))
			*p = '_';
	if (!unique && strlen(clean) <= room)
		return clean;
	if (n > 1)
		snprintf(tag, sizeof(tag), ".%s-%d", qid, n);
	else
		snprintf(tag, sizeof(tag), ".%s", qid);
	ext = ext_of(clean);
	extlen = ext ? strlen(ext) : 0;
	if (extlen > 32)
		extlen = 0, ext = NULL;
	taglen = strlen(tag);
	stem = xstrndup(clean, strlen(clean) - extlen);
	if (strlen(stem) + taglen + extlen > room)
		stem[room - taglen - extlen] = '\0';
	out = xasprintf("%s%s%s", stem, tag, ext ? ext : "");
	free(stem);
	free(clean);
	return out;
}

/* "FOO.xml" -> "FOO.ubl.xml" (syntax "ubl"/"cii", else "chorus"). Caller frees. */
static char *
make_xml_name(const char *base, const char *syntax)
{
	const char *ext = ext_of(base);
	size_t stem = ext ? (size_t)(ext - base) : strlen(base);
	const char *s = syntax && (strcmp(syntax, "ubl") == 0 || strcmp(syntax, "cii") == 0)
	                    ? syntax
	                    : "chorus";
	return xasprintf("%.*s.%s.xml", (int)stem, base, s);
}

static int
names_free(const struct spool *sp, enum spool_folder g, const char *qid, const char *base,
           const char *xml)
{
	char *n[4];
	int i, free_ = 1;
	n[0] = file_in(sp, g, qid, base);
	n[1] = xasprintf("%s" RECEIPT_EXT, n[0]);
	n[2] = xasprintf("%s" JSON_EXT, n[0]);
	n[3] = xml ? file_in(sp, g, qid, xml) : NULL;
	for (i = 0; i < 4; i++) {
		if (n[i] && lexists(n[i]))
			free_ = 0;
		free(n[i]);
	}
	return free_;
}

/* Choose free names in `g` for the original (and XML), starting at attempt `from`. */
static void
choose_names(const struct spool *sp, struct doc *d, enum spool_folder g, int from)
{
	int attempt;
	for (attempt = from;; attempt++) {
		char *base = make_base(d->file, d->qid, attempt > 0, attempt);
		char *xml = d->chorus_xml ? make_xml_name(base, d->syntax) : NULL;
		if (g == SF_WORK || names_free(sp, g, d->qid, base, xml) || attempt > 1000) {
			doc_set(&d->move_file, base);
			doc_set(&d->move_xml, xml);
			free(base);
			free(xml);
			return;
		}
		free(base);
		free(xml);
	}
}

/* ---- records and receipts ---------------------------------------------------------- */

static int
home_final(const struct doc *d)
{
	return doc_state_final(d->state) && d->move_to == SF_NONE &&
	       (d->folder == SF_ACCEPTED || d->folder == SF_REJECTED);
}

static int
write_record(struct spool *sp, const struct doc *d, int final, int noreplace, char **why)
{
	char *p = record_path(sp, d->qid, final);
	int r = receipt_write(sp->tmp, p, d, RCPT_RECORD, RECORD_MODE, noreplace, why);
	free(p);
	return r;
}

static void
unlink_record(struct spool *sp, const char *qid, int final)
{
	char *p = record_path(sp, qid, final);
	if (unlink(p) == 0)
		fsync_parent(p, NULL);
	free(p);
}

/* 1 if the receipt at `path` is this document's, 0 if something else is there, -1 if
 * nothing is there. */
static int
receipt_owner_is(const char *path, const char *qid, int json)
{
	char *owner;
	int r;
	if (!lexists(path))
		return -1;
	owner = receipt_read_qid(path, json);
	r = owner && strcmp(owner, qid) == 0;
	free(owner);
	return r;
}

/* Write the receipt (and JSON receipt) of `d` in its folder, unless it already says
 * exactly that. */
static int
write_receipts(struct spool *sp, const struct doc *d, char **why)
{
	char *path = spool_receipt_path(sp, d), *jpath;
	struct buf want, have;
	int r = 0;
	if (path == NULL)
		return 0;
	buf_init(&want);
	buf_init(&have);
	receipt_format(d, 0, &want);
	if (read_file(path, 1024 * 1024, 1, &have, NULL) == -1 || have.len != want.len ||
	    memcmp(have.p, want.p, want.len) != 0)
		r = write_file_atomic(sp->tmp, path, want.p, want.len, sp->cfg.file_mode, 0, why);
	buf_free(&want);
	buf_free(&have);
	if (r == 0 && sp->cfg.json_receipts) {
		jpath = xasprintf("%s.json", path);
		if (receipt_owner_is(jpath, d->qid, 1) == 0)
			log_doc(LOG_LVL_WARN, d->qid, d->file,
			        "%s belongs to something else; JSON receipt not written", jpath);
		else
			r = receipt_write_json(sp->tmp, jpath, d, sp->cfg.file_mode, why);
		free(jpath);
	}
	free(path);
	return r;
}

/* Remove this document's receipts named after `file` in folder `f` (never another's). */
static void
remove_receipts(struct spool *sp, const struct doc *d, enum spool_folder f, const char *file)
{
	char *p, *r, *j;
	if (f == SF_WORK || file == NULL)
		return;
	p = file_in(sp, f, d->qid, file);
	r = xasprintf("%s" RECEIPT_EXT, p);
	j = xasprintf("%s" JSON_EXT, p);
	if (receipt_owner_is(r, d->qid, 0) == 1 && unlink(r) == 0)
		fsync_parent(r, NULL);
	if (receipt_owner_is(j, d->qid, 1) == 1)
		unlink(j);
	free(p);
	free(r);
	free(j);
}

/* Bring the record to its home (final/ or active/) and drop the other copy. */
static int
commit_record(struct spool *sp, const struct doc *d, char **why)
{
	int final = home_final(d);
	if (write_record(sp, d, final, 0, why) == -1)
		return -1;
	unlink_record(sp, d->qid, !final);
	return 0;
}

/* ---- moves ----------------------------------------------------------------------- */

/* Rename src to dst unless already done. 0 done, 1 clash (dst taken by something
 * else), -1 error. `src` present means the rename has not happened (spool.h). */
static int
move_one(const char *src, const char *dst, char **why)
{
	struct stat a, b;
	if (strcmp(src, dst) == 0)
		return 0;
	if (lstat(src, &a) == -1) {
		if (errno == ENOENT && lexists(dst))
			return 0;
		return fail(why, "%s: %s", src, strerror(errno));
	}
	if (rename_noreplace(src, dst) == 0)
		return 0;
	if (errno != EEXIST)
		return fail(why, "rename %s to %s: %s", src, dst, strerror(errno));
	/* a crash inside rename_noreplace's link+unlink fallback leaves two names */
	if (lstat(dst, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		if (unlink(src) == -1)
			return fail(why, "unlink %s: %s", src, strerror(errno));
		return 0;
	}
	return 1;
}

static void
sync_folders(struct spool *sp, const struct doc *d, enum spool_folder a, enum spool_folder b)
{
	char *pa = folder_path(sp, a, d->qid), *pb = folder_path(sp, b, d->qid);
	fsync_dir(pa, NULL);
	if (strcmp(pa, pb) != 0)
		fsync_dir(pb, NULL);
	free(pa);
	free(pb);
}

/* How many staged files (spool_stage_path()) a work folder holds; with `remove`, they
 * are removed: never adopted, since an adopted one is renamed before any record names
 * it. */
static int
staged_files(const char *work, int remove)
{
	DIR *dir = opendir(work);
	struct dirent *de;
	int n = 0;
	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL)
		if (str_has_prefix(de->d_name, STAGE_PREFIX)) {
			char *p = pjoin(work, de->d_name);
			n++;
			if (remove && unlink(p) == 0)
				log_debug("removed %s, staged and never adopted", p);
			free(p);
		}
	closedir(dir);
	return n;
}

/* Finish the move recorded in d (move_to, move_file, move_xml). Idempotent: this is
 * what recovery runs after a crash at any step. */
static int
finish_move(struct spool *sp, struct doc *d, char **why)
{
	enum spool_folder from = d->folder, to = d->move_to;
	char *old_file = NULL;
	int round, r = -1;
	struct doc *view;

	for (round = 0; round < 8; round++) {
		char *src, *dst, *rp;
		int m, mine;
		/* the original */
		src = file_in(sp, d->folder, d->qid, d->file);
		dst = file_in(sp, to, d->qid, d->move_file);
		m = move_one(src, dst, why);
		free(src);
		free(dst);
		if (m == -1)
			goto out;
		if (m == 1) { /* the name was taken meanwhile: new names, new intent */
			choose_names(sp, d, to, round + 1);
			if (write_record(sp, d, 0, 0, why) == -1)
				goto out;
			continue;
		}
		crashpoint("move-orig");
		/* the Chorus XML */
		if (d->chorus_xml) {
			src = file_in(sp, d->folder, d->qid, d->chorus_xml);
			dst = file_in(sp, to, d->qid, d->move_xml);
			if (!lexists(src) && !lexists(dst)) {
				log_doc(LOG_LVL_WARN, d->qid, d->file, "Chorus XML %s is missing",
				        d->chorus_xml);
				doc_set(&d->chorus_xml, NULL);
				doc_set(&d->move_xml, NULL);
				m = 0;
			} else
				m = move_one(src, dst, why);
			free(src);
			free(dst);
			if (m == -1)
				goto out;
			if (m == 1) {
				char *base = make_base(d->move_file, d->qid, 1, round + 2);
				char *x = make_xml_name(base, d->syntax);
				doc_set(&d->move_xml, x);
				free(base);
				free(x);
				if (write_record(sp, d, 0, 0, why) == -1)
					goto out;
				continue;
			}
		}
		crashpoint("move-xml");
		sync_folders(sp, d, from, to);
		/* the receipt, unless its name is taken by something that is not ours */
		if (to != SF_WORK) {
			char *rn = xasprintf("%s" RECEIPT_EXT, d->move_file);
			rp = file_in(sp, to, d->qid, rn);
			free(rn);
			mine = receipt_owner_is(rp, d->qid, 0);
			free(rp);
			if (mine == 0) { /* move the original (and XML) on to fresh names */
				if (old_file == NULL && d->folder != to)
					old_file = xstrdup(d->file);
				d->folder = to;
				doc_set(&d->file, d->move_file);
				doc_set(&d->chorus_xml, d->move_xml);
				choose_names(sp, d, to, round + 1);
				if (write_record(sp, d, 0, 0, why) == -1)
					goto out;
				continue;
			}
		}
		break;
	}
	if (round == 8) {
		fail(why, "%s: no free name in %s after %d attempts", d->qid, spool_folder_name(to),
		     round);
		goto out;
	}

	view = doc_dup(d);
	view->folder = to;
	doc_set(&view->file, d->move_file);
	doc_set(&view->chorus_xml, d->move_xml);
	view->move_to = SF_NONE;
	doc_set(&view->move_file, NULL);
	doc_set(&view->move_xml, NULL);
	if (write_receipts(sp, view, why) == -1) {
		doc_free(view);
		goto out;
	}
	crashpoint("move-receipt");
	if (from != to)
		remove_receipts(sp, d, from, old_file ? old_file : d->file);
	else if (old_file == NULL && strcmp(d->file, d->move_file) != 0)
		remove_receipts(sp, d, from, d->file);
	crashpoint("move-old-receipt");
	if (commit_record(sp, view, why) == -1) {
		doc_free(view);
		goto out;
	}
	crashpoint("move-record");
	if (from == SF_WORK && to != SF_WORK) {
		char *w = folder_path(sp, SF_WORK, d->qid);
		staged_files(w, 1);
		if (rmdir(w) == -1 && errno != ENOENT)
			log_doc(LOG_LVL_WARN, d->qid, view->file, "work folder %s not removed: %s",
			        w, strerror(errno));
		free(w);
	}
	/* the caller's copy now says where the files are */
	d->folder = to;
	doc_set(&d->file, view->file);
	doc_set(&d->chorus_xml, view->chorus_xml);
	d->move_to = SF_NONE;
	doc_set(&d->move_file, NULL);
	doc_set(&d->move_xml, NULL);
	doc_free(view);
	r = 0;
out:
	free(old_file);
	return r;
}

/* The name of a document's generated XML in the work area, written or adopted there
 * (spool_move(), spool_move_staged()), before the move takes it along. */
static int
stage_xml(struct spool *sp, struct doc *d, const void *xml, size_t xmllen, const char *staged,
          char **why)
{
	char *name, *path, *dir;
	int r;
	if (d->folder != SF_WORK)
		return fail(why, "%s: Chorus XML can only be added in the work area", d->qid);
	name = make_xml_name(d->file, d->syntax);
	path = file_in(sp, SF_WORK, d->qid, name);
	if (xml != NULL)
		r = write_file_atomic(sp->tmp, path, xml, xmllen, sp->cfg.file_mode, 0, why);
	else {
		/* written and fsynced by its maker: renamed (over an earlier one, as a write
		 * would), the folder made durable */
		dir = folder_path(sp, SF_WORK, d->qid);
		r = strncmp(staged, dir, strlen(dir)) != 0 || staged[strlen(dir)] != '/' ||
		            !str_has_prefix(staged + strlen(dir) + 1, STAGE_PREFIX)
		        ? fail(why, "%s: %s is not a staged file of its work folder", d->qid,
		               staged)
		    : rename(staged, path) == -1
		        ? fail(why, "rename %s to %s: %s", staged, path, strerror(errno))
		        : fsync_dir(dir, why);
		free(dir);
	}
	free(path);
	if (r == -1) {
		free(name);
		return -1;
	}
	doc_set(&d->chorus_xml, name);
	free(name);
	crashpoint("move-stage");
	return 0;
}

/* spool_move() with the generated XML as bytes (`xml`), or staged by a worker
 * (`staged`), or none. */
static int
move_doc(struct spool *sp, struct doc *d, enum spool_folder to, const void *xml, size_t xmllen,
         const char *staged, char **why)
{
	int adding = xml != NULL || staged != NULL;
	if (may_change(sp, d, why) == -1)
		return -1;
	if (to >= SF_NONE)
		return fail(why, "%s: no such folder", d->qid);
	if (d->move_to != SF_NONE) { /* an earlier call failed half-way: finish it first */
		enum spool_folder pending = d->move_to;
		if (finish_move(sp, d, why) == -1)
			return -1;
		if (pending == to && !adding)
			return 0;
	}
	if (d->folder == to && !adding)
		return spool_save(sp, d, why);
	if (adding && stage_xml(sp, d, xml, xmllen, staged, why) == -1)
		return -1;
	if (to == SF_WORK) {
		char *w = folder_path(sp, SF_WORK, d->qid);
		if (mkdir(w, 0700) == -1 && errno != EEXIST) {
			fail(why, "mkdir %s: %s", w, strerror(errno));
			free(w);
			return -1;
		}
		free(w);
	}
	d->updated = time(NULL);
	d->move_to = to;
	choose_names(sp, d, to, 0);
	if (write_record(sp, d, 0, 0, why) == -1) {
		d->move_to = SF_NONE;
		return -1;
	}
	crashpoint("move-intent");
	return finish_move(sp, d, why);
}

int
spool_move(struct spool *sp, struct doc *d, enum spool_folder to, const void *xml, size_t xmllen,
           char **why)
{
	return move_doc(sp, d, to, xml, xmllen, NULL, why);
}

int
spool_move_staged(struct spool *sp, struct doc *d, enum spool_folder to, const char *staged,
                  char **why)
{
	return move_doc(sp, d, to, NULL, 0, staged, why);
}

char *
spool_stage_path(struct spool *sp, const struct doc *d)
{
	char name[64];
	snprintf(name, sizeof(name), STAGE_PREFIX "%u.xml", ++sp->stage_seq);
	return file_in(sp, SF_WORK, d->qid, name);
}

const char *
spool_tmp_dir(const struct spool *sp)
{
	return sp->tmp;
}

mode_t
spool_file_mode(const struct spool *sp)
{
	return sp->cfg.file_mode;
}

int
spool_save(struct spool *sp, struct doc *d, char **why)
{
	if (may_change(sp, d, why) == -1)
		return -1;
	if (d->move_to != SF_NONE)
		return fail(why, "%s: a move is in progress", d->qid);
	d->updated = time(NULL);
	/* active/QID first: for a final document it is the journal of the change */
	if (write_record(sp, d, 0, 0, why) == -1)
		return -1;
	crashpoint("save-record");
	if (write_receipts(sp, d, why) == -1)
		return -1;
	crashpoint("save-receipt");
	if (home_final(d))
		return commit_record(sp, d, why);
	return 0;
}

/* ---- claim ----------------------------------------------------------------------- */

/* Why a claimed entry may not be processed, or NULL. */
static const char *
hostile_reason(const struct spool *sp, const char *name, const struct stat *st, char *buf, size_t n)
{
	if (name_is_odd(name))
		return "the file name contains control characters or a backslash (a path "
		       "separator on Windows); rename the file without them and drop it again";
	if (S_ISLNK(st->st_mode))
		return "a symbolic link, not a file: links are "
		       "never followed; drop the file itself";
	if (S_ISFIFO(st->st_mode))
		return "a named pipe (FIFO), not a file: it was not opened";
	if (S_ISSOCK(st->st_mode))
		return "a socket, not a file";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return "a device, not a file: it was not opened";
	if (S_ISDIR(st->st_mode))
		return "a folder, not a file: drop the files it holds one by one";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_nlink > 1) {
		snprintf(buf, n,
		         "the file has %lu hard links: it may be changed through another name; "
		         "drop a copy instead",
		         (unsigned long)st->st_nlink);
		return buf;
	}
	if ((int64_t)st->st_size > sp->cfg.max_size) {
		snprintf(buf, n,
		         "the file is %lld bytes, larger than [spool] max_size (%lld bytes); "
		         "Chorus Pro accepts at most 10 MB",
		         (long long)st->st_size, (long long)sp->cfg.max_size);
		return buf;
	}
	return NULL;
}

static int
refuse_doc(struct spool *sp, struct doc *d, const char *reason, char **why)
{
	doc_add_reason(d, "%s", reason);
	doc_set_state(d, DOC_REJECTED, "refused at pick-up");
	log_doc(LOG_LVL_WARN, d->qid, d->original_name, "refused: %s", reason);
	return spool_move(sp, d, SF_REJECTED, NULL, 0, why);
}

/* A claimed document found at recovery (the claim may have crashed before its checks):
 * refuse it now if it is hostile. 1 refused, 0 fine, -1 error. */
static int
refuse_if_hostile(struct spool *sp, struct doc *d, char **why)
{
	char *p = spool_original_path(sp, d), rbuf[256];
	const char *reason;
	struct stat st;
	int r = lstat(p, &st);
	free(p);
	if (r == -1)
		return fail(why, "%s: the claimed original is missing: %s", d->qid,
		            strerror(errno));
	reason = hostile_reason(sp, d->original_name ? d->original_name : d->file, &st, rbuf,
	                        sizeof(rbuf));
	if (reason == NULL)
		return 0;
	return refuse_doc(sp, d, reason, why) == -1 ? -1 : 1;
}

int
spool_claim(struct spool *sp, const char *name, const struct stat *judged, const char *refuse,
            struct doc **out, char **why)
{
	char qid[QID_MAX], *work, *src, *dst, *err = NULL;
	struct stat st;
	struct doc *d;
	char rbuf[256];
	const char *reason;
	int tries = 0, e;

	*out = NULL;
	if (sp->admin)
		return fail(why, "claim: the spool is open for operator commands only");
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/'))
		return fail(why, "claim: \"%s\" is not a name in inbox/", name);
	for (;;) { /* reserve a queue id: mkdir work/QID */
		spool_make_qid(qid, (uint64_t)judged->st_ino);
		work = pjoin(sp->dirs[SF_WORK], qid);
		if (mkdir(work, 0700) == 0)
			break;
		e = errno;
		free(work);
		if (e != EEXIST || ++tries > 100)
			return fail(why, "mkdir in %s: %s", sp->dirs[SF_WORK], strerror(e));
	}
	crashpoint("claim-mkdir");
	src = pjoin(sp->inbox, name);
	dst = pjoin(work, name);
	/* A plain rename(): the folder is new and ours, nothing can be replaced, and it is
	 * atomic on every filesystem, where rename_noreplace()'s link() + unlink() fallback
	 * would show other processes a hard link for an instant and make them refuse it. */
	if (rename(src, dst) == -1) {
		e = errno;
		rmdir(work);
		free(src);
		free(dst);
		free(work);
		if (e == ENOENT) /* another process took it, or it went away */
			return SPOOL_GONE;
		return fail(why, "claim %s/%s: %s", sp->inbox, name, strerror(e));
	}
	crashpoint("claim-rename");
	if (lstat(dst, &st) == -1) { /* our private folder: cannot happen unless tampered */
		fail(why, "claimed %s vanished: %s", dst, strerror(errno));
		goto err;
	}
	if (st.st_dev != judged->st_dev || st.st_ino != judged->st_ino) {
		/* replaced since it was judged: put it back for a later look */
		if (rename_noreplace(dst, src) == 0) {
			rmdir(work);
			free(src);
			free(dst);
			free(work);
			return SPOOL_GONE;
		}
		if (refuse == NULL)
			refuse = "the file was replaced while being picked up; drop it again";
	}
	fsync_dir(sp->inbox, NULL);
	fsync_dir(work, NULL);

	d = doc_new();
	snprintf(d->qid, sizeof(d->qid), "%s", qid);
	doc_set(&d->original_name, name);
	doc_set(&d->file, name);
	doc_set(&d->owner, sp->procid);
	d->size = (int64_t)st.st_size;
	d->received = d->updated = time(NULL);
	d->folder = SF_WORK;
	doc_set_state(d, DOC_RECEIVED, NULL);
	if (write_record(sp, d, 0, 1, &err) == -1) {
		doc_free(d);
		if (errno == EEXIST) { /* a starting process adopted it first: it is theirs */
			free(err);
			free(src);
			free(dst);
			free(work);
			return SPOOL_GONE;
		}
		fail(why, "%s", err);
		free(err);
		goto err;
	}
	crashpoint("claim-record");
	free(src);
	free(dst);
	free(work);
	log_doc(LOG_LVL_INFO, d->qid, name, "claimed (%lld bytes)", (long long)st.st_size);

	reason = refuse ? refuse : hostile_reason(sp, name, &st, rbuf, sizeof(rbuf));
	if (reason == NULL) {
		*out = d;
		return SPOOL_CLAIMED;
	}
	if (refuse_doc(sp, d, reason, why) == -1) {
		doc_free(d);
		return -1;
	}
	*out = d;
	return SPOOL_REFUSED;
err:
	free(src);
	free(dst);
	free(work);
	return -1;
}

int
spool_read_original(struct spool *sp, const struct doc *d, size_t max, struct buf *out, char **why)
{
	char *p = spool_original_path(sp, d);
	int r = read_file(p, max, 1, out, why);
	free(p);
	return r;
}

/* ---- loading and iterating ---------------------------------------------------------- */

static int
load_record(struct spool *sp, const char *qid, int final, struct doc **out, char **why)
{
	char *p = record_path(sp, qid, final);
	int r = receipt_read(p, out, why);
	free(p);
	return r;
}

int
spool_load(struct spool *sp, const char *qid, struct doc **out, char **why)
{
	char *err = NULL;
	int e;
	if (!qid_ok(qid)) {
		errno = ENOENT;
		return fail(why, "\"%s\" is not a queue id", qid);
	}
	if (load_record(sp, qid, 0, out, &err) == 0)
		return 0;
	if (errno == ENOENT && load_record(sp, qid, 1, out, &err) == 0) {
		free(err);
		return 0;
	}
	e = errno;
	if (e == ENOENT)
		fail(why, "no document has the queue id %s", qid);
	else
		fail(why, "%s", err);
	free(err);
	errno = e;
	return -1;
}

struct spool_iter {
	struct spool *sp;
	unsigned flags;
	DIR *dir;
	int final; /* which folder dir lists */
};

static int
iter_opendir(struct spool_iter *it, int final, char **why)
{
	const char *path = final ? it->sp->final : it->sp->active;
	it->dir = opendir(path);
	it->final = final;
	if (it->dir == NULL)
		return fail(why, "open %s: %s", path, strerror(errno));
	return 0;
}

struct spool_iter *
spool_iter_open(struct spool *sp, unsigned flags, char **why)
{
	struct spool_iter *it = xcalloc(1, sizeof(*it));
	it->sp = sp;
	it->flags = flags;
	if (!(flags & (SPOOL_ITER_ACTIVE | SPOOL_ITER_FINAL)))
		it->flags |= SPOOL_ITER_ACTIVE;
	if (iter_opendir(it, !(it->flags & SPOOL_ITER_ACTIVE), why) == -1) {
		free(it);
		return NULL;
	}
	return it;
}

static int
iter_wants(struct spool_iter *it, const struct doc *d)
{
	if ((it->flags & SPOOL_ITER_MINE) &&
	    (d->owner == NULL || strcmp(d->owner, it->sp->procid) != 0))
		return 0;
	if ((it->flags & SPOOL_ITER_PENDING) && (doc_state_final(d->state) || d->held))
		return 0;
	return 1;
}

int
spool_iter_next(struct spool_iter *it, struct doc **out, char **why)
{
	for (;;) {
		struct dirent *de;
		struct doc *d = NULL;
		char *err = NULL;
		errno = 0;
		de = readdir(it->dir);
		if (de == NULL) {
			if (errno != 0)
				return fail(why, "read records: %s", strerror(errno));
			closedir(it->dir);
			it->dir = NULL;
			if (!it->final && (it->flags & SPOOL_ITER_FINAL)) {
				if (iter_opendir(it, 1, why) == -1)
					return -1;
				continue;
			}
			return 0;
		}
		if (!qid_ok(de->d_name))
			continue;
		if (it->final) { /* a change in progress: listed from active/ */
			char *a = record_path(it->sp, de->d_name, 0);
			int busy = lexists(a);
			free(a);
			if (busy && (it->flags & SPOOL_ITER_ACTIVE))
				continue;
		}
		if (load_record(it->sp, de->d_name, it->final, &d, &err) == -1) {
			if (errno != ENOENT)
				log_doc(LOG_LVL_ERR, de->d_name, NULL, "unreadable record: %s",
				        err);
			free(err);
			continue;
		}
		if (!iter_wants(it, d)) {
			doc_free(d);
			continue;
		}
		*out = d;
		return 1;
	}
}

void
spool_iter_close(struct spool_iter *it)
{
	if (it == NULL)
		return;
	if (it->dir)
		closedir(it->dir);
	free(it);
}

/* ---- recovery -------------------------------------------------------------------- */

/* Stale temporary files: their writer is dead, or they are more than a day old. */
static void
clean_tmp(struct spool *sp)
{
	DIR *dir = opendir(sp->tmp);
	struct dirent *de;
	time_t now = time(NULL);
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		char *p, *name = de->d_name, *end;
		struct stat st;
		long pid = 0;
		int stale;
		if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
			continue;
		p = pjoin(sp->tmp, name);
		if (lstat(p, &st) == -1) {
			free(p);
			continue;
		}
		if (str_has_prefix(name, "proc.")) { /* a process registering itself */
			/* it is unlocked between its creation and its flock(): young ones are
			 * left alone */
			int fd = now - st.st_ctime > 10 ? open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
			                                : -1;
			stale = fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0;
			if (fd != -1)
				close(fd);
		} else {
			/* write_file_atomic's names: NAME.PID.SEQ.tmp */
			if (str_has_suffix(name, ".tmp")) {
				char *copy = xstrdup(name), *dot;
				copy[strlen(copy) - 4] = '\0';
				if ((dot = strrchr(copy, '.')) != NULL) {
					*dot = '\0';
					if ((dot = strrchr(copy, '.')) != NULL)
						pid = strtol(dot + 1, &end, 10);
				}
				free(copy);
			}
			stale = now - st.st_mtime > TMP_STALE_SEC ||
			        (pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH);
		}
		if (stale && unlink(p) == 0)
			log_debug("removed stale temporary file %s", p);
		free(p);
	}
	closedir(dir);
}

/* The single entry of a work folder (the claimed original), or NULL. Caller frees. */
static char *
work_entry(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *name = NULL;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (name == NULL || strcmp(de->d_name, name) < 0) {
			free(name);
			name = xstrdup(de->d_name);
		}
	}
	closedir(d);
	return name;
}

/* Is there another process registered in proc/ that is alive (alive = 1), or one
 * that has ended (alive = 0)? */
static int
any_peer(struct spool *sp, int alive)
{
	DIR *dir = opendir(sp->proc);
	struct dirent *de;
	int found = 0;
	if (dir == NULL)
		return 0;
	while (!found && (de = readdir(dir)) != NULL)
		if (qid_ok(de->d_name) && strcmp(de->d_name, sp->procid) != 0)
			found = owner_alive(sp, de->d_name) == alive;
	closedir(dir);
	return found;
}

/* A claim takes milliseconds between its rename and its record: a record-less work
 * folder younger than this may be a live process's claim in progress. */
#define CLAIM_GRACE_SEC 30

/* Work folders: records for claims that crashed before theirs was written, and
 * leftover empty folders. While another process runs on the spool, a young record-less
 * folder may be its claim in progress and is left to it (or to a later recovery). */
static void
recover_work(struct spool *sp)
{
	int others = any_peer(sp, 1);
	time_t now = time(NULL);
	DIR *dir = opendir(sp->dirs[SF_WORK]);
	struct dirent *de;
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		char *w, *a, *f, *name;
		struct stat st;
		int has_record;
		if (!qid_ok(de->d_name))
			continue;
		a = record_path(sp, de->d_name, 0);
		f = record_path(sp, de->d_name, 1);
		has_record = lexists(a) || lexists(f);
		free(a);
		free(f);
		w = pjoin(sp->dirs[SF_WORK], de->d_name);
		if (has_record) {
			struct doc *d = NULL;
			/* staged by a worker of a process now gone, never adopted (the record
			 * read only where there is a staged file: start-up reads every folder) */
			if (staged_files(w, 0) > 0 && spool_load(sp, de->d_name, &d, NULL) == 0 &&
			    (d->owner == NULL || strcmp(d->owner, sp->procid) == 0 ||
			     !owner_alive(sp, d->owner)))
				staged_files(w, 1);
			doc_free(d);
			rmdir(w); /* only succeeds when empty: a finished move's leftover */
			free(w);
			continue;
		}
		name = work_entry(w);
		if (others && lstat(w, &st) == 0 && now - st.st_ctime < CLAIM_GRACE_SEC) {
			free(name);
			free(w);
			continue;
		}
		if (name == NULL) {
			if (rmdir(w) == 0)
				log_debug("removed empty work folder %s", w);
		} else {
			char *p = pjoin(w, name);
			struct doc *d = doc_new();
			char *err = NULL;
			memcpy(d->qid, de->d_name, strlen(de->d_name) + 1); /* qid_ok: fits */
			doc_set(&d->original_name, name);
			doc_set(&d->file, name);
			doc_set(&d->owner, sp->procid);
			if (lstat(p, &st) == 0)
				d->size = (int64_t)st.st_size;
			d->received = d->updated = time(NULL);
			doc_set_state(d, DOC_RECEIVED, "claim finished after a restart");
			if (write_record(sp, d, 0, 1, &err) == 0)
				log_doc(LOG_LVL_INFO, d->qid, name,
				        "claim finished after a restart");
			else if (errno != EEXIST)
				log_doc(LOG_LVL_ERR, d->qid, name, "%s", err);
			free(err);
			doc_free(d);
			free(p);
		}
		free(name);
		free(w);
	}
	closedir(dir);
}

/* Finish whatever change the record in active/ says was in progress, as its new owner. */
static int
finish_change(struct spool *sp, struct doc *d, char **why)
{
	if (d->move_to != SF_NONE)
		return finish_move(sp, d, why);
	if (write_receipts(sp, d, why) == -1)
		return -1;
	return commit_record(sp, d, why);
}

static int
adopt_all(struct spool *sp, int *adopted, char **why)
{
	struct spool_iter *it = spool_iter_open(sp, SPOOL_ITER_ACTIVE, why);
	struct doc *d;
	int r, n = 0;
	if (it == NULL)
		return -1;
	while ((r = spool_iter_next(it, &d, why)) == 1) {
		char *err = NULL;
		if (owner_alive(sp, d->owner) && strcmp(d->owner, sp->procid) != 0) {
			doc_free(d);
			continue;
		}
		if (d->owner == NULL || strcmp(d->owner, sp->procid) != 0) {
			log_doc(LOG_LVL_INFO, d->qid, d->file, "adopted (%s%s)",
			        doc_state_name(d->state),
			        d->move_to != SF_NONE ? ", finishing a move" : "");
			if (d->owner && crash_noted(sp, d->owner, d->qid)) {
				d->crashes++; /* saved by finish_change() */
				log_doc(LOG_LVL_ERR, d->qid, d->file,
				        "process %s crashed while working on it (%d time(s))",
				        d->owner, d->crashes);
			}
			doc_set(&d->owner, sp->procid);
			n++;
		}
		if (finish_change(sp, d, &err) == -1 ||
		    (d->state == DOC_RECEIVED && d->folder == SF_WORK &&
		     refuse_if_hostile(sp, d, &err) == -1)) {
			log_doc(LOG_LVL_ERR, d->qid, d->file, "recovery: %s", err);
			free(err);
		}
		doc_free(d);
	}
	spool_iter_close(it);
	if (adopted)
		*adopted = n;
	return r;
}

int
spool_orphans(struct spool *sp)
{
	return any_peer(sp, 0);
}

/* Lock files of dead processes (whose documents were just adopted). */
static void
clean_proc(struct spool *sp)
{
	DIR *dir = opendir(sp->proc);
	struct dirent *de;
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		char *p, *owner = xstrdup(de->d_name);
		/* PROCID, or PROCID.crash (its crash note, applied by adopt_all()) */
		if (str_has_suffix(owner, CRASH_EXT))
			owner[strlen(owner) - strlen(CRASH_EXT)] = '\0';
		if (qid_ok(owner) && strcmp(owner, sp->procid) != 0 && !owner_alive(sp, owner)) {
			p = pjoin(sp->proc, de->d_name);
			unlink(p);
			free(p);
		}
		free(owner);
	}
	closedir(dir);
}

int
spool_recover(struct spool *sp, int *adopted, char **why)
{
	int lk, r;
	if (sp->admin)
		return fail(why, "recover: the spool is open for operator commands only");
	lk = admin_lock(sp, why);
	if (lk == -1)
		return -1;
	clean_tmp(sp);
	recover_work(sp);
	r = adopt_all(sp, adopted, why);
	if (r == 0)
		clean_proc(sp);
	unlock_fd(lk);
	if (r == 0)
		r = spool_ctl_poll(sp, NULL, NULL, why);
	return r;
}

/* ---- duplicate index ------------------------------------------------------------- */

/* DIR/KEY.HASH: the entry of (key, number) in an index folder, KEY kept when it is a
 * SIRET or SIREN (digits), "x" otherwise. Caller frees. */
static char *
index_path(const char *dir, const char *key, const char *number)
{
	struct buf b;
	char hex[65], *p;
	const char *s;
	int digits = *key != '\0' && strlen(key) <= 14;
	for (s = key; *s; s++)
		if (*s < '0' || *s > '9')
			digits = 0;
	buf_init(&b);
	buf_printf(&b, "%s\n%s", key, number);
	sha256_hex(b.p, b.len, hex);
	buf_free(&b);
	hex[40] = '\0';
	p = xasprintf("%s/%s.%s", dir, digits ? key : "x", hex);
	return p;
}

static char *
dup_path(struct spool *sp, const char *siret, const char *number)
{
	return index_path(sp->dup, siret, number);
}

/* The qid in an entry, or NULL (errno ENOENT when there is none). Caller frees. */
static char *
dup_read(const char *path)
{
	struct buf b;
	char *nl, *q = NULL;
	buf_init(&b);
	if (read_file(path, 4096, 1, &b, NULL) == 0) {
		if ((nl = strchr(b.p, '\n')) != NULL)
			*nl = '\0';
		if (qid_ok(b.p))
			q = xstrdup(b.p);
		else
			errno = EINVAL;
	}
	buf_free(&b);
	return q;
}

/* An entry is stale when its document was rejected (or its record is gone). */
static int
dup_stale(struct spool *sp, const char *qid)
{
	struct doc *d = NULL;
	int stale;
	if (spool_load(sp, qid, &d, NULL) == -1)
		return errno == ENOENT;
	stale = d->state == DOC_REJECTED;
	doc_free(d);
	return stale;
}

int
spool_dup_claim(struct spool *sp, const char *siret, const char *number, const char *qid, int force,
                char **dup_of, char **why)
{
	char *path = dup_path(sp, siret, number), *content, *e, *held;
	int round, r = -1;
	*dup_of = NULL;
	e = receipt_escape(number);
	content = xasprintf("%s\n%s\n%s\n", qid, siret, e);
	free(e);
	for (round = 0; round < 4; round++) {
		int lk;
		char *err = NULL;
		if (write_file_atomic(sp->tmp, path, content, strlen(content), 0600, FIO_NOREPLACE,
		                      &err) == 0) {
			r = 0;
			goto out;
		}
		if (errno != EEXIST) {
			fail(why, "%s", err);
			free(err);
			goto out;
		}
		free(err);
		held = dup_read(path);
		if (held == NULL && errno == ENOENT)
			continue;
		if (held && strcmp(held, qid) == 0) {
			free(held);
			r = 0;
			goto out;
		}
		/* stale entries are removed under lock/dup, after reading them again */
		lk = -1;
		if (held == NULL || dup_stale(sp, held)) {
			char *lp = pjoin(sp->lock, "dup"), *again;
			lk = lock_path(lp, 0);
			free(lp);
			again = dup_read(path);
			if (again == NULL || (held && strcmp(again, held) == 0)) {
				if (unlink(path) == 0)
					log_doc(LOG_LVL_INFO, qid, NULL,
					        "duplicate index: entry of %s released (stale)",
					        held ? held : "(unreadable)");
				free(again);
				free(held);
				unlock_fd(lk);
				continue;
			}
			free(held);
			held = again;
			unlock_fd(lk);
		}
		*dup_of = held;
		r = force ? 0 : 1;
		goto out;
	}
	fail(why, "duplicate index %s: the entry keeps changing", path);
out:
	free(content);
	free(path);
	return r;
}

int
spool_dup_release(struct spool *sp, const char *siret, const char *number, const char *qid,
                  char **why)
{
	char *path = dup_path(sp, siret, number), *lp = pjoin(sp->lock, "dup"), *held;
	int lk = lock_path(lp, 0), r = 0;
	free(lp);
	if (lk == -1) {
		r = fail(why, "lock the duplicate index: %s", strerror(errno));
		goto out;
	}
	held = dup_read(path);
	if (held && strcmp(held, qid) == 0) {
		if (unlink(path) == -1)
			r = fail(why, "unlink %s: %s", path, strerror(errno));
		else
			fsync_dir(sp->dup, NULL);
	}
	free(held);
	unlock_fd(lk);
out:
	free(path);
	return r;
}

/* ---- references named by the platforms' status flows ------------------------------ */

int
spool_ref_set(struct spool *sp, const char *key, const char *number, const char *qid, char **why)
{
	char *path, *e, *content;
	int r;
	if (mkdir_p(sp->refs, 0700, why) == -1)
		return -1;
	path = index_path(sp->refs, key, number);
	e = receipt_escape(number);
	content = xasprintf("%s\n%s\n%s\n", qid, key, e);
	r = write_file_atomic(sp->tmp, path, content, strlen(content), 0600, 0, why);
	free(e);
	free(content);
	free(path);
	return r;
}

int
spool_ref_get(struct spool *sp, const char *key, const char *number, char **qid, char **why)
{
	char *path = index_path(sp->refs, key, number);
	*qid = dup_read(path);
	if (*qid == NULL && errno != ENOENT) {
		fail(why, "reference index %s is unreadable", path);
		free(path);
		return -1;
	}
	free(path);
	return *qid ? 0 : 1;
}

/* ---- status events waiting for their document ------------------------------------- */

int
spool_event_put(struct spool *sp, const char *qid, const char *text, char **why)
{
	static unsigned seq;
	char stamp[64], *path;
	int r;
	if (!qid_ok(qid))
		return fail(why, "\"%s\" is not a queue id", qid);
	if (mkdir_p(sp->events, 0700, why) == -1)
		return -1;
	/* QID.TIME.PID.SEQ: one name per event, in the order they were stored */
	snprintf(stamp, sizeof(stamp), "%016lld.%d.%06u", (long long)wall_ms(), (int)getpid(),
	         ++seq);
	path = xasprintf("%s/%s.%s", sp->events, qid, stamp);
	r = write_file_atomic(sp->tmp, path, text, strlen(text), 0600, FIO_NOREPLACE, why);
	free(path);
	return r;
}

static int
cmp_event_names(const void *a, const void *b)
{
	/* by the time they were stored, then by queue id */
	const char *x = strchr(*(char *const *)a, '.'), *y = strchr(*(char *const *)b, '.');
	int c = strcmp(x ? x : "", y ? y : "");
	return c ? c : strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_event_each(struct spool *sp, spool_event_cb *cb, void *arg, char **why)
{
	DIR *dir = opendir(sp->events);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	if (dir == NULL)
		return errno == ENOENT ? 0 : fail(why, "open %s: %s", sp->events, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' || strchr(de->d_name, '.') == NULL)
			continue;
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_event_names);
	for (i = 0; i < n; i++) {
		char *path = pjoin(sp->events, names[i]), *dot = strchr(names[i], '.');
		struct buf text;
		buf_init(&text);
		*dot = '\0';
		if (!qid_ok(names[i]) || read_file(path, 65536, 1, &text, NULL) == -1) {
			log_warn("status event %s is unreadable; removed", path);
			unlink(path);
		} else if (cb(arg, names[i], text.p) == 1 && unlink(path) == 0)
			fsync_dir(sp->events, NULL);
		buf_free(&text);
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}

int
spool_with_doc(struct spool *sp, const char *qid, spool_doc_cb *cb, void *arg, char **why)
{
	struct doc *d = NULL;
	int lk, r, was_admin = sp->admin;
	lk = admin_lock(sp, why);
	if (lk == -1)
		return -1;
	if (spool_load(sp, qid, &d, why) == -1) {
		unlock_fd(lk);
		return -1;
	}
	if (owner_alive(sp, d->owner) && strcmp(d->owner, sp->procid) != 0) {
		doc_free(d);
		unlock_fd(lk);
		return 1; /* its live owner changes it */
	}
	sp->admin = 1; /* under lock/admin, ours or with no live owner: ours to change */
	r = cb(arg, sp, d, why);
	sp->admin = was_admin;
	doc_free(d);
	unlock_fd(lk);
	return r;
}

/* The file of a spool-wide state (`name`, such as "pa-feed.json"). Caller frees. */
char *
spool_state_path(struct spool *sp, const char *name, char **why)
{
	if (mkdir_p(sp->state, 0700, why) == -1)
		return NULL;
	return pjoin(sp->state, name);
}

const char *
spool_tmp(const struct spool *sp)
{
	return sp->tmp;
}

int
spool_dup_lookup(struct spool *sp, const char *siret, const char *number, char **qid, char **why)
{
	char *path = dup_path(sp, siret, number);
	*qid = dup_read(path);
	if (*qid == NULL && errno != ENOENT) {
		fail(why, "duplicate index %s is unreadable", path);
		free(path);
		return -1;
	}
	free(path);
	return *qid ? 0 : 1;
}

/* ---- operator requests ------------------------------------------------------------ */

static const char *const req_names[] = {"hold", "release", "retry", "retry-force"};

const char *
spool_req_name(enum spool_req r)
{
	if ((unsigned)r >= nitems(req_names))
		fatalx("spool_req_name: no operator request %d", (int)r);
	return req_names[r];
}

static int
req_parse(const char *s, enum spool_req *out)
{
	size_t i;
	for (i = 0; i < nitems(req_names); i++)
		if (strcmp(s, req_names[i]) == 0) {
			*out = (enum spool_req)i;
			return 0;
		}
	return -1;
}

static int
req_applies(const struct doc *d, enum spool_req req, char **why)
{
	switch (req) {
	case REQ_HOLD:
		if (doc_state_final(d->state))
			return fail(why, "%s is %s: nothing left to hold", d->qid,
			            doc_state_name(d->state));
		if (d->held)
			return fail(why, "%s is already held", d->qid);
		return 0;
	case REQ_RELEASE:
		if (!d->held)
			return fail(why, "%s is not held", d->qid);
		return 0;
	case REQ_RETRY:
	case REQ_RETRY_FORCE:
		if (d->state == DOC_ACCEPTED)
			return fail(why, "%s was accepted by Chorus Pro: nothing to retry", d->qid);
		if (d->held)
			return fail(why, "%s is held: release it first", d->qid);
		return 0;
	}
	return fail(why, "unknown request");
}

int
spool_apply_request(struct spool *sp, struct doc *d, enum spool_req req, char **why)
{
	if (req_applies(d, req, why) == -1)
		return -1;
	switch (req) {
	case REQ_HOLD:
		d->held = 1;
		doc_note(d, "held by the operator");
		break;
	case REQ_RELEASE:
		d->held = 0;
		if (d->crashes) {
			/* held for the processes that died on it: a person asks for a new try */
			d->crashes = 0;
			d->action_required = 0;
			doc_set(&d->action, NULL);
		}
		doc_note(d, "released by the operator");
		break;
	case REQ_RETRY:
	case REQ_RETRY_FORCE:
		if (req == REQ_RETRY_FORCE)
			d->force = 1;
		d->next_attempt = 0;
		if (d->state == DOC_REJECTED) {
			/* transformed and checked again, from the work area */
			doc_clear_reasons(d);
			d->action_required = 0;
			doc_set(&d->action, NULL);
			doc_set_state(d, DOC_RECEIVED,
			              req == REQ_RETRY_FORCE ? "retry --force by the operator"
			                                     : "retry by the operator");
			return spool_move(sp, d, SF_WORK, NULL, 0, why);
		}
		doc_note(d, "%s",
		         req == REQ_RETRY_FORCE ? "retry --force by the operator"
		                                : "retry by the operator");
		break;
	}
	return spool_save(sp, d, why);
}

int
spool_request(struct spool *sp, const char *qid, enum spool_req req, int *queued, char **why)
{
	struct doc *d = NULL;
	int lk, r = -1;
	*queued = 0;
	lk = admin_lock(sp, why);
	if (lk == -1)
		return -1;
	if (spool_load(sp, qid, &d, why) == -1)
		goto out;
	if (req_applies(d, req, why) == -1)
		goto out;
	if (owner_alive(sp, d->owner) && strcmp(d->owner, sp->procid) != 0) {
		char rid[QID_MAX], *path, *text;
		spool_make_qid(rid, (uint64_t)getpid());
		path = xasprintf("%s/%s.%s", sp->ctl, qid, rid);
		text = xasprintf("%s\n", spool_req_name(req));
		r = write_file_atomic(sp->tmp, path, text, strlen(text), 0600, FIO_NOREPLACE, why);
		free(path);
		free(text);
		if (r == 0)
			*queued = 1;
	} else {
		int was_admin = sp->admin;
		sp->admin = 1; /* under lock/admin, with no live owner: ours to change */
		r = spool_apply_request(sp, d, req, why);
		sp->admin = was_admin;
	}
out:
	doc_free(d);
	unlock_fd(lk);
	return r;
}

int
spool_ctl_fd(struct spool *sp)
{
	if (sp->ctl_fd != -1 || sp->admin)
		return sp->ctl_fd;
	sp->ctl_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sp->ctl_fd == -1)
		return -1;
	if (inotify_add_watch(sp->ctl_fd, sp->ctl, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE) ==
	    -1) {
		close(sp->ctl_fd);
		sp->ctl_fd = -1;
	}
	return sp->ctl_fd;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Apply one request with no gateway in the way: load, apply, save. */
static int
apply_to_record(void *arg, const char *qid, enum spool_req req)
{
	struct spool *sp = arg;
	struct doc *d = NULL;
	char *err = NULL;
	int r = spool_load(sp, qid, &d, &err);
	if (r == 0)
		r = spool_apply_request(sp, d, req, &err);
	if (r == -1) {
		log_doc(LOG_LVL_WARN, qid, d ? d->file : NULL, "%s: %s", spool_req_name(req), err);
		free(err);
	}
	doc_free(d);
	return 0;
}

int
spool_ctl_poll(struct spool *sp, spool_req_cb *cb, void *arg, char **why)
{
	DIR *dir;
	struct dirent *de;
	char **names = NULL, buf[4096];
	size_t n = 0, i;
	if (sp->ctl_fd != -1)
		while (read(sp->ctl_fd, buf, sizeof(buf)) > 0)
			;
	dir = opendir(sp->ctl);
	if (dir == NULL)
		return fail(why, "open %s: %s", sp->ctl, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1) /* request ids sort by time */
		qsort(names, n, sizeof(char *), cmp_str);
	if (cb == NULL) {
		cb = apply_to_record;
		arg = sp;
	}
	for (i = 0; i < n; i++) {
		char *dot = strchr(names[i], '.'), *path = pjoin(sp->ctl, names[i]), *nl;
		struct doc *d = NULL;
		struct buf text;
		enum spool_req req;
		int ok = 0;
		buf_init(&text);
		if (dot != NULL) {
			*dot = '\0';
			if (spool_load(sp, names[i], &d, NULL) == 0 &&
			    read_file(path, 64, 1, &text, NULL) == 0) {
				if ((nl = strchr(text.p, '\n')) != NULL)
					*nl = '\0';
				ok = req_parse(text.p, &req) == 0;
			}
		}
		if (!ok) {
			log_warn("operator request %s is for no document or unreadable; removed",
			         path);
			unlink(path);
		} else if (d->owner && strcmp(d->owner, sp->procid) == 0) {
			if (cb(arg, names[i], req) == 0)
				unlink(path);
		} /* else: its owner (or the process adopting it) applies it */
		doc_free(d);
		buf_free(&text);
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}
