/*
 * metrics.h - the gateway's counters, gauges and latency histograms, written as a
 * Prometheus text file (node_exporter's textfile collector) atomically.
 */
#ifndef CHORUSGW_METRICS_H
#define CHORUSGW_METRICS_H

#include <stdint.h>

/* Declare a metric once (name, help, type "counter", "gauge" or "histogram") before
 * using it; histograms use the fixed latency buckets of metrics.c. */
void metrics_declare(const char *name, const char *type, const char *help);

/* `labels` is the inside of the braces, e.g. "op=\"deposit\"", or NULL / "". */
void metrics_add(const char *name, const char *labels, double v); /* counter += v */
void metrics_set(const char *name, const char *labels, double v); /* gauge = v */
void metrics_observe(const char *name, const char *labels, double seconds);
/* Drop every series of a gauge (before re-setting a set of labelled values). */
void metrics_clear(const char *name);

/* Render everything (caller frees) / write it to `path` atomically. 0 / -1. */
char *metrics_render(void);
int metrics_write(const char *path, char **why);
/* Forget everything (tests, and the end of a run). */
void metrics_reset(void);

#endif
