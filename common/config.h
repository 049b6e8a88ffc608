/*
 * config - a table-driven YAML configuration engine.
 *
 * Two layers. The first reads a YAML file (libyaml) into a small tree of
 * scalars, mappings and sequences that remembers the line of every node,
 * and refuses what alertdesk does not support: duplicate keys, anchors,
 * aliases, tags other than !!str, and more than one document.
 *
 * The second fills a C struct from that tree through a table of settings,
 * as pgbouncer's settings table does: each entry names a dotted key
 * ("ingest.http.listen" is ingest: {http: {listen: ...}} in the file), its
 * type, where it lives in the struct, its default (text, parsed by the same
 * code as file values), its bounds, its flags and its help text. The same
 * table prints the effective configuration (secrets masked) and the
 * configuration reference as a Markdown table.
 *
 * Every error is one line, "file:line: key: reason", written into the
 * caller's buffer. This file knows no alertdesk setting: the table lives in
 * settings.c (and in the rule loaders).
 */
#ifndef ALERTDESK_CONFIG_H
#define ALERTDESK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- The YAML tree ---------------------------------------------------- */

typedef enum {
    CONFIG_NODE_SCALAR = 1,
    CONFIG_NODE_MAPPING = 2,
    CONFIG_NODE_SEQUENCE = 3,
} config_node_type_t;

typedef struct config_node config_node_t;

/* A mapping keeps its entries in file order; keys are unique. */
struct config_node {
    config_node_type_t type;
    int line;    /* 1-based line where the node starts */
    char *value; /* SCALAR: the text ("" for an empty value) */
    bool quoted; /* SCALAR: written quoted, a block scalar or !!str */
    char **keys; /* MAPPING: keys[i] names children[i] */
    int *key_lines;
    config_node_t **children; /* MAPPING and SEQUENCE */
    size_t n, cap;
};

/* Reads a YAML file. An empty file gives *root == NULL. Caller owns *root;
 * free with config_node_destroy(). On error returns -1, *root is NULL and
 * err holds "file:line: key: reason". */
int config_parse_file(const char *path, config_node_t **root, char *err, size_t errlen);
/* The same from memory; name stands for the file in errors. */
int config_parse_string(const char *name, const char *text, size_t len, config_node_t **root,
                        char *err, size_t errlen);
/* Frees the tree (scalar text is wiped first: it may hold secrets).
 * Accepts NULL; sets *np to NULL. */
void config_node_destroy(config_node_t **np);

/* The value under key in a mapping, or NULL (also when map is no mapping). */
const config_node_t *config_node_get(const config_node_t *map, const char *key);
/* True for a plain empty scalar, "~" or "null": a key written with no value. */
bool config_node_is_null(const config_node_t *node);
/* "scalar", "mapping" or "sequence", for errors. */
const char *config_node_type_name(const config_node_t *node);

/* ---- Errors and value parsers (shared with custom parsers) ------------ */

/* Writes "file:line: key: reason" into err. key may be NULL or "". */
void config_error(char *err, size_t errlen, const char *file, int line, const char *key,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Each parser returns 0, or -1 with a reason (no file, line or key) in why. */
/* "123", "-5": decimal only. */
int config_parse_int(const char *text, int64_t *out, char *why, size_t whylen);
/* true/false/yes/no/on/off, any case. */
int config_parse_bool(const char *text, bool *out, char *why, size_t whylen);
/* "1500us", "250ms", "5s", "2m", "1h", "1d", or a plain integer counted in
 * unit_us microseconds. The result is in units of unit_us and must be a
 * whole number of them ("1500us" is no whole number of ms). */
int config_parse_duration(const char *text, int64_t unit_us, int64_t *out, char *why,
                          size_t whylen);
/* "100" (bytes), "100B", "1kB"/"1MB"/"1GB" (powers of 1000),
 * "512KiB"/"1MiB"/"1GiB" (powers of 1024). */
int config_parse_size(const char *text, int64_t *out, char *why, size_t whylen);
/* Formats a duration (value in units of unit_us) with the largest exact
 * unit, "2ms", "1s", "0s", into buf. Returns buf. */
const char *config_format_duration(int64_t value, int64_t unit_us, char *buf, size_t buflen);
/* Formats a size with the largest exact binary unit: "512KiB", "100". */
const char *config_format_size(int64_t value, char *buf, size_t buflen);

/* Resolves a secret's text: "env:NAME" gives the variable's value (error
 * when unset), "file:/path" the file's first line without its line end
 * (error when unreadable), anything else itself. Caller owns *out; wipe it
 * with config_secret_free() when done. */
int config_resolve_secret(const char *text, char **out, char *why, size_t whylen);
/* Wipes and frees a string that held a secret. Accepts NULL; sets *sp to NULL. */
void config_secret_free(char **sp);

/* The scalar text of node, or an error "key: expected a scalar, got a
 * mapping" when node is not a scalar. */
int config_expect_scalar(const config_node_t *node, const char *file, const char *key, char *err,
                         size_t errlen);
/* Checks that every key of the mapping node is in allowed (NULL-ended);
 * the first other key gives "file:line: path.key: unknown key" with a
 * "did you mean" when an allowed key is within edit distance 2. */
int config_check_keys(const config_node_t *map, const char *file, const char *path,
                      const char *const *allowed, char *err, size_t errlen);
/* Levenshtein distance, capped: returns at most cap + 1. */
int config_edit_distance(const char *a, const char *b, int cap);

/* Prints s as a YAML double-quoted string. */
void config_print_quoted(FILE *out, const char *s);

/* ---- The settings table ----------------------------------------------- */

typedef enum {
    CONFIG_STRING = 1, /* char *, owned by the struct; NULL never */
    CONFIG_INT,        /* integer field of size 1, 2, 4 or 8 (see size) */
    CONFIG_BOOL,       /* bool */
    CONFIG_DURATION,   /* integer field counted in unit_us microseconds */
    CONFIG_SIZE,       /* integer field, bytes */
    CONFIG_STRLIST,    /* char ** at offset, size_t count at count_offset */
    CONFIG_CUSTOM,     /* parse/print/free callbacks own the fields */
} config_type_t;

#define CONFIG_SECRET     0x1u /* env:/file: resolved; printed as "(secret)" */
#define CONFIG_RELOADABLE 0x2u /* takes effect on SIGHUP without restart */

typedef struct config_setting config_setting_t;

/* Custom parser: reads node into the fields of base it owns, replacing (and
 * freeing) what was there. On error returns -1 with "file:line: key:
 * reason" in err and leaves base releasable by the free callback. A plain
 * null node (key with no value) is passed as is. */
typedef int (*config_parse_fn)(const config_setting_t *def, const config_node_t *node,
                               const char *file, void *base, char *err, size_t errlen);
/* Custom printer: called after "<indent>leaf:" was written; writes the rest
 * including the final newline: " value\n", or "\n" and block lines
 * indented by indent + 2. */
typedef void (*config_print_fn)(const config_setting_t *def, const void *base, FILE *out,
                                int indent);
/* Custom release of the fields of base the entry owns. */
typedef void (*config_free_fn)(const config_setting_t *def, void *base);
/* Extra check of a STRING value (after secret resolution): 0, or -1 with a
 * reason in why. */
typedef int (*config_check_fn)(const char *value, char *why, size_t whylen);

struct config_setting {
    const char *name; /* dotted key, e.g. "ingest.http.listen" */
    config_type_t type;
    size_t offset;             /* of the field in the target struct */
    size_t size;               /* sizeof the field (INT, DURATION, SIZE) */
    size_t count_offset;       /* STRLIST: offset of the size_t count */
    const char *default_value; /* YAML text; "" allowed for strings */
    int64_t min, max;          /* INT, DURATION, SIZE; both 0 = field's range */
    int64_t unit_us;           /* DURATION: microseconds per stored unit */
    unsigned flags;            /* CONFIG_SECRET, CONFIG_RELOADABLE */
    const char *help;          /* one sentence or two, for the reference */
    config_check_fn check;     /* STRING: may be NULL */
    const char *type_name;     /* CUSTOM: shown in the reference */
    config_parse_fn parse;     /* CUSTOM */
    config_print_fn print;     /* CUSTOM */
    config_free_fn free;       /* CUSTOM */
};

/* Checks the table itself: unique names, entries sharing a prefix kept
 * together (so printing nests), no name a prefix of another, every default
 * parses. Returns 0, or -1 with the reason in err. For tests. */
int config_table_check(const config_setting_t *table, size_t n, char *err, size_t errlen);

/* Fills every field of base from the defaults. base must be zeroed first
 * (or released with config_free()). Returns -1 with the reason in err if a
 * default does not parse (a bug in the table; env:/file: defaults can fail). */
int config_defaults(const config_setting_t *table, size_t n, void *base, char *err, size_t errlen);
/* Applies the settings found in root (a mapping, or NULL) over base, which
 * already holds defaults. lines (n entries, may be NULL) receives the line
 * of each setting found in the file, 0 for the others. Returns 0, or -1
 * with "file:line: key: reason" in err; base stays releasable. */
int config_apply(const config_setting_t *table, size_t n, void *base, const config_node_t *root,
                 const char *file, int *lines, char *err, size_t errlen);
/* config_defaults + config_parse_file + config_apply. path NULL means
 * defaults only. */
int config_load(const config_setting_t *table, size_t n, void *base, const char *path, int *lines,
                char *err, size_t errlen);
/* Frees what the table's entries own in base (strings, lists, custom) and
 * zeroes those fields. Safe on a zeroed or partly filled struct. */
void config_free(const config_setting_t *table, size_t n, void *base);

/* Prints the effective settings as YAML, nested by the dots of the names;
 * secrets are printed as "(secret)" ("" when empty). */
void config_print(const config_setting_t *table, size_t n, const void *base, FILE *out);
/* Prints the reference: a Markdown table of name, type, default and
 * description (with "Secret." / "Reloadable." notes). */
void config_reference_markdown(const config_setting_t *table, size_t n, FILE *out);

#endif
