/*
 * fuzz_decode_zabbix - libFuzzer target for decode_zabbix() with the default
 * limits; checks the invariants of fuzz_decode.h on every result.
 * Seeds: tests/fuzz/corpus/fuzz_decode_zabbix/.
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

    decode_limits_default(&lim);
    decode_result_init(&r);
    int rc = decode_zabbix((const char *)data, size, &lim, &ctx, &r);
    fuzz_check_result(&r, rc, EVENT_FORMAT_ZABBIX, &lim);
    decode_result_clear(&r);
    return 0;
}
