/*
 * cmd.h - exit codes and the signature every command implements. main.c parses the
 * global options and dispatches; each command parses its own options.
 */
#ifndef CHORUSGW_CMD_H
#define CHORUSGW_CMD_H

/* Exit codes, documented in chorusgw(8). */
#define EXIT_OK       0 /* done */
#define EXIT_RUNTIME  1 /* something failed while running (disk, spool, internal) */
#define EXIT_USAGE    2 /* bad command line */
#define EXIT_CONFIG   3 /* bad configuration (or spool set-up) */
#define EXIT_REJECTED 4 /* once: some documents rejected; validate: cannot be sent */
#define EXIT_SETUP    5 /* Chorus Pro unreachable or refusing our set-up */
#define EXIT_PENDING  6 /* once: some documents still waiting when the bound ran out */

struct conf;

/* What main.c hands every command: the config path and the verbosity. The command
 * loads the config with the needs it has (conf_load flags). */
struct cmd_ctx {
	const char *conf_path;
	int verbose;
	const char *name; /* the command's name, for messages */
};

/* Load the config for a command; prints every problem on stderr and returns NULL
 * when it is unusable. Also (re)starts logging as configured. */
struct conf *cmd_load_conf(const struct cmd_ctx *, unsigned conf_flags, int daemon);

#endif
