/*
 * test_corr_rules - table-driven tests of the rule file: the shared example
 * (tests/fixtures/correlator/rules-example.yml) parses with the expected
 * values, every error case gives its exact "name:line: key: reason", matchers
 * over events (each operator, labels vs fields, absent values), topology
 * look-up and cycles, per-source resolve timeouts, and maintenance windows at
 * chosen instants: across midnight and on the Europe/Amsterdam DST nights of
 * 2026 (a Sunday 02:00-04:00 window lasts 1 real hour on 03-29, 3 on 10-25).
 *
 * Does not test: the engine's use of these (corr_engine's own tests do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr_rules.h"
#include "event.h"
#include "tz.h"
#include "unit_check.h"

#define EXAMPLE FIXTURES_DIR "/correlator/rules-example.yml"
#define MIN_US  (60 * INT64_C(1000000))

static int64_t utc_us(int y, int mo, int d, int h, int mi, int s)
{
    return (tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * INT64_C(1000000);
}

static corr_rules_t *parse_ok(const char *text)
{
    char err[512] = "";
    corr_rules_t *r = NULL;
    if (corr_rules_parse(text, strlen(text), "rules.yml", &r, err, sizeof err) != 0) {
        printf("FAIL parse: %s\n--\n%s--\n", err, text);
        failures++;
        return NULL;
    }
    return r;
}

/* An event: "source|resource|check" plus labels "k=v;k=v". */
static event_t *make_event(const char *source, const char *resource, const char *check,
                           const char *labels)
{
    event_t *ev = event_new(EVENT_FORMAT_NATIVE);
    ev->source = source ? event_strdup(ev, source) : NULL;
    ev->resource = resource ? event_strdup(ev, resource) : NULL;
    ev->check = check ? event_strdup(ev, check) : NULL;
    ev->severity = EVENT_SEVERITY_MAJOR;
    ev->status = EVENT_STATUS_FIRING;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", labels ? labels : "");
    for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            abort(); /* a broken table */
        }
        *eq = '\0';
        event_label_set(ev, kv, eq + 1);
    }
    return ev;
}

/* ---- The example file --------------------------------------------------------- */

static void test_example(void)
{
    char err[512] = "";
    corr_rules_t *r = NULL;
    int rc = corr_rules_load(EXAMPLE, &r, err, sizeof err);
    CHECK(rc == 0 && r, "example: %s", err);
    if (!r) {
        return;
    }
    CHECK(strcmp(r->path, EXAMPLE) == 0, "path %s", r->path);
    CHECK(strcmp(r->domain_key, "site") == 0, "domain_key %s", r->domain_key);
    CHECK(r->unmatched == CORR_UNMATCHED_PER_FINGERPRINT, "unmatched");
    CHECK(r->resolve_timeout_us == 0, "resolve_timeout");
    CHECK(r->flap_changes == 4 && r->flap_window_us == 10 * MIN_US &&
              r->flap_settle_us == 15 * MIN_US,
          "flapping %u %lld %lld", r->flap_changes, (long long)r->flap_window_us,
          (long long)r->flap_settle_us);
    CHECK(r->nsource_timeouts == 2, "sources %zu", r->nsource_timeouts);
    CHECK(corr_resolve_timeout(r, "zabbix") == 0, "zabbix timeout");
    CHECK(corr_resolve_timeout(r, "script") == 30 * MIN_US, "script timeout");
    CHECK(corr_resolve_timeout(r, "nagios") == 0, "default timeout");
    CHECK(corr_resolve_timeout(r, NULL) == 0, "NULL source");

    CHECK(r->nrules == 1, "nrules %zu", r->nrules);
    const corr_rule_t *rule = &r->rules[0];
    CHECK(strcmp(rule->name, "core-links") == 0 && rule->line == 13, "rule %s line %d", rule->name,
          rule->line);
    CHECK(rule->nmatchers == 2, "nmatchers %zu", rule->nmatchers);
    if (rule->nmatchers == 2) {
        const corr_matcher_t *m = rule->matchers;
        CHECK(strcmp(m[0].field, "check") == 0 && m[0].label == NULL && m[0].op == CORR_OP_RE &&
                  strcmp(m[0].value, "Link(Down|Flap)") == 0 && m[0].line == 15 &&
                  m[0].fid == CORR_FIELD_CHECK,
              "matcher 0");
        CHECK(strcmp(m[1].field, "labels.site") == 0 && strcmp(m[1].label, "site") == 0 &&
                  m[1].op == CORR_OP_NE && strcmp(m[1].value, "lab") == 0 && m[1].line == 16 &&
                  m[1].fid == CORR_FIELD_LABEL,
              "matcher 1");
    }
    CHECK(rule->ngroup_by == 2, "ngroup_by %zu", rule->ngroup_by);
    if (rule->ngroup_by == 2) {
        CHECK(strcmp(rule->group_by[0], "site") == 0 &&
                  strcmp(rule->group_by_label[0], "site") == 0,
              "group_by site");
        CHECK(strcmp(rule->group_by[1], "check") == 0 && rule->group_by_label[1] == NULL,
              "group_by check");
    }
    CHECK(rule->join_window_us == 5 * MIN_US && rule->hold_down_us == 2 * MIN_US &&
              rule->reopen_window_us == 30 * MIN_US && rule->min_alerts == 1,
          "rule timings");

    CHECK(strcmp(r->parent_label, "parent") == 0, "parent_label");
    CHECK(r->topology_window_us == 2 * MIN_US, "topology window");
    CHECK(r->parent_recovery == CORR_PARENT_RECOVERY_PROMOTE, "promote");
    CHECK(r->ntopology == 2, "ntopology");
    const corr_topology_node_t *n = corr_topology_find(r, "host-a");
    CHECK(n && n->nparents == 1 && strcmp(n->parents[0], "core-sw1") == 0 && n->line == 28,
          "host-a");
    n = corr_topology_find(r, "core-sw1");
    CHECK(n && n->nparents == 1 && strcmp(n->parents[0], "rtr1") == 0 && n->line == 27, "core-sw1");
    CHECK(corr_topology_find(r, "rtr1") == NULL, "rtr1 is a root without a node");
    CHECK(corr_topology_find(r, NULL) == NULL, "NULL resource");

    CHECK(r->nmaintenance == 1, "nmaintenance");
    const corr_maintenance_t *w = &r->maintenance[0];
    CHECK(strcmp(w->name, "weekly-fw-upgrades") == 0 && w->line == 30, "window name");
    CHECK(w->nmatchers == 1 && strcmp(w->matchers[0].label, "site") == 0 &&
              w->matchers[0].op == CORR_OP_EQ && strcmp(w->matchers[0].value, "ams1") == 0,
          "window matcher");
    CHECK(w->days == ((1u << 1) | (1u << 3)), "days %#x", w->days);
    CHECK(w->start_minute == 120 && w->duration_minutes == 120, "start/duration");
    CHECK(strcmp(w->time_zone, "Europe/Amsterdam") == 0 && w->tz, "time zone");
    CHECK(strcmp(w->comment, "planned firmware window") == 0, "comment");
    corr_rules_destroy(&r);
    CHECK(r == NULL, "destroy nulls the pointer");
    corr_rules_destroy(&r);
    corr_rules_destroy(NULL);
}

/* ---- Defaults ---------------------------------------------------------------------- */

static void check_defaults(const corr_rules_t *r, const char *what)
{
    CHECK(strcmp(r->domain_key, "") == 0, "%s: domain_key", what);
    CHECK(r->unmatched == CORR_UNMATCHED_PER_FINGERPRINT, "%s: unmatched", what);
    CHECK(strcmp(r->parent_label, "") == 0, "%s: parent_label", what);
    CHECK(r->topology_window_us == 2 * MIN_US, "%s: topology window", what);
    CHECK(r->parent_recovery == CORR_PARENT_RECOVERY_PROMOTE, "%s: recovery", what);
    CHECK(r->flap_changes == 4 && r->flap_window_us == 10 * MIN_US &&
              r->flap_settle_us == 15 * MIN_US,
          "%s: flapping", what);
    CHECK(r->resolve_timeout_us == 0, "%s: resolve timeout", what);
    CHECK(r->nrules == 0 && r->ntopology == 0 && r->nmaintenance == 0 && r->nsource_timeouts == 0,
          "%s: empty lists", what);
}

static void test_defaults(void)
{
    corr_rules_t *r = corr_rules_default();
    check_defaults(r, "corr_rules_default");
    corr_rules_destroy(&r);
    const char *empties[] = {"", "# only a comment\n", "---\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        r = parse_ok(empties[i]);
        if (r) {
            check_defaults(r, "empty file");
            CHECK(strcmp(r->path, "rules.yml") == 0, "path");
            corr_rules_destroy(&r);
        }
    }
    /* A rule with a name only: every default, matches everything. */
    r = parse_ok("rules:\n  - name: all\n");
    if (r) {
        const corr_rule_t *rule = &r->rules[0];
        CHECK(rule->nmatchers == 0 && rule->ngroup_by == 0, "bare rule lists");
        CHECK(rule->join_window_us == 5 * MIN_US && rule->hold_down_us == 2 * MIN_US &&
                  rule->reopen_window_us == 30 * MIN_US && rule->min_alerts == 1,
              "bare rule timings");
        corr_rules_destroy(&r);
    }
    /* defaults: sets what rules omit, wherever it is written in the file. */
    r = parse_ok("rules:\n"
                 "  - name: a\n"
                 "  - {name: b, join_window: 1m, min_alerts: 3}\n"
                 "defaults:\n"
                 "  join_window: 10m\n"
                 "  hold_down: 0\n"
                 "  reopen_window: 1h\n"
                 "  min_alerts: 2\n"
                 "  resolve_timeout: 1d\n"
                 "unmatched: none\n"
                 "topology: {on_parent_recovery: split, window: 30s}\n");
    if (r) {
        CHECK(r->rules[0].join_window_us == 10 * MIN_US && r->rules[0].hold_down_us == 0 &&
                  r->rules[0].reopen_window_us == 60 * MIN_US && r->rules[0].min_alerts == 2,
              "inherited defaults");
        CHECK(r->rules[1].join_window_us == MIN_US && r->rules[1].min_alerts == 3 &&
                  r->rules[1].hold_down_us == 0,
              "own values win");
        CHECK(corr_resolve_timeout(r, "any") == 1440 * MIN_US, "default resolve timeout");
        CHECK(r->unmatched == CORR_UNMATCHED_NONE, "unmatched none");
        CHECK(r->parent_recovery == CORR_PARENT_RECOVERY_SPLIT, "split");
        CHECK(r->topology_window_us == 30 * INT64_C(1000000), "window 30s");
        corr_rules_destroy(&r);
    }
    /* Map-form matchers, quoting, and a single parent written as a scalar. */
    r = parse_ok("unmatched: per_resource\n"
                 "rules:\n"
                 "  - name: m\n"
                 "    match:\n"
                 "      - {field: severity, op: \"=\", value: critical}\n"
                 "      - {field: labels.team, value: \"\"}\n"
                 "      - \"summary = 'it''s down'\"\n"
                 "      - 'check=~\"a\\\"b\"'\n"
                 "topology:\n"
                 "  nodes:\n"
                 "    - {resource: h1, parents: sw1}\n"
                 "    - {resource: sw1}\n");
    if (r) {
        const corr_matcher_t *m = r->rules[0].matchers;
        CHECK(r->unmatched == CORR_UNMATCHED_PER_RESOURCE, "per_resource");
        CHECK(r->rules[0].nmatchers == 4, "map matchers");
        CHECK(m[0].fid == CORR_FIELD_SEVERITY && strcmp(m[0].value, "critical") == 0, "severity");
        CHECK(m[1].op == CORR_OP_EQ && strcmp(m[1].value, "") == 0 &&
                  strcmp(m[1].label, "team") == 0,
              "empty value");
        CHECK(strcmp(m[2].value, "it's down") == 0, "single quotes: [%s]", m[2].value);
        CHECK(m[3].op == CORR_OP_RE && strcmp(m[3].value, "a\"b") == 0, "escaped quote: [%s]",
              m[3].value);
        const corr_topology_node_t *n = corr_topology_find(r, "h1");
        CHECK(n && n->nparents == 1 && strcmp(n->parents[0], "sw1") == 0, "scalar parent");
        n = corr_topology_find(r, "sw1");
        CHECK(n && n->nparents == 0, "node without parents");
        corr_rules_destroy(&r);
    }
}

/* ---- Errors -------------------------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *err;
} error_case_t;

static void test_errors(void)
{
    const error_case_t cases[] = {
        /* Unknown keys, everywhere, with a suggestion when one is near. */
        {"domian_key: site\n",
         "rules.yml:1: domian_key: unknown key (did you mean \"domain_key\"?)"},
        {"colours: red\n", "rules.yml:1: colours: unknown key"},
        {"rules:\n  - name: a\n    mtch: [\"check = x\"]\n",
         "rules.yml:3: mtch: unknown key (did you mean \"match\"?)"},
        {"defaults:\n  flapping: {changes: 4, windw: 10m}\n",
         "rules.yml:2: windw: unknown key (did you mean \"window\"?)"},
        {"topology:\n  nodes:\n    - {resource: a, parent: [b]}\n",
         "rules.yml:3: parent: unknown key (did you mean \"parents\"?)"},
        {"maintenance:\n  - name: w\n    match: []\n    start: \"01:00\"\n    duration: 1h\n"
         "    timezone: UTC\n",
         "rules.yml:6: timezone: unknown key (did you mean \"time_zone\"?)"},
        {"rules:\n  - name: a\n    match:\n      - {field: check, opp: \"=\", value: x}\n",
         "rules.yml:4: opp: unknown key (did you mean \"op\"?)"},
        /* Shapes. */
        {"rules:\n  name: a\n", "rules.yml:2: rules: expected a sequence, got a mapping"},
        {"- a\n", "rules.yml:1: (top level): expected a mapping, got a sequence"},
        {"rules:\n  - just-a-name\n", "rules.yml:2: rules: expected a mapping, got a scalar"},
        {"domain_key: [a]\n", "rules.yml:1: domain_key: expected a scalar, got a sequence"},
        /* YAML itself (common/config.c). */
        {"rules: []\nrules: []\n", "rules.yml:2: rules: duplicate key (first at line 1)"},
        /* group_by fields. */
        {"rules:\n  - name: a\n    group_by: [site, sevrity]\n",
         "rules.yml:3: group_by: unknown field \"sevrity\" (did you mean \"severity\"? write "
         "labels.sevrity for a label)"},
        {"rules:\n  - name: a\n    group_by: [label.site]\n",
         "rules.yml:3: group_by: unknown field \"label.site\" (did you mean \"labels.site\"?)"},
        {"rules:\n  - name: a\n    group_by: [description]\n",
         "rules.yml:3: group_by: field \"description\" cannot be used in rules (write "
         "labels.description for a label)"},
        {"rules:\n  - name: a\n    group_by: [site, labels.site]\n",
         "rules.yml:3: group_by: \"labels.site\" is listed twice"},
        {"rules:\n  - name: a\n    group_by: [\"labels.\"]\n",
         "rules.yml:3: group_by: bad field \"labels.\" (a field, or labels.<name> with letters, "
         "digits and _-.:/)"},
        {"rules:\n  - name: a\n    group_by: site\n",
         "rules.yml:3: group_by: expected a sequence, got a scalar"},
        /* Matchers. */
        {"rules:\n  - name: a\n    match:\n      - check =~ \"Link(Down\"\n",
         "rules.yml:4: match: bad regex \"Link(Down\": Unmatched ( or \\("},
        {"rules:\n  - name: a\n    match:\n      - 'check =~ \"a)|(b\"'\n",
         "rules.yml:4: match: bad regex \"a)|(b\": Unmatched ( or \\("},
        {"rules:\n  - name: a\n    match:\n      - 'check =~ \"a)|(b)\"'\n",
         "rules.yml:4: match: bad regex \"a)|(b)\": unbalanced ( ) (write \\( or \\) for a "
         "literal one)"},
        {"rules:\n  - name: a\n    match:\n      - check Link\n",
         "rules.yml:4: match: \"check Link\" is not \"field op value\" (op one of =, !=, =~, !~)"},
        {"rules:\n  - name: a\n    match:\n      - check == Link\n",
         "rules.yml:4: match: \"check == Link\": use = to compare (not ==)"},
        {"rules:\n  - name: a\n    match:\n      - \"check =\"\n",
         "rules.yml:4: match: \"check =\": missing value after = (write \"\" for empty)"},
        {"rules:\n  - name: a\n    match:\n      - \"= x\"\n",
         "rules.yml:4: match: \"= x\": missing field before ="},
        {"rules:\n  - name: a\n    match:\n      - 'check = \"x'\n",
         "rules.yml:4: match: \"check = \"x\": unterminated quote"},
        {"rules:\n  - name: a\n    match:\n      - 'check = \"x\" y'\n",
         "rules.yml:4: match: \"check = \"x\" y\": text after the quoted value"},
        {"rules:\n  - name: a\n    match:\n      - {field: check, op: \"<\", value: x}\n",
         "rules.yml:4: match: unknown operator \"<\" (use =, !=, =~ or !~)"},
        {"rules:\n  - name: a\n    match:\n      - {field: check}\n",
         "rules.yml:4: match: a matcher map needs value: (write \"\" for empty)"},
        {"rules:\n  - name: a\n    match:\n      - chek = x\n",
         "rules.yml:4: match: unknown field \"chek\" (did you mean \"check\"? write labels.chek "
         "for a label)"},
        {"rules:\n  - name: a\n    match:\n      - [a]\n",
         "rules.yml:4: match: expected \"field op value\" or {field, op, value}, got a sequence"},
        /* Rules. */
        {"rules:\n  - name: a\n  - name: b\n  - name: a\n",
         "rules.yml:4: name: duplicate rule name \"a\" (first at line 2)"},
        {"rules:\n  - match: []\n", "rules.yml:2: rules: every rule needs a name:"},
        {"rules:\n  - name: \"\"\n", "rules.yml:2: name: must not be empty"},
        {"rules:\n  - name: a\n    join_window: 5 minutes\n",
         "rules.yml:3: join_window: \"5 minutes\" is not a duration (use e.g. 1500us, 250ms, 5s, "
         "2m, 1h, 1d)"},
        {"rules:\n  - name: a\n    hold_down: 300\n",
         "rules.yml:3: hold_down: \"300\" needs a unit (e.g. 300s or 300m)"},
        {"rules:\n  - name: a\n    reopen_window: 400d\n",
         "rules.yml:3: reopen_window: 400d is out of range (0s to 365d)"},
        {"rules:\n  - name: a\n    min_alerts: 0\n",
         "rules.yml:3: min_alerts: 0 is out of range (1 to 1000000)"},
        {"rules:\n  - name: a\n    min_alerts: many\n",
         "rules.yml:3: min_alerts: \"many\" is not an integer"},
        /* Top level and defaults. */
        {"domain_key: labels.site\n",
         "rules.yml:1: domain_key: write the label name alone (\"site\", not \"labels.site\")"},
        {"topology:\n  parent_label: \"up link\"\n",
         "rules.yml:2: parent_label: \"up link\" is not a label name (letters, digits and _-.:/)"},
        {"unmatched: per_host\n",
         "rules.yml:1: unmatched: \"per_host\" is not one of per_fingerprint, per_resource, none"},
        {"defaults:\n  flapping: {changes: 1}\n",
         "rules.yml:2: changes: 1 is out of range (2 to 1000)"},
        {"defaults:\n  flapping: {window: 0}\n",
         "rules.yml:2: window: 0 is out of range (1s to 365d)"},
        {"sources:\n  - {name: zabbix, resolve_timeout: 0}\n  - {name: zabbix, resolve_timeout: "
         "1h}\n",
         "rules.yml:3: name: duplicate source \"zabbix\" (first at line 2)"},
        {"sources:\n  - {name: zabbix}\n",
         "rules.yml:2: sources: each source needs name: and resolve_timeout:"},
        /* Topology. */
        {"topology:\n  on_parent_recovery: merge\n",
         "rules.yml:2: on_parent_recovery: \"merge\" is not one of promote, split"},
        {"topology:\n  nodes:\n    - {resource: sw1, parents: [rtr1]}\n    - {resource: h1, "
         "parents: [sw1]}\n    - {resource: sw1, parents: [rtr2]}\n",
         "rules.yml:5: resource: duplicate topology node \"sw1\" (first at line 3)"},
        {"topology:\n  nodes:\n    - {resource: sw1, parents: [rtr1, sw1]}\n",
         "rules.yml:3: parents: \"sw1\" is its own parent"},
        {"topology:\n  nodes:\n    - {resource: sw1, parents: [rtr1, rtr1]}\n",
         "rules.yml:3: parents: \"rtr1\" is listed twice"},
        {"topology:\n  nodes:\n    - {parents: [rtr1]}\n",
         "rules.yml:3: nodes: every node needs a resource:"},
        {"topology:\n"
         "  nodes:\n"
         "    - {resource: a, parents: [b]}\n"
         "    - {resource: b, parents: [x, c]}\n"
         "    - {resource: c, parents: [a]}\n"
         "    - {resource: d, parents: [a]}\n",
         "rules.yml:5: parents: topology cycle: a -> b -> c -> a"},
        {"topology:\n"
         "  nodes:\n"
         "    - {resource: host-9, parents: [sw-2]}\n"
         "    - {resource: sw-2, parents: [rtr-1, sw-3]}\n"
         "    - {resource: sw-3, parents: [sw-2]}\n",
         "rules.yml:5: parents: topology cycle: sw-2 -> sw-3 -> sw-2"},
        /* Maintenance. */
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 1h, days: [tues]}\n",
         "rules.yml:2: days: unknown day \"tues\" (use mon, tue, wed, thu, fri, sat, sun)"},
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 1h, days: []}\n",
         "rules.yml:2: days: empty (omit days: for every day)"},
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 1h, days: [mon, "
         "Monday]}\n",
         "rules.yml:2: days: \"Monday\" is listed twice"},
        {"maintenance:\n  - name: w\n    match: []\n    start: \"02:00\"\n    duration: 1h\n"
         "    time_zone: Mars/Olympus_Mons\n",
         "rules.yml:6: time_zone: unknown time zone \"Mars/Olympus_Mons\""},
        {"maintenance:\n  - {name: w, match: [], start: \"25:00\", duration: 1h}\n",
         "rules.yml:2: start: \"25:00\" is not a time of day (HH:MM, 00:00 to 23:59)"},
        {"maintenance:\n  - {name: w, match: [], start: \"2:00\", duration: 1h}\n",
         "rules.yml:2: start: \"2:00\" is not a time of day (HH:MM, 00:00 to 23:59)"},
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 90s}\n",
         "rules.yml:2: duration: \"90s\" is not a whole number of minutes"},
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 8d}\n",
         "rules.yml:2: duration: 8d is out of range (1m to 7d)"},
        {"maintenance:\n  - {name: w, start: \"02:00\", duration: 1h}\n",
         "rules.yml:2: maintenance: every window needs name:, match:, start: and duration: "
         "(match: is missing)"},
        {"maintenance:\n  - {name: w, match: [], start: \"02:00\", duration: 1h}\n"
         "  - {name: w, match: [], start: \"03:00\", duration: 1h}\n",
         "rules.yml:3: name: duplicate maintenance window \"w\" (first at line 2)"},
        {"maintenance:\n  - {name: w, match: [\"site ~ x\"], start: \"02:00\", duration: 1h}\n",
         "rules.yml:2: match: \"site ~ x\" is not \"field op value\" (op one of =, !=, =~, !~)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[768] = "";
        corr_rules_t *r = (corr_rules_t *)1;
        int rc = corr_rules_parse(cases[i].text, strlen(cases[i].text), "rules.yml", &r, err,
                                  sizeof err);
        CHECK(rc == -1 && r == NULL, "case %zu: accepted:\n%s", i, cases[i].text);
        CHECK(strcmp(err, cases[i].err) == 0, "case %zu:\n  got  %s\n  want %s", i, err,
              cases[i].err);
        if (rc == 0) {
            corr_rules_destroy(&r);
        }
    }
    /* A missing file names itself. */
    char err[512] = "";
    corr_rules_t *r = NULL;
    CHECK(corr_rules_load("/nonexistent/rules.yml", &r, err, sizeof err) == -1 && r == NULL,
          "missing file loaded");
    CHECK(strcmp(err, "/nonexistent/rules.yml: cannot open: No such file or directory") == 0,
          "missing file: %s", err);
}

/* ---- Matchers --------------------------------------------------------------------------- */

typedef struct {
    const char *matcher;
    int which; /* 0: full event, 1: sparse event (no summary, severity, labels) */
    bool want;
} match_case_t;

static void test_matchers(void)
{
    event_t *evs[2];
    evs[0] = make_event("zabbix", "core-sw1", "LinkDown", "site=ams1;team=noc;role=core");
    evs[0]->summary = event_strdup(evs[0], "Link down on ge-0/0/1");
    evs[1] = make_event("script", "host-a", "Ping", NULL);
    evs[1]->severity = EVENT_SEVERITY_NONE;
    evs[1]->status = EVENT_STATUS_NONE;

    const match_case_t cases[] = {
        /* Each operator on a field; regexes are anchored. */
        {"check = LinkDown", 0, true},
        {"check = linkdown", 0, false},
        {"check != LinkDown", 0, false},
        {"check != LinkUp", 0, true},
        {"check =~ \"Link(Down|Flap)\"", 0, true},
        {"check =~ Link", 0, false},
        {"check =~ Down", 0, false},
        {"check =~ Link.*", 0, true},
        {"check !~ Link.*", 0, false},
        {"check !~ Ping", 0, true},
        /* Parentheses inside brackets or escaped are no groups. */
        {"check =~ \"[[:alpha:])(]+\"", 0, true},
        {"check =~ \"LinkDown\\\\)?\"", 0, true},
        {"resource =~ core-.*", 0, true},
        {"source=zabbix", 0, true},
        {"severity = major", 0, true},
        {"severity =~ major|critical", 0, true},
        {"status = firing", 0, true},
        {"summary = 'Link down on ge-0/0/1'", 0, true},
        {"summary =~ \".*ge-0/0/1\"", 0, true},
        /* Labels: explicit and bare. */
        {"labels.site = ams1", 0, true},
        {"site = ams1", 0, true},
        {"site != ams1", 0, false},
        {"labels.role =~ core|edge", 0, true},
        {"team !~ noc", 0, false},
        /* Absent values: = and != compare with "", =~ never matches, !~ always does. */
        {"labels.site != lab", 1, true},
        {"labels.site = lab", 1, false},
        {"labels.site = \"\"", 1, true},
        {"labels.site != \"\"", 1, false},
        {"labels.site =~ \".*\"", 1, false},
        {"labels.site !~ ams1", 1, true},
        {"labels.site !~ \".*\"", 1, true},
        {"summary = \"\"", 1, true},
        {"summary =~ \".*\"", 1, false},
        {"severity = \"\"", 1, true},
        {"severity =~ \".*\"", 1, false},
        {"status != firing", 1, true},
        /* Present but empty is not absent for =~. */
        {"summary =~ \".*\"", 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        corr_matcher_t m;
        char why[256] = "";
        if (corr_matcher_parse(cases[i].matcher, &m, why, sizeof why) != 0) {
            CHECK(0, "%s: %s", cases[i].matcher, why);
            continue;
        }
        bool got = corr_matchers_match(&m, 1, evs[cases[i].which]);
        CHECK(got == cases[i].want, "%s on event %d: %d, want %d", cases[i].matcher, cases[i].which,
              got, cases[i].want);
        /* The same matcher built by hand (fid UNSET) must agree. */
        corr_matcher_t hand = m;
        hand.fid = CORR_FIELD_UNSET;
        CHECK(corr_matchers_match(&hand, 1, evs[cases[i].which]) == got, "%s: fid UNSET differs",
              cases[i].matcher);
        corr_matcher_free(&m);
        CHECK(m.field == NULL && m.value == NULL, "free zeroes");
    }
    /* All must match; none always matches. */
    corr_matcher_t two[2];
    char why[256];
    CHECK(corr_matcher_parse("check = LinkDown", &two[0], why, sizeof why) == 0, "two[0]");
    CHECK(corr_matcher_parse("site = lab", &two[1], why, sizeof why) == 0, "two[1]");
    CHECK(!corr_matchers_match(two, 2, evs[0]), "AND of matchers");
    CHECK(corr_matchers_match(two, 1, evs[0]), "first alone");
    CHECK(corr_matchers_match(NULL, 0, evs[0]), "no matchers match everything");
    corr_matcher_free(&two[0]);
    corr_matcher_free(&two[1]);
    corr_matcher_free(NULL);

    /* corr_field_value: "" when absent; labels by name or reference. */
    CHECK(strcmp(corr_field_value(evs[0], "site", "site"), "ams1") == 0, "label with name");
    CHECK(strcmp(corr_field_value(evs[0], "site", NULL), "ams1") == 0, "bare label");
    CHECK(strcmp(corr_field_value(evs[0], "labels.team", NULL), "noc") == 0, "labels.team");
    CHECK(strcmp(corr_field_value(evs[0], "check", NULL), "LinkDown") == 0, "check");
    CHECK(strcmp(corr_field_value(evs[0], "severity", NULL), "major") == 0, "severity");
    CHECK(strcmp(corr_field_value(evs[1], "site", NULL), "") == 0, "absent label");
    CHECK(strcmp(corr_field_value(evs[1], "summary", NULL), "") == 0, "absent summary");
    CHECK(strcmp(corr_field_value(evs[1], "severity", NULL), "") == 0, "no severity");

    /* corr_field_parse, as group_by uses it. */
    corr_field_t fid;
    const char *label;
    CHECK(corr_field_parse("state", &fid, &label, why, sizeof why) == -1,
          "state is two edits from status");
    CHECK(corr_field_parse("labels.state", &fid, &label, why, sizeof why) == 0 &&
              fid == CORR_FIELD_LABEL && strcmp(label, "state") == 0,
          "labels.state");
    CHECK(corr_field_parse("app.kubernetes.io/name", &fid, &label, why, sizeof why) == -1,
          "a bare dotted name is refused");
    CHECK(corr_field_parse("labels.app.kubernetes.io/name", &fid, &label, why, sizeof why) == 0 &&
              strcmp(label, "app.kubernetes.io/name") == 0,
          "labels.<dotted>");
    CHECK(corr_field_parse("customer", &fid, &label, why, sizeof why) == 0 &&
              fid == CORR_FIELD_LABEL && strcmp(label, "customer") == 0,
          "bare label");
    CHECK(strcmp(corr_op_name(CORR_OP_NRE), "!~") == 0, "op name");
    event_destroy(&evs[0]);
    event_destroy(&evs[1]);
}

/* The example rule over events: the first rule's matchers. */
static void test_example_rule(void)
{
    char err[512];
    corr_rules_t *r = NULL;
    if (corr_rules_load(EXAMPLE, &r, err, sizeof err) != 0) {
        CHECK(0, "%s", err);
        return;
    }
    const struct {
        const char *check, *labels;
        bool want;
    } cases[] = {
        {"LinkDown", "site=ams1", true},   {"LinkFlap", "site=ams1", true},
        {"LinkDown", NULL, true},          {"LinkDown", "site=lab", false},
        {"LinkUp", "site=ams1", false},    {"XLinkDown", "site=ams1", false},
        {"LinkDownX", "site=ams1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        event_t *ev = make_event("zabbix", "core-sw1", cases[i].check, cases[i].labels);
        bool got = corr_matchers_match(r->rules[0].matchers, r->rules[0].nmatchers, ev);
        CHECK(got == cases[i].want, "core-links on %s/%s: %d", cases[i].check,
              cases[i].labels ? cases[i].labels : "-", got);
        event_destroy(&ev);
    }
    corr_rules_destroy(&r);
}

/* ---- Topology at scale ---------------------------------------------------------------- */

static void test_topology_chain(void)
{
    /* A 2000-deep chain (no recursion), looked up by binary search. */
    size_t n = 2000, cap = n * 64 + 64;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(text, cap, "topology:\n  nodes:\n");
    for (size_t i = n; i > 0; i--) {
        len += (size_t)snprintf(text + len, cap - len, "    - {resource: r%zu, parents: [r%zu]}\n",
                                i, i - 1);
    }
    corr_rules_t *r = parse_ok(text);
    if (r) {
        CHECK(r->ntopology == n, "chain nodes %zu", r->ntopology);
        const corr_topology_node_t *node = corr_topology_find(r, "r1234");
        CHECK(node && strcmp(node->parents[0], "r1233") == 0, "r1234");
        CHECK(corr_topology_find(r, "r0") == NULL, "root r0");
        corr_rules_destroy(&r);
    }
    /* Close the chain: a cycle through all of it is found and reported. */
    len += (size_t)snprintf(text + len, cap - len, "    - {resource: r0, parents: [r%zu]}\n", n);
    char err[1024] = "";
    CHECK(corr_rules_parse(text, len, "big.yml", &r, err, sizeof err) == -1, "long cycle");
    CHECK(strstr(err, "topology cycle: r0 -> r") != NULL, "long cycle: %s", err);
    free(text);
}

/* ---- Maintenance windows ------------------------------------------------------------------ */

typedef struct {
    const char *yaml; /* one window (a flow mapping) */
    int64_t at_us;
    const char *labels;
    bool want;
    int64_t start_us, end_us; /* when want and not 0 */
    const char *why;
} window_case_t;

static void test_maintenance(void)
{
    const char *ams_tue_thu = "{name: w, match: [\"labels.site = ams1\"], days: [tue, thu], start: "
                              "\"02:00\", duration: 2h, time_zone: Europe/Amsterdam}";
    const char *sat_late = "{name: w, match: [], days: [sat], start: \"23:00\", duration: 3h}";
    const char *sun_dst = "{name: w, match: [], days: [sun], start: \"02:00\", duration: 2h, "
                          "time_zone: Europe/Amsterdam}";
    const char *ny_daily =
        "{name: w, match: [], start: \"23:30\", duration: 1h, time_zone: America/New_York}";
    const char *long_weekend = "{name: w, match: [], days: [fri], start: \"18:00\", duration: 3d, "
                               "time_zone: Australia/Sydney}";
    const window_case_t cases[] = {
        /* The example's window: Tue 2026-11-24 02:00-04:00 CET = 01:00-03:00Z. */
        {ams_tue_thu, utc_us(2026, 11, 24, 0, 59, 59), "site=ams1", false, 0, 0, "before"},
        {ams_tue_thu, utc_us(2026, 11, 24, 1, 0, 0), "site=ams1", true,
         utc_us(2026, 11, 24, 1, 0, 0), utc_us(2026, 11, 24, 3, 0, 0), "opens"},
        {ams_tue_thu, utc_us(2026, 11, 24, 2, 59, 59), "site=ams1", true, 0, 0, "last second"},
        {ams_tue_thu, utc_us(2026, 11, 24, 3, 0, 0), "site=ams1", false, 0, 0, "closed"},
        {ams_tue_thu, utc_us(2026, 11, 24, 1, 30, 0), "site=lab", false, 0, 0, "other site"},
        {ams_tue_thu, utc_us(2026, 11, 24, 1, 30, 0), NULL, false, 0, 0, "no site"},
        {ams_tue_thu, utc_us(2026, 11, 25, 1, 30, 0), "site=ams1", false, 0, 0, "Wednesday"},
        {ams_tue_thu, utc_us(2026, 11, 26, 1, 30, 0), "site=ams1", true, 0, 0, "Thursday"},
        /* In summer the same wall time is an hour earlier in UTC. */
        {ams_tue_thu, utc_us(2026, 7, 7, 0, 0, 0), "site=ams1", true, utc_us(2026, 7, 7, 0, 0, 0),
         utc_us(2026, 7, 7, 2, 0, 0), "summer"},
        {ams_tue_thu, utc_us(2026, 7, 7, 2, 0, 0), "site=ams1", false, 0, 0, "summer closed"},
        /* Across midnight (UTC): Saturday 23:00 for 3h belongs to Saturday. */
        {sat_late, utc_us(2026, 11, 28, 22, 59, 59), NULL, false, 0, 0, "Sat before"},
        {sat_late, utc_us(2026, 11, 28, 23, 30, 0), NULL, true, utc_us(2026, 11, 28, 23, 0, 0),
         utc_us(2026, 11, 29, 2, 0, 0), "Sat night"},
        {sat_late, utc_us(2026, 11, 29, 1, 59, 59), NULL, true, 0, 0, "Sun small hours"},
        {sat_late, utc_us(2026, 11, 29, 2, 0, 0), NULL, false, 0, 0, "Sun closed"},
        {sat_late, utc_us(2026, 11, 28, 1, 0, 0), NULL, false, 0, 0, "Sat morning (Fri: no)"},
        {sat_late, utc_us(2026, 11, 29, 23, 30, 0), NULL, false, 0, 0, "Sun night"},
        /* Across midnight in a zone west of UTC: every day 23:30-00:30 New York. */
        {ny_daily, utc_us(2026, 11, 25, 4, 30, 0), NULL, true, utc_us(2026, 11, 25, 4, 30, 0),
         utc_us(2026, 11, 25, 5, 30, 0), "NY midnight"},
        {ny_daily, utc_us(2026, 11, 25, 5, 30, 0), NULL, false, 0, 0, "NY closed"},
        /* DST nights in Europe/Amsterdam, Sunday 02:00-04:00 local. 2026-03-29:
         * 02:00 does not exist and reads as 03:00 CEST = 01:00Z; 04:00 CEST =
         * 02:00Z: one real hour. */
        {sun_dst, utc_us(2026, 3, 29, 0, 59, 59), NULL, false, 0, 0, "spring before"},
        {sun_dst, utc_us(2026, 3, 29, 1, 0, 0), NULL, true, utc_us(2026, 3, 29, 1, 0, 0),
         utc_us(2026, 3, 29, 2, 0, 0), "spring: one hour"},
        {sun_dst, utc_us(2026, 3, 29, 1, 59, 59), NULL, true, 0, 0, "spring last second"},
        {sun_dst, utc_us(2026, 3, 29, 2, 0, 0), NULL, false, 0, 0, "spring closed"},
        /* 2026-10-25: 02:00 is the earlier, CEST one = 00:00Z; 04:00 CET =
         * 03:00Z: three real hours. */
        {sun_dst, utc_us(2026, 10, 24, 23, 59, 59), NULL, false, 0, 0, "autumn before"},
        {sun_dst, utc_us(2026, 10, 25, 0, 0, 0), NULL, true, utc_us(2026, 10, 25, 0, 0, 0),
         utc_us(2026, 10, 25, 3, 0, 0), "autumn: three hours"},
        {sun_dst, utc_us(2026, 10, 25, 1, 30, 0), NULL, true, 0, 0, "autumn repeated hour"},
        {sun_dst, utc_us(2026, 10, 25, 2, 59, 59), NULL, true, 0, 0, "autumn last second"},
        {sun_dst, utc_us(2026, 10, 25, 3, 0, 0), NULL, false, 0, 0, "autumn closed"},
        /* An ordinary Sunday: two hours. */
        {sun_dst, utc_us(2026, 11, 1, 1, 0, 0), NULL, true, utc_us(2026, 11, 1, 1, 0, 0),
         utc_us(2026, 11, 1, 3, 0, 0), "ordinary Sunday"},
        /* Far future, through the zone's footer rule. */
        {sun_dst, utc_us(2040, 3, 25, 1, 30, 0), NULL, true, utc_us(2040, 3, 25, 1, 0, 0),
         utc_us(2040, 3, 25, 2, 0, 0), "2040 spring"},
        /* Three days from Friday 18:00 in Sydney, across its April DST end:
         * 2026-04-03 18:00 AEDT = 07:00Z to 2026-04-06 18:00 AEST = 08:00Z. */
        {long_weekend, utc_us(2026, 4, 3, 7, 0, 0), NULL, true, utc_us(2026, 4, 3, 7, 0, 0),
         utc_us(2026, 4, 6, 8, 0, 0), "long weekend opens"},
        {long_weekend, utc_us(2026, 4, 6, 7, 59, 59), NULL, true, 0, 0, "long weekend end"},
        {long_weekend, utc_us(2026, 4, 6, 8, 0, 0), NULL, false, 0, 0, "long weekend closed"},
        {long_weekend, utc_us(2026, 4, 3, 6, 59, 59), NULL, false, 0, 0, "long weekend before"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const window_case_t *c = &cases[i];
        char text[512];
        snprintf(text, sizeof text, "maintenance:\n  - %s\n", c->yaml);
        corr_rules_t *r = parse_ok(text);
        if (!r) {
            continue;
        }
        event_t *ev = make_event("zabbix", "core-sw1", "LinkDown", c->labels);
        const corr_maintenance_t *w = corr_maintenance_active(r, ev, c->at_us);
        CHECK((w != NULL) == c->want, "%s: active %d, want %d", c->why, w != NULL, c->want);
        if (c->want && c->start_us) {
            int64_t s = 0, e = 0;
            bool covers = corr_maintenance_covers(&r->maintenance[0], c->at_us, &s, &e);
            CHECK(covers && s == c->start_us && e == c->end_us,
                  "%s: occurrence %lld..%lld, want %lld..%lld (%.2f h)", c->why, (long long)s,
                  (long long)e, (long long)c->start_us, (long long)c->end_us,
                  (double)(e - s) / 3.6e9);
        }
        event_destroy(&ev);
        corr_rules_destroy(&r);
    }
    /* A hand-built window without a zone is read in UTC. */
    corr_maintenance_t hand = {.days = 0x7f, .start_minute = 600, .duration_minutes = 30};
    CHECK(corr_maintenance_covers(&hand, utc_us(2026, 1, 1, 10, 15, 0), NULL, NULL), "hand UTC");
    CHECK(!corr_maintenance_covers(&hand, utc_us(2026, 1, 1, 10, 30, 0), NULL, NULL),
          "hand closed");
    CHECK(!corr_maintenance_covers(&hand, INT64_MAX, NULL, NULL), "far instant");
    /* Two windows: the first covering one wins. */
    corr_rules_t *r = parse_ok("maintenance:\n"
                               "  - {name: a, match: [\"site = x\"], start: \"00:00\", duration: "
                               "7d}\n"
                               "  - {name: b, match: [], start: \"00:00\", duration: 1d}\n");
    if (r) {
        event_t *ev = make_event("s", "r", "c", "site=y");
        const corr_maintenance_t *w = corr_maintenance_active(r, ev, utc_us(2026, 5, 5, 5, 5, 5));
        CHECK(w && strcmp(w->name, "b") == 0, "second window");
        CHECK(strcmp(r->maintenance[1].time_zone, "UTC") == 0, "default zone UTC");
        CHECK(r->maintenance[1].days == 0x7f, "default every day");
        event_destroy(&ev);
        corr_rules_destroy(&r);
    }
}

int main(void)
{
    test_example();
    test_defaults();
    test_errors();
    test_matchers();
    test_example_rule();
    test_topology_chain();
    test_maintenance();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
