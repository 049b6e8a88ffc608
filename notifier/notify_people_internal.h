/*
 * notify_people_internal - what the people-file loader's two files share:
 * notify_people.c (users, teams, policies, routing, the file as a whole)
 * and notify_people_schedules.c (schedules: layers, rotations, restrictions,
 * overrides). Every function takes the loader's rulefile_t context and
 * reports through it ("file:line: key: reason"), returning 0 or -1.
 *
 * Not a public interface: users of the people file include notify_people.h.
 */
#ifndef ALERTDESK_NOTIFY_PEOPLE_INTERNAL_H
#define ALERTDESK_NOTIFY_PEOPLE_INTERNAL_H

#include <stddef.h>

#include "config.h"
#include "notify_people.h"
#include "rulefile.h"
#include "tz.h"

/* A required, unique name at item's name: (letters, digits, '_' and '-')
 * among the n items loaded so far, stride apart. *out points into item. */
int np_name(const rulefile_t *c, const config_node_t *item, const char *path, const char *what,
            const void *items, size_t n, size_t stride, const char **out);

/* A time zone name at node (UTC or an IANA name): replaces *name (owned,
 * xstrdup'd); when keep is non-NULL the loaded zone goes to *keep (NULL for
 * UTC; caller owns it, free with tz_destroy()). */
int np_zone(const rulefile_t *c, const config_node_t *node, const char *key, char **name,
            tz_t **keep);

/* A reference to a user already loaded into p; *out points into p. */
int np_user_ref(const rulefile_t *c, const notify_people_t *p, const config_node_t *node,
                const char *key, const notify_user_t **out);

/* schedules: (notify_people_schedules.c). Needs p's users loaded; fills
 * p->schedules, which notify_people_destroy() frees. */
int np_load_schedules(const rulefile_t *c, const config_node_t *node, notify_people_t *p);

#endif
