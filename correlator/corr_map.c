/*
 * corr_map - the engine's two containers: a string-keyed open-addressing hash
 * map (linear probing, FNV-1a, tombstones) and the timer min-heap.
 *
 * The map never copies keys: each key is owned by the value it indexes, so a
 * lookup of a repeat costs one hash and one or two probes and no allocation.
 * Timers are ordered by (due, kind, key) rather than by insertion, so that an
 * engine rebuilt from restored state fires same-time timers in the same order
 * as the uninterrupted run did.
 */
#include <string.h>

#include "corr_internal.h"
#include "xalloc.h"

uint64_t corr_map_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    /* 0 and 1 mark empty and deleted slots */
    return h < 2 ? h + 2 : h;
}

void *corr_map_get(const corr_map_t *m, const char *key, uint64_t h)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const corr_slot_t *s = &m->slots[i];
        if (s->hash == 0) {
            return NULL;
        }
        if (s->hash == h && strcmp(s->key, key) == 0) {
            return s->val;
        }
    }
}

static void map_grow(corr_map_t *m)
{
    size_t ncap = m->cap ? m->cap : 16;
    while (m->n * 2 >= ncap) {
        ncap *= 2;
    }
    if (m->cap && ncap == m->cap && m->used * 4 < m->cap * 3) {
        return;
    }
    corr_slot_t *old = m->slots;
    size_t ocap = m->cap;
    m->slots = xcalloc(ncap, sizeof(*m->slots));
    m->cap = ncap;
    m->used = m->n;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].hash >= 2) {
            size_t j = old[i].hash & (ncap - 1);
            while (m->slots[j].hash != 0) {
                j = (j + 1) & (ncap - 1);
            }
            m->slots[j] = old[i];
        }
    }
    free(old);
}

void corr_map_put(corr_map_t *m, const char *key, uint64_t h, void *val)
{
    if (m->cap == 0 || (m->used + 1) * 4 >= m->cap * 3) {
        map_grow(m);
    }
    size_t mask = m->cap - 1;
    size_t tomb = SIZE_MAX;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        corr_slot_t *s = &m->slots[i];
        if (s->hash == 0) {
            if (tomb != SIZE_MAX) {
                s = &m->slots[tomb];
            } else {
                m->used++;
            }
            s->hash = h;
            s->key = key;
            s->val = val;
            m->n++;
            return;
        }
        if (s->hash == 1 && tomb == SIZE_MAX) {
            tomb = i;
        } else if (s->hash == h && strcmp(s->key, key) == 0) {
            s->key = key;
            s->val = val;
            return;
        }
    }
}

void corr_map_del(corr_map_t *m, const char *key, uint64_t h)
{
    if (m->cap == 0) {
        return;
    }
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        corr_slot_t *s = &m->slots[i];
        if (s->hash == 0) {
            return;
        }
        if (s->hash == h && strcmp(s->key, key) == 0) {
            s->hash = 1;
            s->key = NULL;
            s->val = NULL;
            m->n--;
            return;
        }
    }
}

void corr_map_free(corr_map_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- heap ---- */

static int timer_cmp(const corr_timer_t *a, const corr_timer_t *b)
{
    if (a->due != b->due) {
        return a->due < b->due ? -1 : 1;
    }
    if (a->kind != b->kind) {
        return a->kind < b->kind ? -1 : 1;
    }
    if (a->obj == b->obj || !a->obj || !b->obj) {
        return 0;
    }
    if (a->kind == CORR_T_INC_HOLD || a->kind == CORR_T_INC_GC) {
        int64_t x = ((const corr_incident_t *)a->obj)->id;
        int64_t y = ((const corr_incident_t *)b->obj)->id;
        return x < y ? -1 : x > y;
    }
    const corr_alert_t *x = a->obj, *y = b->obj;
    int c = strcmp(x->dom->name, y->dom->name);
    return c ? c : strcmp(x->fingerprint, y->fingerprint);
}

void corr_heap_push(corr_heap_t *h, corr_timer_t t)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (timer_cmp(&h->v[p], &t) <= 0) {
            break;
        }
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = t;
}

void corr_heap_pop(corr_heap_t *h, corr_timer_t *out)
{
    *out = h->v[0];
    corr_timer_t last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const corr_timer_t *mv = &last;
        if (l < h->n && timer_cmp(&h->v[l], mv) < 0) {
            m = l;
            mv = &h->v[l];
        }
        if (r < h->n && timer_cmp(&h->v[r], mv) < 0) {
            m = r;
        }
        if (m == i) {
            break;
        }
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n > 0) {
        h->v[i] = last;
    }
}
