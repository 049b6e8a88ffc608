/*
 * daemon - the one skeleton every alertdesk daemon hands its callbacks to
 * (Postfix's single_server is the model).
 *
 * It parses the common arguments (--config, --check-config, --print-config,
 * --log-level, --help, --version), loads the settings table, sets up
 * logging, blocks SIGTERM/SIGINT/SIGHUP in every thread the daemon starts and
 * waits for them in the main thread, calling the daemon's tick every
 * tick_ms for housekeeping (heartbeats, partitions). SIGHUP reloads the file
 * and offers the new settings to reload(); SIGTERM/SIGINT call stop(), which
 * drains, and the process exits 0.
 */
#ifndef ALERTDESK_DAEMON_H
#define ALERTDESK_DAEMON_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "settings.h"

typedef struct {
    const char *name;        /* "alertdesk-ingest" */
    const char *component;   /* log comp=, "ingest" */
    const char *description; /* one paragraph for --help */
    int tick_ms;
    /* Starts threads and sockets. Return 0, or -1 to exit 1 (already logged). */
    int (*start)(const settings_t *s, void **state);
    /* Called every tick_ms from the main thread. */
    void (*tick)(void *state);
    /* New settings after SIGHUP (log.level is applied by the skeleton).
     * Return 0 to accept them: fresh then stays valid until exit, so the
     * daemon may switch its reloadable parts to it with an atomic pointer
     * store. Return -1 to keep the old ones (say why in the log). */
    int (*reload)(void *state, const settings_t *fresh);
    /* Drains and frees everything start() made. */
    void (*stop)(void *state);
    /* --check-config: also loads the daemon's own files (rules, routing,
     * people) that the settings name. Return 0, or -1 with
     * "file:line: key: reason" in err. NULL = settings only. */
    int (*check)(const settings_t *s, char *err, size_t errlen);
} daemon_spec_t;

/* Makes jansson allocate with xmalloc (abort on exhaustion). daemon_main
 * calls it; other programs (the CLI) call it first thing. */
void daemon_json_init(void);

/* Runs the daemon; returns the process exit status. */
int daemon_main(const daemon_spec_t *spec, int argc, char **argv);

/* ---- stateful consumers (correlator, ticketer, notifier) ---- */

/* What /healthz of a consuming daemon reports: the worker thread sets the
 * atomics, the HTTP threads read them. */
typedef struct {
    atomic_bool db_ok;     /* the session holds its connection and the lock */
    atomic_bool caught_up; /* the start-up catch-up is done */
    atomic_llong lag;      /* rows committed upstream, not applied yet */
    long long max_lag;     /* healthy up to this lag */
    const char *lag_unit;  /* "events", "incident changes" ... */
} daemon_health_t;

/* An http_server health callback over a daemon_health_t (arg): 503 while
 * the database is unreachable or the daemon is standby, catching up, or
 * more than max_lag behind, with the reason in why. */
bool daemon_health(void *arg, char *why, size_t whylen);

/* The worker's life: start() a session (0 = ready), run live() until it
 * returns, always end(); after a session that failed or ended, wait with
 * back-off (100 ms doubling to retry_max_ms) and start again, until *stop
 * (checked between steps and while waiting). Every state is rebuilt from
 * PostgreSQL by start(), as after a restart. */
void daemon_session_loop(int (*start)(void *arg), void (*live)(void *arg), void (*end)(void *arg),
                         void *arg, atomic_bool *stop, int64_t retry_max_ms);

/* Writes this process's pid to path (write true), or removes the file
 * (false); "" does nothing. For `alertdesk rules reload` and init scripts;
 * a file that cannot be written is logged, not fatal. */
void daemon_pid_file(const char *path, bool write);

/* Non-zero once SIGTERM/SIGINT arrived; threads may poll it. */
extern volatile sig_atomic_t daemon_stopping;

#endif
