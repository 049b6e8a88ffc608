/*
 * fuzz_wire - libFuzzer target for wire_decode(): the binary event layout
 * read by every consumer. Decoded events are re-encoded and decoded again,
 * which must give the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    event_t *ev = NULL;
    size_t used = 0;
    if (wire_decode(data, size, &ev, &used) == 0) {
        wire_buf_t a, b;
        wire_buf_init(&a);
        wire_buf_init(&b);
        wire_encode(ev, &a);
        event_t *again = NULL;
        size_t used2 = 0;
        if (wire_decode(a.data, a.len, &again, &used2) != 0) {
            abort(); /* our own encoding must decode */
        }
        wire_encode(again, &b);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
            abort(); /* not stable */
        }
        event_destroy(&again);
        wire_buf_free(&a);
        wire_buf_free(&b);
        event_destroy(&ev);
    }
    return 0;
}
