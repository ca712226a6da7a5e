/*
 * follow.h - the statuses of sent documents, whatever their route: a status event
 * (transport.h's struct tp_event) in its stored form (the spool's event store, read back
 * by whichever process may change the document), and what one does to a document's
 * record: a history line with the French label, date and reason, the common status
 * fields of the receipt, action_required, and the final state.
 *
 * Ownership: follow_event_text() returns a string the caller frees; a parsed event is
 * released with tp_event_clear(). Errors: 0 / -1 as each function says.
 */
#ifndef CHORUSGW_FOLLOW_H
#define CHORUSGW_FOLLOW_H

#include "transport.h"

struct doc;
struct spool;

/* The stored form of an event (one JSON object). */
char *follow_event_text(const struct tp_event *);
/* Read it back; -1 when it is not one. */
int follow_event_parse(const char *text, struct tp_event *out);

/*
 * Apply `e` to `d`: 0 when it was applied already (its id is in the history), else 1,
 * with the history line, the status fields, action_required and, when the event ends
 * the document's life (TP_ACCEPTED, TP_REJECTED), its new state and reasons: the caller
 * then moves it to accepted/ or rejected/ (spool_move), else saves it (spool_save).
 */
int follow_apply(struct doc *d, const struct tp_event *e);

/* The log line of an event applied to the document `qid` (file `name`). */
void follow_log(const char *qid, const char *name, const struct tp_event *e);

/* What applying stored events did (follow_sweep adds to it). */
struct follow_counts {
	int applied, accepted, rejected, kept;
};

/*
 * Store the events of one page of a route's feed for their documents (the spool's
 * reference index names them; an event for an invoice chorusgw did not send is
 * dropped), each durably, in order. 0 when every event is stored (the caller may then
 * move the feed's position: tp_events_done()), -1 with *why when one could not be.
 */
int follow_store(struct spool *, const struct tp_reply *events_page, char **why);

/*
 * Apply the stored events this process may apply: `in_memory(arg, qid, e)` first
 * (a process that holds documents in memory: returns 1 applied, 0 keep for later, -1 not
 * held), else on the record under the spool's admin lock when this process owns the
 * document or no live process does (spool_with_doc): saved, or moved to accepted/ or
 * rejected/ (its invoice number released for a reusable rejection). Events for a
 * document another live process owns are left to it. 0 / -1 with *why.
 */
typedef int follow_mem_cb(void *arg, const char *qid, const struct tp_event *);
int follow_sweep(struct spool *, follow_mem_cb *in_memory, void *arg, struct follow_counts *,
                 char **why);

#endif
