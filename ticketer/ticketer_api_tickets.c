/*
 * ticketer_api_tickets - GET /api/v1/tickets (filters, sorting, keyset
 * pagination) and GET /api/v1/tickets/{key} (the ticket with its timeline
 * and alerts, ETag = version).
 *
 * Pagination is a keyset on (sort key, id): the cursor carries the sort and
 * the last row's key and id, so tickets inserted while a client pages never
 * shift a page (no duplicates, no gaps). The filters are not in the cursor:
 * the client repeats them with it. Every filter is a parameter of one fixed
 * statement; only the ORDER BY / comparison pair is chosen, from a table.
 *
 * Does not: change tickets (ticketer_api_write.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_state.h"
#include "ticketer_api_internal.h"
#include "xalloc.h"

#define API_LIST_VALUES_MAX 64

/* The sorts a client may ask for: the key as a bigint (microseconds for
 * times), the column to order by, and the same as a bigint parameter. */
static const struct {
    const char *name;
    const char *key_sql;   /* the row's key as bigint */
    const char *order_sql; /* the column */
    const char *param_sql; /* $10 turned back into the column's type */
} api_sorts[] = {
    {"opened_at", "(extract(epoch FROM t.opened_at) * 1000000)::bigint", "t.opened_at",
     "'epoch'::timestamptz + $10::bigint * interval '1 microsecond'"},
    {"updated_at", "(extract(epoch FROM t.updated_at) * 1000000)::bigint", "t.updated_at",
     "'epoch'::timestamptz + $10::bigint * interval '1 microsecond'"},
    {"priority", "t.priority::bigint", "t.priority", "$10::bigint"},
};

/* A growing list of owned strings (query values split at commas). */
typedef struct {
    char *v[API_LIST_VALUES_MAX];
    size_t n;
} api_strings_t;

static void api_strings_free(api_strings_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
    }
    s->n = 0;
}

/* api_query_list - every value of query argument name, split at commas
 * (empty pieces dropped). -1 after answering 400 when there are too many. */
static int api_query_list(api_ctx_t *c, const char *name, api_strings_t *out)
{
    const char *vals[API_LIST_VALUES_MAX];
    size_t n = http_request_query_all(c->req, name, vals, API_LIST_VALUES_MAX);
    if (n > API_LIST_VALUES_MAX) {
        api_error(c, 400, name, "at most %d values of '%s'", API_LIST_VALUES_MAX, name);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *p = vals[i];
        while (*p) {
            size_t len = strcspn(p, ",");
            if (len > 0) {
                if (out->n == API_LIST_VALUES_MAX) {
                    api_error(c, 400, name, "at most %d values of '%s'", API_LIST_VALUES_MAX, name);
                    return -1;
                }
                out->v[out->n++] = xasprintf("%.*s", (int)len, p);
            }
            p += len;
            if (*p == ',') {
                p++;
            }
        }
    }
    return 0;
}

/* api_like_pattern - "%text%" for ILIKE with \, % and _ escaped. Caller
 * owns the result; free with free(). */
static char *api_like_pattern(const char *text)
{
    char *out = xmalloc(2 * strlen(text) + 3), *w = out;
    *w++ = '%';
    for (const char *p = text; *p; p++) {
        if (*p == '\\' || *p == '%' || *p == '_') {
            *w++ = '\\';
        }
        *w++ = *p;
    }
    *w++ = '%';
    *w = '\0';
    return out;
}

static bool api_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s)) {
        return false;
    }
    *out = strtoll(s, NULL, 10);
    return true;
}

/* api_list_filters - reads the filters into the statement's parameters
 * $1..$9 (strings owned by store). -1 after answering 400. */
typedef struct {
    api_strings_t states, queues, prios, label_k, label_v;
    char *arrays[5];
    char *text;
    const char *params[12];
} api_list_args_t;

static void api_list_args_free(api_list_args_t *a)
{
    api_strings_free(&a->states);
    api_strings_free(&a->queues);
    api_strings_free(&a->prios);
    api_strings_free(&a->label_k);
    api_strings_free(&a->label_v);
    for (size_t i = 0; i < 5; i++) {
        free(a->arrays[i]);
    }
    free(a->text);
}

static int api_list_filters(api_ctx_t *c, api_list_args_t *a)
{
    /* state: names, or "open" for every state but resolved and closed */
    api_strings_t raw = {.n = 0};
    if (api_query_list(c, "state", &raw) < 0) {
        api_strings_free(&raw);
        return -1;
    }
    for (size_t i = 0; i < raw.n; i++) {
        ticket_state_t st;
        if (strcmp(raw.v[i], "open") == 0) {
            static const char *const open[] = {"new", "acknowledged", "in_progress", "pending"};
            for (size_t j = 0; j < 4 && a->states.n < API_LIST_VALUES_MAX; j++) {
                a->states.v[a->states.n++] = xstrdup(open[j]);
            }
        } else if (ticket_state_parse(raw.v[i], &st) == 0) {
            a->states.v[a->states.n++] = xstrdup(raw.v[i]);
        } else {
            api_error(c, 400, "state",
                      "unknown state '%s' (new, acknowledged, in_progress, pending, resolved, "
                      "closed, or open)",
                      raw.v[i]);
            api_strings_free(&raw);
            return -1;
        }
        if (a->states.n == API_LIST_VALUES_MAX) {
            break;
        }
    }
    api_strings_free(&raw);
    if (api_query_list(c, "queue", &a->queues) < 0 ||
        api_query_list(c, "priority", &a->prios) < 0) {
        return -1;
    }
    for (size_t i = 0; i < a->prios.n; i++) {
        const char *p = a->prios.v[i];
        if (*p == 'P' || *p == 'p') {
            p++;
        }
        if (strlen(p) != 1 || *p < '1' || *p > '4') {
            api_error(c, 400, "priority", "unknown priority '%s' (P1, P2, P3 or P4)",
                      a->prios.v[i]);
            return -1;
        }
        char digit[2] = {*p, '\0'};
        free(a->prios.v[i]);
        a->prios.v[i] = xstrdup(digit);
    }
    const char *labels[API_LIST_VALUES_MAX];
    size_t nl = http_request_query_all(c->req, "label", labels, API_LIST_VALUES_MAX);
    if (nl > API_LIST_VALUES_MAX) {
        api_error(c, 400, "label", "at most %d label filters", API_LIST_VALUES_MAX);
        return -1;
    }
    for (size_t i = 0; i < nl; i++) {
        const char *eq = strchr(labels[i], '=');
        if (!eq || eq == labels[i]) {
            api_error(c, 400, "label", "label filter '%s' must be NAME=VALUE", labels[i]);
            return -1;
        }
        a->label_k.v[a->label_k.n++] = xasprintf("%.*s", (int)(eq - labels[i]), labels[i]);
        a->label_v.v[a->label_v.n++] = xstrdup(eq + 1);
    }
    api_strings_t *lists[] = {&a->states, &a->queues, &a->prios, &a->label_k, &a->label_v};
    int slots[] = {0, 1, 2, 4, 5};
    for (size_t i = 0; i < 5; i++) {
        if (lists[i]->n > 0) {
            a->arrays[i] = api_pg_array((const char *const *)lists[i]->v, lists[i]->n);
            a->params[slots[i]] = a->arrays[i];
        }
    }
    a->params[3] = http_request_query(c->req, "assignee");
    const char *text = http_request_query(c->req, "text");
    if (text && *text) {
        a->text = api_like_pattern(text);
        a->params[6] = a->text;
    }
    const char *breached = http_request_query(c->req, "breached");
    if (breached) {
        if (strcmp(breached, "true") != 0 && strcmp(breached, "false") != 0) {
            api_error(c, 400, "breached", "breached must be true or false, not '%s'", breached);
            return -1;
        }
        a->params[7] = strcmp(breached, "true") == 0 ? "t" : "f";
    }
    const char *incident = http_request_query(c->req, "incident");
    int64_t iid;
    if (incident) {
        if (!api_parse_i64(incident, &iid)) {
            api_error(c, 400, "incident", "incident must be an incident id (digits), not '%s'",
                      incident);
            return -1;
        }
        a->params[8] = incident;
    }
    return 0;
}

void api_tickets_list(api_ctx_t *c)
{
    static const char *const known[] = {"state", "queue", "priority", "assignee",
                                        "label", "text",  "breached", "incident",
                                        "sort",  "limit", "cursor",   NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    /* sort */
    const char *sort = http_request_query(c->req, "sort");
    sort = sort && *sort ? sort : "-opened_at";
    bool desc = sort[0] == '-';
    const char *sname = desc ? sort + 1 : sort;
    size_t si = 0;
    while (si < sizeof api_sorts / sizeof *api_sorts && strcmp(api_sorts[si].name, sname) != 0) {
        si++;
    }
    if (si == sizeof api_sorts / sizeof *api_sorts) {
        api_error(c, 400, "sort",
                  "unknown sort '%s' (opened_at, updated_at or priority; '-' prefix for "
                  "descending)",
                  sort);
        return;
    }
    /* limit */
    int64_t limit = TICKETER_API_LIMIT_DEFAULT;
    const char *lim = http_request_query(c->req, "limit");
    if (lim && (!api_parse_i64(lim, &limit) || limit < 1 || limit > TICKETER_API_LIMIT_MAX)) {
        api_error(c, 400, "limit", "limit must be 1..%d, not '%s'", TICKETER_API_LIMIT_MAX, lim);
        return;
    }
    /* cursor: "v1~SORT~KEY~ID" from the previous page */
    char ckey[24] = "", cid[24] = "";
    const char *cursor = http_request_query(c->req, "cursor");
    if (cursor && *cursor) {
        char csort[32];
        long long k, id;
        int used = 0;
        if (sscanf(cursor, "v1~%31[-a-z_]~%lld~%lld%n", csort, &k, &id, &used) != 3 ||
            (size_t)used != strlen(cursor)) {
            api_error(c, 400, "cursor", "cursor is not one this API gave out; start without it");
            return;
        }
        if (strcmp(csort, sort) != 0) {
            api_error(c, 400, "cursor", "cursor was made for sort '%s', not '%s'", csort, sort);
            return;
        }
        snprintf(ckey, sizeof ckey, "%lld", k);
        snprintf(cid, sizeof cid, "%lld", id);
    }
    api_list_args_t a;
    memset(&a, 0, sizeof a);
    if (api_list_filters(c, &a) < 0) {
        api_list_args_free(&a);
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        api_list_args_free(&a);
        return;
    }
    char slimit[24];
    snprintf(slimit, sizeof slimit, "%" PRId64, limit + 1);
    a.params[9] = *ckey ? ckey : NULL;
    a.params[10] = *cid ? cid : NULL;
    a.params[11] = slimit;
    const char *dir = desc ? "DESC" : "ASC", *cmp = desc ? "<" : ">";
    char *sql =
        xasprintf("SELECT %s, %s, t.id FROM tickets t WHERE "
                  "($1::text[] IS NULL OR t.state = ANY ($1::text[])) "
                  "AND ($2::text[] IS NULL OR t.queue = ANY ($2::text[])) "
                  "AND ($3::int[] IS NULL OR t.priority = ANY ($3::int[])) "
                  "AND ($4::text IS NULL OR ($4 = '' AND t.assignee IS NULL) OR t.assignee = $4) "
                  "AND ($5::text[] IS NULL OR t.labels @> hstore($5::text[], $6::text[])) "
                  "AND ($7::text IS NULL OR t.title ILIKE $7 OR t.description ILIKE $7) "
                  "AND ($8::boolean IS NULL OR (t.response_status = 'breached' OR "
                  "t.resolution_status = 'breached') = $8::boolean) "
                  "AND ($9::bigint IS NULL OR t.incident_id = $9::bigint) "
                  "AND ($10::bigint IS NULL OR (%s, t.id) %s (%s, $11::bigint)) "
                  "ORDER BY %s %s, t.id %s LIMIT $12::int",
                  api_ticket_json_sql, api_sorts[si].key_sql, api_sorts[si].order_sql, cmp,
                  api_sorts[si].param_sql, api_sorts[si].order_sql, dir, dir);
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "api.tickets.list", sql, 12, a.params, &res);
    free(sql);
    api_list_args_free(&a);
    if (st != DB_OK) {
        if (st == DB_RETRY) {
            api_conn_reset(c);
        }
        if (st == DB_RETRY) {
            api_unavailable(c);
        } else {
            api_error(c, 500, NULL, "listing tickets failed; see the ticketer's log");
        }
        return;
    }
    int rows = PQntuples(res);
    int shown = rows > limit ? (int)limit : rows;
    /* Build the page as text: the items are JSON already. */
    size_t cap = 64;
    for (int i = 0; i < shown; i++) {
        cap += (size_t)PQgetlength(res, i, 0) + 1;
    }
    char *body = xmalloc(cap + 128), *w = body;
    w += sprintf(w, "{\"tickets\":[");
    for (int i = 0; i < shown; i++) {
        if (i) {
            *w++ = ',';
        }
        size_t len = (size_t)PQgetlength(res, i, 0);
        memcpy(w, PQgetvalue(res, i, 0), len);
        w += len;
    }
    if (rows > limit) {
        w += sprintf(w, "],\"count\":%d,\"next_cursor\":\"v1~%s~%s~%s\"}", shown, sort,
                     PQgetvalue(res, shown - 1, 1), PQgetvalue(res, shown - 1, 2));
    } else {
        w += sprintf(w, "],\"count\":%d,\"next_cursor\":null}", shown);
    }
    PQclear(res);
    api_send_text(c, 200, body);
    free(body);
}

void api_tickets_show(api_ctx_t *c, const char *key)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    char *json = NULL;
    bool found = false;
    db_status_t st = api_ticket_show_json(conn, key, &json, &found);
    if (st != DB_OK) {
        if (st == DB_RETRY) {
            api_conn_reset(c);
            api_unavailable(c);
        } else {
            api_error(c, 500, NULL, "reading ticket %s failed; see the ticketer's log", key);
        }
        return;
    }
    if (!found) {
        api_error(c, 404, "key", "no ticket %s", key);
        return;
    }
    /* The ETag is the version; the version is in the JSON as well. */
    json_t *o = json_loads(json, 0, NULL);
    json_int_t version = o ? json_integer_value(json_object_get(o, "version")) : 0;
    json_decref(o);
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    http_response_header(c->req, "ETag", etag);
    api_send_text(c, 200, json);
    free(json);
}
