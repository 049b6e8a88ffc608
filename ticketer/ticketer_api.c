/*
 * ticketer_api - the route table of the ticketer's JSON API, bearer-token
 * authentication, and the one PostgreSQL connection each HTTP thread keeps.
 * The handlers live in the topic files (ticketer_api_*.c); see
 * ticketer_api.h and ticketer_api_internal.h.
 *
 * Does not: parse bodies or render tickets (ticketer_api_json.c), change a
 * ticket other than through ticketer_ticket.h (ticketer_api_write.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

PGconn *api_conn(api_ctx_t *c)
{
    PGconn *conn = api_conn_try(c);
    if (!conn) {
        api_unavailable(c);
    }
    return conn;
}

/* Each HTTP thread's own connection (db_thread_conn), remembered for the
 * request. */
PGconn *api_conn_try(api_ctx_t *c)
{
    if (!c->conn) {
        const settings_t *s = c->api->cfg.settings;
        c->conn = db_thread_conn(s->database_url, s->database_connect_timeout_ms);
    }
    return c->conn;
}

void api_conn_reset(api_ctx_t *c)
{
    db_thread_conn_reset();
    c->conn = NULL;
}

const ticket_routing_t *api_routing(const api_ctx_t *c)
{
    return c->api->cfg.routing(c->api->cfg.routing_arg);
}

int64_t api_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool api_require(api_ctx_t *c, auth_role_t need)
{
    if (settings_role_allows(c->role, need)) {
        return true;
    }
    api_error(c, 403, NULL, "token '%s' has role %s; this needs role %s or above", c->actor,
              settings_role_name(c->role), settings_role_name(need));
    return false;
}

/* api_auth - who is calling: fills actor and role, or answers 401. */
static bool api_auth(api_ctx_t *c)
{
    const settings_t *s = c->api->cfg.settings;
    const char *h = http_request_header(c->req, "Authorization");
    if (!h) {
        if (!s->auth_required) {
            c->actor = "anonymous";
            c->role = AUTH_ROLE_ADMIN;
            return true;
        }
        api_error(c, 401, NULL, "missing bearer token: send 'Authorization: Bearer TOKEN'");
        return false;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        api_error(c, 401, NULL, "the Authorization header must be 'Bearer TOKEN'");
        return false;
    }
    const settings_token_t *tok = NULL;
    if (settings_token_lookup(s, h + 7, &tok) < 0) {
        api_error(c, 401, NULL, "unknown bearer token");
        return false;
    }
    c->actor = tok->name;
    c->role = tok->role;
    if (c->role == AUTH_ROLE_INGEST) {
        api_error(c, 403, NULL, "token '%s' has role ingest, which may only post alerts", c->actor);
        return false;
    }
    return true;
}

/* api_segments - splits rest ("NOC-1/ack") into at most max segments in
 * buf; returns how many, or -1 when there are more or one is empty. */
static int api_segments(const char *rest, char *buf, size_t buflen, char **seg, int max)
{
    if (strlen(rest) >= buflen) {
        return -1;
    }
    strcpy(buf, rest);
    int n = 0;
    char *p = buf;
    while (*p) {
        if (n == max) {
            return -1;
        }
        seg[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash) {
            break;
        }
        *slash = '\0';
        p = slash + 1;
        if (!*p) {
            return -1;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!*seg[i]) {
            return -1;
        }
    }
    return n;
}

/* api_handle - every /api/v1 request: authenticate, then dispatch. */
static void api_handle(http_request_t *req, void *arg)
{
    api_ctx_t c = {.api = arg, .req = req};
    const char *method = http_request_method(req);
    const char *path = http_request_path(req);
    /* An EventSource cannot send headers: the stream also takes a ticket. */
    const char *ticket = strcmp(path, "/api/v1/stream") == 0 && strcmp(method, "GET") == 0
                             ? http_request_query(req, "ticket")
                             : NULL;
    if (ticket ? !api_stream_ticket_auth(&c, ticket) : !api_auth(&c)) {
        return;
    }
    const char *rest = http_request_path_rest(req);
    char buf[512];
    char *seg[3];
    int n = api_segments(rest, buf, sizeof buf, seg, 3);
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

    if (strcmp(path, "/api/v1/tickets") == 0) {
        api_tickets_list(&c);
    } else if (strcmp(path, "/api/v1/tickets/bulk") == 0 && post) {
        api_tickets_bulk(&c);
    } else if (strncmp(path, "/api/v1/tickets/", 16) == 0 && n == 1 && get) {
        api_tickets_show(&c, seg[0]);
    } else if (strncmp(path, "/api/v1/tickets/", 16) == 0 && n == 2 && get &&
               strcmp(seg[1], "similar") == 0) {
        api_tickets_similar(&c, seg[0]);
    } else if (strncmp(path, "/api/v1/tickets/", 16) == 0 && n == 2 && get &&
               strcmp(seg[1], "pages") == 0) {
        api_tickets_pages(&c, seg[0]);
    } else if (strncmp(path, "/api/v1/tickets/", 16) == 0 && n == 2 && post) {
        api_tickets_action(&c, seg[0], seg[1]);
    } else if (strncmp(path, "/api/v1/incidents/", 18) == 0 && n == 1 && get) {
        api_incidents_show(&c, seg[0]);
    } else if (strcmp(path, "/api/v1/silences") == 0 && get) {
        api_silences_list(&c);
    } else if (strcmp(path, "/api/v1/silences") == 0 && post) {
        api_silences_add(&c);
    } else if (strncmp(path, "/api/v1/silences/", 17) == 0 &&
               ((n == 2 && post && strcmp(seg[1], "expire") == 0) || (n == 1 && !get && !post))) {
        api_silences_expire(&c, seg[0]);
    } else if (strcmp(path, "/api/v1/reports/summary") == 0 && get) {
        api_reports_summary(&c);
    } else if (strcmp(path, "/api/v1/reports/series") == 0 && get) {
        api_reports_series(&c);
    } else if (strcmp(path, "/api/v1/whoami") == 0 && get) {
        api_whoami(&c);
    } else if (strcmp(path, "/api/v1/stream") == 0 && get) {
        api_stream_open(&c);
    } else if (strcmp(path, "/api/v1/stream/token") == 0 && post) {
        api_stream_token(&c);
    } else if (strcmp(path, "/api/v1/people") == 0 && get) {
        api_people_list(&c);
    } else if (strcmp(path, "/api/v1/oncall") == 0 && get) {
        api_oncall_show(&c);
    } else if (strcmp(path, "/api/v1/maintenance") == 0 && get) {
        api_maintenance_list(&c);
    } else if (n < 0 || !get) {
        api_error(&c, n < 0 ? 404 : 405, NULL, "no such endpoint: %s %s", method, path);
    } else {
        api_error(&c, 404, NULL, "no such endpoint: %s %s", method, path);
    }
}

ticketer_api_t *ticketer_api_new(const ticketer_api_config_t *cfg)
{
    ticketer_api_t *api = xcalloc(1, sizeof *api);
    api->cfg = *cfg;
    static const struct {
        const char *method, *path;
        size_t max_body;
    } table[] = {
        {"GET", "/api/v1/tickets", 0},
        {"GET", "/api/v1/tickets/*", 0},
        {"POST", "/api/v1/tickets/*", TICKETER_API_MAX_BODY},
        {"GET", "/api/v1/incidents/*", 0},
        {"GET", "/api/v1/silences", 0},
        {"POST", "/api/v1/silences", TICKETER_API_MAX_BODY},
        {"POST", "/api/v1/silences/*", TICKETER_API_MAX_BODY},
        {"DELETE", "/api/v1/silences/*", 0},
        {"GET", "/api/v1/reports/summary", 0},
        {"GET", "/api/v1/reports/series", 0},
        {"GET", "/api/v1/whoami", 0},
        {"GET", "/api/v1/stream", 0},
        {"POST", "/api/v1/stream/token", TICKETER_API_MAX_BODY},
        {"GET", "/api/v1/people", 0},
        {"GET", "/api/v1/oncall", 0},
        {"GET", "/api/v1/maintenance", 0},
    };
    api->nroutes = sizeof table / sizeof *table;
    /* One more slot for the console's files (ticketer_console.c). */
    api->routes = xcalloc(api->nroutes + 1, sizeof *api->routes);
    for (size_t i = 0; i < api->nroutes; i++) {
        api->routes[i] = (http_route_t){.method = table[i].method,
                                        .path = table[i].path,
                                        .handler = api_handle,
                                        .arg = api,
                                        .max_body = table[i].max_body};
    }
    if (ticketer_console_route(cfg->settings, &api->routes[api->nroutes]) == 0) {
        api->nroutes++;
    }
    api->stream_hub = api_stream_hub_new(cfg->settings);
    return api;
}

void ticketer_api_destroy(ticketer_api_t **ap)
{
    if (!ap || !*ap) {
        return;
    }
    api_stream_hub_destroy(&(*ap)->stream_hub);
    free((*ap)->routes);
    free(*ap);
    *ap = NULL;
}

const http_route_t *ticketer_api_routes(const ticketer_api_t *api, size_t *n)
{
    *n = api->nroutes;
    return api->routes;
}
