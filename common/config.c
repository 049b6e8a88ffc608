/*
 * config - YAML into a line-numbered tree, and a settings table that fills
 * a struct from it. See config.h.
 *
 * The YAML layer is a thin recursive reader over libyaml's event API: it
 * builds mappings, sequences and scalars and rejects the YAML features the
 * configuration does not use (anchors, aliases, tags, several documents),
 * because a reader of the file should see every value where it applies.
 * Scalar text is wiped before it is freed, here and in libyaml's events,
 * since secrets pass through it.
 *
 * The table layer knows types, not settings: alertdesk's table is in
 * settings.c. It does no I/O other than reading the file and the secrets
 * ("file:/path") it is told to read, and it never logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "config.h"
#include "xalloc.h"

#define CONFIG_MAX_DEPTH     64
#define CONFIG_MAX_FILE      (16 * 1024 * 1024)
#define CONFIG_MAX_COMPONENT 16

/* ---- Errors ------------------------------------------------------------ */

void config_error(char *err, size_t errlen, const char *file, int line, const char *key,
                  const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (!err || errlen == 0) {
        return;
    }
    char where[64] = "";
    if (line > 0) {
        snprintf(where, sizeof where, ":%d", line);
    }
    if (key && *key) {
        snprintf(err, errlen, "%s%s: %s: %s", file ? file : "(config)", where, key, reason);
    } else {
        snprintf(err, errlen, "%s%s: %s", file ? file : "(config)", where, reason);
    }
}

/* ---- The tree ---------------------------------------------------------- */

static config_node_t *config_node_new(config_node_type_t type, int line)
{
    config_node_t *n = xcalloc(1, sizeof *n);
    n->type = type;
    n->line = line;
    return n;
}

static void config_node_append(config_node_t *parent, char *key, int key_line, config_node_t *child)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 4;
        parent->children = xrealloc(parent->children, parent->cap * sizeof *parent->children);
        if (parent->type == CONFIG_NODE_MAPPING) {
            parent->keys = xrealloc(parent->keys, parent->cap * sizeof *parent->keys);
            parent->key_lines = xrealloc(parent->key_lines, parent->cap * sizeof(int));
        }
    }
    if (parent->type == CONFIG_NODE_MAPPING) {
        parent->keys[parent->n] = key;
        parent->key_lines[parent->n] = key_line;
    }
    parent->children[parent->n++] = child;
}

void config_node_destroy(config_node_t **np)
{
    if (!np || !*np) {
        return;
    }
    config_node_t *n = *np;
    if (n->value) {
        explicit_bzero(n->value, strlen(n->value));
        free(n->value);
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys) {
            free(n->keys[i]);
        }
        config_node_destroy(&n->children[i]);
    }
    free(n->keys);
    free(n->key_lines);
    free(n->children);
    free(n);
    *np = NULL;
}

const config_node_t *config_node_get(const config_node_t *map, const char *key)
{
    if (!map || map->type != CONFIG_NODE_MAPPING) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i], key) == 0) {
            return map->children[i];
        }
    }
    return NULL;
}

bool config_node_is_null(const config_node_t *node)
{
    if (!node || node->type != CONFIG_NODE_SCALAR || node->quoted) {
        return false;
    }
    const char *v = node->value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

const char *config_node_type_name(const config_node_t *node)
{
    if (!node) {
        return "nothing";
    }
    switch (node->type) {
    case CONFIG_NODE_MAPPING:
        return "mapping";
    case CONFIG_NODE_SEQUENCE:
        return "sequence";
    default:
        return "scalar";
    }
}

/* ---- The YAML reader ---------------------------------------------------- */

typedef struct {
    yaml_parser_t parser;
    const char *file;
    char *err;
    size_t errlen;
    int depth;
} config_reader_t;

/* Wipes a scalar's text before libyaml frees it: it may be a secret. */
static void config_event_delete(yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value) {
        explicit_bzero(ev->data.scalar.value, ev->data.scalar.length);
    }
    yaml_event_delete(ev);
}

static int config_reader_next(config_reader_t *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev)) {
        return 0;
    }
    const yaml_parser_t *p = &r->parser;
    const char *problem = p->problem ? p->problem : "unreadable input";
    int line = (int)p->problem_mark.line + 1;
    if (p->context) {
        config_error(r->err, r->errlen, r->file, line, NULL,
                     "YAML syntax error: %s (%s at line %d)", problem, p->context,
                     (int)p->context_mark.line + 1);
    } else {
        config_error(r->err, r->errlen, r->file, line, NULL, "YAML syntax error: %s", problem);
    }
    return -1;
}

/* Rejects anchors and tags on a node; !!str is the one tag accepted. */
static int config_reader_plain(config_reader_t *r, const yaml_char_t *anchor,
                               const yaml_char_t *tag, int line, const char *path)
{
    if (anchor) {
        config_error(r->err, r->errlen, r->file, line, path, "YAML anchors (&%s) are not supported",
                     (const char *)anchor);
        return -1;
    }
    if (tag && strcmp((const char *)tag, YAML_STR_TAG) != 0) {
        config_error(r->err, r->errlen, r->file, line, path, "YAML tags (%s) are not supported",
                     (const char *)tag);
        return -1;
    }
    return 0;
}

static int config_reader_node(config_reader_t *r, yaml_event_t *ev, const char *path,
                              config_node_t **out);

static int config_reader_mapping(config_reader_t *r, const char *path, config_node_t *map)
{
    for (;;) {
        yaml_event_t kev;
        if (config_reader_next(r, &kev)) {
            return -1;
        }
        if (kev.type == YAML_MAPPING_END_EVENT) {
            config_event_delete(&kev);
            return 0;
        }
        int key_line = (int)kev.start_mark.line + 1;
        if (kev.type != YAML_SCALAR_EVENT) {
            config_error(r->err, r->errlen, r->file, key_line, path,
                         kev.type == YAML_ALIAS_EVENT ? "YAML aliases are not supported"
                                                      : "keys must be plain scalars");
            config_event_delete(&kev);
            return -1;
        }
        if (config_reader_plain(r, kev.data.scalar.anchor, kev.data.scalar.tag, key_line, path)) {
            config_event_delete(&kev);
            return -1;
        }
        char *key = xstrdup((const char *)kev.data.scalar.value);
        config_event_delete(&kev);
        char *child_path = path[0] ? xasprintf("%s.%s", path, key) : xstrdup(key);
        for (size_t i = 0; i < map->n; i++) {
            if (strcmp(map->keys[i], key) == 0) {
                config_error(r->err, r->errlen, r->file, key_line, child_path,
                             "duplicate key (first at line %d)", map->key_lines[i]);
                free(child_path);
                free(key);
                return -1;
            }
        }
        yaml_event_t vev;
        config_node_t *child = NULL;
        if (config_reader_next(r, &vev) || config_reader_node(r, &vev, child_path, &child)) {
            free(child_path);
            free(key);
            return -1;
        }
        free(child_path);
        config_node_append(map, key, key_line, child);
    }
}

static int config_reader_sequence(config_reader_t *r, const char *path, config_node_t *seq)
{
    for (;;) {
        yaml_event_t ev;
        if (config_reader_next(r, &ev)) {
            return -1;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            config_event_delete(&ev);
            return 0;
        }
        char *child_path = xasprintf("%s[%zu]", path, seq->n);
        config_node_t *child = NULL;
        int rc = config_reader_node(r, &ev, child_path, &child);
        free(child_path);
        if (rc) {
            return -1;
        }
        config_node_append(seq, NULL, 0, child);
    }
}

/* Builds the node that starts with *ev, and deletes *ev. */
static int config_reader_node(config_reader_t *r, yaml_event_t *ev, const char *path,
                              config_node_t **out)
{
    int line = (int)ev->start_mark.line + 1;
    int rc = -1;
    *out = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        config_error(r->err, r->errlen, r->file, line, path, "YAML aliases (*%s) are not supported",
                     (const char *)ev->data.alias.anchor);
        break;
    case YAML_SCALAR_EVENT:
        if (config_reader_plain(r, ev->data.scalar.anchor, ev->data.scalar.tag, line, path)) {
            break;
        }
        if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length) {
            config_error(r->err, r->errlen, r->file, line, path, "value contains a NUL byte");
            break;
        }
        *out = config_node_new(CONFIG_NODE_SCALAR, line);
        (*out)->value = xstrdup((const char *)ev->data.scalar.value);
        (*out)->quoted =
            ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag != NULL;
        rc = 0;
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        if (config_reader_plain(r, anchor, tag, line, path)) {
            break;
        }
        if (++r->depth > CONFIG_MAX_DEPTH) {
            config_error(r->err, r->errlen, r->file, line, path, "nested deeper than %d levels",
                         CONFIG_MAX_DEPTH);
            break;
        }
        *out = config_node_new(is_map ? CONFIG_NODE_MAPPING : CONFIG_NODE_SEQUENCE, line);
        rc = is_map ? config_reader_mapping(r, path, *out) : config_reader_sequence(r, path, *out);
        r->depth--;
        if (rc) {
            config_node_destroy(out);
        }
        break;
    }
    default:
        config_error(r->err, r->errlen, r->file, line, path, "unexpected YAML structure");
        break;
    }
    config_event_delete(ev);
    return rc;
}

static int config_reader_stream(config_reader_t *r, config_node_t **root)
{
    yaml_event_t ev;
    if (config_reader_next(r, &ev)) {
        return -1;
    }
    config_event_delete(&ev); /* stream start */
    if (config_reader_next(r, &ev)) {
        return -1;
    }
    if (ev.type == YAML_STREAM_END_EVENT) {
        config_event_delete(&ev);
        return 0;
    }
    config_event_delete(&ev); /* document start */
    if (config_reader_next(r, &ev) || config_reader_node(r, &ev, "", root)) {
        return -1;
    }
    if (config_reader_next(r, &ev)) {
        goto fail;
    }
    config_event_delete(&ev); /* document end */
    if (config_reader_next(r, &ev)) {
        goto fail;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        config_error(r->err, r->errlen, r->file, (int)ev.start_mark.line + 1, NULL,
                     "only one YAML document per file is supported");
        config_event_delete(&ev);
        goto fail;
    }
    config_event_delete(&ev);
    if (config_node_is_null(*root)) {
        config_node_destroy(root); /* "---" alone: an empty file */
    }
    return 0;
fail:
    config_node_destroy(root);
    return -1;
}

int config_parse_string(const char *name, const char *text, size_t len, config_node_t **root,
                        char *err, size_t errlen)
{
    config_reader_t r = {.file = name, .err = err, .errlen = errlen};
    *root = NULL;
    if (!yaml_parser_initialize(&r.parser)) {
        config_error(err, errlen, name, 0, NULL, "cannot initialise the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
    int rc = config_reader_stream(&r, root);
    yaml_parser_delete(&r.parser);
    return rc;
}

int config_parse_file(const char *path, config_node_t **root, char *err, size_t errlen)
{
    *root = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        config_error(err, errlen, path, 0, NULL, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len == cap) {
            char *bigger = xmalloc(cap * 2);
            memcpy(bigger, buf, len);
            explicit_bzero(buf, len);
            free(buf);
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0 || len > CONFIG_MAX_FILE) {
            break;
        }
    }
    int rc = -1;
    if (ferror(f)) {
        config_error(err, errlen, path, 0, NULL, "cannot read: %s", strerror(errno));
    } else if (len > CONFIG_MAX_FILE) {
        config_error(err, errlen, path, 0, NULL, "larger than %d bytes", CONFIG_MAX_FILE);
    } else {
        rc = config_parse_string(path, buf, len, root, err, errlen);
    }
    fclose(f);
    explicit_bzero(buf, cap);
    free(buf);
    return rc;
}

/* ---- Value parsers ------------------------------------------------------ */

int config_parse_int(const char *text, int64_t *out, char *why, size_t whylen)
{
    const char *p = text;
    if (*p == '-' || *p == '+') {
        p++;
    }
    if (*p < '0' || *p > '9') {
        snprintf(why, whylen, "\"%s\" is not an integer", text);
        return -1;
    }
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0') {
        snprintf(why, whylen, "\"%s\" is not an integer", text);
        return -1;
    }
    if (errno == ERANGE) {
        snprintf(why, whylen, "%s is too large", text);
        return -1;
    }
    *out = v;
    return 0;
}

int config_parse_bool(const char *text, bool *out, char *why, size_t whylen)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(why, whylen, "\"%s\" is not a boolean (use true/false, yes/no or on/off)", text);
    return -1;
}

typedef struct {
    const char *suffix;
    int64_t mult;
} config_unit_t;

static const config_unit_t config_duration_units[] = {
    {"d", 86400000000LL}, {"h", 3600000000LL}, {"m", 60000000LL}, {"s", 1000000LL},
    {"ms", 1000LL},       {"us", 1LL},         {"µs", 1LL},       {NULL, 0},
};

static const config_unit_t config_size_units[] = {
    {"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10}, {"GB", 1000000000LL},
    {"MB", 1000000LL},  {"kB", 1000LL},     {"B", 1LL},         {NULL, 0},
};

/* Splits "<digits><suffix>" and scales by the suffix's multiplier; an empty
 * suffix scales by plain. Returns -1 on anything else or on overflow. */
static int config_parse_scaled(const char *text, const config_unit_t *units, int64_t plain,
                               int64_t *out)
{
    const char *p = text;
    int64_t n = 0;
    if (*p < '0' || *p > '9') {
        return -1;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - (*p - '0')) / 10) {
            return -1;
        }
        n = n * 10 + (*p - '0');
    }
    int64_t mult = 0;
    if (*p == '\0') {
        mult = plain;
    } else {
        for (const config_unit_t *u = units; u->suffix; u++) {
            if (strcmp(p, u->suffix) == 0) {
                mult = u->mult;
                break;
            }
        }
    }
    if (mult == 0 || (n != 0 && n > INT64_MAX / mult)) {
        return -1;
    }
    *out = n * mult;
    return 0;
}

static const char *config_unit_name(int64_t unit_us)
{
    for (const config_unit_t *u = config_duration_units; u->suffix; u++) {
        if (u->mult == unit_us) {
            return u->suffix;
        }
    }
    return "units";
}

int config_parse_duration(const char *text, int64_t unit_us, int64_t *out, char *why, size_t whylen)
{
    int64_t us;
    if (unit_us <= 0) {
        unit_us = 1;
    }
    if (config_parse_scaled(text, config_duration_units, unit_us, &us) != 0) {
        snprintf(why, whylen, "\"%s\" is not a duration (use e.g. 1500us, 250ms, 5s, 2m, 1h, 1d)",
                 text);
        return -1;
    }
    if (us % unit_us != 0) {
        snprintf(why, whylen, "\"%s\" is not a whole number of %s", text,
                 config_unit_name(unit_us));
        return -1;
    }
    *out = us / unit_us;
    return 0;
}

int config_parse_size(const char *text, int64_t *out, char *why, size_t whylen)
{
    if (config_parse_scaled(text, config_size_units, 1, out) != 0) {
        snprintf(why, whylen,
                 "\"%s\" is not a size (use bytes or B, kB, MB, GB, KiB, MiB, GiB, e.g. 512KiB)",
                 text);
        return -1;
    }
    return 0;
}

const char *config_format_duration(int64_t value, int64_t unit_us, char *buf, size_t buflen)
{
    if (unit_us <= 0) {
        unit_us = 1;
    }
    if (value == 0) {
        snprintf(buf, buflen, "0s");
        return buf;
    }
    if (value > INT64_MAX / unit_us || value < 0) {
        snprintf(buf, buflen, "%" PRId64, value);
        return buf;
    }
    int64_t us = value * unit_us;
    for (const config_unit_t *u = config_duration_units; u->suffix; u++) {
        if (us % u->mult == 0) {
            snprintf(buf, buflen, "%" PRId64 "%s", us / u->mult, u->suffix);
            return buf;
        }
    }
    return buf; /* not reached: "us" divides everything */
}

const char *config_format_size(int64_t value, char *buf, size_t buflen)
{
    static const config_unit_t binary[] = {
        {"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10}, {NULL, 0}};
    for (const config_unit_t *u = binary; value > 0 && u->suffix; u++) {
        if (value % u->mult == 0) {
            snprintf(buf, buflen, "%" PRId64 "%s", value / u->mult, u->suffix);
            return buf;
        }
    }
    snprintf(buf, buflen, "%" PRId64, value);
    return buf;
}

/* ---- Secrets ------------------------------------------------------------- */

int config_resolve_secret(const char *text, char **out, char *why, size_t whylen)
{
    *out = NULL;
    if (strncmp(text, "env:", 4) == 0) {
        const char *name = text + 4;
        const char *v = name[0] ? getenv(name) : NULL;
        if (!v) {
            snprintf(why, whylen, "environment variable %s is not set",
                     name[0] ? name : "(empty name)");
            return -1;
        }
        *out = xstrdup(v);
        return 0;
    }
    if (strncmp(text, "file:", 5) == 0) {
        const char *path = text + 5;
        FILE *f = fopen(path, "r");
        if (!f) {
            snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, f);
        int read_errno = errno;
        bool failed = ferror(f);
        fclose(f);
        if (n < 0 && failed) {
            snprintf(why, whylen, "cannot read %s: %s", path, strerror(read_errno));
            free(line);
            return -1;
        }
        if (n < 0) {
            n = 0; /* empty file: an empty secret */
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        *out = xstrndup(line ? line : "", (size_t)n);
        if (line) {
            explicit_bzero(line, cap);
            free(line);
        }
        return 0;
    }
    *out = xstrdup(text);
    return 0;
}

void config_secret_free(char **sp)
{
    if (!sp || !*sp) {
        return;
    }
    explicit_bzero(*sp, strlen(*sp));
    free(*sp);
    *sp = NULL;
}

/* ---- Helpers for parsers ------------------------------------------------- */

int config_expect_scalar(const config_node_t *node, const char *file, const char *key, char *err,
                         size_t errlen)
{
    if (node && node->type == CONFIG_NODE_SCALAR) {
        return 0;
    }
    config_error(err, errlen, file, node ? node->line : 0, key, "expected a scalar, got a %s",
                 config_node_type_name(node));
    return -1;
}

int config_edit_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la > lb ? la - lb : lb - la) > (size_t)cap) {
        return cap + 1;
    }
    int *prev = xmalloc((lb + 1) * sizeof *prev);
    int *cur = xmalloc((lb + 1) * sizeof *cur);
    for (size_t j = 0; j <= lb; j++) {
        prev[j] = (int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1;
            int ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    int d = prev[lb];
    free(prev);
    free(cur);
    return d > cap ? cap + 1 : d;
}

/* Writes " (did you mean \"x\"?)" for the nearest candidate within distance
 * 2, or "" when none is that near. */
static void config_suggest(const char *key, const char *const *cands, size_t ncands, char *buf,
                           size_t buflen)
{
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < ncands; i++) {
        int d = config_edit_distance(key, cands[i], 2);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    if (best) {
        snprintf(buf, buflen, " (did you mean \"%s\"?)", best);
    } else if (buflen) {
        buf[0] = '\0';
    }
}

int config_check_keys(const config_node_t *map, const char *file, const char *path,
                      const char *const *allowed, char *err, size_t errlen)
{
    if (!map || map->type != CONFIG_NODE_MAPPING) {
        config_error(err, errlen, file, map ? map->line : 0, path, "expected a mapping, got a %s",
                     config_node_type_name(map));
        return -1;
    }
    size_t nallowed = 0;
    while (allowed[nallowed]) {
        nallowed++;
    }
    for (size_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (size_t j = 0; j < nallowed && !ok; j++) {
            ok = strcmp(map->keys[i], allowed[j]) == 0;
        }
        if (!ok) {
            char hint[160], key[256];
            config_suggest(map->keys[i], allowed, nallowed, hint, sizeof hint);
            snprintf(key, sizeof key, "%s.%s", path, map->keys[i]);
            config_error(err, errlen, file, map->key_lines[i], key, "unknown key%s", hint);
            return -1;
        }
    }
    return 0;
}

void config_print_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fprintf(out, "\\x%02x", *p);
            } else {
                fputc(*p, out);
            }
        }
    }
    fputc('"', out);
}

/* ---- Fields --------------------------------------------------------------- */

static void *config_field(void *base, size_t offset)
{
    return (char *)base + offset;
}

static const void *config_cfield(const void *base, size_t offset)
{
    return (const char *)base + offset;
}

static int64_t config_width_max(size_t size)
{
    switch (size) {
    case 1:
        return INT8_MAX;
    case 2:
        return INT16_MAX;
    case 4:
        return INT32_MAX;
    default:
        return INT64_MAX;
    }
}

static void config_range(const config_setting_t *d, int64_t *lo, int64_t *hi)
{
    if (d->min == 0 && d->max == 0) {
        *lo = 0;
        *hi = config_width_max(d->size);
    } else {
        *lo = d->min;
        *hi = d->max;
    }
}

static void config_int_store(void *p, size_t size, int64_t v)
{
    switch (size) {
    case 1: {
        int8_t x = (int8_t)v;
        memcpy(p, &x, 1);
        break;
    }
    case 2: {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
        break;
    }
    case 4: {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

static int64_t config_int_load(const void *p, size_t size)
{
    switch (size) {
    case 1: {
        int8_t x;
        memcpy(&x, p, 1);
        return x;
    }
    case 2: {
        int16_t x;
        memcpy(&x, p, 2);
        return x;
    }
    case 4: {
        int32_t x;
        memcpy(&x, p, 4);
        return x;
    }
    default: {
        int64_t x;
        memcpy(&x, p, 8);
        return x;
    }
    }
}

/* A number as its type prints it: "64", "2ms", "512KiB". */
static const char *config_format_number(const config_setting_t *d, int64_t v, char *buf,
                                        size_t buflen)
{
    switch (d->type) {
    case CONFIG_DURATION:
        return config_format_duration(v, d->unit_us, buf, buflen);
    case CONFIG_SIZE:
        return config_format_size(v, buf, buflen);
    default:
        snprintf(buf, buflen, "%" PRId64, v);
        return buf;
    }
}

/* Parses the text of an INT, DURATION or SIZE setting and checks bounds. */
static int config_parse_number(const config_setting_t *d, const char *text, int64_t *out, char *why,
                               size_t whylen)
{
    int rc;
    switch (d->type) {
    case CONFIG_DURATION:
        rc = config_parse_duration(text, d->unit_us, out, why, whylen);
        break;
    case CONFIG_SIZE:
        rc = config_parse_size(text, out, why, whylen);
        break;
    default:
        rc = config_parse_int(text, out, why, whylen);
        break;
    }
    if (rc) {
        return -1;
    }
    int64_t lo, hi;
    config_range(d, &lo, &hi);
    if (*out < lo || *out > hi) {
        char a[32], b[32];
        snprintf(why, whylen, "%s is out of range %s..%s", text,
                 config_format_number(d, lo, a, sizeof a),
                 config_format_number(d, hi, b, sizeof b));
        return -1;
    }
    return 0;
}

static void config_strlist_free(const config_setting_t *d, void *base)
{
    char ***items = config_field(base, d->offset);
    size_t *count = config_field(base, d->count_offset);
    for (size_t i = 0; i < *count; i++) {
        free((*items)[i]);
    }
    free(*items);
    *items = NULL;
    *count = 0;
}

static int config_strlist_parse(const config_setting_t *d, const config_node_t *node,
                                const char *file, void *base, char *err, size_t errlen)
{
    if (!config_node_is_null(node) && node->type != CONFIG_NODE_SEQUENCE) {
        config_error(err, errlen, file, node->line, d->name, "expected a sequence, got a %s",
                     config_node_type_name(node));
        return -1;
    }
    size_t n = node->type == CONFIG_NODE_SEQUENCE ? node->n : 0;
    for (size_t i = 0; i < n; i++) {
        if (node->children[i]->type != CONFIG_NODE_SCALAR) {
            char key[256];
            snprintf(key, sizeof key, "%s[%zu]", d->name, i);
            return config_expect_scalar(node->children[i], file, key, err, errlen);
        }
    }
    config_strlist_free(d, base);
    char **items = xcalloc(n ? n : 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = xstrdup(node->children[i]->value);
    }
    *(char ***)config_field(base, d->offset) = items;
    *(size_t *)config_field(base, d->count_offset) = n;
    return 0;
}

/* Parses node as the value of setting d into base. */
static int config_setting_parse(const config_setting_t *d, const config_node_t *node,
                                const char *file, void *base, char *err, size_t errlen)
{
    char why[384];
    if (d->type == CONFIG_STRLIST) {
        return config_strlist_parse(d, node, file, base, err, errlen);
    }
    if (d->type == CONFIG_CUSTOM) {
        return d->parse(d, node, file, base, err, errlen);
    }
    if (config_expect_scalar(node, file, d->name, err, errlen)) {
        return -1;
    }
    bool null = config_node_is_null(node);
    if (d->type == CONFIG_STRING) {
        char *val;
        if (d->flags & CONFIG_SECRET) {
            if (config_resolve_secret(null ? "" : node->value, &val, why, sizeof why)) {
                config_error(err, errlen, file, node->line, d->name, "%s", why);
                return -1;
            }
        } else {
            val = xstrdup(null ? "" : node->value);
        }
        if (d->check && d->check(val, why, sizeof why)) {
            config_secret_free(&val);
            config_error(err, errlen, file, node->line, d->name, "%s", why);
            return -1;
        }
        char **fp = config_field(base, d->offset);
        config_secret_free(fp);
        *fp = val;
        return 0;
    }
    if (null) {
        config_error(err, errlen, file, node->line, d->name, "a value is required");
        return -1;
    }
    if (d->type == CONFIG_BOOL) {
        bool b;
        if (config_parse_bool(node->value, &b, why, sizeof why)) {
            config_error(err, errlen, file, node->line, d->name, "%s", why);
            return -1;
        }
        *(bool *)config_field(base, d->offset) = b;
        return 0;
    }
    int64_t v;
    if (config_parse_number(d, node->value, &v, why, sizeof why)) {
        config_error(err, errlen, file, node->line, d->name, "%s", why);
        return -1;
    }
    config_int_store(config_field(base, d->offset), d->size, v);
    return 0;
}

/* ---- The table ------------------------------------------------------------ */

/* Splits a dotted name into at most CONFIG_MAX_COMPONENT parts. */
static size_t config_split(const char *name, const char **parts, size_t *lens)
{
    size_t n = 0;
    const char *p = name;
    while (n < CONFIG_MAX_COMPONENT) {
        const char *dot = strchr(p, '.');
        parts[n] = p;
        lens[n] = dot ? (size_t)(dot - p) : strlen(p);
        n++;
        if (!dot) {
            break;
        }
        p = dot + 1;
    }
    return n;
}

/* True if name starts with prefix followed by a dot. */
static bool config_has_prefix(const char *name, const char *prefix, size_t plen)
{
    return strncmp(name, prefix, plen) == 0 && name[plen] == '.';
}

int config_table_check(const config_setting_t *table, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *d = &table[i];
        char why[384];
        if (!d->name || !d->help || !d->default_value) {
            snprintf(err, errlen, "entry %zu: name, help and default are required", i);
            return -1;
        }
        for (size_t j = 0; j < n; j++) {
            size_t lj = strlen(table[j].name);
            if (j != i && (strcmp(d->name, table[j].name) == 0 ||
                           config_has_prefix(d->name, table[j].name, lj))) {
                snprintf(err, errlen, "%s: clashes with %s", d->name, table[j].name);
                return -1;
            }
        }
        /* Entries sharing a prefix must be adjacent, or printing repeats keys. */
        for (const char *dot = strchr(d->name, '.'); dot && i > 0; dot = strchr(dot + 1, '.')) {
            size_t plen = (size_t)(dot - d->name);
            if (config_has_prefix(table[i - 1].name, d->name, plen)) {
                continue;
            }
            for (size_t j = 0; j + 1 < i; j++) {
                if (config_has_prefix(table[j].name, d->name, plen)) {
                    snprintf(err, errlen, "%s: not next to %s", d->name, table[j].name);
                    return -1;
                }
            }
        }
        switch (d->type) {
        case CONFIG_INT:
        case CONFIG_DURATION:
        case CONFIG_SIZE: {
            int64_t v, lo, hi;
            config_range(d, &lo, &hi);
            if (d->size != 1 && d->size != 2 && d->size != 4 && d->size != 8) {
                snprintf(err, errlen, "%s: bad field size %zu", d->name, d->size);
                return -1;
            }
            if (lo > hi || hi > config_width_max(d->size) || lo < -config_width_max(d->size)) {
                snprintf(err, errlen, "%s: bad bounds", d->name);
                return -1;
            }
            if (config_parse_number(d, d->default_value, &v, why, sizeof why)) {
                snprintf(err, errlen, "%s: default: %s", d->name, why);
                return -1;
            }
            break;
        }
        case CONFIG_BOOL: {
            bool b;
            if (config_parse_bool(d->default_value, &b, why, sizeof why)) {
                snprintf(err, errlen, "%s: default: %s", d->name, why);
                return -1;
            }
            break;
        }
        case CONFIG_STRING:
            if (d->check && !(d->flags & CONFIG_SECRET) &&
                d->check(d->default_value, why, sizeof why)) {
                snprintf(err, errlen, "%s: default: %s", d->name, why);
                return -1;
            }
            break;
        case CONFIG_CUSTOM:
            if (!d->parse || !d->print || !d->free || !d->type_name) {
                snprintf(err, errlen, "%s: custom entry lacks a callback or type name", d->name);
                return -1;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

int config_defaults(const config_setting_t *table, size_t n, void *base, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *d = &table[i];
        int rc;
        if (d->type == CONFIG_STRLIST || d->type == CONFIG_CUSTOM) {
            config_node_t *node = NULL;
            if (config_parse_string("(default)", d->default_value, strlen(d->default_value), &node,
                                    err, errlen)) {
                return -1;
            }
            config_node_t null_node = {.type = CONFIG_NODE_SCALAR, .value = ""};
            rc = config_setting_parse(d, node ? node : &null_node, "(default)", base, err, errlen);
            config_node_destroy(&node);
        } else {
            config_node_t node = {.type = CONFIG_NODE_SCALAR,
                                  .value = (char *)d->default_value,
                                  .quoted = d->default_value[0] != '\0'};
            rc = config_setting_parse(d, &node, "(default)", base, err, errlen);
        }
        if (rc) {
            return -1;
        }
    }
    return 0;
}

typedef struct {
    const config_setting_t *table;
    size_t n;
    void *base;
    const char *file;
    int *lines;
    char *err;
    size_t errlen;
} config_apply_t;

static int config_find(const config_apply_t *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->table[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool config_is_section(const config_apply_t *a, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < a->n; i++) {
        if (config_has_prefix(a->table[i].name, name, len)) {
            return true;
        }
    }
    return false;
}

/* Unknown key: suggest the nearest setting or section name. */
static void config_unknown(const config_apply_t *a, const char *key, int line)
{
    const char *best = NULL;
    char *best_buf = NULL;
    int best_d = 3;
    for (size_t i = 0; i < a->n; i++) {
        const char *name = a->table[i].name;
        /* the name itself and each of its sections */
        for (const char *end = name; end;) {
            const char *dot = strchr(end, '.');
            size_t len = dot ? (size_t)(dot - name) : strlen(name);
            char *cand = xstrndup(name, len);
            int d = config_edit_distance(key, cand, 2);
            if (d < best_d) {
                best_d = d;
                free(best_buf);
                best_buf = cand;
                best = cand;
            } else {
                free(cand);
            }
            end = dot ? dot + 1 : NULL;
        }
    }
    if (best) {
        config_error(a->err, a->errlen, a->file, line, key, "unknown key (did you mean \"%s\"?)",
                     best);
    } else {
        config_error(a->err, a->errlen, a->file, line, key, "unknown key");
    }
    free(best_buf);
}

static int config_apply_mapping(config_apply_t *a, const config_node_t *map, const char *prefix)
{
    for (size_t i = 0; i < map->n; i++) {
        const config_node_t *child = map->children[i];
        int line = map->key_lines[i];
        char *name = prefix ? xasprintf("%s.%s", prefix, map->keys[i]) : xstrdup(map->keys[i]);
        int idx = config_find(a, name);
        int rc = 0;
        if (idx >= 0) {
            if (a->lines[idx] > 0) {
                config_error(a->err, a->errlen, a->file, line, name, "set twice (first at line %d)",
                             a->lines[idx]);
                rc = -1;
            } else {
                a->lines[idx] = line;
                rc = config_setting_parse(&a->table[idx], child, a->file, a->base, a->err,
                                          a->errlen);
            }
        } else if (config_is_section(a, name)) {
            if (child->type == CONFIG_NODE_MAPPING) {
                rc = config_apply_mapping(a, child, name);
            } else if (!config_node_is_null(child)) {
                config_error(a->err, a->errlen, a->file, child->line, name,
                             "expected a mapping, got a %s", config_node_type_name(child));
                rc = -1;
            }
        } else {
            config_unknown(a, name, line);
            rc = -1;
        }
        free(name);
        if (rc) {
            return -1;
        }
    }
    return 0;
}

int config_apply(const config_setting_t *table, size_t n, void *base, const config_node_t *root,
                 const char *file, int *lines, char *err, size_t errlen)
{
    int *own = lines ? NULL : xcalloc(n ? n : 1, sizeof(int));
    config_apply_t a = {table, n, base, file, lines ? lines : own, err, errlen};
    memset(a.lines, 0, n * sizeof(int));
    int rc = 0;
    if (root && root->type != CONFIG_NODE_MAPPING) {
        config_error(err, errlen, file, root->line, NULL,
                     "the top level must be a mapping, not a %s", config_node_type_name(root));
        rc = -1;
    } else if (root) {
        rc = config_apply_mapping(&a, root, NULL);
    }
    free(own);
    return rc;
}

int config_load(const config_setting_t *table, size_t n, void *base, const char *path, int *lines,
                char *err, size_t errlen)
{
    if (lines) {
        memset(lines, 0, n * sizeof(int));
    }
    if (config_defaults(table, n, base, err, errlen)) {
        return -1;
    }
    if (!path) {
        return 0;
    }
    config_node_t *root = NULL;
    if (config_parse_file(path, &root, err, errlen)) {
        return -1;
    }
    int rc = config_apply(table, n, base, root, path, lines, err, errlen);
    config_node_destroy(&root);
    return rc;
}

void config_free(const config_setting_t *table, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *d = &table[i];
        switch (d->type) {
        case CONFIG_STRING:
            config_secret_free(config_field(base, d->offset));
            break;
        case CONFIG_STRLIST:
            config_strlist_free(d, base);
            break;
        case CONFIG_CUSTOM:
            d->free(d, base);
            break;
        default:
            break;
        }
    }
}

/* ---- Printing --------------------------------------------------------------- */

static void config_print_value(const config_setting_t *d, const void *base, FILE *out, int indent)
{
    const void *p = config_cfield(base, d->offset);
    char buf[64];
    switch (d->type) {
    case CONFIG_STRING: {
        const char *s = *(char *const *)p;
        fputc(' ', out);
        config_print_quoted(out, (d->flags & CONFIG_SECRET) && s && s[0] ? "(secret)" : s ? s : "");
        fputc('\n', out);
        break;
    }
    case CONFIG_BOOL:
        fprintf(out, " %s\n", *(const bool *)p ? "true" : "false");
        break;
    case CONFIG_INT:
    case CONFIG_DURATION:
    case CONFIG_SIZE:
        fprintf(out, " %s\n",
                config_format_number(d, config_int_load(p, d->size), buf, sizeof buf));
        break;
    case CONFIG_STRLIST: {
        char *const *items = *(char **const *)p;
        size_t count = *(const size_t *)config_cfield(base, d->count_offset);
        fputs(" [", out);
        for (size_t i = 0; i < count; i++) {
            if (i) {
                fputs(", ", out);
            }
            config_print_quoted(out, items[i]);
        }
        fputs("]\n", out);
        break;
    }
    case CONFIG_CUSTOM:
        d->print(d, base, out, indent);
        break;
    }
}

void config_print(const config_setting_t *table, size_t n, const void *base, FILE *out)
{
    const char *prev[CONFIG_MAX_COMPONENT];
    size_t prev_len[CONFIG_MAX_COMPONENT], nprev = 0;
    for (size_t i = 0; i < n; i++) {
        const char *parts[CONFIG_MAX_COMPONENT];
        size_t lens[CONFIG_MAX_COMPONENT];
        size_t np = config_split(table[i].name, parts, lens);
        size_t shared = 0;
        while (shared + 1 < np && shared + 1 < nprev && lens[shared] == prev_len[shared] &&
               memcmp(parts[shared], prev[shared], lens[shared]) == 0) {
            shared++;
        }
        for (size_t k = shared; k + 1 < np; k++) {
            fprintf(out, "%*s%.*s:\n", (int)(2 * k), "", (int)lens[k], parts[k]);
        }
        fprintf(out, "%*s%.*s:", (int)(2 * (np - 1)), "", (int)lens[np - 1], parts[np - 1]);
        config_print_value(&table[i], base, out, (int)(2 * (np - 1)));
        memcpy(prev, parts, sizeof parts);
        memcpy(prev_len, lens, sizeof lens);
        nprev = np;
    }
}

static const char *config_type_label(const config_setting_t *d)
{
    switch (d->type) {
    case CONFIG_STRING:
        return "string";
    case CONFIG_INT:
        return "integer";
    case CONFIG_BOOL:
        return "boolean";
    case CONFIG_DURATION:
        return "duration";
    case CONFIG_SIZE:
        return "size";
    case CONFIG_STRLIST:
        return "list of strings";
    default:
        return d->type_name ? d->type_name : "custom";
    }
}

/* Markdown cell text: pipes escaped, newlines as spaces. */
static void config_md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputs("\\|", out);
        } else if (*s == '\n') {
            fputc(' ', out);
        } else {
            fputc(*s, out);
        }
    }
}

void config_reference_markdown(const config_setting_t *table, size_t n, FILE *out)
{
    fputs("| Name | Type | Default | Description |\n", out);
    fputs("| --- | --- | --- | --- |\n", out);
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *d = &table[i];
        fprintf(out, "| `%s` | ", d->name);
        config_md_text(out, config_type_label(d));
        fputs(" | `", out);
        if (d->type == CONFIG_STRING && d->default_value[0] == '\0') {
            fputs("\"\"", out);
        } else {
            config_md_text(out, d->default_value);
        }
        fputs("` | ", out);
        config_md_text(out, d->help);
        if (d->type == CONFIG_INT || d->type == CONFIG_DURATION || d->type == CONFIG_SIZE) {
            int64_t lo, hi;
            char a[32], b[32];
            config_range(d, &lo, &hi);
            if (d->min != 0 || d->max != 0) {
                fprintf(out, " Range: %s..%s.", config_format_number(d, lo, a, sizeof a),
                        config_format_number(d, hi, b, sizeof b));
            }
        }
        if (d->type == CONFIG_DURATION) {
            fprintf(out, " A plain number counts %s.", config_unit_name(d->unit_us));
        }
        if (d->flags & CONFIG_SECRET) {
            fputs(" Secret: accepts `env:NAME` and `file:/path`; printed as `(secret)`.", out);
        }
        if (d->flags & CONFIG_RELOADABLE) {
            fputs(" Reloadable (SIGHUP).", out);
        }
        fputs(" |\n", out);
    }
}
