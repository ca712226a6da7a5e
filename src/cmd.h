/*
 * cmd.h - the command line's shared part: exit codes, what every command is (struct
 * cmd_entry) and receives (struct cmd_ctx), and the helpers the commands, gateway.c
 * and reconcile.c share (cmd.c): loading the configuration, opening the spool with it,
 * parsing a command's options, waiting for a client's reply.
 *
 * main.c parses the global options and dispatches through the table of entries; each
 * command family lives in its own file (cmd-*.c, like tmux) and parses its own options.
 *
 * Ownership: cmd_load_conf() returns a conf the caller frees (conf_free);
 * cmd_open_spool() a spool the caller closes (spool_close). Errors: messages go to
 * stderr as one line each; functions return NULL / an exit code as they say.
 */
#ifndef CHORUSGW_CMD_H
#define CHORUSGW_CMD_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes, documented in chorusgw(8). */
#define EXIT_OK       0 /* done */
#define EXIT_RUNTIME  1 /* something failed while running (disk, spool, internal) */
#define EXIT_USAGE    2 /* bad command line */
#define EXIT_CONFIG   3 /* bad configuration (or spool set-up) */
#define EXIT_REJECTED 4 /* once: some documents rejected; validate: cannot be sent */
#define EXIT_SETUP    5 /* Chorus Pro unreachable or refusing our set-up */
#define EXIT_PENDING  6 /* once: some documents still waiting when the bound ran out */

struct conf;
struct option;
struct spool;
struct cmd_ctx;

/* A command: runs with its own argv (argv[0] is its name), returns an exit code. */
typedef int cmd_fn(const struct cmd_ctx *, int argc, char **argv);

struct cmd_entry {
	const char *name;
	cmd_fn *fn;
	const char *args;    /* operands and options, for the usage line */
	const char *summary; /* one line, for `chorusgw --help` */
	const char *help;    /* options, one per line, for `chorusgw help COMMAND` */
};

/* What main.c hands every command: the config path and the verbosity. The command
 * loads the config with the needs it has (conf_load flags). */
struct cmd_ctx {
	const char *conf_path;
	int verbose;
	const char *name;              /* the command's name, for messages */
	const struct cmd_entry *entry; /* the command itself, for its usage */
};

/* The commands, by file. main.c lists them in `chorusgw --help` order. */
extern const struct cmd_entry cmd_run_entry, cmd_once_entry;           /* cmd-run.c */
extern const struct cmd_entry cmd_reconcile_entry;                     /* cmd-run.c */
extern const struct cmd_entry cmd_test_connection_entry;               /* cmd-test-connection.c */
extern const struct cmd_entry cmd_lookup_entry;                        /* cmd-lookup.c */
extern const struct cmd_entry cmd_check_config_entry;                  /* cmd-check-config.c */
extern const struct cmd_entry cmd_transform_entry, cmd_validate_entry; /* cmd-file.c */
extern const struct cmd_entry cmd_rules_entry;                         /* cmd-rules.c */
extern const struct cmd_entry cmd_queue_entry, cmd_retry_entry;        /* cmd-queue.c */
extern const struct cmd_entry cmd_hold_entry, cmd_release_entry;       /* cmd-queue.c */
extern const struct cmd_entry cmd_reload_entry;                        /* cmd-reload.c */
extern const struct cmd_entry cmd_complete_entry, cmd_recycle_entry;   /* cmd-lifecycle.c */

/* Load the config for a command; prints every problem on stderr and returns NULL
 * when it is unusable. Also (re)starts logging as configured (`daemon`: the log
 * target "auto" may be syslog; otherwise a one-shot command keeps stderr). */
struct conf *cmd_load_conf(const struct cmd_ctx *, unsigned conf_flags, int daemon);

/* Open the spool of `c` with the settings of `c` ([spool] file_mode, json_receipts,
 * max_size): the one place that turns the configuration into spool settings.
 * `spool_flags` as spool_open(). NULL with *why (caller frees). */
struct spool *cmd_open_spool(const struct conf *c, unsigned spool_flags, char **why);

/* "usage: chorusgw [-c FILE] NAME ARGS" and the command's help, on f. */
void cmd_usage(FILE *f, const struct cmd_entry *);

/* Parse a command's options: only --help (and those in `extra`, at most 6) are known.
 * Returns the index of the first operand, or -1 after printing a usage error, or -2
 * after printing the command's help. `seen` receives the option letters met. */
int cmd_parse_opts(const struct cmd_ctx *, int argc, char **argv, const struct option *extra,
                   const char *shortopts, char *seen, size_t seenlen);
/* The argument of option `letter` (one that takes one) in the last cmd_parse_opts(),
 * or NULL when it was not given. Borrowed from argv. */
const char *cmd_opt_arg(int letter);

/* In a command function: parse the options into `seen` (a char array) and return
 * the exit code at once for --help or a usage error; declares `first`, the index of
 * the first operand. */
#define CMD_OPTS_OR_RETURN(ctx, argc, argv, extra, shortopts, seen)                        \
	int first = cmd_parse_opts(ctx, argc, argv, extra, shortopts, seen, sizeof(seen)); \
	if (first == -2)                                                                   \
		return EXIT_OK;                                                            \
	if (first < 0)                                                                     \
	return EXIT_USAGE

/* -1 after a usage error when there are operands from `first` on, else 0. */
int cmd_no_operands(const struct cmd_ctx *, int argc, int first);

/* The command line of a command that takes no option but --help and no operand: -1
 * when it is to run, else the exit code to return (after its help or a usage error). */
int cmd_takes_nothing(const struct cmd_ctx *, int argc, char **argv);

/* What a one-shot command waits for: the reply an asynchronous client (chorus.c, pa.c)
 * hands its callback, which sets `reply` and `done`. */
struct cmd_wait {
	int done;
	void *reply;
};

/* Run the event loop until w->done: the reply (the caller frees it), or NULL after
 * "chorusgw: NAME: why" on stderr when the loop failed. */
void *cmd_wait(const char *name, struct cmd_wait *w);

#endif
