/* Unit tests of receipt.c: escaping, INI round trip, the record section, torn and
 * edited receipts, JSON, atomic writes under a full disk. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "json.h"
#include "receipt.h"
#include "tap.h"
#include "util.h"

static struct doc *
sample(void)
{
	struct doc *d = doc_new();
	snprintf(d->qid, sizeof(d->qid), "%s", "4F7KQ2B9X3LMZ4B7C");
	doc_set(&d->original_name, " FACT;2026#1 \"x\" =\\ été\n.xml");
	doc_set(&d->file, "FACT_2026.xml");
	doc_set(&d->chorus_xml, "FACT_2026.ubl.xml");
	d->size = 12345;
	doc_set(&d->supplier_siret, "73282932000074");
	doc_set(&d->buyer_siret, "11000201100044");
	doc_set(&d->invoice_number, "F-2026/001 ; #7");
	doc_set(&d->syntax, "ubl");
	doc_set(&d->numero_flux_depot, "CPP12345678901");
	d->deposit_date = 1795000000;
	doc_set(&d->deposit_report_state, "IN_INTEGRE");
	doc_set(&d->chorus_invoice_id, "9876543");
	doc_set(&d->chorus_status, "MISE_A_DISPOSITION");
	d->chorus_status_date = 1795000100;
	doc_set(&d->chorus_status_comment, "ok\tfine");
	d->action_required = 1;
	doc_set(&d->action, "fix the buyer's SIRET");
	d->held = 1;
	d->force = 1;
	doc_set(&d->duplicate_of, "4F7KQ2B9X3LMZ00001");
	doc_set(&d->payload_sha256, "ab12");
	d->attempts = 3;
	d->next_attempt = 1795000200;
	d->received = 1794999000;
	d->updated = 1795000300;
	doc_add_reason(d, "first reason; with a semicolon");
	doc_add_reason(d, "second\nline \x01 ctrl \xff bad");
	d->state = DOC_QUEUED;
	d->history = xcalloc(2, sizeof(*d->history));
	d->history[0].when = 1794999000;
	d->history[0].state = DOC_RECEIVED;
	d->history[1].when = 1794999001;
	d->history[1].state = DOC_QUEUED;
	d->history[1].note = xstrdup("with a note");
	d->nhistory = 2;
	return d;
}

static size_t
count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
state_name(int s)
{
	doc_state_name((enum doc_state)s);
}

int
main(void)
{
	struct doc *d = sample(), *back = NULL;
	struct buf a, b, u;
	char *why = NULL, *e, *js, dir[] = "/tmp/chorusgw-receipt.XXXXXX", *path, *tmp;
	enum doc_state st;
	struct json *j;
	int i;

	/* names */
	for (i = 0; i < DOC_NSTATES; i++)
		ok(doc_state_parse(doc_state_name((enum doc_state)i), &st) == 0 && (int)st == i,
		   "state %s round-trips", doc_state_name((enum doc_state)i));
	ok(doc_state_parse("bogus", &st) == -1, "unknown state refused");
	{
		char err[512];
		ok(dies_with(state_name, DOC_NSTATES,
		             "internal error: doc_state_name: no document state 6", err,
		             sizeof(err)),
		   "an impossible state is an internal error, not \"unknown\" (%s)", err);
	}
	ok(doc_state_final(DOC_ACCEPTED) && doc_state_final(DOC_REJECTED) &&
	       !doc_state_final(DOC_DEPOSITED),
	   "final states");

	/* escaping */
	e = receipt_escape("plain; text # with = signs");
	is_str(e, "plain; text # with = signs",
	       "; # = are kept verbatim (configparser reads them)");
	free(e);
	e = receipt_escape(" a\\b\nc\td\x01\x7f é ");
	is_str(e, "\\x20a\\\\b\\nc\\td\\x01\\x7f é\\x20",
	       "backslash, controls, edge spaces escaped");
	buf_init(&u);
	ok(receipt_unescape(e, &u) == 0, "unescape");
	is_str(u.p, " a\\b\nc\td\x01\x7f é ", "unescape restores the bytes");
	free(e);
	e = receipt_escape("bad \xc3\x28 \xed\xa0\x80 utf8 \xf0\x9f\x98\x80");
	is_str(e, "bad \\xc3( \\xed\\xa0\\x80 utf8 \xf0\x9f\x98\x80", "invalid UTF-8 escaped");
	free(e);
	buf_reset(&u);
	ok(receipt_unescape("bad \\q", &u) == -1, "unknown escape refused");
	buf_reset(&u);
	ok(receipt_unescape("nul \\x00", &u) == -1, "NUL escape refused");
	buf_free(&u);

	/* INI round trip, byte for byte */
	buf_init(&a);
	buf_init(&b);
	receipt_format(d, 0, &a);
	ok(contains(a.p, "\n[receipt]\nformat = 1\nqueue_id = 4F7KQ2B9X3LMZ4B7C\nstate = queued\n"),
	   "receipt starts with format, queue_id, state");
	ok(contains(a.p, "\ninvoice_number = F-2026/001 ; #7\n"), "invoice number verbatim");
	ok(contains(a.p, "\nreason.2 = second\\nline \\x01 ctrl \\xff bad\n"), "reason escaped");
	ok(contains(a.p, "\nhistory.2 = 2026-11-18T10:50:01Z queued with a note\n"),
	   "history line");
	ok(!contains(a.p, "[spool]") && !contains(a.p, "owner"), "no private section in a receipt");
	ok(str_has_prefix(a.p + a.len - 83, "checksum = sha256:"), "ends with the checksum line");
	ok(receipt_parse(a.p, a.len, &back, &why) == 0, "parse: %s", why ? why : "ok");
	if (back) {
		receipt_format(back, 0, &b);
		ok(b.len == a.len && memcmp(a.p, b.p, a.len) == 0, "format(parse(x)) == x");
		is_str(back->original_name, d->original_name, "original name survives");
		is_str(back->reasons[1], d->reasons[1], "control bytes in a reason survive");
		is_int(back->attempts, 3, "attempts");
		is_int(back->next_attempt, 1795000200, "next_attempt");
		ok(back->held && back->force && back->action_required, "booleans");
		is_int(back->nhistory, 2, "history entries");
		is_str(back->history[1].note, "with a note", "history note");
		doc_free(back);
		back = NULL;
	}

	/* the private record keeps the spool's bookkeeping */
	d->folder = SF_OUTBOX;
	d->move_to = SF_ACCEPTED;
	doc_set(&d->owner, "4F7KQ2B9X3LMZ99");
	doc_set(&d->move_file, "FACT.4F7K.xml");
	buf_reset(&a);
	receipt_format(d, RCPT_RECORD, &a);
	ok(contains(a.p,
	            "\n[spool]\nfolder = outbox\nowner = 4F7KQ2B9X3LMZ99\nmove_to = accepted\n"),
	   "record has the [spool] section");
	ok(receipt_parse(a.p, a.len, &back, &why) == 0, "parse record");
	if (back) {
		ok(back->folder == SF_OUTBOX && back->move_to == SF_ACCEPTED, "folders survive");
		is_str(back->move_file, "FACT.4F7K.xml", "move_file survives");
		is_str(back->owner, "4F7KQ2B9X3LMZ99", "owner survives");
		doc_free(back);
		back = NULL;
	}
	{
		struct doc *c = doc_dup(d);
		buf_reset(&b);
		receipt_format(c, RCPT_RECORD, &b);
		ok(a.len == b.len && memcmp(a.p, b.p, a.len) == 0, "doc_dup copies everything");
		doc_free(c);
	}

	/* torn and edited */
	ok(receipt_parse(a.p, a.len - 10, &back, &why) == -1 && contains(why, "torn"),
	   "truncated receipt detected: %s", why);
	ok(receipt_parse(a.p, a.len / 2, &back, &why) == -1, "half a receipt detected");
	a.p[40] ^= 1;
	ok(receipt_parse(a.p, a.len, &back, &why) == -1 && contains(why, "checksum mismatch"),
	   "edited receipt detected: %s", why);
	a.p[40] ^= 1;
	ok(receipt_parse("", 0, &back, &why) == -1, "empty file refused");
	free(why);
	why = NULL;

	/* JSON */
	js = receipt_json(d);
	j = json_parse(js, strlen(js), &why);
	ok(j != NULL, "JSON receipt parses: %s", why ? why : "ok");
	is_str(json_path_str(j, "queue_id", NULL), d->qid, "JSON queue_id");
	is_str(json_path_str(j, "state", NULL), "queued", "JSON state");
	is_str(json_path_str(j, "invoice_number", NULL), d->invoice_number, "JSON invoice number");
	is_str(json_path_str(j, "history.1.note", NULL), "with a note", "JSON history");
	is_int(json_len(json_get(j, "reasons")), 2, "JSON reasons");
	ok(json_get(j, "owner") == NULL, "JSON has no private keys");
	json_free(j);
	free(js);

	/* files: atomic, and a full disk leaves nothing behind */
	ok(mkdtemp(dir) != NULL, "temp dir");
	tmp = xasprintf("%s/tmp", dir);
	mkdir(tmp, 0700);
	path = xasprintf("%s/FACT.xml.receipt", dir);
#ifdef CHORUSGW_TEST_HOOKS
	setenv("CHORUSGW_FAIL_WRITE", ".receipt:1", 1);
	ok(receipt_write(tmp, path, d, 0, 0640, 0, &why) == -1 && errno == ENOSPC,
	   "disk full: write fails (%s)", why);
	ok(access(path, F_OK) == -1 && count_dir(tmp) == 0, "disk full: no file, no temp file");
	ok(receipt_write(tmp, path, d, 0, 0640, 0, &why) == 0, "space back: written");
	unsetenv("CHORUSGW_FAIL_WRITE");
#else
	skip("disk full while writing a receipt: needs ./configure --enable-test-hooks");
	ok(receipt_write(tmp, path, d, 0, 0640, 0, &why) == 0 && count_dir(tmp) == 0,
	   "written, no temp file left");
#endif
	ok(receipt_read(path, &back, &why) == 0 && strcmp(back->qid, d->qid) == 0, "read back");
	doc_free(back);
	back = NULL;
	ok(receipt_write(tmp, path, d, 0, 0640, 1, &why) == -1 && errno == EEXIST,
	   "noreplace refuses an existing receipt");
	{
		struct stat sb;
		ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640, "mode as asked");
	}
	{
		char *missing = xasprintf("%s/none", dir);
		ok(receipt_read(missing, &back, &why) == -1 && errno == ENOENT, "missing: ENOENT");
		ok(receipt_read_qid(missing, 0) == NULL, "missing: no queue id");
		free(missing);
	}
	{
		/* whose receipt is it (spool.c never removes another document's) */
		char *jpath = xasprintf("%s.json", path), *q;
		q = receipt_read_qid(path, 0);
		is_str(q, d->qid, "the INI receipt's queue id");
		free(q);
		ok(receipt_write_json(tmp, jpath, d, 0640, &why) == 0, "JSON receipt written");
		q = receipt_read_qid(jpath, 1);
		is_str(q, d->qid, "the JSON receipt's queue id");
		free(q);
		ok(receipt_read_qid(jpath, 0) == NULL, "a JSON receipt is no INI receipt");
		ok(receipt_read_qid(path, 1) == NULL, "an INI receipt is no JSON receipt");
		unlink(jpath);
		free(jpath);
	}
	unlink(path);
	rmdir(tmp);
	rmdir(dir);
	free(path);
	free(tmp);
	free(why);
	buf_free(&a);
	buf_free(&b);
	doc_free(d);
	return done_testing();
}
