/*
 * ingest_http - HTTP alert endpoints. See ingest_http.h.
 *
 * A handler authenticates, decodes (all limits enforced there), hands the
 * good events to the committer and suspends the request; the committer's
 * done() callback answers it. Rejected events are named in the answer.
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "ingest_http.h"
#include "log.h"
#include "xalloc.h"

#define INGEST_RETRY_AFTER_FULL_S 1
#define INGEST_RETRY_AFTER_DOWN_S 5

/* One suspended request waiting for its commit. */
typedef struct {
    ingest_t *in;
    http_request_t *http;
    event_format_t format;
    char *reply; /* the 202 body, prepared before submitting */
} ingest_http_pending_t;

typedef struct {
    ingest_t *in;
    event_format_t format;
} ingest_http_route_t;

static ingest_http_route_t ingest_http_routes[4];

static const char ingest_http_unauthorized[] =
    "{\"error\":\"missing or unknown bearer token\",\"field\":\"Authorization\"}";

/* Checks "Authorization: Bearer <token>" against the hashed tokens; every
 * role may post alerts. */
static bool ingest_http_authorized(ingest_t *in, http_request_t *req)
{
    const settings_t *live = atomic_load(&in->live)->s;
    if (!live->auth_required) {
        return true;
    }
    const char *h = http_request_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        return false;
    }
    const char *token = h + 7;
    while (*token == ' ') {
        token++;
    }
    const settings_token_t *t = NULL;
    return settings_token_lookup(live, token, &t) == 0;
}

static char *ingest_http_pagerduty_errors(const decode_result_t *r)
{
    json_t *root = json_object();
    json_object_set_new(root, "status", json_string("invalid event"));
    json_object_set_new(root, "message", json_string("Event object is invalid"));
    json_t *errors = json_array();
    for (size_t i = 0; i < r->nrejects; i++) {
        char line[400];
        snprintf(line, sizeof line, "'%s' %s", r->rejects[i].field, r->rejects[i].error);
        json_array_append_new(errors, json_string(line));
    }
    json_object_set_new(root, "errors", errors);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static char *ingest_http_pagerduty_ok(const char *dedup_key)
{
    json_t *root = json_pack("{s:s, s:s, s:s}", "status", "success", "message", "Event processed",
                             "dedup_key", dedup_key);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* Answers a request that will not reach the committer. */
static void ingest_http_refuse(http_request_t *req, intake_status_t st, event_format_t format)
{
    bool pd = format == EVENT_FORMAT_PAGERDUTY;
    switch (st) {
    case INTAKE_FULL:
        http_respond_json(req, 429,
                          pd ? "{\"status\":\"throttle event\",\"message\":\"Requests are "
                               "arriving too quickly. Please retry later.\"}"
                             : "{\"error\":\"overloaded: queue full, retry later\"}",
                          INGEST_RETRY_AFTER_FULL_S);
        break;
    case INTAKE_UNAVAILABLE:
        http_respond_json(req, 503,
                          pd ? "{\"status\":\"unavailable\",\"message\":\"Storage unavailable. "
                               "Please retry later.\"}"
                             : "{\"error\":\"storage unavailable, retry later\"}",
                          INGEST_RETRY_AFTER_DOWN_S);
        break;
    default:
        http_respond_json(req, 500,
                          pd ? "{\"status\":\"error\",\"message\":\"The event could not be "
                               "stored.\"}"
                             : "{\"error\":\"the events could not be stored; see the ingest log\"}",
                          0);
        break;
    }
}

static void ingest_http_count_refusal(ingest_t *in, intake_status_t st)
{
    ingest_reject_reason_t reason = st == INTAKE_FULL          ? INGEST_REJECT_OVERLOAD
                                    : st == INTAKE_UNAVAILABLE ? INGEST_REJECT_UNAVAILABLE
                                                               : INGEST_REJECT_FAILED;
    metric_inc(in->m_rejected[INTAKE_HTTP][reason]);
}

/* done() from the committer thread. */
static void ingest_http_done(intake_req_t *req, intake_status_t st, void *arg)
{
    ingest_http_pending_t *p = arg;
    if (st == INTAKE_COMMITTED) {
        http_respond_json(p->http, 202, p->reply, 0);
    } else {
        ingest_http_count_refusal(p->in, st);
        ingest_http_refuse(p->http, st, p->format);
    }
    free(p->reply);
    free(p);
    intake_req_destroy(&req);
}

static void ingest_http_handle(http_request_t *hreq, void *arg)
{
    ingest_http_route_t *route = arg;
    ingest_t *in = route->in;
    event_format_t format = route->format;

    /* PagerDuty authenticates by routing_key in the body, like PagerDuty. */
    if (format != EVENT_FORMAT_PAGERDUTY && !ingest_http_authorized(in, hreq)) {
        metric_inc(in->m_rejected[INTAKE_HTTP][INGEST_REJECT_AUTH]);
        http_respond_json(hreq, 401, ingest_http_unauthorized, 0);
        return;
    }
    size_t len;
    const char *body = http_request_body(hreq, &len);
    decode_context_t ctx;
    ingest_decode_context(in, &ctx);
    decode_result_t r;
    decode_result_init(&r);
    decode_any(format, body, len, &in->s->limits, &ctx, &r);

    size_t n = r.nevents;
    /* PagerDuty's routing_key is its credential: an unknown one is an auth
     * refusal (401), not a malformed body. */
    bool unknown_key = format == EVENT_FORMAT_PAGERDUTY && r.nrejects > 0 &&
                       strcmp(r.rejects[0].field, "routing_key") == 0 &&
                       strstr(r.rejects[0].error, "unknown") != NULL;
    if (unknown_key) {
        ingest_count(in, INTAKE_HTTP, format, NULL, 0);
        metric_inc(in->m_rejected[INTAKE_HTTP][INGEST_REJECT_AUTH]);
    } else {
        ingest_count(in, INTAKE_HTTP, format, &r, n);
    }
    if (format == EVENT_FORMAT_PAGERDUTY) {
        if (r.nrejects > 0 || n == 0) {
            char *text = ingest_http_pagerduty_errors(&r);
            http_respond_json(hreq, unknown_key ? 401 : 400, text, 0);
            free(text);
            decode_result_clear(&r);
            return;
        }
    } else if (n == 0 && r.nrejects > 0) {
        char *text = ingest_reply_json(0, &r);
        http_respond_json(hreq, 400, text, 0);
        free(text);
        decode_result_clear(&r);
        return;
    } else if (n == 0) {
        /* A valid body without events (an Alertmanager group emptied by
         * truncation, an empty array): nothing to store. */
        http_respond_json(hreq, 200, "{\"accepted\":0,\"rejected\":[]}", 0);
        decode_result_clear(&r);
        return;
    }

    ingest_http_pending_t *p = xcalloc(1, sizeof *p);
    p->in = in;
    p->http = hreq;
    p->format = format;
    p->reply = format == EVENT_FORMAT_PAGERDUTY ? ingest_http_pagerduty_ok(r.dedup_key)
                                                : ingest_reply_json(n, &r);
    event_t **events = decode_result_take_events(&r, &n);
    decode_result_clear(&r);
    intake_req_t *req = intake_req_new(INTAKE_HTTP, &events, n);
    if (in->s->ingest_keep_raw) {
        req->raw_body = xstrndup(body, len);
    }
    req->done = ingest_http_done;
    req->done_arg = p;
    /* Suspend before submitting: the committer may answer at once. */
    http_suspend(hreq);
    intake_status_t st = intake_submit(in->q, req);
    if (st != INTAKE_COMMITTED) {
        ingest_http_count_refusal(in, st);
        ingest_http_refuse(hreq, st, format);
        free(p->reply);
        free(p);
        intake_req_destroy(&req);
    }
}

http_server_t *ingest_http_start(ingest_t *in, bool (*health)(void *arg, char *why, size_t whylen),
                                 void *health_arg)
{
    static const struct {
        const char *path;
        event_format_t format;
    } paths[4] = {{"/api/v1/events", EVENT_FORMAT_NATIVE},
                  {"/api/v1/alertmanager", EVENT_FORMAT_ALERTMANAGER},
                  {"/api/v1/zabbix", EVENT_FORMAT_ZABBIX},
                  {"/v2/enqueue", EVENT_FORMAT_PAGERDUTY}};
    http_route_t routes[4];
    for (int i = 0; i < 4; i++) {
        ingest_http_routes[i].in = in;
        ingest_http_routes[i].format = paths[i].format;
        routes[i] = (http_route_t){"POST", paths[i].path, ingest_http_handle,
                                   &ingest_http_routes[i], in->s->limits.max_body_bytes};
    }
    http_server_config_t cfg = {.listen = in->s->ingest_http_listen,
                                .threads = (int)in->s->ingest_http_threads,
                                .routes = routes,
                                .nroutes = 4,
                                .healthy = health,
                                .health_arg = health_arg};
    return http_server_start(&cfg);
}
