/*
 * fuzz_correlator_record - libFuzzer target for correlator_record_decode():
 * the payload of the `incidents` stream that the ticketer reads. A
 * decoded record is encoded again; that encoding must decode and re-encode
 * to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlator_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    correlator_record_t r;
    char *strings = NULL;
    if (correlator_record_decode(data, size, &r, &strings) != 0) {
        free(strings);
        return 0;
    }
    wire_buf_t a, b;
    wire_buf_init(&a);
    wire_buf_init(&b);
    correlator_record_encode(&r, &a);
    correlator_record_t again;
    char *strings2 = NULL;
    if (correlator_record_decode(a.data, a.len, &again, &strings2) != 0) {
        abort(); /* our own encoding must decode */
    }
    correlator_record_encode(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        abort(); /* not stable */
    }
    free(strings);
    free(strings2);
    wire_buf_free(&a);
    wire_buf_free(&b);
    return 0;
}
