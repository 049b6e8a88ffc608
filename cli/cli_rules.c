/*
 * cli_rules - `alertdesk rules check|reload|replay`: test a correlation rule
 * file before it ships, and swap it into the running correlator.
 *
 *   check FILE      loads and validates FILE (line-precise errors).
 *   reload          validates correlator.rules, then sends SIGHUP to the pid
 *                   in correlator.pid_file (same as `kill -HUP <pid>`).
 *   replay          runs recorded events (--since from the events table, or
 *                   --file JSON lines of native events) through the candidate
 *                   rules in a private engine - no live state is touched -
 *                   and prints what would form; with --live-rules also the
 *                   difference from those rules (incidents added, removed,
 *                   split, merged - compared by membership). Silences take
 *                   effect at their recorded times: with --since those of
 *                   the silences table that overlap the replayed period
 *                   (the daemon's loader, correlator_silences.c), with
 *                   --silences FILE those of a JSON-lines file; none with
 *                   --no-silences (the default for --file).
 *
 * Replay output is deterministic: event time only (received_at for the
 * table, occurred_at for a file), incidents in id order, members sorted; the
 * progress bar goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "config.h"
#include "corr_engine.h"
#include "corr_rules.h"
#include "corr_silence.h"
#include "correlator_silences.h"
#include "db.h"
#include "decode.h"
#include "decode_internal.h" /* decode_time_parse(): RFC 3339, as events read it */
#include "event_store.h"
#include "wire.h"
#include "xalloc.h"

/* ---- check ---- */

static int cli_rules_check(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc == 2 ? stdout : stderr, "Usage: alertdesk rules check FILE\n");
        return argc == 2 ? 0 : 2;
    }
    corr_rules_t *r = NULL;
    char err[1024];
    if (corr_rules_load(argv[1], &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%s: ok (%zu rules, %zu topology nodes, %zu maintenance windows)\n", argv[1], r->nrules,
           r->ntopology, r->nmaintenance);
    corr_rules_destroy(&r);
    return 0;
}

/* ---- reload ---- */

static int cli_rules_reload(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'c') {
            config = optarg;
        } else if (c == 'h') {
            printf("Usage: alertdesk rules reload [--config FILE]\n"
                   "Validates correlator.rules, then sends SIGHUP to the correlator whose pid\n"
                   "is in correlator.pid_file (the same as kill -HUP <pid>). A file the\n"
                   "correlator refuses keeps the running rules; its log says why.\n");
            return 0;
        } else {
            return 2;
        }
    }
    settings_t s;
    if (cli_load_settings(config, &s) < 0) {
        return 1;
    }
    int rc = 1;
    char err[1024];
    corr_rules_t *r = NULL;
    if (*s.correlator_rules && corr_rules_load(s.correlator_rules, &r, err, sizeof err) < 0) {
        fprintf(stderr, "%s\nalertdesk rules reload: not reloading; the running rules stay\n", err);
        goto out;
    }
    corr_rules_destroy(&r);
    if (!*s.correlator_pid_file) {
        fprintf(stderr, "alertdesk rules reload: correlator.pid_file is not set; send SIGHUP to "
                        "alertdesk-correlator yourself (kill -HUP <pid>)\n");
        goto out;
    }
    FILE *f = fopen(s.correlator_pid_file, "r");
    long pid = 0;
    if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
        fprintf(stderr, "alertdesk rules reload: no pid in %s\n", s.correlator_pid_file);
        if (f) {
            fclose(f);
        }
        goto out;
    }
    fclose(f);
    if (kill((pid_t)pid, SIGHUP) != 0) {
        fprintf(stderr, "alertdesk rules reload: kill -HUP %ld: %s\n", pid, strerror(errno));
        goto out;
    }
    printf("sent SIGHUP to alertdesk-correlator (pid %ld)\n", pid);
    rc = 0;
out:
    settings_free(&s);
    return rc;
}

/* ---- replay: the events ---- */

typedef struct {
    event_t **v;
    size_t n, cap;
} cli_events_t;

static void cli_events_push(cli_events_t *e, event_t *ev)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 1024;
        e->v = xrealloc(e->v, e->cap * sizeof *e->v);
    }
    e->v[e->n++] = ev;
}

static void cli_events_free(cli_events_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        event_destroy(&e->v[i]);
    }
    free(e->v);
}

/* Events of a JSON-lines file of native events (an object or an array per
 * line); their time is occurred_at. */
static int cli_replay_read_file(const char *path, cli_events_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "alertdesk rules replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    decode_limits_t lim;
    decode_limits_default(&lim);
    decode_context_t ctx = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)len) {
            continue;
        }
        decode_result_t r;
        decode_result_init(&r);
        decode_native(line, (size_t)len, &lim, &ctx, &r);
        if (r.nrejects) {
            fprintf(stderr, "%s:%d: %s: %s\n", path, lineno, r.rejects[0].field,
                    r.rejects[0].error);
            decode_result_clear(&r);
            rc = -1;
            break;
        }
        size_t n;
        event_t **evs = decode_result_take_events(&r, &n);
        for (size_t i = 0; i < n; i++) {
            evs[i]->received_at_us = evs[i]->occurred_at_us;
            cli_events_push(out, evs[i]);
        }
        free(evs);
        decode_result_clear(&r);
    }
    free(line);
    fclose(f);
    return rc;
}

typedef struct {
    cli_events_t *out;
    int64_t since_us;
} cli_fetch_t;

static int cli_replay_collect(void *arg, const char *stream, int64_t seq, const uint8_t *payload,
                              size_t len)
{
    cli_fetch_t *f = arg;
    event_t *ev = NULL;
    size_t used;
    (void)stream;
    if (wire_decode(payload, len, &ev, &used) < 0) {
        fprintf(stderr, "alertdesk rules replay: undecodable event seq=%" PRId64 "\n", seq);
        return -1;
    }
    if (ev->received_at_us >= f->since_us) {
        cli_events_push(f->out, ev);
    } else {
        event_destroy(&ev);
    }
    return 0;
}

static int cli_replay_event_cmp(const void *a, const void *b)
{
    const event_t *x = *(event_t *const *)a, *y = *(event_t *const *)b;
    if (x->received_at_us != y->received_at_us) {
        return x->received_at_us < y->received_at_us ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The silences to replay with. */
typedef struct {
    corr_silence_t *v;
    size_t n;
} cli_silences_t;

/* Events stored since now - since, from every stream, in received_at order;
 * with sil, also the stored silences that overlap [now - since, now]. */
static int cli_replay_read_table(const char *config, int64_t since, cli_events_t *out,
                                 cli_silences_t *sil)
{
    PGconn *conn = cli_db_connect(config, "rules replay");
    if (!conn) {
        return -1;
    }
    cli_fetch_t f = {out, event_now_us() - since};
    char since_s[24];
    snprintf(since_s, sizeof since_s, "%" PRId64, f.since_us);
    const char *params[] = {since_s};
    PGresult *res = NULL;
    int rc = 0;
    if (db_exec(conn, "replay.streams",
                "SELECT stream, coalesce(min(seq), 1) - 1 FROM events WHERE received_at >= "
                "to_timestamp($1::bigint / 1000000.0) GROUP BY stream ORDER BY stream",
                1, params, &res) != DB_OK) {
        PQfinish(conn);
        return -1;
    }
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        if (event_store_fetch(conn, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10),
                              INT64_MAX, cli_replay_collect, &f) < 0) {
            rc = -1;
        }
    }
    PQclear(res);
    if (rc == 0 && sil &&
        correlator_silences_load(conn, f.since_us, event_now_us(), &sil->v, &sil->n) < 0) {
        fprintf(stderr, "alertdesk rules replay: cannot read the silences table\n");
        rc = -1;
    }
    PQfinish(conn);
    if (rc == 0) {
        qsort(out->v, out->n, sizeof *out->v, cli_replay_event_cmp);
    }
    return rc;
}

/* One silence of a --silences file: {"matchers":["labels.site = ams1"],
 * "starts_at":"RFC3339","ends_at":"RFC3339","comment":"...","creator":"..."}
 * (comment and creator optional). Its id is its number in the file. */
static int cli_replay_silence_parse(json_t *o, int64_t id, corr_silence_t *si, char *err,
                                    size_t errlen)
{
    static const char *const keys[] = {"matchers", "starts_at", "ends_at",
                                       "comment",  "creator",   NULL};
    const char *k;
    json_t *v;
    memset(si, 0, sizeof *si);
    si->id = id;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "not a JSON object");
        return -1;
    }
    json_object_foreach(o, k, v)
    {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], k) != 0) {
            i++;
        }
        if (!keys[i]) {
            snprintf(err, errlen, "unknown key \"%s\"", k);
            return -1;
        }
        if (i > 0 && !json_is_string(v)) {
            snprintf(err, errlen, "%s: not a string", k);
            return -1;
        }
    }
    json_t *m = json_object_get(o, "matchers");
    if (!json_is_array(m) || json_array_size(m) == 0) {
        snprintf(err, errlen, "matchers: a non-empty array of strings is required");
        return -1;
    }
    const char *tk[2] = {"starts_at", "ends_at"};
    int64_t *tv[2] = {&si->starts_us, &si->ends_us};
    for (int i = 0; i < 2; i++) {
        const char *t = json_string_value(json_object_get(o, tk[i]));
        if (!t || decode_time_parse(t, strlen(t), 0, tv[i]) < 0) {
            snprintf(err, errlen, "%s: an RFC 3339 time is required", tk[i]);
            return -1;
        }
    }
    if (si->ends_us <= si->starts_us) {
        snprintf(err, errlen, "ends_at must be after starts_at");
        return -1;
    }
    si->matchers = xcalloc(json_array_size(m), sizeof *si->matchers);
    for (size_t j = 0; j < json_array_size(m); j++) {
        const char *text = json_string_value(json_array_get(m, j));
        char why[256];
        if (!text || corr_matcher_parse(text, &si->matchers[j], why, sizeof why) < 0) {
            snprintf(err, errlen, "matchers[%zu]: %s", j, text ? why : "not a string");
            return -1;
        }
        si->nmatchers++;
    }
    const char *c = json_string_value(json_object_get(o, "comment"));
    const char *u = json_string_value(json_object_get(o, "creator"));
    si->comment = xstrdup(c ? c : "");
    si->creator = xstrdup(u ? u : "");
    return 0;
}

/* Silences of a JSON-lines file (one object per line). */
static int cli_replay_read_silences(const char *path, cli_silences_t *out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "alertdesk rules replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, scap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)len) {
            continue;
        }
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
        char err[512];
        if (out->n == scap) {
            scap = scap ? scap * 2 : 16;
            out->v = xrealloc(out->v, scap * sizeof *out->v);
        }
        corr_silence_t *si = &out->v[out->n];
        if (!o) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, jerr.text);
            rc = -1;
        } else if (cli_replay_silence_parse(o, (int64_t)out->n + 1, si, err, sizeof err) < 0) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
            out->n++; /* freed with the others */
            rc = -1;
        } else {
            out->n++;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- replay: running and summarising ---- */

typedef struct {
    char *fingerprint, *resource, *check, *parent;
    bool symptom, active;
} cli_member_t;

typedef struct {
    int64_t id;
    char *rule, *group_key, *status, *cause_resource, *cause_check;
    event_severity_t severity;
    int64_t merged_into;
    cli_member_t *members;
    size_t nmembers;
} cli_incident_t;

typedef struct {
    const corr_engine_t *engine;
    cli_incident_t *v;
    size_t n, cap;
    size_t nalerts;
    /* fingerprint -> alert fields, for member names */
    struct cli_alert_name {
        char *fingerprint, *resource, *check, *parent;
    } * alerts;
    size_t nalert_names, alerts_cap;
} cli_outcome_t;

static int cli_alert_name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct cli_alert_name *)a)->fingerprint,
                  ((const struct cli_alert_name *)b)->fingerprint);
}

static void cli_replay_alert(void *arg, const corr_alert_state_t *st)
{
    cli_outcome_t *o = arg;
    o->nalerts++;
    if (o->nalert_names == o->alerts_cap) {
        o->alerts_cap = o->alerts_cap ? o->alerts_cap * 2 : 256;
        o->alerts = xrealloc(o->alerts, o->alerts_cap * sizeof *o->alerts);
    }
    struct cli_alert_name *a = &o->alerts[o->nalert_names++];
    a->fingerprint = xstrdup(st->event->fingerprint);
    a->resource = xstrdup(st->event->resource);
    a->check = xstrdup(st->event->check);
    a->parent = xstrdup(st->parent);
}

static const struct cli_alert_name *cli_alert_name(const cli_outcome_t *o, const char *fp)
{
    struct cli_alert_name key = {.fingerprint = (char *)fp};
    return bsearch(&key, o->alerts, o->nalert_names, sizeof *o->alerts, cli_alert_name_cmp);
}

static int cli_member_cmp(const void *a, const void *b)
{
    const cli_member_t *x = a, *y = b;
    int c = strcmp(x->resource, y->resource);
    return c ? c : strcmp(x->check, y->check);
}

static void cli_replay_incident(void *arg, const corr_incident_state_t *st)
{
    cli_outcome_t *o = arg;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    cli_incident_t *in = &o->v[o->n++];
    memset(in, 0, sizeof *in);
    in->id = st->id;
    in->rule = xstrdup(*st->rule ? st->rule : "(unmatched)");
    in->group_key = xstrdup(st->group_key);
    in->status = xstrdup(corr_incident_status_name(st->status));
    in->severity = st->severity;
    in->merged_into = st->merged_into;
    const struct cli_alert_name *cause = cli_alert_name(o, st->cause_fingerprint);
    in->cause_resource = xstrdup(st->cause_resource);
    in->cause_check = xstrdup(cause ? cause->check : "");
    in->members = xcalloc(st->nmembers + 1, sizeof *in->members);
    for (size_t i = 0; i < st->nmembers; i++) {
        const corr_member_t *m = &st->members[i];
        const struct cli_alert_name *a = cli_alert_name(o, m->fingerprint);
        in->members[i] = (cli_member_t){
            .fingerprint = xstrdup(m->fingerprint),
            .resource = xstrdup(m->resource),
            .check = xstrdup(a ? a->check : ""),
            .parent = xstrdup(a ? a->parent : ""),
            .symptom = m->symptom,
            .active = m->active,
        };
    }
    in->nmembers = st->nmembers;
    qsort(in->members, in->nmembers, sizeof *in->members, cli_member_cmp);
}

static void cli_outcome_free(cli_outcome_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        cli_incident_t *in = &o->v[i];
        for (size_t k = 0; k < in->nmembers; k++) {
            free(in->members[k].fingerprint);
            free(in->members[k].resource);
            free(in->members[k].check);
            free(in->members[k].parent);
        }
        free(in->members);
        free(in->rule);
        free(in->group_key);
        free(in->status);
        free(in->cause_resource);
        free(in->cause_check);
    }
    free(o->v);
    for (size_t i = 0; i < o->nalert_names; i++) {
        free(o->alerts[i].fingerprint);
        free(o->alerts[i].resource);
        free(o->alerts[i].check);
        free(o->alerts[i].parent);
    }
    free(o->alerts);
}

typedef struct {
    bool enabled;
    size_t total, shown;
} cli_progress_t;

static void cli_progress(cli_progress_t *p, const char *what, size_t done)
{
    if (!p->enabled || p->total == 0) {
        return;
    }
    size_t pct = done * 100 / p->total;
    if (pct == p->shown && done != p->total) {
        return;
    }
    p->shown = pct;
    int bars = (int)(pct * 40 / 100);
    fprintf(stderr, "\r%s [%.*s%*s] %3zu%% %zu/%zu events", what, bars,
            "########################################", 40 - bars, "", pct, done, p->total);
    if (done == p->total) {
        fputc('\n', stderr);
    }
}

/* Runs every event through a fresh engine on rules; fills o. */
static void cli_replay_run(const corr_rules_t *rules, const cli_events_t *evs,
                           const cli_silences_t *sil, cli_progress_t *p, const char *what,
                           cli_outcome_t *o, corr_stats_t *stats, uint64_t **rule_hits)
{
    corr_engine_t *e = corr_engine_new(rules, 1);
    corr_engine_keep_history(e, true);
    /* in effect at their recorded times, as they were live (copied) */
    corr_engine_set_silences(e, sil->v, sil->n);
    p->shown = (size_t)-1;
    for (size_t i = 0; i < evs->n; i++) {
        corr_engine_apply(e, evs->v[i], evs->v[i]->received_at_us, NULL, NULL);
        if ((i & 1023) == 0 || i + 1 == evs->n) {
            cli_progress(p, what, i + 1);
        }
    }
    corr_engine_flush_counts(e, NULL, NULL);
    memset(o, 0, sizeof *o);
    corr_engine_foreach_alert(e, cli_replay_alert, o);
    qsort(o->alerts, o->nalert_names, sizeof *o->alerts, cli_alert_name_cmp);
    corr_engine_foreach_incident(e, cli_replay_incident, o);
    corr_engine_stats(e, stats);
    *rule_hits = xcalloc(stats->nrule_hits + 1, sizeof **rule_hits);
    if (stats->nrule_hits) {
        memcpy(*rule_hits, stats->rule_hits, stats->nrule_hits * sizeof **rule_hits);
    }
    stats->rule_hits = *rule_hits;
    corr_engine_destroy(&e);
}

static void cli_replay_print(const corr_rules_t *rules, const char *name, size_t nevents,
                             const cli_outcome_t *o, const corr_stats_t *st)
{
    size_t formed = 0;
    for (size_t i = 0; i < o->n; i++) {
        formed += strcmp(o->v[i].status, "merged") != 0;
    }
    double reduction = nevents ? 100.0 * (1.0 - (double)formed / (double)nevents) : 0.0;
    printf("rules: %s\n", name);
    printf("events: %zu -> alerts: %zu -> incidents: %zu (noise reduction %.1f%%)\n", nevents,
           o->nalerts, formed, reduction);
    printf("suppressed: silence/maintenance %" PRIu64 ", topology %" PRIu64 "; unmatched %" PRIu64
           "\n",
           st->suppressed_silence, st->suppressed_topology, st->unmatched_hits);
    for (size_t i = 0; i < st->nrule_hits && i < rules->nrules; i++) {
        printf("rule %s: %" PRIu64 " alerts\n", rules->rules[i].name, st->rule_hits[i]);
    }
    for (size_t i = 0; i < o->n; i++) {
        const cli_incident_t *in = &o->v[i];
        printf("incident %" PRId64 ": rule=%s group=\"%s\" state=%s severity=%s cause=%s/%s "
               "members=%zu",
               in->id, in->rule, in->group_key, in->status, event_severity_name(in->severity),
               in->cause_resource, in->cause_check, in->nmembers);
        if (in->merged_into) {
            printf(" merged_into=%" PRId64, in->merged_into);
        }
        putchar('\n');
        for (size_t k = 0; k < in->nmembers; k++) {
            const cli_member_t *m = &in->members[k];
            printf("  %s/%s %s%s%s%s\n", m->resource, m->check, m->symptom ? "symptom" : "member",
                   *m->parent ? " of " : "", m->parent, m->active ? "" : " (cleared)");
        }
    }
}

/* ---- replay: the difference between two outcomes ---- */

/* The incident of outcome o holding fingerprint fp (not merged ones), or -1. */
static long cli_owner(const cli_outcome_t *o, const char *fp)
{
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->v[i].status, "merged") == 0) {
            continue;
        }
        for (size_t k = 0; k < o->v[i].nmembers; k++) {
            if (strcmp(o->v[i].members[k].fingerprint, fp) == 0) {
                return (long)i;
            }
        }
    }
    return -1;
}

static void cli_members_line(const cli_incident_t *in)
{
    for (size_t k = 0; k < in->nmembers; k++) {
        printf("%s%s/%s", k ? "," : "", in->members[k].resource, in->members[k].check);
    }
}

/* Classifies each incident of a against b: counts distinct owners in b. */
static void cli_replay_diff(const cli_outcome_t *live, const cli_outcome_t *cand)
{
    size_t added = 0, removed = 0, split = 0, merged = 0, same = 0, changed = 0;
    printf("difference from the live rules:\n");
    for (size_t i = 0; i < cand->n; i++) {
        const cli_incident_t *in = &cand->v[i];
        if (strcmp(in->status, "merged") == 0) {
            continue;
        }
        long first = -2;
        size_t owners = 0, unowned = 0;
        for (size_t k = 0; k < in->nmembers; k++) {
            long w = cli_owner(live, in->members[k].fingerprint);
            if (w < 0) {
                unowned++;
            } else if (w != first) {
                bool seen = false;
                for (size_t j = 0; j < k; j++) {
                    seen |= cli_owner(live, in->members[j].fingerprint) == w;
                }
                if (!seen) {
                    owners++;
                }
                first = w;
            }
        }
        if (owners == 0) {
            added++;
            printf("  added: incident %" PRId64 " (rule %s): ", in->id, in->rule);
            cli_members_line(in);
            putchar('\n');
        } else if (owners > 1) {
            merged++;
            printf("  merged: incident %" PRId64 " (rule %s) joins what %zu live incidents held: ",
                   in->id, in->rule, owners);
            cli_members_line(in);
            putchar('\n');
        } else {
            long w = cli_owner(live, in->members[0].fingerprint);
            if (unowned == 0 && in->nmembers == live->v[w].nmembers) {
                same++;
            } else {
                changed++;
                printf("  changed: incident %" PRId64 " (rule %s): ", in->id, in->rule);
                cli_members_line(in);
                printf(" (live: ");
                cli_members_line(&live->v[w]);
                printf(")\n");
            }
        }
    }
    for (size_t i = 0; i < live->n; i++) {
        const cli_incident_t *in = &live->v[i];
        if (strcmp(in->status, "merged") == 0) {
            continue;
        }
        size_t owners = 0;
        for (size_t k = 0; k < in->nmembers; k++) {
            long w = cli_owner(cand, in->members[k].fingerprint);
            bool seen = false;
            for (size_t j = 0; j < k && w >= 0; j++) {
                seen |= cli_owner(cand, in->members[j].fingerprint) == w;
            }
            owners += w >= 0 && !seen;
        }
        if (owners == 0) {
            removed++;
            printf("  removed: live incident %" PRId64 " (rule %s): ", in->id, in->rule);
            cli_members_line(in);
            putchar('\n');
        } else if (owners > 1) {
            split++;
            printf("  split: live incident %" PRId64 " (rule %s) into %zu incidents: ", in->id,
                   in->rule, owners);
            cli_members_line(in);
            putchar('\n');
        }
    }
    printf("summary: %zu same, %zu added, %zu removed, %zu split, %zu merged, %zu changed\n", same,
           added, removed, split, merged, changed);
}

static void cli_replay_usage(FILE *out)
{
    fprintf(out,
            "Usage: alertdesk rules replay --rules CANDIDATE.yml (--since DURATION | --file "
            "EVENTS.jsonl)\n"
            "                              [--live-rules RULES.yml] [--silences FILE | "
            "--no-silences]\n"
            "                              [--progress] [--config FILE]\n"
            "Runs recorded events through the candidate rules in memory (no live state is\n"
            "touched) and prints the incidents they would form and the noise reduction.\n"
            "--since 24h reads the events table; --file reads JSON lines of native events\n"
            "(time = occurred_at). --live-rules also runs those rules and prints the\n"
            "difference (incidents added, removed, split, merged). The output is\n"
            "deterministic; the progress bar (stderr) shows on a terminal or with --progress.\n"
            "Silences act at their recorded times: --since uses the silences table's\n"
            "silences that overlap the period; --silences FILE reads JSON lines instead\n"
            "({\"matchers\":[\"labels.site = ams1\"],\"starts_at\":\"RFC3339\",\n"
            "\"ends_at\":\"RFC3339\",\"comment\":\"...\"}; ids are line numbers);\n"
            "--no-silences replays without any (the default for --file).\n");
}

static int cli_rules_replay(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"live-rules", required_argument, NULL, 'l'},
                                         {"since", required_argument, NULL, 's'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"progress", no_argument, NULL, 'p'},
                                         {"silences", required_argument, NULL, 'S'},
                                         {"no-silences", no_argument, NULL, 'N'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *cand_path = NULL, *live_path = NULL, *since = NULL, *file = NULL;
    const char *sil_path = NULL;
    bool no_silences = false;
    cli_progress_t progress = {.enabled = isatty(2) != 0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:r:l:s:f:pS:Nh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'r':
            cand_path = optarg;
            break;
        case 'l':
            live_path = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'p':
            progress.enabled = true;
            break;
        case 'S':
            sil_path = optarg;
            break;
        case 'N':
            no_silences = true;
            break;
        case 'h':
            cli_replay_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (!cand_path || (!since) == (!file) || (sil_path && no_silences)) {
        cli_replay_usage(stderr);
        return 2;
    }
    char err[1024];
    int64_t since_us = 0;
    if (since && config_parse_duration(since, 1, &since_us, err, sizeof err) < 0) {
        fprintf(stderr, "alertdesk rules replay: --since %s: %s\n", since, err);
        return 2;
    }
    corr_rules_t *cand = NULL, *live = NULL;
    if (corr_rules_load(cand_path, &cand, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (live_path && corr_rules_load(live_path, &live, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        corr_rules_destroy(&cand);
        return 1;
    }
    cli_events_t evs = {0};
    cli_silences_t sil = {0};
    bool table_silences = !file && !sil_path && !no_silences;
    int rc = file ? cli_replay_read_file(file, &evs)
                  : cli_replay_read_table(config, since_us, &evs, table_silences ? &sil : NULL);
    if (rc == 0 && sil_path) {
        rc = cli_replay_read_silences(sil_path, &sil);
    }
    if (rc == 0) {
        printf("silences: %zu%s\n", sil.n,
               sil_path         ? " (from the file)"
               : table_silences ? " (from the silences table)"
                                : "");
        progress.total = evs.n;
        cli_outcome_t oc, ol;
        corr_stats_t sc, sl;
        uint64_t *hc = NULL, *hl = NULL;
        cli_replay_run(cand, &evs, &sil, &progress, "candidate", &oc, &sc, &hc);
        cli_replay_print(cand, cand_path, evs.n, &oc, &sc);
        if (live) {
            cli_replay_run(live, &evs, &sil, &progress, "live     ", &ol, &sl, &hl);
            printf("\n");
            cli_replay_print(live, live_path, evs.n, &ol, &sl);
            printf("\n");
            cli_replay_diff(&ol, &oc);
            cli_outcome_free(&ol);
            free(hl);
        }
        cli_outcome_free(&oc);
        free(hc);
    }
    cli_events_free(&evs);
    correlator_silences_free(sil.v, sil.n);
    corr_rules_destroy(&cand);
    corr_rules_destroy(&live);
    return rc == 0 ? 0 : 1;
}

int cli_rules(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: alertdesk rules check FILE\n"
                "       alertdesk rules reload [--config FILE]\n"
                "       alertdesk rules replay --rules FILE (--since D | --file F) "
                "[--live-rules FILE] [--silences FILE | --no-silences]\n");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0) {
        return cli_rules_check(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "reload") == 0) {
        return cli_rules_reload(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "replay") == 0) {
        return cli_rules_replay(argc - 1, argv + 1);
    }
    fprintf(stderr, "alertdesk rules: unknown subcommand '%s'\n", argv[1]);
    return 2;
}
