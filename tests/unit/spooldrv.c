/*
 * spooldrv.c - drives the spool engine the way the gateway will, for the end-to-end
 * tests (tests/e2e/spool-*.sh), before the gateway exists. Not installed.
 *
 *   spooldrv DIR init
 *   spooldrv DIR run [--stage queued|accepted] [--settle MS] [--max-size N] [--json]
 *                    [--deposits FILE]
 *       open + recover, then claim everything in inbox/ until it is empty, taking each
 *       document through queued -> submitting -> (deposit: a line in FILE) ->
 *       deposited -> accepted. A document found in state submitting after a crash is
 *       looked up in FILE first (the unknown-outcome rule), never deposited twice.
 *       Prints "claimed QID NAME", "refused QID NAME", "deposit QID" lines.
 *   spooldrv DIR serve READYFILE
 *       own the orphans and apply operator requests until SIGTERM (a live owner).
 *   spooldrv DIR sample-receipt OUT
 *       write OUT (INI receipt of a document with every key set and awkward values),
 *       OUT.json, and OUT.expect ("key<TAB>hex of the exact value" per line).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "fileio.h"
#include "log.h"
#include "receipt.h"
#include "sha256.h"
#include "spool.h"
#include "util.h"
#include "watch.h"

static struct spool *sp;
static const char *stage = "accepted";
static const char *deposits;

static void NORETURN
die(const char *what, char *why)
{
	fprintf(stderr, "spooldrv: %s: %s\n", what, why ? why : "failed");
	exit(1);
}

/* Was this document deposited already? (stands for rechercher/fournisseur) */
static int
deposited_before(const char *qid)
{
	struct buf b;
	int hit = 0;
	buf_init(&b);
	if (deposits && read_file(deposits, 64 * 1024 * 1024, 0, &b, NULL) == 0) {
		char *pat = xasprintf("deposit %s\n", qid);
		hit = strstr(b.p, pat) != NULL;
		free(pat);
	}
	buf_free(&b);
	return hit;
}

static void
deposit(const char *qid)
{
	char *line = xasprintf("deposit %s\n", qid);
	int fd = deposits ? open(deposits, O_WRONLY | O_CREAT | O_APPEND, 0644) : -2;
	if (fd == -1 || (fd >= 0 && (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	                             fsync(fd) == -1)))
		die("deposit log", xstrdup(strerror(errno)));
	if (fd >= 0)
		close(fd);
	free(line);
	printf("deposit %s\n", qid);
}

/* Take a document as far as --stage says. */
static void
advance(struct doc *d)
{
	char *why = NULL;
	for (;;) {
		struct buf b;
		char hex[65], *x;
		switch (d->state) {
		case DOC_RECEIVED:
			buf_init(&b);
			if (spool_read_original(sp, d, 1024 * 1024, &b, &why) == -1)
				die(d->qid, why);
			x = xasprintf("<chorus>%s</chorus>\n", b.p);
			buf_free(&b);
			doc_set(&d->syntax, "ubl");
			doc_set_state(d, DOC_QUEUED, NULL);
			if (spool_move(sp, d, SF_OUTBOX, x, strlen(x), &why) == -1)
				die(d->qid, why);
			free(x);
			if (strcmp(stage, "queued") == 0)
				return;
			break;
		case DOC_QUEUED:
			if (strcmp(stage, "queued") == 0)
				return;
			x = spool_xml_path(sp, d);
			buf_init(&b);
			if (x == NULL || read_file(x, 2 * 1024 * 1024, 1, &b, &why) == -1)
				die(d->qid, why);
			sha256_hex(b.p, b.len, hex);
			buf_free(&b);
			free(x);
			doc_set(&d->payload_sha256, hex);
			d->attempts++;
			doc_set_state(d, DOC_SUBMITTING, NULL);
			if (spool_save(sp, d, &why) == -1)
				die(d->qid, why);
			break;
		case DOC_SUBMITTING:
			if (!deposited_before(d->qid))
				deposit(d->qid);
			x = xasprintf("FLUX-%s", d->qid);
			doc_set(&d->numero_flux_depot, x);
			free(x);
			d->deposit_date = time(NULL);
			doc_set_state(d, DOC_DEPOSITED, NULL);
			if (spool_save(sp, d, &why) == -1)
				die(d->qid, why);
			break;
		case DOC_DEPOSITED:
			doc_set(&d->deposit_report_state, "IN_INTEGRE");
			doc_set_state(d, DOC_ACCEPTED, NULL);
			if (spool_move(sp, d, SF_ACCEPTED, NULL, 0, &why) == -1)
				die(d->qid, why);
			break;
		default:
			return;
		}
	}
}

static int
on_cand(void *arg, const struct watch_cand *c)
{
	struct doc *d = NULL;
	char *why = NULL;
	int r = spool_claim(sp, c->name, &c->st, NULL, &d, &why);
	(void)arg;
	if (r == -1)
		die(c->name, why);
	if (r == SPOOL_CLAIMED) {
		printf("claimed %s %s\n", d->qid, c->name);
		advance(d);
	} else if (r == SPOOL_REFUSED)
		printf("refused %s %s\n", d->qid, c->name);
	fflush(stdout);
	doc_free(d);
	return 0;
}

static size_t
inbox_waiting(const struct watch_cfg *cfg)
{
	DIR *dir = opendir(spool_inbox(sp));
	struct dirent *de;
	size_t n = 0;
	while (dir && (de = readdir(dir)) != NULL)
		if (!watch_ignored(cfg, de->d_name))
			n++;
	if (dir)
		closedir(dir);
	return n;
}

static int
cmd_run(const char *dir, int argc, char **argv)
{
	struct spool_cfg scfg = {0640, 0, 10 * 1024 * 1024};
	struct watch_cfg wcfg;
	struct watch *w;
	struct spool_iter *it;
	struct doc *d;
	char *why = NULL;
	int i, adopted = 0;

	memset(&wcfg, 0, sizeof(wcfg));
	wcfg.rescan_ms = 100;
	wcfg.scan_batch = 50;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc)
			stage = argv[++i];
		else if (strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
			wcfg.settle_ms = atoll(argv[++i]);
		else if (strcmp(argv[i], "--max-size") == 0 && i + 1 < argc)
			scfg.max_size = atoll(argv[++i]);
		else if (strcmp(argv[i], "--deposits") == 0 && i + 1 < argc)
			deposits = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			scfg.json_receipts = 1;
		else
			die("usage", xasprintf("unknown option %s", argv[i]));
	}
	sp = spool_open(dir, &scfg, 0, &why);
	if (sp == NULL)
		die("open", why);
	if (spool_recover(sp, &adopted, &why) == -1)
		die("recover", why);
	if (adopted)
		printf("adopted %d\n", adopted);
	it = spool_iter_open(sp, SPOOL_ITER_ACTIVE | SPOOL_ITER_MINE | SPOOL_ITER_PENDING, &why);
	if (it == NULL)
		die("iterate", why);
	while ((i = spool_iter_next(it, &d, &why)) == 1) {
		advance(d);
		doc_free(d);
	}
	spool_iter_close(it);
	if (i == -1)
		die("iterate", why);
	if (ev_init(&why) == -1)
		die("ev", why);
	w = watch_new(spool_inbox(sp), &wcfg, on_cand, NULL, &why);
	if (w == NULL)
		die("watch", why);
	while (inbox_waiting(&wcfg) > 0)
		if (ev_run_once(100, &why) == -1)
			die("loop", why);
	watch_free(w);
	spool_close(sp);
	ev_fini();
	return 0;
}

static void
on_term(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	ev_break();
}

static void
on_ctl(int fd, unsigned events, void *arg)
{
	char *why = NULL;
	(void)fd;
	(void)events;
	(void)arg;
	if (spool_ctl_poll(sp, NULL, NULL, &why) == -1)
		die("ctl", why);
}

static int
cmd_serve(const char *dir, const char *ready)
{
	char *why = NULL;
	int adopted = 0, fd;
	sp = spool_open(dir, NULL, 0, &why);
	if (sp == NULL || spool_recover(sp, &adopted, &why) == -1)
		die("open", why);
	if (ev_init(&why) == -1 || ev_signal(SIGTERM, on_term, NULL) == -1)
		die("ev", why);
	fd = spool_ctl_fd(sp);
	if (fd == -1 || ev_fd_add(fd, EV_READ, on_ctl, NULL) == -1)
		die("ctl fd", xstrdup(strerror(errno)));
	if (write_file_atomic(NULL, ready, "ready\n", 6, 0644, 0, &why) == -1)
		die("ready", why);
	ev_run(NULL);
	spool_close(sp);
	ev_fini();
	return 0;
}

static void
expect(FILE *f, const char *key, const char *value)
{
	const unsigned char *p;
	fprintf(f, "%s\t", key);
	for (p = (const unsigned char *)value; *p; p++)
		fprintf(f, "%02x", *p);
	fprintf(f, "\n");
}

static int
cmd_sample(const char *out)
{
	struct doc *d = doc_new();
	char *why = NULL, *p;
	FILE *f;
	spool_make_qid(d->qid, 4242);
	doc_set(&d->original_name, " FACT;2026#1 \"quoted\" = 'x' \\ été\ttab\n.xml ");
	doc_set(&d->file, "FACT;2026#1.xml");
	doc_set(&d->chorus_xml, "FACT;2026#1.ubl.xml");
	d->size = 4096;
	doc_set(&d->supplier_siret, "73282932000074");
	doc_set(&d->buyer_siret, "11000201100044");
	doc_set(&d->invoice_number, "F-2026/001 ; #7 %(x)s");
	doc_set(&d->syntax, "ubl");
	doc_set(&d->numero_flux_depot, "CPP00012345678");
	d->deposit_date = 1795000000;
	doc_set(&d->deposit_report_state, "IN_INTEGRE");
	doc_set(&d->chorus_invoice_id, "9876543");
	doc_set(&d->chorus_status, "MISE_A_DISPOSITION");
	d->chorus_status_date = 1795000100;
	doc_set(&d->chorus_status_comment, "[not a section] key = value");
	doc_set(&d->supplier_siren, "732829320");
	doc_set(&d->supplier_id, "DE129273398");
	doc_set(&d->supplier_id_type, "UE_HORS_FRANCE");
	doc_set(&d->buyer_siren, "110002011");
	doc_set(&d->route, "pa");
	doc_set(&d->pa_flow_id, "PAE-20261204-0a1b2c3d4e5f");
	doc_set(&d->pa_tracking_id, d->qid);
	doc_set(&d->pa_ack, "Ok");
	doc_set(&d->pa_processing_rule, "B2G");
	doc_set(&d->status_code, "207");
	doc_set(&d->status_label, "En litige");
	d->status_date = 1795000150;
	doc_set(&d->status_reason, "QTE_ERR: wrong quantity (\"livré 3, facturé 4\")");
	d->action_required = 1;
	doc_set(&d->action, "corriger le SIRET de l'acheteur");
	d->held = 1;
	d->force = 1;
	doc_set(&d->duplicate_of, d->qid);
	doc_set(&d->payload_sha256,
	        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	d->attempts = 2;
	d->next_attempt = 1795000200;
	d->received = 1794999000;
	doc_add_reason(d, "Le code service ABC est inconnu pour le SIRET 11000201100044; # ok");
	doc_add_reason(d, "second line\nand a third \x01");
	doc_set_state(d, DOC_RECEIVED, NULL);
	doc_set_state(d, DOC_REJECTED, "with a note; really");
	d->updated = 1795000300;
	d->folder = SF_REJECTED;
	if (receipt_write(NULL, out, d, 0, 0644, 0, &why) == -1 ||
	    receipt_write_json(NULL, (p = xasprintf("%s.json", out)), d, 0644, &why) == -1)
		die(out, why);
	free(p);
	p = xasprintf("%s.expect", out);
	f = fopen(p, "w");
	if (f == NULL)
		die(p, xstrdup(strerror(errno)));
	expect(f, "queue_id", d->qid);
	expect(f, "original_name", d->original_name);
	expect(f, "file", d->file);
	expect(f, "invoice_number", d->invoice_number);
	expect(f, "chorus_status_comment", d->chorus_status_comment);
	expect(f, "status_reason", d->status_reason);
	expect(f, "route", d->route);
	expect(f, "action", d->action);
	expect(f, "reason.1", d->reasons[0]);
	expect(f, "reason.2", d->reasons[1]);
	expect(f, "state", "rejected");
	expect(f, "held", "yes");
	fclose(f);
	free(p);
	doc_free(d);
	return 0;
}

int
main(int argc, char **argv)
{
	char *why = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("spooldrv", LOG_TARGET_STDERR,
	         getenv("SPOOLDRV_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: spooldrv DIR init|run|serve|sample-receipt ...\n");
		return 2;
	}
	if (strcmp(argv[2], "init") == 0) {
		if (spool_init(argv[1], &why) == -1)
			die("init", why);
		return 0;
	}
	if (strcmp(argv[2], "run") == 0)
		return cmd_run(argv[1], argc - 3, argv + 3);
	if (strcmp(argv[2], "serve") == 0 && argc == 4)
		return cmd_serve(argv[1], argv[3]);
	if (strcmp(argv[2], "sample-receipt") == 0 && argc == 4)
		return cmd_sample(argv[3]);
	fprintf(stderr, "spooldrv: unknown command %s\n", argv[2]);
	return 2;
}
