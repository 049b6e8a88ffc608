/*
 * pg_insert_baseline - how fast PostgreSQL itself takes our rows.
 *
 * The ceiling for alertdesk-ingest's durable intake: the same ~600-byte
 * LinkDown events that loadgen posts, as rows of the events table, inserted
 * with libpq alone in batches of B rows per commit, with synchronous_commit
 * on (durable, as ingest is). It tries each method and prints one key=value
 * line per method, so that we know which one is fastest and how far ingest is
 * from the raw rate:
 *
 *   copy_binary       COPY ... FROM STDIN (FORMAT binary), one COPY per commit
 *   copy_binary_head  the same inside BEGIN .. COMMIT with the stream head
 *                     compare-and-set that ingest does (one more round trip)
 *   copy_text         COPY ... FROM STDIN, text format
 *   insert            one multi-row INSERT with B x 17 parameters (prepared)
 *
 * The scratch table bench_events is a copy of events (LIKE events INCLUDING
 * ALL: columns, checks, indexes; partitioned by received_at with a default
 * partition, as events is) when the schema is migrated, else an equivalent
 * table declared here. It is emptied before each method and dropped at the
 * end. Nothing here touches events itself.
 *
 * The rows are rendered as in loadgen.c (keep the two in step); the
 * fingerprint is a stand-in hash of the same shape, not ours.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "xalloc.h"

#define NCOLS 17

typedef struct {
    const char *dsn;
    int64_t count;
    int batch;
    int connections;
    int resources;
    uint64_t seed;
    bool raw;
    bool keep;
    const char *methods;
} opts_t;

static opts_t g_opts;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- the rows ---- */

typedef struct {
    const char *key;
    char *value;
} kv_t;

#define NLABELS      8
#define NANNOTATIONS 3

/* One event in typed columns, as ingest would store it. */
typedef struct {
    int64_t occurred_us; /* Unix epoch, microseconds */
    int16_t severity;    /* 1 info .. 5 critical */
    int16_t status;      /* 1 firing, 2 resolved */
    char *resource;
    char *summary;
    char *description;
    char fingerprint[33];
    kv_t labels[NLABELS]; /* sorted by key, as hstore keeps them */
    kv_t annotations[NANNOTATIONS];
    char *raw; /* the native JSON body */
} row_t;

static const char *const SITES[] = {"ams1", "fra2", "lon3", "par1", "mad2", "waw1", "sto1", "mil2"};
#define NSITES ((int)(sizeof SITES / sizeof SITES[0]))

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    return h;
}

static void row_make(row_t *r, uint64_t *rng, int resource)
{
    int dev = resource / 48, port = resource % 48;
    const char *site = SITES[dev % NSITES];
    char device[64], ifname[32], agent[32], when[32];
    snprintf(device, sizeof device, "sw%04d.%s", dev, site);
    snprintf(ifname, sizeof ifname, "xe-0/0/%d", port);
    snprintf(agent, sizeof agent, "10.%d.%d.%d", 10 + dev % NSITES, (dev / 250) % 250,
             dev % 250 + 1);
    bool resolved = rng_next(rng) % 10 == 0;
    time_t t = time(NULL) - (time_t)(rng_next(rng) % 600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bool major = port % 7 == 0;

    r->occurred_us = (int64_t)t * 1000000;
    r->severity = major ? 4 : 5;
    r->status = resolved ? 2 : 1;
    r->resource = xstrdup(device);
    r->summary = xasprintf("Link %s down on %s", ifname, device);
    r->description = xasprintf("IF-MIB::linkDown trap from %s (%s): ifIndex %d ifDescr %s "
                               "ifAdminStatus up(1) ifOperStatus down(2)",
                               device, agent, 500 + port, ifname);
    r->labels[0] = (kv_t){"customer", xasprintf("cust-%03d", dev % 200)};
    r->labels[1] = (kv_t){"device", xstrdup(device)};
    r->labels[2] = (kv_t){"ifindex", xasprintf("%d", 500 + port)};
    r->labels[3] = (kv_t){"ifname", xstrdup(ifname)};
    r->labels[4] = (kv_t){"job", xstrdup("snmp")};
    r->labels[5] = (kv_t){"service", xstrdup("transit")};
    r->labels[6] = (kv_t){"site", xstrdup(site)};
    r->labels[7] = (kv_t){"team", xasprintf("noc-%s", site)};
    r->annotations[0] = (kv_t){"agent_addr", xstrdup(agent)};
    r->annotations[1] =
        (kv_t){"runbook_url", xstrdup("https://wiki.example.net/runbooks/LinkDown")};
    r->annotations[2] = (kv_t){"trap_oid", xstrdup("1.3.6.1.6.3.1.1.5.3")};
    uint64_t h1 = fnv1a(0xcbf29ce484222325ULL, "snmptrapd");
    h1 = fnv1a(h1, device);
    h1 = fnv1a(h1, ifname);
    uint64_t h2 = fnv1a(h1 ^ 0x9E3779B97F4A7C15ULL, "LinkDown");
    snprintf(r->fingerprint, sizeof r->fingerprint, "%016" PRIx64 "%016" PRIx64, h1, h2);
    r->raw = xasprintf(
        "{\"source\":\"snmptrapd\",\"resource\":\"%s\",\"check\":\"LinkDown\","
        "\"severity\":\"%s\",\"status\":\"%s\",\"summary\":\"%s\",\"description\":\"%s\","
        "\"labels\":{\"site\":\"%s\",\"device\":\"%s\",\"ifname\":\"%s\",\"ifindex\":\"%d\","
        "\"job\":\"snmp\",\"team\":\"noc-%s\",\"customer\":\"cust-%03d\",\"service\":\"transit\"},"
        "\"annotations\":{\"runbook_url\":\"https://wiki.example.net/runbooks/LinkDown\","
        "\"trap_oid\":\"1.3.6.1.6.3.1.1.5.3\",\"agent_addr\":\"%s\"},\"occurred_at\":\"%s\"}",
        device, major ? "major" : "critical", resolved ? "resolved" : "firing", r->summary,
        r->description, site, device, ifname, 500 + port, site, dev % 200, agent, when);
}

typedef struct {
    row_t *rows;
    size_t n;
    size_t raw_bytes;
} pool_t;

static pool_t g_pool;

static void pool_build(void)
{
    uint64_t rng = g_opts.seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t n = g_opts.resources < 65536 ? (size_t)g_opts.resources : 65536;
    g_pool.rows = xcalloc(n, sizeof *g_pool.rows);
    g_pool.n = n;
    for (size_t i = 0; i < n; i++) {
        int r = (size_t)g_opts.resources == n ? (int)i : (int)(rng_next(&rng) % g_opts.resources);
        row_make(&g_pool.rows[i], &rng, r);
        g_pool.raw_bytes += strlen(g_pool.rows[i].raw);
    }
}

/* ---- a growing byte buffer ---- */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_need(buf_t *b, size_t more)
{
    if (b->len + more > b->cap) {
        b->cap = (b->len + more) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
}

static void buf_put(buf_t *b, const void *data, size_t n)
{
    buf_need(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void buf_be(buf_t *b, uint64_t v, int bytes)
{
    unsigned char tmp[8];
    for (int i = 0; i < bytes; i++) {
        tmp[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    }
    buf_put(b, tmp, (size_t)bytes);
}

/* ---- binary COPY ----
 * Each field is an int32 length then the type's send format; timestamptz is
 * microseconds since 2000-01-01, hstore is a count then (len, key, len,
 * value) pairs. */

#define PG_EPOCH_US (INT64_C(946684800) * 1000000)
#define STREAM      "bench"

static void bin_text(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    buf_be(b, n, 4);
    buf_put(b, s, n);
}

static void bin_hstore(buf_t *b, const kv_t *kv, int n)
{
    size_t len = 4;
    for (int i = 0; i < n; i++) {
        len += 8 + strlen(kv[i].key) + strlen(kv[i].value);
    }
    buf_be(b, len, 4);
    buf_be(b, (uint64_t)n, 4);
    for (int i = 0; i < n; i++) {
        bin_text(b, kv[i].key);
        bin_text(b, kv[i].value);
    }
}

static void bin_row(buf_t *b, const row_t *r, int64_t seq, int64_t received_us)
{
    buf_be(b, NCOLS, 2);
    bin_text(b, STREAM);
    buf_be(b, 8, 4);
    buf_be(b, (uint64_t)seq, 8);
    buf_be(b, 8, 4);
    buf_be(b, (uint64_t)(received_us - PG_EPOCH_US), 8);
    buf_be(b, 8, 4);
    buf_be(b, (uint64_t)(r->occurred_us - PG_EPOCH_US), 8);
    buf_be(b, 2, 4);
    buf_be(b, 1, 2); /* format: native */
    bin_text(b, "snmptrapd");
    bin_text(b, r->resource);
    bin_text(b, "LinkDown");
    buf_be(b, 2, 4);
    buf_be(b, (uint64_t)r->severity, 2);
    buf_be(b, 2, 4);
    buf_be(b, (uint64_t)r->status, 2);
    bin_text(b, r->summary);
    bin_text(b, r->description);
    buf_be(b, UINT32_MAX, 4); /* dedup_key NULL */
    bin_text(b, r->fingerprint);
    bin_hstore(b, r->labels, NLABELS);
    bin_hstore(b, r->annotations, NANNOTATIONS);
    if (g_opts.raw) {
        bin_text(b, r->raw);
    } else {
        buf_be(b, UINT32_MAX, 4);
    }
}

/* ---- text forms (COPY text, INSERT parameters) ---- */

/* hstore's text form: "k"=>"v", quotes and backslashes escaped. */
static void hstore_text(buf_t *b, const kv_t *kv, int n)
{
    for (int i = 0; i < n; i++) {
        const char *parts[2] = {kv[i].key, kv[i].value};
        if (i > 0) {
            buf_put(b, ", ", 2);
        }
        for (int k = 0; k < 2; k++) {
            buf_put(b, "\"", 1);
            for (const char *s = parts[k]; *s; s++) {
                if (*s == '"' || *s == '\\') {
                    buf_put(b, "\\", 1);
                }
                buf_put(b, s, 1);
            }
            buf_put(b, k == 0 ? "\"=>" : "\"", k == 0 ? 3 : 1);
        }
    }
}

/* COPY text escaping of one field. */
static void copy_text_field(buf_t *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        const char *esc = c == '\\'   ? "\\\\"
                          : c == '\t' ? "\\t"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : NULL;
        if (esc) {
            buf_put(b, esc, 2);
        } else {
            buf_put(b, &c, 1);
        }
    }
}

static void iso_time(char *out, size_t len, int64_t us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%06d+00", (int)(us % 1000000));
}

/* Fills vals[NCOLS] with the row's text form; strings live in scratch. The
 * hstore values go into hs (two buffers, reset by the caller). */
static void text_values(const row_t *r, int64_t seq, int64_t received_us, char scratch[3][40],
                        buf_t hs[2], const char *vals[NCOLS])
{
    snprintf(scratch[0], 40, "%" PRId64, seq);
    iso_time(scratch[1], 40, received_us);
    iso_time(scratch[2], 40, r->occurred_us);
    hs[0].len = hs[1].len = 0;
    hstore_text(&hs[0], r->labels, NLABELS);
    buf_put(&hs[0], "", 1);
    hstore_text(&hs[1], r->annotations, NANNOTATIONS);
    buf_put(&hs[1], "", 1);
    static const char *const sev[] = {"0", "1", "2", "3", "4", "5"};
    static const char *const st[] = {"0", "1", "2", "3"};
    const char *v[NCOLS] = {STREAM,
                            scratch[0],
                            scratch[1],
                            scratch[2],
                            "1",
                            "snmptrapd",
                            r->resource,
                            "LinkDown",
                            sev[r->severity],
                            st[r->status],
                            r->summary,
                            r->description,
                            NULL,
                            r->fingerprint,
                            hs[0].p,
                            hs[1].p,
                            g_opts.raw ? r->raw : NULL};
    memcpy(vals, v, sizeof v);
}

static void text_row(buf_t *b, const row_t *r, int64_t seq, int64_t received_us, buf_t hs[2])
{
    char scratch[3][40];
    const char *vals[NCOLS];
    text_values(r, seq, received_us, scratch, hs, vals);
    for (int i = 0; i < NCOLS; i++) {
        if (i > 0) {
            buf_put(b, "\t", 1);
        }
        if (vals[i]) {
            copy_text_field(b, vals[i], strlen(vals[i]));
        } else {
            buf_put(b, "\\N", 2);
        }
    }
    buf_put(b, "\n", 1);
}

/* ---- methods ---- */

typedef enum { M_COPY_BINARY, M_COPY_BINARY_HEAD, M_COPY_TEXT, M_INSERT, M_COUNT } method_t;

static const char *const METHOD_NAMES[M_COUNT] = {"copy_binary", "copy_binary_head", "copy_text",
                                                  "insert"};

static const char COLUMNS[] = "stream, seq, received_at, occurred_at, format, source, resource, "
                              "\"check\", severity, status, summary, description, dedup_key, "
                              "fingerprint, labels, annotations, raw_body";

/* One connection's share of a run. */
typedef struct {
    pthread_t thread;
    method_t method;
    PGconn *conn;
    buf_t buf;       /* the COPY payload */
    buf_t hs[2];     /* hstore text of one row (copy_text) */
    buf_t (*rhs)[2]; /* hstore text per row of a batch (insert) */
    char (*scratch)[3][40];
    const char **params; /* batch x NCOLS (insert) */
    int64_t first_seq;   /* rows first_seq .. first_seq + nrows - 1 */
    int64_t nrows;
    int64_t batches;
    int64_t rows_done;
    int64_t max_batch_us;
    char error[256];
} worker_t;

static bool exec_ok(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok && err) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        err[strcspn(err, "\n")] = '\0';
    }
    PQclear(res);
    return ok;
}

static bool copy_send(worker_t *w, const char *sql, const buf_t *b)
{
    PGresult *res = PQexec(w->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        snprintf(w->error, sizeof w->error, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return false;
    }
    PQclear(res);
    if (PQputCopyData(w->conn, b->p, (int)b->len) != 1 || PQputCopyEnd(w->conn, NULL) != 1) {
        snprintf(w->error, sizeof w->error, "%s", PQerrorMessage(w->conn));
        return false;
    }
    bool ok = true;
    while ((res = PQgetResult(w->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            snprintf(w->error, sizeof w->error, "%s", PQresultErrorMessage(res));
            ok = false;
        }
        PQclear(res);
    }
    return ok;
}

/* "INSERT INTO bench_events (...) VALUES ($1..$17), ..." for n rows. Caller
 * owns the result; free with free(). */
static char *insert_sql(int n)
{
    buf_t q = {0};
    static const char head[] = "INSERT INTO bench_events (";
    buf_put(&q, head, sizeof head - 1);
    buf_put(&q, COLUMNS, strlen(COLUMNS));
    buf_put(&q, ") VALUES ", 9);
    for (int i = 0; i < n; i++) {
        buf_put(&q, i ? ",(" : "(", i ? 2 : 1);
        for (int c = 1; c <= NCOLS; c++) {
            char num[24];
            int l = snprintf(num, sizeof num, "%s$%d", c > 1 ? "," : "", i * NCOLS + c);
            buf_put(&q, num, (size_t)l);
        }
        buf_put(&q, ")", 1);
    }
    buf_put(&q, "", 1);
    return q.p;
}

/* One batch of n rows from seq on, as its own commit. */
static bool batch_run(worker_t *w, int64_t seq, int n)
{
    int64_t received = (int64_t)time(NULL) * 1000000;
    buf_t *b = &w->buf;
    b->len = 0;
    char sql[512];
    switch (w->method) {
    case M_COPY_BINARY:
    case M_COPY_BINARY_HEAD: {
        /* Signature, flags, header extension length. */
        static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0";
        buf_put(b, header, sizeof header);
        for (int i = 0; i < n; i++) {
            bin_row(b, &g_pool.rows[(size_t)(seq + i) % g_pool.n], seq + i, received);
        }
        buf_be(b, UINT16_MAX, 2);
        snprintf(sql, sizeof sql, "COPY bench_events (%s) FROM STDIN (FORMAT binary)", COLUMNS);
        if (w->method == M_COPY_BINARY) {
            return copy_send(w, sql, b);
        }
        /* As ingest does: move the stream head by compare-and-set, then the
         * rows, in one transaction. Each worker has its own head row. */
        char head[64], last[24], next[24];
        snprintf(head, sizeof head, STREAM "-%" PRId64, w->first_seq);
        snprintf(last, sizeof last, "%" PRId64, seq - 1);
        snprintf(next, sizeof next, "%" PRId64, seq + n - 1);
        const char *hp[3] = {head, next, last};
        if (!exec_ok(w->conn, "BEGIN", w->error, sizeof w->error)) {
            return false;
        }
        PGresult *res = PQexecParams(w->conn,
                                     "UPDATE bench_heads SET last_seq = $2 "
                                     "WHERE stream = $1 AND last_seq = $3",
                                     3, NULL, hp, NULL, NULL, 0);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0;
        if (!ok) {
            snprintf(w->error, sizeof w->error, "head: %s", PQresultErrorMessage(res));
        }
        PQclear(res);
        ok = ok && copy_send(w, sql, b);
        ok = ok && exec_ok(w->conn, "COMMIT", w->error, sizeof w->error);
        if (!ok) {
            exec_ok(w->conn, "ROLLBACK", NULL, 0);
        }
        return ok;
    }
    case M_COPY_TEXT:
        for (int i = 0; i < n; i++) {
            text_row(b, &g_pool.rows[(size_t)(seq + i) % g_pool.n], seq + i, received, w->hs);
        }
        snprintf(sql, sizeof sql, "COPY bench_events (%s) FROM STDIN", COLUMNS);
        return copy_send(w, sql, b);
    case M_INSERT: {
        for (int i = 0; i < n; i++) {
            text_values(&g_pool.rows[(size_t)(seq + i) % g_pool.n], seq + i, received,
                        w->scratch[i], w->rhs[i], w->params + (size_t)i * NCOLS);
        }
        /* A short last batch runs as its own statement, unprepared. */
        const char *name = n == g_opts.batch ? "ins" : "ins_tail";
        if (n != g_opts.batch) {
            char *q = insert_sql(n);
            PGresult *pr = PQprepare(w->conn, name, q, n * NCOLS, NULL);
            free(q);
            PQclear(pr);
        }
        PGresult *res = PQexecPrepared(w->conn, name, n * NCOLS, w->params, NULL, NULL, 0);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok) {
            snprintf(w->error, sizeof w->error, "%s", PQresultErrorMessage(res));
        }
        PQclear(res);
        return ok;
    }
    default:
        return false;
    }
}

static void *worker_run(void *arg)
{
    worker_t *w = arg;
    for (int64_t done = 0; done < w->nrows;) {
        int n = (int)(w->nrows - done < g_opts.batch ? w->nrows - done : g_opts.batch);
        int64_t t0 = now_us();
        if (!batch_run(w, w->first_seq + done, n)) {
            w->error[strcspn(w->error, "\n")] = '\0';
            return NULL;
        }
        int64_t dt = now_us() - t0;
        w->max_batch_us = dt > w->max_batch_us ? dt : w->max_batch_us;
        w->batches++;
        done += n;
        w->rows_done = done;
    }
    return NULL;
}

/* ---- set-up ---- */

/* Used when the schema is not migrated: the columns, checks and primary key
 * of 0001_events.sql (which has no other index). */
static const char PLAIN_DDL[] =
    "CREATE TABLE bench_events ("
    " stream text NOT NULL, seq bigint NOT NULL CHECK (seq > 0),"
    " received_at timestamptz NOT NULL, occurred_at timestamptz NOT NULL,"
    " format smallint NOT NULL CHECK (format BETWEEN 1 AND 4),"
    " source text NOT NULL CHECK (source <> ''), resource text NOT NULL CHECK (resource <> ''),"
    " \"check\" text NOT NULL CHECK (\"check\" <> ''),"
    " severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 5),"
    " status smallint NOT NULL CHECK (status BETWEEN 1 AND 3),"
    " summary text, description text, dedup_key text,"
    " fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{32}$'),"
    " labels hstore NOT NULL DEFAULT '', annotations hstore NOT NULL DEFAULT '', raw_body text,"
    " PRIMARY KEY (stream, seq, received_at)) PARTITION BY RANGE (received_at)";

static PGconn *connect_db(void)
{
    PGconn *conn = PQconnectdb(g_opts.dsn);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "pg_insert_baseline: connect: %s", PQerrorMessage(conn));
        exit(1);
    }
    /* Durable, as ingest is, whatever the server's default says. */
    if (!exec_ok(conn, "SET synchronous_commit = on", NULL, 0)) {
        fprintf(stderr, "pg_insert_baseline: SET synchronous_commit failed\n");
        exit(1);
    }
    return conn;
}

static const char *show(PGconn *conn, const char *name, char *out, size_t len)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SHOW %s", name);
    PGresult *res = PQexec(conn, sql);
    snprintf(out, len, "%s", PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "?");
    PQclear(res);
    for (char *p = out; *p; p++) {
        if (*p == ' ') {
            *p = '_';
        }
    }
    return out;
}

/* Creates bench_events (and bench_heads); returns "like_events" or "own_ddl". */
static const char *table_create(PGconn *conn)
{
    char err[256];
    exec_ok(conn, "SET client_min_messages = warning", NULL, 0);
    exec_ok(conn, "DROP TABLE IF EXISTS bench_events, bench_heads", NULL, 0);
    if (!exec_ok(conn, "CREATE EXTENSION IF NOT EXISTS hstore", err, sizeof err)) {
        fprintf(stderr, "pg_insert_baseline: hstore: %s\n", err);
        exit(1);
    }
    const char *kind = "like_events";
    PGresult *res = PQexec(conn, "SELECT to_regclass('events') IS NOT NULL");
    bool have_events =
        PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    /* LIKE copies columns, defaults, checks and indexes (not the foreign key
     * to stream_heads, not the partitioning, which is declared again). */
    if (!have_events || !exec_ok(conn,
                                 "CREATE TABLE bench_events (LIKE events INCLUDING ALL) "
                                 "PARTITION BY RANGE (received_at)",
                                 err, sizeof err)) {
        if (have_events) {
            fprintf(stderr, "pg_insert_baseline: LIKE events failed (%s); own DDL\n", err);
        }
        kind = "own_ddl";
        if (!exec_ok(conn, PLAIN_DDL, err, sizeof err)) {
            fprintf(stderr, "pg_insert_baseline: create: %s\n", err);
            exit(1);
        }
    }
    if (!exec_ok(conn, "CREATE TABLE bench_events_default PARTITION OF bench_events DEFAULT", err,
                 sizeof err) ||
        !exec_ok(conn, "CREATE TABLE bench_heads (stream text PRIMARY KEY, last_seq bigint)", err,
                 sizeof err)) {
        fprintf(stderr, "pg_insert_baseline: create: %s\n", err);
        exit(1);
    }
    return kind;
}

/* Empties the table and sets the heads, so that every method starts alike.
 * CHECKPOINT (when allowed) keeps one method's dirty pages and full-page
 * writes from being paid by the next. */
static void table_reset(PGconn *conn, worker_t *ws, int n)
{
    exec_ok(conn, "TRUNCATE bench_events, bench_heads", NULL, 0);
    for (int i = 0; i < n; i++) {
        char head[64], last[24];
        snprintf(head, sizeof head, STREAM "-%" PRId64, ws[i].first_seq);
        snprintf(last, sizeof last, "%" PRId64, ws[i].first_seq - 1);
        const char *p[2] = {head, last};
        PQclear(PQexecParams(conn, "INSERT INTO bench_heads VALUES ($1, $2)", 2, NULL, p, NULL,
                             NULL, 0));
    }
    exec_ok(conn, "CHECKPOINT", NULL, 0);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: pg_insert_baseline [options]\n"
                 "  --dsn DSN          libpq connection string (default: PG* environment)\n"
                 "  --count C          rows per method (200000)\n"
                 "  --batch B          rows per commit (1000)\n"
                 "  --connections N    parallel connections (1)\n"
                 "  --methods LIST     comma-separated, from copy_binary,copy_binary_head,\n"
                 "                     copy_text,insert (all)\n"
                 "  --raw              also store the raw JSON body (ingest.keep_raw)\n"
                 "  --resources K      distinct resources (5000)\n"
                 "  --seed S           data seed (1)\n"
                 "  --keep             keep bench_events afterwards\n"
                 "Prints one key=value line per method and a best= line on stdout.\n");
}

static void opts_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dsn", required_argument, NULL, 'D'},
        {"count", required_argument, NULL, 'c'},
        {"batch", required_argument, NULL, 'b'},
        {"connections", required_argument, NULL, 'n'},
        {"methods", required_argument, NULL, 'm'},
        {"raw", no_argument, NULL, 'R'},
        {"resources", required_argument, NULL, 'K'},
        {"seed", required_argument, NULL, 's'},
        {"keep", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    g_opts = (opts_t){.dsn = "",
                      .count = 200000,
                      .batch = 1000,
                      .connections = 1,
                      .resources = 5000,
                      .seed = 1,
                      .methods = "copy_binary,copy_binary_head,"
                                 "copy_text,insert"};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'D':
            g_opts.dsn = optarg;
            break;
        case 'c':
            g_opts.count = strtoll(optarg, NULL, 10);
            break;
        case 'b':
            g_opts.batch = atoi(optarg);
            break;
        case 'n':
            g_opts.connections = atoi(optarg);
            break;
        case 'm':
            g_opts.methods = optarg;
            break;
        case 'R':
            g_opts.raw = true;
            break;
        case 'K':
            g_opts.resources = atoi(optarg);
            break;
        case 's':
            g_opts.seed = strtoull(optarg, NULL, 10);
            break;
        case 'k':
            g_opts.keep = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (optind != argc || g_opts.count < 1 || g_opts.batch < 1 || g_opts.batch > 1000000 ||
        g_opts.connections < 1 || g_opts.connections > 64 || g_opts.resources < 1) {
        usage(stderr);
        exit(2);
    }
}

static bool method_wanted(method_t m)
{
    const char *name = METHOD_NAMES[m];
    size_t nl = strlen(name);
    for (const char *p = g_opts.methods; *p;) {
        size_t l = strcspn(p, ",");
        if (l == nl && strncmp(p, name, l) == 0) {
            return true;
        }
        p += l + (p[l] == ',');
    }
    return false;
}

/* Runs one method over all connections; prints its line; returns rows/s
 * (0 on failure). */
static double method_run(method_t m, PGconn *admin, worker_t *ws, const char *table_kind)
{
    int n = g_opts.connections;
    if (m == M_INSERT && (int64_t)g_opts.batch * NCOLS > 65535) {
        printf("method=insert batch=%d skipped=too_many_parameters\n", g_opts.batch);
        return 0;
    }
    table_reset(admin, ws, n);
    for (int i = 0; i < n; i++) {
        worker_t *w = &ws[i];
        w->method = m;
        w->batches = w->rows_done = w->max_batch_us = 0;
        w->error[0] = '\0';
        if (m == M_INSERT) {
            char *q = insert_sql(g_opts.batch);
            PGresult *res = PQprepare(w->conn, "ins", q, g_opts.batch * NCOLS, NULL);
            free(q);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                fprintf(stderr, "pg_insert_baseline: prepare: %s", PQresultErrorMessage(res));
            }
            PQclear(res);
        }
    }
    int64_t t0 = now_us();
    for (int i = 0; i < n; i++) {
        pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]);
    }
    int64_t rows = 0, batches = 0, max_batch_us = 0;
    const char *error = NULL;
    for (int i = 0; i < n; i++) {
        pthread_join(ws[i].thread, NULL);
        rows += ws[i].rows_done;
        batches += ws[i].batches;
        max_batch_us = ws[i].max_batch_us > max_batch_us ? ws[i].max_batch_us : max_batch_us;
        if (ws[i].error[0] && !error) {
            error = ws[i].error;
        }
    }
    double secs = (double)(now_us() - t0) / 1e6;
    if (m == M_INSERT) {
        for (int i = 0; i < n; i++) {
            exec_ok(ws[i].conn, "DEALLOCATE ALL", NULL, 0);
        }
    }
    PGresult *res = PQexec(admin, "SELECT count(*), pg_total_relation_size('bench_events_default')"
                                  " FROM bench_events");
    const char *stored = PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "?";
    const char *bytes = PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 1) : "?";
    double rate = error ? 0 : (double)rows / secs;
    printf("method=%s batch=%d connections=%d table=%s raw_body=%s rows=%" PRId64
           " rows_stored=%s commits=%" PRId64 " elapsed_s=%.3f rows_per_s=%.0f"
           " mean_commit_ms=%.3f max_commit_ms=%.3f table_bytes=%s%s%s%s\n",
           METHOD_NAMES[m], g_opts.batch, n, table_kind, g_opts.raw ? "yes" : "no", rows, stored,
           batches, secs, rate, batches ? secs * 1000.0 * n / (double)batches : 0,
           (double)max_batch_us / 1000.0, bytes, error ? " error=\"" : "", error ? error : "",
           error ? "\"" : "");
    fflush(stdout);
    PQclear(res);
    return rate;
}

int main(int argc, char **argv)
{
    opts_parse(argc, argv);
    pool_build();
    PGconn *admin = connect_db();
    const char *kind = table_create(admin);
    char v[5][64];
    printf("server_version=%s fsync=%s synchronous_commit=%s wal_level=%s shared_buffers=%s "
           "avg_event_bytes=%zu\n",
           show(admin, "server_version", v[0], sizeof v[0]),
           show(admin, "fsync", v[1], sizeof v[1]),
           show(admin, "synchronous_commit", v[2], sizeof v[2]),
           show(admin, "wal_level", v[3], sizeof v[3]),
           show(admin, "shared_buffers", v[4], sizeof v[4]), g_pool.raw_bytes / g_pool.n);

    int n = g_opts.connections;
    worker_t *ws = xcalloc((size_t)n, sizeof *ws);
    for (int i = 0; i < n; i++) {
        worker_t *w = &ws[i];
        w->conn = connect_db();
        w->nrows = g_opts.count / n + (i < g_opts.count % n);
        w->first_seq = 1 + (int64_t)i * (g_opts.count / n + 1);
        w->rhs = xcalloc((size_t)g_opts.batch, sizeof *w->rhs);
        w->scratch = xcalloc((size_t)g_opts.batch, sizeof *w->scratch);
        w->params = xcalloc((size_t)g_opts.batch * NCOLS, sizeof *w->params);
    }
    /* A short untimed run first, so that the first method measured does
     * not pay for cold caches, the extension's first load and WAL segment
     * creation alone. */
    int64_t saved = ws[0].nrows;
    ws[0].nrows = saved < 20 * (int64_t)g_opts.batch ? saved : 20 * (int64_t)g_opts.batch;
    ws[0].method = M_COPY_BINARY;
    table_reset(admin, ws, n);
    worker_run(&ws[0]);
    ws[0].nrows = saved;

    method_t best = M_COUNT;
    double best_rate = 0;
    for (method_t m = 0; m < M_COUNT; m++) {
        if (!method_wanted(m)) {
            continue;
        }
        fprintf(stderr,
                "pg_insert_baseline: %s, %" PRId64 " rows in batches of %d over %d "
                "connection(s)\n",
                METHOD_NAMES[m], g_opts.count, g_opts.batch, n);
        double rate = method_run(m, admin, ws, kind);
        if (rate > best_rate) {
            best_rate = rate;
            best = m;
        }
    }
    printf("best_method=%s best_rows_per_s=%.0f batch=%d connections=%d\n",
           best < M_COUNT ? METHOD_NAMES[best] : "none", best_rate, g_opts.batch, n);
    for (int i = 0; i < n; i++) {
        PQfinish(ws[i].conn);
    }
    if (!g_opts.keep) {
        exec_ok(admin, "DROP TABLE IF EXISTS bench_events, bench_heads", NULL, 0);
    }
    PQfinish(admin);
    return best < M_COUNT ? 0 : 1;
}
