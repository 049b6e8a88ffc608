/*
 * ticketer_api_maintenance - GET /api/v1/maintenance (viewer): the
 * recurring maintenance windows of the correlation rules
 * (correlator.rules), for the console's week view:
 *
 *   {"configured": true, "windows": [{"name", "days": ["mon", ...],
 *     "start": "02:00", "duration_minutes": 120, "time_zone",
 *     "matchers": ["labels.site = ams1"], "comment",
 *     "active_now": bool, "next_start": RFC 3339 or null}]}
 *
 * The file is read with the correlator's own loader on each request, so
 * the week view shows what the correlator would load. Windows are edited
 * in the rules file (and reloaded with `alertdesk rules reload`); one-off
 * silences are /api/v1/silences.
 *
 * Does not: evaluate events against windows (the correlator does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr_rules.h"
#include "ticketer_api_internal.h"

static json_t *api_maint_window(const corr_maintenance_t *w, int64_t now)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    json_t *days = json_array(), *matchers = json_array();
    for (int d = 0; d < 7; d++) {
        if (w->days & (1u << d)) {
            json_array_append_new(days, json_string(names[d]));
        }
    }
    for (size_t i = 0; i < w->nmatchers; i++) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s %s %s", w->matchers[i].field, corr_op_name(w->matchers[i].op),
                 w->matchers[i].value);
        json_array_append_new(matchers, json_string(buf));
    }
    int64_t start = 0, end = 0;
    bool active = corr_maintenance_covers(w, now, &start, &end);
    /* The next opening: probe forward a minute at a time over 8 days. */
    json_t *next = json_null();
    for (int64_t t = now; !active && t < now + INT64_C(8) * 86400 * 1000000;
         t += INT64_C(60) * 1000000) {
        if (corr_maintenance_covers(w, t, &start, &end)) {
            char tb[48];
            db_format_time(start, tb, sizeof tb);
            json_decref(next);
            next = json_string(tb);
            break;
        }
    }
    char hm[24];
    snprintf(hm, sizeof hm, "%02d:%02d", w->start_minute / 60, w->start_minute % 60);
    return json_pack("{s:s, s:o, s:s, s:i, s:s, s:o, s:s, s:b, s:o}", "name", w->name, "days", days,
                     "start", hm, "duration_minutes", w->duration_minutes, "time_zone",
                     w->time_zone ? w->time_zone : "UTC", "matchers", matchers, "comment",
                     w->comment ? w->comment : "", "active_now", active, "next_start", next);
}

void api_maintenance_list(api_ctx_t *c)
{
    static const char *const known[] = {NULL};
    if (!api_require(c, AUTH_ROLE_VIEWER) || api_query_check(c, known) < 0) {
        return;
    }
    const char *path = c->api->cfg.settings->correlator_rules;
    json_t *windows = json_array();
    if (path && *path) {
        corr_rules_t *r = NULL;
        char err[512];
        if (corr_rules_load(path, &r, err, sizeof err) != 0) {
            json_decref(windows);
            api_error(c, 500, NULL, "the correlation rules cannot be read: %s", err);
            return;
        }
        int64_t now = api_now_us();
        for (size_t i = 0; i < r->nmaintenance; i++) {
            json_array_append_new(windows, api_maint_window(&r->maintenance[i], now));
        }
        corr_rules_destroy(&r);
    }
    api_send_json(c, 200, json_pack("{s:b, s:o}", "configured", path && *path, "windows", windows));
}
