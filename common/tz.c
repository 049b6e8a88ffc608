/*
 * tz - IANA time zones from compiled TZif files, without the process's TZ.
 *
 * Format: RFC 8536. A file holds a v1 block (32-bit times) and, for v2+,
 * a second header and block with 64-bit times, then a footer line with a
 * POSIX TZ string that governs every instant after the last transition.
 * We read the 64-bit block when there is one, else the v1 block.
 *
 * Does not: read leap-second files ("right/"), cache zones (callers load a
 * zone once and keep it), or look at the TZ environment variable.
 */
#include "tz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_MAX_FILE    (1024 * 1024) /* the largest real zone is ~4 KiB */
#define TZ_ABBR_MAX    16
/* Clamp times to +-2^40 s (~34,800 years) so that no day or year arithmetic
 * can overflow, whatever the caller passes. */
#define TZ_LIMIT   ((int64_t)1 << 40)
#define TZ_DAY     86400
#define TZ_NO_TIME INT64_MIN

/* A local time type of the file: offset, DST flag, abbreviation. */
typedef struct {
    int32_t off; /* seconds east of UTC */
    uint8_t isdst;
    uint8_t abbr; /* index into chars */
} tz_type_t;

/* One date of a POSIX TZ rule: "Jn", "n" or "Mm.w.d", plus "/time". */
typedef struct {
    char kind; /* 'J' (1..365, Feb 29 never counted), 'N' (0..365), 'M' */
    int n;     /* J and N */
    int m, w, d;
    int32_t time; /* seconds after local midnight (may be negative, or > 24h: v3) */
} tz_date_t;

/* The footer's POSIX TZ string, parsed. */
typedef struct {
    bool present;
    bool has_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    char std_abbr[TZ_ABBR_MAX], dst_abbr[TZ_ABBR_MAX];
    tz_date_t start, end; /* DST starts at start (in standard time), ends at end (in DST) */
} tz_rule_t;

struct tz {
    char *name;
    int64_t *times; /* transition instants, strictly ascending */
    uint8_t *idx;   /* type in force from times[i] */
    size_t ntimes;
    tz_type_t *types; /* types[0] also governs instants before times[0] */
    size_t ntypes;
    char *chars; /* NUL-separated abbreviations, NUL-terminated */
    size_t nchars;
    tz_rule_t rule;
};

/* What is in force at one instant. */
typedef struct {
    int32_t off;
    int isdst;
    const char *abbr;
} tz_info_t;

/* ---- Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms) -- */

static int64_t tz_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t tz_days_from_civil(int64_t year, int month, int day)
{
    /* Carry months first so that month 13 is January of the next year. */
    int64_t m0 = (int64_t)month - 1;
    year += tz_floor_div(m0, 12);
    int64_t m = m0 - tz_floor_div(m0, 12) * 12 + 1;
    year -= m <= 2;
    int64_t era = tz_floor_div(year, 400);
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + (int64_t)day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = tz_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = y + (m <= 2);
    *month = m;
    *day = d;
}

static bool tz_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t tz_clamp(int64_t t)
{
    return t < -TZ_LIMIT ? -TZ_LIMIT : (t > TZ_LIMIT ? TZ_LIMIT : t);
}

/* ---- The footer rule ----------------------------------------------------- */

/* Local seconds (standard or DST, as the rule's time is written) of a rule
 * date in year y. */
static int64_t tz_rule_local(const tz_date_t *dt, int64_t y)
{
    int64_t jan1 = tz_days_from_civil(y, 1, 1), day;
    switch (dt->kind) {
    case 'J':
        day = jan1 + dt->n - 1 + (tz_is_leap(y) && dt->n >= 60 ? 1 : 0);
        break;
    case 'N':
        day = jan1 + dt->n;
        break;
    default: { /* 'M': day d (0 = Sunday) of week w (5 = last) of month m */
        int64_t first = tz_days_from_civil(y, dt->m, 1);
        int64_t next = tz_days_from_civil(y, dt->m + 1, 1);
        int64_t wd_first = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
        day = first + (dt->d - wd_first + 7) % 7 + (int64_t)(dt->w - 1) * 7;
        while (day >= next) {
            day -= 7;
        }
        break;
    }
    }
    return day * TZ_DAY + dt->time;
}

/* The UTC instants DST starts and ends in year y (of standard local time). */
static void tz_rule_year(const tz_rule_t *r, int64_t y, int64_t *start, int64_t *end)
{
    *start = tz_rule_local(&r->start, y) - r->std_off;
    *end = tz_rule_local(&r->end, y) - r->dst_off;
}

static int64_t tz_year_of(int64_t unix_s)
{
    int64_t y;
    int m, d;
    tz_civil_from_days(tz_floor_div(unix_s, TZ_DAY), &y, &m, &d);
    return y;
}

static void tz_rule_info(const tz_rule_t *r, int64_t t, tz_info_t *out)
{
    bool dst = false;
    if (r->has_dst) {
        int64_t s, e;
        tz_rule_year(r, tz_year_of(t + r->std_off), &s, &e);
        /* Northern rules start before they end within a year; southern ones
         * (Australia/Sydney: start October, end April) wrap the new year. */
        dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
    }
    out->off = dst ? r->dst_off : r->std_off;
    out->isdst = dst;
    out->abbr = dst ? r->dst_abbr : r->std_abbr;
}

/* ---- Lookups ------------------------------------------------------------- */

static void tz_type_info(const tz_t *z, size_t type, tz_info_t *out)
{
    const tz_type_t *ty = &z->types[type];
    out->off = ty->off;
    out->isdst = ty->isdst;
    out->abbr = z->chars + ty->abbr;
}

static void tz_info(const tz_t *z, int64_t t, tz_info_t *out)
{
    if (z->ntimes == 0) {
        if (z->rule.present) {
            tz_rule_info(&z->rule, t, out);
        } else {
            tz_type_info(z, 0, out);
        }
        return;
    }
    if (t < z->times[0]) {
        tz_type_info(z, 0, out);
        return;
    }
    if (t >= z->times[z->ntimes - 1] && z->rule.present) {
        tz_rule_info(&z->rule, t, out);
        return;
    }
    size_t lo = 0, hi = z->ntimes; /* largest i with times[i] <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    tz_type_info(z, z->idx[lo], out);
}

/* Collects the transition instants in (a, b] into out (at most cap, in
 * ascending order); returns how many. */
static size_t tz_transitions(const tz_t *z, int64_t a, int64_t b, int64_t *out, size_t cap)
{
    size_t n = 0;
    size_t lo = 0, hi = z->ntimes; /* first i with times[i] > a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= a) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = lo; i < z->ntimes && z->times[i] <= b && n < cap; i++) {
        out[n++] = z->times[i];
    }
    if (z->rule.present && z->rule.has_dst) {
        int64_t last = z->ntimes ? z->times[z->ntimes - 1] : TZ_NO_TIME;
        int64_t found[8];
        size_t nf = 0;
        for (int64_t y = tz_year_of(a) - 1; y <= tz_year_of(b) + 1 && nf + 2 <= 8; y++) {
            tz_rule_year(&z->rule, y, &found[nf], &found[nf + 1]);
            nf += 2;
        }
        for (size_t i = 0; i < nf; i++) {
            int64_t t = found[i];
            if (t > a && t <= b && t > last && n < cap) {
                size_t j = n++; /* insertion keeps out ascending */
                while (j > 0 && out[j - 1] > t) {
                    out[j] = out[j - 1];
                    j--;
                }
                out[j] = t;
            }
        }
    }
    return n;
}

/* ---- Public conversions -------------------------------------------------- */

const char *tz_name(const tz_t *z)
{
    return z->name;
}

int tz_offset(const tz_t *z, int64_t unix_s)
{
    tz_info_t in;
    tz_info(z, tz_clamp(unix_s), &in);
    return in.off;
}

int64_t tz_local_seconds(const tz_t *z, int64_t unix_s)
{
    unix_s = tz_clamp(unix_s);
    return unix_s + tz_offset(z, unix_s);
}

void tz_local(const tz_t *z, int64_t unix_s, struct tm *out)
{
    tz_info_t in;
    unix_s = tz_clamp(unix_s);
    tz_info(z, unix_s, &in);
    int64_t ls = unix_s + in.off;
    int64_t days = tz_floor_div(ls, TZ_DAY);
    int64_t secs = ls - days * TZ_DAY;
    int64_t y;
    int m, d;
    tz_civil_from_days(days, &y, &m, &d);
    memset(out, 0, sizeof *out);
    out->tm_year = (int)(y - 1900);
    out->tm_mon = m - 1;
    out->tm_mday = d;
    out->tm_hour = (int)(secs / 3600);
    out->tm_min = (int)(secs / 60 % 60);
    out->tm_sec = (int)(secs % 60);
    out->tm_wday = (int)(((days + 4) % 7 + 7) % 7);
    out->tm_yday = (int)(days - tz_days_from_civil(y, 1, 1));
    out->tm_isdst = in.isdst;
    out->tm_gmtoff = in.off;
    out->tm_zone = in.abbr;
}

int64_t tz_from_local_seconds(const tz_t *z, int64_t local_s)
{
    int64_t L = tz_clamp(local_s);
    /* Offsets stay within +-26h, so the answer lies in L +- 2 days: every
     * offset in force there is a candidate. */
    int64_t a = L - 2 * TZ_DAY, b = L + 2 * TZ_DAY;
    int64_t trans[32];
    size_t nt = tz_transitions(z, a, b, trans, 32);
    int64_t best = TZ_NO_TIME;
    for (size_t i = 0; i <= nt; i++) {
        int32_t o = tz_offset(z, i == 0 ? a : trans[i - 1]);
        int64_t t = L - o;
        /* Valid when the offset in force at t is the one we assumed; the
         * smallest valid t is the earlier instant of an overlap. */
        if (tz_offset(z, t) == o && (best == TZ_NO_TIME || t < best)) {
            best = t;
        }
    }
    if (best != TZ_NO_TIME) {
        return best;
    }
    /* A gap: read L with the offset before the jump, which lands after it. */
    for (size_t i = 0; i < nt; i++) {
        int32_t before = tz_offset(z, trans[i] - 1), after = tz_offset(z, trans[i]);
        if (after > before && L >= trans[i] + before && L < trans[i] + after) {
            return L - before;
        }
    }
    return L - tz_offset(z, L - tz_offset(z, L)); /* not reached for sane files */
}

int64_t tz_from_local(const tz_t *z, const struct tm *local)
{
    /* int fields in int64 arithmetic cannot overflow; the result is clamped below. */
    int64_t days = tz_days_from_civil((int64_t)local->tm_year + 1900, local->tm_mon + 1, 1) +
                   (int64_t)local->tm_mday - 1;
    int64_t secs = (int64_t)local->tm_hour * 3600 + (int64_t)local->tm_min * 60 + local->tm_sec;
    return tz_from_local_seconds(z, days * TZ_DAY + secs);
}

/* ---- POSIX TZ strings (the footer) ---------------------------------------- */

typedef struct {
    const char *p;
} tz_lex_t;

/* An abbreviation: 3+ letters, or <...> of letters, digits, '+' and '-'. */
static int tz_posix_name(tz_lex_t *lx, char *out)
{
    size_t n = 0;
    if (*lx->p == '<') {
        lx->p++;
        while (*lx->p && *lx->p != '>') {
            char c = *lx->p;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '-') ||
                n + 1 >= TZ_ABBR_MAX) {
                return -1;
            }
            out[n++] = c;
            lx->p++;
        }
        if (*lx->p != '>') {
            return -1;
        }
        lx->p++;
    } else {
        while ((*lx->p >= 'A' && *lx->p <= 'Z') || (*lx->p >= 'a' && *lx->p <= 'z')) {
            if (n + 1 >= TZ_ABBR_MAX) {
                return -1;
            }
            out[n++] = *lx->p++;
        }
    }
    out[n] = '\0';
    return n >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours; the sign applies to the whole. */
static int tz_posix_hms(tz_lex_t *lx, int max_hours, int32_t *out)
{
    int sign = 1;
    if (*lx->p == '+' || *lx->p == '-') {
        sign = *lx->p == '-' ? -1 : 1;
        lx->p++;
    }
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*lx->p != ':') {
                break;
            }
            lx->p++;
        }
        if (*lx->p < '0' || *lx->p > '9') {
            return -1;
        }
        int32_t v = 0;
        for (int digits = 0; *lx->p >= '0' && *lx->p <= '9'; digits++, lx->p++) {
            if (digits >= 3) {
                return -1;
            }
            v = v * 10 + (*lx->p - '0');
        }
        parts[i] = v;
    }
    if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) {
        return -1;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return 0;
}

static int tz_posix_num(tz_lex_t *lx, int lo, int hi, int *out)
{
    if (*lx->p < '0' || *lx->p > '9') {
        return -1;
    }
    int v = 0;
    while (*lx->p >= '0' && *lx->p <= '9') {
        v = v * 10 + (*lx->p++ - '0');
        if (v > hi) {
            return -1;
        }
    }
    if (v < lo) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Jn | n | Mm.w.d, then an optional /time (default 02:00). */
static int tz_posix_date(tz_lex_t *lx, tz_date_t *dt)
{
    memset(dt, 0, sizeof *dt);
    if (*lx->p == 'J') {
        lx->p++;
        dt->kind = 'J';
        if (tz_posix_num(lx, 1, 365, &dt->n) != 0) {
            return -1;
        }
    } else if (*lx->p == 'M') {
        lx->p++;
        dt->kind = 'M';
        if (tz_posix_num(lx, 1, 12, &dt->m) != 0 || *lx->p++ != '.' ||
            tz_posix_num(lx, 1, 5, &dt->w) != 0 || *lx->p++ != '.' ||
            tz_posix_num(lx, 0, 6, &dt->d) != 0) {
            return -1;
        }
    } else {
        dt->kind = 'N';
        if (tz_posix_num(lx, 0, 365, &dt->n) != 0) {
            return -1;
        }
    }
    dt->time = 2 * 3600;
    if (*lx->p == '/') {
        lx->p++;
        /* TZif v3 allows -167..167 hours here (RFC 8536, 3.3.1). */
        if (tz_posix_hms(lx, 167, &dt->time) != 0) {
            return -1;
        }
    }
    return 0;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; "" leaves no rule. */
static int tz_posix_parse(const char *s, tz_rule_t *r)
{
    memset(r, 0, sizeof *r);
    if (*s == '\0') {
        return 0;
    }
    tz_lex_t lx = {s};
    int32_t west;
    if (tz_posix_name(&lx, r->std_abbr) != 0 || tz_posix_hms(&lx, 24, &west) != 0) {
        return -1;
    }
    r->present = true;
    r->std_off = -west; /* POSIX counts west of Greenwich as positive */
    if (*lx.p == '\0') {
        return 0;
    }
    if (tz_posix_name(&lx, r->dst_abbr) != 0) {
        return -1;
    }
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*lx.p && *lx.p != ',') {
        if (tz_posix_hms(&lx, 24, &west) != 0) {
            return -1;
        }
        r->dst_off = -west;
    }
    if (*lx.p == '\0') {
        /* No dates: POSIX leaves them to the implementation; glibc and the
         * tz code use the US rules. */
        tz_lex_t us = {",M3.2.0,M11.1.0"};
        lx = us;
    }
    if (*lx.p++ != ',' || tz_posix_date(&lx, &r->start) != 0 || *lx.p++ != ',' ||
        tz_posix_date(&lx, &r->end) != 0 || *lx.p != '\0') {
        return -1;
    }
    return 0;
}

/* ---- TZif files ----------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n, off;
} tz_cur_t;

typedef struct {
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tz_head_t;

static uint32_t tz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t tz_be64(const uint8_t *p)
{
    return (uint64_t)tz_be32(p) << 32 | tz_be32(p + 4);
}

static int tz_read_head(tz_cur_t *c, tz_head_t *h, const char **why)
{
    if (c->n - c->off < 44 || memcmp(c->p + c->off, "TZif", 4) != 0) {
        *why = "not a TZif file";
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    h->version = (char)p[4];
    h->isutcnt = tz_be32(p + 20);
    h->isstdcnt = tz_be32(p + 24);
    h->leapcnt = tz_be32(p + 28);
    h->timecnt = tz_be32(p + 32);
    h->typecnt = tz_be32(p + 36);
    h->charcnt = tz_be32(p + 40);
    c->off += 44;
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 || h->timecnt > TZ_MAX_FILE ||
        h->charcnt > TZ_MAX_FILE || (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
        (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
        *why = "corrupt TZif header";
        return -1;
    }
    if (h->leapcnt != 0) {
        *why = "leap-second zone files are not supported";
        return -1;
    }
    return 0;
}

static size_t tz_block_size(const tz_head_t *h, size_t timesize)
{
    return (size_t)h->timecnt * (timesize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (timesize + 4) + h->isstdcnt + h->isutcnt;
}

/* Reads one data block into z (times of timesize bytes). */
static int tz_read_block(tz_cur_t *c, const tz_head_t *h, size_t timesize, tz_t *z,
                         const char **why)
{
    if (c->n - c->off < tz_block_size(h, timesize)) {
        *why = "truncated TZif file";
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    z->ntimes = h->timecnt;
    z->times = xcalloc(h->timecnt ? h->timecnt : 1, sizeof *z->times);
    z->idx = xcalloc(h->timecnt ? h->timecnt : 1, 1);
    for (size_t i = 0; i < h->timecnt; i++, p += timesize) {
        z->times[i] = timesize == 8 ? (int64_t)tz_be64(p) : (int64_t)(int32_t)tz_be32(p);
        if (i > 0 && z->times[i] <= z->times[i - 1]) {
            *why = "TZif transitions out of order";
            return -1;
        }
    }
    for (size_t i = 0; i < h->timecnt; i++) {
        z->idx[i] = *p++;
        if (z->idx[i] >= h->typecnt) {
            *why = "corrupt TZif transition type";
            return -1;
        }
    }
    z->ntypes = h->typecnt;
    z->types = xcalloc(h->typecnt, sizeof *z->types);
    for (size_t i = 0; i < h->typecnt; i++, p += 6) {
        int32_t off = (int32_t)tz_be32(p);
        if (off < -26 * 3600 || off > 26 * 3600 || p[4] > 1 || p[5] >= h->charcnt) {
            *why = "corrupt TZif time type";
            return -1;
        }
        z->types[i] = (tz_type_t){.off = off, .isdst = p[4], .abbr = p[5]};
    }
    z->nchars = h->charcnt;
    z->chars = xmalloc(h->charcnt + 1);
    memcpy(z->chars, p, h->charcnt);
    z->chars[h->charcnt] = '\0'; /* a last abbreviation without its NUL stays bounded */
    c->off += tz_block_size(h, timesize);
    return 0;
}

static int tz_parse(const uint8_t *buf, size_t len, tz_t *z, const char **why)
{
    tz_cur_t c = {buf, len, 0};
    tz_head_t h;
    if (tz_read_head(&c, &h, why) != 0) {
        return -1;
    }
    if (h.version == '\0') {
        return tz_read_block(&c, &h, 4, z, why);
    }
    /* v2+: skip the 32-bit block, read the 64-bit one and the footer. */
    if (c.n - c.off < tz_block_size(&h, 4)) {
        *why = "truncated TZif file";
        return -1;
    }
    c.off += tz_block_size(&h, 4);
    if (tz_read_head(&c, &h, why) != 0 || tz_read_block(&c, &h, 8, z, why) != 0) {
        return -1;
    }
    if (c.off >= c.n || buf[c.off] != '\n') {
        *why = "TZif footer missing";
        return -1;
    }
    const char *start = (const char *)buf + c.off + 1;
    const char *nl = memchr(start, '\n', len - c.off - 1);
    if (!nl || nl - start > 255) {
        *why = "TZif footer unterminated";
        return -1;
    }
    char footer[256];
    memcpy(footer, start, (size_t)(nl - start));
    footer[nl - start] = '\0';
    if (tz_posix_parse(footer, &z->rule) != 0) {
        *why = "bad POSIX TZ string in the TZif footer";
        return -1;
    }
    return 0;
}

/* Zone names are relative paths of letters, digits and "._+-/", with no ".."
 * component: they must not escape the zoneinfo directory. */
static bool tz_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '/' || name[0] == '.') {
        return false;
    }
    for (const char *p = name; *p; p++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '+' || ch == '-' || ch == '/')) {
            return false;
        }
        if (ch == '.' && p[1] == '.') {
            return false;
        }
    }
    return true;
}

static tz_t *tz_utc(const char *name)
{
    tz_t *z = xcalloc(1, sizeof *z);
    z->name = xstrdup(name);
    z->ntypes = 1;
    z->types = xcalloc(1, sizeof *z->types);
    z->nchars = 4;
    z->chars = xstrdup("UTC");
    return z;
}

tz_t *tz_load(const char *name, char *err, size_t errlen)
{
    if (!name || !tz_name_ok(name)) {
        snprintf(err, errlen, "invalid time zone name \"%s\"", name ? name : "(null)");
        return NULL;
    }
    if (strcmp(name, "UTC") == 0) {
        return tz_utc(name);
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir) {
        dir = TZ_DEFAULT_DIR;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) {
            snprintf(err, errlen, "unknown time zone \"%s\"", name);
        } else {
            snprintf(err, errlen, "time zone \"%s\": cannot open %s: %s", name, path,
                     strerror(errno));
        }
        return NULL;
    }
    uint8_t *buf = xmalloc(TZ_MAX_FILE + 1);
    size_t len = fread(buf, 1, TZ_MAX_FILE + 1, f);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    tz_t *z = NULL;
    if (rerr == EISDIR) { /* "Europe" names a directory, not a zone */
        snprintf(err, errlen, "unknown time zone \"%s\"", name);
    } else if (rerr) {
        snprintf(err, errlen, "time zone \"%s\": cannot read %s: %s", name, path, strerror(rerr));
    } else if (len > TZ_MAX_FILE) {
        snprintf(err, errlen, "time zone \"%s\": %s is larger than %d bytes", name, path,
                 TZ_MAX_FILE);
    } else {
        const char *why = NULL;
        z = xcalloc(1, sizeof *z);
        z->name = xstrdup(name);
        if (tz_parse(buf, len, z, &why) != 0) {
            snprintf(err, errlen, "time zone \"%s\": %s: %s", name, path, why);
            tz_destroy(&z);
        }
    }
    free(buf);
    return z;
}

void tz_destroy(tz_t **zp)
{
    if (!zp || !*zp) {
        return;
    }
    tz_t *z = *zp;
    free(z->name);
    free(z->times);
    free(z->idx);
    free(z->types);
    free(z->chars);
    free(z);
    *zp = NULL;
}
