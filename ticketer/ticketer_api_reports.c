/*
 * ticketer_api_reports - GET /api/v1/reports/summary?since=&until=: what
 * the NOC's week looked like, computed by PostgreSQL in one statement.
 *
 * Over the tickets OPENED in [since, until):
 *   mtta_s / mttr_s   mean of acknowledged_at - opened_at and of
 *                     resolved_at - opened_at (seconds), over the tickets
 *                     that have one;
 *   sla               per clock: met and breached counts and met % =
 *                     met / (met + breached) (running clocks do not count);
 *   by_queue, by_priority, by_source, by_state: ticket counts;
 *   funnel            events received, alerts first seen, incidents opened
 *                     in the period, and the tickets above: the noise
 *                     reduction.
 *   satisfaction      survey answers on those tickets and their mean rating
 *                     (1-5; null without answers).
 * backlog is now, not the period: open tickets by state.
 *
 * Does not: cache, or read anything but the tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticketer_api_internal.h"
#include "xalloc.h"

/* api_time_ok - accepts RFC 3339 times and plain dates (2026-11-02,
 * 2026-11-02T10:00:00Z, ...+01:00); PostgreSQL does the conversion. */
static bool api_time_ok(const char *s)
{
    int y, mo, d;
    size_t n = strlen(s);
    return n >= 10 && n <= 40 && sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) == 3 && mo >= 1 &&
           mo <= 12 && d >= 1 && d <= 31 && strspn(s, "0123456789-T:.Z+ ") == n;
}

void api_reports_summary(api_ctx_t *c)
{
    static const char *const known[] = {"since", "until", NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    const char *since = http_request_query(c->req, "since");
    const char *until = http_request_query(c->req, "until");
    if (since && !api_time_ok(since)) {
        api_error(c, 400, "since", "since must be a date or RFC 3339 time (2026-11-02T00:00:00Z)");
        return;
    }
    if (until && !api_time_ok(until)) {
        api_error(c, 400, "until", "until must be a date or RFC 3339 time (2026-11-09T00:00:00Z)");
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    /* '+' in a query string may arrive as a space: read it back as '+'. */
    char sbuf[48] = "", ubuf[48] = "";
    if (since) {
        snprintf(sbuf, sizeof sbuf, "%s", since);
        for (char *p = strchr(sbuf, 'T') ? strchr(sbuf, 'T') : sbuf; *p; p++) {
            *p = *p == ' ' ? '+' : *p;
        }
    }
    if (until) {
        snprintf(ubuf, sizeof ubuf, "%s", until);
        for (char *p = strchr(ubuf, 'T') ? strchr(ubuf, 'T') : ubuf; *p; p++) {
            *p = *p == ' ' ? '+' : *p;
        }
    }
    const char *params[] = {since ? sbuf : NULL, until ? ubuf : NULL};
    static const char *const sql =
        "WITH p AS (SELECT coalesce($2::timestamptz, now()) AS until_t, "
        "  coalesce($1::timestamptz, coalesce($2::timestamptz, now()) - interval '7 days') "
        "  AS since_t), "
        "t AS (SELECT tk.* FROM tickets tk, p WHERE tk.opened_at >= p.since_t "
        "  AND tk.opened_at < p.until_t) "
        "SELECT json_build_object("
        "'since', p.since_t, 'until', p.until_t, "
        "'tickets', (SELECT count(*) FROM t), "
        "'acknowledged', (SELECT count(*) FROM t WHERE acknowledged_at IS NOT NULL), "
        "'resolved', (SELECT count(*) FROM t WHERE resolved_at IS NOT NULL), "
        "'mtta_s', (SELECT round(avg(extract(epoch FROM acknowledged_at - opened_at)), 1) "
        "  FROM t WHERE acknowledged_at IS NOT NULL), "
        "'mttr_s', (SELECT round(avg(extract(epoch FROM resolved_at - opened_at)), 1) "
        "  FROM t WHERE resolved_at IS NOT NULL), "
        "'sla', (SELECT json_build_object("
        "  'response', json_build_object('met', count(*) FILTER (WHERE response_status = 'met'), "
        "    'breached', count(*) FILTER (WHERE response_status = 'breached'), "
        "    'met_pct', round(100.0 * count(*) FILTER (WHERE response_status = 'met') / "
        "      nullif(count(*) FILTER (WHERE response_status IN ('met', 'breached')), 0), 1)), "
        "  'resolution', json_build_object("
        "    'met', count(*) FILTER (WHERE resolution_status = 'met'), "
        "    'breached', count(*) FILTER (WHERE resolution_status = 'breached'), "
        "    'met_pct', round(100.0 * count(*) FILTER (WHERE resolution_status = 'met') / "
        "      nullif(count(*) FILTER (WHERE resolution_status IN ('met', 'breached')), 0), 1))) "
        "  FROM t), "
        "'satisfaction', (SELECT json_build_object('answers', count(*), 'mean_rating', "
        "  round(avg(rating), 2)) FROM survey_answers s JOIN t ON t.id = s.ticket_id), "
        "'backlog', (SELECT coalesce(json_object_agg(state, n ORDER BY state), '{}') FROM "
        "  (SELECT state, count(*) AS n FROM tickets WHERE state NOT IN ('resolved', 'closed') "
        "   GROUP BY state) b), "
        "'by_state', (SELECT coalesce(json_object_agg(state, n ORDER BY state), '{}') FROM "
        "  (SELECT state, count(*) AS n FROM t GROUP BY state) x), "
        "'by_queue', (SELECT coalesce(json_object_agg(queue, n ORDER BY queue), '{}') FROM "
        "  (SELECT queue, count(*) AS n FROM t GROUP BY queue) x), "
        "'by_priority', (SELECT coalesce(json_object_agg('P' || priority, n ORDER BY priority), "
        "  '{}') FROM (SELECT priority, count(*) AS n FROM t GROUP BY priority) x), "
        "'by_source', (SELECT coalesce(json_object_agg(source, n ORDER BY source), '{}') FROM "
        "  (SELECT source, count(*) AS n FROM t GROUP BY source) x), "
        "'funnel', json_build_object("
        "  'events', (SELECT count(*) FROM events e WHERE e.received_at >= p.since_t "
        "    AND e.received_at < p.until_t), "
        "  'alerts', (SELECT count(*) FROM alerts a WHERE a.first_seen >= p.since_t "
        "    AND a.first_seen < p.until_t), "
        "  'incidents', (SELECT count(*) FROM incidents i WHERE i.opened_at >= p.since_t "
        "    AND i.opened_at < p.until_t), "
        "  'tickets', (SELECT count(*) FROM t))) FROM p";
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(conn, "api.reports.summary", sql, 2, params, &json, &found);
    if (st == DB_RETRY) {
        api_conn_reset(c);
        api_unavailable(c);
    } else if (st != DB_OK) {
        /* The times passed the shape check but PostgreSQL refused them. */
        api_error(c, 400, since ? "since" : "until",
                  "since/until are not valid times (use 2026-11-02T00:00:00Z)");
    } else {
        api_send_text(c, 200, json ? json : "{}");
    }
    free(json);
}
