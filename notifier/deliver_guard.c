/*
 * deliver_guard - what stands between a message and the network: the URL
 * allow-list, a token bucket per target, a circuit breaker per endpoint,
 * and the retry back-off the daemon uses.
 *
 * State is kept in two small hash tables keyed by target and by endpoint,
 * pruned of idle entries now and then so a long-running notifier does not
 * grow with every address it ever paged. Nothing here does I/O.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "deliver_internal.h"
#include "xalloc.h"

#define GUARD_BUCKETS 256

typedef enum { CIRCUIT_CLOSED = 0, CIRCUIT_OPEN, CIRCUIT_HALF_OPEN } circuit_state_t;

typedef struct guard_entry {
    char *key;
    /* rate limit */
    double tokens;
    int64_t last_us;
    /* circuit breaker */
    circuit_state_t state;
    int64_t failures;
    int64_t open_until_us;
    bool trial_in_flight;
    struct guard_entry *next;
} guard_entry_t;

typedef struct {
    guard_entry_t *b[GUARD_BUCKETS];
} guard_table_t;

struct deliver_guard {
    char **prefixes;
    size_t nprefixes;
    double capacity;     /* tokens, = per minute */
    double per_us;       /* refill rate */
    int64_t failures;    /* circuit opens after this many */
    int64_t cooldown_us; /* and stays open this long */
    guard_table_t rate, circuit;
};

int64_t deliver_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

deliver_guard_t *deliver_guard_new(char *const *prefixes, size_t nprefixes, int64_t per_minute,
                                   int64_t circuit_failures, int64_t cooldown_ms)
{
    deliver_guard_t *g = xcalloc(1, sizeof *g);
    g->prefixes = xcalloc(nprefixes ? nprefixes : 1, sizeof *g->prefixes);
    for (size_t i = 0; i < nprefixes; i++) {
        g->prefixes[i] = xstrdup(prefixes[i]);
    }
    g->nprefixes = nprefixes;
    g->capacity = per_minute > 0 ? (double)per_minute : 1.0;
    g->per_us = g->capacity / 60e6;
    g->failures = circuit_failures > 0 ? circuit_failures : 1;
    g->cooldown_us = cooldown_ms * 1000;
    return g;
}

static void guard_table_free(guard_table_t *t)
{
    for (size_t i = 0; i < GUARD_BUCKETS; i++) {
        guard_entry_t *e = t->b[i];
        while (e) {
            guard_entry_t *next = e->next;
            free(e->key);
            free(e);
            e = next;
        }
        t->b[i] = NULL;
    }
}

void deliver_guard_destroy(deliver_guard_t **gp)
{
    if (!gp || !*gp) {
        return;
    }
    deliver_guard_t *g = *gp;
    for (size_t i = 0; i < g->nprefixes; i++) {
        free(g->prefixes[i]);
    }
    free(g->prefixes);
    guard_table_free(&g->rate);
    guard_table_free(&g->circuit);
    free(g);
    *gp = NULL;
}

/* guard_find - the entry of key, created (zeroed) when absent. */
static guard_entry_t *guard_find(guard_table_t *t, const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    guard_entry_t **head = &t->b[h % GUARD_BUCKETS];
    for (guard_entry_t *e = *head; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    guard_entry_t *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->next = *head;
    *head = e;
    return e;
}

/* guard_dot_segments - true when the path part of url has "." or ".."
 * segments (libcurl would resolve them and leave the allowed prefix),
 * an encoded dot or a backslash. */
static bool guard_dot_segments(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "?#");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\') {
            return true;
        }
        if (p[i] == '%' && i + 2 < n && p[i + 1] == '2' && (p[i + 2] == 'e' || p[i + 2] == 'E')) {
            return true;
        }
        if (p[i] == '/' && i + 1 < n + 1 && p[i + 1] == '.') {
            size_t j = i + 1;
            while (j < n && p[j] == '.') {
                j++;
            }
            if (j - (i + 1) <= 2 && (j == n || p[j] == '/')) {
                return true;
            }
        }
    }
    return false;
}

int deliver_guard_url(const deliver_guard_t *g, const char *url, char *err, size_t errlen)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            snprintf(err, errlen, "URL has a space or control character");
            return -1;
        }
    }
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "URL is not http:// or https://");
        return -1;
    }
    char *ep = deliver_endpoint(url);
    if (!ep) {
        snprintf(err, errlen, "URL cannot be parsed");
        return -1;
    }
    CURLU *u = curl_url();
    bool userinfo = false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        char *user = NULL;
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
            userinfo = true;
        }
        curl_free(user);
    }
    curl_url_cleanup(u);
    if (userinfo) {
        snprintf(err, errlen, "URL of %s carries a user name or password", ep);
        free(ep);
        return -1;
    }
    if (guard_dot_segments(url)) {
        snprintf(err, errlen, "URL of %s has dot segments or encoded dots in its path", ep);
        free(ep);
        return -1;
    }
    for (size_t i = 0; i < g->nprefixes; i++) {
        const char *pre = g->prefixes[i];
        size_t n = strlen(pre);
        if (n == 0 || strncmp(url, pre, n) != 0) {
            continue;
        }
        /* "https://hooks.example.com" must not admit
         * "https://hooks.example.com.evil.net/": past a prefix that does not
         * end in '/', the URL must end or go on with a path or query. */
        char next = url[n];
        if (pre[n - 1] == '/' || next == '\0' || next == '/' || next == '?' || next == '#') {
            free(ep);
            return 0;
        }
    }
    if (g->nprefixes == 0) {
        snprintf(err, errlen,
                 "target on %s refused: notifier.allowed_url_prefixes is empty (no URL is "
                 "allowed)",
                 ep);
    } else {
        snprintf(err, errlen, "target on %s refused: outside notifier.allowed_url_prefixes", ep);
    }
    free(ep);
    return -1;
}

char *deliver_endpoint(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        goto cleanup;
    }
    out = xasprintf("%s://%s:%s", scheme, host, port);
    for (char *p = out; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
cleanup:
    curl_free(port);
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return out;
}

int64_t deliver_guard_rate_take(deliver_guard_t *g, const char *target, int64_t now_us)
{
    guard_entry_t *e = guard_find(&g->rate, target);
    if (e->last_us == 0) {
        e->tokens = g->capacity;
    } else if (now_us > e->last_us) {
        e->tokens += (double)(now_us - e->last_us) * g->per_us;
        if (e->tokens > g->capacity) {
            e->tokens = g->capacity;
        }
    }
    e->last_us = now_us;
    if (e->tokens >= 1.0) {
        e->tokens -= 1.0;
        return 0;
    }
    int64_t wait = (int64_t)((1.0 - e->tokens) / g->per_us) + 1;
    return wait;
}

void deliver_guard_rate_refund(deliver_guard_t *g, const char *target)
{
    guard_entry_t *e = guard_find(&g->rate, target);
    e->tokens = e->tokens + 1.0 > g->capacity ? g->capacity : e->tokens + 1.0;
}

int64_t deliver_guard_circuit_allow(deliver_guard_t *g, const char *endpoint, int64_t now_us)
{
    guard_entry_t *e = guard_find(&g->circuit, endpoint);
    e->last_us = now_us;
    switch (e->state) {
    case CIRCUIT_CLOSED:
        return 0;
    case CIRCUIT_OPEN:
        if (now_us < e->open_until_us) {
            return e->open_until_us - now_us;
        }
        e->state = CIRCUIT_HALF_OPEN;
        e->trial_in_flight = true;
        return 0;
    case CIRCUIT_HALF_OPEN:
        if (!e->trial_in_flight) {
            e->trial_in_flight = true;
            return 0;
        }
        /* The trial is still out: ask again in a second or the timeout. */
        return 1000000;
    }
    return 0;
}

bool deliver_guard_circuit_record(deliver_guard_t *g, const char *endpoint, bool failed,
                                  int64_t now_us)
{
    guard_entry_t *e = guard_find(&g->circuit, endpoint);
    e->last_us = now_us;
    if (!failed) {
        e->state = CIRCUIT_CLOSED;
        e->failures = 0;
        e->trial_in_flight = false;
        return false;
    }
    e->failures++;
    if (e->state == CIRCUIT_HALF_OPEN ||
        (e->state == CIRCUIT_CLOSED && e->failures >= g->failures)) {
        e->state = CIRCUIT_OPEN;
        e->open_until_us = now_us + g->cooldown_us;
        e->trial_in_flight = false;
        return true;
    }
    return false;
}

static void guard_prune_table(guard_table_t *t,
                              bool (*idle)(const deliver_guard_t *, const guard_entry_t *, int64_t),
                              const deliver_guard_t *g, int64_t now_us)
{
    for (size_t i = 0; i < GUARD_BUCKETS; i++) {
        guard_entry_t **pp = &t->b[i];
        while (*pp) {
            guard_entry_t *e = *pp;
            if (idle(g, e, now_us)) {
                *pp = e->next;
                free(e->key);
                free(e);
            } else {
                pp = &e->next;
            }
        }
    }
}

/* A bucket that has refilled completely is the same as no bucket. */
static bool guard_rate_idle(const deliver_guard_t *g, const guard_entry_t *e, int64_t now_us)
{
    return e->tokens + (double)(now_us - e->last_us) * g->per_us >= g->capacity;
}

/* A closed circuit without failures is the same as no circuit. */
static bool guard_circuit_idle(const deliver_guard_t *g, const guard_entry_t *e, int64_t now_us)
{
    (void)g;
    (void)now_us;
    return e->state == CIRCUIT_CLOSED && e->failures == 0;
}

void deliver_guard_prune(deliver_guard_t *g, int64_t now_us)
{
    guard_prune_table(&g->rate, guard_rate_idle, g, now_us);
    guard_prune_table(&g->circuit, guard_circuit_idle, g, now_us);
}

/* splitmix64: tiny, fast, and every state is a good seed. */
static uint64_t guard_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int64_t deliver_backoff_us(int attempt, int64_t base_us, int64_t max_us, uint64_t *rng)
{
    if (base_us < 0) {
        base_us = 0;
    }
    if (max_us < base_us) {
        max_us = base_us;
    }
    if (attempt < 1) {
        attempt = 1;
    }
    int64_t ceiling = base_us;
    for (int i = 0; i < attempt && ceiling < max_us; i++) {
        ceiling = ceiling > max_us / 2 ? max_us : ceiling * 2;
    }
    if (ceiling > max_us) {
        ceiling = max_us;
    }
    uint64_t span = (uint64_t)(ceiling - base_us) + 1;
    return base_us + (int64_t)(guard_splitmix64(rng) % span);
}
