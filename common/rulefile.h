/*
 * rulefile - what the YAML rule-file loaders share: the correlation rules
 * (correlator/corr_rules.c), the ticket routing (ticketer/ticket_routing.c)
 * and the people file (notifier/notify_people.c).
 *
 * It gives them one error shape, "file:line: key: reason", written into the
 * caller's buffer; typed getters over common/config.c's YAML tree (scalar,
 * non-empty name, identifier name, sequence, mapping, bool, integer and
 * duration in a range, one of a list); the allowed-keys check with "did you
 * mean"; look-ups of a key's line, of the nearest name and of duplicates;
 * the day and opening-hours forms; and the two entry points that read a
 * file, or text in memory, into a tree and hand it to the loader's build
 * callback.
 *
 * Does not: know any rule file's keys, defaults or structs, allocate what a
 * loader builds, or keep state: every function works on what it is given.
 * Each getter writes its error and returns -1; the caller returns at once.
 * Where the loaders word an error differently (the unit example of a bare
 * number, a range), the wording is a parameter, so each file keeps its own.
 */
#ifndef ALERTDESK_RULEFILE_H
#define ALERTDESK_RULEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Where errors go while one file is loaded. Borrows everything: file and
 * err stay the caller's and must outlive the context. */
typedef struct {
    const char *file; /* names the file in errors */
    char *err;        /* errlen bytes, written on error only */
    size_t errlen;
} rulefile_t;

/* Writes "file:line: key: reason" (no "key: " when key is NULL or "") into
 * rf->err. Always returns -1, so that a loader can write
 * "return rulefile_fail(...)". */
int rulefile_fail(const rulefile_t *rf, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- Keys ---------------------------------------------------------------- */

/* "path.leaf", or leaf alone when path is "", into buf (cut to len).
 * Returns buf. */
const char *rulefile_key(char *buf, size_t len, const char *path, const char *leaf);

/* The line of key in the mapping map (the key's own line), or the map's
 * line when key is absent. */
int rulefile_key_line(const config_node_t *map, const char *key);

/* Checks that map is a mapping whose keys are all in allowed (NULL-ended).
 * Errors name "path.key" (config_check_keys()); with path NULL or "" (the
 * top level) the key alone. An unknown key within two edits of an allowed
 * one gets " (did you mean \"x\"?)". */
int rulefile_check_keys(const rulefile_t *rf, const config_node_t *map, const char *path,
                        const char *const *allowed);
/* The same, but an unknown key is always named alone, as written in its
 * mapping; key names map itself in "expected a mapping, got a ...". */
int rulefile_check_keys_bare(const rulefile_t *rf, const config_node_t *map, const char *key,
                             const char *const *allowed);

/* ---- Typed getters: 0, or -1 with the error written ------------------------ */

/* The text of a scalar. *out is "" on failure too. The text stays the
 * tree's. */
int rulefile_scalar(const rulefile_t *rf, const config_node_t *node, const char *key,
                    const char **out);
/* A scalar that is not empty ("must not be empty"). */
int rulefile_name(const rulefile_t *rf, const config_node_t *node, const char *key,
                  const char **out);
/* The required name: of the mapping item, an identifier (letters, digits,
 * '_' and '-'): "every <what> needs a name:" names path when it is
 * missing, the other errors name "path.name". */
int rulefile_ident(const rulefile_t *rf, const config_node_t *item, const char *path,
                   const char *what, const char **out);
/* Checks that node is a sequence. */
int rulefile_seq(const rulefile_t *rf, const config_node_t *node, const char *key);
/* Checks that node is a mapping. */
int rulefile_map(const rulefile_t *rf, const config_node_t *node, const char *key);
/* true/false/yes/no/on/off, any case. */
int rulefile_bool(const rulefile_t *rf, const config_node_t *node, const char *key, bool *out);
/* A decimal integer in [lo, hi]: "N is out of range (lo to hi)". */
int rulefile_int(const rulefile_t *rf, const config_node_t *node, const char *key, int64_t lo,
                 int64_t hi, int64_t *out);
/* A duration in microseconds in [min_us, max_us]: "0", or a number with a
 * unit. A bare number other than 0 gets "\"N\" needs a unit (e.g. ...)",
 * the example being N with each of units (space-separated suffixes, "s m"
 * gives "Ns or Nm"). Out of range gives "T is out of range (R)", R being
 * range, or "min to max" formatted when range is NULL. */
int rulefile_duration(const rulefile_t *rf, const config_node_t *node, const char *key,
                      int64_t min_us, int64_t max_us, const char *units, const char *range,
                      int64_t *out);
/* One of names (NULL-ended); its index in *out. Else "\"T\" is not one of
 * a, b, c". */
int rulefile_enum(const rulefile_t *rf, const config_node_t *node, const char *key,
                  const char *const *names, int *out);

/* ---- Names among loaded items -------------------------------------------- */

/* The loaders keep named items in arrays of structs whose first field is
 * the name (a char *); items, n and stride describe such an array. */

/* " (did you mean \"x\"?)" for the nearest of the n names within two edits
 * (a tie goes to a name equal but for case), or "", into buf. Returns buf. */
const char *rulefile_suggest(const char *text, const void *items, size_t n, size_t stride,
                             char *buf, size_t len);
/* Checks that name is none of the n items' names; else "duplicate <what>
 * \"name\" (first at line L)", L being the int at line_off in the item. */
int rulefile_unique(const rulefile_t *rf, const char *name, int line, const char *key,
                    const char *what, const void *items, size_t n, size_t stride, size_t line_off);
/* Writes "unknown <what> \"name\"" and a suggestion among the n items; when
 * n is 0 and none is not NULL, " (no <none>: are defined)" instead. Returns
 * -1. */
int rulefile_unknown(const rulefile_t *rf, int line, const char *key, const char *what,
                     const char *name, const void *items, size_t n, size_t stride,
                     const char *none);

/* ---- Forms of text (no error written) ------------------------------------ */

/* The first len bytes of text as a day, "mon" .. "sun" or the full name,
 * any case: 0 (Monday) .. 6, or -1. */
int rulefile_day(const char *text, size_t len);
/* "HH:MM-HH:MM" with 00:00 <= start < end <= 24:00, as minutes of the day.
 * Returns 0, or -1. */
int rulefile_hours(const char *text, int *start_minute, int *end_minute);

/* ---- Reading the file ---------------------------------------------------- */

/* Builds the loader's result from root (NULL for an empty file). arg is
 * what the caller gave rulefile_parse()/rulefile_load(), typically where
 * the result goes. Returns 0, or -1 with the error written through rf. */
typedef int (*rulefile_build_fn)(const rulefile_t *rf, const config_node_t *root, void *arg);

/* Parses text (len bytes; name stands for the file in errors) and calls
 * build with the tree, which is freed afterwards: build must copy what it
 * keeps. Returns build's result, or -1 with a YAML error in err. */
int rulefile_parse(const char *name, const char *text, size_t len, rulefile_build_fn build,
                   void *arg, char *err, size_t errlen);
/* The same for the file at path. */
int rulefile_load(const char *path, rulefile_build_fn build, void *arg, char *err, size_t errlen);

#endif
