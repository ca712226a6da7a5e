/*
 * ev.h - the process's single event loop: epoll over file descriptors, one-shot
 * timers (a binary heap on the monotonic clock) and signals (signalfd).
 */
#ifndef CHORUSGW_EV_H
#define CHORUSGW_EV_H

#include <stdint.h>

#define EV_READ  0x1
#define EV_WRITE 0x2
#define EV_ERROR 0x4 /* reported only: hang-up or error on the fd */

typedef void ev_fd_cb(int fd, unsigned events, void *arg);
typedef void ev_timer_cb(void *arg);
typedef void ev_signal_cb(int signo, void *arg);

struct ev_timer;

/* Create the loop. 0 / -1 with *why. */
int ev_init(char **why);
/* Destroy the loop; pending timers are freed without being called. */
void ev_fini(void);

/* Watch `fd` for `events` (EV_READ|EV_WRITE); one callback per fd. 0 / -1. */
int ev_fd_add(int fd, unsigned events, ev_fd_cb *, void *arg);
void ev_fd_del(int fd);

/* Call `cb(arg)` once, `delay_ms` from now. The handle stays valid until the callback
 * runs or ev_timer_del() is called, whichever comes first. */
struct ev_timer *ev_timer_add(uint64_t delay_ms, ev_timer_cb *, void *arg);
void ev_timer_del(struct ev_timer *);
/* Milliseconds until the timer fires (0 if due). */
uint64_t ev_timer_remaining(const struct ev_timer *);

/* Deliver `signo` through the loop instead of asynchronously. 0 / -1. */
int ev_signal(int signo, ev_signal_cb *, void *arg);

/* Run until ev_break(). 0, or -1 with *why if epoll failed. */
int ev_run(char **why);
/* Wait at most `timeout_ms` (-1: until something happens) and dispatch. 0 / -1. */
int ev_run_once(int timeout_ms, char **why);
void ev_break(void);

#endif
