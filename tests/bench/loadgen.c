/*
 * loadgen - the load generator of the ingest benchmark.
 *
 * Sends realistic ~600-byte SNMP LinkDown alerts to one of three targets and
 * measures how many are acknowledged and how long the acknowledgement took:
 *
 *   --target http          alertdesk-ingest POST /api/v1/events (native JSON),
 *                          202 {"accepted":N,...} only after the commit
 *   --target zmq           alertdesk-ingest's ROUTER intake, DEALER sockets,
 *                          several requests in flight per socket
 *   --target alertmanager  Prometheus Alertmanager POST /api/v2/alerts, the
 *                          same alerts in its v2 shape, 200 expected
 *
 * HTTP is driven by raw non-blocking sockets and epoll with a hand-written
 * request writer and a minimal response parser, not libcurl: on our 2-core
 * machines the generator shares the CPU with the server, and every cycle it
 * spends is taken from the thing being measured. For the same reason the
 * event bodies are rendered once into a pool before the clock starts.
 *
 * Each connection (or ZeroMQ socket) is a closed loop with a fixed number of
 * requests in flight; --rate R turns it into an open loop of R requests per
 * second. Latency runs from the request's write to its complete response and
 * goes into a log-linear histogram (< 1% error). A non-2xx response, a
 * timeout, a broken connection or a reply without "accepted" is an error and
 * is never counted as acknowledged. The final summary is one key=value line
 * on stdout; progress goes to stderr every second. Figures are printed, never
 * asserted: this program judges nothing.
 *
 * It is one file because every .c file of tests/bench is its own
 * executable; pg_insert_baseline.c renders the same events (keep the two in
 * step).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "xalloc.h"

typedef enum { TARGET_HTTP, TARGET_ZMQ, TARGET_ALERTMANAGER } target_t;

/* Error classes that are not HTTP status codes share the low slots. */
enum { ERR_IO = 0, ERR_TIMEOUT = 1, ERR_BAD_REPLY = 2, ERR_SLOTS = 600 };

typedef struct {
    target_t target;
    const char *url; /* http://host:port/path or a ZeroMQ endpoint */
    char host[256];
    char port[16];
    char path[512];
    const char *token;
    int batch;
    int64_t count;   /* events */
    double duration; /* seconds */
    int connections;
    int threads;  /* HTTP only */
    int inflight; /* ZeroMQ: requests in flight per socket */
    double rate;  /* requests/s over all connections; 0 = closed loop */
    int resources;
    uint64_t seed;
    double timeout; /* seconds before a request counts as failed */
} opts_t;

static opts_t g_opts;

/* ---- time and randomness ---- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: deterministic for a given --seed, good enough for test data. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- latency histogram ----
 * Log-linear in microseconds: exact below 128 us, then 64 sub-buckets per
 * power of two, so any value is known to within 1/64. Each worker owns one;
 * they are merged after the run, so no locking in the hot path. */

#define HIST_SUB     64
#define HIST_BUCKETS (2 * HIST_SUB + 40 * HIST_SUB)

typedef struct {
    int64_t n[HIST_BUCKETS];
    int64_t total;
    int64_t max_us;
} hist_t;

static int hist_index(int64_t v)
{
    if (v < 2 * HIST_SUB) {
        return v < 0 ? 0 : (int)v;
    }
    int msb = 63 - __builtin_clzll((unsigned long long)v);
    int shift = msb - 6; /* v >> shift lands in [64, 128) */
    int idx = 2 * HIST_SUB + (shift - 1) * HIST_SUB + (int)((v >> shift) - HIST_SUB);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The middle of bucket idx, in microseconds. */
static double hist_value(int idx)
{
    if (idx < 2 * HIST_SUB) {
        return idx;
    }
    int shift = (idx - 2 * HIST_SUB) / HIST_SUB + 1;
    int64_t m = (idx - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
    return ((double)(m << shift) + (double)(((m + 1) << shift) - 1)) / 2.0;
}

static void hist_add(hist_t *h, int64_t v)
{
    h->n[hist_index(v)]++;
    h->total++;
    if (v > h->max_us) {
        h->max_us = v;
    }
}

static void hist_merge(hist_t *into, const hist_t *from)
{
    for (int i = 0; i < HIST_BUCKETS; i++) {
        into->n[i] += from->n[i];
    }
    into->total += from->total;
    if (from->max_us > into->max_us) {
        into->max_us = from->max_us;
    }
}

/* The p-quantile (0 < p <= 1) in milliseconds; 0 when empty. */
static double hist_quantile_ms(const hist_t *h, double p)
{
    if (h->total == 0) {
        return 0;
    }
    int64_t rank = (int64_t)ceil(p * (double)h->total);
    int64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank) {
            double v = hist_value(i);
            return (v > (double)h->max_us ? (double)h->max_us : v) / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}

/* ---- the event pool ----
 * An SNMP trap gateway's LinkDown alerts: K resources are K (switch, port)
 * pairs spread over sites and customers, so fingerprints differ as they do
 * in a real storm. Entries are shuffled so that consecutive requests touch
 * unrelated resources. */

static const char *const SITES[] = {"ams1", "fra2", "lon3", "par1", "mad2", "waw1", "sto1", "mil2"};
#define NSITES ((int)(sizeof SITES / sizeof SITES[0]))

typedef struct {
    char **body; /* one JSON object per entry, no trailing newline */
    size_t *len;
    size_t n;
    size_t bytes;
} pool_t;

static pool_t g_pool;

static void pool_render(uint64_t *rng, int resource, char *out, size_t outlen, size_t *len)
{
    int dev = resource / 48, port = resource % 48;
    const char *site = SITES[dev % NSITES];
    char device[64], ifname[32], when[32], ends[32], agent[32];
    snprintf(device, sizeof device, "sw%04d.%s", dev, site);
    snprintf(ifname, sizeof ifname, "xe-0/0/%d", port);
    snprintf(agent, sizeof agent, "10.%d.%d.%d", 10 + dev % NSITES, (dev / 250) % 250,
             dev % 250 + 1);
    bool resolved = rng_next(rng) % 10 == 0;
    time_t t = time(NULL) - (time_t)(rng_next(rng) % 600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    t += 60;
    gmtime_r(&t, &tm);
    strftime(ends, sizeof ends, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *sev = port % 7 == 0 ? "major" : "critical";
    int n;
    if (g_opts.target == TARGET_ALERTMANAGER) {
        /* Alertmanager's v2 shape; a resolved alert is one whose endsAt has
         * passed, which is how Prometheus sends a recovery. */
        n = snprintf(out, outlen,
                     "{\"labels\":{\"alertname\":\"LinkDown\",\"source\":\"snmptrapd\","
                     "\"instance\":\"%s\",\"site\":\"%s\",\"device\":\"%s\",\"ifname\":\"%s\","
                     "\"ifindex\":\"%d\",\"job\":\"snmp\",\"team\":\"noc-%s\","
                     "\"customer\":\"cust-%03d\",\"service\":\"transit\",\"severity\":\"%s\"},"
                     "\"annotations\":{\"summary\":\"Link %s down on %s\","
                     "\"description\":\"IF-MIB::linkDown trap from %s (%s): ifIndex %d ifDescr %s "
                     "ifAdminStatus up(1) ifOperStatus down(2)\","
                     "\"runbook_url\":\"https://wiki.example.net/runbooks/LinkDown\","
                     "\"trap_oid\":\"1.3.6.1.6.3.1.1.5.3\",\"agent_addr\":\"%s\"},"
                     "\"startsAt\":\"%s\"%s%s%s}",
                     device, site, device, ifname, 500 + port, site, dev % 200, sev, ifname, device,
                     device, agent, 500 + port, ifname, agent, when,
                     resolved ? ",\"endsAt\":\"" : "", resolved ? ends : "", resolved ? "\"" : "");
    } else {
        n = snprintf(out, outlen,
                     "{\"source\":\"snmptrapd\",\"resource\":\"%s\",\"check\":\"LinkDown\","
                     "\"severity\":\"%s\",\"status\":\"%s\",\"summary\":\"Link %s down on %s\","
                     "\"description\":\"IF-MIB::linkDown trap from %s (%s): ifIndex %d ifDescr %s "
                     "ifAdminStatus up(1) ifOperStatus down(2)\","
                     "\"labels\":{\"site\":\"%s\",\"device\":\"%s\",\"ifname\":\"%s\","
                     "\"ifindex\":\"%d\",\"job\":\"snmp\",\"team\":\"noc-%s\","
                     "\"customer\":\"cust-%03d\",\"service\":\"transit\"},"
                     "\"annotations\":{\"runbook_url\":\"https://wiki.example.net/runbooks/"
                     "LinkDown\",\"trap_oid\":\"1.3.6.1.6.3.1.1.5.3\",\"agent_addr\":\"%s\"},"
                     "\"occurred_at\":\"%s\"}",
                     device, sev, resolved ? "resolved" : "firing", ifname, device, device, agent,
                     500 + port, ifname, site, device, ifname, 500 + port, site, dev % 200, agent,
                     when);
    }
    *len = n < 0 ? 0 : (size_t)n < outlen ? (size_t)n : outlen - 1;
}

static void pool_build(void)
{
    uint64_t rng = g_opts.seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t n = g_opts.resources < 65536 ? (size_t)g_opts.resources : 65536;
    g_pool.body = xcalloc(n, sizeof *g_pool.body);
    g_pool.len = xcalloc(n, sizeof *g_pool.len);
    g_pool.n = n;
    /* With more resources than entries, each entry picks a random one. */
    for (size_t i = 0; i < n; i++) {
        int r = (size_t)g_opts.resources == n ? (int)i : (int)(rng_next(&rng) % g_opts.resources);
        char buf[2048];
        size_t len;
        pool_render(&rng, r, buf, sizeof buf, &len);
        g_pool.body[i] = xstrndup(buf, len);
        g_pool.len[i] = len;
        g_pool.bytes += len;
    }
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_next(&rng) % i;
        char *b = g_pool.body[i - 1];
        size_t l = g_pool.len[i - 1];
        g_pool.body[i - 1] = g_pool.body[j];
        g_pool.len[i - 1] = g_pool.len[j];
        g_pool.body[j] = b;
        g_pool.len[j] = l;
    }
}

/* ---- shared run state ---- */

static atomic_int_fast64_t g_claimed;     /* events handed to requests so far */
static atomic_bool g_stop;                /* no new requests after this */
static atomic_int_fast64_t g_sent_events; /* progress counters, relaxed */
static atomic_int_fast64_t g_acked_events;
static atomic_int_fast64_t g_errors;
static atomic_int_fast64_t g_requests_done;
static int64_t g_start_us;

/* Claims up to batch events; returns how many (0: the count is reached or the
 * run is stopping) and the index of the first in *first. */
static int claim_events(int64_t *first)
{
    if (atomic_load(&g_stop)) {
        return 0;
    }
    int64_t b = g_opts.batch;
    int64_t start = atomic_fetch_add(&g_claimed, b);
    if (g_opts.count > 0 && start >= g_opts.count) {
        return 0;
    }
    if (g_opts.count > 0 && start + b > g_opts.count) {
        b = g_opts.count - start;
    }
    *first = start;
    return (int)b;
}

/* Renders the body of a request for events first .. first+n-1 into buf.
 * Batch 1 of the native format is a bare object, as most senders post it. */
static size_t body_render(char *buf, int64_t first, int n)
{
    bool array = n > 1 || g_opts.target == TARGET_ALERTMANAGER;
    size_t off = 0;
    if (array) {
        buf[off++] = '[';
    }
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)(first + i) % g_pool.n;
        if (i > 0) {
            buf[off++] = ',';
        }
        memcpy(buf + off, g_pool.body[k], g_pool.len[k]);
        off += g_pool.len[k];
    }
    if (array) {
        buf[off++] = ']';
    }
    return off;
}

static size_t body_max(void)
{
    size_t longest = 0;
    for (size_t i = 0; i < g_pool.n; i++) {
        longest = g_pool.len[i] > longest ? g_pool.len[i] : longest;
    }
    return (size_t)g_opts.batch * (longest + 1) + 16;
}

/* Reads the N of "accepted":N from a reply body; -1 when absent. Also counts
 * the rejected entries (each carries an "index"). */
static int64_t reply_accepted(const char *body, size_t len, int64_t *rejected)
{
    static const char key[] = "\"accepted\"";
    const char *p = memmem(body, len, key, sizeof key - 1);
    *rejected = 0;
    if (!p) {
        return -1;
    }
    const char *end = body + len;
    p += sizeof key - 1;
    while (p < end && (*p == ' ' || *p == ':' || *p == '\t')) {
        p++;
    }
    int64_t v = 0;
    bool digits = false;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        digits = true;
    }
    for (const char *q = body; (q = memmem(q, (size_t)(end - q), "\"index\"", 7)); q += 7) {
        (*rejected)++;
    }
    return digits ? v : -1;
}

/* Per-thread results, merged after the run. */
typedef struct {
    hist_t hist;
    int64_t errors[ERR_SLOTS];
    int64_t requests;
    int64_t events_sent;
    int64_t events_acked;
    int64_t events_rejected;
    int64_t connect_failures;
    int64_t late; /* open loop: sends that found no free connection */
    int64_t last_done_us;
} stats_t;

/* Records the outcome of one request. accepted < 0 means the request failed
 * with error class err (an HTTP status or an ERR_* slot). */
static void stats_done(stats_t *st, int64_t t_sent, int nevents, int err, int64_t accepted,
                       int64_t rejected)
{
    int64_t t = now_us();
    st->last_done_us = t;
    atomic_fetch_add_explicit(&g_requests_done, 1, memory_order_relaxed);
    if (accepted < 0) {
        st->errors[err >= 0 && err < ERR_SLOTS ? err : ERR_BAD_REPLY]++;
        atomic_fetch_add_explicit(&g_errors, 1, memory_order_relaxed);
        return;
    }
    st->requests++;
    hist_add(&st->hist, t - t_sent);
    st->events_acked += accepted;
    st->events_rejected += rejected > 0 ? rejected : (nevents > accepted ? nevents - accepted : 0);
    atomic_fetch_add_explicit(&g_acked_events, accepted, memory_order_relaxed);
}

/* Open loop: how many requests this worker may start now. */
static int64_t open_loop_due(int64_t issued, double share)
{
    double elapsed = (double)(now_us() - g_start_us) / 1e6;
    return (int64_t)(elapsed * g_opts.rate * share) + 1 - issued;
}

/* ---- HTTP over raw sockets ---- */

typedef enum { HC_DOWN, HC_CONNECTING, HC_IDLE, HC_BUSY } hc_state_t;

typedef struct {
    int fd;
    hc_state_t state;
    char *wbuf;
    size_t wlen, woff;
    char *rbuf;
    size_t rlen, rcap;
    int64_t t_sent;
    int nevents;
    int64_t retry_at; /* HC_DOWN: reconnect, HC_IDLE: send, not before this */
} hconn_t;

typedef struct {
    int id;
    pthread_t thread;
    hconn_t *conns;
    int nconns;
    int ep;
    size_t hdr_room;
    int64_t issued; /* open loop */
    stats_t st;
} hworker_t;

static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;
static char g_req_head[1024]; /* request line and fixed headers, up to Content-Length: */
static size_t g_req_head_len;

static void hconn_close(hworker_t *w, hconn_t *c, int64_t retry_after_us)
{
    if (c->fd >= 0) {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = HC_DOWN;
    c->rlen = 0;
    c->retry_at = now_us() + retry_after_us;
}

static void hconn_fail(hworker_t *w, hconn_t *c, int err)
{
    if (c->state == HC_BUSY) {
        stats_done(&w->st, c->t_sent, c->nevents, err, -1, 0);
    }
    hconn_close(w, c, 100000);
}

static void hconn_connect(hworker_t *w, hconn_t *c)
{
    int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("loadgen: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->rlen = 0;
    if (connect(fd, (struct sockaddr *)&g_addr, g_addrlen) == 0) {
        c->state = HC_IDLE;
    } else if (errno == EINPROGRESS) {
        c->state = HC_CONNECTING;
    } else {
        w->st.connect_failures++;
        hconn_close(w, c, 100000);
        return;
    }
    /* Edge-triggered: one registration for the connection's life, no
     * epoll_ctl per request. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Writes what the socket takes; 0 on progress or EAGAIN, -1 on error. */
static int hconn_flush(hconn_t *c)
{
    while (c->woff < c->wlen) {
        ssize_t k = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (k > 0) {
            c->woff += (size_t)k;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Starts the next request on an idle connection; false when there is none
 * to send (count reached or stopping). */
static bool hconn_send(hworker_t *w, hconn_t *c)
{
    int64_t first;
    int n = claim_events(&first);
    if (n == 0) {
        return false;
    }
    size_t body_off = w->hdr_room;
    size_t blen = body_render(c->wbuf + body_off, first, n);
    /* The head is written right before the body so that one send() carries
     * the whole request. */
    char cl[48];
    int cll = snprintf(cl, sizeof cl, "%zu\r\n\r\n", blen);
    size_t head = g_req_head_len + (size_t)cll;
    memcpy(c->wbuf + body_off - head, g_req_head, g_req_head_len);
    memcpy(c->wbuf + body_off - (size_t)cll, cl, (size_t)cll);
    c->woff = body_off - head;
    c->wlen = body_off + blen;
    c->nevents = n;
    c->state = HC_BUSY;
    c->rlen = 0;
    c->t_sent = now_us();
    w->st.events_sent += n;
    w->issued++;
    atomic_fetch_add_explicit(&g_sent_events, n, memory_order_relaxed);
    if (hconn_flush(c) < 0) {
        hconn_fail(w, c, ERR_IO);
    }
    return true;
}

typedef struct {
    int status;
    const char *body;
    size_t body_len;
    size_t consumed;
    bool close;
} http_resp_t;

static bool header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* Decodes a chunked body in place at b (length avail). Returns the decoded
 * length and sets *used, or -1 when incomplete, -2 when malformed. */
static ssize_t chunked_decode(char *b, size_t avail, size_t *used)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *eol = memmem(b + in, avail - in, "\r\n", 2);
        if (!eol) {
            return -1;
        }
        char *endp;
        unsigned long sz = strtoul(b + in, &endp, 16);
        if (endp == b + in) {
            return -2;
        }
        in = (size_t)(eol - b) + 2;
        if (sz == 0) {
            /* No trailers are expected: the empty line ends the message. */
            if (avail - in < 2) {
                return -1;
            }
            *used = in + 2;
            return (ssize_t)out;
        }
        if (avail - in < sz + 2) {
            return -1;
        }
        memmove(b + out, b + in, sz);
        out += sz;
        in += sz + 2;
    }
}

/* Parses one response from buf. Returns 1 when complete, 0 when more bytes
 * are needed, -1 when it is not HTTP we understand. Decoding a chunked body
 * rewrites buf, so call it again only with fresh bytes after a 0. */
static int http_response_parse(char *buf, size_t len, http_resp_t *r)
{
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end) {
        return len > 65536 ? -1 : 0;
    }
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) {
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->status = atoi(buf + 9);
    bool chunked = false, has_length = false;
    size_t clen = 0;
    const char *line = (const char *)memchr(buf, '\n', (size_t)(end - buf)) + 1;
    while (line < end) {
        const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        size_t ll = (size_t)(eol - line);
        const char *val = memchr(line, ':', ll);
        if (header_is(line, ll, "content-length")) {
            clen = strtoull(val + 1, NULL, 10);
            has_length = true;
        } else if (header_is(line, ll, "transfer-encoding")) {
            chunked = memmem(val, (size_t)(eol - val), "chunked", 7) != NULL;
        } else if (header_is(line, ll, "connection")) {
            r->close = memmem(val, (size_t)(eol - val), "close", 5) != NULL;
        }
        line = eol + 2;
    }
    size_t hdr = (size_t)(end - buf) + 4;
    if (chunked) {
        size_t used;
        ssize_t dl = chunked_decode(buf + hdr, len - hdr, &used);
        if (dl == -2) {
            return -1;
        }
        if (dl == -1) {
            return 0;
        }
        r->body = buf + hdr;
        r->body_len = (size_t)dl;
        r->consumed = len; /* decoded in place: nothing after it is usable */
        return 1;
    }
    if (!has_length && r->status != 204 && r->status != 304) {
        return -1; /* body until close: not something a keep-alive server does */
    }
    if (len - hdr < clen) {
        return 0;
    }
    r->body = buf + hdr;
    r->body_len = clen;
    r->consumed = hdr + clen;
    return 1;
}

/* Handles a complete response on c. */
static void hconn_complete(hworker_t *w, hconn_t *c, const http_resp_t *r)
{
    if (r->status < 200 || r->status > 299) {
        stats_done(&w->st, c->t_sent, c->nevents, r->status, -1, 0);
    } else if (g_opts.target == TARGET_ALERTMANAGER) {
        stats_done(&w->st, c->t_sent, c->nevents, 0, c->nevents, 0);
    } else {
        int64_t rejected = 0;
        int64_t acc = reply_accepted(r->body, r->body_len, &rejected);
        stats_done(&w->st, c->t_sent, c->nevents, ERR_BAD_REPLY, acc, rejected);
    }
    c->state = HC_IDLE;
    c->rlen = 0;
    /* A server that says "overloaded" or "unavailable" gets a pause on this
     * connection, as a real sender would give it, instead of a retry storm
     * that would measure how fast it can refuse. */
    c->retry_at = (r->status == 429 || r->status == 503) ? now_us() + 100000 : 0;
    if (r->close) {
        hconn_close(w, c, 0);
    }
}

/* Reads all there is (edge-triggered) and completes a response if whole. */
static void hconn_read(hworker_t *w, hconn_t *c)
{
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            c->rcap *= 2;
            c->rbuf = xrealloc(c->rbuf, c->rcap);
        }
        ssize_t k = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1, 0);
        if (k > 0) {
            c->rlen += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        /* EOF or error: a server closing an idle keep-alive connection is
         * normal; one closing under a request is an error. */
        hconn_fail(w, c, ERR_IO);
        return;
    }
    if (c->state != HC_BUSY) {
        if (c->rlen > 0) {
            hconn_fail(w, c, ERR_BAD_REPLY); /* bytes nobody asked for */
        }
        return;
    }
    http_resp_t r;
    int rc = http_response_parse(c->rbuf, c->rlen, &r);
    if (rc < 0 || (rc == 1 && r.consumed != c->rlen)) {
        hconn_fail(w, c, ERR_BAD_REPLY);
    } else if (rc == 1) {
        hconn_complete(w, c, &r);
    }
}

static void hconn_event(hworker_t *w, hconn_t *c, uint32_t events)
{
    if (c->state == HC_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            w->st.connect_failures++;
            hconn_close(w, c, 100000);
            return;
        }
        if (!(events & EPOLLOUT)) {
            return;
        }
        c->state = HC_IDLE;
    }
    if ((events & EPOLLOUT) && c->state == HC_BUSY && c->woff < c->wlen) {
        if (hconn_flush(c) < 0) {
            hconn_fail(w, c, ERR_IO);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        hconn_read(w, c);
    }
}

static bool hworker_busy(const hworker_t *w)
{
    for (int i = 0; i < w->nconns; i++) {
        if (w->conns[i].state == HC_BUSY) {
            return true;
        }
    }
    return false;
}

static void *hworker_run(void *arg)
{
    hworker_t *w = arg;
    int64_t timeout_us = (int64_t)(g_opts.timeout * 1e6);
    double share = (double)w->nconns / (double)g_opts.connections;
    struct epoll_event evs[256];
    int64_t last_scan = 0;
    for (;;) {
        bool more =
            !atomic_load(&g_stop) && (g_opts.count <= 0 || atomic_load(&g_claimed) < g_opts.count);
        if (!more && !hworker_busy(w)) {
            break;
        }
        int64_t t = now_us();
        int64_t due = g_opts.rate > 0 ? open_loop_due(w->issued, share) : INT64_MAX;
        for (int i = 0; i < w->nconns && more; i++) {
            hconn_t *c = &w->conns[i];
            if (c->state == HC_DOWN && t >= c->retry_at) {
                hconn_connect(w, c);
            }
            if (c->state == HC_IDLE && due > 0 && t >= c->retry_at) {
                if (!hconn_send(w, c)) {
                    more = false;
                }
                due--;
            }
        }
        if (g_opts.rate > 0 && due > 0 && more) {
            w->st.late++;
        }
        int n = epoll_wait(w->ep, evs, 256, g_opts.rate > 0 ? 1 : 20);
        for (int i = 0; i < n; i++) {
            hconn_t *c = evs[i].data.ptr;
            hconn_event(w, c, evs[i].events);
            /* Closed loop: the next request leaves as soon as a reply lands. */
            if (c->state == HC_IDLE && g_opts.rate <= 0 && c->retry_at <= 0) {
                hconn_send(w, c);
            }
        }
        t = now_us();
        if (t - last_scan > 100000) {
            last_scan = t;
            for (int i = 0; i < w->nconns; i++) {
                hconn_t *c = &w->conns[i];
                if (c->state == HC_BUSY && t - c->t_sent > timeout_us) {
                    hconn_fail(w, c, ERR_TIMEOUT);
                }
            }
        }
    }
    for (int i = 0; i < w->nconns; i++) {
        if (w->conns[i].fd >= 0) {
            close(w->conns[i].fd);
        }
    }
    return NULL;
}

static void http_setup(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(g_opts.host, g_opts.port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "loadgen: %s: %s\n", g_opts.host, gai_strerror(rc));
        exit(1);
    }
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    int n = snprintf(g_req_head, sizeof g_req_head,
                     "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: alertdesk-loadgen\r\n"
                     "Content-Type: application/json\r\n%s%s%sContent-Length: ",
                     g_opts.path, g_opts.host, g_opts.port,
                     g_opts.token ? "Authorization: Bearer " : "", g_opts.token ? g_opts.token : "",
                     g_opts.token ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof g_req_head) {
        fprintf(stderr, "loadgen: request head too long\n");
        exit(1);
    }
    g_req_head_len = (size_t)n;
}

static hworker_t *http_workers_new(int nthreads)
{
    hworker_t *ws = xcalloc((size_t)nthreads, sizeof *ws);
    size_t room = g_req_head_len + 32;
    size_t wcap = room + body_max();
    for (int t = 0; t < nthreads; t++) {
        hworker_t *w = &ws[t];
        w->id = t;
        w->hdr_room = room;
        w->nconns = g_opts.connections / nthreads + (t < g_opts.connections % nthreads);
        w->conns = xcalloc((size_t)w->nconns, sizeof *w->conns);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        for (int i = 0; i < w->nconns; i++) {
            hconn_t *c = &w->conns[i];
            c->fd = -1;
            c->state = HC_DOWN;
            c->wbuf = xmalloc(wcap);
            c->rcap = 8192;
            c->rbuf = xmalloc(c->rcap);
        }
    }
    return ws;
}

/* ---- ZeroMQ DEALER ---- */

typedef struct {
    void *sock;
    int64_t *t_sent; /* ring of in-flight requests, replies come back in order */
    int *nevents;
    int head, count;
} zconn_t;

typedef struct {
    pthread_t thread;
    void *ctx;
    zconn_t *conns;
    int nconns;
    char *buf;
    int64_t issued;
    stats_t st;
} zworker_t;

static void zconn_open(zworker_t *w, zconn_t *c)
{
    c->sock = zmq_socket(w->ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(c->sock, g_opts.url) != 0) {
        fprintf(stderr, "loadgen: zmq_connect %s: %s\n", g_opts.url, zmq_strerror(zmq_errno()));
        exit(1);
    }
    c->head = c->count = 0;
}

/* Fails every request in flight on c and replaces the socket, so that late
 * replies cannot be matched to newer requests. */
static void zconn_reset(zworker_t *w, zconn_t *c, int err)
{
    while (c->count > 0) {
        stats_done(&w->st, c->t_sent[c->head], c->nevents[c->head], err, -1, 0);
        c->head = (c->head + 1) % g_opts.inflight;
        c->count--;
    }
    zmq_close(c->sock);
    zconn_open(w, c);
}

static bool zconn_send(zworker_t *w, zconn_t *c)
{
    int64_t first;
    int n = claim_events(&first);
    if (n == 0) {
        return false;
    }
    size_t len = body_render(w->buf, first, n);
    int slot = (c->head + c->count) % g_opts.inflight;
    c->t_sent[slot] = now_us();
    c->nevents[slot] = n;
    if (zmq_send(c->sock, w->buf, len, 0) < 0) {
        stats_done(&w->st, c->t_sent[slot], n, ERR_IO, -1, 0);
        return true;
    }
    c->count++;
    w->st.events_sent += n;
    w->issued++;
    atomic_fetch_add_explicit(&g_sent_events, n, memory_order_relaxed);
    return true;
}

static void zconn_receive(zworker_t *w, zconn_t *c)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        /* One frame per reply; anything more is not our protocol. */
        bool more = zmq_msg_more(&msg);
        if (c->count == 0) {
            zmq_msg_close(&msg);
            continue; /* a reply to nothing we sent */
        }
        int64_t t_sent = c->t_sent[c->head];
        int nev = c->nevents[c->head];
        c->head = (c->head + 1) % g_opts.inflight;
        c->count--;
        int64_t rejected = 0;
        int64_t acc = more ? -1 : reply_accepted(zmq_msg_data(&msg), zmq_msg_size(&msg), &rejected);
        stats_done(&w->st, t_sent, nev, ERR_BAD_REPLY, acc, acc < 0 ? 0 : rejected);
        zmq_msg_close(&msg);
    }
}

static void *zworker_run(void *arg)
{
    zworker_t *w = arg;
    int64_t timeout_us = (int64_t)(g_opts.timeout * 1e6);
    zmq_pollitem_t *items = xcalloc((size_t)w->nconns, sizeof *items);
    for (;;) {
        bool more =
            !atomic_load(&g_stop) && (g_opts.count <= 0 || atomic_load(&g_claimed) < g_opts.count);
        int busy = 0;
        for (int i = 0; i < w->nconns; i++) {
            busy += w->conns[i].count;
        }
        if (!more && busy == 0) {
            break;
        }
        int64_t due = g_opts.rate > 0 ? open_loop_due(w->issued, 1.0) : INT64_MAX;
        for (int i = 0; i < w->nconns && more; i++) {
            zconn_t *c = &w->conns[i];
            while (c->count < g_opts.inflight && due > 0 && more) {
                more = zconn_send(w, c);
                due--;
            }
        }
        if (g_opts.rate > 0 && due > 0 && more) {
            w->st.late++;
        }
        for (int i = 0; i < w->nconns; i++) {
            items[i] = (zmq_pollitem_t){.socket = w->conns[i].sock, .events = ZMQ_POLLIN};
        }
        zmq_poll(items, w->nconns, g_opts.rate > 0 ? 1 : 20);
        int64_t t = now_us();
        for (int i = 0; i < w->nconns; i++) {
            zconn_t *c = &w->conns[i];
            if (items[i].revents & ZMQ_POLLIN) {
                zconn_receive(w, c);
            }
            if (c->count > 0 && t - c->t_sent[c->head] > timeout_us) {
                zconn_reset(w, c, ERR_TIMEOUT);
            }
        }
    }
    free(items);
    return NULL;
}

static zworker_t *zmq_worker_new(void)
{
    zworker_t *w = xcalloc(1, sizeof *w);
    w->ctx = zmq_ctx_new();
    w->nconns = g_opts.connections;
    w->conns = xcalloc((size_t)w->nconns, sizeof *w->conns);
    w->buf = xmalloc(body_max());
    for (int i = 0; i < w->nconns; i++) {
        zconn_t *c = &w->conns[i];
        c->t_sent = xcalloc((size_t)g_opts.inflight, sizeof *c->t_sent);
        c->nevents = xcalloc((size_t)g_opts.inflight, sizeof *c->nevents);
        zconn_open(w, c);
    }
    return w;
}

/* ---- options, progress, summary ---- */

static void usage(FILE *out)
{
    fprintf(out, "usage: loadgen --target http|zmq|alertmanager [options]\n"
                 "  --url URL          http://host:port[/path] or a ZeroMQ endpoint\n"
                 "                     (defaults: http://127.0.0.1:9470/api/v1/events,\n"
                 "                     tcp://127.0.0.1:9480, http://127.0.0.1:9093/api/v2/alerts)\n"
                 "  --token TOKEN      send Authorization: Bearer TOKEN (HTTP)\n"
                 "  --batch B          events per request (1)\n"
                 "  --count C          stop after C events (0 = no limit)\n"
                 "  --duration S       stop after S seconds (10); whichever comes first\n"
                 "  --connections N    HTTP connections or DEALER sockets (8)\n"
                 "  --threads T        HTTP generator threads (1)\n"
                 "  --inflight W       ZeroMQ requests in flight per socket (4)\n"
                 "  --rate R           open loop: R requests/s in all (0 = closed loop)\n"
                 "  --resources K      distinct resources the alerts are about (5000)\n"
                 "  --seed S           data seed (1)\n"
                 "  --timeout S        a request older than S seconds fails (30)\n"
                 "Prints progress to stderr each second and one key=value line on stdout.\n");
}

static void url_split(void)
{
    const char *u = g_opts.url;
    if (strncmp(u, "http://", 7) != 0) {
        fprintf(stderr, "loadgen: only http:// URLs: %s\n", u);
        exit(2);
    }
    u += 7;
    const char *slash = strchr(u, '/');
    size_t hl = slash ? (size_t)(slash - u) : strlen(u);
    char hostport[sizeof g_opts.host];
    if (hl >= sizeof hostport) {
        fprintf(stderr, "loadgen: URL too long\n");
        exit(2);
    }
    memcpy(hostport, u, hl);
    hostport[hl] = '\0';
    const char *def_path =
        g_opts.target == TARGET_ALERTMANAGER ? "/api/v2/alerts" : "/api/v1/events";
    snprintf(g_opts.path, sizeof g_opts.path, "%s", slash && slash[1] ? slash : def_path);
    char *colon = strrchr(hostport, ':');
    if (colon) {
        *colon = '\0';
        snprintf(g_opts.port, sizeof g_opts.port, "%s", colon + 1);
    } else {
        snprintf(g_opts.port, sizeof g_opts.port, "80");
    }
    snprintf(g_opts.host, sizeof g_opts.host, "%s", hostport);
}

static void opts_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"target", required_argument, NULL, 't'},   {"url", required_argument, NULL, 'u'},
        {"endpoint", required_argument, NULL, 'u'}, {"token", required_argument, NULL, 'k'},
        {"batch", required_argument, NULL, 'b'},    {"count", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'}, {"connections", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 'T'},  {"inflight", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},     {"resources", required_argument, NULL, 'K'},
        {"seed", required_argument, NULL, 's'},     {"timeout", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    g_opts = (opts_t){.target = TARGET_HTTP,
                      .batch = 1,
                      .duration = 10,
                      .connections = 8,
                      .threads = 1,
                      .inflight = 4,
                      .resources = 5000,
                      .seed = 1,
                      .timeout = 30};
    const char *target = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 't':
            target = optarg;
            break;
        case 'u':
            g_opts.url = optarg;
            break;
        case 'k':
            g_opts.token = optarg;
            break;
        case 'b':
            g_opts.batch = atoi(optarg);
            break;
        case 'c':
            g_opts.count = strtoll(optarg, NULL, 10);
            break;
        case 'd':
            g_opts.duration = atof(optarg);
            break;
        case 'n':
            g_opts.connections = atoi(optarg);
            break;
        case 'T':
            g_opts.threads = atoi(optarg);
            break;
        case 'w':
            g_opts.inflight = atoi(optarg);
            break;
        case 'r':
            g_opts.rate = atof(optarg);
            break;
        case 'K':
            g_opts.resources = atoi(optarg);
            break;
        case 's':
            g_opts.seed = strtoull(optarg, NULL, 10);
            break;
        case 'o':
            g_opts.timeout = atof(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (!target || optind != argc) {
        usage(stderr);
        exit(2);
    }
    if (strcmp(target, "http") == 0) {
        g_opts.target = TARGET_HTTP;
    } else if (strcmp(target, "zmq") == 0) {
        g_opts.target = TARGET_ZMQ;
    } else if (strcmp(target, "alertmanager") == 0) {
        g_opts.target = TARGET_ALERTMANAGER;
    } else {
        fprintf(stderr, "loadgen: unknown target %s\n", target);
        exit(2);
    }
    if (g_opts.batch < 1 || g_opts.batch > 100000 || g_opts.connections < 1 ||
        g_opts.connections > 10000 || g_opts.threads < 1 || g_opts.threads > 64 ||
        g_opts.inflight < 1 || g_opts.inflight > 10000 || g_opts.resources < 1 ||
        g_opts.duration <= 0 || g_opts.timeout <= 0 || g_opts.rate < 0 || g_opts.count < 0) {
        fprintf(stderr, "loadgen: an option is out of range (see --help)\n");
        exit(2);
    }
    if (g_opts.threads > g_opts.connections) {
        g_opts.threads = g_opts.connections;
    }
    if (!g_opts.url) {
        g_opts.url = g_opts.target == TARGET_ZMQ            ? "tcp://127.0.0.1:9480"
                     : g_opts.target == TARGET_ALERTMANAGER ? "http://127.0.0.1:9093/api/v2/alerts"
                                                            : "http://127.0.0.1:9470/api/v1/events";
    }
    if (g_opts.target != TARGET_ZMQ) {
        url_split();
    }
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_stop, true);
}

static const char *target_name(target_t t)
{
    return t == TARGET_ZMQ ? "zmq" : t == TARGET_ALERTMANAGER ? "alertmanager" : "http";
}

static const char *err_name(int slot, char *buf, size_t len)
{
    if (slot == ERR_IO) {
        return "io";
    }
    if (slot == ERR_TIMEOUT) {
        return "timeout";
    }
    if (slot == ERR_BAD_REPLY) {
        return "bad_reply";
    }
    snprintf(buf, len, "%d", slot);
    return buf;
}

static void summary_print(const stats_t *st, int64_t elapsed_us)
{
    int64_t errors = 0;
    char by[512] = "";
    size_t off = 0;
    for (int i = 0; i < ERR_SLOTS; i++) {
        if (st->errors[i] == 0) {
            continue;
        }
        char nb[16];
        errors += st->errors[i];
        int k = snprintf(by + off, sizeof by - off, "%s%s:%" PRId64, off ? "," : "",
                         err_name(i, nb, sizeof nb), st->errors[i]);
        if (k > 0 && (size_t)k < sizeof by - off) {
            off += (size_t)k;
        }
    }
    double secs = (double)elapsed_us / 1e6;
    /* Our own CPU, so that a reader can tell how much of the 2 cores the
     * generator took from the server. */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("target=%s batch=%d connections=%d threads=%d inflight=%d rate=%g resources=%d "
           "event_bytes=%zu requests=%" PRId64 " events_sent=%" PRId64 " events_acked=%" PRId64
           " events_rejected=%" PRId64 " errors=%" PRId64 " errors_by_status=%s"
           " connect_failures=%" PRId64 " late=%" PRId64 " elapsed_s=%.3f events_per_s=%.0f"
           " requests_per_s=%.0f ack_latency_p50_ms=%.3f ack_latency_p90_ms=%.3f"
           " ack_latency_p99_ms=%.3f ack_latency_max_ms=%.3f loadgen_cpu_s=%.2f\n",
           target_name(g_opts.target), g_opts.batch, g_opts.connections,
           g_opts.target == TARGET_ZMQ ? 1 : g_opts.threads,
           g_opts.target == TARGET_ZMQ ? g_opts.inflight : 1, g_opts.rate, g_opts.resources,
           g_pool.bytes / (g_pool.n ? g_pool.n : 1), st->requests, st->events_sent,
           st->events_acked, st->events_rejected, errors, off ? by : "none", st->connect_failures,
           st->late, secs, secs > 0 ? (double)st->events_acked / secs : 0,
           secs > 0 ? (double)st->requests / secs : 0, hist_quantile_ms(&st->hist, 0.50),
           hist_quantile_ms(&st->hist, 0.90), hist_quantile_ms(&st->hist, 0.99),
           (double)st->hist.max_us / 1000.0, cpu);
    fflush(stdout);
}

static void stats_merge(stats_t *into, const stats_t *from)
{
    hist_merge(&into->hist, &from->hist);
    for (int i = 0; i < ERR_SLOTS; i++) {
        into->errors[i] += from->errors[i];
    }
    into->requests += from->requests;
    into->events_sent += from->events_sent;
    into->events_acked += from->events_acked;
    into->events_rejected += from->events_rejected;
    into->connect_failures += from->connect_failures;
    into->late += from->late;
    if (from->last_done_us > into->last_done_us) {
        into->last_done_us = from->last_done_us;
    }
}

/* Prints progress each second until the workers are done (*done set) and
 * raises g_stop when the duration is over. */
static void progress_loop(atomic_bool *done)
{
    int64_t last_t = g_start_us, last_acked = 0;
    int64_t end = g_start_us + (int64_t)(g_opts.duration * 1e6);
    while (!atomic_load(done)) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
        int64_t t = now_us();
        if (t >= end) {
            atomic_store(&g_stop, true);
        }
        if (t - last_t >= 1000000) {
            int64_t acked = atomic_load(&g_acked_events);
            fprintf(stderr,
                    "loadgen: t=%.1fs sent=%" PRId64 " acked=%" PRId64 " errors=%" PRId64
                    " rate=%.0f ev/s\n",
                    (double)(t - g_start_us) / 1e6, (int64_t)atomic_load(&g_sent_events), acked,
                    (int64_t)atomic_load(&g_errors),
                    (double)(acked - last_acked) * 1e6 / (double)(t - last_t));
            last_t = t;
            last_acked = acked;
        }
    }
}

typedef struct {
    void *(*fn)(void *);
    void *arg;
    atomic_int *left;
    atomic_bool *done;
} runner_t;

static void *runner_main(void *arg)
{
    runner_t *r = arg;
    r->fn(r->arg);
    if (atomic_fetch_sub(r->left, 1) == 1) {
        atomic_store(r->done, true);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    opts_parse(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    pool_build();

    int nworkers = g_opts.target == TARGET_ZMQ ? 1 : g_opts.threads;
    hworker_t *hws = NULL;
    zworker_t *zw = NULL;
    if (g_opts.target == TARGET_ZMQ) {
        zw = zmq_worker_new();
    } else {
        http_setup();
        hws = http_workers_new(nworkers);
    }
    fprintf(stderr,
            "loadgen: target=%s url=%s batch=%d connections=%d pool=%zu avg_event_bytes=%zu\n",
            target_name(g_opts.target), g_opts.url, g_opts.batch, g_opts.connections, g_pool.n,
            g_pool.bytes / (g_pool.n ? g_pool.n : 1));

    atomic_int left = nworkers;
    atomic_bool done = false;
    runner_t *runners = xcalloc((size_t)nworkers, sizeof *runners);
    pthread_t *threads = xcalloc((size_t)nworkers, sizeof *threads);
    g_start_us = now_us();
    for (int i = 0; i < nworkers; i++) {
        runners[i] = (runner_t){.fn = zw ? zworker_run : hworker_run,
                                .arg = zw ? (void *)zw : (void *)&hws[i],
                                .left = &left,
                                .done = &done};
        pthread_create(&threads[i], NULL, runner_main, &runners[i]);
    }
    progress_loop(&done);
    stats_t *total = xcalloc(1, sizeof *total);
    for (int i = 0; i < nworkers; i++) {
        pthread_join(threads[i], NULL);
        stats_merge(total, zw ? &zw->st : &hws[i].st);
    }
    int64_t end = total->last_done_us > 0 ? total->last_done_us : now_us();
    summary_print(total, end - g_start_us);
    /* Sockets, buffers and the pool die with the process. */
    if (zw) {
        for (int i = 0; i < zw->nconns; i++) {
            zmq_close(zw->conns[i].sock);
        }
        zmq_ctx_term(zw->ctx);
    }
    return 0;
}
