/*
 * test_corr_scenarios - table-driven scenarios for the correlation engine.
 *
 * Each tests/fixtures/correlator/scenarios/NN_name.scn file holds a rule file
 * (YAML, indented under "rules:"; an optional "rules2:" for a reload), timed
 * events and expectations; the line format is described in README.md next
 * to the files. Every scenario runs three times:
 *   1. straight through,
 *   2. straight through again: the change log must be byte-identical
 *      (determinism),
 *   3. with the engine snapshotted through the restore API into a fresh one
 *      half way (and at every "restart" line): the changes after that point
 *      and the final incidents must equal run 1's (restart equivalence).
 * Expectations are checked in every run. A failure prints the file, line
 * and run. No I/O besides reading the files; no clock.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corr_engine.h"
#include "corr_rules.h"
#include "corr_silence.h"
#include "event.h"
#include "xalloc.h"

#define SEC      1000000LL
#define MAXLINES 4096

static int failures;

/* ---- growable string ---- */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (b->s && b->n + (size_t)n < b->cap) {
            b->n += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
        if (b->n == 0) {
            b->s[0] = '\0';
        }
    }
}

/* ---- scenario ---- */
typedef struct {
    int lineno;
    char *text;
} line_t;

typedef struct {
    const char *path;
    char *rules_text, *rules2_text;
    line_t steps[MAXLINES];
    size_t nsteps;
} scenario_t;

/* fingerprint -> "resource/check" */
typedef struct {
    char fp[EVENT_FINGERPRINT_HEX + 1];
    char *name;
} fpname_t;

typedef struct {
    const scenario_t *sc;
    const char *run;
    corr_rules_t *rules, *rules2;
    const corr_rules_t *active;
    corr_engine_t *e;
    sbuf_t log;
    size_t step_log_start; /* offset in log where the current step began */
    corr_silence_t sil[64];
    size_t nsil;
    fpname_t fps[4096];
    size_t nfps;
    int lineno;
} runner_t;

static void fail(runner_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(runner_t *r, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s:%d [%s]: ", r->sc->path, r->lineno, r->run);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

static void fingerprint_of(const char *resource, const char *check, char *out)
{
    uint64_t h1 = 1469598103934665603ULL, h2 = 0x9e3779b97f4a7c15ULL;
    char buf[512];
    snprintf(buf, sizeof(buf), "%s|%s", resource, check);
    for (const char *p = buf; *p; p++) {
        h1 = (h1 ^ (unsigned char)*p) * 1099511628211ULL;
        h2 = (h2 ^ (unsigned char)*p) * 0x100000001b3ULL + 7;
    }
    snprintf(out, EVENT_FINGERPRINT_HEX + 1, "%016llx%016llx", (unsigned long long)h1,
             (unsigned long long)h2);
}

static const char *fp_name(runner_t *r, const char *fp)
{
    for (size_t i = 0; i < r->nfps; i++) {
        if (strcmp(r->fps[i].fp, fp) == 0) {
            return r->fps[i].name;
        }
    }
    return fp;
}

static void fp_remember(runner_t *r, const char *fp, const char *resource, const char *check)
{
    if (strcmp(fp_name(r, fp), fp) != 0 || r->nfps == 4096) {
        return;
    }
    snprintf(r->fps[r->nfps].fp, sizeof(r->fps[r->nfps].fp), "%s", fp);
    r->fps[r->nfps].name = xasprintf("%s/%s", resource, check);
    r->nfps++;
}

static void on_change(void *arg, const corr_change_t *c)
{
    runner_t *r = arg;
    sb_add(&r->log,
           "%lld %s dom=%s alert=%s inc=%lld into=%lld sym=%d rule=%s group=%s "
           "parent=%s sil=%lld win=%s clear=%s sev=%s cause=%s | %s\n",
           (long long)(c->at_us / SEC), corr_change_kind_name(c->kind), c->domain,
           c->fingerprint[0] ? fp_name(r, c->fingerprint) : "-", (long long)c->incident_id,
           (long long)c->into_incident_id, c->symptom, c->rule, c->group_key, c->parent,
           (long long)c->silence_id, c->window, corr_clear_reason_name(c->clear_reason),
           event_severity_name(c->severity),
           c->cause_fingerprint[0] ? fp_name(r, c->cause_fingerprint) : "-", c->reason);
}

/* ---- time ---- */
static int64_t base_us(void)
{
    struct tm tm = {.tm_year = 2026 - 1900, .tm_mon = 0, .tm_mday = 5}; /* a Monday */
    return (int64_t)timegm(&tm) * SEC;
}

static int parse_time(const char *s, int64_t *out)
{
    if (strchr(s, 'T') && strchr(s, '-')) {
        struct tm tm = {0};
        const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end) {
            return -1;
        }
        *out = (int64_t)timegm(&tm) * SEC;
        return 0;
    }
    int64_t t = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) {
            return -1;
        }
        int64_t mul = SEC;
        if (*end == 'h') {
            mul = 3600 * SEC;
            end++;
        } else if (*end == 'm') {
            mul = 60 * SEC;
            end++;
        } else if (*end == 's') {
            end++;
        }
        t += (int64_t)(v * (double)mul);
        p = end;
    }
    *out = base_us() + t;
    return 0;
}

/* ---- snapshot / restore ---- */
static void snap_alert(void *arg, const corr_alert_state_t *st)
{
    corr_engine_t *e2 = arg;
    if (corr_engine_restore_alert(e2, st) != 0) {
        fprintf(stderr, "restore_alert failed for %s\n", st->event->fingerprint);
        failures++;
    }
}

static void snap_incident(void *arg, const corr_incident_state_t *st)
{
    corr_engine_t *e2 = arg;
    if (corr_engine_restore_incident(e2, st) != 0) {
        fprintf(stderr, "restore_incident failed for %lld\n", (long long)st->id);
        failures++;
    }
}

static void restart(runner_t *r)
{
    corr_engine_t *e2 = corr_engine_new(r->active, corr_engine_next_incident_id(r->e));
    corr_engine_keep_history(e2, true);
    corr_engine_foreach_alert(r->e, snap_alert, e2);
    corr_engine_foreach_incident(r->e, snap_incident, e2);
    corr_engine_restore_done(e2);
    corr_engine_set_silences(e2, r->sil, r->nsil);
    corr_engine_destroy(&r->e);
    r->e = e2;
}

/* ---- dumps ---- */
static void dump_incident(void *arg, const corr_incident_state_t *st)
{
    void **a = arg;
    runner_t *r = a[0];
    sbuf_t *b = a[1];
    sb_add(b,
           "%lld %s dom=%s rule=%s group=%s sev=%s cause=%s into=%lld members=", (long long)st->id,
           corr_incident_status_name(st->status), st->domain, st->rule, st->group_key,
           event_severity_name(st->severity),
           st->cause_fingerprint[0] ? fp_name(r, st->cause_fingerprint) : "-",
           (long long)st->merged_into);
    for (size_t i = 0; i < st->nmembers; i++) {
        sb_add(b, "%s%s%s%s", i ? "," : "", st->members[i].active ? "" : "-",
               fp_name(r, st->members[i].fingerprint), st->members[i].symptom ? "*" : "");
    }
    sb_add(b, "\n");
}

static char *incidents_dump(runner_t *r)
{
    sbuf_t b = {0};
    void *a[2] = {r, &b};
    sb_add(&b, "%s", "");
    corr_engine_foreach_incident(r->e, dump_incident, a);
    return b.s;
}

/* "key=value" from a dump line, into out */
static int field_of(const char *line, const char *key, char *out, size_t len)
{
    char pat[96];
    snprintf(pat, sizeof(pat), " %s=", key);
    const char *p = strstr(line, pat);
    if (!p) {
        return -1;
    }
    p += strlen(pat);
    size_t n = strcspn(p, " \n");
    snprintf(out, len, "%.*s", (int)n, p);
    return 0;
}

static char *incident_line(runner_t *r, long long id)
{
    char *all = incidents_dump(r);
    char *res = NULL;
    for (char *l = all; l && *l;) {
        char *nl = strchr(l, '\n');
        if (atoll(l) == id) {
            res = xstrndup(l, nl ? (size_t)(nl - l) : strlen(l));
            break;
        }
        l = nl ? nl + 1 : NULL;
    }
    free(all);
    return res;
}

typedef struct {
    runner_t *r;
    const char *name;
    sbuf_t *out;
} alert_find_t;

static void find_alert(void *arg, const corr_alert_state_t *st)
{
    alert_find_t *f = arg;
    char name[600];
    snprintf(name, sizeof(name), "%s/%s", st->event->resource, st->event->check);
    if (strcmp(name, f->name) != 0) {
        return;
    }
    sb_add(f->out,
           " status=%s incident=%lld symptom=%s parent=%s rule=%s silenced=%lld "
           "window=%s flapping=%s held=%s count=%llu\n",
           st->status == CORR_ALERT_STATE_FIRING ? "firing" : "cleared", (long long)st->incident_id,
           st->symptom ? "yes" : "no", st->parent, st->rule, (long long)st->silence_id, st->window,
           st->flapping ? "yes" : "no", st->held ? "yes" : "no", (unsigned long long)st->count);
}

/* ---- expectations ---- */
static void check_kv(runner_t *r, const char *what, const char *line, char **toks, int ntok)
{
    for (int i = 0; i < ntok; i++) {
        char *eq = strchr(toks[i], '=');
        if (!eq) {
            fail(r, "bad expectation token %s", toks[i]);
            continue;
        }
        char key[60], got[2048];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - toks[i]), toks[i]);
        if (field_of(line, key, got, sizeof(got)) != 0) {
            fail(r, "%s: no field %s in: %s", what, key, line);
        } else if (strcmp(got, eq + 1) != 0) {
            fail(r, "%s: %s is %s, expected %s\n    %s", what, key, got, eq + 1, line);
        }
    }
}

static void expect(runner_t *r, char **tok, int ntok)
{
    const char *step = r->log.s ? r->log.s + r->step_log_start : "";
    if (ntok >= 2 && strcmp(tok[1], "incidents") == 0) {
        char *all = incidents_dump(r);
        int n = 0;
        for (char *p = all; p && (p = strchr(p, '\n')); p++) {
            n++;
        }
        if (n != atoi(tok[2])) {
            fail(r, "%d incidents, expected %s:\n%s", n, tok[2], all);
        }
        free(all);
    } else if (ntok >= 3 && strcmp(tok[1], "incident") == 0) {
        char *l = incident_line(r, atoll(tok[2]));
        if (!l) {
            fail(r, "no incident %s", tok[2]);
            return;
        }
        /* the status is positional in the dump: add it as status= */
        char *sp = strchr(l, ' ');
        char st[32] = "";
        if (sp) {
            snprintf(st, sizeof(st), "%.*s", (int)strcspn(sp + 1, " "), sp + 1);
        }
        char *full = xasprintf("%s status=%s", l, st);
        check_kv(r, "incident", full, tok + 3, ntok - 3);
        free(full);
        free(l);
    } else if (ntok >= 3 && strcmp(tok[1], "alert") == 0) {
        sbuf_t b = {0};
        alert_find_t f = {r, tok[2], &b};
        corr_engine_foreach_alert(r->e, find_alert, &f);
        if (!b.s) {
            fail(r, "no alert %s", tok[2]);
            return;
        }
        check_kv(r, "alert", b.s, tok + 3, ntok - 3);
        free(b.s);
    } else if (ntok >= 2 && strcmp(tok[1], "changes") == 0) {
        /* exact kinds of the previous step, in order */
        sbuf_t got = {0};
        sb_add(&got, "%s", "");
        for (const char *p = step; *p;) {
            const char *k = strchr(p, ' ') + 1;
            sb_add(&got, "%s%.*s", got.n ? " " : "", (int)strcspn(k, " "), k);
            p = strchr(p, '\n') + 1;
        }
        sbuf_t want = {0};
        sb_add(&want, "%s", "");
        for (int i = 2; i < ntok; i++) {
            sb_add(&want, "%s%s", i > 2 ? " " : "", tok[i]);
        }
        if (strcmp(got.s, want.s) != 0) {
            fail(r, "changes [%s], expected [%s]\n%s", got.s, want.s, step);
        }
        free(got.s);
        free(want.s);
    } else if (ntok >= 3 && (strcmp(tok[1], "has") == 0 || strcmp(tok[1], "not") == 0)) {
        /* expect has KIND [alert-name] [substring-of-line] */
        bool found = false;
        for (const char *p = step; *p && !found;) {
            const char *nl = strchr(p, '\n');
            char *l = xstrndup(p, (size_t)(nl - p));
            char kindpat[64], alertpat[600];
            snprintf(kindpat, sizeof(kindpat), " %s ", tok[2]);
            snprintf(alertpat, sizeof(alertpat), " alert=%s ", ntok > 3 ? tok[3] : "");
            char sub[1024] = "";
            for (int i = 4; i < ntok; i++) {
                size_t n = strlen(sub);
                snprintf(sub + n, sizeof(sub) - n, "%s%s", i > 4 ? " " : "", tok[i]);
            }
            found = strstr(l, kindpat) && (ntok <= 3 || strstr(l, alertpat)) && strstr(l, sub);
            free(l);
            p = nl + 1;
        }
        if (found != (strcmp(tok[1], "has") == 0)) {
            fail(r, "%s %s%s%s: not as expected in this step:\n%s", tok[1], tok[2],
                 ntok > 3 ? " " : "", ntok > 3 ? tok[3] : "", step);
        }
    } else if (ntok >= 2 && strcmp(tok[1], "reason") == 0) {
        /* the rest of the line must appear in some change of the step */
        char buf[1024] = "";
        for (int i = 2; i < ntok; i++) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof(buf) - n, "%s%s", i > 2 ? " " : "", tok[i]);
        }
        if (!strstr(step, buf)) {
            fail(r, "no reason containing \"%s\" in this step:\n%s", buf, step);
        }
    } else {
        fail(r, "unknown expectation");
    }
}

/* ---- steps ---- */
static int tokenize(char *s, char **tok, int max)
{
    int n = 0;
    for (char *p = strtok(s, " \t"); p && n < max; p = strtok(NULL, " \t")) {
        tok[n++] = p;
    }
    return n;
}

static event_t *make_event(runner_t *r, char **tok, int ntok, event_status_t status)
{
    if (ntok < 4) {
        fail(r, "event needs a resource and a check");
        return NULL;
    }
    event_t *ev = event_new(EVENT_FORMAT_NATIVE);
    ev->source = event_strdup(ev, "test");
    ev->resource = event_strdup(ev, tok[2]);
    ev->check = event_strdup(ev, tok[3]);
    ev->status = status;
    ev->severity = EVENT_SEVERITY_MAJOR;
    const char *fp = NULL;
    for (int i = 4; i < ntok; i++) {
        event_severity_t sev;
        char *eq = strchr(tok[i], '=');
        if (!eq && event_severity_parse(tok[i], &sev) == 0) {
            ev->severity = sev;
        } else if (eq) {
            *eq = '\0';
            if (strcmp(tok[i], "src") == 0) {
                ev->source = event_strdup(ev, eq + 1);
            } else if (strcmp(tok[i], "fp") == 0) {
                fp = eq + 1;
            } else if (strcmp(tok[i], "summary") == 0) {
                ev->summary = event_strdup(ev, eq + 1);
            } else {
                event_label_set(ev, tok[i], eq + 1);
            }
            *eq = '=';
        } else {
            fail(r, "bad event token %s", tok[i]);
        }
    }
    if (fp) {
        snprintf(ev->fingerprint, sizeof(ev->fingerprint), "%s", fp);
    } else {
        fingerprint_of(tok[2], tok[3], ev->fingerprint);
    }
    fp_remember(r, ev->fingerprint, tok[2], tok[3]);
    return ev;
}

static void run_step(runner_t *r, char *text)
{
    char *copy = xstrdup(text);
    char *tok[64];
    int ntok = tokenize(copy, tok, 64);
    if (ntok == 0) {
        free(copy);
        return;
    }
    if (strcmp(tok[0], "expect") == 0) {
        expect(r, tok, ntok);
        free(copy);
        return;
    }
    int64_t t;
    if (ntok < 2 || parse_time(tok[0], &t) != 0) {
        fail(r, "bad step (want TIME ACTION ...): %s", text);
        free(copy);
        return;
    }
    r->step_log_start = r->log.n;
    const char *act = tok[1];
    if (strcmp(act, "fire") == 0 || strcmp(act, "resolve") == 0 || strcmp(act, "ack") == 0) {
        event_status_t st = act[0] == 'f'   ? EVENT_STATUS_FIRING
                            : act[0] == 'r' ? EVENT_STATUS_RESOLVED
                                            : EVENT_STATUS_ACKNOWLEDGED;
        event_t *ev = make_event(r, tok, ntok, st);
        if (ev) {
            corr_engine_apply(r->e, ev, t, on_change, r);
            event_destroy(&ev);
        }
    } else if (strcmp(act, "advance") == 0) {
        corr_engine_advance(r->e, t, on_change, r);
    } else if (strcmp(act, "flush") == 0) {
        corr_engine_advance(r->e, t, on_change, r);
        corr_engine_flush_counts(r->e, on_change, r);
    } else if (strcmp(act, "silence") == 0 && ntok >= 5) {
        /* TIME silence ID UNTIL matcher [matcher...] (matchers without spaces) */
        corr_silence_t *s = &r->sil[r->nsil++];
        memset(s, 0, sizeof(*s));
        s->id = atoll(tok[2]);
        s->starts_us = t;
        if (parse_time(tok[3], &s->ends_us) != 0) {
            fail(r, "bad silence end %s", tok[3]);
        }
        s->creator = "ops";
        s->comment = "scenario silence";
        s->matchers = xcalloc((size_t)(ntok - 4), sizeof(corr_matcher_t));
        for (int i = 4; i < ntok; i++) {
            char why[256];
            if (corr_matcher_parse(tok[i], &s->matchers[s->nmatchers], why, sizeof(why)) != 0) {
                fail(r, "bad matcher %s: %s", tok[i], why);
            } else {
                s->nmatchers++;
            }
        }
        corr_engine_set_silences(r->e, r->sil, r->nsil);
        corr_engine_advance(r->e, t, on_change, r);
    } else if (strcmp(act, "unsilence") == 0 && ntok >= 3) {
        for (size_t i = 0; i < r->nsil; i++) {
            if (r->sil[i].id == atoll(tok[2])) {
                for (size_t j = 0; j < r->sil[i].nmatchers; j++) {
                    corr_matcher_free(&r->sil[i].matchers[j]);
                }
                free(r->sil[i].matchers);
                r->sil[i] = r->sil[--r->nsil];
                break;
            }
        }
        corr_engine_set_silences(r->e, r->sil, r->nsil);
        corr_engine_advance(r->e, t, on_change, r);
    } else if (strcmp(act, "reload") == 0) {
        if (!r->rules2) {
            fail(r, "reload without rules2:");
        } else {
            corr_engine_advance(r->e, t, on_change, r);
            r->active = r->rules2;
            corr_engine_set_rules(r->e, r->active);
        }
    } else if (strcmp(act, "restart") == 0) {
        corr_engine_advance(r->e, t, on_change, r);
        if (strcmp(r->run, "straight") != 0 && strcmp(r->run, "again") != 0) {
            restart(r);
        }
    } else {
        fail(r, "unknown action %s", act);
    }
    free(copy);
}

/* Runs the scenario; restart_at >= 0 snapshots before that step index.
 * Returns the log and, in *final, the incident dump. *split_off is the log
 * offset at the restart. */
static char *run(const scenario_t *sc, const char *name, long restart_at, char **final,
                 size_t *split_off)
{
    runner_t *r = xcalloc(1, sizeof(*r));
    r->sc = sc;
    r->run = name;
    char err[512];
    if (corr_rules_parse(sc->rules_text, strlen(sc->rules_text), sc->path, &r->rules, err,
                         sizeof(err)) != 0) {
        fail(r, "rules: %s", err);
        free(r);
        *final = xstrdup("");
        return xstrdup("");
    }
    if (sc->rules2_text && corr_rules_parse(sc->rules2_text, strlen(sc->rules2_text), sc->path,
                                            &r->rules2, err, sizeof(err)) != 0) {
        fail(r, "rules2: %s", err);
    }
    r->active = r->rules;
    r->e = corr_engine_new(r->active, 1);
    corr_engine_keep_history(r->e, true);
    sb_add(&r->log, "%s", "");
    for (size_t i = 0; i < sc->nsteps; i++) {
        if ((long)i == restart_at) {
            *split_off = r->log.n;
            if (strcmp(name, "restarted") == 0) {
                restart(r);
            }
        }
        r->lineno = sc->steps[i].lineno;
        run_step(r, sc->steps[i].text);
    }
    *final = incidents_dump(r);
    char *log = r->log.s;
    corr_engine_destroy(&r->e);
    corr_rules_destroy(&r->rules);
    corr_rules_destroy(&r->rules2);
    for (size_t i = 0; i < r->nsil; i++) {
        for (size_t j = 0; j < r->sil[i].nmatchers; j++) {
            corr_matcher_free(&r->sil[i].matchers[j]);
        }
        free(r->sil[i].matchers);
    }
    for (size_t i = 0; i < r->nfps; i++) {
        free(r->fps[i].name);
    }
    free(r);
    return log;
}

static int load(const char *path, scenario_t *sc)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    memset(sc, 0, sizeof(*sc));
    sc->path = path;
    char line[4096];
    int lineno = 0;
    sbuf_t *block = NULL;
    sbuf_t r1 = {0}, r2 = {0};
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (block && (line[0] == ' ' || line[0] == '\n')) {
            sb_add(block, "%s", line[0] == '\n' ? "\n" : line + 2);
            continue;
        }
        block = NULL;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        if (strcmp(line, "rules:") == 0) {
            block = &r1;
            sb_add(block, "%s", "");
            continue;
        }
        if (strcmp(line, "rules2:") == 0) {
            block = &r2;
            sb_add(block, "%s", "");
            continue;
        }
        if (sc->nsteps < MAXLINES) {
            sc->steps[sc->nsteps].lineno = lineno;
            sc->steps[sc->nsteps].text = xstrdup(line);
            sc->nsteps++;
        }
    }
    fclose(f);
    sc->rules_text = r1.s ? r1.s : xstrdup("");
    sc->rules2_text = r2.s;
    return 0;
}

static void scenario_free(scenario_t *sc)
{
    for (size_t i = 0; i < sc->nsteps; i++) {
        free(sc->steps[i].text);
    }
    free(sc->rules_text);
    free(sc->rules2_text);
}

static void strip_counts(char *log)
{
    char *w = log;
    for (char *p = log; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!strstr(p, " alert_counts ") || strstr(p, " alert_counts ") > p + n) {
            memmove(w, p, n);
            w += n;
        }
        p += n;
    }
    *w = '\0';
}

static void run_file(const char *path)
{
    scenario_t *sc = xmalloc(sizeof(*sc));
    if (load(path, sc) != 0) {
        failures++;
        free(sc);
        return;
    }
    int before = failures;
    char *f1, *f2, *f3;
    size_t off1 = 0, off3 = 0, dummy = 0;
    /* restart half way through the timed steps */
    long timed[MAXLINES];
    size_t ntimed = 0;
    for (size_t i = 0; i < sc->nsteps; i++) {
        if (strncmp(sc->steps[i].text, "expect", 6) != 0) {
            timed[ntimed++] = (long)i;
        }
    }
    long mid = ntimed ? timed[ntimed / 2] : 0;
    char *l1 = run(sc, "straight", mid, &f1, &off1);
    char *l2 = run(sc, "again", -1, &f2, &dummy);
    if (strcmp(l1, l2) != 0 || strcmp(f1, f2) != 0) {
        fprintf(stderr, "FAIL %s: two runs of the same events differ (determinism)\n", path);
        failures++;
    }
    char *l3 = run(sc, "restarted", mid, &f3, &off3);
    /* counts are not part of the comparison: a daemon stores them at each
     * flush and re-reads later events from the stream after a kill -9 */
    strip_counts(l1 + off1);
    strip_counts(l3 + off3);
    if (strcmp(l1 + off1, l3 + off3) != 0 || strcmp(f1, f3) != 0) {
        fprintf(stderr,
                "FAIL %s: restart at step %ld differs from the uninterrupted run\n"
                "--- straight (after the split):\n%s--- restarted:\n%s--- incidents straight:\n"
                "%s--- incidents restarted:\n%s",
                path, mid, l1 + off1, l3 + off3, f1, f3);
        failures++;
    }
    if (getenv("SCENARIO_VERBOSE")) {
        fprintf(stderr, "=== %s\n%s--- incidents:\n%s", path, l1, f1);
    }
    printf("%s %s\n", failures == before ? "ok  " : "FAIL", strrchr(path, '/') + 1);
    free(l1);
    free(l2);
    free(l3);
    free(f1);
    free(f2);
    free(f3);
    scenario_free(sc);
    free(sc);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            run_file(argv[i]);
        }
    } else {
        const char *dir = FIXTURES_DIR "/correlator/scenarios";
        DIR *d = opendir(dir);
        if (!d) {
            perror(dir);
            return 1;
        }
        char *names[512];
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < 512) {
            size_t len = strlen(de->d_name);
            if (len > 4 && strcmp(de->d_name + len - 4, ".scn") == 0) {
                names[n++] = xasprintf("%s/%s", dir, de->d_name);
            }
        }
        closedir(d);
        qsort(names, n, sizeof(*names), name_cmp);
        if (n == 0) {
            fprintf(stderr, "no scenarios in %s\n", dir);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            run_file(names[i]);
            free(names[i]);
        }
    }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    return 0;
}
