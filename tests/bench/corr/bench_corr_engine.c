/*
 * bench_corr_engine - events per second of the in-memory correlation engine
 * alone, and heap bytes per open alert.
 *
 * 1M events over 10,100 resources: 100 switches with 100 hosts each in the
 * topology, one alert per resource. Every alert fires once (the storm:
 * switches fire half way through their hosts, so both parent-first joins and
 * children-first merges happen), then repeats dominate, with 1% resolves
 * and re-fires. Counts are flushed every 100k events. Figures are printed,
 * not asserted. It sits in tests/bench/corr/ because tests/bench/CMakeLists.txt
 * links every bench_*.c there with alertdesk_common only; build it by hand
 * (Release) until that file links alertdesk_correlator:
 *   cc -O2 -D_GNU_SOURCE -Icommon -Icorrelator tests/bench/corr/bench_corr_engine.c \
 *      build/correlator/libalertdesk_correlator.a build/common/libalertdesk_common.a \
 *      $(pkg-config --libs yaml-0.1 jansson libcrypto) -lm
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corr_engine.h"
#include "corr_rules.h"
#include "event.h"
#include "xalloc.h"

#define NSW     100
#define NHOST   100
#define NEVENTS 1000000

static uint64_t changes;

static void on_change(void *arg, const corr_change_t *c)
{
    (void)arg;
    (void)c;
    changes++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    /* the rule file, with the topology */
    size_t cap = 1 << 20, len = 0;
    char *y = xmalloc(cap);
    len += (size_t)snprintf(y + len, cap - len,
                            "domain_key: site\nrules:\n  - name: by-check\n    group_by: [site, "
                            "check]\ntopology:\n  window: 5m\n  nodes:\n");
    for (int s = 0; s < NSW; s++) {
        for (int h = 0; h < NHOST; h++) {
            len += (size_t)snprintf(y + len, cap - len,
                                    "    - {resource: h%d-%d, parents: [sw%d]}\n", s, h, s);
        }
    }
    corr_rules_t *rules;
    char err[512];
    if (corr_rules_parse(y, len, "bench.yml", &rules, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    free(y);

    /* pre-built events: one firing and one resolved per resource */
    int nres = NSW * (NHOST + 1);
    event_t **fire = xcalloc((size_t)nres, sizeof(*fire));
    event_t **res = xcalloc((size_t)nres, sizeof(*res));
    for (int i = 0; i < nres; i++) {
        int s = i / (NHOST + 1), h = i % (NHOST + 1) - 1;
        char name[64], fp[64];
        if (h < 0) {
            snprintf(name, sizeof(name), "sw%d", s);
        } else {
            snprintf(name, sizeof(name), "h%d-%d", s, h);
        }
        snprintf(fp, sizeof(fp), "%032x", i);
        for (int k = 0; k < 2; k++) {
            event_t *ev = event_new(EVENT_FORMAT_NATIVE);
            ev->source = event_strdup(ev, "bench");
            ev->resource = event_strdup(ev, name);
            ev->check = event_strdup(ev, h < 0 ? "LinkDown" : "Ping");
            ev->severity = h < 0 ? EVENT_SEVERITY_CRITICAL : EVENT_SEVERITY_MAJOR;
            ev->status = k ? EVENT_STATUS_RESOLVED : EVENT_STATUS_FIRING;
            event_label_set(ev, "site", s % 2 ? "ams1" : "fra1");
            event_label_set(ev, "team", "noc");
            memcpy(ev->fingerprint, fp, 33);
            (k ? res : fire)[i] = ev;
        }
    }
    /* the storm order: per switch, half the hosts, the switch, the rest */
    int *order = xmalloc((size_t)nres * sizeof(int));
    int n = 0;
    for (int s = 0; s < NSW; s++) {
        int base = s * (NHOST + 1);
        for (int h = 0; h < NHOST / 2; h++) {
            order[n++] = base + 1 + h;
        }
        order[n++] = base;
        for (int h = NHOST / 2; h < NHOST; h++) {
            order[n++] = base + 1 + h;
        }
    }

    struct mallinfo2 m0 = mallinfo2();
    corr_engine_t *e = corr_engine_new(rules, 1);
    int64_t t = 1767571200LL * 1000000LL;
    uint64_t rng = 88172645463325252ULL;
    double t0 = now_s();
    for (int i = 0; i < NEVENTS; i++) {
        const event_t *ev;
        if (i < nres) {
            ev = fire[order[i]];
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            int k = (int)(rng % (uint64_t)nres);
            ev = (rng >> 32) % 100 == 0 ? res[k] : fire[k];
        }
        t += 1000; /* 1 ms apart: 1M events span ~17 minutes */
        corr_engine_apply(e, ev, t, on_change, NULL);
        if (i % 100000 == 99999) {
            corr_engine_flush_counts(e, on_change, NULL);
        }
    }
    double el = now_s() - t0;
    corr_stats_t st;
    corr_engine_stats(e, &st);
    struct mallinfo2 m1 = mallinfo2();
    size_t heap = m1.uordblks - m0.uordblks;
    printf("events %d in %.3fs: %.0f events/s (repeats %llu)\n", NEVENTS, el, NEVENTS / el,
           (unsigned long long)st.repeats);
    printf("open alerts %llu, open incidents %llu, opened %llu, symptoms %llu, changes %llu\n",
           (unsigned long long)st.open_alerts, (unsigned long long)st.open_incidents,
           (unsigned long long)st.incidents_opened, (unsigned long long)st.suppressed_topology,
           (unsigned long long)changes);
    printf("engine heap %zu bytes for %d alerts in memory: %.0f bytes per alert\n", heap, nres,
           (double)heap / nres);

    /* repeats only: the hot path */
    t0 = now_s();
    for (int i = 0; i < NEVENTS; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        t += 1000;
        corr_engine_apply(e, fire[rng % (uint64_t)nres], t, NULL, NULL);
    }
    el = now_s() - t0;
    printf("repeats only: %.0f events/s\n", NEVENTS / el);

    corr_engine_destroy(&e);
    for (int i = 0; i < nres; i++) {
        event_destroy(&fire[i]);
        event_destroy(&res[i]);
    }
    free(fire);
    free(res);
    free(order);
    corr_rules_destroy(&rules);
    return 0;
}
