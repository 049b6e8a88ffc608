/*
 * ticketer_api_history - what the console shows beside a ticket's own
 * timeline:
 *
 *   GET /api/v1/tickets/{key}/similar  (viewer) earlier tickets with the same
 *       cause resource and check that were resolved, newest first (up to
 *       10), each with how long it took, who resolved it and what they
 *       wrote when they did (the resolve comment, else the last comment).
 *   GET /api/v1/tickets/{key}/pages    (viewer) the notifier's escalation of
 *       the ticket (policy, level, acknowledged by whom) and every page,
 *       reminder and mail sent for it: who, which channel, level, state,
 *       attempts, when sent, acknowledged from the page by whom. Addresses
 *       (phone numbers, e-mail, webhook URLs) are never shown.
 *
 * Does not: change anything; both are single statements over the tables.
 */
#include <stdlib.h>
#include <string.h>

#include "ticketer_api_internal.h"

#define API_SIMILAR_MAX "10"

static void api_history_answer(api_ctx_t *c, const char *key, const char *what, const char *sql,
                               int n, const char *const *params)
{
    PGconn *conn = api_conn(c);
    if (!conn) {
        return;
    }
    char *json = NULL;
    bool found = false;
    db_status_t st = api_query_json(conn, what, sql, n, params, &json, &found);
    if (st == DB_RETRY) {
        api_conn_reset(c);
        api_unavailable(c);
    } else if (st != DB_OK) {
        api_error(c, 500, NULL, "reading %s of %s failed; see the ticketer's log", what, key);
    } else if (!found || !json) {
        api_error(c, 404, "key", "no ticket %s", key);
    } else {
        api_send_text(c, 200, json);
    }
    free(json);
}

void api_tickets_similar(api_ctx_t *c, const char *key)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    static const char *const sql =
        "SELECT json_build_object('key', me.key, 'cause_resource', me.cause_resource, "
        "'check', me.\"check\", 'similar', coalesce((SELECT json_agg(x ORDER BY x_opened DESC) "
        "FROM (SELECT s.opened_at AS x_opened, json_build_object('key', s.key, 'title', s.title, "
        "  'state', s.state, 'priority', 'P' || s.priority, 'queue', s.queue, "
        "  'assignee', s.assignee, 'opened_at', s.opened_at, 'resolved_at', s.resolved_at, "
        "  'closed_at', s.closed_at, "
        "  'duration_s', round(extract(epoch FROM s.resolved_at - s.opened_at)), "
        "  'resolved_by', r.actor, "
        "  'resolution', coalesce(nullif(r.comment, ''), (SELECT c.comment FROM ticket_events c "
        "    WHERE c.ticket_id = s.id AND c.kind = 'commented' AND c.actor <> 'system' "
        "    ORDER BY c.seq DESC LIMIT 1))) AS x "
        " FROM tickets s LEFT JOIN LATERAL (SELECT e.actor, e.comment FROM ticket_events e "
        "   WHERE e.ticket_id = s.id AND e.field = 'state' AND e.after = 'resolved' "
        "   ORDER BY e.seq DESC LIMIT 1) r ON true "
        " WHERE s.cause_resource = me.cause_resource AND s.\"check\" = me.\"check\" "
        "   AND s.id <> me.id AND s.resolved_at IS NOT NULL AND s.opened_at < me.opened_at "
        " ORDER BY s.opened_at DESC LIMIT " API_SIMILAR_MAX ") y), '[]')) "
        "FROM tickets me WHERE me.key = $1";
    const char *params[] = {key};
    api_history_answer(c, key, "api.tickets.similar", sql, 1, params);
}

void api_tickets_pages(api_ctx_t *c, const char *key)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    static const char *const sql =
        "SELECT json_build_object('key', t.key, "
        "'escalation', (SELECT json_build_object('policy', e.policy, 'state', e.state, "
        "  'level', e.level, 'loop', e.loop, 'started_at', e.started_at, "
        "  'acked_at', e.acked_at, 'acked_by', e.acked_by, 'stopped_at', e.stopped_at, "
        "  'stop_reason', e.stop_reason, 'next_at', e.next_at) "
        "  FROM escalations e WHERE e.ticket_id = t.id), "
        "'pages', coalesce((SELECT json_agg(json_build_object('id', n.id, 'kind', n.kind, "
        "  'channel', n.channel, 'user', nullif(n.user_name, ''), 'level', n.level, "
        "  'state', n.state, 'attempts', n.attempts, 'last_error', n.last_error, "
        "  'created_at', n.created_at, 'sent_at', n.sent_at, "
        "  'acked_by', u.user_name, 'acked_at', u.used_at, 'ack_outcome', u.outcome) "
        "  ORDER BY n.created_at, n.id) "
        "  FROM notifications n LEFT JOIN ack_uses u ON u.notification_id = n.id "
        "  WHERE n.ticket_id = t.id), '[]')) "
        "FROM tickets t WHERE t.key = $1";
    const char *params[] = {key};
    api_history_answer(c, key, "api.tickets.pages", sql, 1, params);
}
