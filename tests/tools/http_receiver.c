/*
 * http_receiver - an HTTP endpoint for delivery tests: it records every
 * request and answers each path as told on its command line.
 *
 *     http_receiver --port N --log FILE [PATH=STATUS[:RETRY_AFTER][@DELAY_MS]]...
 *
 *   /ok=200           answer 200
 *   /busy=429:2       answer 429 with "Retry-After: 2"
 *   /later=503:d5     answer 503 with Retry-After as an HTTP-date 5 s ahead
 *   /slow=200@3000    wait 3000 ms, then answer 200
 * Any other path gets 404. Every request is appended to FILE as one JSON
 * line as soon as its body has arrived (before any delay, so a client that
 * gives up is still seen): {"method", "path", "headers": {lower-case name:
 * value}, "body", "ms": arrival time in ms since start, "unix_us": arrival
 * time on the wall clock in µs (for latencies measured against other
 * processes' timestamps), "status": the status this request is answered}.
 * When listening it
 * prints "port=N" on stdout; it serves until SIGTERM or SIGINT, exit 0.
 *
 * One thread per connection (libmicrohttpd), so a slow path holds only its
 * own connection. It does no TLS and keeps nothing but the log.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "xalloc.h"

#define RECEIVER_MAX_ROUTES 64
#define RECEIVER_MAX_BODY   (1 << 20)

typedef struct {
    char *path;
    unsigned status;
    char *retry_after; /* NULL, "2" or "d5" */
    unsigned delay_ms;
} receiver_route_t;

typedef struct {
    char *body;
    size_t len;
    json_t *headers;
} receiver_req_t;

static receiver_route_t routes[RECEIVER_MAX_ROUTES];
static size_t nroutes;
static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec started;
static volatile sig_atomic_t stop;

static void receiver_on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void receiver_usage(FILE *out)
{
    fprintf(out, "usage: http_receiver --port N --log FILE "
                 "[PATH=STATUS[:RETRY_AFTER|:dSECONDS][@DELAY_MS]]...\n");
}

/* receiver_parse_route - "PATH=STATUS[:RA][@MS]"; 0 or -1. */
static int receiver_parse_route(const char *spec, receiver_route_t *r)
{
    const char *eq = strchr(spec, '=');
    if (!eq || spec[0] != '/') {
        return -1;
    }
    r->path = xstrndup(spec, (size_t)(eq - spec));
    char *end;
    r->status = (unsigned)strtoul(eq + 1, &end, 10);
    if (r->status < 100 || r->status > 599) {
        return -1;
    }
    if (*end == ':') {
        const char *ra = end + 1;
        size_t n = strcspn(ra, "@");
        r->retry_after = xstrndup(ra, n);
        end = (char *)ra + n;
    }
    if (*end == '@') {
        r->delay_ms = (unsigned)strtoul(end + 1, &end, 10);
    }
    return *end == '\0' ? 0 : -1;
}

static enum MHD_Result receiver_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    char *lower = xstrdup(key);
    for (char *p = lower; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    json_object_set_new(cls, lower, json_string(value ? value : "")); /* steals */
    free(lower);
    return MHD_YES;
}

static void receiver_record(struct MHD_Connection *conn, const char *method, const char *url,
                            receiver_req_t *rq, unsigned status)
{
    struct timespec now, wall;
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_REALTIME, &wall);
    long long ms =
        (long long)(now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
    json_t *headers = json_object();
    MHD_get_connection_values(conn, MHD_HEADER_KIND, receiver_header, headers);
    json_t *o = json_object();
    /* json_object_set_new steals each new value's reference. */
    json_object_set_new(o, "method", json_string(method));
    json_object_set_new(o, "path", json_string(url));
    json_object_set_new(o, "headers", headers);
    json_object_set_new(o, "body", json_stringn(rq->body ? rq->body : "", rq->len));
    json_object_set_new(o, "ms", json_integer(ms));
    json_object_set_new(o, "unix_us",
                        json_integer((json_int_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000));
    json_object_set_new(o, "status", json_integer(status));
    char *line = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    pthread_mutex_lock(&log_lock);
    fprintf(log_file, "%s\n", line ? line : "{}");
    fflush(log_file);
    pthread_mutex_unlock(&log_lock);
    free(line);
}

static enum MHD_Result receiver_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls)
{
    (void)cls;
    (void)version;
    receiver_req_t *rq = *con_cls;
    if (!rq) {
        *con_cls = xcalloc(1, sizeof *rq);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (rq->len + *upload_data_size <= RECEIVER_MAX_BODY) {
            rq->body = xrealloc(rq->body, rq->len + *upload_data_size + 1);
            memcpy(rq->body + rq->len, upload_data, *upload_data_size);
            rq->len += *upload_data_size;
            rq->body[rq->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    const receiver_route_t *r = NULL;
    for (size_t i = 0; i < nroutes; i++) {
        if (strcmp(routes[i].path, url) == 0) {
            r = &routes[i];
        }
    }
    unsigned status = r ? r->status : 404;
    receiver_record(conn, method, url, rq, status);
    if (r && r->delay_ms) {
        usleep(r->delay_ms * 1000u);
    }
    const char *text = status < 300 ? "{\"ok\":true}\n" : "{\"error\":\"as configured\"}\n";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r && r->retry_after) {
        char buf[64];
        if (r->retry_after[0] == 'd') {
            time_t t = time(NULL) + atol(r->retry_after + 1);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        } else {
            snprintf(buf, sizeof buf, "%s", r->retry_after);
        }
        MHD_add_response_header(resp, "Retry-After", buf);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void receiver_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                               enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    receiver_req_t *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                         {"log", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int port = 0, c;
    const char *log_path = NULL;
    while ((c = getopt_long(argc, argv, "p:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'l':
            log_path = optarg;
            break;
        case 'h':
            receiver_usage(stdout);
            return 0;
        default:
            receiver_usage(stderr);
            return 2;
        }
    }
    if (!log_path) {
        receiver_usage(stderr);
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        if (nroutes == RECEIVER_MAX_ROUTES ||
            receiver_parse_route(argv[i], &routes[nroutes]) != 0) {
            fprintf(stderr, "http_receiver: bad route '%s'\n", argv[i]);
            return 2;
        }
        nroutes++;
    }
    log_file = fopen(log_path, "a");
    if (!log_file) {
        perror(log_path);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &started);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL,
        NULL, receiver_handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, receiver_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)60, MHD_OPTION_END);
    if (!mhd) {
        fprintf(stderr, "http_receiver: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
    printf("port=%u\n", info ? (unsigned)info->port : (unsigned)port);
    fflush(stdout);
    signal(SIGTERM, receiver_on_signal);
    signal(SIGINT, receiver_on_signal);
    while (!stop) {
        pause();
    }
    MHD_stop_daemon(mhd);
    fclose(log_file);
    for (size_t i = 0; i < nroutes; i++) {
        free(routes[i].path);
        free(routes[i].retry_after);
    }
    return 0;
}
