/*
 * ticketer_api_internal - what the ticketer_api*.c files share: the API
 * object, the per-request context (who is calling, on which connection),
 * JSON answers and errors, body parsing that refuses unknown fields, and
 * the SQL that renders a ticket as JSON (one expression for list, show and
 * the answers of writes, so they can never disagree).
 *
 * Topic files: ticketer_api.c (routes, auth, connections), ticketer_api_json.c
 * (helpers), ticketer_api_tickets.c (list, show), ticketer_api_write.c (ack,
 * assign, comment, state changes, bulk), ticketer_api_misc.c (incidents,
 * silences), ticketer_api_reports.c (reports), and what the console added:
 * ticketer_api_session.c (whoami, stream tickets), ticketer_api_stream.c
 * (server-sent events), ticketer_api_people.c (people, on call),
 * ticketer_api_history.c (similar tickets, pages), ticketer_api_series.c
 * (reports over time), ticketer_api_maintenance.c (maintenance windows);
 * ticketer_console.c serves the console's files.
 */
#ifndef ALERTDESK_TICKETER_API_INTERNAL_H
#define ALERTDESK_TICKETER_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "http_server.h"
#include "settings.h"
#include "ticketer_api.h"

/* Bodies over this are refused with 413 before they are read. */
#define TICKETER_API_MAX_BODY (64 * 1024)
/* Page sizes of GET /api/v1/tickets. */
#define TICKETER_API_LIMIT_DEFAULT 50
#define TICKETER_API_LIMIT_MAX     500
/* Keys in one bulk request. */
#define TICKETER_API_BULK_MAX 500

typedef struct api_stream_hub api_stream_hub_t;

struct ticketer_api {
    ticketer_api_config_t cfg;
    api_stream_hub_t *stream_hub; /* GET /api/v1/stream (ticketer_api_stream.c) */
    http_route_t *routes;
    size_t nroutes;
};

/* One request being served: the caller and the thread's connection. */
typedef struct {
    ticketer_api_t *api;
    http_request_t *req;
    const char *actor; /* the token's name ("anonymous" without auth) */
    auth_role_t role;
    PGconn *conn; /* the HTTP thread's own connection; NULL until api_conn() */
} api_ctx_t;

/* ---- ticketer_api.c ---- */

/* The thread's connection, opened on first use. NULL (and 503 answered)
 * when the database cannot be reached. */
PGconn *api_conn(api_ctx_t *c);
/* The same without answering: NULL when the database cannot be reached. */
PGconn *api_conn_try(api_ctx_t *c);
/* Forgets the thread's connection after a failure (the next request
 * reconnects). */
void api_conn_reset(api_ctx_t *c);
/* The routing in force. */
const ticket_routing_t *api_routing(const api_ctx_t *c);
/* True when the caller's role allows `need`; otherwise answers 403 and
 * returns false. */
bool api_require(api_ctx_t *c, auth_role_t need);
/* Wall clock, microseconds. */
int64_t api_now_us(void);

/* ---- ticketer_api_json.c ---- */

/* {"error": msg, "field": field} (field omitted when NULL). */
void api_error(api_ctx_t *c, int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 503 with Retry-After after a database failure. */
void api_unavailable(api_ctx_t *c);
/* Answers with the JSON text (NUL-terminated), adding a newline. */
void api_send_text(api_ctx_t *c, int status, const char *json);
/* Answers with v; takes ownership of v (json_decref). */
void api_send_json(api_ctx_t *c, int status, json_t *v);

/* Parses the body as a JSON object whose keys are all in `allowed`
 * (NULL-terminated). Returns the object (caller owns it; json_decref) or
 * NULL after answering 400 naming the field or the syntax error. An empty
 * body is an empty object. */
json_t *api_body_object(api_ctx_t *c, const char *const *allowed);
/* A string member: 0 with *out (borrowed from o; NULL when absent and not
 * required); -1 after answering 400 when it has another type, is missing
 * while required, or is longer than maxlen bytes. */
int api_body_string(api_ctx_t *c, json_t *o, const char *name, bool required, size_t maxlen,
                    const char **out);

/* Refuses query arguments not in `allowed` (NULL-terminated) with 400;
 * returns -1 then, else 0. */
int api_query_check(api_ctx_t *c, const char *const *allowed);

/* Appends a PostgreSQL text[] literal of the n strings. Caller owns the
 * result; free with free(). */
char *api_pg_array(const char *const *v, size_t n);

/* Runs a statement whose single row has one column of JSON text (or no row:
 * *found false). Caller owns *json (free) on DB_OK and found. */
db_status_t api_query_json(PGconn *conn, const char *what, const char *sql, int n,
                           const char *const *params, char **json, bool *found);

/* The SQL expression rendering one row of `tickets t` as a JSON object (the
 * list item; show adds the timeline and alerts). */
extern const char *const api_ticket_json_sql;
/* The ticket with this key as GET /api/v1/tickets/{key} shows it. */
db_status_t api_ticket_show_json(PGconn *conn, const char *key, char **json, bool *found);

/* ---- topic handlers (each checks its role) ---- */

void api_tickets_list(api_ctx_t *c);
void api_tickets_show(api_ctx_t *c, const char *key);
/* POST /api/v1/tickets/{key}/{action}. */
void api_tickets_action(api_ctx_t *c, const char *key, const char *action);
void api_tickets_bulk(api_ctx_t *c);
void api_incidents_show(api_ctx_t *c, const char *id);
void api_silences_list(api_ctx_t *c);
void api_silences_add(api_ctx_t *c);
void api_silences_expire(api_ctx_t *c, const char *id);
void api_reports_summary(api_ctx_t *c);
void api_reports_series(api_ctx_t *c);
void api_whoami(api_ctx_t *c);
void api_stream_token(api_ctx_t *c);
/* Authenticates c from a stream ticket (?ticket=): true with actor and role
 * set, else false after answering 401. */
bool api_stream_ticket_auth(api_ctx_t *c, const char *ticket);
void api_stream_open(api_ctx_t *c);
void api_people_list(api_ctx_t *c);
void api_oncall_show(api_ctx_t *c);
void api_tickets_similar(api_ctx_t *c, const char *key);
void api_tickets_pages(api_ctx_t *c, const char *key);
void api_maintenance_list(api_ctx_t *c);

/* ---- ticketer_api_stream.c: the hub thread serving every open stream ---- */

/* Starts the hub's thread. Caller owns the result; free with
 * api_stream_hub_destroy() after the HTTP server has stopped (which ends
 * every stream). */
api_stream_hub_t *api_stream_hub_new(const settings_t *s);
void api_stream_hub_destroy(api_stream_hub_t **hp);

/* ---- ticketer_console.c ---- */

/* The route serving ticketer.console_dir at "/": 0 with *route filled, or
 * -1 when no console directory is configured. route borrows from s. */
int ticketer_console_route(const settings_t *s, http_route_t *route);

#endif
