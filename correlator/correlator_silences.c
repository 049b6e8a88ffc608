/*
 * correlator_silences - the one reader of the `silences` table for the
 * engine: the daemon's periodic refresh and `alertdesk rules replay --since`.
 *
 * It turns rows into corr_silence_t (matchers parsed, times in Unix
 * microseconds) and does nothing else: no engine calls, no caching.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "log.h"
#include "xalloc.h"

#include "correlator_silences.h"

/* Unix microseconds of a timestamptz column, exact (extract returns numeric). */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

static int64_t correlator_silences_i64(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void correlator_silences_free(corr_silence_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < s[i].nmatchers; j++) {
            corr_matcher_free(&s[i].matchers[j]);
        }
        free(s[i].matchers);
        free((char *)s[i].creator);
        free((char *)s[i].comment);
    }
    free(s);
}

int correlator_silences_load(PGconn *conn, int64_t from_us, int64_t to_us, corr_silence_t **out,
                             size_t *nout)
{
    PGresult *res = NULL;
    *out = NULL;
    *nout = 0;
    char from_s[24], to_s[24];
    snprintf(from_s, sizeof from_s, "%" PRId64, from_us);
    snprintf(to_s, sizeof to_s, "%" PRId64, to_us);
    /* NULL parameters: from = now(), no upper bound */
    const char *params[] = {from_us ? from_s : NULL, to_us ? to_s : NULL};
    if (db_exec(conn, "correlator.silences",
                "SELECT id, " US("starts_at") ", " US(
                    "ends_at") ", creator, comment, array_to_json(matchers)::text FROM silences "
                               "WHERE ends_at > coalesce(to_timestamp($1::bigint / 1000000.0), "
                               "now()) AND ($2::bigint IS NULL OR starts_at < "
                               "to_timestamp($2::bigint / 1000000.0)) ORDER BY id",
                2, params, &res) != DB_OK) {
        return -1;
    }
    int n = PQntuples(res);
    corr_silence_t *s = xcalloc((size_t)n + 1, sizeof *s);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *arr = json_loads(PQgetvalue(res, i, 5), 0, &jerr);
        corr_silence_t *si = &s[k];
        si->id = correlator_silences_i64(res, i, 0);
        si->starts_us = correlator_silences_i64(res, i, 1);
        si->ends_us = correlator_silences_i64(res, i, 2);
        size_t nm = json_array_size(arr);
        si->matchers = xcalloc(nm + 1, sizeof *si->matchers);
        bool ok = nm > 0;
        for (size_t j = 0; j < nm && ok; j++) {
            char err[256];
            const char *text = json_string_value(json_array_get(arr, j));
            if (!text || corr_matcher_parse(text, &si->matchers[j], err, sizeof err) < 0) {
                log_warn("msg=\"silence ignored: bad matcher\" silence=%" PRId64 " error=\"%s\"",
                         si->id, text ? err : "not a string");
                ok = false;
            } else {
                si->nmatchers++;
            }
        }
        json_decref(arr);
        if (!ok) {
            for (size_t j = 0; j < si->nmatchers; j++) {
                corr_matcher_free(&si->matchers[j]);
            }
            free(si->matchers);
            memset(si, 0, sizeof *si);
            continue;
        }
        si->creator = xstrdup(PQgetvalue(res, i, 3));
        si->comment = xstrdup(PQgetvalue(res, i, 4));
        k++;
    }
    PQclear(res);
    *out = s;
    *nout = k;
    return 0;
}
