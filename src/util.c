/*
 * util.c - allocation wrappers, the growable buffer, string/time/number helpers.
 *
 * Allocation failure aborts the process (there is nothing sensible to do and it keeps
 * call sites simple). Parsers return 0 on success and -1 on malformed input, leaving
 * the output untouched.
 */
#include "config.h"

#include <dirent.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void NORETURN
oom(void)
{
	static const char msg[] = "chorusgw: out of memory\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);
	(void)n;
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		oom();
	return xrealloc(p, n * sz);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (p == NULL)
		oom();
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int
fail(char **why, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	if (why != NULL) {
		free(*why);
		va_start(ap, fmt);
		*why = xvasprintf(fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return -1;
}

void
why_prefix(char **why, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	char *pre, *n;
	if (why == NULL)
		return;
	va_start(ap, fmt);
	pre = xvasprintf(fmt, ap);
	va_end(ap);
	n = xasprintf("%s: %s", pre, *why ? *why : "failed");
	free(pre);
	free(*why);
	*why = n;
	errno = saved;
}

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void
buf_grow(struct buf *b, size_t more)
{
	size_t need;
	if (more > SIZE_MAX - b->len - 1)
		oom();
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_steal(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	buf_init(b);
	return p;
}

int
str_has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int
str_has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

char *
str_trim(char *s)
{
	char *e;
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
str_has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int
str_word_in(const char *list, const char *word)
{
	size_t n;
	const char *p;
	if (word == NULL || *word == '\0' || strchr(word, ' '))
		return 0;
	n = strlen(word);
	for (p = strstr(list, word); p; p = strstr(p + 1, word))
		if (p > list && p[-1] == ' ' && p[n] == ' ')
			return 1;
	return 0;
}

size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0], cp;
	size_t n, i;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, beyond U+10FFFF, surrogates */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t
utf8_bad_offset(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	while (i < len) {
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

int
name_char_odd(int c)
{
	return (unsigned char)c < 0x20 || c == 0x7f || c == '\\';
}

int
name_is_odd(const char *s)
{
	for (; *s; s++)
		if (name_char_odd(*s))
			return 1;
	return 0;
}

uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fmt_time_utc(char *out, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
parse_time_utc(const char *s, time_t *out)
{
	struct tm tm;
	char *end;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
parse_iso8601(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	long off = 0;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p == NULL)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p = strptime(p + 1, "%H:%M", &tm);
		if (p == NULL)
			return -1;
		if (*p == ':') {
			p = strptime(p + 1, "%S", &tm);
			if (p == NULL)
				return -1;
		}
		if (*p == '.' || *p == ',')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, hh, mm = 0;
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return -1;
		hh = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
			mm = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		off = sign * (hh * 3600L + mm * 60L);
	}
	if (*p != '\0')
		return -1;
	*out = timegm(&tm) - off;
	return 0;
}

int
parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Split "123unit" into a non-negative number and its unit suffix. */
static int
split_number(const char *s, int64_t *num, const char **unit)
{
	int64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*num = v;
	*unit = p;
	return 0;
}

struct unit {
	const char *name;
	int64_t mult;
};

/* "123unit" with unit one of `units` (compared without case when `nocase`). */
static int
parse_scaled(const char *s, const struct unit *units, size_t nunits, int nocase, int64_t *out)
{
	int64_t v;
	const char *u;
	size_t i;
	if (split_number(s, &v, &u) == -1)
		return -1;
	for (i = 0; i < nunits; i++) {
		if ((nocase ? strcasecmp(u, units[i].name) : strcmp(u, units[i].name)) != 0)
			continue;
		if (v > INT64_MAX / units[i].mult)
			return -1;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

int
parse_duration_ms(const char *s, int64_t *out)
{
	static const struct unit units[] = {{"", 1000},         {"ms", 1},
	                                    {"s", 1000},        {"m", 60 * 1000},
	                                    {"h", 3600 * 1000}, {"d", 86400 * 1000}};
	return parse_scaled(s, units, nitems(units), 0, out);
}

void
fmt_duration(char *out, size_t n, int64_t ms)
{
	if (ms != 0 && ms % (86400 * 1000) == 0)
		snprintf(out, n, "%" PRId64 "d", ms / (86400 * 1000));
	else if (ms != 0 && ms % (3600 * 1000) == 0)
		snprintf(out, n, "%" PRId64 "h", ms / (3600 * 1000));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(out, n, "%" PRId64 "m", ms / (60 * 1000));
	else if (ms % 1000 == 0)
		snprintf(out, n, "%" PRId64 "s", ms / 1000);
	else
		snprintf(out, n, "%" PRId64 "ms", ms);
}

int
parse_size(const char *s, int64_t *out)
{
	static const struct unit units[] = {
	    {"", 1}, {"K", 1024}, {"M", 1024 * 1024}, {"G", 1024LL * 1024 * 1024}};
	return parse_scaled(s, units, nitems(units), 1, out);
}

size_t
base64_encode_to(const void *data, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = data;
	char *o = out;
	size_t i;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[in[i] >> 2];
		*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*o++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*o++ = tab[in[i + 2] & 63];
	}
	if (i < n) {
		*o++ = tab[in[i] >> 2];
		if (i + 1 < n) {
			*o++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*o++ = tab[(in[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(in[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	return (size_t)(o - out);
}

char *
base64_encode(const void *data, size_t n)
{
	char *out;
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		oom();
	out = xmalloc((n + 2) / 3 * 4 + 1);
	out[base64_encode_to(data, n, out)] = '\0';
	return out;
}

int
luhn_ok(const char *d)
{
	size_t n = strlen(d), i;
	int sum = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		int v;
		if (!isdigit((unsigned char)d[n - 1 - i]))
			return 0;
		v = d[n - 1 - i] - '0';
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

int
str_digits(const char *s, size_t n)
{
	size_t i;
	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return s[n] == '\0';
}

int
siren_ok(const char *s)
{
	return str_digits(s, 9) && luhn_ok(s);
}

int
siret_ok(const char *s)
{
	if (!str_digits(s, 14))
		return 0;
	if (luhn_ok(s))
		return 1;
	if (strncmp(s, "356000000", 9) == 0) {
		int sum = 0;
		for (; *s; s++)
			sum += *s - '0';
		return sum % 5 == 0;
	}
	return 0;
}

int
iban_ok(const char *s)
{
	char digits[128];
	size_t n = strlen(s), i, d = 0;
	int rem = 0;
	if (n < 15 || n > 34)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) || islower((unsigned char)s[i]))
			return 0;
	if (!isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
		return 0;
	/* move the first four characters to the end, letters become 10..35, mod 97 */
	for (i = 0; i < n; i++) {
		char ch = s[(i + 4) % n];
		if (isdigit((unsigned char)ch))
			digits[d++] = ch;
		else {
			int v = ch - 'A' + 10;
			digits[d++] = (char)('0' + v / 10);
			digits[d++] = (char)('0' + v % 10);
		}
	}
	for (i = 0; i < d; i++)
		rem = (rem * 10 + (digits[i] - '0')) % 97;
	return rem == 1;
}

int
bic_ok(const char *s)
{
	size_t n = strlen(s), i;
	if (n != 8 && n != 11)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i < 6 ? !isupper(c) : !(isupper(c) || isdigit(c)))
			return 0;
	}
	return 1;
}

int
name_of_kind(const char *name, const char *suffix)
{
	return name[0] != '.' && str_has_suffix(name, suffix) && strlen(name) > strlen(suffix);
}

size_t
dir_count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while (d && (e = readdir(d)) != NULL)
		if (name_of_kind(e->d_name, suffix))
			n++;
	if (d)
		closedir(d);
	return n;
}
