/*
 * test_fingerprint - table-driven tests of fingerprint_compute(): which
 * changes make another alert and which do not, and fixed regression vectors
 * so that a change of the hashed layout (which would orphan every stored
 * alert) cannot go unnoticed.
 *
 * Does not test: how decoders choose the scope (test_decode.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fingerprint.h"
#include "unit_check.h"

/* An event to fingerprint. labels and annotations are "k=v;k=v", set in
 * the order written. */
typedef struct {
    const char *source, *resource, *check, *dedup_key, *scope;
    const char *labels, *annotations, *summary;
    event_severity_t severity;
    event_status_t status;
} fp_spec_t;

static const char *const ignore[] = {"pod", "replica"};

static void set_pairs(event_t *ev, const char *pairs, int annotations)
{
    char buf[512];
    if (!pairs) {
        return;
    }
    snprintf(buf, sizeof buf, "%s", pairs);
    for (char *save = NULL, *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            abort(); /* a broken table */
        }
        *eq = '\0';
        if (annotations) {
            event_annotation_set(ev, kv, eq + 1);
        } else {
            event_label_set(ev, kv, eq + 1);
        }
    }
}

/* Fingerprint of s into out (33 bytes). */
static void fp_of(const fp_spec_t *s, char *out)
{
    event_t *ev = event_new(EVENT_FORMAT_NATIVE);
    ev->source = s->source;
    ev->resource = s->resource;
    ev->check = s->check;
    ev->dedup_key = s->dedup_key;
    ev->summary = s->summary;
    ev->severity = s->severity ? s->severity : EVENT_SEVERITY_WARNING;
    ev->status = s->status ? s->status : EVENT_STATUS_FIRING;
    set_pairs(ev, s->labels, 0);
    set_pairs(ev, s->annotations, 1);
    fingerprint_compute(ev, s->scope, ignore, sizeof ignore / sizeof ignore[0]);
    memcpy(out, ev->fingerprint, EVENT_FINGERPRINT_HEX + 1);
    event_destroy(&ev);
}

#define BASE .source = "alertmanager", .resource = "sw1.ams1", .check = "LinkDown"

static const struct {
    const char *name;
    fp_spec_t a, b;
    int equal;
} pairs[] = {
    {"label order on the wire does not matter",
     {BASE, .labels = "site=ams1;ifname=xe-0/0/1;job=snmp"},
     {BASE, .labels = "job=snmp;site=ams1;ifname=xe-0/0/1"},
     1},
    {"another label value is another alert",
     {BASE, .labels = "site=ams1;ifname=xe-0/0/1"},
     {BASE, .labels = "site=ams1;ifname=xe-0/0/2"},
     0},
    {"an extra label is another alert",
     {BASE, .labels = "site=ams1"},
     {BASE, .labels = "site=ams1;ifname=xe-0/0/1"},
     0},
    {"ignored labels do not identify",
     {BASE, .labels = "site=ams1;pod=web-7f9c"},
     {BASE, .labels = "site=ams1;pod=web-1a2b;replica=b"},
     1},
    {"the ignore list is exact, not a prefix",
     {BASE, .labels = "site=ams1;pods=1"},
     {BASE, .labels = "site=ams1;pods=2"},
     0},
    {"resource/check boundary: (ab, c) vs (a, bc)",
     {.source = "s", .resource = "ab", .check = "c"},
     {.source = "s", .resource = "a", .check = "bc"},
     0},
    {"label boundary: ab=c vs a=bc", {BASE, .labels = "ab=c"}, {BASE, .labels = "a=bc"}, 0},
    {"label vs check boundary",
     {.source = "s", .resource = "r", .check = "c", .labels = "k=v"},
     {.source = "s", .resource = "r", .check = "ck", .labels = "=v"},
     0},
    {"severity, status, text and annotations are not identity",
     {BASE, .labels = "site=ams1", .severity = EVENT_SEVERITY_WARNING},
     {BASE, .labels = "site=ams1", .severity = EVENT_SEVERITY_CRITICAL,
      .status = EVENT_STATUS_RESOLVED, .summary = "down", .annotations = "runbook=x"},
     1},
    {"another source is another alert",
     {BASE},
     {.source = "zabbix", .resource = "sw1.ams1", .check = "LinkDown"},
     0},
    {"sender key: same key, same scope, other labels -> same alert",
     {BASE, .dedup_key = "97b6c7895668e6b0", .labels = "a=1"},
     {.source = "alertmanager",
      .resource = "x",
      .check = "LinkDown",
      .dedup_key = "97b6c7895668e6b0",
      .labels = "a=2"},
     1},
    {"sender key under two scopes differs",
     {.source = "pagerduty",
      .resource = "r",
      .check = "c",
      .dedup_key = "k1",
      .scope = "core-network"},
     {.source = "pagerduty", .resource = "r", .check = "c", .dedup_key = "k1", .scope = "noc"},
     0},
    {"sender key/scope boundary",
     {.source = "pagerduty", .dedup_key = "b", .scope = "a"},
     {.source = "pagerduty", .dedup_key = "ab", .scope = ""},
     0},
    {"no scope hashes like an empty scope",
     {.source = "alertmanager", .dedup_key = "k"},
     {.source = "alertmanager", .dedup_key = "k", .scope = ""},
     1},
    {"sender key of two sources differs",
     {.source = "alertmanager", .dedup_key = "k"},
     {.source = "native", .dedup_key = "k"},
     0},
    {"a key never equals a label set",
     {.source = "s", .resource = "r", .check = "c"},
     {.source = "s", .resource = "r", .check = "c", .dedup_key = "r"},
     0},
    {"an empty key means no key",
     {.source = "s", .resource = "r", .check = "c", .dedup_key = ""},
     {.source = "s", .resource = "r", .check = "c"},
     1},
};

/* Regression vectors, computed once and cross-checked with an independent
 * implementation of the layout in fingerprint.c (Python hashlib over
 * ">Q"-length-prefixed fields). If one changes, every stored fingerprint
 * changes with it - that needs a migration, not a new constant. */
static const struct {
    const char *name;
    fp_spec_t spec;
    const char *hex;
} vectors[] = {
    {"label hash",
     {BASE, .labels = "alertname=LinkDown;device=sw1.ams1;ifname=xe-0/0/1;site=ams1"},
     "c5d851ba503e64de029f84cd801339cd"},
    {"sender key, no scope",
     {.source = "alertmanager", .dedup_key = "97b6c7895668e6b0"},
     "c0802eb77fe16fc0a0487beba1aab862"},
    {"sender key with scope",
     {.source = "pagerduty",
      .dedup_key = "53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd1d47f7b3505aea84",
      .scope = "core-network"},
     "88b0586939b50518197eeaa1f62b5e56"},
    {"empty everything", {.source = NULL}, "33889991dc02947ae9df17c9c6f79abf"},
};

int main(void)
{
    char fa[EVENT_FINGERPRINT_HEX + 1], fb[EVENT_FINGERPRINT_HEX + 1];

    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        fp_of(&pairs[i].a, fa);
        fp_of(&pairs[i].b, fb);
        CHECK((strcmp(fa, fb) == 0) == pairs[i].equal, "%s: %s %s %s", pairs[i].name, fa,
              pairs[i].equal ? "!=" : "==", fb);
    }
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        fp_of(&vectors[i].spec, fa);
        CHECK(strcmp(fa, vectors[i].hex) == 0, "vector %s: %s, want %s", vectors[i].name, fa,
              vectors[i].hex);
        /* same input, same output within a process too */
        fp_of(&vectors[i].spec, fb);
        CHECK(strcmp(fa, fb) == 0, "vector %s: not stable", vectors[i].name);
        CHECK(strlen(fa) == EVENT_FINGERPRINT_HEX && strspn(fa, "0123456789abcdef") == 32,
              "vector %s: not 32 lower-case hex digits", vectors[i].name);
    }
    if (failures) {
        printf("test_fingerprint: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_fingerprint: %zu pairs, %zu vectors passed\n", sizeof pairs / sizeof pairs[0],
           sizeof vectors / sizeof vectors[0]);
    return 0;
}
