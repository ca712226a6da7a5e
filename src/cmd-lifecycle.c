/*
 * cmd-lifecycle.c - `chorusgw complete` and `chorusgw recycle`: act on an invoice
 * Chorus Pro holds for the supplier, by the queue id of its document. complete sends
 * the missing documents and a comment to a SUSPENDUE or A_COMPLETER invoice
 * (completerFacture, after ajouterFichierDansSysteme for each file); recycle sends an
 * A_RECYCLER invoice to the right buyer or service (recyclerFacture). Both read the
 * invoice's status first, record what they did in the receipt (its history, the new
 * status, action_required cleared), and are idempotent: done once, a second run says
 * so and changes nothing. They take the spool's reconcile lock: reconcile rewrites the
 * same receipts.
 *
 * Errors: one line on stderr each; exit 0 (done, or done before), 2 (usage), 3
 * (configuration), 4 (the invoice's status does not allow it), 5 (Chorus Pro refused
 * or the set-up is wrong), 1 (spool, event loop).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chorus.h"
#include "cmd.h"
#include "conf.h"
#include "ev.h"
#include "fileio.h"
#include "receipt.h"
#include "spool.h"
#include "util.h"

/* The notes the receipt's history keeps: how a second run knows it was done. */
#define NOTE_COMPLETED "completed with chorusgw complete"
#define NOTE_RECYCLED  "recycled with chorusgw recycle"

struct lc {
	const struct cmd_ctx *ctx;
	struct conf *c;
	struct spool *sp;
	struct chorus *ch;
	struct doc *d;
	int64_t invoice_id;
	int lock;
};

static void
lc_done(struct chorus_reply *p, void *arg)
{
	struct cmd_wait *w = arg;
	w->reply = p;
	w->done = 1;
}

/* A failed Chorus Pro answer as a line on stderr; the exit code: 4 when Chorus Pro
 * refused what was asked, 5 for the set-up or the network. */
static int
refused(const struct lc *l, const char *what, const struct chorus_reply *p)
{
	if (p == NULL)
		return EXIT_RUNTIME;
	fprintf(stderr, "chorusgw: %s: %s: %s%s%s\n", l->ctx->name, what,
	        p->r.reason ? p->r.reason : chorus_class_name(p->r.cls),
	        p->r.setup || p->r.advice ? "; " : "",
	        p->r.setup    ? p->r.setup
	        : p->r.advice ? p->r.advice
	                      : "");
	return p->r.cls == CHORUS_DOCUMENT ? EXIT_REJECTED : EXIT_SETUP;
}

/* Wait for the operation started with `w`: its reply when Chorus Pro did it (the caller
 * frees it), else NULL with *code set after a message naming `what`. */
static struct chorus_reply *
lc_result(const struct lc *l, struct cmd_wait *w, const char *what, int *code)
{
	struct chorus_reply *p = cmd_wait(l->ctx->name, w);
	if (p == NULL || p->r.cls != CHORUS_OK) {
		*code = refused(l, what, p);
		chorus_reply_free(p);
		return NULL;
	}
	return p;
}

/* The options of complete and recycle, before or after the queue id (the usage
 * chorusgw(8) and reconcile's advice give: ID first): each one met goes to
 * take(letter, its argument, arg). The index of the first operand, or -1 after a
 * usage error, -2 after --help. */
static int
lc_opts(const struct cmd_ctx *ctx, int argc, char **argv, const struct option *opts,
        void (*take)(int, const char *, void *), void *arg)
{
	int ch;
	optind = 0; /* glibc: start afresh, permuting (main.c's parse stopped at the first
	               operand and that mode would stay with optind = 1) */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			cmd_usage(stdout, ctx->entry);
			return -2;
		}
		if (ch == '?') {
			fprintf(stderr, "chorusgw: %s: unknown option or missing argument: %s\n",
			        ctx->name, argv[optind - 1]);
			cmd_usage(stderr, ctx->entry);
			return -1;
		}
		take(ch, optarg, arg);
	}
	return optind;
}

/* Does the receipt's history hold `note`? */
static int
history_has(const struct doc *d, const char *note)
{
	size_t i;
	for (i = 0; i < d->nhistory; i++)
		if (d->history[i].note && strstr(d->history[i].note, note))
			return 1;
	return 0;
}

static void
lc_close(struct lc *l)
{
	chorus_free(l->ch);
	doc_free(l->d);
	spool_unlock_command(l->lock);
	if (l->sp)
		spool_close(l->sp);
	ev_fini();
	conf_free(l->c);
}

/* Open everything for document `qid`: -1 with the exit code in *code. */
static int
lc_open(struct lc *l, const char *qid, int *code)
{
	char *why = NULL, *cache;
	l->lock = -1;
	l->c = cmd_load_conf(l->ctx, CONF_NEED_ALL, 0);
	if (l->c == NULL) {
		*code = EXIT_CONFIG;
		return -1;
	}
	*code = EXIT_RUNTIME;
	if (ev_init(&why) == -1 || (l->sp = cmd_open_spool(l->c, SPOOL_ADMIN, &why)) == NULL ||
	    (l->lock = spool_lock_command(l->sp, "reconcile", &why)) == -1)
		goto fail;
	if (spool_load(l->sp, qid, &l->d, &why) == -1) {
		*code = EXIT_USAGE;
		goto fail;
	}
	if (l->d->chorus_invoice_id == NULL ||
	    parse_int64(l->d->chorus_invoice_id, &l->invoice_id) == -1) {
		fprintf(stderr,
		        "chorusgw: %s: document %s has no Chorus Pro invoice id yet (state %s): "
		        "run chorusgw reconcile first\n",
		        l->ctx->name, qid, doc_state_name(l->d->state));
		*code = EXIT_REJECTED;
		return -1;
	}
	cache = xasprintf("%s/.chorusgw/cache", spool_root(l->sp));
	if (mkdir_p(cache, 0700, &why) == 0)
		l->ch = chorus_new(l->c, cache, &why);
	free(cache);
	if (l->ch == NULL)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "chorusgw: %s: %s\n", l->ctx->name, why ? why : "failed");
	free(why);
	return -1;
}

/* The invoice's status now (consulter/historique); NULL after a message. Caller frees. */
static char *
current_status(struct lc *l, int *code)
{
	struct cmd_wait w;
	struct chorus_reply *p;
	char *s = NULL;
	memset(&w, 0, sizeof(w));
	chorus_history(l->ch, doc_supplier_section(l->d), l->invoice_id, lc_done, &w);
	p = cmd_wait(l->ctx->name, &w);
	if (p && p->r.cls == CHORUS_OK && p->history.current)
		s = xstrdup(p->history.current);
	else
		*code = refused(l, "reading the invoice's status", p);
	chorus_reply_free(p);
	return s;
}

/* What a command may do, by the invoice's status. */
struct lc_gate {
	const char *allowed[2]; /* the statuses it acts on (NULL: none more) */
	const char *done;       /* a status that says it was done (may be NULL) */
	const char *note;       /* the history note it leaves */
	const char *verb;       /* "completed" */
	const char *need;       /* "a SUSPENDUE or A_COMPLETER invoice" */
};

/* Open document `qid` and read its invoice's status: 1 when `gate` lets the command act;
 * else 0 with *code (0: done before, said on stdout; or a message on stderr). */
static int
lc_begin(struct lc *l, const char *qid, const struct lc_gate *gate, int *code)
{
	char *status;
	size_t i;
	if (lc_open(l, qid, code) == -1 || (status = current_status(l, code)) == NULL)
		return 0;
	for (i = 0; i < nitems(gate->allowed); i++)
		if (gate->allowed[i] && strcmp(status, gate->allowed[i]) == 0) {
			free(status);
			return 1;
		}
	if ((gate->done && strcmp(status, gate->done) == 0) || history_has(l->d, gate->note)) {
		printf("%s: invoice %s was already %s (now %s): nothing done\n", l->d->qid,
		       l->d->invoice_number, gate->verb, status);
		*code = EXIT_OK;
	} else {
		fprintf(stderr, "chorusgw: %s: invoice %s is %s: only %s can be %s\n", l->ctx->name,
		        l->d->invoice_number, status, gate->need, gate->verb);
		*code = EXIT_REJECTED;
	}
	free(status);
	return 0;
}

/* Record what was done: the history note, the status, no action required any more. */
static int
record(struct lc *l, const char *status, const char *note)
{
	char *why = NULL;
	doc_set(&l->d->chorus_status, status);
	l->d->chorus_status_date = time(NULL);
	doc_set(&l->d->chorus_status_comment, NULL);
	l->d->action_required = 0;
	doc_set(&l->d->action, NULL);
	doc_note(l->d, "%s", note);
	if (spool_save(l->sp, l->d, &why) == -1) {
		fprintf(stderr,
		        "chorusgw: %s: Chorus Pro took it, but the receipt cannot be written: %s\n",
		        l->ctx->name, why);
		free(why);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

struct complete_args {
	const char *comment, **files; /* borrowed from argv */
	size_t nfiles;
};

static void
complete_opt(int ch, const char *optarg_, void *arg)
{
	struct complete_args *a = arg;
	if (ch == 'a') {
		a->files = xreallocarray(a->files, a->nfiles + 1, sizeof(*a->files));
		a->files[a->nfiles++] = optarg_;
	} else if (ch == 'm')
		a->comment = optarg_;
}

static int
cmd_complete(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"attach", required_argument, NULL, 'a'},
	                                     {"comment", required_argument, NULL, 'm'},
	                                     {0}};
	struct complete_args a;
	struct buf *data = NULL, note;
	size_t i;
	int64_t *ids = NULL;
	const char **names = NULL;
	struct lc l;
	static const struct lc_gate gate = {{"SUSPENDUE", "A_COMPLETER"},
	                                    "COMPLETEE",
	                                    NOTE_COMPLETED,
	                                    "completed",
	                                    "a SUSPENDUE or A_COMPLETER invoice"};
	char *why = NULL;
	int first, code = EXIT_USAGE;

	memset(&a, 0, sizeof(a));
	memset(&l, 0, sizeof(l));
	l.lock = -1;
	first = lc_opts(ctx, argc, argv, opts, complete_opt, &a);
	if (first == -2) {
		code = EXIT_OK;
		goto out_args;
	}
	if (first == -1)
		goto out_args;
	if (argc - first != 1 || (a.nfiles == 0 && a.comment == NULL)) {
		fprintf(stderr, "chorusgw: complete: needs one queue id, and --attach FILE or "
		                "--comment TEXT\n");
		cmd_usage(stderr, ctx->entry);
		goto out_args;
	}
	/* every file read before anything is asked of Chorus Pro: a missing or too large
	 * one stops the command with nothing done */
	data = xcalloc(a.nfiles + 1, sizeof(*data));
	names = xcalloc(a.nfiles + 1, sizeof(*names));
	for (i = 0; i < a.nfiles; i++) {
		const char *base = strrchr(a.files[i], '/');
		names[i] = base ? base + 1 : a.files[i];
		buf_init(&data[i]);
		if (read_file(a.files[i], CHORUS_MAX_FILE, 0, &data[i], &why) == -1) {
			fprintf(stderr,
			        "chorusgw: complete: %s (Chorus Pro takes 10 MB per file)\n", why);
			free(why);
			goto out_args;
		}
	}
	l.ctx = ctx;
	if (!lc_begin(&l, argv[first], &gate, &code))
		goto out;
	ids = xcalloc(a.nfiles + 1, sizeof(*ids));
	for (i = 0; i < a.nfiles; i++) {
		struct cmd_wait w;
		struct chorus_reply *p;
		memset(&w, 0, sizeof(w));
		chorus_attach(l.ch, doc_supplier_section(l.d), names[i], data[i].p, data[i].len,
		              lc_done, &w);
		if ((p = lc_result(&l, &w, names[i], &code)) == NULL)
			goto out;
		ids[i] = p->attachment_id;
		chorus_reply_free(p);
	}
	{
		struct cmd_wait w;
		struct chorus_reply *p;
		memset(&w, 0, sizeof(w));
		chorus_complete(l.ch, doc_supplier_section(l.d), l.invoice_id, a.comment, ids,
		                names, a.nfiles, lc_done, &w);
		if ((p = lc_result(&l, &w, "completerFacture", &code)) == NULL)
			goto out;
		chorus_reply_free(p);
	}
	buf_init(&note);
	buf_printf(&note, "%s%s%s", NOTE_COMPLETED, a.comment ? ": " : "",
	           a.comment ? a.comment : "");
	for (i = 0; i < a.nfiles; i++)
		buf_printf(&note, "%s%s", i ? ", " : "; attached ", names[i]);
	code = record(&l, "COMPLETEE", note.p);
	if (code == EXIT_OK)
		printf("%s: invoice %s completed%s%zu attachment(s)\n", l.d->qid,
		       l.d->invoice_number, a.comment ? " with a comment and " : " with ",
		       a.nfiles);
	buf_free(&note);
out:
	lc_close(&l);
out_args:
	for (i = 0; data && i < a.nfiles; i++)
		buf_free(&data[i]);
	free(data);
	free(ids);
	free(names);
	free(a.files);
	return code;
}

struct recycle_args {
	const char *buyer, *service; /* borrowed from argv */
};

static void
recycle_opt(int ch, const char *optarg_, void *arg)
{
	struct recycle_args *a = arg;
	if (ch == 's')
		a->service = optarg_;
	else if (ch == 'b')
		a->buyer = optarg_;
}

static int
cmd_recycle(const struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
	                                     {"service", required_argument, NULL, 's'},
	                                     {"buyer", required_argument, NULL, 'b'},
	                                     {0}};
	struct recycle_args a;
	struct lc l;
	struct cmd_wait w;
	struct chorus_reply *p;
	static const struct lc_gate gate = {
	    {"A_RECYCLER", NULL}, NULL, NOTE_RECYCLED, "recycled", "an A_RECYCLER invoice"};
	char *note;
	int first, code = EXIT_OK;
	const char *buyer, *service;

	memset(&a, 0, sizeof(a));
	first = lc_opts(ctx, argc, argv, opts, recycle_opt, &a);
	if (first == -2)
		return EXIT_OK;
	if (first == -1)
		return EXIT_USAGE;
	buyer = a.buyer;
	service = a.service;
	if (argc - first != 1 || (service == NULL && buyer == NULL) ||
	    (buyer && !str_digits(buyer, 14))) {
		fprintf(stderr, "chorusgw: recycle: needs one queue id, and --service CODE or "
		                "--buyer SIRET (14 digits)\n");
		cmd_usage(stderr, ctx->entry);
		return EXIT_USAGE;
	}
	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	if (!lc_begin(&l, argv[first], &gate, &code))
		goto out;
	memset(&w, 0, sizeof(w));
	chorus_recycle(l.ch, doc_supplier_section(l.d), l.invoice_id,
	               buyer ? buyer : l.d->buyer_siret, service, lc_done, &w);
	if ((p = lc_result(&l, &w, "recyclerFacture", &code)) == NULL)
		goto out;
	note = xasprintf("%s to buyer %s%s%s (was %s)", NOTE_RECYCLED,
	                 buyer ? buyer : l.d->buyer_siret, service ? ", service " : "",
	                 service ? service : "", l.d->buyer_siret ? l.d->buyer_siret : "?");
	if (buyer)
		doc_set(&l.d->buyer_siret, buyer);
	code = record(&l, p->new_status ? p->new_status : "DEPOSEE", note);
	if (code == EXIT_OK)
		printf("%s: invoice %s recycled to buyer %s%s%s\n", l.d->qid, l.d->invoice_number,
		       l.d->buyer_siret, service ? ", service " : "", service ? service : "");
	free(note);
	chorus_reply_free(p);
out:
	lc_close(&l);
	return code;
}

const struct cmd_entry cmd_complete_entry = {
    "complete", cmd_complete, "ID [--attach FILE]... [--comment TEXT]",
    "complete an invoice the buyer suspended (SUSPENDUE, A_COMPLETER) in Chorus Pro",
    "  --attach FILE   a missing document, uploaded (10 MB at most); repeatable\n"
    "  --comment TEXT  the comment for the buyer\n"
    "Reads the invoice's status first; done once, a second run changes nothing.\n"};

const struct cmd_entry cmd_recycle_entry = {
    "recycle", cmd_recycle, "ID --service CODE | --buyer SIRET [--service CODE]",
    "send an invoice Chorus Pro holds as A_RECYCLER to the right buyer or service",
    "  --buyer SIRET   the right buyer (default: the invoice's)\n"
    "  --service CODE  the right service code\n"
    "Reads the invoice's status first; done once, a second run changes nothing.\n"};
