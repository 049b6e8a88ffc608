/*
 * cli_tail - `alertdesk tail`: follows the `events` stream the way every
 * consumer daemon does (common/stream.c): live rows over ZeroMQ, gaps and
 * history read back from PostgreSQL, each stream strictly in seq order.
 * One line per event. Also the tests' subscriber: with --count N it exits
 * after N events and prints the consumer's counters.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "cli.h"
#include "db.h"
#include "event_store.h"
#include "stream.h"
#include "wire.h"
#include "xalloc.h"

typedef struct {
    stream_consumer_t *consumer;
    int from_start;
    uint64_t printed, limit;
    int quiet;
} cli_tail_t;

static int cli_tail_apply(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                          size_t len)
{
    cli_tail_t *t = arg;
    event_t *ev = NULL;
    size_t used;
    if (wire_decode(payload, len, &ev, &used) < 0) {
        fprintf(stderr, "alertdesk tail: undecodable row stream=%s seq=%" PRId64 "\n", stream, seq);
        return -1;
    }
    if (!t->quiet) {
        char when[40];
        db_format_time(ev->occurred_at_us, when, sizeof when);
        printf("stream=%s seq=%" PRId64 " fingerprint=%s status=%s severity=%s source=%s "
               "resource=%s check=%s occurred_at=%s\n",
               stream, seq, ev->fingerprint, event_status_name(ev->status),
               event_severity_name(ev->severity), ev->source, ev->resource, ev->check, when);
    }
    event_destroy(&ev);
    t->printed++;
    return 0;
}

static void cli_tail_stream(void *arg, const char *stream, int64_t last_seq)
{
    cli_tail_t *t = arg;
    stream_consumer_set_offset(t->consumer, stream, t->from_start ? 0 : last_seq);
}

int cli_tail(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"endpoint", required_argument, NULL, 'e'},
        {"from-start", no_argument, NULL, 's'},    {"count", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *config = NULL, *endpoint = NULL;
    cli_tail_t t = {0};
    int timeout_s = 0, c;
    while ((c = getopt_long(argc, argv, "c:e:sn:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'e':
            endpoint = optarg;
            break;
        case 's':
            t.from_start = 1;
            break;
        case 'n':
            t.limit = strtoull(optarg, NULL, 10);
            break;
        case 't':
            timeout_s = atoi(optarg);
            break;
        case 'q':
            t.quiet = 1;
            break;
        case 'h':
            printf("Usage: alertdesk tail [--config FILE] [--endpoint tcp://HOST:PORT,...]\n"
                   "                      [--from-start] [--count N] [--timeout SEC] [--quiet]\n"
                   "Prints the events stream in order. --from-start replays from seq 1;\n"
                   "otherwise known streams start at their head. --count N exits after N\n"
                   "events (status 0) or at --timeout (status 1), printing counters on stderr.\n");
            return 0;
        default:
            return 2;
        }
    }
    settings_t s;
    if (cli_load_settings(config, &s) < 0) {
        return 1;
    }
    PGconn *conn = db_connect(s.database_url, s.database_connect_timeout_ms);
    char *ep = endpoint ? xstrdup(endpoint) : cli_connect_endpoint(s.ingest_publish);
    settings_free(&s);
    if (!conn) {
        fprintf(stderr, "alertdesk tail: cannot connect to the database\n");
        free(ep);
        return 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    void *zctx = zmq_ctx_new();
    int rc = 0;
    t.consumer =
        stream_consumer_new(zctx, ep, "events", event_store_fetch, conn, cli_tail_apply, &t);
    if (!t.consumer || event_store_streams(conn, cli_tail_stream, &t) < 0) {
        rc = 1;
        goto out;
    }
    /* Known streams first: history (--from-start) or nothing; streams that
     * appear later are filled from their first seq by the gap logic. */
    if (t.from_start) {
        PGresult *res = PQexec(conn, "SELECT stream FROM stream_heads ORDER BY stream");
        for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
            if (stream_consumer_catch_up(t.consumer, PQgetvalue(res, i, 0)) < 0) {
                rc = 1;
            }
        }
        PQclear(res);
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (rc == 0 && (t.limit == 0 || t.printed < t.limit)) {
        if (stream_consumer_poll(t.consumer, 200) < 0) {
            rc = 1;
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timeout_s > 0 && now.tv_sec - start.tv_sec >= timeout_s) {
            rc = t.limit ? 1 : 0;
            break;
        }
    }
    stream_consumer_stats_t st;
    stream_consumer_stats(t.consumer, &st);
    fprintf(stderr,
            "events=%" PRIu64 " live=%" PRIu64 " fetched=%" PRIu64 " duplicates=%" PRIu64
            " gaps=%" PRIu64 " heartbeats=%" PRIu64 "\n",
            t.printed, st.applied_live, st.applied_fetched, st.duplicates, st.gaps, st.heartbeats);
out:
    stream_consumer_destroy(&t.consumer);
    zmq_ctx_term(zctx);
    PQfinish(conn);
    free(ep);
    return rc;
}
