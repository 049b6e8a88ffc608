/*
 * cli_send - `alertdesk send`: the scriptable ZeroMQ client of
 * alertdesk-ingest (what zabbix_sender is to Zabbix), for Nagios/Icinga
 * notification commands, cron jobs and shell scripts.
 *
 *   alertdesk send --resource core-sw1 --check ifDown --severity critical \
 *                  --label site=ams1 --summary "Uplink down"
 *   alertdesk send --file events.jsonl      (one native event per line)
 *
 * Every batch is answered only after ingest committed it; replies that say
 * "retry" are retried with back-off until --timeout. Exit status: 0 all
 * accepted, 1 some rejected (each printed with its field and rule), 2 usage,
 * 3 ingest unreachable or unavailable.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "cli.h"
#include "xalloc.h"

#define CLI_SEND_BATCH 500

typedef struct {
    void *zctx, *sock;
    char *endpoint;
    int timeout_ms;
    size_t accepted, rejected;
} cli_send_t;

static int64_t cli_send_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cli_send_connect(cli_send_t *cs)
{
    if (cs->sock) {
        zmq_close(cs->sock);
    }
    cs->sock = zmq_socket(cs->zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(cs->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(cs->sock, cs->endpoint);
}

/* Sends one batch (a JSON array) and waits for the answer, retrying when
 * ingest says so. Returns 0 answered, 3 gave up. line0 numbers the batch's
 * first event for messages. */
static int cli_send_batch(cli_send_t *cs, const char *body, size_t line0)
{
    int64_t deadline = cli_send_now_ms() + cs->timeout_ms;
    int delay_ms = 100;
    for (;;) {
        zmq_send(cs->sock, body, strlen(body), 0);
        zmq_pollitem_t item = {cs->sock, 0, ZMQ_POLLIN, 0};
        int64_t left = deadline - cli_send_now_ms();
        if (left <= 0 || zmq_poll(&item, 1, (long)left) <= 0) {
            fprintf(stderr, "alertdesk send: no answer from %s within %d ms\n", cs->endpoint,
                    cs->timeout_ms);
            return 3;
        }
        char reply[65536];
        int n = zmq_recv(cs->sock, reply, sizeof reply - 1, 0);
        if (n < 0) {
            return 3;
        }
        reply[n < (int)sizeof reply - 1 ? n : (int)sizeof reply - 1] = '\0';
        json_error_t jerr;
        json_t *root = json_loads(reply, 0, &jerr);
        if (!root) {
            fprintf(stderr, "alertdesk send: unreadable answer: %s\n", reply);
            return 3;
        }
        if (json_is_true(json_object_get(root, "retry"))) {
            const char *why = json_string_value(json_object_get(root, "error"));
            json_decref(root);
            if (cli_send_now_ms() + delay_ms >= deadline) {
                fprintf(stderr, "alertdesk send: ingest unavailable (%s); gave up\n",
                        why ? why : "?");
                return 3;
            }
            usleep((useconds_t)delay_ms * 1000);
            delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
            /* A fresh socket: the old one may hold a late answer. */
            cli_send_connect(cs);
            continue;
        }
        cs->accepted += (size_t)json_integer_value(json_object_get(root, "accepted"));
        json_t *rejected = json_object_get(root, "rejected");
        size_t i;
        json_t *r;
        json_array_foreach(rejected, i, r)
        {
            json_int_t idx = json_integer_value(json_object_get(r, "index"));
            fprintf(stderr, "rejected: event %lld: %s: %s\n",
                    idx < 0 ? -1LL : (long long)(line0 + (size_t)idx),
                    json_string_value(json_object_get(r, "field")),
                    json_string_value(json_object_get(r, "error")));
            cs->rejected++;
        }
        json_decref(root);
        return 0;
    }
}

static int cli_send_kv(json_t *obj, const char *kv, const char *what)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "alertdesk send: --%s wants KEY=VALUE, got '%s'\n", what, kv);
        return -1;
    }
    char *key = xstrndup(kv, (size_t)(eq - kv));
    json_object_set_new(obj, key, json_string(eq + 1));
    free(key);
    return 0;
}

static int cli_send_file(cli_send_t *cs, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "alertdesk send: cannot open %s\n", path);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, inbatch = 0, first = 1;
    int rc = 0;
    /* The batch is built as text: each line is passed through as sent, and
     * ingest does the validation (and names the line in its answer). */
    size_t bcap = 1 << 16, blen = 0;
    char *batch = xmalloc(bcap);
    ssize_t n;
    for (;;) {
        n = getline(&line, &cap, f);
        if (n > 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
                line[--n] = '\0';
            }
            lineno++;
            if (n == 0) {
                continue;
            }
            if (blen + (size_t)n + 4 > bcap) {
                bcap = (blen + (size_t)n + 4) * 2;
                batch = xrealloc(batch, bcap);
            }
            batch[blen++] = inbatch ? ',' : '[';
            memcpy(batch + blen, line, (size_t)n);
            blen += (size_t)n;
            if (inbatch == 0) {
                first = lineno;
            }
            inbatch++;
        }
        if ((n < 0 && inbatch > 0) || inbatch == CLI_SEND_BATCH) {
            batch[blen++] = ']';
            batch[blen] = '\0';
            rc = cli_send_batch(cs, batch, first);
            blen = 0;
            inbatch = 0;
            if (rc) {
                break;
            }
        }
        if (n < 0) {
            break;
        }
    }
    free(batch);
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    return rc;
}

static void cli_send_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: alertdesk send [--config FILE] [--endpoint tcp://HOST:PORT] [--timeout SEC]\n"
        "         --resource R --check C [--severity S] [--status firing|resolved]\n"
        "         [--summary TEXT] [--description TEXT] [--source NAME]\n"
        "         [--label KEY=VALUE]... [--annotation KEY=VALUE]...\n"
        "   or: alertdesk send [...] --file events.jsonl   (one native event per line; - = stdin)\n"
        "\nSeverity: critical, major, minor, warning (default), info.\n"
        "Answers come after the events are stored. Exit: 0 accepted, 1 rejected, 3 unavailable.\n");
}

int cli_send(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"endpoint", required_argument, NULL, 'e'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"check", required_argument, NULL, 'k'},
                                         {"severity", required_argument, NULL, 's'},
                                         {"status", required_argument, NULL, 'S'},
                                         {"summary", required_argument, NULL, 'm'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"source", required_argument, NULL, 'o'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"annotation", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *endpoint = NULL, *file = NULL;
    int timeout_s = 10, c, rc = 0;
    json_t *ev = json_object(), *labels = json_object(), *annotations = json_object();
    while ((c = getopt_long(argc, argv, "c:e:t:f:r:k:s:S:m:d:o:l:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'e':
            endpoint = optarg;
            break;
        case 't':
            timeout_s = atoi(optarg);
            break;
        case 'f':
            file = optarg;
            break;
        case 'r':
            json_object_set_new(ev, "resource", json_string(optarg));
            break;
        case 'k':
            json_object_set_new(ev, "check", json_string(optarg));
            break;
        case 's':
            json_object_set_new(ev, "severity", json_string(optarg));
            break;
        case 'S':
            json_object_set_new(ev, "status", json_string(optarg));
            break;
        case 'm':
            json_object_set_new(ev, "summary", json_string(optarg));
            break;
        case 'd':
            json_object_set_new(ev, "description", json_string(optarg));
            break;
        case 'o':
            json_object_set_new(ev, "source", json_string(optarg));
            break;
        case 'l':
            rc = cli_send_kv(labels, optarg, "label") < 0 ? 2 : rc;
            break;
        case 'a':
            rc = cli_send_kv(annotations, optarg, "annotation") < 0 ? 2 : rc;
            break;
        case 'h':
            cli_send_usage(stdout);
            goto out;
        default:
            rc = 2;
        }
    }
    if (rc == 0 && !file && json_object_size(ev) == 0) {
        cli_send_usage(stderr);
        rc = 2;
    }
    if (rc == 0 && json_string_value(json_object_get(ev, "summary")) &&
        json_string_value(json_object_get(ev, "summary"))[0] == '\0') {
        json_object_del(ev, "summary");
    }
    if (rc != 0) {
        goto out;
    }
    settings_t s;
    if (cli_load_settings(config, &s) < 0) {
        rc = 1;
        goto out;
    }
    cli_send_t cs = {.timeout_ms = timeout_s * 1000};
    cs.endpoint = endpoint ? xstrdup(endpoint) : cli_connect_endpoint(s.ingest_zmq_listen);
    settings_free(&s);
    cs.zctx = zmq_ctx_new();
    cli_send_connect(&cs);
    if (file) {
        rc = cli_send_file(&cs, file);
    } else {
        if (json_object_size(labels)) {
            json_object_set(ev, "labels", labels);
        }
        if (json_object_size(annotations)) {
            json_object_set(ev, "annotations", annotations);
        }
        char *body = json_dumps(ev, JSON_COMPACT);
        rc = cli_send_batch(&cs, body, 1);
        free(body);
    }
    if (rc == 0) {
        printf("accepted=%zu rejected=%zu\n", cs.accepted, cs.rejected);
        rc = cs.rejected ? 1 : 0;
    }
    zmq_close(cs.sock);
    zmq_ctx_term(cs.zctx);
    free(cs.endpoint);
out:
    json_decref(ev);
    json_decref(labels);
    json_decref(annotations);
    return rc;
}
