/*
 * test_decode - table-driven tests of the four decoders, decode_detect and
 * the shared readers (times, UTF-8, limits).
 *
 * Every fixture under tests/fixtures/{native,bad,zabbix,alertmanager} must
 * appear in the case table (checked at the end), so a new fixture cannot be
 * forgotten. Cases whose bodies are awkward as files (sizes at and past the
 * limits, invalid UTF-8, NUL bytes) are generated here. Each case states the
 * return code, the number of events and of rejects, the first reject (index,
 * field, a substring of the error) and spot checks of decoded fields.
 *
 * Does not test: the HTTP endpoints, storage, what the correlator does with
 * the events.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_internal.h"
#include "event.h"
#include "unit_check.h"

#define RECEIVED_US 1795576700000000LL /* 2026-11-25T03:18:20Z */
#define NO_REJECT   (-2)
#define MAX_EXPECT  12

/* Spot check of one decoded value; field names are those of field_value().
 * want: exact text, or "<null>", "<any>" (not NULL), "<uuid4>", "<hex32>". */
typedef struct {
    int ev;
    const char *field;
    const char *want;
} expect_t;

typedef enum { CTX_PLAIN = 0, CTX_INTEGRATIONS } ctx_kind_t;

typedef struct {
    const char *name;
    event_format_t format;
    const char *file; /* under FIXTURES_DIR */
    const char *body; /* inline body (file and gen NULL); body_len 0 = strlen */
    size_t body_len;
    char *(*gen)(size_t *len); /* generated body; freed by the runner */
    ctx_kind_t ctx;
    int rc;
    size_t nevents, nrejects;
    int rj_index; /* first reject, or NO_REJECT */
    const char *rj_field;
    const char *rj_error; /* substring */
    expect_t expect[MAX_EXPECT];
} decode_case_t;

/* ------------------------------------------------------------------------ */
/* body generators */

static char *gen_printf(size_t *len, size_t cap, const char *head, char fill, size_t nfill,
                        const char *tail)
{
    char *b = malloc(cap);
    size_t h = strlen(head), t = strlen(tail);
    if (!b || h + nfill + t + 1 > cap) {
        abort();
    }
    memcpy(b, head, h);
    memset(b + h, fill, nfill);
    memcpy(b + h + nfill, tail, t + 1);
    *len = h + nfill + t;
    return b;
}

/* A valid native event padded with whitespace to exactly n bytes. */
static char *gen_padded(size_t *len, size_t n)
{
    const char *ev = "{\"resource\":\"x\",\"check\":\"y\"}";
    return gen_printf(len, n + 1, ev, ' ', n - strlen(ev), "");
}

static char *gen_body_at_limit(size_t *len)
{
    return gen_padded(len, 524288);
}

static char *gen_body_over_limit(size_t *len)
{
    return gen_padded(len, 524289);
}

static char *gen_nesting(size_t *len, int depth)
{
    char *b = malloc((size_t)depth * 2 + 1);
    if (!b) {
        abort();
    }
    memset(b, '[', (size_t)depth);
    memset(b + depth, ']', (size_t)depth);
    b[depth * 2] = '\0';
    *len = (size_t)depth * 2;
    return b;
}

static char *gen_depth_17(size_t *len)
{
    return gen_nesting(len, 17);
}

/* PagerDuty trigger whose custom_details reach depth 16 exactly: root,
 * payload, custom_details, then 13 arrays. */
static char *gen_depth_16_ok(size_t *len)
{
    char *b = malloc(512);
    if (!b) {
        abort();
    }
    int n = snprintf(b, 512,
                     "{\"routing_key\":\"k\",\"event_action\":\"trigger\",\"payload\":{\"summary\":"
                     "\"s\",\"source\":\"h\",\"severity\":\"info\",\"custom_details\":{\"deep\":"
                     "%.13s1%.13s}}}",
                     "[[[[[[[[[[[[[", "]]]]]]]]]]]]]");
    *len = (size_t)n;
    return b;
}

static char *gen_labels(size_t *len, int nlabels)
{
    size_t cap = 64 + (size_t)nlabels * 32;
    char *b = malloc(cap);
    if (!b) {
        abort();
    }
    size_t n = (size_t)snprintf(b, cap, "{\"resource\":\"r\",\"check\":\"c\",\"labels\":{");
    for (int i = 0; i < nlabels; i++) {
        n += (size_t)snprintf(b + n, cap - n, "%s\"l%02d\":\"v\"", i ? "," : "", i);
    }
    n += (size_t)snprintf(b + n, cap - n, "}}");
    *len = n;
    return b;
}

static char *gen_64_labels(size_t *len)
{
    return gen_labels(len, 64);
}

static char *gen_65_labels(size_t *len)
{
    return gen_labels(len, 65);
}

static char *gen_key(size_t *len, size_t klen)
{
    return gen_printf(len, klen + 128, "{\"resource\":\"r\",\"check\":\"c\",\"labels\":{\"", 'k',
                      klen, "\":\"v\"}}");
}

static char *gen_key_128(size_t *len)
{
    return gen_key(len, 128);
}

static char *gen_key_129(size_t *len)
{
    return gen_key(len, 129);
}

static char *gen_value(size_t *len, size_t vlen)
{
    return gen_printf(len, vlen + 128, "{\"resource\":\"r\",\"check\":\"c\",\"labels\":{\"k\":\"",
                      'v', vlen, "\"}}");
}

static char *gen_value_1024(size_t *len)
{
    return gen_value(len, 1024);
}

static char *gen_value_1025(size_t *len)
{
    return gen_value(len, 1025);
}

static char *gen_text_16385(size_t *len)
{
    return gen_printf(len, 16385 + 128, "{\"resource\":\"r\",\"check\":\"c\",\"summary\":\"", 's',
                      16385, "\"}");
}

static char *gen_events_1001(size_t *len)
{
    const char *one = "{\"resource\":\"r\",\"check\":\"c\"},";
    size_t n1 = strlen(one), cap = 1001 * n1 + 8;
    char *b = malloc(cap);
    if (!b) {
        abort();
    }
    b[0] = '[';
    for (int i = 0; i < 1001; i++) {
        memcpy(b + 1 + (size_t)i * n1, one, n1);
    }
    size_t n = 1 + 1001 * n1;
    b[n - 1] = ']'; /* replaces the last comma */
    b[n] = '\0';
    *len = n;
    return b;
}

static char *gen_pd_summary(size_t *len, const char *unit, int count)
{
    size_t u = strlen(unit), cap = u * (size_t)count + 256;
    char *b = malloc(cap);
    if (!b) {
        abort();
    }
    size_t n = (size_t)snprintf(b, cap,
                                "{\"routing_key\":\"k\",\"event_action\":\"trigger\",\"dedup_key\":"
                                "\"d\",\"payload\":{\"source\":\"h\",\"severity\":\"info\","
                                "\"summary\":\"");
    for (int i = 0; i < count; i++) {
        memcpy(b + n, unit, u);
        n += u;
    }
    n += (size_t)snprintf(b + n, cap - n, "\"}}");
    *len = n;
    return b;
}

static char *gen_pd_summary_1025(size_t *len)
{
    return gen_pd_summary(len, "a", 1025);
}

/* 1024 characters of two bytes each: PagerDuty counts characters, and so
 * does Alertmanager when it truncates to 1024 runes. */
static char *gen_pd_summary_1024_chars(size_t *len)
{
    return gen_pd_summary(len, "\xc3\xa9", 1024);
}

static char *gen_pd_big_details(size_t *len)
{
    return gen_printf(len, 20000 + 256,
                      "{\"routing_key\":\"k\",\"event_action\":\"trigger\",\"dedup_key\":\"d\","
                      "\"payload\":{\"source\":\"h\",\"severity\":\"info\",\"summary\":\"s\","
                      "\"custom_details\":{\"firing\":\"",
                      'x', 20000, "\"}}}");
}

/* ------------------------------------------------------------------------ */
/* the cases */

#define PD_KEY "0123456789abcdef0123456789abcdef"

static const decode_case_t cases[] = {
    /* --- native, good --- */
    {.name = "native single, all fields",
     .format = EVENT_FORMAT_NATIVE,
     .file = "native/single.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "source", "nagios"},
                {0, "resource", "rtr1.fra2"},
                {0, "check", "BGP peer down"},
                {0, "severity", "critical"},
                {0, "status", "firing"},
                {0, "label.team", "core-network"},
                {0, "nlabels", "3"},
                {0, "annotation.runbook", "https://wiki.example.net/runbooks/bgp-peer-down"},
                {0, "occurred_at", "1795572725250000"},
                {0, "dedup_key", "<null>"},
                {0, "fingerprint", "<hex32>"}}},
    {.name = "native minimal: defaults",
     .format = EVENT_FORMAT_NATIVE,
     .file = "native/minimal.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "source", "api"},
                {0, "severity", "warning"},
                {0, "status", "firing"},
                {0, "summary", "<null>"},
                {0, "occurred_at", "1795576700000000"},
                {0, "received_at", "1795576700000000"},
                {0, "nlabels", "0"}}},
    {.name = "native array",
     .format = EVENT_FORMAT_NATIVE,
     .file = "native/array.json",
     .nevents = 3,
     .rj_index = NO_REJECT,
     .expect = {{0, "severity", "major"},
                {0, "summary", "backup failed: disk full"},
                {1, "status", "resolved"},
                {1, "occurred_at", "1795579200000000"},
                {2, "source", "snmp-trap"},
                {2, "dedup_key", "sw9.lon1/ifIndex=17"},
                {2, "label.ifIndex", "17"}}},
    {.name = "native UTF-8 text",
     .format = EVENT_FORMAT_NATIVE,
     .file = "native/unicode.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "resource", "Z\xc3\xbcrich-core-1"},
                {0, "label.salle",
                 "Serveur \xe2\x84\x96"
                 "2"}}},
    {.name = "native empty array",
     .format = EVENT_FORMAT_NATIVE,
     .body = "[]",
     .rj_index = NO_REJECT},

    /* --- native, bad --- */
    {.name = "native unknown field",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-unknown-field.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "sevrity",
     .rj_error = "unknown field"},
    {.name = "native missing resource",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-missing-resource.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "resource",
     .rj_error = "required"},
    {.name = "native severity not ours",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-bad-severity.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "severity",
     .rj_error = "must be one of critical|major|minor|warning|info"},
    {.name = "native label value not a string",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-label-not-string.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels.port",
     .rj_error = "must be a string"},
    {.name = "native 29 February of a common year",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-bad-time.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "occurred_at",
     .rj_error = "not an RFC 3339 timestamp"},
    {.name = "native resource a number",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-resource-number.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "resource",
     .rj_error = "must be a string"},
    {.name = "native array with one bad element",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/native-array-one-bad.json",
     .nevents = 2,
     .nrejects = 1,
     .rj_index = 1,
     .rj_field = "status",
     .rj_error = "must be one of firing|resolved",
     .expect = {{0, "resource", "sw1.ams1"}, {1, "resource", "sw3.ams1"}}},
    {.name = "native element not an object",
     .format = EVENT_FORMAT_NATIVE,
     .body = "[{\"resource\":\"a\",\"check\":\"b\"}, 7]",
     .nevents = 1,
     .nrejects = 1,
     .rj_index = 1,
     .rj_field = "event",
     .rj_error = "must be an object"},
    {.name = "native empty check",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\",\"check\":\"\"}",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "check",
     .rj_error = "required"},
    {.name = "native labels not an object",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\",\"check\":\"b\",\"labels\":[\"x\"]}",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels",
     .rj_error = "must be an object"},
    {.name = "native empty label key",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\",\"check\":\"b\",\"labels\":{\"\":\"x\"}}",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels",
     .rj_error = "empty key"},
    {.name = "native null optional fields read as absent",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\",\"check\":\"b\",\"summary\":null,\"severity\":null,"
             "\"labels\":{\"x\":null}}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "summary", "<null>"}, {0, "severity", "warning"}, {0, "nlabels", "0"}}},

    /* --- whole-body limits and encoding --- */
    {.name = "body exactly max_body_bytes",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_body_at_limit,
     .nevents = 1,
     .rj_index = NO_REJECT},
    {.name = "body one byte over max_body_bytes",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_body_over_limit,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "larger than 524288 bytes"},
    {.name = "depth 17",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_depth_17,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "nested deeper than 16 levels"},
    {.name = "depth 16 accepted",
     .format = EVENT_FORMAT_PAGERDUTY,
     .gen = gen_depth_16_ok,
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "annotation.deep", "[[[[[[[[[[[[[1]]]]]]]]]]]]]"}}},
    {.name = "brackets inside strings do not count as depth",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"[[[[[[[[[[[[[[[[[[[[\",\"check\":\"{{{{{{{{{{{{{{{{{{\\\"{{\"}",
     .nevents = 1,
     .rj_index = NO_REJECT},
    {.name = "depth counted after a string ending in an escaped backslash",
     .format = EVENT_FORMAT_NATIVE,
     .body = "[\"a\\\\\",[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "nested deeper than 16 levels"},
    {.name = "brackets after an escaped quote stay inside the string",
     .format = EVENT_FORMAT_NATIVE,
     .body = "[\"a\\\\\\\"[[[[[[[[[[[[[[[[[[[[\"]",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "event",
     .rj_error = "must be an object"},
    {.name = "64 labels accepted",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_64_labels,
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "nlabels", "64"}, {0, "label.l63", "v"}}},
    {.name = "65 labels",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_65_labels,
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels",
     .rj_error = "more than 64 labels"},
    {.name = "label key of 128 bytes accepted",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_key_128,
     .nevents = 1,
     .rj_index = NO_REJECT},
    {.name = "label key of 129 bytes",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_key_129,
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels.kkkkkkkk",
     .rj_error = "key longer than 128 bytes"},
    {.name = "label value of 1024 bytes accepted",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_value_1024,
     .nevents = 1,
     .rj_index = NO_REJECT},
    {.name = "label value of 1025 bytes",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_value_1025,
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels.k",
     .rj_error = "longer than 1024 bytes"},
    {.name = "summary of 16385 bytes",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_text_16385,
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "summary",
     .rj_error = "longer than 16384 bytes"},
    {.name = "1001 events",
     .format = EVENT_FORMAT_NATIVE,
     .gen = gen_events_1001,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "more than 1000 events"},
    {.name = "invalid UTF-8",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"sw1\xff\xfe\",\"check\":\"c\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "not valid UTF-8"},
    {.name = "overlong UTF-8 encoding of '/'",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\xc0\xaf\",\"check\":\"c\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "not valid UTF-8"},
    {.name = "raw NUL byte",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\0b\",\"check\":\"c\"}",
     .body_len = 31,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "contains a NUL byte at offset 14"},
    {.name = "escaped \\u0000 in a value",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\\u0000b\",\"check\":\"c\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "\\u0000 is not allowed"},
    {.name = "escaped \\u0000 in a key",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"alerts\":[],\"a\\u0000\":1}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "\\u0000 is not allowed"},
    {.name = "duplicate keys",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/duplicate-keys.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "duplicate"},
    {.name = "truncated JSON",
     .format = EVENT_FORMAT_NATIVE,
     .file = "bad/truncated.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "not valid JSON"},
    {.name = "trailing garbage",
     .format = EVENT_FORMAT_NATIVE,
     .body = "{\"resource\":\"a\",\"check\":\"b\"} x",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "not valid JSON"},
    {.name = "a bare string is not a body",
     .format = EVENT_FORMAT_NATIVE,
     .body = "\"sw1\"",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "not valid JSON"},
    {.name = "empty body",
     .format = EVENT_FORMAT_ZABBIX,
     .body = "",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "empty"},

    /* --- Alertmanager --- */
    {.name = "alertmanager firing",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "alertmanager/webhook-firing.json",
     .nevents = 2,
     .rj_index = NO_REJECT,
     .expect = {{0, "source", "alertmanager"},
                {0, "resource", "sw1.ams1"},
                {0, "check", "LinkDown"},
                {0, "severity", "critical"},
                {0, "status", "firing"},
                {0, "dedup_key", "97b6c7895668e6b0"},
                {0, "summary", "Link xe-0/0/1 down on sw1.ams1"},
                {0, "description", "ifOperStatus is down (2) for 2m"},
                {0, "annotation.generator_url",
                 "http://prometheus.example:9090/graph?g0.expr=ifOperStatus%3D%3D2"},
                {0, "occurred_at", "1795576669000000"},
                {1, "resource", "sw2.ams1"},
                {1, "label.ifname", "xe-0/0/7"}}},
    {.name = "alertmanager partly resolved",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "alertmanager/webhook-firing-partly-resolved.json",
     .nevents = 2,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "resolved"},
                {0, "occurred_at", "1795576672000000"},
                {1, "status", "firing"},
                {1, "occurred_at", "1795576669000000"}}},
    {.name = "alertmanager resolved",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "alertmanager/webhook-resolved.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "resolved"},
                {0, "resource", "sw2.ams1"},
                {0, "dedup_key", "2bfb0738fe4d0421"},
                {0, "occurred_at", "1795576678000000"}}},
    {.name = "alertmanager alert without alertname among good ones",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "bad/am-missing-alertname.json",
     .nevents = 1,
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "labels.alertname",
     .rj_error = "required",
     .expect = {{0, "check", "NodeDown"},
                {0, "resource", "10.0.0.2:9100"},
                {0, "severity", "warning"},
                {0, "summary", "node 10.0.0.2 unreachable"},
                {0, "annotation.generator_url", "<null>"},
                {0, "occurred_at", "1795576669500000"}}},
    {.name = "alertmanager without alerts",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "bad/am-no-alerts.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "alerts",
     .rj_error = "required"},
    {.name = "alertmanager unknown alert status",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .file = "bad/am-bad-status.json",
     .nrejects = 1,
     .rj_index = 0,
     .rj_field = "status",
     .rj_error = "must be one of firing|resolved"},
    {.name = "alertmanager tolerant: unknown fields, severity case, no fingerprint",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"version\":\"4\",\"notification_reason\":\"new\",\"alerts\":[{\"status\":"
             "\"firing\",\"labels\":{\"alertname\":\"Up\",\"severity\":\"CRITICAL\",\"job\":"
             "\"node\",\"instance\":\"h1:9100\"},\"extra\":{\"a\":1}}]}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "severity", "critical"},
                {0, "resource", "h1:9100"},
                {0, "dedup_key", "<null>"},
                {0, "occurred_at", "1795576700000000"},
                {0, "fingerprint", "<hex32>"}}},
    {.name = "alertmanager resource falls back to alertname",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Watchdog\"},"
             "\"fingerprint\":\"abc\"}]}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "resource", "Watchdog"}, {0, "severity", "warning"}}},
    {.name = "alertmanager severity names of the table",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"alerts\":["
             "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"severity\":\"error\"}},"
             "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"severity\":\"average\"}},"
             "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"severity\":\"warn\"}},"
             "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"severity\":\"none\"}},"
             "{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"severity\":\"High\"}}]}",
     .nevents = 5,
     .rj_index = NO_REJECT,
     .expect = {{0, "severity", "major"},
                {1, "severity", "minor"},
                {2, "severity", "warning"},
                {3, "severity", "info"},
                {4, "severity", "major"}}},
    {.name = "alertmanager resolved alert without endsAt",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"alerts\":[{\"status\":\"resolved\",\"labels\":{\"alertname\":\"A\"},"
             "\"startsAt\":\"2026-11-25T03:17:49Z\",\"endsAt\":\"0001-01-01T00:00:00Z\"}]}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "occurred_at", "1795576700000000"}}},
    {.name = "alertmanager bad startsAt and labels not an object",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\"},"
             "\"startsAt\":\"25/11/2026\"},{\"status\":\"firing\",\"labels\":\"A\"},"
             "{\"status\":\"firing\"}]}",
     .nrejects = 3,
     .rj_index = 0,
     .rj_field = "startsAt",
     .rj_error = "not an RFC 3339 timestamp"},
    {.name = "alertmanager alerts not an array",
     .format = EVENT_FORMAT_ALERTMANAGER,
     .body = "{\"version\":\"4\",\"alerts\":{}}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "alerts",
     .rj_error = "must be an array"},

    /* --- PagerDuty --- */
    {.name = "pagerduty trigger from Alertmanager",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "alertmanager/pagerduty-trigger.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "source", "pagerduty"},
                {0, "status", "firing"},
                {0, "severity", "major"},
                {0, "resource", "Alertmanager"},
                {0, "check", "event"},
                {0, "dedup_key",
                 "53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd1d47f7b3505aea84"},
                {0, "r.dedup_key",
                 "53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd1d47f7b3505aea84"},
                {0, "summary", "[FIRING:2] LinkDown ams1 (snmp critical)"},
                {0, "annotation.num_firing", "2"},
                {0, "annotation.client", "Alertmanager"},
                {0, "annotation.alertdesk_truncated", "<null>"}}},
    {.name = "pagerduty resolve from Alertmanager",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "alertmanager/pagerduty-resolve.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "resolved"},
                {0, "dedup_key",
                 "53b2f2adac59ecf0325cbacd980fe0040c7eb81d32eaecfd1d47f7b3505aea84"},
                {0, "annotation.num_resolved", "1"}}},
    {.name = "pagerduty trigger without dedup_key gets a UUID",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"routing_key\":\"" PD_KEY "\",\"event_action\":\"trigger\",\"payload\":{"
             "\"summary\":\"Disk 95% full\",\"source\":\"db1.ams1\",\"severity\":\"warning\","
             "\"timestamp\":\"2026-11-25T04:17:49.123+0100\",\"component\":\"postgres\","
             "\"group\":\"prod-db\",\"custom_details\":{\"free\":\"5%\",\"mounts\":[\"/\","
             "\"/var\"],\"n\":3,\"ok\":false}},\"links\":[{\"href\":\"https://l/1\",\"text\":"
             "\"graph\"},\"bad\"],\"images\":[{\"src\":\"https://i/1.png\",\"alt\":\"g\"}]}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "dedup_key", "<uuid4>"},
                {0, "r.dedup_key", "<uuid4>"},
                {0, "resource", "db1.ams1"},
                {0, "check", "prod-db"},
                {0, "label.component", "postgres"},
                {0, "occurred_at", "1795576669123000"},
                {0, "annotation.mounts", "[\"/\",\"/var\"]"},
                {0, "annotation.ok", "false"},
                {0, "annotation.link.0", "https://l/1"},
                {0, "annotation.link.0.text", "graph"},
                {0, "annotation.image.0.alt", "g"},
                {0, "annotation.alertdesk_truncated",
                 "0 values cut to 16384 bytes, 1 fields dropped"}}},
    {.name = "pagerduty known integration adds labels",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"routing_key\":\"" PD_KEY "\",\"event_action\":\"acknowledge\","
             "\"dedup_key\":\"k-1\"}",
     .ctx = CTX_INTEGRATIONS,
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "acknowledged"},
                {0, "label.team", "noc"},
                {0, "resource", "unknown"},
                {0, "summary", "<null>"},
                {0, "r.dedup_key", "k-1"}}},
    {.name = "pagerduty unknown integration key",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"routing_key\":\"ffffffffffffffffffffffffffffffff\",\"event_action\":"
             "\"resolve\",\"dedup_key\":\"k-1\"}",
     .ctx = CTX_INTEGRATIONS,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "routing_key",
     .rj_error = "unknown integration key",
     .expect = {{-1, "r.dedup_key", ""}}},
    {.name = "pagerduty resolve reads a bad payload leniently",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"routing_key\":\"k\",\"event_action\":\"resolve\",\"dedup_key\":\"k-1\","
             "\"payload\":{\"summary\":7,\"source\":\"db1\",\"severity\":\"fatal\","
             "\"timestamp\":\"yesterday\"}}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "resolved"},
                {0, "resource", "db1"},
                {0, "summary", "<null>"},
                {0, "severity", "warning"},
                {0, "occurred_at", "1795576700000000"}}},
    {.name = "pagerduty unknown action",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-unknown-action.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_action",
     .rj_error = "must be one of trigger|acknowledge|resolve"},
    {.name = "pagerduty resolve without dedup_key",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-resolve-no-dedup-key.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "dedup_key",
     .rj_error = "required for acknowledge and resolve"},
    {.name = "pagerduty trigger without payload",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-trigger-no-payload.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "payload",
     .rj_error = "required"},
    {.name = "pagerduty severity not PagerDuty's",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-bad-severity.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "payload.severity",
     .rj_error = "must be one of critical|error|warning|info"},
    {.name = "pagerduty routing_key of 65 characters",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-routing-key-too-long.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "routing_key",
     .rj_error = "must be 1 to 64 characters"},
    {.name = "pagerduty trigger without summary",
     .format = EVENT_FORMAT_PAGERDUTY,
     .file = "bad/pd-missing-summary.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "payload.summary",
     .rj_error = "required"},
    {.name = "pagerduty missing routing_key",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"event_action\":\"trigger\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "routing_key",
     .rj_error = "required"},
    {.name = "pagerduty summary of 1025 characters",
     .format = EVENT_FORMAT_PAGERDUTY,
     .gen = gen_pd_summary_1025,
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "payload.summary",
     .rj_error = "longer than 1024 characters"},
    {.name = "pagerduty summary of 1024 two-byte characters",
     .format = EVENT_FORMAT_PAGERDUTY,
     .gen = gen_pd_summary_1024_chars,
     .nevents = 1,
     .rj_index = NO_REJECT},
    {.name = "pagerduty custom_details text is cut, not refused",
     .format = EVENT_FORMAT_PAGERDUTY,
     .gen = gen_pd_big_details,
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "annotation_len.firing", "16384"},
                {0, "annotation_tail.firing", "xxx [truncated by alertdesk]"},
                {0, "annotation.alertdesk_truncated",
                 "1 values cut to 16384 bytes, 0 fields dropped"}}},
    {.name = "pagerduty dedup_key wrong type",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "{\"routing_key\":\"k\",\"event_action\":\"resolve\",\"dedup_key\":42}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "dedup_key",
     .rj_error = "must be a string"},
    {.name = "pagerduty body an array",
     .format = EVENT_FORMAT_PAGERDUTY,
     .body = "[]",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "body",
     .rj_error = "must be a JSON object"},

    /* --- Zabbix --- */
    {.name = "zabbix problem",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "zabbix/problem.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "source", "zabbix"},
                {0, "resource", "sw1.ams1"},
                {0, "check", "Interface xe-0/0/1 (uplink to rtr1): link down"},
                {0, "severity", "major"},
                {0, "status", "firing"},
                {0, "dedup_key", "4711"},
                {0, "label.site", "ams1"},
                {0, "label.host_ip", "192.0.2.11"},
                {0, "annotation.opdata", "Current state: down (2)"},
                {0, "occurred_at", "1795576669000000"}}},
    {.name = "zabbix recovery",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "zabbix/recovery.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "resolved"},
                {0, "dedup_key", "4711"},
                {0, "annotation.recovery_event_id", "4720"},
                {0, "occurred_at", "1795576909000000"}}},
    {.name = "zabbix acknowledgement",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "zabbix/update-ack.json",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "status", "acknowledged"}, {0, "annotation.event_update_user", "Ana Noc"}}},
    {.name = "zabbix severities and repeated tags",
     .format = EVENT_FORMAT_ZABBIX,
     .body = "{\"alertdesk_media_type\":\"zabbix/1\",\"event_id\":\"9\",\"event_value\":1,"
             "\"event_nseverity\":3,\"host\":\"h\",\"trigger_name\":\"t\",\"event_tags\":["
             "{\"tag\":\"service\",\"value\":\"web\"},{\"tag\":\"service\",\"value\":\"db\"},"
             "{\"tag\":\"flag\"}]}",
     .nevents = 1,
     .rj_index = NO_REJECT,
     .expect = {{0, "severity", "minor"},
                {0, "label.service", "web,db"},
                {0, "label.flag", ""},
                {0, "summary", "t"}}},
    {.name = "zabbix wrong marker",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "bad/zabbix-wrong-marker.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "alertdesk_media_type",
     .rj_error = "must be zabbix/1"},
    {.name = "zabbix nseverity out of range",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "bad/zabbix-nseverity-range.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_nseverity",
     .rj_error = "must be between 0 and 5"},
    {.name = "zabbix event_value as a string",
     .format = EVENT_FORMAT_ZABBIX,
     .file = "bad/zabbix-value-string.json",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_value",
     .rj_error = "must be an integer"},
    {.name = "zabbix internal event",
     .format = EVENT_FORMAT_ZABBIX,
     .body = "{\"alertdesk_media_type\":\"zabbix/1\",\"event_source\":3,\"event_id\":\"9\","
             "\"event_value\":1,\"event_nseverity\":3,\"host\":\"h\",\"trigger_name\":\"t\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_source",
     .rj_error = "only trigger events"},
    {.name = "zabbix tag not an object",
     .format = EVENT_FORMAT_ZABBIX,
     .body = "{\"alertdesk_media_type\":\"zabbix/1\",\"event_id\":\"9\",\"event_value\":1,"
             "\"event_nseverity\":3,\"host\":\"h\",\"trigger_name\":\"t\",\"event_tags\":["
             "{\"tag\":\"a\",\"value\":\"b\"},\"c\"]}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_tags[1]",
     .rj_error = "must be an object"},
    {.name = "zabbix event_id not digits",
     .format = EVENT_FORMAT_ZABBIX,
     .body = "{\"alertdesk_media_type\":\"zabbix/1\",\"event_id\":\"{EVENT.ID}\","
             "\"event_value\":1,\"event_nseverity\":3,\"host\":\"h\",\"trigger_name\":\"t\"}",
     .rc = -1,
     .nrejects = 1,
     .rj_index = -1,
     .rj_field = "event_id",
     .rj_error = "digits"},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* Fingerprints of each case's events, for the relations below. */
static char case_fp[NCASES][8][EVENT_FINGERPRINT_HEX + 1];

/* ------------------------------------------------------------------------ */
/* running a case */

static const event_label_t noc_labels[] = {{"team", "noc"}};
static const decode_integration_t integrations[] = {
    {"core-network", PD_KEY, noc_labels, 1},
    {"alertmanager", "test", NULL, 0},
};

static const decode_integration_t *find_integration(void *arg, const char *key)
{
    (void)arg;
    for (size_t i = 0; i < sizeof integrations / sizeof integrations[0]; i++) {
        if (strcmp(integrations[i].routing_key, key) == 0) {
            return &integrations[i];
        }
    }
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        abort();
    }
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *map_get(const event_label_t *m, uint32_t n, const char *key)
{
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(m[i].key, key) == 0) {
            return m[i].value;
        }
    }
    return NULL;
}

/* The value of a named field as text (in buf when computed), or NULL. */
static const char *field_value(const decode_result_t *r, const event_t *ev, const char *field,
                               char *buf, size_t n)
{
    if (strcmp(field, "r.dedup_key") == 0) {
        return r->dedup_key;
    }
    if (!ev) {
        return "<no such event>";
    }
    if (strcmp(field, "source") == 0) {
        return ev->source;
    } else if (strcmp(field, "resource") == 0) {
        return ev->resource;
    } else if (strcmp(field, "check") == 0) {
        return ev->check;
    } else if (strcmp(field, "severity") == 0) {
        return event_severity_name(ev->severity);
    } else if (strcmp(field, "status") == 0) {
        return event_status_name(ev->status);
    } else if (strcmp(field, "summary") == 0) {
        return ev->summary;
    } else if (strcmp(field, "description") == 0) {
        return ev->description;
    } else if (strcmp(field, "dedup_key") == 0) {
        return ev->dedup_key;
    } else if (strcmp(field, "fingerprint") == 0) {
        return ev->fingerprint;
    } else if (strcmp(field, "occurred_at") == 0) {
        snprintf(buf, n, "%lld", (long long)ev->occurred_at_us);
        return buf;
    } else if (strcmp(field, "received_at") == 0) {
        snprintf(buf, n, "%lld", (long long)ev->received_at_us);
        return buf;
    } else if (strcmp(field, "nlabels") == 0) {
        snprintf(buf, n, "%u", ev->nlabels);
        return buf;
    } else if (strncmp(field, "label.", 6) == 0) {
        return map_get(ev->labels, ev->nlabels, field + 6);
    } else if (strncmp(field, "annotation.", 11) == 0) {
        return map_get(ev->annotations, ev->nannotations, field + 11);
    } else if (strncmp(field, "annotation_len.", 15) == 0) {
        const char *v = map_get(ev->annotations, ev->nannotations, field + 15);
        snprintf(buf, n, "%zu", v ? strlen(v) : 0);
        return buf;
    } else if (strncmp(field, "annotation_tail.", 16) == 0) {
        const char *v = map_get(ev->annotations, ev->nannotations, field + 16);
        size_t len = v ? strlen(v) : 0;
        return v && len > 28 ? v + len - 28 : v;
    }
    return "<unknown field name in test>";
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strchr("0123456789abcdef", s[i]) || !s[i]) {
            return 0;
        }
    }
    return 1;
}

static int matches(const char *got, const char *want)
{
    if (strcmp(want, "<null>") == 0) {
        return got == NULL;
    }
    if (!got) {
        return 0;
    }
    if (strcmp(want, "<any>") == 0) {
        return 1;
    }
    if (strcmp(want, "<hex32>") == 0) {
        return strlen(got) == 32 && is_hex(got, 32);
    }
    if (strcmp(want, "<uuid4>") == 0) {
        return strlen(got) == 36 && got[8] == '-' && got[13] == '-' && got[14] == '4' &&
               got[18] == '-' && strchr("89ab", got[19]) && got[23] == '-' && is_hex(got, 8) &&
               is_hex(got + 24, 12);
    }
    return strcmp(got, want) == 0;
}

/* Invariants every accepted event must meet, whatever the case. */
static void check_event_invariants(const char *name, const event_t *ev, event_format_t format)
{
    CHECK(ev->format == format, "%s: format %d", name, ev->format);
    CHECK(ev->source && ev->source[0], "%s: source", name);
    CHECK(ev->resource && ev->resource[0], "%s: resource", name);
    CHECK(ev->check && ev->check[0], "%s: check", name);
    CHECK(ev->severity >= EVENT_SEVERITY_INFO && ev->severity <= EVENT_SEVERITY_CRITICAL,
          "%s: severity", name);
    CHECK(ev->status >= EVENT_STATUS_FIRING && ev->status <= EVENT_STATUS_ACKNOWLEDGED,
          "%s: status", name);
    CHECK(ev->received_at_us == RECEIVED_US, "%s: received_at", name);
    CHECK(strlen(ev->fingerprint) == 32 && is_hex(ev->fingerprint, 32), "%s: fingerprint '%s'",
          name, ev->fingerprint);
    for (uint32_t i = 1; i < ev->nlabels; i++) {
        CHECK(strcmp(ev->labels[i - 1].key, ev->labels[i].key) < 0, "%s: labels sorted", name);
    }
}

static void run_case(size_t ci)
{
    const decode_case_t *c = &cases[ci];
    char path[512], buf[64];
    size_t len = 0;
    char *owned = NULL;
    const char *body;
    decode_limits_t lim;
    decode_result_t r;
    decode_context_t ctx = {.received_at_us = RECEIVED_US};

    if (c->ctx == CTX_INTEGRATIONS) {
        ctx.find_integration = find_integration;
    }
    if (c->file) {
        snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, c->file);
        body = owned = read_file(path, &len);
        CHECK(body != NULL, "%s: cannot read %s", c->name, path);
        if (!body) {
            return;
        }
    } else if (c->gen) {
        body = owned = c->gen(&len);
    } else {
        body = c->body;
        len = c->body_len ? c->body_len : strlen(c->body);
    }

    decode_limits_default(&lim);
    decode_result_init(&r);
    int rc = decode_any(c->format, body, len, &lim, &ctx, &r);

    CHECK(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
    CHECK(r.nevents == c->nevents, "%s: %zu events, want %zu", c->name, r.nevents, c->nevents);
    CHECK(r.nrejects == c->nrejects, "%s: %zu rejects, want %zu (first: %s: %s)", c->name,
          r.nrejects, c->nrejects, r.nrejects ? r.rejects[0].field : "-",
          r.nrejects ? r.rejects[0].error : "-");
    if (c->rj_index != NO_REJECT && r.nrejects > 0) {
        const decode_reject_t *rj = &r.rejects[0];
        CHECK(rj->index == c->rj_index, "%s: reject index %d, want %d", c->name, rj->index,
              c->rj_index);
        CHECK(strncmp(rj->field, c->rj_field, strlen(c->rj_field)) == 0,
              "%s: reject field '%s', want '%s'", c->name, rj->field, c->rj_field);
        CHECK(strstr(rj->error, c->rj_error) != NULL, "%s: reject error '%s', want '%s'", c->name,
              rj->error, c->rj_error);
    }
    for (size_t i = 0; i < r.nevents; i++) {
        check_event_invariants(c->name, r.events[i], c->format);
        if (i < 8) {
            memcpy(case_fp[ci][i], r.events[i]->fingerprint, sizeof case_fp[ci][i]);
        }
    }
    for (int e = 0; e < MAX_EXPECT && c->expect[e].field; e++) {
        const expect_t *x = &c->expect[e];
        const event_t *ev = x->ev >= 0 && (size_t)x->ev < r.nevents ? r.events[x->ev] : NULL;
        const char *got = field_value(&r, ev, x->field, buf, sizeof buf);
        CHECK(matches(got, x->want), "%s: event %d %s = '%s', want '%s'", c->name, x->ev, x->field,
              got ? got : "(null)", x->want);
    }
    decode_result_clear(&r);
    CHECK(r.nevents == 0 && r.events == NULL && r.nrejects == 0, "%s: clear", c->name);
    free(owned);
}

/* ------------------------------------------------------------------------ */
/* relations between cases: same alert, same fingerprint */

static size_t case_index(const char *name)
{
    for (size_t i = 0; i < NCASES; i++) {
        if (strcmp(cases[i].name, name) == 0) {
            return i;
        }
    }
    printf("FAIL: no case named '%s'\n", name);
    failures++;
    return 0;
}

static void test_relations(void)
{
    static const struct {
        const char *a;
        int ea;
        const char *b;
        int eb;
        int equal;
    } rel[] = {
        /* an alert keeps its fingerprint when it resolves */
        {"alertmanager firing", 0, "alertmanager partly resolved", 0, 1},
        {"alertmanager firing", 1, "alertmanager resolved", 0, 1},
        {"alertmanager firing", 0, "alertmanager firing", 1, 0},
        {"pagerduty trigger from Alertmanager", 0, "pagerduty resolve from Alertmanager", 0, 1},
        {"zabbix problem", 0, "zabbix recovery", 0, 1},
        {"zabbix problem", 0, "zabbix acknowledgement", 0, 1},
        /* same resource and check under other formats are other alerts */
        {"native array", 0, "native array", 1, 1},
        {"native array", 0, "native array", 2, 0},
    };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        const char *fa = case_fp[case_index(rel[i].a)][rel[i].ea];
        const char *fb = case_fp[case_index(rel[i].b)][rel[i].eb];
        CHECK(fa[0] && (strcmp(fa, fb) == 0) == rel[i].equal, "relation %s[%d] %s %s[%d]", rel[i].a,
              rel[i].ea, rel[i].equal ? "==" : "!=", rel[i].b, rel[i].eb);
    }
}

/* The same alert from the other member of an Alertmanager HA pair (other
 * receiver, other externalURL, other groupKey) dedups; without the sender's
 * fingerprint the label hash is used and differs from the key-based one. */
static void test_alertmanager_ha_pair(void)
{
    const char *a = "{\"receiver\":\"am-a\",\"externalURL\":\"http://am-a:9093\",\"alerts\":["
                    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\",\"device\":\"d\"},"
                    "\"fingerprint\":\"0123456789abcdef\"}]}";
    const char *b = "{\"receiver\":\"am-b\",\"externalURL\":\"http://am-b:9093\",\"groupKey\":"
                    "\"{}:{}\",\"alerts\":[{\"labels\":{\"device\":\"d\",\"alertname\":\"X\"},"
                    "\"status\":\"firing\",\"fingerprint\":\"0123456789abcdef\"}]}";
    const char *c = "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"X\","
                    "\"device\":\"d\"}}]}";
    decode_result_t ra, rb, rc;
    decode_context_t ctx = {.received_at_us = RECEIVED_US};
    decode_result_init(&ra);
    decode_result_init(&rb);
    decode_result_init(&rc);
    decode_alertmanager(a, strlen(a), NULL, &ctx, &ra);
    decode_alertmanager(b, strlen(b), NULL, &ctx, &rb);
    decode_alertmanager(c, strlen(c), NULL, &ctx, &rc);
    CHECK(ra.nevents == 1 && rb.nevents == 1 && rc.nevents == 1, "HA pair: events");
    if (ra.nevents == 1 && rb.nevents == 1 && rc.nevents == 1) {
        CHECK(strcmp(ra.events[0]->fingerprint, rb.events[0]->fingerprint) == 0,
              "HA pair: same fingerprint");
        CHECK(strcmp(ra.events[0]->fingerprint, rc.events[0]->fingerprint) != 0,
              "HA pair: label-hash fallback differs from the key");
    }
    decode_result_clear(&ra);
    decode_result_clear(&rb);
    decode_result_clear(&rc);
}

/* Two triggers without dedup_key are two alerts; scope separates the same
 * dedup_key under two integrations. */
static void test_pagerduty_keys(void)
{
    const char *t = "{\"routing_key\":\"k\",\"event_action\":\"trigger\",\"payload\":{"
                    "\"summary\":\"s\",\"source\":\"h\",\"severity\":\"info\"}}";
    const char *k1 = "{\"routing_key\":\"" PD_KEY "\",\"event_action\":\"resolve\","
                     "\"dedup_key\":\"same\"}";
    const char *k2 = "{\"routing_key\":\"test\",\"event_action\":\"resolve\","
                     "\"dedup_key\":\"same\"}";
    decode_context_t ctx = {.received_at_us = RECEIVED_US, .find_integration = find_integration};
    decode_result_t r1, r2;

    decode_result_init(&r1);
    decode_result_init(&r2);
    decode_pagerduty(t, strlen(t), NULL, NULL, &r1);
    decode_pagerduty(t, strlen(t), NULL, NULL, &r2);
    CHECK(r1.nevents == 1 && r2.nevents == 1 && strcmp(r1.dedup_key, r2.dedup_key) != 0 &&
              strcmp(r1.events[0]->fingerprint, r2.events[0]->fingerprint) != 0,
          "pagerduty: generated keys differ");
    decode_result_clear(&r1);
    decode_result_clear(&r2);

    decode_pagerduty(k1, strlen(k1), NULL, &ctx, &r1);
    decode_pagerduty(k2, strlen(k2), NULL, &ctx, &r2);
    CHECK(r1.nevents == 1 && r2.nevents == 1 &&
              strcmp(r1.events[0]->fingerprint, r2.events[0]->fingerprint) != 0,
          "pagerduty: same dedup_key under two integrations differs");
    decode_result_clear(&r1);
    decode_result_clear(&r2);
}

/* decode_result_take_events hands the events over; the result is reusable. */
static void test_take_events(void)
{
    const char *body =
        "[{\"resource\":\"a\",\"check\":\"b\"},{\"resource\":\"c\",\"check\":\"d\"}]";
    decode_result_t r;
    size_t n = 0;
    decode_result_init(&r);
    decode_native(body, strlen(body), NULL, NULL, &r);
    event_t **evs = decode_result_take_events(&r, &n);
    CHECK(n == 2 && evs && r.nevents == 0 && r.events == NULL, "take_events");
    for (size_t i = 0; i < n; i++) {
        event_destroy(&evs[i]);
    }
    free(evs);
    decode_native(body, strlen(body), NULL, NULL, &r);
    CHECK(r.nevents == 2, "result reusable after take");
    decode_result_clear(&r);
    CHECK(decode_any((event_format_t)99, body, strlen(body), NULL, NULL, &r) == -1 &&
              r.nrejects == 1 && strcmp(r.rejects[0].field, "format") == 0,
          "decode_any: unknown format");
    decode_result_clear(&r);
}

/* ------------------------------------------------------------------------ */
/* decode_detect */

static void test_detect(void)
{
    static const struct {
        const char *name;
        const char *file;
        const char *body;
        event_format_t want;
    } t[] = {
        {"am fixture", "alertmanager/webhook-firing.json", NULL, EVENT_FORMAT_ALERTMANAGER},
        {"pd fixture", "alertmanager/pagerduty-resolve.json", NULL, EVENT_FORMAT_PAGERDUTY},
        {"zabbix fixture", "zabbix/problem.json", NULL, EVENT_FORMAT_ZABBIX},
        {"native fixture", "native/single.json", NULL, EVENT_FORMAT_NATIVE},
        {"native array", "native/array.json", NULL, EVENT_FORMAT_NATIVE},
        {"keys after nested values", NULL,
         "{\"x\":{\"routing_key\":1,\"a\":[\"}\",{}]},\"event_action\":\"trigger\","
         "\"routing_key\":\"k\"}",
         EVENT_FORMAT_PAGERDUTY},
        {"nested keys do not count", NULL, "{\"x\":{\"version\":\"4\",\"alerts\":[]}}",
         EVENT_FORMAT_NATIVE},
        {"routing_key alone", NULL, "{\"routing_key\":\"k\"}", EVENT_FORMAT_NATIVE},
        {"escaped quote in key", NULL, "{\"a\\\"b\":1,\"version\":\"4\",\"alerts\":[]}",
         EVENT_FORMAT_ALERTMANAGER},
        {"garbage", NULL, "\x01\x02{", EVENT_FORMAT_NATIVE},
        {"key without a value", NULL, "{\"alertdesk_media_type\"", EVENT_FORMAT_ZABBIX},
        {"unterminated key", NULL, "{\"alertdesk_media_type", EVENT_FORMAT_NATIVE},
        {"unterminated key, escaped quote", NULL, "{\"alertdesk_media_type\\\"",
         EVENT_FORMAT_NATIVE},
        {"empty", NULL, "", EVENT_FORMAT_NATIVE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char path[512];
        size_t len;
        char *owned = NULL;
        const char *body = t[i].body;
        if (t[i].file) {
            snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, t[i].file);
            body = owned = read_file(path, &len);
            if (!body) {
                CHECK(0, "detect %s: cannot read", t[i].name);
                continue;
            }
        } else {
            len = strlen(body);
        }
        event_format_t got = decode_detect(body, len);
        CHECK(got == t[i].want, "detect %s: %s, want %s", t[i].name, event_format_name(got),
              event_format_name(t[i].want));
        free(owned);
    }
}

/* ------------------------------------------------------------------------ */
/* times and UTF-8 */

static void test_times(void)
{
    static const struct {
        const char *s;
        int flags;
        int ok;
        long long us;
    } t[] = {
        {"2026-11-25T03:17:49Z", 0, 1, 1795576669000000LL},
        {"2026-11-25t03:17:49z", 0, 1, 1795576669000000LL},
        {"2026-11-25 03:17:49Z", 0, 1, 1795576669000000LL},
        {"2026-11-25T03:17:49.774444993Z", 0, 1, 1795576669774444LL},
        {"2026-11-25T04:17:49.5+01:00", 0, 1, 1795576669500000LL},
        {"2026-11-24T22:47:49-04:30", 0, 1, 1795576669000000LL},
        {"1970-01-01T00:00:00Z", 0, 1, 0},
        {"1969-12-31T23:59:59Z", 0, 1, -1000000LL},
        {"0001-01-01T00:00:00Z", 0, 1, -62135596800LL * 1000000},
        {"2000-02-29T23:59:59Z", 0, 1, 951868799000000LL},
        {"9999-12-31T23:59:59Z", 0, 1, 253402300799000000LL},
        {"2026-11-25T03:17:60Z", 0, 1, 1795576680000000LL}, /* leap second */
        {"2015-07-17T08:42:58.315+0000", DECODE_ISO8601, 1, 1437122578315000LL},
        {"2015-07-17T10:42:58+02", DECODE_ISO8601, 1, 1437122578000000LL},
        {"2015-07-17T08:42:58.315+0000", 0, 0, 0},
        {"2026-11-25T03:17:49", 0, 0, 0},
        {"2026-11-25T03:17:49.Z", 0, 0, 0},
        {"2026-11-25T24:00:00Z", 0, 0, 0},
        {"2026-02-29T00:00:00Z", 0, 0, 0},
        {"1900-02-29T00:00:00Z", 0, 0, 0},
        {"2026-13-01T00:00:00Z", 0, 0, 0},
        {"2026-00-10T00:00:00Z", 0, 0, 0},
        {"2026-11-25T03:17:49+24:00", 0, 0, 0},
        {"2026-11-25T03:17:49Zjunk", 0, 0, 0},
        {"+2026-11-25T03:17:49Z", 0, 0, 0},
        {"2026-11-2", 0, 0, 0},
        {"yesterday", 0, 0, 0},
        {"", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t us = 0;
        int rc = decode_time_parse(t[i].s, strlen(t[i].s), t[i].flags, &us);
        CHECK((rc == 0) == t[i].ok, "time '%s': rc %d", t[i].s, rc);
        if (rc == 0 && t[i].ok) {
            CHECK(us == t[i].us, "time '%s': %lld, want %lld", t[i].s, (long long)us, t[i].us);
        }
    }
}

static void test_utf8(void)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* a é € 😀 */
    CHECK(decode_utf8_chars(s, strlen(s)) == 4, "utf8 chars");
    CHECK(decode_utf8_cut(s, strlen(s), 100) == 10, "utf8 cut: fits");
    CHECK(decode_utf8_cut(s, strlen(s), 2) == 1, "utf8 cut: not inside é");
    CHECK(decode_utf8_cut(s, strlen(s), 3) == 3, "utf8 cut: after é");
    CHECK(decode_utf8_cut(s, strlen(s), 8) == 6, "utf8 cut: not inside the emoji");
}

/* ------------------------------------------------------------------------ */
/* every fixture file has a case */

static int fixture_used(const char *rel)
{
    for (size_t i = 0; i < NCASES; i++) {
        if (cases[i].file && strcmp(cases[i].file, rel) == 0) {
            return 1;
        }
    }
    return 0;
}

static void test_fixture_coverage(void)
{
    static const char *const dirs[] = {"native", "bad", "zabbix", "alertmanager"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char path[512], rel[512];
        snprintf(path, sizeof path, "%s/%s", FIXTURES_DIR, dirs[d]);
        DIR *dir = opendir(path);
        CHECK(dir != NULL, "cannot open %s", path);
        if (!dir) {
            continue;
        }
        for (struct dirent *de; (de = readdir(dir));) {
            size_t n = strlen(de->d_name);
            if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0) {
                continue;
            }
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], de->d_name);
            CHECK(fixture_used(rel), "fixture %s has no case in test_decode.c", rel);
        }
        closedir(dir);
    }
}

int main(void)
{
    for (size_t i = 0; i < NCASES; i++) {
        run_case(i);
    }
    test_relations();
    test_alertmanager_ha_pair();
    test_pagerduty_keys();
    test_take_events();
    test_detect();
    test_times();
    test_utf8();
    test_fixture_coverage();
    if (failures) {
        printf("test_decode: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_decode: %zu cases passed\n", NCASES);
    return 0;
}
