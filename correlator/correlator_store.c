/*
 * correlator_store - the connection (advisory lock, stage tables) and the
 * commit: a batch's touched alerts, incidents and members staged with
 * binary COPY and applied, with its decisions, incident changes, stream
 * head and consumer offsets, in one transaction. See correlator_store.h.
 *
 * Not here: collecting a batch and publishing it (correlator_batch.c);
 * reading the state back at start, the next incident id and the silences
 * (correlator_restore.c); the event loop (correlator.c).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "migrate.h"
#include "wire.h"
#include "xalloc.h"

#include "correlator_batch_internal.h"
#include "correlator_store.h"

#define CORRELATOR_SCHEMA_VERSION 7 /* 0007: alerts.annotations */

/* ---- connection ---- */

static const char *const correlator_stage_sql[] = {
    "CREATE TEMP TABLE IF NOT EXISTS corr_alerts_stage (LIKE alerts INCLUDING DEFAULTS) "
    "ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS corr_incidents_stage (LIKE incidents INCLUDING DEFAULTS, "
    "phase smallint NOT NULL) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS corr_members_stage (LIKE incident_members INCLUDING "
    "DEFAULTS) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS corr_notes_stage (ord bigint NOT NULL, domain text NOT NULL, "
    "fingerprint text NOT NULL, annotations hstore NOT NULL) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS corr_counts_stage (domain text NOT NULL, fingerprint text "
    "NOT NULL, severity smallint NOT NULL, count bigint NOT NULL, last_seen timestamptz NOT NULL, "
    "refreshed_at timestamptz NOT NULL) ON COMMIT DELETE ROWS",
};

PGconn *correlator_store_open(const settings_t *s, volatile sig_atomic_t *stop)
{
    /* One active correlator per deployment (per database): a session
     * advisory lock; a standby waits in db_open_active(). */
    PGconn *conn =
        db_open_active(s->database_url, s->database_connect_timeout_ms, s->database_retry_max_ms,
                       CORRELATOR_SCHEMA_VERSION, "alertdesk.correlator", stop);
    if (!conn) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof correlator_stage_sql / sizeof *correlator_stage_sql; i++) {
        if (db_command(conn, "correlator.stage", correlator_stage_sql[i]) != DB_OK) {
            PQfinish(conn);
            return NULL;
        }
    }
    return conn;
}

static void correlator_copy_time(db_copy_t *c, int64_t us)
{
    if (us == 0) {
        db_copy_null(c);
    } else {
        db_copy_timestamptz(c, us);
    }
}

void correlator_copy_bool(db_copy_t *c, bool v)
{
    uint8_t x = v ? 1 : 0;
    db_copy_bytes(c, &x, 1);
}

static void correlator_copy_int32(db_copy_t *c, int32_t v)
{
    uint32_t be = htonl((uint32_t)v);
    db_copy_bytes(c, &be, 4);
}

/* bigint[] in binary: ndim, has-null, element type (int8 = 20), then one
 * dimension (size, lower bound 1) and each element length-prefixed. */
static void correlator_copy_int8_array(db_copy_t *c, const int64_t *v, size_t n)
{
    size_t len = 12 + (n ? 8 : 0) + n * 12;
    uint8_t *buf = xmalloc(len), *p = buf;
    uint32_t head[5] = {htonl(n ? 1 : 0), 0, htonl(20), htonl((uint32_t)n), htonl(1)};
    memcpy(p, head, n ? 20 : 12);
    p += n ? 20 : 12;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = htonl(8);
        memcpy(p, &l, 4);
        p += 4;
        uint64_t u = (uint64_t)v[i];
        for (int k = 0; k < 8; k++) {
            *p++ = (uint8_t)(u >> (56 - 8 * k));
        }
    }
    db_copy_bytes(c, buf, len);
    free(buf);
}

#define CORRELATOR_CHANGES_COPY                                                                    \
    "COPY incident_changes (stream, seq, kind, incident_id, into_incident_id, at, domain, "        \
    "fingerprint, resource, severity, rule, group_key, cause_fingerprint, symptom, parent, "       \
    "reason) FROM STDIN (FORMAT binary)"
#define CORRELATOR_DECISIONS_COPY                                                                  \
    "COPY decisions (domain, fingerprint, incident_id, into_incident_id, at, kind, rule, "         \
    "group_key, parent, symptom, silence_id, maint_window, reason) FROM STDIN (FORMAT binary)"

/* ---- commit ---- */

#define CORRELATOR_ALERT_COLS                                                                      \
    "domain, fingerprint, source, resource, \"check\", severity, summary, labels, state, count, "  \
    "first_seen, last_seen, refreshed_at, fired_at, cleared_at, incident_id, symptom, parent, "    \
    "rule, group_key, held, routed, flapping, incident_active, flap_changes, silenced_by, "        \
    "maint_window"
#define CORRELATOR_INCIDENT_COLS                                                                   \
    "id, domain, rule, group_key, state, severity, cause_fingerprint, cause_resource, opened_at, " \
    "last_activity_at, resolving_since, resolved_at, merged_into"
#define CORRELATOR_MEMBER_COLS "incident_id, fingerprint, resource, symptom, active, joined_at, ord"

static void correlator_stage_alert(void *arg, const corr_alert_state_t *st)
{
    correlator_batch_t *b = arg;
    char key[512];
    correlator_alert_key(key, sizeof key, st->domain, st->event->fingerprint);
    correlator_touch_t *t = correlator_set_find(&b->alerts, key, 0);
    if (!t) {
        return;
    }
    t->seen = true;
    const event_t *ev = st->event;
    if (!t->full) {
        /* Only repeats since the last commit: the row exists (the alert
         * opened in an earlier batch) and a repeat moves these fields only. */
        db_copy_t *c = &b->stage_counts;
        db_copy_row(c, 6);
        db_copy_text(c, st->domain);
        db_copy_text(c, ev->fingerprint);
        db_copy_int16(c, (int16_t)ev->severity);
        db_copy_int64(c, (int64_t)st->count);
        db_copy_timestamptz(c, st->last_seen_us);
        db_copy_timestamptz(c, st->refreshed_at_us);
        return;
    }
    db_copy_t *c = &b->stage_alerts;
    db_copy_row(c, 27);
    db_copy_text(c, st->domain);
    db_copy_text(c, ev->fingerprint);
    db_copy_text(c, ev->source);
    db_copy_text(c, ev->resource);
    db_copy_text(c, ev->check);
    db_copy_int16(c, (int16_t)ev->severity);
    db_copy_text(c, ev->summary);
    db_copy_hstore(c, ev->labels, ev->nlabels);
    db_copy_text(c, st->status == CORR_ALERT_STATE_FIRING ? "firing" : "cleared");
    db_copy_int64(c, (int64_t)st->count);
    db_copy_timestamptz(c, st->first_seen_us);
    db_copy_timestamptz(c, st->last_seen_us);
    db_copy_timestamptz(c, st->refreshed_at_us);
    db_copy_timestamptz(c, st->fired_at_us);
    correlator_copy_time(c, st->cleared_at_us);
    if (st->incident_id) {
        db_copy_int64(c, st->incident_id);
    } else {
        db_copy_null(c);
    }
    correlator_copy_bool(c, st->symptom);
    db_copy_text(c, st->parent);
    db_copy_text(c, st->rule);
    db_copy_text(c, st->group_key);
    correlator_copy_bool(c, st->held);
    correlator_copy_bool(c, st->routed);
    correlator_copy_bool(c, st->flapping);
    correlator_copy_bool(c, st->incident_active);
    correlator_copy_int8_array(c, st->flap_changes_us, st->nflap_changes);
    if (st->silence_id) {
        db_copy_int64(c, st->silence_id);
    } else {
        db_copy_null(c);
    }
    db_copy_text(c, st->window);
}

static void correlator_stage_incident(void *arg, const corr_incident_state_t *st)
{
    correlator_batch_t *b = arg;
    correlator_touch_t *t = correlator_set_find(&b->incidents, NULL, st->id);
    if (!t) {
        return;
    }
    t->seen = true;
    db_copy_t *c = &b->stage_incidents;
    db_copy_row(c, 14);
    db_copy_int64(c, st->id);
    db_copy_text(c, st->domain);
    db_copy_text(c, st->rule);
    db_copy_text(c, st->group_key);
    db_copy_text(c, corr_incident_status_name(st->status));
    db_copy_int16(c, (int16_t)st->severity);
    db_copy_text(c, st->cause_fingerprint);
    db_copy_text(c, st->cause_resource);
    db_copy_timestamptz(c, st->opened_at_us);
    db_copy_timestamptz(c, st->last_activity_us);
    correlator_copy_time(c,
                         st->status == CORR_INCIDENT_STATE_RESOLVING ? st->resolving_since_us : 0);
    correlator_copy_time(c, st->status == CORR_INCIDENT_STATE_RESOLVED ? st->resolved_at_us : 0);
    if (st->status == CORR_INCIDENT_STATE_MERGED) {
        db_copy_int64(c, st->merged_into);
    } else {
        db_copy_null(c);
    }
    /* Upserted in phase order: an incident leaving "open" before one
     * entering it, so the one-open-per-group index never sees two. */
    db_copy_int16(c, st->status == CORR_INCIDENT_STATE_OPEN ? 1 : 0);
    /* Members: only those a change of this batch named, as the engine holds
     * them now. The member list only grows (leaving is active = false), so
     * a member's index is its ord for good. */
    for (size_t i = 0, left = t->ndirty; left && i < st->nmembers; i++) {
        const corr_member_t *m = &st->members[i];
        char key[512];
        correlator_member_key(key, sizeof key, st->id, m->fingerprint);
        if (!correlator_set_find(&b->members, key, 0)) {
            continue;
        }
        left--;
        db_copy_t *mc = &b->stage_members;
        db_copy_row(mc, 7);
        db_copy_int64(mc, st->id);
        db_copy_text(mc, m->fingerprint);
        db_copy_text(mc, m->resource);
        correlator_copy_bool(mc, m->symptom);
        correlator_copy_bool(mc, m->active);
        db_copy_timestamptz(mc, m->joined_at_us);
        correlator_copy_int32(mc, (int32_t)i);
    }
}

/* An incident the engine forgot within the batch (merged into another, or
 * resolved, and collected at once); *merged says which. */
static bool correlator_incident_gone(const correlator_touch_t *t, bool *merged)
{
    *merged = t->last_kind == CORR_CHANGE_INCIDENT_MERGED && t->into;
    return !t->key && t->id && !t->seen && t->domain &&
           (*merged || t->last_kind == CORR_CHANGE_INCIDENT_RESOLVED);
}

/* Gone incidents are written from what their changes said, so the
 * incidents stream never names an incident the table lacks. */

static void correlator_stage_gone_incidents(correlator_batch_t *b)
{
    for (size_t i = 0; i < b->incidents.cap; i++) {
        const correlator_touch_t *t = &b->incidents.v[i];
        bool merged;
        if (!correlator_incident_gone(t, &merged)) {
            continue;
        }
        db_copy_t *c = &b->stage_incidents;
        db_copy_row(c, 14);
        db_copy_int64(c, t->id);
        db_copy_text(c, t->domain);
        db_copy_text(c, t->rule);
        db_copy_text(c, t->group_key);
        db_copy_text(c, merged ? "merged" : "resolved");
        db_copy_int16(c, (int16_t)t->severity);
        db_copy_text(c, t->cause_fp);
        db_copy_text(c, t->cause_resource);
        db_copy_timestamptz(c, t->opened_at_us);
        db_copy_timestamptz(c, t->at_us);
        db_copy_null(c);
        correlator_copy_time(c, merged ? 0 : t->at_us);
        if (merged) {
            db_copy_int64(c, t->into);
        } else {
            db_copy_null(c);
        }
        db_copy_int16(c, 0);
    }
}

/* Appends "v" to a Postgres array literal under construction. */
static void correlator_array_add(wire_buf_t *a, const char *v)
{
    wire_buf_put(a, a->len > 1 ? "," : "", a->len > 1 ? 1 : 0);
    wire_buf_put(a, "\"", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            wire_buf_put(a, "\\", 1);
        }
        wire_buf_put(a, p, 1);
    }
    wire_buf_put(a, "\"", 1);
}

/* Alerts the engine forgot before the commit read them: what the last change
 * said is written (cleared). */
static db_status_t correlator_store_gone(PGconn *conn, correlator_batch_t *b)
{
    wire_buf_t keys, ats;
    wire_buf_init(&keys);
    wire_buf_init(&ats);
    wire_buf_put(&keys, "{", 1);
    wire_buf_put(&ats, "{", 1);
    db_status_t st = DB_OK;
    size_t nalerts = 0;
    for (size_t i = 0; i < b->alerts.cap; i++) {
        correlator_touch_t *t = &b->alerts.v[i];
        if (t->key && !t->seen && t->last_kind == CORR_CHANGE_ALERT_CLEARED) {
            char at[24];
            snprintf(at, sizeof at, "%" PRId64, t->at_us);
            correlator_array_add(&keys, t->key);
            correlator_array_add(&ats, at);
            nalerts++;
        }
    }
    wire_buf_put(&keys, "}", 2);
    wire_buf_put(&ats, "}", 2);
    if (nalerts) {
        const char *params[] = {(const char *)keys.data, (const char *)ats.data};
        st = db_exec(conn, "correlator.gone_alerts",
                     "UPDATE alerts a SET state = 'cleared', cleared_at = to_timestamp(g.at / "
                     "1000000.0), flapping = false, held = false, updated_at = now() "
                     "FROM unnest($1::text[], $2::bigint[]) AS g(key, at) "
                     "WHERE a.domain = split_part(g.key, chr(31), 1) "
                     "AND a.fingerprint = split_part(g.key, chr(31), 2)",
                     2, params, NULL);
    }
    wire_buf_free(&keys);
    wire_buf_free(&ats);
    return st;
}

/* Stage-then-apply, the one way a batch writes a table: c's rows go with
 * binary COPY (copy_sql) into a temporary stage table, then apply_sql moves
 * them into the real table in one statement. Nothing is sent when c is
 * empty. *applied (may be NULL) gets the rows apply_sql touched. */
static db_status_t correlator_stage_apply(PGconn *conn, const char *what, const char *copy_sql,
                                          db_copy_t *c, const char *apply_sql, uint64_t *applied)
{
    if (applied) {
        *applied = 0;
    }
    if (!c->rows) {
        return DB_OK;
    }
    db_status_t st = db_copy_send(conn, what, copy_sql, c);
    PGresult *res = NULL;
    if (st == DB_OK) {
        st = db_exec(conn, what, apply_sql, 0, NULL, &res);
    }
    if (st == DB_OK) {
        if (applied) {
            *applied = strtoull(PQcmdTuples(res), NULL, 10);
        }
        PQclear(res);
    }
    return st;
}

/* The ids of the incidents of the batch that are gone (true: forgotten by the
 * engine and written from their changes) or merged (false: merged within
 * the batch and still held), as a Postgres array literal; returns how many. */
static size_t correlator_incident_ids(const correlator_batch_t *b, bool gone, wire_buf_t *ids)
{
    wire_buf_put(ids, "{", 1);
    size_t n = 0;
    for (size_t i = 0; i < b->incidents.cap; i++) {
        const correlator_touch_t *t = &b->incidents.v[i];
        bool merged;
        bool want =
            gone ? correlator_incident_gone(t, &merged) : !t->key && t->id && t->seen && t->merged;
        if (want) {
            char id[24];
            int len = snprintf(id, sizeof id, "%s%" PRId64, n ? "," : "", t->id);
            wire_buf_put(ids, id, (size_t)len);
            n++;
        }
    }
    wire_buf_put(ids, "}", 2);
    return n;
}

/* Member rows that change in bulk, one statement each instead of a row per
 * member:
 * - an incident merged within the batch has every member inactive now
 *   (its active members joined the target, each with a change of its own);
 * - an incident the engine forgot within the batch keeps no member rows
 *   (its members are unknown by then; as the full snapshots did, since the
 *   stored state must not depend on where batches end). */
static db_status_t correlator_store_bulk_members(PGconn *conn, correlator_batch_t *b)
{
    static const char *const sql[2] = {
        "UPDATE incident_members SET active = false WHERE incident_id = ANY ($1::bigint[]) "
        "AND active",
        "DELETE FROM incident_members WHERE incident_id = ANY ($1::bigint[])",
    };
    db_status_t st = DB_OK;
    for (int gone = 0; gone < 2 && st == DB_OK; gone++) {
        wire_buf_t ids;
        wire_buf_init(&ids);
        if (correlator_incident_ids(b, gone, &ids)) {
            const char *params[] = {(const char *)ids.data};
            st = db_exec(conn, gone ? "correlator.gone_members" : "correlator.merged_members",
                         sql[gone], 1, params, NULL);
        }
        wire_buf_free(&ids);
    }
    return st;
}

static db_status_t correlator_store_write(PGconn *conn, correlator_batch_t *b)
{
    db_status_t st = db_command(conn, "correlator.begin", "BEGIN");
    if (st == DB_OK) {
        st = correlator_stage_apply(
            conn, "correlator.incidents",
            "COPY corr_incidents_stage (" CORRELATOR_INCIDENT_COLS
            ", phase) FROM STDIN (FORMAT binary)",
            &b->stage_incidents,
            "INSERT INTO incidents (" CORRELATOR_INCIDENT_COLS ") SELECT " CORRELATOR_INCIDENT_COLS
            " FROM corr_incidents_stage ORDER BY phase, id "
            "ON CONFLICT (id) DO UPDATE SET rule = EXCLUDED.rule, group_key = "
            "EXCLUDED.group_key, state = EXCLUDED.state, severity = EXCLUDED.severity, "
            "cause_fingerprint = EXCLUDED.cause_fingerprint, cause_resource = "
            "EXCLUDED.cause_resource, last_activity_at = EXCLUDED.last_activity_at, "
            "resolving_since = EXCLUDED.resolving_since, resolved_at = EXCLUDED.resolved_at, "
            "merged_into = EXCLUDED.merged_into, updated_at = now()",
            NULL);
    }
    if (st == DB_OK) {
        /* Only the members a change named; unchanged rows are not rewritten.
         * No member is ever deleted: the engine never drops one from an
         * incident it keeps (leaving is active = false). */
        st = correlator_stage_apply(
            conn, "correlator.members",
            "COPY corr_members_stage (" CORRELATOR_MEMBER_COLS ") FROM STDIN (FORMAT binary)",
            &b->stage_members,
            "INSERT INTO incident_members AS m (" CORRELATOR_MEMBER_COLS
            ") SELECT " CORRELATOR_MEMBER_COLS " FROM corr_members_stage "
            "ON CONFLICT (incident_id, fingerprint) DO UPDATE SET resource = "
            "EXCLUDED.resource, symptom = EXCLUDED.symptom, active = "
            "EXCLUDED.active, joined_at = EXCLUDED.joined_at, ord = EXCLUDED.ord "
            "WHERE (m.resource, m.symptom, m.active, m.joined_at, m.ord) IS "
            "DISTINCT FROM (EXCLUDED.resource, EXCLUDED.symptom, "
            "EXCLUDED.active, EXCLUDED.joined_at, EXCLUDED.ord)",
            NULL);
    }
    if (st == DB_OK) {
        st = correlator_store_bulk_members(conn, b);
    }
    if (st == DB_OK) {
        st = correlator_stage_apply(
            conn, "correlator.alerts",
            "COPY corr_alerts_stage (" CORRELATOR_ALERT_COLS ") FROM STDIN (FORMAT binary)",
            &b->stage_alerts,
            "INSERT INTO alerts (" CORRELATOR_ALERT_COLS ") SELECT " CORRELATOR_ALERT_COLS
            " FROM corr_alerts_stage ON CONFLICT (domain, fingerprint) DO UPDATE SET "
            "source = EXCLUDED.source, resource = EXCLUDED.resource, \"check\" = "
            "EXCLUDED.\"check\", severity = EXCLUDED.severity, summary = EXCLUDED.summary, "
            "labels = EXCLUDED.labels, state = EXCLUDED.state, count = EXCLUDED.count, "
            "first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, "
            "refreshed_at = EXCLUDED.refreshed_at, fired_at = EXCLUDED.fired_at, "
            "cleared_at = EXCLUDED.cleared_at, incident_id = EXCLUDED.incident_id, "
            "symptom = EXCLUDED.symptom, parent = EXCLUDED.parent, rule = EXCLUDED.rule, "
            "group_key = EXCLUDED.group_key, held = EXCLUDED.held, routed = "
            "EXCLUDED.routed, flapping = EXCLUDED.flapping, incident_active = "
            "EXCLUDED.incident_active, flap_changes = EXCLUDED.flap_changes, silenced_by = "
            "EXCLUDED.silenced_by, maint_window = EXCLUDED.maint_window, updated_at = now()",
            NULL);
    }
    if (st == DB_OK) {
        /* Repeats: count, last_seen, refreshed_at, severity of rows that
         * exist. None of these columns is indexed, so the updates can be HOT. */
        uint64_t updated = 0;
        st = correlator_stage_apply(
            conn, "correlator.counts",
            "COPY corr_counts_stage (domain, fingerprint, severity, count, last_seen, "
            "refreshed_at) FROM STDIN (FORMAT binary)",
            &b->stage_counts,
            "UPDATE alerts a SET severity = s.severity, count = s.count, last_seen = "
            "s.last_seen, refreshed_at = s.refreshed_at, updated_at = now() FROM "
            "corr_counts_stage s WHERE a.domain = s.domain AND a.fingerprint = s.fingerprint",
            &updated);
        if (st == DB_OK && updated != b->stage_counts.rows) {
            /* A broken invariant (repeats of an alert no batch wrote): the
             * failed commit rebuilds the engine from the tables, and the
             * replayed events open that alert anew with a whole row. */
            log_error("msg=\"repeat counts for alerts without a row\" staged=%u updated=%" PRIu64,
                      b->stage_counts.rows, updated);
            st = DB_FATAL;
        }
    }
    if (st == DB_OK && b->stage_notes.rows > 0) {
        /* After the alerts rows exist: the opening events' annotations. */
        st = correlator_stage_apply(
            conn, "correlator.annotations",
            "COPY corr_notes_stage (ord, domain, fingerprint, annotations) FROM STDIN "
            "(FORMAT binary)",
            &b->stage_notes,
            "UPDATE alerts a SET annotations = s.annotations FROM (SELECT DISTINCT ON (domain, "
            "fingerprint) domain, fingerprint, annotations FROM corr_notes_stage ORDER BY domain, "
            "fingerprint, ord DESC) s WHERE a.domain = s.domain AND a.fingerprint = s.fingerprint",
            NULL);
    }
    if (st == DB_OK) {
        st = correlator_store_gone(conn, b);
    }
    if (st == DB_OK && b->ndecisions) {
        st = db_copy_send(conn, "correlator.decisions", CORRELATOR_DECISIONS_COPY, &b->decisions);
    }
    if (st == DB_OK && b->npending) {
        st = db_copy_send(conn, "correlator.changes", CORRELATOR_CHANGES_COPY, &b->changes);
        if (st == DB_OK) {
            st = db_stream_advance(conn, b->stream, b->head, b->head + (int64_t)b->npending);
        }
    }
    for (size_t i = 0; st == DB_OK && i < b->noffsets; i++) {
        st = db_consumer_offset_save(conn, b->stream, b->offsets[i].name, b->offsets[i].seq);
    }
    if (st == DB_OK) {
        st = db_command(conn, "correlator.commit", "COMMIT");
    }
    if (st != DB_OK && PQstatus(conn) == CONNECTION_OK) {
        PQclear(PQexec(conn, "ROLLBACK"));
    }
    return st;
}

db_status_t correlator_store_commit(PGconn *conn, correlator_batch_t *b, const corr_engine_t *e)
{
    if (correlator_batch_empty(b)) {
        return DB_OK;
    }
    db_copy_reset(&b->stage_alerts);
    db_copy_reset(&b->stage_counts);
    db_copy_reset(&b->stage_incidents);
    db_copy_reset(&b->stage_members);
    if (b->alerts.n) {
        corr_engine_foreach_alert(e, correlator_stage_alert, b);
    }
    if (b->incidents.n) {
        corr_engine_foreach_incident(e, correlator_stage_incident, b);
        correlator_stage_gone_incidents(b);
    }
    db_status_t st = correlator_store_write(conn, b);
    if (st == DB_OK) {
        b->head += (int64_t)b->npending;
    }
    return st;
}
