/*
 * metrics - a Prometheus registry for /metrics (text exposition 0.0.4).
 *
 * Register a metric once, at start-up, and keep the pointer: registration
 * takes the registry lock, updates do not. metric_inc() and metric_observe()
 * are a few relaxed C11 atomic operations, safe from any thread. Rendering
 * takes the lock, so registration and scrapes are serialised, never
 * updates.
 *
 * A metric is a family name plus a label set. labels is the text between
 * the braces of the exposition format, e.g. `intake="http",format="native"`,
 * or NULL for none; values may use the format's escapes (\\, \", \n) and are
 * escaped on output whatever the caller wrote. Label order matters for
 * identity: the same name and the same labels text give the same metric.
 * Misuse (bad names, one name registered as two types, a histogram with
 * other bounds, decrementing a counter) is a programming error and aborts.
 *
 * Every render also carries process_resident_memory_bytes,
 * process_cpu_seconds_total and process_start_time_seconds, read from
 * /proc/self. This file does no network I/O: http_server.c serves it.
 */
#ifndef ALERTDESK_METRICS_H
#define ALERTDESK_METRICS_H

#include <stddef.h>

typedef struct metric metric_t;

/* Registers (or finds) a counter. The registry owns the result; it stays
 * valid until metrics_shutdown(). name and help are copied. */
metric_t *metrics_counter(const char *name, const char *help, const char *labels);
/* Registers (or finds) a gauge. Ownership as for metrics_counter(). */
metric_t *metrics_gauge(const char *name, const char *help, const char *labels);
/* Registers (or finds) a histogram with nbounds upper bounds, strictly
 * increasing (the +Inf bucket is implicit). bounds is copied. Ownership as
 * for metrics_counter(). */
metric_t *metrics_histogram(const char *name, const char *help, const char *labels,
                            const double *bounds, size_t nbounds);

/* Counter or gauge: adds 1. Lock-free. */
void metric_inc(metric_t *m);
/* Counter (v >= 0) or gauge: adds v. Lock-free. */
void metric_add(metric_t *m, double v);
/* Gauge only: sets the value. Lock-free. */
void metric_set(metric_t *m, double v);
/* Histogram only: counts v in its bucket and adds it to the sum. Lock-free. */
void metric_observe(metric_t *m, double v);

/* Registers a gauge whose value is fn(arg), called at each render with the
 * registry lock held: fn must be quick and must not call metrics_*.
 * Registering the same name and labels again replaces fn and arg. arg is
 * borrowed: it must outlive the registration (until metrics_shutdown()). */
void metrics_gauge_fn(const char *name, const char *help, const char *labels,
                      double (*fn)(void *arg), void *arg);

/* Renders every family, sorted by name, one HELP and TYPE each. Caller
 * owns the result; free with free(). *len (may be NULL) gets its length. */
char *metrics_render(size_t *len);

/* Escapes a label value for the labels text (\ " and newline). Caller owns
 * the result; free with free(). */
char *metrics_label_escape(const char *value);

/* Frees every metric: all metric_t pointers become invalid. The registry
 * can be used again afterwards (tests). Not safe while other threads use
 * metrics. */
void metrics_shutdown(void);

#endif
