/* Unit tests of notify.c: the datagrams systemd would receive, with or without
 * libsystemd in the build. */
#include "config.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "tap.h"
#include "util.h"

static int sock;

static char *
next_msg(void)
{
	char buf[512];
	ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0)
		return xstrdup("");
	buf[n] = '\0';
	return xstrdup(buf);
}

int
main(void)
{
	char dir[] = "/tmp/chorusgw-notify-XXXXXX";
	struct sockaddr_un sa;
	char *path, *m, *pid;

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/notify", dir);
	sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok(bind(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind a notify socket");

	unsetenv("NOTIFY_SOCKET");
	notify_ready(); /* not under systemd: nothing happens, nothing breaks */
	m = next_msg();
	is_str(m, "", "no NOTIFY_SOCKET: silent");
	free(m);

	setenv("NOTIFY_SOCKET", path, 1);
	notify_ready();
	m = next_msg();
	is_str(m, "READY=1", "READY=1");
	free(m);
	notify_reloading();
	m = next_msg();
	ok(str_has_prefix(m, "RELOADING=1\nMONOTONIC_USEC="), "RELOADING with MONOTONIC_USEC: %s",
	   m);
	free(m);
	notify_status("3 queued,\n1 deposited");
	m = next_msg();
	is_str(m, "STATUS=3 queued, 1 deposited", "STATUS on one line");
	free(m);
	notify_watchdog();
	m = next_msg();
	is_str(m, "WATCHDOG=1", "WATCHDOG=1");
	free(m);
	notify_stopping();
	m = next_msg();
	is_str(m, "STOPPING=1", "STOPPING=1");
	free(m);

	unsetenv("WATCHDOG_USEC");
	is_int(notify_watchdog_interval_ms(), 0, "no watchdog asked");
	pid = xasprintf("%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	setenv("WATCHDOG_USEC", "10000000", 1);
	is_int(notify_watchdog_interval_ms(), 5000, "watchdog every half WatchdogSec");
	setenv("WATCHDOG_PID", "1", 1);
	is_int(notify_watchdog_interval_ms(), 0, "watchdog meant for another pid");
	free(pid);

	close(sock);
	unlink(path);
	rmdir(dir);
	free(path);
	return done_testing();
}
