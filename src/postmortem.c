/*
 * postmortem.c - what the daemon leaves behind when it crashes (postmortem.h): the
 * document it was working on at that instant, noted in the spool (spool_crash_note)
 * from the handler of the fatal signal, so that whoever adopts its documents counts
 * that death in the document's record; then the process dies of the signal as it
 * would have (core dump, exit status, systemd's restart).
 *
 * Only a crash is noted: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT (abort(), a failed
 * allocation in xmalloc). A SIGKILL (a person, systemd's stop timeout, the OOM
 * killer) or a stop cannot be told from outside causes: it notes nothing, so that a
 * document being worked on when the daemon is killed is not blamed for it.
 *
 * Errors: none reported: a note that cannot be written is a death not counted.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "postmortem.h"
#include "receipt.h"
#include "spool.h"
#include "util.h"

static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static struct spool *watched;
static char current[QID_MAX];
static volatile sig_atomic_t working; /* `current` holds a queue id */
/* a stack overflow's SIGSEGV needs a stack of its own for the handler */
static char altstack[64 * 1024];

static void
on_fatal(int sig)
{
	if (working && watched)
		spool_crash_note(watched, current);
	/* SA_RESETHAND put the default action back: die of `sig` once we return */
	signal(sig, SIG_DFL);
	raise(sig);
}

void
postmortem_watch(struct spool *sp)
{
	struct sigaction sa;
	stack_t st;
	size_t i;

	watched = sp;
	working = 0;
	memset(&st, 0, sizeof(st));
	st.ss_sp = altstack;
	st.ss_size = sizeof(altstack);
	sigaltstack(&st, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nitems(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
}

void
postmortem_doc(const char *qid)
{
	working = 0;
	if (qid == NULL)
		return;
	strncpy(current, qid, sizeof(current) - 1);
	current[sizeof(current) - 1] = '\0';
	working = 1;
}

void
postmortem_unwatch(void)
{
	size_t i;
	working = 0;
	watched = NULL;
	for (i = 0; i < nitems(fatal); i++)
		signal(fatal[i], SIG_DFL);
}
