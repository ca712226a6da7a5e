/* Unit tests of util.c, fileio.c and sha256.c. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

static void
test_durations(void)
{
	int64_t v = -1;
	char out[32];
	ok(parse_duration_ms("250ms", &v) == 0 && v == 250, "250ms");
	ok(parse_duration_ms("30", &v) == 0 && v == 30000, "bare number is seconds");
	ok(parse_duration_ms("5m", &v) == 0 && v == 300000, "5m");
	ok(parse_duration_ms("2h", &v) == 0 && v == 7200000, "2h");
	ok(parse_duration_ms("7d", &v) == 0 && v == 7LL * 86400000, "7d");
	ok(parse_duration_ms("5 s", &v) == -1, "space refused");
	ok(parse_duration_ms("-5s", &v) == -1, "negative refused");
	ok(parse_duration_ms("5x", &v) == -1, "unknown unit refused");
	ok(parse_duration_ms("", &v) == -1, "empty refused");
	ok(parse_duration_ms("99999999999999999999s", &v) == -1, "overflow refused");
	fmt_duration(out, sizeof(out), 300000);
	is_str(out, "5m", "fmt 5m");
	fmt_duration(out, sizeof(out), 1500);
	is_str(out, "1500ms", "fmt 1500ms");
	fmt_duration(out, sizeof(out), 0);
	is_str(out, "0s", "fmt 0s");
}

static void
test_sizes_ints(void)
{
	int64_t v;
	ok(parse_size("10M", &v) == 0 && v == 10 * 1024 * 1024, "10M");
	ok(parse_size("512k", &v) == 0 && v == 512 * 1024, "512k");
	ok(parse_size("1G", &v) == 0 && v == 1024LL * 1024 * 1024, "1G");
	ok(parse_size("12", &v) == 0 && v == 12, "bytes");
	ok(parse_size("1T", &v) == -1, "T refused");
	ok(parse_int64("42", &v) == 0 && v == 42, "int");
	ok(parse_int64("4 2", &v) == -1, "int with space refused");
	ok(parse_int64(" 42", &v) == -1, "leading space refused");
}

static void
test_ids(void)
{
	ok(luhn_ok("79927398713"), "luhn reference number");
	ok(!luhn_ok("79927398710"), "luhn wrong check digit");
	ok(siret_ok("73282932000074"), "valid SIRET");
	ok(!siret_ok("73282932000075"), "SIRET with wrong key");
	ok(!siret_ok("7328293200007"), "SIRET with 13 digits");
	ok(!siret_ok("7328293200007A"), "SIRET with a letter");
	ok(siret_ok("35600000000048"), "La Poste head office SIRET (Luhn)");
	ok(siret_ok("35600000000001"), "La Poste SIRET failing Luhn, digit sum 15");
	ok(!siret_ok("35600000000002"), "La Poste SIRET, digit sum 16");
	ok(siren_ok("732829320"), "valid SIREN");
	ok(!siren_ok("732829321"), "invalid SIREN");
}

static void
test_base64_time(void)
{
	char *s;
	time_t t;
	char buf[32];
	s = base64_encode("login:password", 14);
	is_str(s, "bG9naW46cGFzc3dvcmQ=", "base64 of the Swagger's example");
	free(s);
	s = base64_encode("", 0);
	is_str(s, "", "base64 empty");
	free(s);
	s = base64_encode("ab", 2);
	is_str(s, "YWI=", "base64 one pad");
	free(s);
	fmt_time_utc(buf, sizeof(buf), 1795887631);
	ok(parse_time_utc(buf, &t) == 0 && t == 1795887631, "time round trip (%s)", buf);
	ok(parse_time_utc("2026-13-01T00:00:00Z", &t) == -1, "bad month refused");
	ok(parse_iso8601("2026-11-28T18:20:31.123+01:00", &t) == 0 && t == 1795886431,
	   "ISO 8601 with fraction and offset");
	ok(parse_iso8601("2026-11-28T17:20:31Z", &t) == 0 && t == 1795886431, "ISO 8601 Z");
	ok(parse_iso8601("2026-11-28T17:20:31", &t) == 0 && t == 1795886431, "no offset = UTC");
	ok(parse_iso8601("2026-11-28", &t) == 0 && t == 1795824000, "date only");
	ok(parse_iso8601("2026-11-28T17:20+0000", &t) == 0 && t == 1795886400, "no seconds");
	ok(parse_iso8601("28/11/2026", &t) == -1, "French date format refused");
	ok(parse_iso8601("2026-11-28T17:20:31Zjunk", &t) == -1, "trailing junk refused");
}

static void
test_buf(void)
{
	struct buf b;
	char *s;
	buf_init(&b);
	buf_adds(&b, "abc");
	buf_printf(&b, "%d", 42);
	buf_addc(&b, '!');
	is_str(b.p, "abc42!", "buf append");
	s = buf_steal(&b);
	ok(b.p == NULL && b.len == 0, "steal resets");
	free(s);
	buf_free(&b);
}

static void
test_sha256(void)
{
	char hex[65];
	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 empty");
	sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 abc");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "sha256 two blocks");
}

static void
test_fileio(void)
{
	char dir[] = "/tmp/chorusgw-test-XXXXXX";
	char *path, *why = NULL;
	struct buf b;
	struct stat st;

	ok(mkdtemp(dir) != NULL, "temp dir");
	path = xasprintf("%s/file", dir);
	ok(write_file_atomic(NULL, path, "hello\n", 6, 0600, 0, &why) == 0, "atomic write");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 6, "mode and size");
	ok(write_file_atomic(NULL, path, "other\n", 6, 0600, FIO_NOREPLACE, &why) == -1 &&
	       errno == EEXIST,
	   "no-replace refuses an existing file");
	ok(contains(why, path), "reason names the path: %s", why ? why : "");
	free(why);
	why = NULL;
	buf_init(&b);
	ok(read_file(path, 100, 1, &b, &why) == 0 && strcmp(b.p, "hello\n") == 0,
	   "content unchanged after refused write");
	buf_reset(&b);
	ok(read_file(path, 3, 1, &b, &why) == -1 && contains(why, "limit"), "read bound");
	free(why);
	why = NULL;
	buf_free(&b);

#ifdef CHORUSGW_TEST_HOOKS
	setenv("CHORUSGW_FAIL_WRITE", "file", 1);
	ok(write_file_atomic(NULL, path, "torn?\n", 6, 0600, 0, &why) == -1 && errno == ENOSPC,
	   "injected ENOSPC fails the write");
	unsetenv("CHORUSGW_FAIL_WRITE");
#else
	skip("injected ENOSPC: needs ./configure --enable-test-hooks");
#endif
	free(why);
	why = NULL;
	buf_init(&b);
	ok(read_file(path, 100, 1, &b, &why) == 0 && strcmp(b.p, "hello\n") == 0,
	   "a failed write leaves the old content whole");
	buf_free(&b);
	{
		char *other = xasprintf("%s/moved", dir);
		ok(rename_noreplace(path, other) == 0, "rename_noreplace to a free name");
		ok(write_file_atomic(NULL, path, "x", 1, 0600, 0, NULL) == 0, "recreate");
		ok(rename_noreplace(path, other) == -1 && errno == EEXIST,
		   "rename_noreplace refuses to replace");
		unlink(other);
		free(other);
	}
	{
		char *sub = xasprintf("%s/a/b/c", dir);
		ok(mkdir_p(sub, 0700, &why) == 0, "mkdir_p");
		ok(mkdir_p(sub, 0700, &why) == 0, "mkdir_p again");
		rmdir(sub);
		free(sub);
		sub = xasprintf("%s/a/b", dir);
		rmdir(sub);
		free(sub);
		sub = xasprintf("%s/a", dir);
		rmdir(sub);
		free(sub);
	}
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_names(void)
{
	ok(!name_is_odd("F2025-0001 été.xml"), "an ordinary name, with spaces and UTF-8");
	ok(name_is_odd("a\tb.xml") && name_is_odd("a\x7f.xml"), "control characters are odd");
	ok(name_is_odd("C:\\users\\a.xml"), "a backslash (Windows path separator) is odd");
	ok(str_word_in(" AB CD EF ", "CD") && str_word_in(" AB CD EF ", "AB") &&
	       str_word_in(" AB CD EF ", "EF"),
	   "str_word_in: first, middle, last word");
	ok(!str_word_in(" AB CD EF ", "C") && !str_word_in(" AB CD EF ", "B CD") &&
	       !str_word_in(" AB CD EF ", "") && !str_word_in(" AB CD EF ", NULL) &&
	       !str_word_in(" ABCD ", "CD"),
	   "str_word_in: part of a word, blanks, empty, NULL");
	is_int(utf8_bad_offset("caf\xc3\xa9", 5), 5, "UTF-8: \"café\" is well formed");
	is_int(utf8_bad_offset("caf\xe9!", 5), 3, "UTF-8: Latin-1 é at offset 3");
	is_int(utf8_bad_offset("a\xc0\xaf", 3), 1, "UTF-8: an overlong '/' refused");
	is_int(utf8_bad_offset("a\xed\xa0\x80", 4), 1, "UTF-8: a surrogate refused");
	is_int(utf8_bad_offset("a\xe2\x82", 3), 1, "UTF-8: a sequence cut short refused");
	ok(str_has_ctrl("a\nb") && !str_has_ctrl("C:\\a"), "str_has_ctrl: control characters only");
	is_int(utf8_chars(""), 0, "utf8_chars: empty");
	is_int(utf8_chars("Lumi\xc3\xa8re"), 7, "utf8_chars: an accented letter is one character");
	is_int(utf8_chars("\xe4\xb8\xad\xe6\x96\x87"), 2, "utf8_chars: CJK, 3 bytes each");
	is_int(utf8_chars("a\xf0\x9f\x98\x80"
	                  "b"),
	       3, "utf8_chars: an emoji, 4 bytes, is one character");
	ok(name_of_kind("a.status", ".status") && name_of_kind("x.y.job", ".job"),
	   "name_of_kind: a name with the suffix");
	ok(!name_of_kind(".status", ".status") && !name_of_kind(".a.status", ".status") &&
	       !name_of_kind("status", ".status") && !name_of_kind("a.status.tmp", ".status"),
	   "name_of_kind: not the bare suffix, a dot-file, another kind");
}

int
main(void)
{
	test_durations();
	test_sizes_ints();
	test_ids();
	test_base64_time();
	test_buf();
	test_sha256();
	test_fileio();
	test_names();
	return done_testing();
}
