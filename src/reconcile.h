/*
 * reconcile.h - `chorusgw reconcile`: refresh the Chorus Pro status of accepted
 * documents that are not final.
 */
#ifndef CHORUSGW_RECONCILE_H
#define CHORUSGW_RECONCILE_H

struct cmd_ctx;

/* Returns an exit code (cmd.h). */
int reconcile_main(const struct cmd_ctx *);

#endif
