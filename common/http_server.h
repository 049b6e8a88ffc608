/*
 * http_server - the HTTP side every daemon shares, on libmicrohttpd.
 *
 * A route table maps (method, path) to a handler that sees the whole request
 * body (bounded: a Content-Length over the route's limit is refused with 413
 * before reading, and a body that grows past it is discarded and refused).
 * A route path ending in a "*" after a "/" is a prefix route: it matches
 * every path under it ("/api/v1/tickets/" "*" matches "/api/v1/tickets/NOC-1/ack")
 * and the handler reads the part after the prefix with http_request_path_rest().
 * An exact route wins over a prefix route, a longer prefix over a shorter.
 * GET /healthz (200 only when the daemon's health callback says so) and
 * GET /metrics (Prometheus text) are built in.
 *
 * A handler either answers at once with http_respond*(), or calls
 * http_suspend() and answers later from any thread with http_respond*():
 * that is how ingest answers only after the group commit without holding an
 * HTTP thread per request. Every request is answered exactly once.
 *
 * A handler may instead answer with a stream (http_respond_stream): a body
 * of unknown length written over time from any thread (server-sent events).
 * While nothing is queued the connection is suspended, so a stream holds no
 * HTTP thread; http_server_stop() ends every open stream first.
 */
#ifndef ALERTDESK_HTTP_SERVER_H
#define ALERTDESK_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct http_server http_server_t;
typedef struct http_request http_request_t;

typedef void (*http_handler_fn)(http_request_t *req, void *arg);

typedef struct {
    const char *method; /* "POST", "GET" */
    const char *path;   /* exact, or a prefix when it ends in "/" "*" */
    http_handler_fn handler;
    void *arg;
    size_t max_body; /* bytes; 0 = no body accepted */
} http_route_t;

typedef struct {
    const char *listen; /* "host:port" */
    int threads;
    const http_route_t *routes; /* copied */
    size_t nroutes;
    bool (*healthy)(void *arg, char *why, size_t whylen);
    void *health_arg;
} http_server_config_t;

/* Starts serving. Returns NULL (logged) when it cannot listen. Caller owns
 * the result; free with http_server_stop(). */
http_server_t *http_server_start(const http_server_config_t *cfg);
/* Stops accepting, answers nothing more and frees the server. Suspended
 * requests must have been answered first (drain before stopping). */
void http_server_stop(http_server_t **sp);
/* The port actually bound (useful with port 0). */
int http_server_port(const http_server_t *s);

/* Request accessors, valid until the request is answered. */
const char *http_request_method(const http_request_t *req);
const char *http_request_path(const http_request_t *req);
const char *http_request_body(const http_request_t *req, size_t *len);
/* A request header, or NULL. */
const char *http_request_header(const http_request_t *req, const char *name);
/* For a prefix route, the path after the prefix's "/" ("NOC-1/ack" for
 * "/api/v1/tickets/" "*"); "" for an exact route. Borrowed from req. */
const char *http_request_path_rest(const http_request_t *req);
/* The first query-string argument `name` (URL-decoded), or NULL when absent.
 * "?a" gives "" for a. Borrowed from req. */
const char *http_request_query(const http_request_t *req, const char *name);
/* Every value of a repeated query argument, in order: stores up to max
 * pointers (borrowed from req) in out and returns how many there are in
 * all (may exceed max). */
size_t http_request_query_all(const http_request_t *req, const char *name, const char **out,
                              size_t max);
/* Calls fn for every query-string argument (key, value; value "" when the
 * argument has no "="), in order; stops early when fn returns non-zero and
 * returns that value, else 0. For refusing unknown arguments. */
int http_request_query_each(const http_request_t *req,
                            int (*fn)(void *arg, const char *key, const char *value), void *arg);

/* Marks the request to be answered later. Call before handing it to another
 * thread, and only from inside the handler. */
void http_suspend(http_request_t *req);

/* Adds a header to the answer (ETag, Location, ...); both strings are
 * copied. Call before http_respond*(), from the thread that will answer. */
void http_response_header(http_request_t *req, const char *name, const char *value);

/* Answers. Copies body. retry_after_s > 0 adds a Retry-After header. From
 * the handler, or from any thread once suspended. */
void http_respond(http_request_t *req, int status, const char *content_type, const char *body,
                  size_t len, int retry_after_s);
/* Answers with a JSON body (NUL-terminated). */
void http_respond_json(http_request_t *req, int status, const char *json, int retry_after_s);

typedef struct http_stream http_stream_t;

/* Answers 200 with a body written later through the returned stream
 * (chunked; headers added with http_response_header() go with it). Only from
 * the handler, which must not suspend. Caller owns the result (the
 * producer's reference); release it with http_stream_release(); the
 * connection keeps its own reference until the client has gone. */
http_stream_t *http_respond_stream(http_request_t *req, const char *content_type);
/* Queues len bytes (copied) and wakes the connection. Thread-safe. Returns
 * -1 when the client has gone or the stream was ended (nothing queued), or
 * when more than HTTP_STREAM_MAX_QUEUED bytes wait unsent (a client that
 * stopped reading: the stream is ended); else 0. */
#define HTTP_STREAM_MAX_QUEUED (4 * 1024 * 1024)
int http_stream_write(http_stream_t *st, const char *data, size_t len);
/* Ends the body after what is queued. Thread-safe; idempotent. */
void http_stream_end(http_stream_t *st);
/* Drops the producer's reference; accepts NULL; sets *stp to NULL. */
void http_stream_release(http_stream_t **stp);

#endif
