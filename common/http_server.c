/*
 * http_server - libmicrohttpd wrapper: routing (exact and prefix routes),
 * bounded bodies, query arguments, extra response headers, suspend and
 * resume for answers after commit, streamed answers (server-sent events),
 * /healthz and /metrics. See http_server.h.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "xalloc.h"

/* A streamed answer. Two references: the producer's (http_stream_release)
 * and the connection's (dropped by MHD's free callback when the response
 * is destroyed, that is once the client has gone or the body ended). The
 * connection is suspended while the queue is empty, and resumed by a write
 * only when it is suspended: a suspended connection cannot be closed, so
 * conn is valid whenever `suspended` is true. */
struct http_stream {
    pthread_mutex_t lock;
    int refs;
    http_server_t *srv;
    struct MHD_Connection *conn;
    char *buf;
    size_t len, off, cap;
    bool ended, gone, suspended, linked;
    http_stream_t *prev, *next; /* the server's open streams */
};

struct http_server {
    struct MHD_Daemon *mhd;
    /* Open streams, ended by http_server_stop() before MHD stops (MHD
     * refuses to stop with suspended connections). Lock order: streams_lock,
     * then a stream's lock. */
    pthread_mutex_t streams_lock;
    http_stream_t *streams;
    bool stopping;
    http_route_t *routes;
    size_t nroutes;
    bool (*healthy)(void *arg, char *why, size_t whylen);
    void *health_arg;
    int port;
};

struct http_request {
    http_server_t *srv;
    struct MHD_Connection *conn;
    const http_route_t *route;
    const char *method;
    char *path;
    size_t rest_off; /* prefix routes: where the rest starts in path */
    /* Extra response headers (name, value pairs), owned. */
    char **headers;
    size_t nheaders;
    char *body;
    size_t body_len, body_cap;
    bool too_large;
    bool dispatched;
    bool suspended;
    /* The answer; set once by http_respond, read by the MHD thread. */
    pthread_mutex_t lock;
    bool answered;
    int status;
    char *resp_body;
    size_t resp_len;
    const char *resp_type;
    int retry_after_s;
    http_stream_t *stream; /* answered with a stream */
};

const char *http_request_method(const http_request_t *req)
{
    return req->method;
}

const char *http_request_path(const http_request_t *req)
{
    return req->path;
}

const char *http_request_body(const http_request_t *req, size_t *len)
{
    *len = req->body_len;
    return req->body ? req->body : "";
}

const char *http_request_header(const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_path_rest(const http_request_t *req)
{
    return req->path + req->rest_off;
}

typedef struct {
    const char *name;
    const char **out;
    size_t max, n;
    int (*fn)(void *arg, const char *key, const char *value);
    void *arg;
    int rc;
} http_query_iter_t;

static enum MHD_Result http_query_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                          const char *value)
{
    (void)kind;
    http_query_iter_t *it = cls;
    if (it->fn) {
        it->rc = it->fn(it->arg, key, value ? value : "");
        return it->rc == 0 ? MHD_YES : MHD_NO;
    }
    if (strcmp(key, it->name) == 0) {
        if (it->n < it->max) {
            it->out[it->n] = value ? value : "";
        }
        it->n++;
    }
    return MHD_YES;
}

size_t http_request_query_all(const http_request_t *req, const char *name, const char **out,
                              size_t max)
{
    http_query_iter_t it = {.name = name, .out = out, .max = max};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, http_query_collect, &it);
    return it.n;
}

const char *http_request_query(const http_request_t *req, const char *name)
{
    const char *v = NULL;
    return http_request_query_all(req, name, &v, 1) > 0 ? v : NULL;
}

int http_request_query_each(const http_request_t *req,
                            int (*fn)(void *arg, const char *key, const char *value), void *arg)
{
    http_query_iter_t it = {.fn = fn, .arg = arg};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, http_query_collect, &it);
    return it.rc;
}

void http_response_header(http_request_t *req, const char *name, const char *value)
{
    req->headers = xrealloc(req->headers, (req->nheaders + 1) * 2 * sizeof *req->headers);
    req->headers[2 * req->nheaders] = xstrdup(name);
    req->headers[2 * req->nheaders + 1] = xstrdup(value);
    req->nheaders++;
}

void http_suspend(http_request_t *req)
{
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                  size_t len, int retry_after_s)
{
    pthread_mutex_lock(&req->lock);
    if (req->answered) {
        pthread_mutex_unlock(&req->lock);
        log_error("msg=\"request answered twice\" path=%s", req->path);
        abort(); /* a broken invariant, not bad input */
    }
    req->answered = true;
    req->status = status;
    req->resp_type = content_type;
    req->resp_body = xmalloc(len + 1);
    memcpy(req->resp_body, body, len);
    req->resp_len = len;
    req->retry_after_s = retry_after_s;
    bool resume = req->suspended;
    struct MHD_Connection *conn = req->conn;
    pthread_mutex_unlock(&req->lock);
    if (resume) {
        MHD_resume_connection(conn);
    }
}

void http_respond_json(http_request_t *req, int status, const char *json, int retry_after_s)
{
    http_respond(req, status, "application/json", json, strlen(json), retry_after_s);
}

static void http_stream_unref(http_stream_t *st)
{
    pthread_mutex_lock(&st->lock);
    bool last = --st->refs == 0;
    pthread_mutex_unlock(&st->lock);
    if (last) {
        pthread_mutex_destroy(&st->lock);
        free(st->buf);
        free(st);
    }
}

/* http_stream_wake - resumes the connection when it waits for data; with
 * st->lock held. */
static void http_stream_wake(http_stream_t *st)
{
    if (st->suspended && !st->gone) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

http_stream_t *http_respond_stream(http_request_t *req, const char *content_type)
{
    http_stream_t *st = xcalloc(1, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    st->refs = 2;
    st->srv = req->srv;
    st->conn = req->conn;
    http_server_t *srv = req->srv;
    pthread_mutex_lock(&srv->streams_lock);
    if (srv->stopping) {
        st->ended = true;
    } else {
        st->linked = true;
        st->next = srv->streams;
        if (srv->streams) {
            srv->streams->prev = st;
        }
        srv->streams = st;
    }
    pthread_mutex_unlock(&srv->streams_lock);
    pthread_mutex_lock(&req->lock);
    if (req->answered || req->suspended) {
        pthread_mutex_unlock(&req->lock);
        log_error("msg=\"stream answer on an answered or suspended request\" path=%s", req->path);
        abort();
    }
    req->answered = true;
    req->status = 200;
    req->resp_type = content_type;
    req->stream = st;
    pthread_mutex_unlock(&req->lock);
    return st;
}

int http_stream_write(http_stream_t *st, const char *data, size_t len)
{
    pthread_mutex_lock(&st->lock);
    if (st->gone || st->ended) {
        pthread_mutex_unlock(&st->lock);
        return -1;
    }
    if (st->len - st->off + len > HTTP_STREAM_MAX_QUEUED) {
        st->ended = true; /* a client that stopped reading */
        http_stream_wake(st);
        pthread_mutex_unlock(&st->lock);
        return -1;
    }
    if (st->off > 0 && st->len + len > st->cap) {
        memmove(st->buf, st->buf + st->off, st->len - st->off);
        st->len -= st->off;
        st->off = 0;
    }
    if (st->len + len > st->cap) {
        st->cap = (st->len + len) * 2;
        st->buf = xrealloc(st->buf, st->cap);
    }
    memcpy(st->buf + st->len, data, len);
    st->len += len;
    http_stream_wake(st);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

void http_stream_end(http_stream_t *st)
{
    pthread_mutex_lock(&st->lock);
    st->ended = true;
    http_stream_wake(st);
    pthread_mutex_unlock(&st->lock);
}

void http_stream_release(http_stream_t **stp)
{
    if (!stp || !*stp) {
        return;
    }
    http_stream_end(*stp);
    http_stream_unref(*stp);
    *stp = NULL;
}

/* http_stream_read - MHD asks for body bytes: what is queued, the end, or
 * nothing yet (then the connection sleeps until a write wakes it). */
static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_stream_t *st = cls;
    pthread_mutex_lock(&st->lock);
    if (st->len > st->off) {
        size_t n = st->len - st->off < max ? st->len - st->off : max;
        memcpy(buf, st->buf + st->off, n);
        st->off += n;
        if (st->off == st->len) {
            st->off = st->len = 0;
        }
        pthread_mutex_unlock(&st->lock);
        return (ssize_t)n;
    }
    if (st->ended) {
        pthread_mutex_unlock(&st->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    st->suspended = true;
    MHD_suspend_connection(st->conn);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

/* http_stream_gone - MHD is done with the response: the client has gone or
 * the body ended. Drops the connection's reference. */
static void http_stream_gone(void *cls)
{
    http_stream_t *st = cls;
    http_server_t *srv = st->srv;
    pthread_mutex_lock(&srv->streams_lock);
    if (st->linked) {
        if (st->prev) {
            st->prev->next = st->next;
        } else {
            srv->streams = st->next;
        }
        if (st->next) {
            st->next->prev = st->prev;
        }
        st->linked = false;
    }
    pthread_mutex_unlock(&srv->streams_lock);
    pthread_mutex_lock(&st->lock);
    st->gone = true;
    st->suspended = false;
    pthread_mutex_unlock(&st->lock);
    http_stream_unref(st);
}

static enum MHD_Result http_queue_stream(struct MHD_Connection *conn, http_request_t *req)
{
    http_stream_t *st = req->stream;
    req->stream = NULL; /* the response's free callback owns the reference now */
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 8192, http_stream_read, st, http_stream_gone);
    if (!resp) {
        http_stream_gone(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", req->resp_type);
    for (size_t i = 0; i < req->nheaders; i++) {
        MHD_add_response_header(resp, req->headers[2 * i], req->headers[2 * i + 1]);
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result http_queue_with(struct MHD_Connection *conn, int status, const char *type,
                                       const char *body, size_t len, int retry_after_s,
                                       char *const *headers, size_t nheaders)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", type);
    for (size_t i = 0; i < nheaders; i++) {
        MHD_add_response_header(resp, headers[2 * i], headers[2 * i + 1]);
    }
    if (retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", retry_after_s);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result http_queue(struct MHD_Connection *conn, int status, const char *type,
                                  const char *body, size_t len, int retry_after_s)
{
    return http_queue_with(conn, status, type, body, len, retry_after_s, NULL, 0);
}

static enum MHD_Result http_builtin(http_server_t *srv, struct MHD_Connection *conn,
                                    const char *path)
{
    if (strcmp(path, "/healthz") == 0) {
        char why[256] = "";
        bool ok = !srv->healthy || srv->healthy(srv->health_arg, why, sizeof why);
        char body[384];
        snprintf(body, sizeof body, "{\"status\":\"%s\"%s%s%s}\n", ok ? "ok" : "unavailable",
                 *why ? ",\"reason\":\"" : "", why, *why ? "\"" : "");
        return http_queue(conn, ok ? 200 : 503, "application/json", body, strlen(body), 0);
    }
    size_t len;
    char *text = metrics_render(&len);
    enum MHD_Result r = http_queue(conn, 200, "text/plain; version=0.0.4", text, len, 0);
    free(text);
    return r;
}

static const char *http_status_json(int status)
{
    switch (status) {
    case 404:
        return "{\"error\":\"no such endpoint\"}";
    case 405:
        return "{\"error\":\"method not allowed\"}";
    default:
        return "{\"error\":\"request body too large\",\"field\":\"body\"}";
    }
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server_t *srv = cls;
    http_request_t *req = *con_cls;
    if (!req) {
        if (strcmp(method, "GET") == 0 &&
            (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0)) {
            return http_builtin(srv, conn, url);
        }
        /* The most specific path wins: exact, then the longest prefix. */
        const http_route_t *route = NULL;
        bool path_known = false;
        size_t best = 0, rest_off = 0, url_len = strlen(url);
        for (size_t i = 0; i < srv->nroutes; i++) {
            const char *rp = srv->routes[i].path;
            size_t rl = strlen(rp), score, off;
            if (strcmp(rp, url) == 0) {
                score = SIZE_MAX;
                off = url_len;
            } else if (rl >= 2 && strcmp(rp + rl - 2, "/*") == 0 && url_len >= rl - 1 &&
                       strncmp(rp, url, rl - 1) == 0) {
                score = rl;
                off = rl - 1;
            } else {
                continue;
            }
            path_known = true;
            if (score >= best && strcmp(srv->routes[i].method, method) == 0) {
                best = score;
                route = &srv->routes[i];
                rest_off = off;
            }
        }
        if (!route) {
            int st = path_known ? 405 : 404;
            const char *b = http_status_json(st);
            return http_queue(conn, st, "application/json", b, strlen(b), 0);
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > route->max_body) {
            const char *b = http_status_json(413);
            return http_queue(conn, 413, "application/json", b, strlen(b), 0);
        }
        req = xcalloc(1, sizeof *req);
        req->srv = srv;
        req->conn = conn;
        req->route = route;
        req->method = route->method;
        req->path = xstrdup(url);
        req->rest_off = rest_off;
        pthread_mutex_init(&req->lock, NULL);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->too_large) {
            if (req->body_len + *upload_data_size > req->route->max_body) {
                req->too_large = true;
                free(req->body);
                req->body = NULL;
                req->body_len = 0;
            } else {
                if (req->body_cap < req->body_len + *upload_data_size + 1) {
                    req->body_cap = (req->body_len + *upload_data_size + 1) * 2;
                    if (req->body_cap > req->route->max_body + 1) {
                        req->body_cap = req->route->max_body + 1;
                    }
                    req->body = xrealloc(req->body, req->body_cap);
                }
                memcpy(req->body + req->body_len, upload_data, *upload_data_size);
                req->body_len += *upload_data_size;
                req->body[req->body_len] = '\0';
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!req->dispatched) {
        req->dispatched = true;
        if (req->too_large) {
            const char *b = http_status_json(413);
            return http_queue(conn, 413, "application/json", b, strlen(b), 0);
        }
        req->route->handler(req, req->route->arg);
        if (req->suspended) {
            /* Answered (or to be answered) from another thread: MHD calls
             * us again once http_respond() resumes the connection. */
            return MHD_YES;
        }
    }
    pthread_mutex_lock(&req->lock);
    bool answered = req->answered;
    pthread_mutex_unlock(&req->lock);
    if (!answered) {
        if (!req->suspended) {
            log_error("msg=\"handler neither answered nor suspended\" path=%s", req->path);
            abort();
        }
        /* Resumed spuriously before the answer: wait again. */
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    if (req->stream) {
        return http_queue_stream(conn, req);
    }
    return http_queue_with(conn, req->status, req->resp_type, req->resp_body, req->resp_len,
                           req->retry_after_s, req->headers, req->nheaders);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    http_request_t *req = *con_cls;
    if (!req) {
        return;
    }
    if (req->stream) { /* answered with a stream that was never queued */
        http_stream_gone(req->stream);
    }
    pthread_mutex_destroy(&req->lock);
    free(req->path);
    free(req->body);
    free(req->resp_body);
    for (size_t i = 0; i < 2 * req->nheaders; i++) {
        free(req->headers[i]);
    }
    free(req->headers);
    free(req);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void http_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512], q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    log_warn("msg=%s", log_q(msg, q, sizeof q));
}

http_server_t *http_server_start(const http_server_config_t *cfg)
{
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon) {
        log_error("msg=\"bad listen address\" listen=%s", cfg->listen);
        return NULL;
    }
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - cfg->listen), cfg->listen);
    int port = atoi(colon + 1);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &addr.sin_addr) !=
        1) {
        log_error("msg=\"listen host must be an IPv4 address\" listen=%s", cfg->listen);
        return NULL;
    }
    http_server_t *srv = xcalloc(1, sizeof *srv);
    srv->routes = xmalloc(cfg->nroutes * sizeof *srv->routes);
    memcpy(srv->routes, cfg->routes, cfg->nroutes * sizeof *srv->routes);
    srv->nroutes = cfg->nroutes;
    srv->healthy = cfg->healthy;
    srv->health_arg = cfg->health_arg;
    pthread_mutex_init(&srv->streams_lock, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    srv->mhd = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, http_access, srv, MHD_OPTION_EXTERNAL_LOGGER, http_log,
        NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cfg->threads > 0 ? cfg->threads : 1), MHD_OPTION_NOTIFY_COMPLETED,
        http_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16384, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!srv->mhd) {
        log_error("msg=\"cannot listen\" listen=%s", cfg->listen);
        pthread_mutex_destroy(&srv->streams_lock);
        free(srv->routes);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    return srv;
}

void http_server_stop(http_server_t **sp)
{
    if (!sp || !*sp) {
        return;
    }
    http_server_t *srv = *sp;
    /* End every stream (waking the suspended ones) so MHD can close them. */
    pthread_mutex_lock(&srv->streams_lock);
    srv->stopping = true;
    for (http_stream_t *st = srv->streams; st; st = st->next) {
        http_stream_end(st);
    }
    pthread_mutex_unlock(&srv->streams_lock);
    MHD_stop_daemon(srv->mhd);
    pthread_mutex_destroy(&srv->streams_lock);
    free((*sp)->routes);
    free(*sp);
    *sp = NULL;
}

int http_server_port(const http_server_t *s)
{
    return s->port;
}
