/*
 * test_wire - the binary event encoding: every field survives a round trip,
 * several events decode back to back, and every malformed buffer (each
 * truncation of a valid one, a wrong magic or version, out-of-range enums,
 * a length past the end, an embedded NUL) is refused without a crash.
 */
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "wire.h"
#include "unit_check.h"

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static event_t *sample(int with_optionals)
{
    event_t *ev = event_new(EVENT_FORMAT_ALERTMANAGER);
    ev->source = event_strdup(ev, "alertmanager");
    ev->resource = event_strdup(ev, "sw1.ams1");
    ev->check = event_strdup(ev, "LinkDown");
    ev->severity = EVENT_SEVERITY_CRITICAL;
    ev->status = EVENT_STATUS_RESOLVED;
    if (with_optionals) {
        ev->summary = event_strdup(ev, "Link xe-0/0/1 down on sw1.ams1 — ünïcode");
        ev->description = event_strdup(ev, "");
        ev->dedup_key = event_strdup(ev, "97b6c7895668e6b0");
        event_label_set(ev, "site", "ams1");
        event_label_set(ev, "alertname", "LinkDown");
        event_label_set(ev, "empty", "");
        event_annotation_set(ev, "runbook", "https://wiki/x");
    }
    ev->occurred_at_us = -1234567; /* before the epoch on purpose */
    ev->received_at_us = 1795576670784904;
    ev->seq = 9007199254740993LL; /* beyond a double's exact integers */
    memcpy(ev->fingerprint, "0123456789abcdef0123456789abcdef", 33);
    return ev;
}

static void check_same(const event_t *a, const event_t *b, const char *what)
{
    CHECK(a->format == b->format && a->severity == b->severity && a->status == b->status,
          "%s: enums", what);
    CHECK(a->occurred_at_us == b->occurred_at_us && a->received_at_us == b->received_at_us &&
              a->seq == b->seq,
          "%s: integers", what);
    CHECK(strcmp(a->fingerprint, b->fingerprint) == 0, "%s: fingerprint", what);
    CHECK(str_eq(a->source, b->source) && str_eq(a->resource, b->resource) &&
              str_eq(a->check, b->check) && str_eq(a->summary, b->summary) &&
              str_eq(a->description, b->description) && str_eq(a->dedup_key, b->dedup_key),
          "%s: strings (NULL and \"\" must stay distinct)", what);
    CHECK(a->nlabels == b->nlabels && a->nannotations == b->nannotations, "%s: map sizes", what);
    for (uint32_t i = 0; i < a->nlabels && i < b->nlabels; i++) {
        CHECK(strcmp(a->labels[i].key, b->labels[i].key) == 0 &&
                  strcmp(a->labels[i].value, b->labels[i].value) == 0,
              "%s: label %u", what, i);
    }
    for (uint32_t i = 0; i < a->nannotations && i < b->nannotations; i++) {
        CHECK(strcmp(a->annotations[i].key, b->annotations[i].key) == 0 &&
                  strcmp(a->annotations[i].value, b->annotations[i].value) == 0,
              "%s: annotation %u", what, i);
    }
}

static void test_round_trip(void)
{
    for (int opt = 0; opt <= 1; opt++) {
        event_t *ev = sample(opt);
        wire_buf_t b;
        wire_buf_init(&b);
        wire_encode(ev, &b);
        wire_encode(ev, &b); /* two back to back */
        event_t *out = NULL;
        size_t used = 0;
        CHECK(wire_decode(b.data, b.len, &out, &used) == 0, "decode #1 (opt=%d)", opt);
        if (out) {
            check_same(ev, out, opt ? "with optionals" : "minimal");
            event_destroy(&out);
        }
        CHECK(used * 2 == b.len, "used %zu of %zu", used, b.len);
        event_t *second = NULL;
        size_t used2 = 0;
        CHECK(wire_decode(b.data + used, b.len - used, &second, &used2) == 0 && used2 == used,
              "decode #2 (opt=%d)", opt);
        event_destroy(&second);
        wire_buf_free(&b);
        event_destroy(&ev);
    }
}

static void test_malformed(void)
{
    event_t *ev = sample(1);
    wire_buf_t b;
    wire_buf_init(&b);
    wire_encode(ev, &b);
    event_destroy(&ev);
    event_t *out = NULL;
    size_t used;
    /* Every strict prefix is incomplete. */
    for (size_t len = 0; len < b.len; len++) {
        int rc = wire_decode(b.data, len, &out, &used);
        CHECK(rc == -1 && out == NULL, "prefix of %zu bytes accepted", len);
        event_destroy(&out);
    }
    struct {
        size_t at;
        uint8_t value;
        const char *what;
    } cases[] = {
        {0, 'X', "magic"},  {1, 2, "version"},    {2, 0, "format 0"},
        {2, 9, "format 9"}, {3, 6, "severity 6"}, {4, 4, "status 4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t saved = b.data[cases[i].at];
        b.data[cases[i].at] = cases[i].value;
        CHECK(wire_decode(b.data, b.len, &out, &used) == -1, "%s accepted", cases[i].what);
        event_destroy(&out);
        b.data[cases[i].at] = saved;
    }
    /* The source string's length byte follows the fixed header (5 + 24 + 32):
     * a huge length must be refused, not read past the end. */
    size_t at = 5 + 24 + EVENT_FINGERPRINT_HEX;
    uint8_t saved = b.data[at];
    b.data[at] = 0x7f;
    CHECK(wire_decode(b.data, b.len, &out, &used) == -1, "length past the end accepted");
    event_destroy(&out);
    b.data[at] = saved;
    /* An embedded NUL inside the source string ("alertmanager" starts at +1). */
    b.data[at + 3] = '\0';
    CHECK(wire_decode(b.data, b.len, &out, &used) == -1, "embedded NUL accepted");
    event_destroy(&out);
    wire_buf_free(&b);
}

int main(void)
{
    test_round_trip();
    test_malformed();
    if (failures) {
        printf("test_wire: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_wire: ok\n");
    return 0;
}
