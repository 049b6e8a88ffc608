/*
 * test_deliver_backoff - the pure parts of notifier/deliver: retry back-off
 * (bounds, growth, jitter, determinism), the classification of HTTP and
 * SMTP answers, Retry-After parsing, and the guards driven with a made-up
 * clock (allow-list, token bucket, circuit breaker).
 *
 * Table-driven; prints every failing case and exits non-zero if any failed.
 * No network: tests/integration/test_deliver.sh covers the real transfers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "deliver_internal.h"
#include "unit_check.h"

/* Bounds: every delay lies in [base, min(max, base * 2^n)]. */
static void test_backoff_bounds(void)
{
    static const struct {
        int64_t base, max;
    } cases[] = {{1000000, 300000000}, {10000, 10000}, {0, 5000}, {250000, 1000000}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t rng = 42 + c;
        for (int n = 0; n <= 70; n++) {
            int64_t ceiling = cases[c].base;
            for (int i = 0; i < (n < 1 ? 1 : n) && ceiling < cases[c].max; i++) {
                ceiling = ceiling * 2 > cases[c].max ? cases[c].max : ceiling * 2;
            }
            for (int k = 0; k < 200; k++) {
                int64_t v = deliver_backoff_us(n, cases[c].base, cases[c].max, &rng);
                if (v < cases[c].base || v > ceiling || v > cases[c].max) {
                    fail("backoff_bounds", "base=%lld max=%lld n=%d: %lld outside [%lld, %lld]",
                         (long long)cases[c].base, (long long)cases[c].max, n, (long long)v,
                         (long long)cases[c].base, (long long)ceiling);
                    return;
                }
            }
        }
    }
}

/* Growth: the mean delay roughly doubles per attempt until it meets max, and
 * late attempts reach close to max. Jitter: delays of one attempt differ. */
static void test_backoff_growth_jitter(void)
{
    const int64_t base = 1000000, max = 60000000;
    uint64_t rng = 7;
    double prev = 0;
    for (int n = 1; n <= 5; n++) {
        double sum = 0;
        int64_t lo = INT64_MAX, hi = 0;
        for (int k = 0; k < 4000; k++) {
            int64_t v = deliver_backoff_us(n, base, max, &rng);
            sum += (double)v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        double mean = sum / 4000;
        /* uniform on [base, base*2^n]: mean = base * (1 + 2^n) / 2 */
        double want = (double)base * (1.0 + (double)(1 << n)) / 2.0;
        if (mean < want * 0.9 || mean > want * 1.1) {
            fail("backoff_growth", "n=%d mean %.0f, want about %.0f", n, mean, want);
        }
        if (mean <= prev) {
            fail("backoff_growth", "n=%d mean %.0f not above n-1's %.0f", n, mean, prev);
        }
        if (hi - lo < (int64_t)((double)((1 << n) - 1) * (double)base * 0.8)) {
            fail("backoff_jitter", "n=%d spread %lld too narrow", n, (long long)(hi - lo));
        }
        prev = mean;
    }
    int64_t big = 0;
    for (int k = 0; k < 1000; k++) {
        int64_t v = deliver_backoff_us(30, base, max, &rng);
        big = v > big ? v : big;
    }
    if (big < max * 9 / 10) {
        fail("backoff_growth", "attempt 30 never came near max (best %lld)", (long long)big);
    }
}

/* Determinism: the same state gives the same sequence, another state
 * another; state 0 is a valid seed. */
static void test_backoff_determinism(void)
{
    uint64_t a = 0, b = 0, c = 1;
    int same = 1, differ = 0;
    for (int n = 1; n < 50; n++) {
        int64_t va = deliver_backoff_us(n, 1000, 1000000000, &a);
        int64_t vb = deliver_backoff_us(n, 1000, 1000000000, &b);
        int64_t vc = deliver_backoff_us(n, 1000, 1000000000, &c);
        same &= va == vb;
        differ |= va != vc;
    }
    if (!same) {
        fail("backoff_determinism", "two equal states gave different sequences");
    }
    if (!differ) {
        fail("backoff_determinism", "states 0 and 1 gave the same sequence");
    }
    if (a != b || a == 0) {
        fail("backoff_determinism", "state did not advance the same way");
    }
}

static void test_classify(void)
{
    static const struct {
        long status;
        deliver_result_t want;
    } http[] = {{200, DELIVER_OK},    {201, DELIVER_OK},    {204, DELIVER_OK},
                {299, DELIVER_OK},    {301, DELIVER_FATAL}, {400, DELIVER_FATAL},
                {401, DELIVER_FATAL}, {404, DELIVER_FATAL}, {408, DELIVER_RETRY},
                {409, DELIVER_FATAL}, {429, DELIVER_RETRY}, {500, DELIVER_RETRY},
                {502, DELIVER_RETRY}, {503, DELIVER_RETRY}, {599, DELIVER_RETRY},
                {0, DELIVER_FATAL},   {100, DELIVER_FATAL}};
    for (size_t i = 0; i < sizeof http / sizeof http[0]; i++) {
        deliver_result_t got = deliver_classify_http(http[i].status);
        if (got != http[i].want) {
            fail("classify_http", "%ld: got %s, want %s", http[i].status, deliver_result_name(got),
                 deliver_result_name(http[i].want));
        }
    }
    static const struct {
        long code;
        deliver_result_t want;
    } smtp[] = {{250, DELIVER_OK},    {354, DELIVER_OK},    {421, DELIVER_RETRY},
                {451, DELIVER_RETRY}, {452, DELIVER_RETRY}, {550, DELIVER_FATAL},
                {554, DELIVER_FATAL}, {0, DELIVER_FATAL}};
    for (size_t i = 0; i < sizeof smtp / sizeof smtp[0]; i++) {
        deliver_result_t got = deliver_classify_smtp(smtp[i].code);
        if (got != smtp[i].want) {
            fail("classify_smtp", "%ld: got %s, want %s", smtp[i].code, deliver_result_name(got),
                 deliver_result_name(smtp[i].want));
        }
    }
}

static void test_retry_after(void)
{
    const time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    static const struct {
        const char *value;
        int64_t want;
    } cases[] = {
        {"0", 0},
        {"2", 2000000},
        {" 120 ", 120000000},
        {"Sun, 06 Nov 1994 08:49:47 GMT", 10000000},  /* IMF-fixdate */
        {"Sunday, 06-Nov-94 08:50:37 GMT", 60000000}, /* RFC 850 */
        {"Sun Nov  6 08:49:38 1994", 1000000},        /* asctime */
        {"Sun, 06 Nov 1994 08:00:00 GMT", 0},         /* in the past */
        {"2s", -1},
        {"soon", -1},
        {"", -1},
        {"99999999999", 86400LL * 365 * 1000000}, /* capped at a year */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = deliver_retry_after_parse(cases[i].value, now);
        if (got != cases[i].want) {
            fail("retry_after", "'%s': got %lld, want %lld", cases[i].value, (long long)got,
                 (long long)cases[i].want);
        }
    }
    if (deliver_retry_after_parse(NULL, now) != -1) {
        fail("retry_after", "NULL should be -1");
    }
}

static void test_allowlist(void)
{
    char *prefixes[] = {"https://hooks.example.com/services/", "http://127.0.0.1:8080"};
    deliver_guard_t *g = deliver_guard_new(prefixes, 2, 30, 3, 1000);
    static const struct {
        const char *url;
        int want;
        const char *why;
    } cases[] = {
        {"https://hooks.example.com/services/T1/B2/x", 0, "under a prefix ending in /"},
        {"http://127.0.0.1:8080/hook", 0, "prefix then a path"},
        {"http://127.0.0.1:8080", 0, "the prefix itself"},
        {"http://127.0.0.1:8080?x=1", 0, "prefix then a query"},
        {"http://127.0.0.1:80801/hook", -1, "a longer port is another endpoint"},
        {"https://hooks.example.com.evil.net/services/", -1, "another host"},
        {"https://hooks.example.com/other", -1, "outside the path prefix"},
        {"https://hooks.example.com/services/../admin", -1, "dot segments"},
        {"https://hooks.example.com/services/%2e%2e/admin", -1, "encoded dots"},
        {"https://hooks.example.com/services/./x", -1, "single dot segment"},
        {"https://hooks.example.com/services/.well-known", 0, "a name starting with a dot"},
        {"https://user:pw@hooks.example.com/services/x", -1, "user info"},
        {"ftp://hooks.example.com/services/x", -1, "not http(s)"},
        {"https://hooks.example.com/services/x y", -1, "a space"},
        {"https://hooks.example.com/services/x\r\nHost: evil", -1, "CR LF"},
        {"", -1, "empty"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int got = deliver_guard_url(g, cases[i].url, err, sizeof err);
        if (got != cases[i].want) {
            fail("allowlist", "%s (%s): got %d, want %d", cases[i].why, cases[i].url, got,
                 cases[i].want);
        }
        if (got != 0 && (strstr(err, "pw") || strstr(err, "/services") || strstr(err, "admin"))) {
            fail("allowlist", "%s: error '%s' shows the URL's path or password", cases[i].why, err);
        }
    }
    deliver_guard_destroy(&g);
    if (g) {
        fail("allowlist", "destroy did not set the pointer to NULL");
    }

    deliver_guard_t *none = deliver_guard_new(NULL, 0, 30, 3, 1000);
    if (deliver_guard_url(none, "https://hooks.example.com/x", err, sizeof err) == 0 ||
        !strstr(err, "empty")) {
        fail("allowlist", "an empty list must refuse every URL and say so (got '%s')", err);
    }
    deliver_guard_destroy(&none);
}

static void test_endpoint(void)
{
    static const struct {
        const char *url, *want;
    } cases[] = {
        {"https://Hooks.Example.com/services/SECRET", "https://hooks.example.com:443"},
        {"http://u:p@127.0.0.1/x", "http://127.0.0.1:80"},
        {"http://127.0.0.1:8080/x?y", "http://127.0.0.1:8080"},
        {"smtp://mail.example.org", "smtp://mail.example.org:25"},
        {"not a url", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = deliver_endpoint(cases[i].url);
        if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want) != 0)) {
            fail("endpoint", "%s: got %s, want %s", cases[i].url, got ? got : "NULL",
                 cases[i].want ? cases[i].want : "NULL");
        }
        free(got);
    }
}

/* Token bucket of 6/min: 6 at once, the 7th waits 10 s; after 10 s one more. */
static void test_rate_limit(void)
{
    deliver_guard_t *g = deliver_guard_new(NULL, 0, 6, 3, 1000);
    int64_t t = 1000000000;
    for (int i = 0; i < 6; i++) {
        if (deliver_guard_rate_take(g, "a", t) != 0) {
            fail("rate_limit", "send %d of the burst refused", i + 1);
        }
    }
    int64_t wait = deliver_guard_rate_take(g, "a", t);
    if (wait < 9900000 || wait > 10100000) {
        fail("rate_limit", "7th send: wait %lld, want about 10 s", (long long)wait);
    }
    if (deliver_guard_rate_take(g, "b", t) != 0) {
        fail("rate_limit", "another target must have its own bucket");
    }
    if (deliver_guard_rate_take(g, "a", t + 5000000) == 0) {
        fail("rate_limit", "half a token after 5 s is not a send");
    }
    if (deliver_guard_rate_take(g, "a", t + 10000001) != 0) {
        fail("rate_limit", "after 10 s one send must pass");
    }
    deliver_guard_rate_refund(g, "a");
    if (deliver_guard_rate_take(g, "a", t + 10000001) != 0) {
        fail("rate_limit", "a refunded token must be usable");
    }
    deliver_guard_prune(g, t + 3600000000LL); /* full buckets disappear */
    for (int i = 0; i < 6; i++) {
        if (deliver_guard_rate_take(g, "a", t + 3600000000LL) != 0) {
            fail("rate_limit", "after an hour the burst must be whole again");
        }
    }
    deliver_guard_destroy(&g);
}

/* 3 failures open for 1 s; then one trial; trial failure reopens; trial
 * success closes; a success in between resets the count. */
static void test_circuit(void)
{
    deliver_guard_t *g = deliver_guard_new(NULL, 0, 30, 3, 1000);
    const char *ep = "http://h:80";
    int64_t t = 5000000;
    for (int i = 0; i < 2; i++) {
        if (deliver_guard_circuit_allow(g, ep, t) != 0 ||
            deliver_guard_circuit_record(g, ep, true, t)) {
            fail("circuit", "failure %d must not open it yet", i + 1);
        }
    }
    deliver_guard_circuit_record(g, ep, false, t); /* success resets */
    for (int i = 0; i < 2; i++) {
        deliver_guard_circuit_record(g, ep, true, t);
    }
    if (deliver_guard_circuit_allow(g, ep, t) != 0) {
        fail("circuit", "2 failures after a success must keep it closed");
    }
    if (!deliver_guard_circuit_record(g, ep, true, t)) {
        fail("circuit", "the 3rd consecutive failure must open it");
    }
    int64_t wait = deliver_guard_circuit_allow(g, ep, t + 400000);
    if (wait != 600000) {
        fail("circuit", "open: wait %lld, want the remaining 600000", (long long)wait);
    }
    if (deliver_guard_circuit_allow(g, "http://other:80", t) != 0) {
        fail("circuit", "another endpoint must not be affected");
    }
    if (deliver_guard_circuit_allow(g, ep, t + 1000000) != 0) {
        fail("circuit", "after the cool-down one trial must pass");
    }
    if (deliver_guard_circuit_allow(g, ep, t + 1000000) == 0) {
        fail("circuit", "a second attempt during the trial must wait");
    }
    if (!deliver_guard_circuit_record(g, ep, true, t + 1100000)) {
        fail("circuit", "a failed trial must reopen it");
    }
    if (deliver_guard_circuit_allow(g, ep, t + 1200000) == 0) {
        fail("circuit", "reopened: must refuse");
    }
    if (deliver_guard_circuit_allow(g, ep, t + 2100000) != 0) {
        fail("circuit", "second cool-down over: trial must pass");
    }
    deliver_guard_circuit_record(g, ep, false, t + 2200000);
    if (deliver_guard_circuit_allow(g, ep, t + 2200000) != 0 ||
        deliver_guard_circuit_allow(g, ep, t + 2200000) != 0) {
        fail("circuit", "a successful trial must close it");
    }
    deliver_guard_destroy(&g);
}

/* The mail text: headers, threading, header injection, CRLF. */
static void test_mail_text(void)
{
    deliver_msg_t m = {.id = 9,
                       .channel = DELIVER_EMAIL,
                       .target = "oncall@example.org",
                       .idempotency_key = "n9/a b",
                       .subject = "P1 down\r\nBcc: evil@example.org",
                       .text = "line1\nline2",
                       .thread_key = "NOC-7"};
    char *t = deliver_smtp_message("Alertdesk <desk@example.net>", &m, 0);
    static const char *const want[] = {
        "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n",
        "From: Alertdesk <desk@example.net>\r\n",
        "To: oncall@example.org\r\n",
        "Subject: P1 down  Bcc: evil@example.org\r\n",
        "Message-ID: <n9_a_b@example.net>\r\n",
        "In-Reply-To: <t.NOC-7@example.net>\r\n",
        "References: <t.NOC-7@example.net>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=UTF-8\r\n",
        "\r\n\r\nline1\r\nline2\r\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(t, want[i])) {
            fail("mail_text", "missing '%s' in:\n%s", want[i], t);
        }
    }
    if (strstr(t, "\r\nBcc:")) {
        fail("mail_text", "subject injected a header");
    }
    free(t);
    m.thread_first = true;
    t = deliver_smtp_message("desk@example.net", &m, 0);
    if (!strstr(t, "Message-ID: <t.NOC-7@example.net>\r\n") || strstr(t, "In-Reply-To")) {
        fail("mail_text", "thread_first: want the thread id as Message-ID, no In-Reply-To:\n%s", t);
    }
    free(t);
}

int main(void)
{
    test_backoff_bounds();
    test_backoff_growth_jitter();
    test_backoff_determinism();
    test_classify();
    test_retry_after();
    test_allowlist();
    test_endpoint();
    test_rate_limit();
    test_circuit();
    test_mail_text();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("test_deliver_backoff: all passed\n");
    return 0;
}
