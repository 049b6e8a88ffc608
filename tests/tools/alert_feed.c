/*
 * alert_feed - a seeded alert sender that records every alert ingest
 * ACKNOWLEDGED, for the fault suite and the end-to-end benchmark.
 *
 *     alert_feed --url URL [--token T] [--mode mix|probe] [--rate EVENTS_PER_S]
 *                [--batch N] [--duration S] [--count N] [--seed N]
 *                [--record FILE] [--id-prefix P] [--switches N] [--hosts N]
 *                [--resolve-pct N] [--new-pct N] [--timeout-ms MS]
 *
 * It POSTs native events as JSON arrays of --batch events to URL (ingest's
 * /api/v1/events) over one kept-alive connection (libcurl easy handle), open
 * loop at --rate events/s (0: as fast as answers come), until --duration
 * seconds or --count events, or SIGTERM/SIGINT (the request in flight is
 * finished first).
 *
 * Events, each with a unique id "P-N" in its description (not part of the
 * fingerprint, so repeats still deduplicate):
 *   mix    a topology of --switches switches over 8 sites, each the parent
 *          of --hosts hosts; each event picks a resource at random (seeded):
 *          a switch sends LinkDown (critical), a host HostUnreachable
 *          (major); --resolve-pct of them are resolved, the rest firing
 *          (repeats of the same alert are frequent by construction);
 *          --new-pct of them instead name a new resource "P-svc-N" (check
 *          ServiceDown, its own switch label), so that new incidents,
 *          tickets and pages keep coming while the load runs;
 *   probe  every event a new resource "P-probe-N", check ProbeDown,
 *          critical, firing: each opens its own incident, ticket and page
 *          when the rules group nothing (the benchmark's latency probes).
 *
 * An event counts as acknowledged only when ingest answered 2xx with an
 * "accepted" count and did not list it in "rejected". Each acknowledged
 * event is appended to --record as one line, flushed per request:
 *     ID RESOURCE CHECK STATUS SENT_US ACKED_US
 * (wall clock in µs: the write of the request, the end of its answer). A
 * failed request (refused connection, timeout, 5xx, 429) is not retried:
 * its events were not acknowledged and are not recorded; the sender waits
 * 100 ms and goes on with the next batch.
 *
 * At the end one key=value line on stdout: sent, acked, rejected, errors,
 * errors_by_kind, late (batches due while the previous was still out),
 * elapsed_s, acked_per_s, ack_p50_ms, ack_p99_ms. Progress goes to stderr.
 *
 * It does not spread load over connections (loadgen does, for throughput)
 * and does not speak ZeroMQ or Kafka.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "xalloc.h"

#define FEED_NSITES    8
#define FEED_MAX_BATCH 1000
#define FEED_EVENT_MAX 768

static const char *const feed_sites[FEED_NSITES] = {"ams1", "fra2", "lon3", "par1",
                                                    "mad2", "waw1", "sto1", "mil2"};

typedef struct {
    const char *url;
    const char *token;
    bool probe;
    double rate;
    int batch;
    double duration;
    long long count;
    uint64_t seed;
    const char *record;
    const char *prefix;
    int switches;
    int hosts;
    int resolve_pct;
    int new_pct;
    long timeout_ms;
} feed_opts_t;

/* One event of the current batch, for the record. */
typedef struct {
    char id[64];
    char resource[64];
    const char *check;
    const char *status;
} feed_event_t;

typedef struct {
    char *buf;
    size_t len;
} feed_buf_t;

static volatile sig_atomic_t feed_stop;

static void feed_on_signal(int sig)
{
    (void)sig;
    feed_stop = 1;
}

static int64_t feed_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* feed_rand - xorshift64*: small, seeded, the same sequence everywhere. */
static uint64_t feed_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static size_t feed_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    feed_buf_t *b = userdata;
    size_t n = size * nmemb;
    b->buf = xrealloc(b->buf, b->len + n + 1);
    memcpy(b->buf + b->len, ptr, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return n;
}

static void feed_usage(FILE *out)
{
    fputs("usage: alert_feed --url URL [--token T] [--mode mix|probe] [--rate EVENTS_PER_S]\n"
          "                  [--batch N] [--duration S] [--count N] [--seed N] [--record FILE]\n"
          "                  [--id-prefix P] [--switches N] [--hosts N] [--resolve-pct N]\n"
          "                  [--new-pct N] [--timeout-ms MS]\n",
          out);
}

/* feed_render - event number n of the feed into out; fills ev. */
static int feed_render(const feed_opts_t *o, uint64_t *rng, long long n, feed_event_t *ev,
                       char *out, size_t outlen)
{
    snprintf(ev->id, sizeof ev->id, "%s-%lld", o->prefix, n);
    if (o->probe) {
        snprintf(ev->resource, sizeof ev->resource, "%s-probe-%lld", o->prefix, n);
        ev->check = "ProbeDown";
        ev->status = "firing";
        return snprintf(out, outlen,
                        "{\"source\":\"alert_feed\",\"resource\":\"%s\",\"check\":\"ProbeDown\","
                        "\"severity\":\"critical\",\"status\":\"firing\","
                        "\"summary\":\"probe %lld\",\"description\":\"feed-id=%s\","
                        "\"labels\":{\"site\":\"ams1\",\"role\":\"probe\"}}",
                        ev->resource, n, ev->id);
    }
    if (o->new_pct > 0 && (int)(feed_rand(rng) % 100) < o->new_pct) {
        snprintf(ev->resource, sizeof ev->resource, "%s-svc-%lld", o->prefix, n);
        ev->check = "ServiceDown";
        ev->status = "firing";
        return snprintf(out, outlen,
                        "{\"source\":\"alert_feed\",\"resource\":\"%s\",\"check\":\"ServiceDown\","
                        "\"severity\":\"major\",\"status\":\"firing\",\"summary\":\"new %lld\","
                        "\"description\":\"feed-id=%s\",\"labels\":{\"site\":\"%s\","
                        "\"switch\":\"%s\",\"role\":\"service\"}}",
                        ev->resource, n, ev->id, feed_sites[n % FEED_NSITES], ev->resource);
    }
    int per = o->hosts + 1;
    int r = (int)(feed_rand(rng) % (uint64_t)(o->switches * per));
    int s = r / per, h = r % per;
    const char *site = feed_sites[s % FEED_NSITES];
    bool resolved = (int)(feed_rand(rng) % 100) < o->resolve_pct;
    ev->status = resolved ? "resolved" : "firing";
    if (h == 0) {
        snprintf(ev->resource, sizeof ev->resource, "sw%03d", s);
        ev->check = "LinkDown";
    } else {
        snprintf(ev->resource, sizeof ev->resource, "h%03d-%02d", s, h - 1);
        ev->check = "HostUnreachable";
    }
    return snprintf(out, outlen,
                    "{\"source\":\"alert_feed\",\"resource\":\"%s\",\"check\":\"%s\","
                    "\"severity\":\"%s\",\"status\":\"%s\",\"summary\":\"%s on %s\","
                    "\"description\":\"feed-id=%s\","
                    "\"labels\":{\"site\":\"%s\",\"switch\":\"sw%03d\",\"role\":\"%s\"}}",
                    ev->resource, ev->check, h == 0 ? "critical" : "major", ev->status, ev->check,
                    ev->resource, ev->id, site, s, h == 0 ? "switch" : "host");
}

static int feed_parse_args(int argc, char **argv, feed_opts_t *o)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 'k'},
        {"mode", required_argument, NULL, 'm'},
        {"rate", required_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},
        {"duration", required_argument, NULL, 'd'},
        {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"record", required_argument, NULL, 'o'},
        {"id-prefix", required_argument, NULL, 'p'},
        {"switches", required_argument, NULL, 'S'},
        {"hosts", required_argument, NULL, 'H'},
        {"resolve-pct", required_argument, NULL, 'R'},
        {"new-pct", required_argument, NULL, 'N'},
        {"timeout-ms", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (feed_opts_t){.batch = 10,
                       .seed = 1,
                       .prefix = "f",
                       .switches = 40,
                       .hosts = 8,
                       .resolve_pct = 15,
                       .timeout_ms = 5000};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'u':
            o->url = optarg;
            break;
        case 'k':
            o->token = optarg;
            break;
        case 'm':
            if (strcmp(optarg, "probe") == 0) {
                o->probe = true;
            } else if (strcmp(optarg, "mix") != 0) {
                return -1;
            }
            break;
        case 'r':
            o->rate = atof(optarg);
            break;
        case 'b':
            o->batch = atoi(optarg);
            break;
        case 'd':
            o->duration = atof(optarg);
            break;
        case 'n':
            o->count = atoll(optarg);
            break;
        case 's':
            o->seed = strtoull(optarg, NULL, 10);
            break;
        case 'o':
            o->record = optarg;
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'S':
            o->switches = atoi(optarg);
            break;
        case 'H':
            o->hosts = atoi(optarg);
            break;
        case 'R':
            o->resolve_pct = atoi(optarg);
            break;
        case 'N':
            o->new_pct = atoi(optarg);
            break;
        case 'T':
            o->timeout_ms = atol(optarg);
            break;
        case 'h':
            feed_usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (!o->url || o->batch < 1 || o->batch > FEED_MAX_BATCH || o->switches < 1 || o->hosts < 0 ||
        o->rate < 0 || o->resolve_pct < 0 || o->resolve_pct > 100 || o->new_pct < 0 ||
        o->new_pct > 100 || optind != argc) {
        return -1;
    }
    return 0;
}

/* feed_acked - from ingest's answer, which events of the batch were
 * acknowledged: all but those listed in "rejected"; none without an
 * "accepted" count. Returns the number acknowledged. */
static int feed_acked(const char *body, int n, bool *acked)
{
    json_error_t err;
    json_t *root = json_loads(body ? body : "", 0, &err);
    if (!root || !json_is_integer(json_object_get(root, "accepted"))) {
        json_decref(root);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        acked[i] = true;
    }
    int count = n;
    json_t *rej = json_object_get(root, "rejected");
    size_t i;
    json_t *r;
    json_array_foreach(rej, i, r)
    {
        json_int_t idx = json_integer_value(json_object_get(r, "index"));
        if (idx >= 0 && idx < n && acked[idx]) {
            acked[idx] = false;
            count--;
        }
    }
    json_decref(root);
    return count;
}

static int feed_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    feed_opts_t o;
    if (feed_parse_args(argc, argv, &o) != 0) {
        feed_usage(stderr);
        return 2;
    }
    struct sigaction sa = {.sa_handler = feed_on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    FILE *rec = NULL;
    if (o.record && !(rec = fopen(o.record, "a"))) {
        perror(o.record);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    char auth[512];
    if (o.token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o.token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    feed_buf_t reply = {0};
    curl_easy_setopt(c, CURLOPT_URL, o.url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, feed_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);

    size_t bodycap = (size_t)o.batch * FEED_EVENT_MAX + 16;
    char *body = xmalloc(bodycap);
    feed_event_t *evs = xcalloc((size_t)o.batch, sizeof *evs);
    bool *acked = xcalloc((size_t)o.batch, sizeof *acked);
    size_t latcap = 1024, nlat = 0;
    int64_t *lat = xmalloc(latcap * sizeof *lat);
    uint64_t rng = o.seed * 0x9E3779B97F4A7C15ULL + 1;
    long long sent = 0, nacked = 0, rejected = 0, errors = 0, late = 0;
    long long err_conn = 0, err_timeout = 0, err_5xx = 0, err_429 = 0, err_other = 0;
    int64_t t0 = feed_now_us(), last_progress = t0;
    long long batches = 0;

    while (!feed_stop) {
        int64_t now = feed_now_us();
        if (o.duration > 0 && now - t0 >= (int64_t)(o.duration * 1e6)) {
            break;
        }
        if (o.count > 0 && sent >= o.count) {
            break;
        }
        if (o.rate > 0) {
            int64_t due = t0 + (int64_t)((double)batches * o.batch * 1e6 / o.rate);
            if (due > now) {
                usleep((useconds_t)(due - now));
            } else if (now - due > 1000 && batches > 0) {
                late++;
            }
        }
        batches++;
        int n = o.batch;
        if (o.count > 0 && sent + n > o.count) {
            n = (int)(o.count - sent);
        }
        size_t len = 0;
        body[len++] = '[';
        for (int i = 0; i < n; i++) {
            if (i) {
                body[len++] = ',';
            }
            int w = feed_render(&o, &rng, sent + i, &evs[i], body + len, bodycap - len - 2);
            len += (size_t)w;
        }
        body[len++] = ']';
        body[len] = '\0';
        sent += n;

        reply.len = 0;
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        int64_t t_send = feed_now_us();
        CURLcode rc = curl_easy_perform(c);
        int64_t t_ack = feed_now_us();
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        int ok = -1;
        if (rc == CURLE_OK && status >= 200 && status < 300) {
            ok = feed_acked(reply.buf, n, acked);
        }
        if (ok < 0) {
            errors++;
            if (rc == CURLE_OPERATION_TIMEDOUT) {
                err_timeout++;
            } else if (rc != CURLE_OK) {
                err_conn++;
            } else if (status == 429) {
                err_429++;
            } else if (status >= 500) {
                err_5xx++;
            } else {
                err_other++;
            }
            usleep(100000);
            continue;
        }
        nacked += ok;
        rejected += n - ok;
        for (int i = 0; i < n; i++) {
            if (!acked[i]) {
                continue;
            }
            if (rec) {
                fprintf(rec, "%s %s %s %s %" PRId64 " %" PRId64 "\n", evs[i].id, evs[i].resource,
                        evs[i].check, evs[i].status, t_send, t_ack);
            }
        }
        if (rec) {
            fflush(rec);
        }
        if (nlat == latcap) {
            latcap *= 2;
            lat = xrealloc(lat, latcap * sizeof *lat);
        }
        lat[nlat++] = t_ack - t_send;
        if (t_ack - last_progress >= 5000000) {
            last_progress = t_ack;
            fprintf(stderr, "alert_feed: t=%.0fs sent=%lld acked=%lld errors=%lld\n",
                    (double)(t_ack - t0) / 1e6, sent, nacked, errors);
        }
    }
    double elapsed = (double)(feed_now_us() - t0) / 1e6;
    qsort(lat, nlat, sizeof *lat, feed_cmp_i64);
    double p50 = nlat ? (double)lat[nlat / 2] / 1000.0 : 0;
    double p99 =
        nlat ? (double)lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 : nlat - 1] / 1000.0 : 0;
    printf("sent=%lld acked=%lld rejected=%lld errors=%lld errors_by_kind=conn:%lld,timeout:%lld,"
           "5xx:%lld,429:%lld,other:%lld late=%lld elapsed_s=%.3f acked_per_s=%.0f "
           "ack_p50_ms=%.3f ack_p99_ms=%.3f\n",
           sent, nacked, rejected, errors, err_conn, err_timeout, err_5xx, err_429, err_other, late,
           elapsed, elapsed > 0 ? (double)nacked / elapsed : 0.0, p50, p99);
    fflush(stdout);

    free(lat);
    free(acked);
    free(evs);
    free(body);
    free(reply.buf);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    if (rec) {
        fclose(rec);
    }
    return 0;
}
