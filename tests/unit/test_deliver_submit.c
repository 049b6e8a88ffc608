/*
 * test_deliver_submit - deliver_submit()'s promises that need no peer:
 * refusals call done() once, before deliver_submit() returns, with the
 * right result and an error without secrets; attempts still in flight at
 * deliver_destroy() get done() once with RETRY "shutting down"; channel and
 * result names round-trip.
 *
 * The in-flight attempts target 192.0.2.1 (TEST-NET-1) and are never polled,
 * so no packet leaves the machine. tests/integration/test_deliver.sh does
 * the real transfers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "metrics.h"
#include "settings.h"
#include "unit_check.h"

typedef struct {
    int calls;
    int64_t id;
    deliver_result_t r;
    int64_t retry_after_us;
    char error[512];
} outcome_t;

static void on_done(void *arg, int64_t id, deliver_result_t r, int64_t retry_after_us,
                    int http_status, const char *error)
{
    outcome_t *o = arg;
    (void)http_status;
    o->calls++;
    o->id = id;
    o->r = r;
    o->retry_after_us = retry_after_us;
    snprintf(o->error, sizeof o->error, "%s", error ? error : "");
}

static void test_refusals(void)
{
    settings_t s;
    char err[256];
    if (settings_load(NULL, &s, err, sizeof err) != 0) {
        fail("refusals", "defaults do not load: %s", err);
        return;
    }
    /* Defaults: empty allow-list, no SMTP, no SMS gateway. */
    free(s.notifier_webhook_secret);
    s.notifier_webhook_secret = strdup("sekrit-key");
    deliver_t *d = deliver_new(&s);
    settings_free(&s);
    static const struct {
        deliver_channel_t channel;
        const char *target, *want_error;
        deliver_result_t want;
    } cases[] = {
        {DELIVER_WEBHOOK, "https://hooks.example.com/T0K3N", "allowed_url_prefixes is empty",
         DELIVER_FATAL},
        {DELIVER_CHAT, "https://chat.example.com/hooks/T0K3N", "allowed_url_prefixes is empty",
         DELIVER_FATAL},
        {DELIVER_EMAIL, "oncall@example.org", "notifier.smtp.url is empty", DELIVER_FATAL},
        {DELIVER_SMS, "+31612345678", "notifier.sms.url is empty", DELIVER_FATAL},
        {(deliver_channel_t)99, "x", "unknown channel", DELIVER_FATAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        outcome_t o = {0};
        deliver_msg_t m = {.id = (int64_t)i + 100,
                           .channel = cases[i].channel,
                           .attempt = 1,
                           .target = cases[i].target,
                           .text = "x"};
        deliver_submit(d, &m, on_done, &o);
        if (o.calls != 1 || o.id != m.id || o.r != cases[i].want ||
            !strstr(o.error, cases[i].want_error)) {
            fail("refusals", "case %zu: calls=%d id=%lld r=%s error='%s'", i, o.calls,
                 (long long)o.id, deliver_result_name(o.r), o.error);
        }
        if (strstr(o.error, "T0K3N") || strstr(o.error, "sekrit")) {
            fail("refusals", "case %zu: error '%s' shows a secret", i, o.error);
        }
    }
    if (deliver_in_flight(d) != 0 || deliver_poll(d, 0) != 0) {
        fail("refusals", "refusals must leave nothing in flight");
    }
    deliver_destroy(&d);
    deliver_destroy(&d); /* NULL is fine */
}

static void test_destroy_in_flight(void)
{
    settings_t s;
    char err[256];
    if (settings_load(NULL, &s, err, sizeof err) != 0) {
        fail("destroy", "defaults do not load: %s", err);
        return;
    }
    s.notifier_allowed_urls = realloc(s.notifier_allowed_urls, sizeof(char *));
    s.notifier_allowed_urls[0] = strdup("http://192.0.2.1/");
    s.nnotifier_allowed_urls = 1;
    deliver_t *d = deliver_new(&s);
    settings_free(&s);
    outcome_t o[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        deliver_msg_t m = {.id = i + 1,
                           .channel = DELIVER_WEBHOOK,
                           .attempt = 1,
                           .target = "http://192.0.2.1/hook",
                           .json = "{}"};
        deliver_submit(d, &m, on_done, &o[i]);
        if (o[i].calls != 0) {
            fail("destroy", "attempt %d finished at submit: %s", i + 1, o[i].error);
        }
    }
    if (deliver_in_flight(d) != 3) {
        fail("destroy", "in flight %d, want 3", deliver_in_flight(d));
    }
    deliver_destroy(&d);
    for (int i = 0; i < 3; i++) {
        if (o[i].calls != 1 || o[i].r != DELIVER_RETRY || strcmp(o[i].error, "shutting down")) {
            fail("destroy", "attempt %d: calls=%d r=%s error='%s'", i + 1, o[i].calls,
                 deliver_result_name(o[i].r), o[i].error);
        }
    }
    if (d) {
        fail("destroy", "pointer not set to NULL");
    }
}

static void test_names(void)
{
    for (int c = DELIVER_WEBHOOK; c <= DELIVER_SMS; c++) {
        deliver_channel_t back;
        const char *name = deliver_channel_name((deliver_channel_t)c);
        if (!name || deliver_channel_parse(name, &back) != 0 || back != (deliver_channel_t)c) {
            fail("names", "channel %d does not round-trip", c);
        }
    }
    deliver_channel_t x;
    if (deliver_channel_parse("pager", &x) == 0 || deliver_channel_name((deliver_channel_t)0)) {
        fail("names", "unknown channels must be refused");
    }
    if (strcmp(deliver_result_name(DELIVER_OK), "OK") ||
        strcmp(deliver_result_name(DELIVER_RETRY), "RETRY") ||
        strcmp(deliver_result_name(DELIVER_FATAL), "FATAL")) {
        fail("names", "result names are not CONVENTIONS.md's OK/RETRY/FATAL");
    }
}

int main(void)
{
    test_refusals();
    test_destroy_in_flight();
    test_names();
    metrics_shutdown();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_deliver_submit: all passed\n");
    return 0;
}
