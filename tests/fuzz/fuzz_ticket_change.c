/*
 * fuzz_ticket_change - libFuzzer target for ticketer_change_decode(): the
 * payload of the `tickets` stream that the notifier reads off ZeroMQ. A
 * decoded change is encoded again; that encoding must decode and re-encode
 * to the same bytes (NULL and "" strings kept apart).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ticketer_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ticket_change_t c;
    char *strings = NULL;
    if (ticketer_change_decode(data, size, &c, &strings) != 0) {
        free(strings);
        return 0;
    }
    wire_buf_t a, b;
    wire_buf_init(&a);
    wire_buf_init(&b);
    ticketer_change_encode(&c, &a);
    ticket_change_t again;
    char *strings2 = NULL;
    if (ticketer_change_decode(a.data, a.len, &again, &strings2) != 0) {
        abort(); /* our own encoding must decode */
    }
    ticketer_change_encode(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        abort(); /* not stable */
    }
    free(strings);
    free(strings2);
    wire_buf_free(&a);
    wire_buf_free(&b);
    return 0;
}
