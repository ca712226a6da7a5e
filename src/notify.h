/*
 * notify.h - the systemd notification protocol (Type=notify): READY, RELOADING,
 * STOPPING, STATUS, WATCHDOG. Silent no-ops when not started by systemd.
 */
#ifndef CHORUSGW_NOTIFY_H
#define CHORUSGW_NOTIFY_H

#include <stdint.h>

#include "util.h"

void notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC (systemd 253+ requires it for Type=notify-reload). */
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *, ...) PRINTFLIKE(1, 2);
void notify_watchdog(void);
/* How often to send WATCHDOG=1 (half of WatchdogSec), or 0 when not asked. */
uint64_t notify_watchdog_interval_ms(void);

#endif
