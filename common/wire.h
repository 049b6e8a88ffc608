/*
 * wire - the compact binary encoding of a canonical event between processes.
 *
 * Only ingest parses JSON; the correlator and later daemons receive events in
 * this layout (little-endian fixed fields, varint-prefixed strings) and never
 * parse JSON per event. The layout starts with a magic byte and a version so
 * that a reader refuses what it does not understand instead of guessing.
 *
 *   'E' version(1) format severity status
 *   occurred_at_us received_at_us seq            (3 x int64 LE)
 *   fingerprint                                  (32 bytes hex)
 *   source resource check summary description dedup_key
 *                                                (varint len+1, 0 = NULL)
 *   nlabels (varint) { key value }*              (varint len + bytes)
 *   nannotations (varint) { key value }*
 *
 * wire_decode checks every length against the buffer: the input is treated
 * as untrusted (it has a fuzz target).
 */
#ifndef ALERTDESK_WIRE_H
#define ALERTDESK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* A growable byte buffer. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} wire_buf_t;

void wire_buf_init(wire_buf_t *b);
void wire_buf_free(wire_buf_t *b);
void wire_buf_reserve(wire_buf_t *b, size_t extra);
void wire_buf_put(wire_buf_t *b, const void *p, size_t n);

/* Building blocks for other records between processes (the incidents and
 * tickets streams):
 * a varint (7 bits a byte, little end first), an int64 little-endian, and
 * an optional string (varint 0 = NULL, n + 1 then n bytes). */
void wire_put_varint(wire_buf_t *b, uint64_t v);
void wire_put_i64(wire_buf_t *b, int64_t v);
void wire_put_opt_str(wire_buf_t *b, const char *s);
/* A string that is never NULL: varint n then n bytes. */
void wire_put_str(wire_buf_t *b, const char *s);

/* A bounds-checked reader over untrusted input; the getters return 0, or -1
 * when the input ends too soon (or a varint runs past 64 bits). */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
} wire_reader_t;
int wire_get_varint(wire_reader_t *r, uint64_t *out);
int wire_get_i64(wire_reader_t *r, int64_t *out);

/* Appends the encoding of ev to b. */
void wire_encode(const event_t *ev, wire_buf_t *b);

/* Decodes one event from p[0..len). On success returns 0, sets *out (caller
 * owns it; free with event_destroy()) and *used to the bytes consumed. On a
 * malformed buffer returns -1 and leaves *out NULL. */
int wire_decode(const uint8_t *p, size_t len, event_t **out, size_t *used);

#endif
