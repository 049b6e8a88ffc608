/*
 * deliver_cli - drives notifier/deliver.h from the shell, for tests and for
 * trying a channel by hand.
 *
 *     deliver_cli [--config FILE] --channel webhook|chat|email|sms
 *                 --target T [--target T]... [--subject S] [--text T]
 *                 [--json BODY] [--ack-url URL] [--key IDEMPOTENCY_KEY]
 *                 [--thread-key K] [--thread-first] [--repeat N]
 *                 [--metrics FILE]
 *
 * The notifier.* settings come from FILE (defaults without it). Every
 * --target is one message and all of them are submitted together; the
 * batch runs --repeat times, one after the other (each waits for the
 * previous one to finish). Each result is printed on stdout as it arrives:
 *
 *   id=N result=OK|RETRY|FATAL status=S retry_after_ms=MS elapsed_ms=MS error="..."
 *
 * where id counts the messages from 1 in submission order and elapsed_ms
 * runs from the start of its batch. --metrics writes the Prometheus text at
 * the end. Exit 0 once every result is printed; 2 on bad usage, 1 on a bad
 * config.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "log.h"
#include "metrics.h"
#include "settings.h"
#include "xalloc.h"

#define CLI_MAX_TARGETS 64

static int64_t batch_start_us, pending;

static int64_t cli_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void cli_done(void *arg, int64_t id, deliver_result_t r, int64_t retry_after_us,
                     int http_status, const char *error)
{
    (void)arg;
    char q[512];
    printf("id=%lld result=%s status=%d retry_after_ms=%lld elapsed_ms=%lld error=%s\n",
           (long long)id, deliver_result_name(r), http_status, (long long)(retry_after_us / 1000),
           (long long)((cli_now_us() - batch_start_us) / 1000),
           log_q(error ? error : "", q, sizeof q));
    fflush(stdout);
    pending--;
}

static void cli_usage(FILE *out)
{
    fprintf(out, "usage: deliver_cli [--config FILE] --channel webhook|chat|email|sms --target T "
                 "[--target T]...\n"
                 "       [--subject S] [--text T] [--json BODY] [--ack-url URL] [--key K]\n"
                 "       [--thread-key K] [--thread-first] [--repeat N] [--metrics FILE]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"channel", required_argument, NULL, 'C'},
                                         {"target", required_argument, NULL, 't'},
                                         {"subject", required_argument, NULL, 's'},
                                         {"text", required_argument, NULL, 'x'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"ack-url", required_argument, NULL, 'a'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"thread-key", required_argument, NULL, 'T'},
                                         {"thread-first", no_argument, NULL, 'F'},
                                         {"repeat", required_argument, NULL, 'r'},
                                         {"metrics", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *metrics_path = NULL, *key = NULL;
    const char *targets[CLI_MAX_TARGETS];
    size_t ntargets = 0;
    int repeat = 1, c;
    bool have_channel = false;
    deliver_msg_t m = {0};
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'C':
            if (deliver_channel_parse(optarg, &m.channel) != 0) {
                fprintf(stderr, "deliver_cli: unknown channel '%s'\n", optarg);
                return 2;
            }
            have_channel = true;
            break;
        case 't':
            if (ntargets == CLI_MAX_TARGETS) {
                fprintf(stderr, "deliver_cli: at most %d targets\n", CLI_MAX_TARGETS);
                return 2;
            }
            targets[ntargets++] = optarg;
            break;
        case 's':
            m.subject = optarg;
            break;
        case 'x':
            m.text = optarg;
            break;
        case 'j':
            m.json = optarg;
            break;
        case 'a':
            m.ack_url = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'T':
            m.thread_key = optarg;
            break;
        case 'F':
            m.thread_first = true;
            break;
        case 'r':
            repeat = atoi(optarg);
            break;
        case 'm':
            metrics_path = optarg;
            break;
        case 'h':
            cli_usage(stdout);
            return 0;
        default:
            cli_usage(stderr);
            return 2;
        }
    }
    if (!have_channel || ntargets == 0 || repeat < 1 || optind != argc) {
        cli_usage(stderr);
        return 2;
    }
    log_init("deliver_cli", LOG_INFO);
    settings_t s;
    char err[512];
    if (settings_load(config, &s, err, sizeof err) != 0) {
        fprintf(stderr, "deliver_cli: %s\n", err);
        return 1;
    }
    deliver_t *d = deliver_new(&s);
    settings_free(&s);
    if (!d) {
        return 1;
    }
    int64_t id = 0;
    for (int b = 0; b < repeat; b++) {
        batch_start_us = cli_now_us();
        for (size_t i = 0; i < ntargets; i++) {
            char keybuf[64];
            m.id = ++id;
            m.attempt = b + 1;
            m.target = targets[i];
            if (key) {
                m.idempotency_key = key;
            } else {
                snprintf(keybuf, sizeof keybuf, "cli-%lld", (long long)m.id);
                m.idempotency_key = keybuf;
            }
            pending++;
            deliver_submit(d, &m, cli_done, NULL);
        }
        while (pending > 0) {
            deliver_poll(d, 1000);
        }
    }
    deliver_destroy(&d);
    if (metrics_path) {
        FILE *f = fopen(metrics_path, "w");
        if (f) {
            char *text = metrics_render(NULL);
            fputs(text, f);
            free(text);
            fclose(f);
        }
    }
    metrics_shutdown();
    return 0;
}
