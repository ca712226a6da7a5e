/*
 * log.h - one logger for the whole program: stderr when attached to a terminal,
 * syslog (journald) otherwise, or as configured.
 */
#ifndef CHORUSGW_LOG_H
#define CHORUSGW_LOG_H

#include "util.h"

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_target { LOG_TARGET_AUTO = 0, LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* Start logging as `ident`. Safe to call again (reconfigure). */
void log_init(const char *ident, enum log_target, enum log_level, int facility);
void log_set_level(enum log_level);

/*
 * Register a secret: from now on every log line has each occurrence replaced by
 * "********". The string is copied. Strings shorter than 4 bytes are ignored (they
 * would mask ordinary words).
 */
void log_secret(const char *);
/* Stop redacting a secret that is no longer used (a replaced access token). */
void log_secret_forget(const char *);
/* Apply the redaction to an arbitrary string (caller frees the result). */
char *log_redact(const char *);

void log_msg(enum log_level, const char *, ...) PRINTFLIKE(2, 3);
void log_vmsg(enum log_level, const char *, va_list) PRINTFLIKE(2, 0);
/* A line about one document: "QUEUEID: FILE: message". qid or name may be NULL. */
void log_doc(enum log_level, const char *qid, const char *name, const char *, ...) PRINTFLIKE(4, 5);

/* A broken invariant (a value the code cannot produce, such as an enum out of its
 * range): log "internal error: ..." at error level, then abort() for a core file.
 * Never returns; never for bad input, which is an error to report. */
void fatalx(const char *, ...) NORETURN PRINTFLIKE(1, 2);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Parse "error|warn|info|debug" / "auto|stderr|syslog" / syslog facility names. */
int log_level_parse(const char *, enum log_level *);
int log_target_parse(const char *, enum log_target *);
int log_facility_parse(const char *, int *);

#endif
