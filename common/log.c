/*
 * log - key=value line logger. See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static char log_component[32] = "alertdesk";
static log_level_t log_min = LOG_INFO;

static const char *const log_level_names[] = {"debug", "info", "warn", "error", "fatal"};

void log_init(const char *component, log_level_t min_level)
{
    snprintf(log_component, sizeof log_component, "%s", component);
    log_min = min_level;
}

int log_level_parse(const char *name, log_level_t *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcasecmp(name, log_level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

__attribute__((format(printf, 2, 0))) static void log_vwrite(log_level_t level, const char *fmt,
                                                             va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, log_level_names[level], log_component);
    if (n < 0 || (size_t)n >= sizeof line) {
        n = 0;
    }
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One record is one line, whatever the caller passed in. */
    for (char *p = line; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    fprintf(stderr, "%s\n", line);
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    if (level < log_min) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_FATAL, fmt, ap);
    va_end(ap);
    exit(1);
}

const char *log_q(const char *s, char *buf, size_t buflen)
{
    if (!s) {
        return "\"\"";
    }
    int plain = *s != '\0';
    for (const char *p = s; *p && plain; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
            plain = 0;
        }
    }
    if (plain) {
        return s;
    }
    size_t o = 0;
    if (buflen < 3) {
        return "\"\"";
    }
    buf[o++] = '"';
    for (const char *p = s; *p && o + 3 < buflen; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < ' ' || c == 0x7f) {
            buf[o++] = '?';
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
