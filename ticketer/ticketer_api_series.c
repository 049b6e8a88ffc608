/*
 * ticketer_api_series - GET /api/v1/reports/series: the summary's measures
 * over time, for the console's charts (and CSV).
 *
 *   ?since=&until=   a date or RFC 3339 time (default: the 7 days up to now)
 *   &bucket=         hour, day (default) or week (UTC; at most 1000 buckets)
 *   &by=             queue, priority or none (default none: one series "all")
 *
 * Over the tickets OPENED in each bucket, per group: tickets, mtta_s and
 * mttr_s (means, seconds, over those acknowledged / resolved; null when
 * none), response_met_pct and resolution_met_pct (met / (met + breached) ×
 * 100; null when no clock ended), and the funnel per bucket (events,
 * alerts first seen, incidents opened, tickets). Every series has one point
 * per bucket, so charts need no gap filling.
 *
 * Does not: cache; one statement, computed by PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticketer_api_internal.h"

/* api_series_time - the argument `name` checked and copied into buf ('+'
 * sent unencoded arrives as a space and is read back as '+'): 0, or -1
 * after answering 400. buf is "" when the argument is absent. */
static int api_series_time(api_ctx_t *c, const char *name, char *buf, size_t len)
{
    const char *v = http_request_query(c->req, name);
    buf[0] = '\0';
    if (!v) {
        return 0;
    }
    int y, mo, d;
    size_t n = strlen(v);
    if (n < 10 || n > 40 || sscanf(v, "%4d-%2d-%2d", &y, &mo, &d) != 3 || mo < 1 || mo > 12 ||
        d < 1 || d > 31 || strspn(v, "0123456789-T:.Z+ ") != n) {
        api_error(c, 400, name, "%s must be a date or RFC 3339 time (2026-11-02T00:00:00Z)", name);
        return -1;
    }
    snprintf(buf, len, "%s", v);
    for (char *p = strchr(buf, 'T') ? strchr(buf, 'T') : buf + n; *p; p++) {
        *p = *p == ' ' ? '+' : *p;
    }
    return 0;
}

void api_reports_series(api_ctx_t *c)
{
    static const char *const known[] = {"since", "until", "bucket", "by", NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    char since[48], until[48];
    if (api_series_time(c, "since", since, sizeof since) < 0 ||
        api_series_time(c, "until", until, sizeof until) < 0) {
        return;
    }
    const char *bucket = http_request_query(c->req, "bucket");
    const char *by = http_request_query(c->req, "by");
    bucket = bucket ? bucket : "day";
    by = by ? by : "none";
    if (strcmp(bucket, "hour") != 0 && strcmp(bucket, "day") != 0 && strcmp(bucket, "week") != 0) {
        api_error(c, 400, "bucket", "bucket must be hour, day or week, not '%s'", bucket);
        return;
    }
    if (strcmp(by, "queue") != 0 && strcmp(by, "priority") != 0 && strcmp(by, "none") != 0) {
        api_error(c, 400, "by", "by must be queue, priority or none, not '%s'", by);
        return;
    }
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    const char *params[] = {*since ? since : NULL, *until ? until : NULL, bucket, by};
    static const char *const sql =
        "WITH p AS (SELECT coalesce($2::timestamptz, now()) AS until_t, "
        "  coalesce($1::timestamptz, coalesce($2::timestamptz, now()) - interval '7 days') "
        "  AS since_t), "
        "b AS (SELECT generate_series(date_trunc($3::text, p.since_t), p.until_t, "
        "  ('1 ' || $3::text)::interval) AS t FROM p WHERE p.until_t > p.since_t LIMIT 1000), "
        "t AS (SELECT tk.*, date_trunc($3::text, tk.opened_at) AS bt, "
        "  CASE $4::text WHEN 'queue' THEN tk.queue WHEN 'priority' THEN 'P' || tk.priority "
        "  ELSE 'all' END AS grp FROM tickets tk, p "
        "  WHERE tk.opened_at >= p.since_t AND tk.opened_at < p.until_t), "
        "g AS (SELECT DISTINCT grp FROM t UNION SELECT 'all' WHERE $4::text = 'none'), "
        "a AS (SELECT bt, grp, count(*) AS n, "
        "  round(avg(extract(epoch FROM acknowledged_at - opened_at)), 1) AS mtta, "
        "  round(avg(extract(epoch FROM resolved_at - opened_at)), 1) AS mttr, "
        "  round(100.0 * count(*) FILTER (WHERE response_status = 'met') / "
        "    nullif(count(*) FILTER (WHERE response_status IN ('met', 'breached')), 0), 1) AS rsp, "
        "  round(100.0 * count(*) FILTER (WHERE resolution_status = 'met') / "
        "    nullif(count(*) FILTER (WHERE resolution_status IN ('met', 'breached')), 0), 1) "
        "    AS res FROM t GROUP BY bt, grp) "
        "SELECT json_build_object('since', p.since_t, 'until', p.until_t, 'bucket', $3::text, "
        "'by', $4::text, 'buckets', coalesce((SELECT json_agg(b.t ORDER BY b.t) FROM b), '[]'), "
        "'series', coalesce((SELECT json_agg(json_build_object('group', g.grp, 'points', "
        "  (SELECT json_agg(json_build_object('t', b.t, 'tickets', coalesce(a.n, 0), "
        "   'mtta_s', a.mtta, 'mttr_s', a.mttr, 'response_met_pct', a.rsp, "
        "   'resolution_met_pct', a.res) ORDER BY b.t) "
        "   FROM b LEFT JOIN a ON a.bt = b.t AND a.grp = g.grp)) ORDER BY g.grp) FROM g), '[]'), "
        "'funnel', coalesce((SELECT json_agg(json_build_object('t', b.t, "
        "  'events', (SELECT count(*) FROM events e WHERE e.received_at >= greatest(b.t, "
        "p.since_t) "
        "    AND e.received_at < least(b.t + ('1 ' || $3::text)::interval, p.until_t)), "
        "  'alerts', (SELECT count(*) FROM alerts x WHERE x.first_seen >= greatest(b.t, p.since_t) "
        "    AND x.first_seen < least(b.t + ('1 ' || $3::text)::interval, p.until_t)), "
        "  'incidents', (SELECT count(*) FROM incidents i "
        "    WHERE i.opened_at >= greatest(b.t, p.since_t) "
        "    AND i.opened_at < least(b.t + ('1 ' || $3::text)::interval, p.until_t)), "
        "  'tickets', (SELECT count(*) FROM t WHERE t.bt = b.t)) ORDER BY b.t) FROM b), '[]')) "
        "FROM p";
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(conn, "api.reports.series", sql, 4, params, &json, &found);
    if (st == DB_RETRY) {
        api_conn_reset(c);
        api_unavailable(c);
    } else if (st != DB_OK) {
        api_error(c, 400, *since ? "since" : "until",
                  "since/until are not valid times (use 2026-11-02T00:00:00Z)");
    } else {
        api_send_text(c, 200, json ? json : "{}");
    }
    free(json);
}
