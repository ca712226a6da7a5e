/*
 * cmd-run.c - `run`, `once` and `reconcile`: the commands whose work lives in
 * gateway.c (the document state machine) and reconcile.c (the status refresh). Here
 * only their command line.
 *
 * Errors: as gateway_main() and reconcile_main(): an exit code (cmd.h).
 */
#include "config.h"

#include "cmd.h"
#include "gateway.h"
#include "reconcile.h"

static int
cmd_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = cmd_takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : gateway_main(ctx, 0);
}

static int
cmd_once(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = cmd_takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : gateway_main(ctx, 1);
}

static int
cmd_reconcile(const struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = cmd_takes_nothing(ctx, argc, argv);
	return rc >= 0 ? rc : reconcile_main(ctx);
}

const struct cmd_entry cmd_run_entry = {
    "run", cmd_run, "",
    "watch the spool, transform, deposit and follow deposit reports (the daemon)",
    "Runs in the foreground; systemd Type=notify. SIGHUP reloads the configuration\n"
    "for new work, SIGTERM stops taking files and drains what is in flight.\n"};

const struct cmd_entry cmd_once_entry = {
    "once", cmd_once, "",
    "process everything pending once, wait for deposit reports (bounded), exit",
    "Exit 0 when every document reached accepted/, 4 when some were rejected,\n"
    "6 when some were still waiting for Chorus Pro when [gateway] once_wait ran out.\n"};

const struct cmd_entry cmd_reconcile_entry = {
    "reconcile", cmd_reconcile, "", "refresh the Chorus Pro status of every document not yet final",
    ""};
