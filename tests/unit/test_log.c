/* Unit tests of log.c: levels, the document prefix, secret redaction, escaping. */
#include "config.h"

#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static char path[] = "/tmp/chorusgw-log-XXXXXX";

static void
broken(int n)
{
	fatalx("the impossible value %d", n);
}

static char *
captured(void)
{
	struct buf b;
	buf_init(&b);
	fflush(stderr);
	if (read_file(path, 1 << 20, 0, &b, NULL) == -1)
		return xstrdup("");
	return buf_steal(&b);
}

int
main(void)
{
	int fd = mkstemp(path);
	char *out, *red;

	if (fd == -1 || freopen(path, "w", stderr) == NULL)
		return 1;
	close(fd);
	log_init("chorusgw", LOG_TARGET_STDERR, LOG_LVL_INFO, LOG_DAEMON);

	log_secret("hunter2-secret");
	log_secret("abc"); /* too short to be redacted safely: ignored */
	log_info("abc stays readable");
	log_info("token request with secret hunter2-secret failed");
	log_debug("debug line not shown");
	log_doc(LOG_LVL_WARN, "Q0000ABC", "FOO.xml", "deposit refused");
	log_doc(LOG_LVL_INFO, NULL, "evil\nname.xml", "odd name");
	out = captured();
	ok(!contains(out, "hunter2-secret"), "secret never written");
	ok(contains(out, "token request with secret ******** failed"), "secret replaced");
	ok(contains(out, "info: abc stays readable"), "short strings are not treated as secrets");
	ok(!contains(out, "debug line"), "debug filtered at info level");
	ok(contains(out, "chorusgw: warning: Q0000ABC: FOO.xml: deposit refused"),
	   "document line: queue id and file name");
	ok(contains(out, "-: evil\\x0aname.xml: odd name"), "control characters escaped");
	free(out);

	red = log_redact("a hunter2-secret b hunter2-secret");
	is_str(red, "a ******** b ********", "log_redact masks every occurrence");
	free(red);
	log_secret("old-token-value");
	log_secret_forget("old-token-value");
	red = log_redact("a old-token-value hunter2-secret");
	is_str(red, "a old-token-value ********", "log_secret_forget drops only that secret");
	free(red);

	log_set_level(LOG_LVL_DEBUG);
	log_debug("now visible");
	out = captured();
	ok(contains(out, "debug: now visible"), "debug shown at debug level");
	free(out);

	{
		enum log_level l;
		enum log_target t;
		int f;
		ok(log_level_parse("warning", &l) == 0 && l == LOG_LVL_WARN, "level parse");
		ok(log_level_parse("loud", &l) == -1, "bad level refused");
		ok(log_target_parse("syslog", &t) == 0 && t == LOG_TARGET_SYSLOG, "target parse");
		ok(log_facility_parse("local3", &f) == 0 && f == LOG_LOCAL3, "facility parse");
	}
	{
		char err[512];
		ok(dies_with(broken, 7, "chorusgw: error: internal error: the impossible value 7",
		             err, sizeof(err)),
		   "fatalx: logs the broken invariant and aborts (%s)", err);
	}
	unlink(path);
	return done_testing();
}
