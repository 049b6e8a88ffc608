/*
 * metrics - Prometheus registry and text exposition. See metrics.h.
 *
 * Families live in a list sorted by name, each with its metrics sorted by
 * label text; both lists only grow until metrics_shutdown(), so a metric_t
 * pointer handed out stays valid and the hot path needs no lock. Values are
 * C11 atomics: counters count whole increments in an integer and anything
 * else as a double added by compare-and-swap; gauges and histogram sums are
 * doubles kept as their bit patterns. Histogram buckets are counted per
 * bucket and summed into the cumulative form at render time, so the +Inf
 * bucket always equals _count.
 *
 * The process_* metrics are read from /proc at render time; they are
 * ordinary function-backed families registered on first use.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "xalloc.h"

typedef enum {
    METRIC_COUNTER = 1,
    METRIC_GAUGE = 2,
    METRIC_HISTOGRAM = 3,
} metric_type_t;

struct metric {
    struct metric *next; /* in its family, sorted by labels */
    char *labels;        /* canonical text, escaped; "" for none */
    metric_type_t type;
    _Atomic uint64_t ticks; /* counter: whole increments from metric_inc() */
    _Atomic uint64_t bits;  /* counter: sum of metric_add(); gauge: value (double bits) */
    double (*fn)(void *);   /* value computed at render, or NULL */
    void *fn_arg;
    size_t nbounds; /* histogram */
    double *bounds;
    _Atomic uint64_t *buckets; /* nbounds + 1, not cumulative; last is +Inf */
    _Atomic uint64_t sum_bits;
};

typedef struct metrics_family {
    struct metrics_family *next; /* sorted by name */
    char *name;
    char *help;
    metric_type_t type;
    metric_t *metrics;
} metrics_family_t;

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static metrics_family_t *metrics_families;
static int metrics_ready; /* process families registered; guarded by metrics_lock */

static _Noreturn void metrics_die(const char *what, const char *name)
{
    fprintf(stderr, "level=fatal comp=metrics msg=\"%s\" metric=%s\n", what, name ? name : "");
    abort();
}

/* ---- Doubles as atomic bit patterns ------------------------------------- */

static uint64_t metrics_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double metrics_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void metrics_atomic_add(_Atomic uint64_t *p, double v)
{
    uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(p, &old, metrics_bits(metrics_double(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* ---- Names and labels ------------------------------------------------------ */

static int metrics_name_ok(const char *s, bool colon)
{
    if (!s || !*s) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
                     (colon && *p == ':');
        if (!alpha && (p == s || *p < '0' || *p > '9')) {
            return 0;
        }
    }
    return 1;
}

/* Appends value to buf, escaped for a label value. */
static void metrics_escape_into(FILE *out, const char *value, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (value[i]) {
        case '\\':
            fputs("\\\\", out);
            break;
        case '"':
            fputs("\\\"", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        default:
            fputc(value[i], out);
        }
    }
}

char *metrics_label_escape(const char *value)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        metrics_die("open_memstream failed", NULL);
    }
    metrics_escape_into(out, value, strlen(value));
    fclose(out);
    return buf;
}

/* Parses the caller's labels text and returns its canonical form: pairs
 * name="value" joined by commas, values unescaped then escaped again.
 * Aborts on text that is not a label list (a programming error). */
static char *metrics_labels_canonical(const char *name, const char *labels, bool histogram)
{
    char *buf = NULL, *raw = NULL;
    size_t len = 0, rawlen = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        metrics_die("open_memstream failed", name);
    }
    const char *p = labels ? labels : "";
    bool first = true;
    while (*p) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        if (!*p) {
            break;
        }
        const char *ln = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
               (p > ln && *p >= '0' && *p <= '9')) {
            p++;
        }
        size_t lnlen = (size_t)(p - ln);
        if (lnlen == 0 || p[0] != '=' || p[1] != '"' ||
            (lnlen >= 2 && ln[0] == '_' && ln[1] == '_') ||
            (histogram && lnlen == 2 && memcmp(ln, "le", 2) == 0)) {
            metrics_die("bad labels text", name);
        }
        p += 2;
        FILE *val = open_memstream(&raw, &rawlen);
        if (!val) {
            metrics_die("open_memstream failed", name);
        }
        while (*p && *p != '"') {
            if (p[0] == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n')) {
                fputc(p[1] == 'n' ? '\n' : p[1], val);
                p += 2;
            } else {
                fputc(*p++, val);
            }
        }
        fclose(val);
        if (*p != '"') {
            metrics_die("unterminated label value", name);
        }
        p++;
        fprintf(out, "%s%.*s=\"", first ? "" : ",", (int)lnlen, ln);
        metrics_escape_into(out, raw, rawlen);
        fputc('"', out);
        free(raw);
        raw = NULL;
        first = false;
    }
    fclose(out);
    return buf;
}

/* ---- Registration ------------------------------------------------------------ */

static double metrics_process_rss(void *arg);
static double metrics_process_cpu(void *arg);
static double metrics_process_start(void *arg);

static metric_t *metrics_register_locked(const char *name, const char *help, const char *labels,
                                         metric_type_t type, const double *bounds, size_t nbounds);

/* Registers the process_* families once per registry life. */
static void metrics_init_locked(void)
{
    if (metrics_ready) {
        return;
    }
    metrics_ready = 1;
    metric_t *m =
        metrics_register_locked("process_resident_memory_bytes", "Resident memory size in bytes.",
                                NULL, METRIC_GAUGE, NULL, 0);
    m->fn = metrics_process_rss;
    m = metrics_register_locked("process_cpu_seconds_total",
                                "Total user and system CPU time spent in seconds.", NULL,
                                METRIC_COUNTER, NULL, 0);
    m->fn = metrics_process_cpu;
    m = metrics_register_locked("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.", NULL,
                                METRIC_GAUGE, NULL, 0);
    m->fn = metrics_process_start;
}

static metrics_family_t *metrics_family_locked(const char *name, const char *help,
                                               metric_type_t type)
{
    metrics_family_t **fp = &metrics_families;
    while (*fp && strcmp((*fp)->name, name) < 0) {
        fp = &(*fp)->next;
    }
    if (*fp && strcmp((*fp)->name, name) == 0) {
        if ((*fp)->type != type) {
            metrics_die("registered again with another type", name);
        }
        return *fp;
    }
    metrics_family_t *f = xcalloc(1, sizeof *f);
    f->name = xstrdup(name);
    f->help = xstrdup(help ? help : "");
    f->type = type;
    f->next = *fp;
    *fp = f;
    return f;
}

static metric_t *metrics_register_locked(const char *name, const char *help, const char *labels,
                                         metric_type_t type, const double *bounds, size_t nbounds)
{
    if (!metrics_name_ok(name, true)) {
        metrics_die("bad metric name", name);
    }
    metrics_init_locked();
    metrics_family_t *f = metrics_family_locked(name, help, type);
    char *canon = metrics_labels_canonical(name, labels, type == METRIC_HISTOGRAM);
    metric_t **mp = &f->metrics;
    while (*mp && strcmp((*mp)->labels, canon) < 0) {
        mp = &(*mp)->next;
    }
    if (*mp && strcmp((*mp)->labels, canon) == 0) {
        free(canon);
        metric_t *m = *mp;
        if (type == METRIC_HISTOGRAM &&
            (m->nbounds != nbounds ||
             (nbounds && memcmp(m->bounds, bounds, nbounds * sizeof *bounds) != 0))) {
            metrics_die("histogram registered again with other bounds", name);
        }
        return m;
    }
    metric_t *m = xcalloc(1, sizeof *m);
    m->labels = canon;
    m->type = type;
    atomic_init(&m->ticks, 0);
    atomic_init(&m->bits, metrics_bits(0.0));
    atomic_init(&m->sum_bits, metrics_bits(0.0));
    if (type == METRIC_HISTOGRAM) {
        for (size_t i = 0; i < nbounds; i++) {
            if (isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
                metrics_die("histogram bounds not strictly increasing", name);
            }
        }
        m->nbounds = nbounds;
        m->bounds = xmalloc((nbounds ? nbounds : 1) * sizeof *m->bounds);
        if (nbounds) {
            memcpy(m->bounds, bounds, nbounds * sizeof *bounds);
        }
        m->buckets = xmalloc((nbounds + 1) * sizeof *m->buckets);
        for (size_t i = 0; i <= nbounds; i++) {
            atomic_init(&m->buckets[i], 0);
        }
    }
    m->next = *mp;
    *mp = m;
    return m;
}

static metric_t *metrics_register(const char *name, const char *help, const char *labels,
                                  metric_type_t type, const double *bounds, size_t nbounds)
{
    pthread_mutex_lock(&metrics_lock);
    metric_t *m = metrics_register_locked(name, help, labels, type, bounds, nbounds);
    pthread_mutex_unlock(&metrics_lock);
    return m;
}

metric_t *metrics_counter(const char *name, const char *help, const char *labels)
{
    return metrics_register(name, help, labels, METRIC_COUNTER, NULL, 0);
}

metric_t *metrics_gauge(const char *name, const char *help, const char *labels)
{
    return metrics_register(name, help, labels, METRIC_GAUGE, NULL, 0);
}

metric_t *metrics_histogram(const char *name, const char *help, const char *labels,
                            const double *bounds, size_t nbounds)
{
    return metrics_register(name, help, labels, METRIC_HISTOGRAM, bounds, nbounds);
}

void metrics_gauge_fn(const char *name, const char *help, const char *labels,
                      double (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&metrics_lock);
    metric_t *m = metrics_register_locked(name, help, labels, METRIC_GAUGE, NULL, 0);
    m->fn = fn;
    m->fn_arg = arg;
    pthread_mutex_unlock(&metrics_lock);
}

/* ---- Updates (lock-free) ---------------------------------------------------- */

void metric_inc(metric_t *m)
{
    if (m->type == METRIC_COUNTER) {
        atomic_fetch_add_explicit(&m->ticks, 1, memory_order_relaxed);
    } else if (m->type == METRIC_GAUGE) {
        metrics_atomic_add(&m->bits, 1.0);
    } else {
        metrics_die("metric_inc on a histogram", NULL);
    }
}

void metric_add(metric_t *m, double v)
{
    if (m->type == METRIC_HISTOGRAM || (m->type == METRIC_COUNTER && !(v >= 0))) {
        metrics_die("metric_add on a histogram or a negative counter step", NULL);
    }
    metrics_atomic_add(&m->bits, v);
}

void metric_set(metric_t *m, double v)
{
    if (m->type != METRIC_GAUGE) {
        metrics_die("metric_set on a metric that is no gauge", NULL);
    }
    atomic_store_explicit(&m->bits, metrics_bits(v), memory_order_relaxed);
}

void metric_observe(metric_t *m, double v)
{
    if (m->type != METRIC_HISTOGRAM) {
        metrics_die("metric_observe on a metric that is no histogram", NULL);
    }
    /* first bucket whose bound is >= v; NaN lands in +Inf */
    size_t lo = 0, hi = m->nbounds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v <= m->bounds[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    atomic_fetch_add_explicit(&m->buckets[lo], 1, memory_order_relaxed);
    metrics_atomic_add(&m->sum_bits, v);
}

/* ---- Process metrics (/proc) --------------------------------------------------- */

/* Reads the fields after the command name of /proc/self/stat: field k of
 * proc(5) (1-based) is fields[k - 3]. Returns the number read. */
static int metrics_proc_stat(unsigned long long *fields, int max)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) {
        return 0;
    }
    p += 2; /* ") " then the state letter */
    int k = 0;
    fields[k++] = 0;
    while (*p && *p != ' ') {
        p++;
    }
    while (k < max && *p) {
        char *end;
        fields[k] = strtoull(p, &end, 10);
        if (end == p) {
            break;
        }
        k++;
        p = end;
    }
    return k;
}

static double metrics_process_rss(void *arg)
{
    (void)arg;
    unsigned long long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) {
        return 0;
    }
    if (fscanf(f, "%llu %llu", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static double metrics_process_cpu(void *arg)
{
    (void)arg;
    unsigned long long fields[24];
    if (metrics_proc_stat(fields, 24) < 14) {
        return 0;
    }
    return (double)(fields[14 - 3] + fields[15 - 3]) / (double)sysconf(_SC_CLK_TCK);
}

static double metrics_process_start(void *arg)
{
    (void)arg;
    unsigned long long fields[24], btime = 0;
    if (metrics_proc_stat(fields, 24) < 21) {
        return 0;
    }
    FILE *f = fopen("/proc/stat", "r");
    if (!f) {
        return 0;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "btime %llu", &btime) == 1) {
            break;
        }
    }
    fclose(f);
    return (double)btime + (double)fields[22 - 3] / (double)sysconf(_SC_CLK_TCK);
}

/* ---- Rendering --------------------------------------------------------------- */

/* Shortest text that reads back as the same double; Prometheus spellings
 * for the special values. */
static const char *metrics_format(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        return "NaN";
    }
    if (isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return buf;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    return buf;
}

static void metrics_sample(FILE *out, const char *name, const char *suffix, const char *labels,
                           const char *extra, double v)
{
    char num[64];
    bool any = labels[0] || extra;
    fprintf(out, "%s%s%s%s%s%s%s %s\n", name, suffix, any ? "{" : "", labels,
            labels[0] && extra ? "," : "", extra ? extra : "", any ? "}" : "",
            metrics_format(v, num, sizeof num));
}

static void metrics_render_family(FILE *out, const metrics_family_t *f)
{
    static const char *const types[] = {"", "counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", f->name);
    for (const char *p = f->help; *p; p++) {
        if (*p == '\\') {
            fputs("\\\\", out);
        } else if (*p == '\n') {
            fputs("\\n", out);
        } else {
            fputc(*p, out);
        }
    }
    fprintf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (const metric_t *m = f->metrics; m; m = m->next) {
        if (m->fn) {
            metrics_sample(out, f->name, "", m->labels, NULL, m->fn(m->fn_arg));
            continue;
        }
        if (m->type == METRIC_COUNTER) {
            double v = (double)atomic_load_explicit(&m->ticks, memory_order_relaxed) +
                       metrics_double(atomic_load_explicit(&m->bits, memory_order_relaxed));
            metrics_sample(out, f->name, "", m->labels, NULL, v);
        } else if (m->type == METRIC_GAUGE) {
            metrics_sample(out, f->name, "", m->labels, NULL,
                           metrics_double(atomic_load_explicit(&m->bits, memory_order_relaxed)));
        } else {
            uint64_t cum = 0;
            char le[80], num[64];
            for (size_t i = 0; i <= m->nbounds; i++) {
                cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
                snprintf(le, sizeof le, "le=\"%s\"",
                         i < m->nbounds ? metrics_format(m->bounds[i], num, sizeof num) : "+Inf");
                metrics_sample(out, f->name, "_bucket", m->labels, le, (double)cum);
            }
            metrics_sample(
                out, f->name, "_sum", m->labels, NULL,
                metrics_double(atomic_load_explicit(&m->sum_bits, memory_order_relaxed)));
            metrics_sample(out, f->name, "_count", m->labels, NULL, (double)cum);
        }
    }
}

char *metrics_render(size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out) {
        metrics_die("open_memstream failed", NULL);
    }
    pthread_mutex_lock(&metrics_lock);
    metrics_init_locked();
    for (const metrics_family_t *f = metrics_families; f; f = f->next) {
        metrics_render_family(out, f);
    }
    pthread_mutex_unlock(&metrics_lock);
    fclose(out);
    if (len) {
        *len = n;
    }
    return buf;
}

void metrics_shutdown(void)
{
    pthread_mutex_lock(&metrics_lock);
    metrics_family_t *f = metrics_families;
    while (f) {
        metrics_family_t *fnext = f->next;
        metric_t *m = f->metrics;
        while (m) {
            metric_t *mnext = m->next;
            free(m->labels);
            free(m->bounds);
            free(m->buckets);
            free(m);
            m = mnext;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fnext;
    }
    metrics_families = NULL;
    metrics_ready = 0;
    pthread_mutex_unlock(&metrics_lock);
}
