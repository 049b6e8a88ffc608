/*
 * xalloc - allocation that never returns NULL.
 *
 * Out of memory aborts the process (as Postfix and Redis do): it removes a
 * class of error paths that no test ever exercises. Everything returned is
 * owned by the caller and released with free().
 */
#ifndef ALERTDESK_XALLOC_H
#define ALERTDESK_XALLOC_H

#include <stddef.h>
#include <stdlib.h> /* free() releases everything returned here */

/* Caller owns the result; free with free(). */
void *xmalloc(size_t n);
/* Caller owns the result; free with free(). Memory is zeroed. */
void *xcalloc(size_t count, size_t size);
/* Takes ownership of p; caller owns the result. */
void *xrealloc(void *p, size_t n);
/* Caller owns the result; free with free(). s must not be NULL. */
char *xstrdup(const char *s);
/* Copies at most n bytes and terminates. Caller owns the result. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string. Caller owns the result; free with free(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
