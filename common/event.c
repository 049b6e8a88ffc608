/*
 * event - canonical event storage: a per-event arena for strings and the
 * sorted label maps. See event.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "event.h"
#include "xalloc.h"

/* One arena chunk; most events fit in the first one. */
struct event_arena_chunk {
    event_arena_chunk_t *next;
    size_t used, size;
    char data[];
};

#define EVENT_ARENA_CHUNK 1024

event_t *event_new(event_format_t format)
{
    event_t *ev = xcalloc(1, sizeof *ev);
    ev->format = format;
    return ev;
}

void event_destroy(event_t **evp)
{
    if (!evp || !*evp) {
        return;
    }
    event_t *ev = *evp;
    event_arena_chunk_t *c = ev->arena;
    while (c) {
        event_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(ev->labels);
    free(ev->annotations);
    free(ev);
    *evp = NULL;
}

static char *event_arena_alloc(event_t *ev, size_t n)
{
    event_arena_chunk_t *c = ev->arena;
    if (!c || c->size - c->used < n) {
        size_t size = n > EVENT_ARENA_CHUNK ? n : EVENT_ARENA_CHUNK;
        event_arena_chunk_t *fresh = xmalloc(sizeof *fresh + size);
        fresh->size = size;
        fresh->used = 0;
        /* A chunk made for one big string goes behind the current one so the
         * current chunk's free space stays usable. */
        if (c && n > EVENT_ARENA_CHUNK) {
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            ev->arena = fresh;
        }
        c = fresh;
    }
    char *p = c->data + c->used;
    c->used += n;
    return p;
}

const char *event_strndup(event_t *ev, const char *s, size_t len)
{
    char *p = event_arena_alloc(ev, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

const char *event_strdup(event_t *ev, const char *s)
{
    return event_strndup(ev, s, strlen(s));
}

/* Binary search; returns the index of key or the insertion point (found=0). */
static uint32_t event_map_find(const event_label_t *map, uint32_t n, const char *key, int *found)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(map[mid].key, key);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = 0;
    return lo;
}

static void event_map_set(event_t *ev, event_label_t **map, uint32_t *n, uint32_t *cap,
                          const char *key, const char *value)
{
    int found;
    uint32_t i = event_map_find(*map, *n, key, &found);
    if (found) {
        (*map)[i].value = event_strdup(ev, value);
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *map = xrealloc(*map, *cap * sizeof **map);
    }
    memmove(*map + i + 1, *map + i, (*n - i) * sizeof **map);
    (*map)[i].key = event_strdup(ev, key);
    (*map)[i].value = event_strdup(ev, value);
    (*n)++;
}

void event_label_set(event_t *ev, const char *key, const char *value)
{
    event_map_set(ev, &ev->labels, &ev->nlabels, &ev->labels_cap, key, value);
}

void event_annotation_set(event_t *ev, const char *key, const char *value)
{
    event_map_set(ev, &ev->annotations, &ev->nannotations, &ev->annotations_cap, key, value);
}

const char *event_label_get(const event_t *ev, const char *key)
{
    int found;
    uint32_t i = event_map_find(ev->labels, ev->nlabels, key, &found);
    return found ? ev->labels[i].value : NULL;
}

static const char *const event_severity_names[] = {"none",  "info",  "warning",
                                                   "minor", "major", "critical"};
static const char *const event_status_names[] = {"none", "firing", "resolved", "acknowledged"};
static const char *const event_format_names[] = {"none", "native", "alertmanager", "pagerduty",
                                                 "zabbix"};

const char *event_severity_name(event_severity_t s)
{
    return (unsigned)s <= EVENT_SEVERITY_CRITICAL ? event_severity_names[s] : "none";
}

const char *event_status_name(event_status_t s)
{
    return (unsigned)s <= EVENT_STATUS_ACKNOWLEDGED ? event_status_names[s] : "none";
}

const char *event_format_name(event_format_t f)
{
    return (unsigned)f <= EVENT_FORMAT_ZABBIX ? event_format_names[f] : "none";
}

static int event_name_lookup(const char *const *names, int n, const char *name)
{
    for (int i = 1; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

int event_severity_parse(const char *name, event_severity_t *out)
{
    int i = event_name_lookup(event_severity_names, 6, name);
    if (i < 0) {
        return -1;
    }
    *out = (event_severity_t)i;
    return 0;
}

int event_status_parse(const char *name, event_status_t *out)
{
    int i = event_name_lookup(event_status_names, 4, name);
    if (i < 0) {
        return -1;
    }
    *out = (event_status_t)i;
    return 0;
}

int event_format_parse(const char *name, event_format_t *out)
{
    int i = event_name_lookup(event_format_names, 5, name);
    if (i < 0) {
        return -1;
    }
    *out = (event_format_t)i;
    return 0;
}

int64_t event_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
