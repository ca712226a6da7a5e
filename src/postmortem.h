/*
 * postmortem.h - a crash of the daemon while it works on a document counts against
 * that document: the fatal signal's handler notes its queue id in the spool
 * (spool_crash_note), the process that adopts the dead one's documents adds one to
 * the document's `crashes`, and the gateway holds a document at [gateway] crash_limit
 * so that one document cannot keep the daemon crashing (and restarting) for ever.
 */
#ifndef CHORUSGW_POSTMORTEM_H
#define CHORUSGW_POSTMORTEM_H

struct spool;

/* Install the handlers of the fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT) for this process, noting in `sp` (kept, not copied: until
 * postmortem_unwatch()). A forked process resets them (worker.c). */
void postmortem_watch(struct spool *sp);

/* The document the daemon works on from now (its queue id, copied), or NULL: none.
 * Set only around the daemon's own steps for that document, so that a crash elsewhere
 * is nobody's. */
void postmortem_doc(const char *qid);

/* Default handlers again; nothing noted from now. */
void postmortem_unwatch(void);

#endif
