/*
 * gateway.h - `chorusgw run` and `chorusgw once`: the one place that knows the order
 * of a document's life (watch -> spool claim -> pre-flight -> outbox -> deposit ->
 * deposit report -> accepted/ or rejected/).
 */
#ifndef CHORUSGW_GATEWAY_H
#define CHORUSGW_GATEWAY_H

struct cmd_ctx;

/* Run the daemon (once == 0) or one pass (once == 1). Returns an exit code (cmd.h). */
int gateway_main(const struct cmd_ctx *, int once);

#endif
