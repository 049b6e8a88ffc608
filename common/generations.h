/*
 * generations - a value that a reload replaces while other threads may
 * still use the one they read: every generation stays valid until the
 * owner frees them all at exit (rule files are small; reloads are rare).
 * The daemons keep their routing and people files in one of these.
 *
 * Threads: generations_current() from any thread; push and free from one
 * (the reload and the stop path are both the main thread's).
 */
#ifndef ALERTDESK_GENERATIONS_H
#define ALERTDESK_GENERATIONS_H

#include <stdatomic.h>

typedef struct generation generation_t;

typedef struct {
    _Atomic(generation_t *) newest;
} generations_t;

/* The value of the newest generation; NULL before the first push. */
void *generations_current(generations_t *g);
/* Makes value the newest generation. Takes ownership of value (freed by
 * generations_free_all()). */
void generations_push(generations_t *g, void *value);
/* Frees every generation's value with destroy(&value) and the list. */
void generations_free_all(generations_t *g, void (*destroy)(void *value));

#endif
