/*
 * ticketer_ticket - a ticket row locked, changed and written back, with the
 * state machine, the SLA clocks and the audit trail kept in step. The one
 * path for the worker's system changes and the API's people's changes.
 * See ticketer_ticket.h for the pattern a writer follows.
 *
 * Not here: creating a ticket from an incident (ticketer_incidents.c), the
 * HTTP side (ticketer_api*.c), the SLA arithmetic (sla_calendar.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include "ticketer_ticket.h"

/* Microseconds since the epoch of a timestamptz column, 0 for NULL. */
#define TICKETER_US(col) "coalesce((extract(epoch FROM " col ") * 1000000)::bigint, 0)"
/* A parameter holding microseconds as a timestamptz, NULL for 0. */
#define TICKETER_TS(n)                                                                             \
    "(CASE WHEN $" #n "::bigint = 0 THEN NULL ELSE timestamptz 'epoch' + $" #n                     \
    "::bigint * interval '1 microsecond' END)"

/* clang-format off */
static const char ticketer_ticket_columns[] =
    "id, key, incident_id, queue, priority, severity, state, pending_reason, assignee, "
    "incident_state, coalesce(merged_into, 0), alert_count, active_alerts, "
    TICKETER_US("last_seen") ", " TICKETER_US("opened_at") ", "
    TICKETER_US("acknowledged_at") ", " TICKETER_US("resolved_at") ", "
    TICKETER_US("closed_at") ", reopen_count, sla_policy, sla_calendar, "
    "sla_warn_permille, response_target_us, resolution_target_us, sla_paused_business_us, "
    TICKETER_US("sla_paused_since") ", response_status, resolution_status, "
    TICKETER_US("response_due_at") ", " TICKETER_US("resolution_due_at") ", "
    TICKETER_US("sla_check_at") ", " TICKETER_US("auto_close_at") ", "
    "note_joined, note_cleared, " TICKETER_US("note_due_at") ", version, "
    "update_target_us, " TICKETER_US("last_update_at") ", update_status, "
    TICKETER_US("update_due_at");

static const char ticketer_ticket_update[] =
    "UPDATE tickets SET queue = $2, priority = $3::smallint, severity = $4::smallint, "
    "state = $5, pending_reason = $6, assignee = $7, incident_state = $8, "
    "merged_into = nullif($9::bigint, 0), alert_count = $10::integer, "
    "active_alerts = $11::integer, last_seen = coalesce(" TICKETER_TS(12) ", last_seen), "
    "acknowledged_at = " TICKETER_TS(13) ", resolved_at = " TICKETER_TS(14) ", "
    "closed_at = " TICKETER_TS(15) ", reopen_count = $16::integer, "
    "sla_paused_business_us = $17::bigint, sla_paused_since = " TICKETER_TS(18) ", "
    "response_status = $19, resolution_status = $20, "
    "response_due_at = " TICKETER_TS(21) ", resolution_due_at = " TICKETER_TS(22) ", "
    "sla_check_at = " TICKETER_TS(23) ", auto_close_at = " TICKETER_TS(24) ", "
    "note_joined = $25::integer, note_cleared = $26::integer, "
    "note_due_at = " TICKETER_TS(27) ", "
    "last_update_at = " TICKETER_TS(29) ", update_status = $30, "
    "update_due_at = " TICKETER_TS(31) ", "
    "version = version + $28::integer, updated_at = now() "
    "WHERE id = $1::bigint RETURNING version";
/* clang-format on */

static void ticketer_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* ticketer_is_update - a change a person made that counts as an update
 * for the update-interval clock. */
static bool ticketer_is_update(const char *actor, const char *kind)
{
    return actor && *actor && strcmp(actor, "system") != 0 &&
           (strcmp(kind, "commented") == 0 || strcmp(kind, "state_changed") == 0 ||
            strcmp(kind, "reopened") == 0 || strcmp(kind, "assigned") == 0);
}

static int64_t ticketer_i64(const PGresult *res, int col)
{
    return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static sla_status_t ticketer_sla_parse(const char *s)
{
    for (int k = SLA_NONE; k <= SLA_PAUSED; k++) {
        if (strcmp(sla_status_name((sla_status_t)k), s) == 0) {
            return (sla_status_t)k;
        }
    }
    return SLA_NONE;
}

/* ticketer_ticket_read - row 0 of a ticketer_ticket_columns result into t. */
static void ticketer_ticket_read(const PGresult *res, ticket_t *t)
{
    memset(t, 0, sizeof *t);
    t->id = ticketer_i64(res, 0);
    ticketer_copy(t->key, sizeof t->key, PQgetvalue(res, 0, 1));
    t->incident_id = ticketer_i64(res, 2);
    ticketer_copy(t->queue, sizeof t->queue, PQgetvalue(res, 0, 3));
    t->priority = atoi(PQgetvalue(res, 0, 4));
    t->severity = atoi(PQgetvalue(res, 0, 5));
    if (ticket_state_parse(PQgetvalue(res, 0, 6), &t->state) < 0) {
        t->state = TICKET_STATE_NEW; /* the schema's CHECK makes this unreachable */
    }
    t->has_pending_reason = !PQgetisnull(res, 0, 7);
    ticketer_copy(t->pending_reason, sizeof t->pending_reason, PQgetvalue(res, 0, 7));
    t->has_assignee = !PQgetisnull(res, 0, 8);
    ticketer_copy(t->assignee, sizeof t->assignee, PQgetvalue(res, 0, 8));
    ticketer_copy(t->incident_state, sizeof t->incident_state, PQgetvalue(res, 0, 9));
    t->merged_into = ticketer_i64(res, 10);
    t->alert_count = atoi(PQgetvalue(res, 0, 11));
    t->active_alerts = atoi(PQgetvalue(res, 0, 12));
    t->last_seen_us = ticketer_i64(res, 13);
    t->opened_at_us = ticketer_i64(res, 14);
    t->acknowledged_at_us = ticketer_i64(res, 15);
    t->resolved_at_us = ticketer_i64(res, 16);
    t->closed_at_us = ticketer_i64(res, 17);
    t->reopen_count = atoi(PQgetvalue(res, 0, 18));
    ticketer_copy(t->sla_policy, sizeof t->sla_policy, PQgetvalue(res, 0, 19));
    ticketer_copy(t->sla_calendar, sizeof t->sla_calendar, PQgetvalue(res, 0, 20));
    t->sla_warn_permille = atoi(PQgetvalue(res, 0, 21));
    t->response_target_us = ticketer_i64(res, 22);
    t->resolution_target_us = ticketer_i64(res, 23);
    t->sla_paused_business_us = ticketer_i64(res, 24);
    t->sla_paused_since_us = ticketer_i64(res, 25);
    t->response_status = ticketer_sla_parse(PQgetvalue(res, 0, 26));
    t->resolution_status = ticketer_sla_parse(PQgetvalue(res, 0, 27));
    t->response_due_us = ticketer_i64(res, 28);
    t->resolution_due_us = ticketer_i64(res, 29);
    t->sla_check_us = ticketer_i64(res, 30);
    t->auto_close_us = ticketer_i64(res, 31);
    t->note_joined = atoi(PQgetvalue(res, 0, 32));
    t->note_cleared = atoi(PQgetvalue(res, 0, 33));
    t->note_due_us = ticketer_i64(res, 34);
    t->version = atoi(PQgetvalue(res, 0, 35));
    t->update_target_us = ticketer_i64(res, 36);
    t->last_update_us = ticketer_i64(res, 37);
    t->update_status = ticketer_sla_parse(PQgetvalue(res, 0, 38));
    t->update_due_us = ticketer_i64(res, 39);
}

/* ticketer_ticket_lock_by - SELECT ... FOR UPDATE WHERE <column> = $1. */
static db_status_t ticketer_ticket_lock_by(PGconn *conn, const char *what, const char *where,
                                           const char *value, ticket_t *t, bool *found)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT %s FROM tickets WHERE %s FOR UPDATE", ticketer_ticket_columns,
             where);
    const char *params[] = {value};
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, what, sql, 1, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *found = PQntuples(res) == 1;
    if (*found) {
        ticketer_ticket_read(res, t);
    }
    PQclear(res);
    return DB_OK;
}

db_status_t ticketer_ticket_lock(PGconn *conn, int64_t id, ticket_t *t, bool *found)
{
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, id);
    return ticketer_ticket_lock_by(conn, "tickets.lock", "id = $1::bigint", v, t, found);
}

db_status_t ticketer_ticket_lock_key(PGconn *conn, const char *key, ticket_t *t, bool *found)
{
    return ticketer_ticket_lock_by(conn, "tickets.lock_key", "key = $1", key, t, found);
}

db_status_t ticketer_ticket_lock_incident(PGconn *conn, int64_t incident_id, ticket_t *t,
                                          bool *found)
{
    char v[24];
    snprintf(v, sizeof v, "%" PRId64, incident_id);
    return ticketer_ticket_lock_by(conn, "tickets.lock_incident", "incident_id = $1::bigint", v, t,
                                   found);
}

static db_status_t ticketer_ticket_write(PGconn *conn, ticket_t *t, bool bump)
{
    char num[32][24];
    int k = 0;
#define TICKETER_NUM(v) (snprintf(num[k], sizeof num[k], "%" PRId64, (int64_t)(v)), num[k++])
    const char *params[] = {
        TICKETER_NUM(t->id),
        t->queue,
        TICKETER_NUM(t->priority),
        TICKETER_NUM(t->severity),
        ticket_state_name(t->state),
        t->has_pending_reason ? t->pending_reason : NULL,
        t->has_assignee ? t->assignee : NULL,
        t->incident_state,
        TICKETER_NUM(t->merged_into),
        TICKETER_NUM(t->alert_count),
        TICKETER_NUM(t->active_alerts),
        TICKETER_NUM(t->last_seen_us),
        TICKETER_NUM(t->acknowledged_at_us),
        TICKETER_NUM(t->resolved_at_us),
        TICKETER_NUM(t->closed_at_us),
        TICKETER_NUM(t->reopen_count),
        TICKETER_NUM(t->sla_paused_business_us),
        TICKETER_NUM(t->sla_paused_since_us),
        sla_status_name(t->response_status),
        sla_status_name(t->resolution_status),
        TICKETER_NUM(t->response_due_us),
        TICKETER_NUM(t->resolution_due_us),
        TICKETER_NUM(t->sla_check_us),
        TICKETER_NUM(t->auto_close_us),
        TICKETER_NUM(t->note_joined),
        TICKETER_NUM(t->note_cleared),
        TICKETER_NUM(t->note_due_us),
        bump ? "1" : "0",
        TICKETER_NUM(t->last_update_us),
        sla_status_name(t->update_status),
        TICKETER_NUM(t->update_due_us),
    };
#undef TICKETER_NUM
    PGresult *res = NULL;
    db_status_t st = db_exec(conn, "tickets.save", ticketer_ticket_update, 31, params, &res);
    if (st != DB_OK) {
        return st;
    }
    if (PQntuples(res) == 1) {
        t->version = atoi(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return DB_OK;
}

db_status_t ticketer_ticket_save(PGconn *conn, ticket_t *t)
{
    return ticketer_ticket_write(conn, t, true);
}

db_status_t ticketer_ticket_save_quiet(PGconn *conn, ticket_t *t)
{
    return ticketer_ticket_write(conn, t, false);
}

const sla_calendar_t *ticketer_ticket_calendar(const ticket_t *t, const ticket_routing_t *r)
{
    if (!r || !*t->sla_calendar) {
        return NULL;
    }
    for (size_t i = 0; i < r->ncalendars; i++) {
        if (strcmp(r->calendars[i].name, t->sla_calendar) == 0) {
            return &r->calendars[i];
        }
    }
    return NULL;
}

/* ---- the audit trail ---- */

void ticketer_ticket_log(const ticket_t *t, ticketer_log_t *log, int64_t now_us, const char *actor,
                         const char *kind, const char *field, const char *before, const char *after,
                         const char *comment)
{
    ticket_change_t c = {
        .ticket_id = t->id,
        .at_us = now_us,
        .actor = actor && *actor ? actor : "system",
        .kind = kind,
        .field = field,
        .before = before,
        .after = after,
        .comment = comment && *comment ? comment : NULL,
        .ticket_key = t->key,
        .state = ticket_state_name(t->state),
        .priority = t->priority,
        .queue = t->queue,
        .assignee = t->has_assignee ? t->assignee : NULL,
    };
    ticketer_log_add(log, &c);
}

/* ---- SLA ---- */

/* ticketer_clocks - the three clocks of t as recorded. The update clock
 * restarts at each update by a person, so no finished pause lies inside
 * it (going pending and resuming are updates); it only stands while the
 * ticket is paused now, and has no target once the ticket is resolved. */
static void ticketer_clocks(const ticket_t *t, sla_clock_t *response, sla_clock_t *resolution,
                            sla_clock_t *update)
{
    *update = (sla_clock_t){
        .started_us = t->last_update_us ? t->last_update_us : t->opened_at_us,
        .target_us = ticket_state_is_open(t->state) ? t->update_target_us : 0,
        .paused_since_us = t->sla_paused_since_us,
    };
    sla_clock_t base = {
        .started_us = t->opened_at_us,
        .paused_business_us = t->sla_paused_business_us,
        .paused_since_us = t->sla_paused_since_us,
    };
    *response = base;
    response->target_us = t->response_target_us;
    response->stopped_us = t->acknowledged_at_us;
    *resolution = base;
    resolution->target_us = t->resolution_target_us;
    resolution->stopped_us = ticket_state_is_open(t->state) ? 0 : t->resolved_at_us;
}

/* ticketer_sla_one - one clock: status change logged, due date, next check. */
static void ticketer_sla_one(ticket_t *t, const sla_calendar_t *cal, const sla_clock_t *c,
                             const char *name, sla_status_t *status, int64_t *due_us,
                             int64_t now_us, int64_t *next_check, ticketer_log_t *log)
{
    sla_status_t st = sla_clock_status(cal, c, t->sla_warn_permille, now_us);
    sla_status_t old = *status;
    *status = st;
    if (st != old && log) {
        /* A warning after a breach is no news; a breach is, whatever came before. */
        if (st == SLA_BREACHED || (st == SLA_WARNING && old != SLA_BREACHED)) {
            char comment[TICKET_TEXT_MAX + 64];
            snprintf(comment, sizeof comment, "%s SLA (%s) %s", name, t->sla_policy,
                     st == SLA_BREACHED ? "breached" : "reached its warning share");
            ticketer_ticket_log(t, log, now_us, "system",
                                st == SLA_BREACHED ? "sla_breached" : "sla_warning", name,
                                sla_status_name(old), sla_status_name(st), comment);
        }
    }
    int64_t warn_at = INT64_MAX, due_at = INT64_MAX;
    sla_clock_deadlines(cal, c, t->sla_warn_permille, now_us, &warn_at, &due_at);
    if (due_at != INT64_MAX) {
        *due_us = due_at;
    } else if (c->stopped_us == 0) {
        *due_us = 0;
    }
    /* The next instant this clock's status can move without a change to
     * the ticket: its warning, then its due date. Paused clocks wait for
     * the state change that resumes them. */
    if (st == SLA_RUNNING && warn_at != INT64_MAX && warn_at > now_us && warn_at < *next_check) {
        *next_check = warn_at;
    }
    if ((st == SLA_RUNNING || st == SLA_WARNING) && due_at != INT64_MAX && due_at < *next_check) {
        *next_check = due_at > now_us ? due_at : now_us;
    }
}

void ticketer_ticket_sla_refresh(ticket_t *t, const ticket_routing_t *r, int64_t now_us,
                                 ticketer_log_t *log)
{
    const sla_calendar_t *cal = ticketer_ticket_calendar(t, r);
    sla_clock_t response, resolution, update;
    ticketer_clocks(t, &response, &resolution, &update);
    int64_t next = INT64_MAX;
    ticketer_sla_one(t, cal, &response, "response", &t->response_status, &t->response_due_us,
                     now_us, &next, log);
    ticketer_sla_one(t, cal, &resolution, "resolution", &t->resolution_status,
                     &t->resolution_due_us, now_us, &next, log);
    ticketer_sla_one(t, cal, &update, "update", &t->update_status, &t->update_due_us, now_us, &next,
                     log);
    /* Due one microsecond after the instant, so the status has moved. */
    t->sla_check_us = next == INT64_MAX ? 0 : next + 1;
}

/* ---- changes ---- */

int ticketer_ticket_transition(ticket_t *t, ticket_state_t to, const char *reason,
                               const char *actor, bool system, const ticket_routing_t *r,
                               int64_t now_us, ticketer_log_t *log, char *why, size_t whylen)
{
    ticket_state_t from = t->state;
    if (ticket_state_check(from, to, reason, why, whylen) < 0) {
        /* The system may resolve any open ticket (its incident cleared or
         * was merged) and close a resolved one (auto-close). */
        bool system_move = system && ((to == TICKET_STATE_RESOLVED && ticket_state_is_open(from)) ||
                                      (to == TICKET_STATE_CLOSED && from == TICKET_STATE_RESOLVED));
        if (!system_move) {
            return -1;
        }
    }
    const sla_calendar_t *cal = ticketer_ticket_calendar(t, r);
    bool ran = ticket_state_clock_runs(from), runs = ticket_state_clock_runs(to);
    if (ran && !runs) {
        t->sla_paused_since_us = now_us;
    } else if (!ran && runs && t->sla_paused_since_us) {
        t->sla_paused_business_us += sla_calendar_elapsed(cal, t->sla_paused_since_us, now_us);
        t->sla_paused_since_us = 0;
    }
    /* First response: a person acknowledging, starting work or resolving. */
    if (!system && t->acknowledged_at_us == 0 &&
        (to == TICKET_STATE_ACKNOWLEDGED || to == TICKET_STATE_IN_PROGRESS ||
         to == TICKET_STATE_RESOLVED)) {
        t->acknowledged_at_us = now_us;
    }
    t->has_pending_reason = to == TICKET_STATE_PENDING;
    ticketer_copy(t->pending_reason, sizeof t->pending_reason,
                  to == TICKET_STATE_PENDING ? reason : "");
    bool reopen = !ticket_state_is_open(from) && ticket_state_is_open(to);
    t->auto_close_us = 0;
    if (to == TICKET_STATE_RESOLVED) {
        t->resolved_at_us = now_us;
        const ticket_queue_t *q = r ? ticket_routing_queue(r, t->queue) : NULL;
        if (q && q->auto_close_after_us > 0) {
            t->auto_close_us = now_us + q->auto_close_after_us;
        }
    }
    t->closed_at_us = to == TICKET_STATE_CLOSED ? now_us : 0;
    if (reopen) {
        t->reopen_count++;
    }
    t->state = to;
    if (ticketer_is_update(actor, reopen ? "reopened" : "state_changed")) {
        t->last_update_us = now_us;
    }
    ticketer_ticket_log(t, log, now_us, actor, reopen ? "reopened" : "state_changed", "state",
                        ticket_state_name(from), ticket_state_name(to), reason);
    ticketer_ticket_sla_refresh(t, r, now_us, log);
    return 0;
}

int ticketer_ticket_assign(ticket_t *t, const char *assignee, const char *actor, int64_t now_us,
                           ticketer_log_t *log, char *why, size_t whylen)
{
    bool set = assignee && *assignee;
    if (set && strlen(assignee) >= sizeof t->assignee) {
        snprintf(why, whylen, "assignee is longer than %zu characters", sizeof t->assignee - 1);
        return -1;
    }
    if ((!set && !t->has_assignee) ||
        (set && t->has_assignee && strcmp(t->assignee, assignee) == 0)) {
        snprintf(why, whylen,
                 set ? "ticket %s is already assigned to %s" : "ticket %s%s has no assignee",
                 t->key, set ? assignee : "");
        return -1;
    }
    char before[TICKET_TEXT_MAX];
    bool had = t->has_assignee;
    ticketer_copy(before, sizeof before, t->assignee);
    t->has_assignee = set;
    ticketer_copy(t->assignee, sizeof t->assignee, set ? assignee : "");
    if (ticketer_is_update(actor, "assigned")) {
        t->last_update_us = now_us;
    }
    ticketer_ticket_log(t, log, now_us, actor, "assigned", "assignee", had ? before : NULL,
                        set ? assignee : NULL, NULL);
    return 0;
}

db_status_t ticketer_ticket_watch(PGconn *conn, const ticket_t *t, const char *user, bool add,
                                  const char *actor, int64_t now_us, ticketer_log_t *log,
                                  bool *changed, char *why, size_t whylen)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, t->id);
    const char *params[] = {id, user};
    PGresult *res = NULL;
    db_status_t st = db_exec(
        conn, add ? "tickets.watch" : "tickets.unwatch",
        add ? "UPDATE tickets SET watchers = array_append(watchers, $2), updated_at = now() "
              "WHERE id = $1::bigint AND NOT ($2 = ANY (watchers)) RETURNING 1"
            : "UPDATE tickets SET watchers = array_remove(watchers, $2), updated_at = now() "
              "WHERE id = $1::bigint AND $2 = ANY (watchers) RETURNING 1",
        2, params, &res);
    if (st != DB_OK) {
        return st;
    }
    *changed = PQntuples(res) == 1;
    PQclear(res);
    if (!*changed) {
        snprintf(why, whylen, add ? "%s already watches %s" : "%s does not watch %s", user, t->key);
        return DB_OK;
    }
    ticketer_ticket_log(t, log, now_us, actor, "watchers", "watchers", add ? NULL : user,
                        add ? user : NULL, NULL);
    return DB_OK;
}

void ticketer_ticket_comment(ticket_t *t, const char *text, const char *actor, int64_t now_us,
                             ticketer_log_t *log)
{
    if (ticketer_is_update(actor, "commented")) {
        t->last_update_us = now_us;
    }
    ticketer_ticket_log(t, log, now_us, actor, "commented", "", NULL, NULL, text);
}
