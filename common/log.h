/*
 * log - one line per record, key=value, to stderr.
 *
 * Every record starts with ts=, level=, comp= (the component set once by
 * log_init) and then the caller's key=value pairs. Values that may contain
 * spaces or quotes go through log_q(). Never pass a token, a password or a
 * webhook secret to these functions.
 *
 * Thread-safe: one fprintf per record, and stdio locks the stream.
 */
#ifndef ALERTDESK_LOG_H
#define ALERTDESK_LOG_H

#include <stddef.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL } log_level_t;

/* Sets the component name (copied) and the lowest level printed. */
void log_init(const char *component, log_level_t min_level);
/* Parses "debug|info|warn|error"; returns -1 on anything else. */
int log_level_parse(const char *name, log_level_t *out);

void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
/* Logs at level fatal and exits with status 1 (bad config or environment). */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Quotes s for a key=value log line: returns s itself when it has no space,
 * quote, '=' or control byte, else a quoted, escaped copy in buf (truncated
 * to buflen). The result is valid until buf is reused.
 */
const char *log_q(const char *s, char *buf, size_t buflen);

#endif
