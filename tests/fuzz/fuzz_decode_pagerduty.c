/*
 * fuzz_decode_pagerduty - libFuzzer target for decode_pagerduty() with the
 * default limits, run twice per input: without integrations (any key is
 * accepted and scopes itself) and with a lookup that knows one key, so both
 * paths of the routing_key handling are covered. Checks the invariants of
 * fuzz_decode.h. Seeds: tests/fuzz/corpus/fuzz_decode_pagerduty/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const event_label_t fuzz_labels[] = {{"team", "noc"}};
static const decode_integration_t fuzz_integration = {"core-network", "test", fuzz_labels, 1};

static const decode_integration_t *fuzz_find(void *arg, const char *key)
{
    (void)arg;
    return strcmp(key, fuzz_integration.routing_key) == 0 ? &fuzz_integration : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_limits_t lim;
    decode_result_t r;
    decode_context_t ctx = {.received_at_us = 1795576700000000LL};

    decode_limits_default(&lim);
    for (int pass = 0; pass < 2; pass++) {
        ctx.find_integration = pass ? fuzz_find : NULL;
        decode_result_init(&r);
        int rc = decode_pagerduty((const char *)data, size, &lim, &ctx, &r);
        fuzz_check_result(&r, rc, EVENT_FORMAT_PAGERDUTY, &lim);
        /* one event per request, and a key to answer with */
        FUZZ_ASSERT(rc == -1 || (r.nevents == 1 && r.dedup_key[0]));
        FUZZ_ASSERT(rc == 0 || r.nrejects == 1);
        decode_result_clear(&r);
    }
    return 0;
}
