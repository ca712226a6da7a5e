/*
 * notify.c - sd_notify for Type=notify units: through libsystemd when the build has it
 * (the only file that includes it), otherwise by sending the same datagram to
 * $NOTIFY_SOCKET ourselves (the protocol is a stable, documented interface).
 *
 * Errors: notification is best effort; a failure is logged at debug level and
 * otherwise ignored, because systemd's absence must not stop the daemon.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

#ifdef HAVE_LIBSYSTEMD
static void
send_state(const char *state)
{
	int r = sd_notify(0, state);
	if (r < 0)
		log_debug("sd_notify: %s", strerror(-r));
}
#else
static void
send_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		log_debug("NOTIFY_SOCKET: unusable address");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@') /* abstract namespace */
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_debug("notify socket: %s", strerror(errno));
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) == -1)
		log_debug("notify %s: %s", path, strerror(errno));
	close(fd);
}
#endif

void
notify_ready(void)
{
	send_state("READY=1");
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	             (unsigned long long)ts.tv_nsec / 1000);
	send_state(msg);
}

void
notify_stopping(void)
{
	send_state("STOPPING=1");
}

void
notify_status(const char *fmt, ...)
{
	va_list ap;
	char *s, *msg;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	/* one line: a newline would start another assignment */
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
	msg = xasprintf("STATUS=%s", s);
	send_state(msg);
	free(msg);
	free(s);
}

void
notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}

uint64_t
notify_watchdog_interval_ms(void)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2000;
#else
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	int64_t v;
	if (us == NULL || parse_int64(us, &v) == -1 || v <= 0)
		return 0;
	if (pid && *pid) {
		int64_t p;
		if (parse_int64(pid, &p) == -1 || p != (int64_t)getpid())
			return 0;
	}
	return (uint64_t)v / 2000;
#endif
}
