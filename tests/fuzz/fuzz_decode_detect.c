/*
 * fuzz_decode_detect - libFuzzer target for decode_detect(), the cheap
 * top-level key scan used for Kafka topics with format "auto", followed by
 * decode_any() with the detected format, as ingest does. Checks the
 * invariants of fuzz_decode.h. Seeds: tests/fuzz/corpus/fuzz_decode_detect/.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_limits_t lim;
    decode_result_t r;
    decode_context_t ctx = {.received_at_us = 1795576700000000LL};

    event_format_t f = decode_detect((const char *)data, size);
    FUZZ_ASSERT(f >= EVENT_FORMAT_NATIVE && f <= EVENT_FORMAT_ZABBIX);
    decode_limits_default(&lim);
    decode_result_init(&r);
    int rc = decode_any(f, (const char *)data, size, &lim, &ctx, &r);
    fuzz_check_result(&r, rc, f, &lim);
    decode_result_clear(&r);
    return 0;
}
