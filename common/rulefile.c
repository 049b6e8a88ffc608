/*
 * rulefile - what the YAML rule-file loaders share: errors, typed getters,
 * the allowed-keys check and the parse/load entry points. See rulefile.h.
 *
 * Does not: know any rule file's keys or structs. The YAML tree, its
 * errors and the value parsers are common/config.c's.
 */
#include "rulefile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"

int rulefile_fail(const rulefile_t *rf, int line, const char *key, const char *fmt, ...)
{
    char reason[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    config_error(rf->err, rf->errlen, rf->file, line, key, "%s", reason);
    return -1;
}

/* ---- Keys ---------------------------------------------------------------- */

const char *rulefile_key(char *buf, size_t len, const char *path, const char *leaf)
{
    /* By hand: keys are short, and snprintf's truncation check cannot see it. */
    size_t at = 0;
    const char *parts[] = {path, *path ? "." : "", leaf};
    for (size_t p = 0; p < 3; p++) {
        for (const char *s = parts[p]; *s && at + 1 < len; s++) {
            buf[at++] = *s;
        }
    }
    buf[at] = '\0';
    return buf;
}

int rulefile_key_line(const config_node_t *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            return map->key_lines[i];
        }
    }
    return map->line;
}

int rulefile_check_keys(const rulefile_t *rf, const config_node_t *map, const char *path,
                        const char *const *allowed)
{
    if (path && *path) {
        return config_check_keys(map, rf->file, path, allowed, rf->err, rf->errlen);
    }
    return rulefile_check_keys_bare(rf, map, NULL, allowed);
}

int rulefile_check_keys_bare(const rulefile_t *rf, const config_node_t *map, const char *key,
                             const char *const *allowed)
{
    if (rulefile_map(rf, map, key) != 0) {
        return -1;
    }
    for (size_t i = 0; i < map->n; i++) {
        /* The nearest allowed key within two edits, the first of equals
         * (as config_check_keys() chooses). */
        const char *best = NULL;
        int best_d = 3;
        bool ok = false;
        for (size_t j = 0; allowed[j] && !ok; j++) {
            ok = strcmp(map->keys[i], allowed[j]) == 0;
            int d = config_edit_distance(map->keys[i], allowed[j], 2);
            if (d < best_d) {
                best_d = d;
                best = allowed[j];
            }
        }
        if (!ok) {
            if (best) {
                return rulefile_fail(rf, map->key_lines[i], map->keys[i],
                                     "unknown key (did you mean \"%s\"?)", best);
            }
            return rulefile_fail(rf, map->key_lines[i], map->keys[i], "unknown key");
        }
    }
    return 0;
}

/* ---- Typed getters --------------------------------------------------------- */

int rulefile_scalar(const rulefile_t *rf, const config_node_t *node, const char *key,
                    const char **out)
{
    *out = ""; /* defined on failure too (and the optimiser can see it) */
    if (!node || node->type != CONFIG_NODE_SCALAR) {
        return rulefile_fail(rf, node ? node->line : 0, key, "expected a scalar, got a %s",
                             config_node_type_name(node));
    }
    *out = node->value;
    return 0;
}

int rulefile_name(const rulefile_t *rf, const config_node_t *node, const char *key,
                  const char **out)
{
    if (rulefile_scalar(rf, node, key, out) != 0) {
        return -1;
    }
    if (**out == '\0') {
        return rulefile_fail(rf, node->line, key, "must not be empty");
    }
    return 0;
}

int rulefile_ident(const rulefile_t *rf, const config_node_t *item, const char *path,
                   const char *what, const char **out)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    char key[160];
    const config_node_t *v = config_node_get(item, "name");
    rulefile_key(key, sizeof key, path, "name");
    *out = "";
    if (!v) {
        return rulefile_fail(rf, item->line, path, "every %s needs a name:", what);
    }
    if (rulefile_name(rf, v, key, out) != 0) {
        return -1;
    }
    if ((*out)[strspn(*out, ok)] != '\0') {
        return rulefile_fail(rf, v->line, key, "\"%s\" is not a name (letters, digits, _ and -)",
                             *out);
    }
    return 0;
}

int rulefile_seq(const rulefile_t *rf, const config_node_t *node, const char *key)
{
    if (!node || node->type != CONFIG_NODE_SEQUENCE) {
        return rulefile_fail(rf, node ? node->line : 0, key, "expected a sequence, got a %s",
                             config_node_type_name(node));
    }
    return 0;
}

int rulefile_map(const rulefile_t *rf, const config_node_t *node, const char *key)
{
    if (!node || node->type != CONFIG_NODE_MAPPING) {
        return rulefile_fail(rf, node ? node->line : 0, key, "expected a mapping, got a %s",
                             config_node_type_name(node));
    }
    return 0;
}

int rulefile_bool(const rulefile_t *rf, const config_node_t *node, const char *key, bool *out)
{
    const char *text;
    char why[256];
    if (rulefile_scalar(rf, node, key, &text) != 0) {
        return -1;
    }
    if (config_parse_bool(text, out, why, sizeof why) != 0) {
        return rulefile_fail(rf, node->line, key, "%s", why);
    }
    return 0;
}

int rulefile_int(const rulefile_t *rf, const config_node_t *node, const char *key, int64_t lo,
                 int64_t hi, int64_t *out)
{
    const char *text;
    char why[256];
    int64_t v;
    if (rulefile_scalar(rf, node, key, &text) != 0) {
        return -1;
    }
    if (config_parse_int(text, &v, why, sizeof why) != 0) {
        return rulefile_fail(rf, node->line, key, "%s", why);
    }
    if (v < lo || v > hi) {
        return rulefile_fail(rf, node->line, key, "%lld is out of range (%lld to %lld)",
                             (long long)v, (long long)lo, (long long)hi);
    }
    *out = v;
    return 0;
}

int rulefile_duration(const rulefile_t *rf, const config_node_t *node, const char *key,
                      int64_t min_us, int64_t max_us, const char *units, const char *range,
                      int64_t *out)
{
    const char *text;
    if (rulefile_scalar(rf, node, key, &text) != 0) {
        return -1;
    }
    size_t digits = strspn(text, "0123456789");
    if (digits > 0 && text[digits] == '\0' && strcmp(text, "0") != 0) {
        /* "300" alone: which unit? Show the number with each suggested one. */
        char example[256] = "";
        size_t at = 0;
        for (const char *u = units; *u;) {
            size_t n = strcspn(u, " ");
            at += (size_t)snprintf(example + at, sizeof example - at, "%s%s%.*s", at ? " or " : "",
                                   text, (int)n, u);
            if (at >= sizeof example) {
                break;
            }
            u += n + strspn(u + n, " ");
        }
        return rulefile_fail(rf, node->line, key, "\"%s\" needs a unit (e.g. %s)", text, example);
    }
    char why[256];
    int64_t us;
    if (config_parse_duration(text, 1, &us, why, sizeof why) != 0) {
        return rulefile_fail(rf, node->line, key, "%s", why);
    }
    if (us < min_us || us > max_us) {
        char lo[32], hi[32];
        if (range) {
            return rulefile_fail(rf, node->line, key, "%s is out of range (%s)", text, range);
        }
        return rulefile_fail(rf, node->line, key, "%s is out of range (%s to %s)", text,
                             config_format_duration(min_us, 1, lo, sizeof lo),
                             config_format_duration(max_us, 1, hi, sizeof hi));
    }
    *out = us;
    return 0;
}

int rulefile_enum(const rulefile_t *rf, const config_node_t *node, const char *key,
                  const char *const *names, int *out)
{
    const char *text;
    if (rulefile_scalar(rf, node, key, &text) != 0) {
        return -1;
    }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
    }
    return rulefile_fail(rf, node->line, key, "\"%s\" is not one of %s", text, list);
}

/* ---- Names among loaded items -------------------------------------------- */

/* The name of item i of an array of structs that begin with a char *. */
static const char *rulefile_item_name(const void *items, size_t i, size_t stride)
{
    const char *name;
    memcpy(&name, (const char *)items + i * stride, sizeof name);
    return name;
}

const char *rulefile_suggest(const char *text, const void *items, size_t n, size_t stride,
                             char *buf, size_t len)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < n; i++) {
        const char *name = rulefile_item_name(items, i, stride);
        int d = config_edit_distance(text, name, 2);
        if (d < best_d || (d == best_d && best && strcasecmp(text, name) == 0)) {
            best_d = d;
            best = name;
        }
    }
    if (best) {
        snprintf(buf, len, " (did you mean \"%s\"?)", best);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

int rulefile_unique(const rulefile_t *rf, const char *name, int line, const char *key,
                    const char *what, const void *items, size_t n, size_t stride, size_t line_off)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rulefile_item_name(items, i, stride), name) == 0) {
            int first;
            memcpy(&first, (const char *)items + i * stride + line_off, sizeof first);
            return rulefile_fail(rf, line, key, "duplicate %s \"%s\" (first at line %d)", what,
                                 name, first);
        }
    }
    return 0;
}

int rulefile_unknown(const rulefile_t *rf, int line, const char *key, const char *what,
                     const char *name, const void *items, size_t n, size_t stride, const char *none)
{
    char hint[160];
    if (n == 0 && none) {
        snprintf(hint, sizeof hint, " (no %s: are defined)", none);
    } else {
        rulefile_suggest(name, items, n, stride, hint, sizeof hint);
    }
    return rulefile_fail(rf, line, key, "unknown %s \"%s\"%s", what, name, hint);
}

/* ---- Forms of text ------------------------------------------------------- */

int rulefile_day(const char *text, size_t len)
{
    static const char *const names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    for (int d = 0; d < 7; d++) {
        if ((len == 3 || len == strlen(names[d])) && strncasecmp(text, names[d], len) == 0) {
            return d;
        }
    }
    return -1;
}

int rulefile_hours(const char *text, int *start_minute, int *end_minute)
{
    int h1, m1, h2, m2, used = 0;
    if (strlen(text) != 11 || sscanf(text, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &used) != 4 ||
        used != 11) {
        return -1;
    }
    if (h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
        (h2 == 24 && m2 != 0)) {
        return -1;
    }
    *start_minute = h1 * 60 + m1;
    *end_minute = h2 * 60 + m2;
    return *start_minute < *end_minute ? 0 : -1;
}

/* ---- Reading the file ---------------------------------------------------- */

/* Builds from root and frees it (it holds the file's text). */
static int rulefile_build(config_node_t **root, const char *file, rulefile_build_fn build,
                          void *arg, char *err, size_t errlen)
{
    rulefile_t rf = {file, err, errlen};
    int rc = build(&rf, *root, arg);
    config_node_destroy(root);
    return rc;
}

int rulefile_parse(const char *name, const char *text, size_t len, rulefile_build_fn build,
                   void *arg, char *err, size_t errlen)
{
    config_node_t *root = NULL;
    if (config_parse_string(name, text, len, &root, err, errlen) != 0) {
        return -1;
    }
    return rulefile_build(&root, name, build, arg, err, errlen);
}

int rulefile_load(const char *path, rulefile_build_fn build, void *arg, char *err, size_t errlen)
{
    config_node_t *root = NULL;
    if (config_parse_file(path, &root, err, errlen) != 0) {
        return -1;
    }
    return rulefile_build(&root, path, build, arg, err, errlen);
}
