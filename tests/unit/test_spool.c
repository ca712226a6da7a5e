/* Unit tests of spool.c: layout and its checks, queue ids, claim, moves with name
 * clashes, saves, hostile entries, the duplicate index, iteration, adoption of orphans,
 * operator requests with and without a live owner, a full disk during a move. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "receipt.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

static char root[] = "/tmp/chorusgw-spool.XXXXXX";

static char *
P(const char *rel)
{
	static char *last[8];
	static int i;
	i = (i + 1) % 8;
	free(last[i]);
	last[i] = xasprintf("%s/%s", root, rel);
	return last[i];
}

/* A formatted string that lives for the next few calls (no leaks in the tests). */
static const char *F(const char *fmt, ...) PRINTFLIKE(1, 2);
static const char *
F(const char *fmt, ...)
{
	static char *last[8];
	static int i;
	va_list ap;
	i = (i + 1) % 8;
	free(last[i]);
	va_start(ap, fmt);
	last[i] = xvasprintf(fmt, ap);
	va_end(ap);
	return last[i];
}

static void
put_file(const char *rel, const char *content)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0)
			perror("write");
		close(fd);
	}
}

static size_t
count(const char *rel)
{
	DIR *d = opendir(P(rel));
	struct dirent *de;
	size_t n = 0;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int
exists(const char *rel)
{
	struct stat st;
	return lstat(P(rel), &st) == 0;
}

static int
claim(struct spool *sp, const char *name, struct doc **d)
{
	struct stat st;
	char *why = NULL;
	int r;
	if (lstat(P(F("inbox/%s", name)), &st) == -1)
		return -2;
	r = spool_claim(sp, name, &st, NULL, d, &why);
	if (r == -1)
		printf("# claim %s: %s\n", name, why);
	free(why);
	return r;
}

static struct doc *
read_receipt(const char *rel)
{
	struct doc *d = NULL;
	char *why = NULL;
	if (receipt_read(P(rel), &d, &why) == -1)
		printf("# %s\n", why);
	free(why);
	return d;
}

static void
rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	if (system(cmd) != 0)
		perror(cmd);
	free(cmd);
}

static size_t
iter_count(struct spool *sp, unsigned flags)
{
	struct spool_iter *it = spool_iter_open(sp, flags, NULL);
	struct doc *d;
	size_t n = 0;
	while (it && spool_iter_next(it, &d, NULL) == 1) {
		n++;
		doc_free(d);
	}
	spool_iter_close(it);
	return n;
}

static void
folder_name(int f)
{
	spool_folder_name((enum spool_folder)f);
}

static void
req_name(int r)
{
	spool_req_name((enum spool_req)r);
}

int
main(void)
{
	struct spool_cfg cfg = {0640, 1, 1024};
	struct spool *sp, *sp2, *adm;
	struct doc *d = NULL, *d2 = NULL, *r = NULL;
	char *why = NULL, *dupof = NULL, qids[2000][QID_MAX], rejq[QID_MAX] = "", dq[QID_MAX] = "";
	struct stat st;
	int i, sorted = 1, adopted = -1, queued = -1, n;

	log_init("test", LOG_TARGET_STDERR, LOG_LVL_ERR, 0);
	ok(mkdtemp(root) != NULL, "temp spool %s", root);

	/* names */
	for (i = 0; i <= SF_NONE; i++) {
		enum spool_folder f;
		ok(spool_folder_parse(spool_folder_name((enum spool_folder)i), &f) == 0 &&
		       (int)f == i,
		   "folder %s round-trips", spool_folder_name((enum spool_folder)i));
	}
	{
		char err[512];
		ok(dies_with(folder_name, SF_NONE + 1,
		             "internal error: spool_folder_name: no spool folder 5", err,
		             sizeof(err)),
		   "an impossible folder is an internal error, not a name (%s)", err);
		ok(dies_with(req_name, REQ_RETRY_FORCE + 1,
		             "internal error: spool_req_name: no operator request 4", err,
		             sizeof(err)),
		   "an impossible operator request is an internal error (%s)", err);
	}

	/* layout */
	ok(spool_check(root, &why) == -1 && contains(why, "--init"), "empty dir: %s", why);
	ok(spool_init(root, &why) == 0, "init: %s", why ? why : "ok");
	ok(spool_check(root, &why) == 0, "check after init");
	ok(stat(P("inbox"), &st) == 0 && (st.st_mode & 0777) == 0770, "inbox 0770");
	ok(stat(P(".chorusgw/work"), &st) == 0 && (st.st_mode & 0777) == 0700, "work area 0700");
	ok(spool_init(root, &why) == 0, "init again is harmless");
	chmod(P(".chorusgw"), 0755);
	ok(spool_check(root, &why) == -1 && contains(why, "chmod 700"), "private mode: %s", why);
	chmod(P(".chorusgw"), 0700);
	chmod(P("accepted"), 0777);
	ok(spool_check(root, &why) == -1 && contains(why, "chmod go-w"), "world-writable: %s", why);
	chmod(P("accepted"), 0750);
	rmdir(P("rejected"));
	ok(spool_check(root, &why) == -1 && contains(why, "rejected is missing"), "missing: %s",
	   why);
	symlink("/tmp", P("rejected"));
	ok(spool_check(root, &why) == -1 && contains(why, "symbolic link"), "symlink: %s", why);
	unlink(P("rejected"));
	mkdir(P("rejected"), 0750);
	if (geteuid() == 0) {
		chown(P("outbox"), 65534, 65534);
		ok(spool_check(root, &why) == -1 && contains(why, "owned by uid 65534"),
		   "wrong owner: %s", why);
		chown(P("outbox"), 0, 0);
	} else
		ok(1, "# SKIP wrong owner needs root");
	ok(spool_check(root, &why) == 0, "check OK again");

	/* queue ids */
	for (i = 0; i < 2000; i++) {
		spool_make_qid(qids[i], 123456);
		if (i && strcmp(qids[i - 1], qids[i]) >= 0)
			sorted = 0;
	}
	ok(sorted, "2000 queue ids: strictly increasing (so unique), e.g. %s", qids[0]);
	ok(strlen(qids[0]) >= 14 && strlen(qids[0]) < 24 &&
	       strspn(qids[0], "0123456789BCDFGHJKLMNPQRSTVWXYZ") == strlen(qids[0]),
	   "queue id is short and upper-case alphanumeric");

	sp = spool_open(root, &cfg, 0, &why);
	ok(sp != NULL, "open: %s", why ? why : "ok");
	ok(count(".chorusgw/proc") == 1, "process registered in proc/");
	ok(spool_recover(sp, &adopted, &why) == 0 && adopted == 0, "recover on a clean spool");

	/* claim */
	put_file("inbox/A.xml", "<invoice>1</invoice>");
	ok(claim(sp, "A.xml", &d) == SPOOL_CLAIMED, "claim A.xml");
	ok(!exists("inbox/A.xml"), "gone from inbox");
	is_int(d->state, DOC_RECEIVED, "state received");
	is_str(d->owner, spool_procid(sp), "owned by this process");
	ok(exists(F(".chorusgw/work/%s/A.xml", d->qid)), "in work/QID/");
	ok(exists(F(".chorusgw/active/%s", d->qid)), "record in active/");
	{
		struct buf b;
		buf_init(&b);
		ok(spool_read_original(sp, d, 1000, &b, &why) == 0 &&
		       strcmp(b.p, "<invoice>1</invoice>") == 0,
		   "read the original");
		buf_free(&b);
	}
	put_file("inbox/B.xml", "b");
	lstat(P("inbox/B.xml"), &st);
	ok(spool_claim(sp, "B.xml", &st, NULL, &d2, &why) == SPOOL_CLAIMED, "claim B");
	ok(spool_claim(sp, "B.xml", &st, NULL, &r, &why) == SPOOL_GONE, "second claim: gone");
	doc_free(d2);
	/* judged, then replaced: not the same file, stays in inbox */
	put_file("inbox/C.xml", "c1");
	lstat(P("inbox/C.xml"), &st);
	put_file("inbox/C.new", "c2");
	rename(P("inbox/C.new"), P("inbox/C.xml"));
	ok(spool_claim(sp, "C.xml", &st, NULL, &r, &why) == SPOOL_GONE && exists("inbox/C.xml"),
	   "replaced after judgement: put back, not claimed");
	unlink(P("inbox/C.xml"));

	/* move to outbox with the Chorus XML */
	doc_set(&d->syntax, "ubl");
	doc_set(&d->supplier_siret, "73282932000074");
	doc_set(&d->invoice_number, "F-1");
	doc_set_state(d, DOC_QUEUED, NULL);
	ok(spool_move(sp, d, SF_OUTBOX, "<ubl/>", 6, &why) == 0, "move to outbox: %s",
	   why ? why : "ok");
	ok(exists("outbox/A.xml") && exists("outbox/A.ubl.xml") && exists("outbox/A.xml.receipt"),
	   "outbox has the original, the XML and the receipt");
	ok(exists("outbox/A.xml.receipt.json"), "and the JSON receipt");
	ok(!exists(F(".chorusgw/work/%s", d->qid)), "work folder removed");
	r = read_receipt("outbox/A.xml.receipt");
	ok(r && r->state == DOC_QUEUED && strcmp(r->chorus_xml, "A.ubl.xml") == 0,
	   "receipt says queued with its XML");
	doc_free(r);
	/* deposit intent, then accepted */
	doc_set_state(d, DOC_SUBMITTING, NULL);
	doc_set(&d->payload_sha256, "0123");
	d->attempts++;
	ok(spool_save(sp, d, &why) == 0, "save submitting");
	r = read_receipt("outbox/A.xml.receipt");
	ok(r && r->state == DOC_SUBMITTING && r->attempts == 1, "receipt says submitting");
	doc_free(r);
	doc_set_state(d, DOC_ACCEPTED, NULL);
	ok(spool_move(sp, d, SF_ACCEPTED, NULL, 0, &why) == 0, "move to accepted");
	ok(exists("accepted/A.xml") && exists("accepted/A.ubl.xml") &&
	       exists("accepted/A.xml.receipt") && count("outbox") == 0,
	   "accepted has all three files, outbox is empty");
	ok(exists(F(".chorusgw/final/%s", d->qid)) && !exists(F(".chorusgw/active/%s", d->qid)),
	   "record moved to final/");
	ok(spool_move(sp, d, SF_ACCEPTED, NULL, 0, &why) == 0 && count("accepted") == 4,
	   "move to the folder it is in: a save, nothing renamed");

	/* the same name again: both kept */
	put_file("inbox/A.xml", "<invoice>2</invoice>");
	ok(claim(sp, "A.xml", &d2) == SPOOL_CLAIMED, "claim the second A.xml");
	doc_set(&d2->syntax, "ubl");
	doc_set_state(d2, DOC_QUEUED, NULL);
	ok(spool_move(sp, d2, SF_OUTBOX, "<ubl2/>", 7, &why) == 0, "second A to outbox");
	doc_set_state(d2, DOC_ACCEPTED, NULL);
	ok(spool_move(sp, d2, SF_ACCEPTED, NULL, 0, &why) == 0, "second A to accepted");
	ok(strcmp(d2->file, "A.xml") != 0 && strstr(d2->file, d2->qid) != NULL,
	   "renamed with its queue id: %s", d2->file);
	ok(exists("accepted/A.xml") && exists(F("accepted/%s", d2->file)) &&
	       exists(F("accepted/%s.receipt", d2->file)),
	   "both documents kept");
	r = read_receipt("accepted/A.xml.receipt");
	ok(r && strcmp(r->qid, d->qid) == 0, "the first receipt is untouched");
	doc_free(r);

	/* hostile entries */
	put_file("outside", "secret");
	chmod(P("outside"), 0600);
	symlink(P("outside"), P("inbox/link.xml"));
	ok(claim(sp, "link.xml", &r) == SPOOL_REFUSED &&
	       contains(doc_last_reason(r), "symbolic link"),
	   "symlink refused");
	snprintf(rejq, sizeof(rejq), "%s", r ? r->qid : "");
	ok(lstat(P("rejected/link.xml"), &st) == 0 && S_ISLNK(st.st_mode),
	   "the link itself is in rejected/");
	ok(exists("outside") && exists("rejected/link.xml.receipt"), "target untouched, receipt");
	doc_free(r);
	mkfifo(P("inbox/pipe.xml"), 0644);
	ok(claim(sp, "pipe.xml", &r) == SPOOL_REFUSED && contains(doc_last_reason(r), "FIFO"),
	   "FIFO refused without hanging");
	doc_free(r);
	put_file("inbox/big.xml", "");
	truncate(P("inbox/big.xml"), 5000);
	ok(claim(sp, "big.xml", &r) == SPOOL_REFUSED && contains(doc_last_reason(r), "max_size"),
	   "oversized refused");
	doc_free(r);
	put_file("inbox/bad\nname.xml", "x");
	ok(claim(sp, "bad\nname.xml", &r) == SPOOL_REFUSED, "control characters refused");
	ok(r && strcmp(r->file, "bad_name.xml") == 0 && exists("rejected/bad_name.xml.receipt"),
	   "stored under a clean name");
	doc_free(r);
	r = read_receipt("rejected/bad_name.xml.receipt");
	ok(r && strcmp(r->original_name, "bad\nname.xml") == 0, "receipt keeps the original name");
	doc_free(r);

	/* the duplicate index */
	ok(spool_dup_claim(sp, "73282932000074", "F-1", d->qid, 0, &dupof, &why) == 0,
	   "dup: first claim");
	ok(spool_dup_claim(sp, "73282932000074", "F-1", d->qid, 0, &dupof, &why) == 0,
	   "dup: claiming again for the same document is fine");
	ok(spool_dup_claim(sp, "73282932000074", "F-1", d2->qid, 0, &dupof, &why) == 1 && dupof &&
	       strcmp(dupof, d->qid) == 0,
	   "dup: second document refused, duplicate of the first");
	free(dupof);
	ok(spool_dup_claim(sp, "73282932000074", "F-1", d2->qid, 1, &dupof, &why) == 0 && dupof,
	   "dup: --force lets it through");
	free(dupof);
	ok(spool_dup_claim(sp, "73282932000074", "F-2", d2->qid, 0, &dupof, &why) == 0,
	   "dup: another number is free");
	ok(spool_dup_lookup(sp, "73282932000074", "F-1", &dupof, &why) == 0 &&
	       strcmp(dupof, d->qid) == 0,
	   "dup: lookup");
	free(dupof);
	ok(spool_dup_release(sp, "73282932000074", "F-1", d2->qid, &why) == 0 &&
	       spool_dup_lookup(sp, "73282932000074", "F-1", &dupof, &why) == 0,
	   "dup: release by another document changes nothing");
	free(dupof);
	ok(spool_dup_release(sp, "73282932000074", "F-1", d->qid, &why) == 0 &&
	       spool_dup_lookup(sp, "73282932000074", "F-1", &dupof, &why) == 1,
	   "dup: released by its holder (Chorus rejected it)");
	/* stale entries are taken over: no record, or the holder was rejected */
	ok(spool_dup_claim(sp, "73282932000074", "F-9", qids[7], 0, &dupof, &why) == 0,
	   "dup: entry for a document with no record");
	ok(spool_dup_claim(sp, "73282932000074", "F-9", d->qid, 0, &dupof, &why) == 0,
	   "dup: stale entry (no record) taken over");
	ok(spool_dup_claim(sp, "73282932000074", "F-8", rejq, 0, &dupof, &why) == 0 &&
	       spool_dup_claim(sp, "73282932000074", "F-8", d->qid, 0, &dupof, &why) == 0,
	   "dup: entry of a rejected document taken over");

	/* iteration */
	put_file("inbox/D.xml", "d");
	claim(sp, "D.xml", &r);
	snprintf(dq, sizeof(dq), "%s", r->qid);
	is_int(iter_count(sp, SPOOL_ITER_ACTIVE), 2, "two active documents (B and D)");
	is_int(iter_count(sp, SPOOL_ITER_FINAL), 6, "six final documents");
	is_int(iter_count(sp, SPOOL_ITER_ACTIVE | SPOOL_ITER_FINAL | SPOOL_ITER_MINE), 8,
	       "all eight are ours");
	r->held = 1;
	spool_save(sp, r, &why);
	is_int(iter_count(sp, SPOOL_ITER_ACTIVE | SPOOL_ITER_PENDING), 1, "held: not pending");
	r->held = 0;
	spool_save(sp, r, &why);
	is_int(iter_count(sp, SPOOL_ITER_ACTIVE | SPOOL_ITER_PENDING), 2, "released: pending");

	/* operator requests: the owner lives, so they are queued for it */
	adm = spool_open(root, &cfg, SPOOL_ADMIN, &why);
	ok(adm != NULL, "admin open");
	ok(spool_request(adm, r->qid, REQ_HOLD, &queued, &why) == 0 && queued == 1,
	   "hold with a live owner: queued");
	is_int(count(".chorusgw/ctl"), 1, "request waits in ctl/");
	ok(spool_ctl_fd(sp) >= 0, "ctl fd");
	ok(spool_ctl_poll(sp, NULL, NULL, &why) == 0 && count(".chorusgw/ctl") == 0,
	   "owner applied it");
	doc_free(r);
	ok(spool_load(sp, qids[5], &r, &why) == -1 && errno == ENOENT, "unknown id: ENOENT");
	ok(spool_request(adm, qids[5], REQ_HOLD, &queued, &why) == -1 &&
	       contains(why, "no document"),
	   "unknown id refused: %s", why);
	ok(spool_request(adm, d->qid, REQ_RETRY, &queued, &why) == -1 && contains(why, "accepted"),
	   "retry of an accepted document refused: %s", why);

	/* the owner goes away: another process adopts its documents */
	n = (int)iter_count(sp, SPOOL_ITER_ACTIVE);
	spool_close(sp);
	sp2 = spool_open(root, &cfg, 0, &why);
	ok(spool_recover(sp2, &adopted, &why) == 0 && adopted == n, "orphans adopted: %d", adopted);
	ok(spool_load(sp2, dq, &r, &why) == 0 && r->held &&
	       strcmp(r->owner, spool_procid(sp2)) == 0,
	   "the hold was recorded, the new process owns it");
	/* without a live owner: applied at once */
	spool_close(sp2);
	ok(spool_request(adm, r->qid, REQ_RELEASE, &queued, &why) == 0 && queued == 0,
	   "release with no live owner: applied directly");
	doc_free(r);
	ok(spool_request(adm, d2->qid, REQ_HOLD, &queued, &why) == -1,
	   "hold of a final document refused");
	{
		struct doc *rej = NULL;
		struct spool_iter *it = spool_iter_open(adm, SPOOL_ITER_FINAL, &why);
		while (it && spool_iter_next(it, &r, &why) == 1) {
			if (r->state == DOC_REJECTED && rej == NULL)
				rej = r;
			else
				doc_free(r);
		}
		spool_iter_close(it);
		ok(rej && spool_request(adm, rej->qid, REQ_RETRY_FORCE, &queued, &why) == 0,
		   "retry --force of a rejected document: %s", why ? why : "ok");
		if (rej) {
			ok(spool_load(adm, rej->qid, &r, &why) == 0 && r->state == DOC_RECEIVED &&
			       r->folder == SF_WORK && r->force && r->nreasons == 0,
			   "back in the work area as received, with force");
			ok(!exists(F("rejected/%s", rej->file)) &&
			       !exists(F("rejected/%s.receipt", rej->file)) &&
			       exists(F(".chorusgw/work/%s/%s", rej->qid, rej->file)),
			   "its files left rejected/");
			doc_free(r);
			doc_free(rej);
		}
	}
	spool_close(adm);

	/* a full disk while writing a receipt: no torn file, finished later */
	sp = spool_open(root, &cfg, 0, &why);
	spool_recover(sp, &adopted, &why);
	put_file("inbox/E.xml", "e");
	claim(sp, "E.xml", &r);
	doc_set_state(r, DOC_QUEUED, NULL);
#ifdef CHORUSGW_TEST_HOOKS
	setenv("CHORUSGW_FAIL_WRITE", "E.xml.receipt:1", 1);
	ok(spool_move(sp, r, SF_OUTBOX, "<e/>", 4, &why) == -1 && contains(why, "No space"),
	   "disk full during the move: %s", why);
	ok(!exists("outbox/E.xml.receipt") && count(".chorusgw/tmp") == 0,
	   "no receipt, no temp file left");
	ok(spool_move(sp, r, SF_OUTBOX, NULL, 0, &why) == 0, "space back: %s", why ? why : "ok");
	ok(exists("outbox/E.xml.receipt") && exists("outbox/E.chorus.xml"), "the move finished");
	unsetenv("CHORUSGW_FAIL_WRITE");
#else
	skip("disk full during a move: needs ./configure --enable-test-hooks");
#endif
	doc_free(r);
	spool_close(sp);

	doc_free(d);
	doc_free(d2);
	free(why);
	if (!getenv("KEEP"))
		rm_rf(root);
	return done_testing();
}
