/*
 * daemon - shared main() for the daemons: arguments, settings, signals,
 * ticks, reload and clean exit. See daemon.h.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

#ifndef ALERTDESK_VERSION
#define ALERTDESK_VERSION "dev"
#endif

volatile sig_atomic_t daemon_stopping = 0;

static void daemon_usage(const daemon_spec_t *spec, FILE *out)
{
    fprintf(
        out,
        "Usage: %s [--config FILE] [--check-config | --print-config] [--log-level LEVEL]\n"
        "\n%s\n\n"
        "Options:\n"
        "  -c, --config FILE     deployment settings (YAML); defaults apply without it\n"
        "      --check-config    validate the settings and the rule files they name,\n"
        "                        print \"config ok\" and exit\n"
        "      --print-config    print the effective settings (secrets masked) and exit\n"
        "      --log-level L     debug, info, warn or error (overrides log.level)\n"
        "  -h, --help            this text\n"
        "  -V, --version         print the version\n"
        "\nSignals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the settings file.\n"
        "Settings reference: README.md, \"Configuration reference\" (alertdesk config reference)\n",
        spec->name, spec->description);
}

/* daemon_reload - SIGHUP: load the file again and offer it to the daemon.
 * Accepted settings are never freed before exit: threads may still read the
 * previous generation (a few KiB per reload), and no lock is needed. */
static void daemon_reload(const daemon_spec_t *spec, const char *config, void *state,
                          settings_t ***generations, size_t *ngenerations)
{
    char err[1024];
    if (!config) {
        log_info("msg=\"SIGHUP without a config file: nothing to reload\"");
        return;
    }
    settings_t *fresh = xcalloc(1, sizeof *fresh);
    if (settings_load(config, fresh, err, sizeof err) < 0) {
        log_error("msg=\"reload refused, keeping current settings\" error=\"%s\"", err);
        free(fresh);
        return;
    }
    log_level_t level;
    if (log_level_parse(fresh->log_level, &level) == 0) {
        log_init(spec->component, level);
    }
    if (spec->reload && spec->reload(state, fresh) == 0) {
        *generations = xrealloc(*generations, (*ngenerations + 1) * sizeof **generations);
        (*generations)[(*ngenerations)++] = fresh;
        log_info("msg=\"settings reloaded\" applied=\"settings marked reloadable\" "
                 "note=\"others take effect at the next restart\"");
        return;
    }
    settings_free(fresh);
    free(fresh);
}

/* jansson allocates through these, so running out of memory aborts as
 * everywhere else instead of looking like "not valid JSON". */
static void *daemon_json_malloc(size_t n)
{
    return xmalloc(n);
}

void daemon_json_init(void)
{
    json_set_alloc_funcs(daemon_json_malloc, free);
}

int daemon_main(const daemon_spec_t *spec, int argc, char **argv)
{
    daemon_json_init();
    enum { OPT_CHECK = 256, OPT_PRINT, OPT_LEVEL };
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, OPT_CHECK},
                                         {"print-config", no_argument, NULL, OPT_PRINT},
                                         {"log-level", required_argument, NULL, OPT_LEVEL},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *level_override = NULL;
    int check = 0, print = 0, c;
    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case OPT_PRINT:
            print = 1;
            break;
        case OPT_LEVEL:
            level_override = optarg;
            break;
        case 'h':
            daemon_usage(spec, stdout);
            return 0;
        case 'V':
            printf("%s %s\n", spec->name, ALERTDESK_VERSION);
            return 0;
        default:
            daemon_usage(spec, stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", spec->name, argv[optind]);
        return 2;
    }
    settings_t s;
    char err[1024];
    if (settings_load(config, &s, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", spec->name, err);
        return 1;
    }
    log_level_t level = LOG_INFO;
    const char *lv = level_override ? level_override : s.log_level;
    if (log_level_parse(lv, &level) < 0) {
        fprintf(stderr, "%s: --log-level: unknown level \"%s\" (debug, info, warn, error)\n",
                spec->name, lv);
        settings_free(&s);
        return 1;
    }
    if (check && spec->check && spec->check(&s, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", spec->name, err);
        settings_free(&s);
        return 1;
    }
    if (check) {
        printf("config ok%s%s\n", config ? ": " : " (defaults)", config ? config : "");
        settings_free(&s);
        return 0;
    }
    if (print) {
        settings_print(&s, stdout);
        settings_free(&s);
        return 0;
    }
    log_init(spec->component, level);

    /* Block the signals before any thread exists so every thread inherits
     * the mask and only sigtimedwait below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    void *state = NULL;
    log_info("msg=starting version=%s config=%s", ALERTDESK_VERSION,
             config ? config : "(defaults)");
    if (spec->start(&s, &state) < 0) {
        log_error("msg=\"start failed\"");
        settings_free(&s);
        metrics_shutdown();
        return 1;
    }
    settings_t **generations = NULL; /* settings accepted by reloads, kept until exit */
    size_t ngenerations = 0;
    struct timespec tick = {spec->tick_ms / 1000, (long)(spec->tick_ms % 1000) * 1000000L};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("msg=\"stopping\" signal=%s", sig == SIGTERM ? "TERM" : "INT");
            daemon_stopping = 1;
            break;
        }
        if (sig == SIGHUP) {
            daemon_reload(spec, config, state, &generations, &ngenerations);
            continue;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            log_error("msg=\"sigtimedwait failed\" error=\"%s\"", strerror(errno));
        }
        if (spec->tick) {
            spec->tick(state);
        }
    }
    spec->stop(state);
    settings_free(&s);
    for (size_t i = 0; i < ngenerations; i++) {
        settings_free(generations[i]);
        free(generations[i]);
    }
    free(generations);
    metrics_shutdown();
    log_info("msg=stopped");
    return 0;
}

void daemon_pid_file(const char *path, bool write)
{
    if (!path || !*path) {
        return;
    }
    if (!write) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        log_warn("msg=\"cannot write pid file\" path=%s", path);
        return;
    }
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
}

bool daemon_health(void *arg, char *why, size_t whylen)
{
    daemon_health_t *h = arg;
    if (!atomic_load(&h->db_ok)) {
        snprintf(why, whylen, "database unreachable or standby");
        return false;
    }
    if (!atomic_load(&h->caught_up)) {
        snprintf(why, whylen, "catching up");
        return false;
    }
    long long lag = atomic_load(&h->lag);
    if (lag > h->max_lag) {
        snprintf(why, whylen, "lagging %lld %s behind", lag, h->lag_unit);
        return false;
    }
    return true;
}

void daemon_session_loop(int (*start)(void *arg), void (*live)(void *arg), void (*end)(void *arg),
                         void *arg, atomic_bool *stop, int64_t retry_max_ms)
{
    int64_t backoff_ms = 100;
    while (!atomic_load(stop)) {
        if (start(arg) == 0) {
            backoff_ms = 100;
            live(arg);
        }
        end(arg);
        if (atomic_load(stop)) {
            break;
        }
        log_warn("msg=\"session ended; rebuilding from the database\" delay_ms=%lld",
                 (long long)backoff_ms);
        for (int64_t w = 0; w < backoff_ms && !atomic_load(stop); w += 20) {
            usleep(20 * 1000);
        }
        backoff_ms = backoff_ms * 2 > retry_max_ms ? retry_max_ms : backoff_ms * 2;
    }
}
