/*
 * test_metrics - the Prometheus registry (metrics.c).
 *
 * Counters under concurrent increments, histogram buckets (cumulative, +Inf
 * equal to _count), identity of name + labels, label escaping, family order
 * and golden exposition lines, gauge callbacks and the process_* metrics.
 * Prints every failing case and exits non-zero if any failed. Runs under
 * ASan: metrics_shutdown() must leave nothing behind.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "unit_check.h"

#define THREADS    2
#define INCREMENTS 100000

/* Asserts that every golden line (a whole line) is in text. */
static void expect_lines(const char *name, const char *text, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        const char *p = text;
        bool found = false;
        while ((p = strstr(p, lines[i])) != NULL) {
            if ((p == text || p[-1] == '\n') && p[len] == '\n') {
                found = true;
                break;
            }
            p++;
        }
        if (!found) {
            fail(name, "missing line \"%s\" in:\n%s", lines[i], text);
        }
    }
}

static void *inc_thread(void *arg)
{
    metric_t *m = arg;
    for (int i = 0; i < INCREMENTS; i++) {
        metric_inc(m);
    }
    return NULL;
}

static void *observe_thread(void *arg)
{
    metric_t *m = arg;
    for (int i = 0; i < INCREMENTS; i++) {
        metric_observe(m, (double)(i % 4)); /* 0, 1, 2, 3 */
    }
    return NULL;
}

static void test_concurrent(void)
{
    metric_t *c = metrics_counter("test_concurrent_total", "Concurrent increments.", NULL);
    double bounds[] = {0.5, 1.5, 2.5};
    metric_t *h =
        metrics_histogram("test_concurrent_seconds", "Concurrent observations.", NULL, bounds, 3);
    pthread_t t[2 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t[i], NULL, inc_thread, c);
        pthread_create(&t[THREADS + i], NULL, observe_thread, h);
    }
    for (int i = 0; i < 2 * THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    char *text = metrics_render(NULL);
    static const char *const want[] = {
        "test_concurrent_total 200000",
        "test_concurrent_seconds_bucket{le=\"0.5\"} 50000",
        "test_concurrent_seconds_bucket{le=\"1.5\"} 100000",
        "test_concurrent_seconds_bucket{le=\"2.5\"} 150000",
        "test_concurrent_seconds_bucket{le=\"+Inf\"} 200000",
        "test_concurrent_seconds_sum 300000",
        "test_concurrent_seconds_count 200000",
    };
    expect_lines("2 threads x 100k", text, want, sizeof want / sizeof want[0]);
    free(text);
}

static double gauge_cb(void *arg)
{
    return *(double *)arg;
}

static void test_render(void)
{
    /* Registered out of order: families come out sorted by name. */
    metric_t *z = metrics_gauge("zz_queue_depth", "Events queued.", NULL);
    metric_t *a1 =
        metrics_counter("aa_events_total", "Events accepted.", "intake=\"http\",format=\"native\"");
    metric_t *a2 =
        metrics_counter("aa_events_total", "Events accepted.", "intake=\"zmq\",format=\"native\"");
    metric_t *again =
        metrics_counter("aa_events_total", "ignored", "intake=\"http\",format=\"native\"");
    if (again != a1) {
        fail("same name and labels", "a different metric came back");
    }
    if (a2 == a1) {
        fail("other labels", "the same metric came back");
    }
    metric_inc(a1);
    metric_inc(a1);
    metric_add(a1, 3);
    metric_inc(a2);
    metric_set(z, 42);
    metric_add(z, -2.5);
    metric_inc(z);

    double bounds[] = {0.25, 0.5, 1, 2};
    metric_t *h =
        metrics_histogram("mm_commit_seconds", "Commit latency.", "stream=\"ingest-1\"", bounds, 4);
    double obs[] = {0.125, 0.25, 0.375, 0.75, 1.5, 8, 0.5};
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++) {
        metric_observe(h, obs[i]);
    }
    static double gauge_value = 7.25;
    metrics_gauge_fn("mm_callback", "Computed at scrape.", NULL, gauge_cb, &gauge_value);

    /* Escaping: the caller's escapes are understood, raw specials escaped. */
    metric_t *e1 = metrics_counter("ee_escaped_total", "Help with \\ backslash\nand newline.",
                                   "path=\"a\\\"b\\\\c\\nd\"");
    metric_t *e2 = metrics_counter("ee_escaped_total", "x", "path=\"raw\nline \\x\"");
    char *esc = metrics_label_escape("q\"b\\s\nn");
    char labels[128];
    snprintf(labels, sizeof labels, "path=\"%s\"", esc);
    metric_t *e3 = metrics_counter("ee_escaped_total", "x", labels);
    free(esc);
    metric_inc(e1);
    metric_add(e2, 0.5);
    metric_add(e3, 1e-7);

    char *text = metrics_render(NULL);
    static const char *const want[] = {
        "# HELP aa_events_total Events accepted.",
        "# TYPE aa_events_total counter",
        "aa_events_total{intake=\"http\",format=\"native\"} 5",
        "aa_events_total{intake=\"zmq\",format=\"native\"} 1",
        "# HELP ee_escaped_total Help with \\\\ backslash\\nand newline.",
        "ee_escaped_total{path=\"a\\\"b\\\\c\\nd\"} 1",
        "ee_escaped_total{path=\"raw\\nline \\\\x\"} 0.5",
        "ee_escaped_total{path=\"q\\\"b\\\\s\\nn\"} 1e-07",
        "# TYPE mm_callback gauge",
        "mm_callback 7.25",
        "# TYPE mm_commit_seconds histogram",
        "mm_commit_seconds_bucket{stream=\"ingest-1\",le=\"0.25\"} 2",
        "mm_commit_seconds_bucket{stream=\"ingest-1\",le=\"0.5\"} 4",
        "mm_commit_seconds_bucket{stream=\"ingest-1\",le=\"1\"} 5",
        "mm_commit_seconds_bucket{stream=\"ingest-1\",le=\"2\"} 6",
        "mm_commit_seconds_bucket{stream=\"ingest-1\",le=\"+Inf\"} 7",
        "mm_commit_seconds_sum{stream=\"ingest-1\"} 11.5",
        "mm_commit_seconds_count{stream=\"ingest-1\"} 7",
        "# HELP zz_queue_depth Events queued.",
        "# TYPE zz_queue_depth gauge",
        "zz_queue_depth 40.5",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_start_time_seconds gauge",
    };
    expect_lines("render golden lines", text, want, sizeof want / sizeof want[0]);

    /* One HELP and one TYPE per family, families in name order. */
    static const char *const order[] = {"aa_events_total",
                                        "ee_escaped_total",
                                        "mm_callback",
                                        "mm_commit_seconds",
                                        "process_cpu_seconds_total",
                                        "process_resident_memory_bytes",
                                        "process_start_time_seconds",
                                        "test_concurrent_seconds",
                                        "test_concurrent_total",
                                        "zz_queue_depth"};
    const char *prev = text;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        char help[128];
        snprintf(help, sizeof help, "# TYPE %s ", order[i]);
        const char *at = strstr(text, help);
        if (!at || at < prev) {
            fail("families sorted", "%s missing or out of order", order[i]);
        } else if (strstr(at + 1, help)) {
            fail("one TYPE per family", "%s has two", order[i]);
        }
        prev = at ? at : prev;
    }
    /* The gauge callback runs at each scrape. */
    gauge_value = -1;
    free(text);
    text = metrics_render(NULL);
    static const char *const want2[] = {"mm_callback -1"};
    expect_lines("gauge fn evaluated at scrape", text, want2, 1);

    /* process metrics carry plausible values */
    const char *rss = strstr(text, "\nprocess_resident_memory_bytes ");
    const char *start = strstr(text, "\nprocess_start_time_seconds ");
    if (!rss || atof(rss + strlen("\nprocess_resident_memory_bytes ")) < 1e5) {
        fail("process_resident_memory_bytes", "missing or implausible");
    }
    if (!start || atof(start + strlen("\nprocess_start_time_seconds ")) < 1.5e9) {
        fail("process_start_time_seconds", "missing or implausible");
    }
    if (!strstr(text, "\nprocess_cpu_seconds_total ")) {
        fail("process_cpu_seconds_total", "missing");
    }
    free(text);
}

static void test_shutdown(void)
{
    metrics_shutdown();
    size_t len = 0;
    char *text = metrics_render(&len);
    if (strlen(text) != len) {
        fail("render length", "len=%zu strlen=%zu", len, strlen(text));
    }
    if (strstr(text, "aa_events_total")) {
        fail("shutdown", "metrics survived metrics_shutdown()");
    }
    if (!strstr(text, "# TYPE process_resident_memory_bytes gauge")) {
        fail("registry reusable after shutdown", "no process metrics");
    }
    free(text);
    metric_t *m = metrics_counter("after_total", "After shutdown.", NULL);
    metric_inc(m);
    text = metrics_render(NULL);
    static const char *const want[] = {"after_total 1"};
    expect_lines("registry reusable after shutdown", text, want, 1);
    free(text);
}

int main(void)
{
    test_concurrent();
    test_render();
    test_shutdown();
    metrics_shutdown();
    if (failures) {
        fprintf(stderr, "test_metrics: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_metrics: passed\n");
    return 0;
}
