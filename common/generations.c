/*
 * generations - reload-swapped values kept valid until exit. See
 * generations.h.
 */
#include <stdlib.h>

#include "generations.h"
#include "xalloc.h"

struct generation {
    void *value;
    generation_t *older;
};

void *generations_current(generations_t *g)
{
    generation_t *n = atomic_load(&g->newest);
    return n ? n->value : NULL;
}

void generations_push(generations_t *g, void *value)
{
    generation_t *n = xcalloc(1, sizeof *n);
    n->value = value;
    n->older = atomic_load(&g->newest);
    atomic_store(&g->newest, n);
}

void generations_free_all(generations_t *g, void (*destroy)(void *value))
{
    for (generation_t *n = atomic_load(&g->newest), *older; n; n = older) {
        older = n->older;
        destroy(n->value);
        free(n);
    }
    atomic_store(&g->newest, NULL);
}
