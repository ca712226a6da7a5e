/*
 * util.h - allocation wrappers that cannot fail, a growable buffer, small string and
 * time helpers shared by every module.
 */
#ifndef CHORUSGW_UTIL_H
#define CHORUSGW_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN         __attribute__((noreturn))
#else
#define PRINTFLIKE(f, a)
#define NORETURN
#endif

/* Abort with a message on allocation failure: call sites never handle OOM. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Returns a malloc'ed string; caller frees. */
char *xasprintf(const char *, ...) PRINTFLIKE(1, 2);
char *xvasprintf(const char *, va_list) PRINTFLIKE(1, 0);

/* Set *why (if why is not NULL) to a malloc'ed message; returns -1 so callers can
 * write `return fail(why, "...")`. errno is preserved. */
int fail(char **why, const char *, ...) PRINTFLIKE(2, 3);
/* Replace *why by "prefix: *why" (keeps the original reason, adds context). */
void why_prefix(char **why, const char *, ...) PRINTFLIKE(2, 3);

/* Growable byte buffer, always NUL-terminated. Owner frees with buf_free(). */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
void buf_add(struct buf *, const void *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, char);
void buf_printf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
void buf_vprintf(struct buf *, const char *, va_list) PRINTFLIKE(2, 0);
/* Hand the contents to the caller (who frees them) and reset the buffer. */
char *buf_steal(struct buf *);

/* String helpers. */
int str_has_prefix(const char *, const char *);
int str_has_suffix(const char *, const char *);
char *str_trim(char *); /* in place; returns the trimmed start */
void str_lower(char *);
/* 1 if `s` is exactly `n` ASCII digits (NULL-safe). */
int str_digits(const char *s, size_t n);
/* 1 if the string has a byte < 0x20 or 0x7f. */
int str_has_ctrl(const char *);
/* Characters (Unicode code points) of a UTF-8 string: the bytes that do not continue
 * a sequence. The limits of EN 16931 and Chorus Pro count characters, not bytes. */
size_t utf8_chars(const char *);
/* 1 if `word` (no blank in it) is one of the words of `list`, written with a blank
 * before and after each word: " A B C ". */
int str_word_in(const char *list, const char *word);
/* 1 if the folder entry `name` is a file of that kind: not a dot-file, ending with
 * `suffix` after at least one character ("a.status", not ".status" nor "status"). */
int name_of_kind(const char *name, const char *suffix);
/* How many entries of the folder `dir` are of the kind `suffix` (name_of_kind()); 0
 * when it cannot be read. */
size_t dir_count_suffix(const char *dir, const char *suffix);
/* Length of the well-formed UTF-8 sequence at p (1..4; at most `avail` bytes), or 0
 * when it is not one (overlong forms, surrogates, beyond U+10FFFF refused). */
size_t utf8_seq_len(const unsigned char *p, size_t avail);
/* Offset of the first byte of `s` that is not well-formed UTF-8, or `len`. */
size_t utf8_bad_offset(const char *s, size_t len);
/* A character a spool file name may not hold: a control character, or a backslash
 * (a path separator for the Windows clients of an SMB share). */
int name_char_odd(int c);
/* Does the file name hold such a character? */
int name_is_odd(const char *);

/* Time. */
uint64_t now_ms(void); /* CLOCK_MONOTONIC in milliseconds */
int64_t wall_ms(void); /* CLOCK_REALTIME in milliseconds */
/* ISO 8601 UTC "2026-11-28T18:20:31Z" into buf (at least 21 bytes). */
void fmt_time_utc(char *, size_t, time_t);
/* Parse fmt_time_utc's format back; -1 if malformed. */
int parse_time_utc(const char *, time_t *);
/* Parse the ISO 8601 dates Chorus Pro sends: "2026-11-28", "2026-11-28T18:20:31",
 * with optional fraction and "Z" / "+01:00" / "+0100" (no offset: UTC). -1 if not. */
int parse_iso8601(const char *, time_t *);

/* Parse a duration: "250ms", "30s", "5m", "2h", "7d", bare number = seconds. -1 on error. */
int parse_duration_ms(const char *, int64_t *);
/* Format a duration as the shortest exact unit ("30s", "5m", "250ms"). */
void fmt_duration(char *, size_t, int64_t ms);
/* Parse a size: "10M", "512K", "1G", bare number = bytes. -1 on error. */
int parse_size(const char *, int64_t *);
/* Parse a decimal integer in full; -1 on error or overflow. */
int parse_int64(const char *, int64_t *);

/* Base64 (RFC 4648, with padding). Returns a malloc'ed NUL-terminated string. */
char *base64_encode(const void *, size_t);
/* The same into `out` (room for (n + 2) / 3 * 4 characters, no NUL added); returns the
 * characters written. Chunks whose sizes are multiples of 3 join into one encoding. */
size_t base64_encode_to(const void *, size_t n, char *out);

/* Luhn check over a string of digits; 1 if it holds. */
int luhn_ok(const char *digits);
/* SIRET (14 digits) / SIREN (9 digits) validity: Luhn, except La Poste's SIRETs
 * (SIREN 356000000) whose digits must add up to a multiple of 5. 1 if valid. */
int siret_ok(const char *);
int siren_ok(const char *);
/* IBAN check digits (ISO 13616, mod 97) of a compact upper-case IBAN; 1 if valid. */
int iban_ok(const char *);
/* BIC syntax (ISO 9362): 8 or 11 characters, the first 6 letters; 1 if valid. */
int bic_ok(const char *);

#endif
