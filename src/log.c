/*
 * log.c - levels, stderr or syslog, the "QUEUEID: FILE: " prefix of document lines,
 * and redaction of every registered secret from every line.
 *
 * Logging never fails from the caller's point of view: a line that cannot be written
 * is dropped. Control characters in a line are escaped so a hostile file name cannot
 * forge log lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "chorusgw";
static enum log_level log_level = LOG_LVL_INFO;
static int log_to_syslog;
static char **secrets;
static size_t nsecrets;

static const char *level_names[] = {"error", "warning", "info", "debug"};

void
log_init(const char *ident, enum log_target target, enum log_level level, int facility)
{
	static char identbuf[64];
	snprintf(identbuf, sizeof(identbuf), "%s", ident);
	log_ident = identbuf;
	log_level = level;
	if (target == LOG_TARGET_AUTO)
		target = isatty(STDERR_FILENO) ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG;
	if (log_to_syslog)
		closelog();
	log_to_syslog = target == LOG_TARGET_SYSLOG;
	if (log_to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_set_level(enum log_level l)
{
	log_level = l;
}

void
log_secret(const char *s)
{
	size_t i;
	if (s == NULL || strlen(s) < 4)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			return;
	secrets = xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets++] = xstrdup(s);
}

void
log_secret_forget(const char *s)
{
	size_t i;
	if (s == NULL)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0) {
			free(secrets[i]);
			secrets[i] = secrets[--nsecrets];
			return;
		}
}

char *
log_redact(const char *in)
{
	struct buf b;
	const char *p = in;
	buf_init(&b);
	while (*p) {
		size_t i, hit = 0;
		for (i = 0; i < nsecrets; i++) {
			size_t n = strlen(secrets[i]);
			if (strncmp(p, secrets[i], n) == 0 && n > hit)
				hit = n;
		}
		if (hit) {
			buf_adds(&b, "********");
			p += hit;
		} else
			buf_addc(&b, *p++);
	}
	return buf_steal(&b);
}

static void
emit(enum log_level level, const char *line)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char *red = log_redact(line);
	struct buf esc;
	const unsigned char *p;

	buf_init(&esc);
	for (p = (const unsigned char *)red; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			buf_printf(&esc, "\\x%02x", *p);
		else
			buf_addc(&esc, (char)*p);
	}
	if (log_to_syslog)
		syslog(prio[level], "%s", esc.p ? esc.p : "");
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level], esc.p ? esc.p : "");
	buf_free(&esc);
	free(red);
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char *line;
	if (level > log_level)
		return;
	line = xvasprintf(fmt, ap);
	emit(level, line);
	free(line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("internal error: %s", msg);
	emit(LOG_LVL_ERR, line);
	fflush(stderr);
	abort();
}

void
log_doc(enum log_level level, const char *qid, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;
	if (level > log_level)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	line = xasprintf("%s: %s: %s", qid ? qid : "-", name ? name : "-", msg);
	emit(level, line);
	free(line);
	free(msg);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level l;
	} t[] = {{"error", LOG_LVL_ERR},
	         {"warning", LOG_LVL_WARN},
	         {"warn", LOG_LVL_WARN},
	         {"info", LOG_LVL_INFO},
	         {"debug", LOG_LVL_DEBUG}};
	size_t i;
	for (i = 0; i < nitems(t); i++)
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].l;
			return 0;
		}
	return -1;
}

int
log_target_parse(const char *s, enum log_target *out)
{
	if (strcmp(s, "auto") == 0)
		*out = LOG_TARGET_AUTO;
	else if (strcmp(s, "stderr") == 0)
		*out = LOG_TARGET_STDERR;
	else if (strcmp(s, "syslog") == 0)
		*out = LOG_TARGET_SYSLOG;
	else
		return -1;
	return 0;
}

int
log_facility_parse(const char *s, int *out)
{
	static const struct {
		const char *name;
		int f;
	} t[] = {{"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
	         {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	         {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
	         {"local7", LOG_LOCAL7}};
	size_t i;
	for (i = 0; i < nitems(t); i++)
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].f;
			return 0;
		}
	return -1;
}
