/*
 * db - libpq helpers: connect/retry, SQLSTATE classification, statements and
 * the binary COPY builder. See db.h.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "migrate.h"
#include "xalloc.h"

/* Seconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define DB_PG_EPOCH_OFFSET_US 946684800000000LL

/* Server notices ("relation already exists, skipping") are not errors: keep
 * them out of the operator's terminal unless debugging. */
static void db_notice(void *arg, const char *message)
{
    (void)arg;
    char buf[512];
    log_debug("msg=\"database notice\" notice=%s", log_q(message, buf, sizeof buf));
}

PGconn *db_connect(const char *url, int64_t connect_timeout_ms)
{
    char timeout[32];
    long long secs = (long long)(connect_timeout_ms + 999) / 1000;
    snprintf(timeout, sizeof timeout, "%lld", secs > 0 ? secs : 1);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {url && *url ? url : NULL, timeout, "alertdesk", NULL};
    /* expand_dbname=1 lets dbname carry a full URL; an empty one falls back
     * to the PG* environment. */
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        char buf[512];
        log_warn("msg=\"database connect failed\" error=%s",
                 log_q(PQerrorMessage(conn), buf, sizeof buf));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, db_notice, NULL);
    return conn;
}

PGconn *db_connect_retry(const char *url, int64_t connect_timeout_ms, int64_t retry_max_ms,
                         volatile sig_atomic_t *stop)
{
    int64_t delay_ms = 100;
    while (!stop || !*stop) {
        PGconn *conn = db_connect(url, connect_timeout_ms);
        if (conn) {
            return conn;
        }
        log_info("msg=\"retrying database connect\" delay_ms=%lld", (long long)delay_ms);
        for (int64_t waited = 0; waited < delay_ms && (!stop || !*stop); waited += 50) {
            usleep(50 * 1000);
        }
        delay_ms = delay_ms * 2 > retry_max_ms ? retry_max_ms : delay_ms * 2;
    }
    return NULL;
}

db_status_t db_classify(PGconn *conn, const PGresult *res)
{
    if (PQstatus(conn) != CONNECTION_OK) {
        return DB_RETRY;
    }
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state) {
        /* No SQLSTATE: libpq-side failure such as a lost connection. */
        return DB_RETRY;
    }
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "40001") == 0 ||
        strcmp(state, "40P01") == 0 || strncmp(state, "57P0", 4) == 0 ||
        strcmp(state, "57014") == 0 /* query_canceled: by us or an operator */ ||
        strncmp(state, "53", 2) == 0) {
        return DB_RETRY;
    }
    return DB_FATAL;
}

static db_status_t db_check(PGconn *conn, const char *what, PGresult *res, ExecStatusType want)
{
    if (res && PQresultStatus(res) == want) {
        return DB_OK;
    }
    db_status_t st = db_classify(conn, res);
    char buf[512];
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    log_error("msg=\"database statement failed\" what=%s sqlstate=%s outcome=%s error=%s", what,
              state ? state : "none", st == DB_RETRY ? "retry" : "fatal",
              log_q(msg, buf, sizeof buf));
    return st;
}

db_status_t db_exec(PGconn *conn, const char *what, const char *sql, int nparams,
                    const char *const *params, PGresult **out)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    db_status_t outcome =
        db_check(conn, what, res, st == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);
    if (outcome == DB_OK && out) {
        *out = res;
    } else {
        PQclear(res);
    }
    return outcome;
}

db_status_t db_command(PGconn *conn, const char *what, const char *sql)
{
    return db_exec(conn, what, sql, 0, NULL, NULL);
}

/* ---- binary COPY ---- */

static void db_copy_put(db_copy_t *c, const void *p, size_t n)
{
    if (c->cap - c->len < n) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap - c->len < n) {
            cap *= 2;
        }
        c->data = xrealloc(c->data, cap);
        c->cap = cap;
    }
    memcpy(c->data + c->len, p, n);
    c->len += n;
}

static void db_copy_u32(db_copy_t *c, uint32_t v)
{
    uint32_t be = htonl(v);
    db_copy_put(c, &be, 4);
}

void db_copy_init(db_copy_t *c)
{
    memset(c, 0, sizeof *c);
    db_copy_reset(c);
}

void db_copy_free(db_copy_t *c)
{
    free(c->data);
    memset(c, 0, sizeof *c);
}

void db_copy_reset(db_copy_t *c)
{
    static const uint8_t header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n',
                                       0,   0,   0,   0,   0,   0,   0,    0,    0};
    c->len = 0;
    c->rows = 0;
    db_copy_put(c, header, sizeof header);
}

void db_copy_row(db_copy_t *c, int16_t nfields)
{
    uint16_t be = htons((uint16_t)nfields);
    db_copy_put(c, &be, 2);
    c->rows++;
}

void db_copy_null(db_copy_t *c)
{
    db_copy_u32(c, 0xffffffffu);
}

void db_copy_bytes(db_copy_t *c, const void *p, size_t n)
{
    db_copy_u32(c, (uint32_t)n);
    db_copy_put(c, p, n);
}

void db_copy_text(db_copy_t *c, const char *s)
{
    if (!s) {
        db_copy_null(c);
        return;
    }
    db_copy_bytes(c, s, strlen(s));
}

void db_copy_int16(db_copy_t *c, int16_t v)
{
    uint16_t be = htons((uint16_t)v);
    db_copy_u32(c, 2);
    db_copy_put(c, &be, 2);
}

void db_copy_int64(db_copy_t *c, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(u >> (56 - 8 * i));
    }
    db_copy_u32(c, 8);
    db_copy_put(c, b, 8);
}

void db_copy_timestamptz(db_copy_t *c, int64_t unix_us)
{
    db_copy_int64(c, unix_us - DB_PG_EPOCH_OFFSET_US);
}

/* hstore's binary form: count, then for each pair key length + key and value
 * length + value (-1 would be NULL; our values never are). */
void db_copy_hstore(db_copy_t *c, const event_label_t *map, uint32_t n)
{
    size_t size = 4;
    for (uint32_t i = 0; i < n; i++) {
        size += 8 + strlen(map[i].key) + strlen(map[i].value);
    }
    db_copy_u32(c, (uint32_t)size);
    db_copy_u32(c, n);
    for (uint32_t i = 0; i < n; i++) {
        size_t kl = strlen(map[i].key), vl = strlen(map[i].value);
        db_copy_u32(c, (uint32_t)kl);
        db_copy_put(c, map[i].key, kl);
        db_copy_u32(c, (uint32_t)vl);
        db_copy_put(c, map[i].value, vl);
    }
}

db_status_t db_copy_send(PGconn *conn, const char *what, const char *copy_sql, db_copy_t *c)
{
    PGresult *res = PQexec(conn, copy_sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        db_status_t st = db_check(conn, what, res, PGRES_COPY_IN);
        PQclear(res);
        return st;
    }
    PQclear(res);
    static const uint8_t trailer[2] = {0xff, 0xff};
    db_copy_put(c, trailer, 2);
    int ok = PQputCopyData(conn, (const char *)c->data, (int)c->len) == 1;
    c->len -= 2; /* the builder stays appendable */
    if (PQputCopyEnd(conn, ok ? NULL : "client failed to send data") != 1) {
        ok = 0;
    }
    db_status_t outcome = DB_OK;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            outcome = db_check(conn, what, res, PGRES_COMMAND_OK);
        }
        PQclear(res);
    }
    if (!ok && outcome == DB_OK) {
        outcome = db_check(conn, what, NULL, PGRES_COMMAND_OK);
    }
    return outcome;
}

int64_t db_fetch_range(PGconn *conn, const char *what, const char *sql, int result_format, int page,
                       const char *stream, int64_t after_seq, int64_t upto_seq,
                       db_range_row_fn row_fn, void *row_arg,
                       int (*apply)(void *arg, const char *stream, int64_t seq,
                                    const uint8_t *payload, size_t len),
                       void *apply_arg)
{
    wire_buf_t buf;
    wire_buf_init(&buf);
    int64_t last = after_seq;
    for (;;) {
        char after_s[24], upto_s[24], limit_s[16];
        snprintf(after_s, sizeof after_s, "%" PRId64, last);
        snprintf(upto_s, sizeof upto_s, "%" PRId64, upto_seq);
        snprintf(limit_s, sizeof limit_s, "%d", page);
        const char *params[] = {stream, after_s, upto_s, limit_s};
        PGresult *res = PQexecParams(conn, sql, 4, NULL, params, NULL, NULL, result_format);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            char q[512];
            log_error("msg=\"range fetch failed\" what=%s stream=%s error=%s", what, stream,
                      log_q(PQresultErrorMessage(res), q, sizeof q));
            PQclear(res);
            last = -1;
            break;
        }
        int n = PQntuples(res), failed = 0;
        for (int i = 0; i < n && !failed; i++) {
            buf.len = 0;
            int64_t seq = row_fn(row_arg, res, i, &buf);
            if (seq < 0 || apply(apply_arg, stream, seq, buf.data, buf.len) < 0) {
                failed = 1;
            } else {
                last = seq;
            }
        }
        PQclear(res);
        if (failed) {
            last = -1;
            break;
        }
        if (n < page) {
            break;
        }
    }
    wire_buf_free(&buf);
    return last;
}

void db_format_time(int64_t unix_us, char *buf, size_t buflen)
{
    time_t secs = (time_t)(unix_us / 1000000);
    long micros = (long)(unix_us % 1000000);
    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

/* ---- stream heads and consumer offsets ---- */

db_status_t db_stream_head(PGconn *conn, const char *stream, int64_t *last_seq)
{
    const char *params[] = {stream};
    db_status_t st = db_exec(conn, "db.stream_head_create",
                             "INSERT INTO stream_heads (stream) VALUES ($1) ON CONFLICT DO NOTHING",
                             1, params, NULL);
    if (st != DB_OK) {
        return st;
    }
    PGresult *res = NULL;
    st = db_exec(conn, "db.stream_head", "SELECT last_seq FROM stream_heads WHERE stream = $1", 1,
                 params, &res);
    if (st != DB_OK) {
        return st;
    }
    *last_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return DB_OK;
}

db_status_t db_stream_reserve(PGconn *conn, const char *stream, int64_t n, int64_t *first)
{
    char n_s[24];
    snprintf(n_s, sizeof n_s, "%" PRId64, n);
    const char *params[] = {stream, n_s};
    PGresult *res = NULL;
    db_status_t st =
        db_exec(conn, "db.stream_reserve",
                "INSERT INTO stream_heads AS h (stream, last_seq) VALUES ($1, $2::bigint) "
                "ON CONFLICT (stream) DO UPDATE SET last_seq = h.last_seq + $2::bigint, "
                "updated_at = now() RETURNING last_seq",
                2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *first = strtoll(PQgetvalue(res, 0, 0), NULL, 10) - n + 1;
    PQclear(res);
    return DB_OK;
}

db_status_t db_stream_try_advance(PGconn *conn, const char *stream, int64_t expected,
                                  int64_t new_last, bool *moved)
{
    char exp_s[24], new_s[24];
    snprintf(exp_s, sizeof exp_s, "%" PRId64, expected);
    snprintf(new_s, sizeof new_s, "%" PRId64, new_last);
    const char *params[] = {stream, exp_s, new_s};
    PGresult *res = NULL;
    /* The row is chosen by stream alone and the comparison happens in SET:
     * with `AND last_seq = $2` in WHERE, a writer whose statement starts
     * while its predecessor's update is uncommitted would judge the old row
     * version, miss, and never wait for the lock. Here it waits, and
     * PostgreSQL re-evaluates the CASE on the committed new version. */
    db_status_t st = db_exec(conn, "db.stream_advance",
                             "UPDATE stream_heads SET last_seq = CASE WHEN last_seq = $2 "
                             "THEN $3 ELSE last_seq END, updated_at = now() "
                             "WHERE stream = $1 RETURNING last_seq = $3 AND last_seq <> $2",
                             3, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *moved = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return DB_OK;
}

db_status_t db_stream_advance(PGconn *conn, const char *stream, int64_t expected, int64_t new_last)
{
    bool moved = false;
    db_status_t st = db_stream_try_advance(conn, stream, expected, new_last, &moved);
    if (st == DB_OK && !moved) {
        log_error("msg=\"stream head moved under us: another writer uses this stream name?\" "
                  "stream=%s expected=%" PRId64,
                  stream, expected);
        return DB_FATAL;
    }
    return st;
}

db_status_t db_consumer_offset_save(PGconn *conn, const char *consumer, const char *stream,
                                    int64_t last_seq)
{
    char seq_s[24];
    snprintf(seq_s, sizeof seq_s, "%" PRId64, last_seq);
    const char *params[] = {consumer, stream, seq_s};
    return db_exec(conn, "db.consumer_offset_save",
                   "INSERT INTO consumer_offsets (consumer, stream, last_seq) VALUES ($1, $2, $3) "
                   "ON CONFLICT (consumer, stream) DO UPDATE SET last_seq = EXCLUDED.last_seq, "
                   "updated_at = now()",
                   3, params, NULL);
}

/* ---- sessions of stateful daemons ---- */

PGconn *db_open_active(const char *url, int64_t connect_timeout_ms, int64_t retry_max_ms,
                       int min_schema, const char *lock_name, volatile sig_atomic_t *stop)
{
    bool said = false;
    while (!*stop) {
        PGconn *conn = db_connect_retry(url, connect_timeout_ms, retry_max_ms, stop);
        if (!conn) {
            return NULL;
        }
        int version = migrate_current_version(conn);
        if (version >= 0 && version < min_schema) {
            log_error("msg=\"database schema too old: run alertdesk migrate\" have=%d need=%d",
                      version, min_schema);
            PQfinish(conn);
            return NULL;
        }
        const char *params[] = {lock_name};
        while (!*stop && PQstatus(conn) == CONNECTION_OK) {
            PGresult *res = NULL;
            if (db_exec(conn, "db.advisory_lock", "SELECT pg_try_advisory_lock(hashtext($1), 0)", 1,
                        params, &res) != DB_OK) {
                break;
            }
            bool locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
            PQclear(res);
            if (locked) {
                if (said) {
                    log_info("msg=\"lock acquired: active now\" lock=%s", lock_name);
                }
                return conn;
            }
            if (!said) {
                log_info("msg=\"standby: another instance holds the lock; waiting\" lock=%s",
                         lock_name);
                said = true;
            }
            for (int i = 0; i < 10 && !*stop; i++) {
                usleep(50 * 1000);
            }
        }
        PQfinish(conn);
    }
    return NULL;
}

int db_consumer_offsets_load(PGconn *conn, const char *consumer,
                             void (*fn)(void *arg, const char *stream, int64_t seq), void *arg)
{
    const char *params[] = {consumer};
    PGresult *res = NULL;
    if (db_exec(conn, "db.offsets",
                "SELECT stream, last_seq FROM consumer_offsets WHERE consumer = $1 ORDER BY stream",
                1, params, &res) != DB_OK) {
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        fn(arg, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10));
    }
    PQclear(res);
    return n;
}

int db_producer_streams(PGconn *conn, const char *table,
                        void (*fn)(void *arg, const char *stream, int64_t head), void *arg)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT h.stream, h.last_seq FROM stream_heads h WHERE EXISTS (SELECT 1 FROM %s t "
             "WHERE t.stream = h.stream) ORDER BY h.stream",
             table);
    PGresult *res = NULL;
    if (db_exec(conn, "db.producer_streams", sql, 0, NULL, &res) != DB_OK) {
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        fn(arg, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10));
    }
    PQclear(res);
    return n;
}

/* ---- one connection per thread ---- */

static pthread_key_t db_thread_key;
static pthread_once_t db_thread_once = PTHREAD_ONCE_INIT;

static void db_thread_close(void *p)
{
    PQfinish(p);
}

static void db_thread_key_init(void)
{
    if (pthread_key_create(&db_thread_key, db_thread_close) != 0) {
        abort();
    }
}

PGconn *db_thread_conn(const char *url, int64_t connect_timeout_ms)
{
    pthread_once(&db_thread_once, db_thread_key_init);
    PGconn *conn = pthread_getspecific(db_thread_key);
    if (conn && PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        conn = NULL;
        pthread_setspecific(db_thread_key, NULL);
    }
    if (!conn) {
        conn = db_connect(url, connect_timeout_ms);
        /* Timestamps rendered by the server (JSON answers) are in UTC. */
        if (conn && db_command(conn, "db.timezone", "SET TIME ZONE 'UTC'") != DB_OK) {
            PQfinish(conn);
            conn = NULL;
        }
        if (!conn) {
            return NULL;
        }
        pthread_setspecific(db_thread_key, conn);
    }
    return conn;
}

void db_thread_conn_reset(void)
{
    pthread_once(&db_thread_once, db_thread_key_init);
    PGconn *conn = pthread_getspecific(db_thread_key);
    if (conn) {
        PQfinish(conn);
        pthread_setspecific(db_thread_key, NULL);
    }
}
