/*
 * ingest_reply - the answer every native-style intake gives (HTTP native,
 * Alertmanager, Zabbix, ZeroMQ), the decode context and the counting shared
 * by all intakes.
 */
#include <jansson.h>
#include <string.h>

#include "ingest.h"
#include "xalloc.h"

static const decode_integration_t *ingest_find_integration(void *arg, const char *routing_key)
{
    ingest_t *in = arg;
    const ingest_live_t *live = atomic_load(&in->live);
    for (size_t i = 0; i < live->nintegrations; i++) {
        if (strcmp(live->integrations[i].routing_key, routing_key) == 0) {
            return &live->integrations[i];
        }
    }
    return NULL;
}

void ingest_live_set(ingest_t *in, const settings_t *s)
{
    ingest_live_t *live = xcalloc(1, sizeof *live);
    live->s = s;
    live->nintegrations = s->nintegrations;
    live->integrations =
        xcalloc(s->nintegrations ? s->nintegrations : 1, sizeof *live->integrations);
    for (size_t i = 0; i < s->nintegrations; i++) {
        live->integrations[i] = (decode_integration_t){
            .name = s->integrations[i].name,
            .routing_key = s->integrations[i].routing_key,
            .labels = s->integrations[i].labels,
            .nlabels = s->integrations[i].nlabels,
        };
    }
    live->older = atomic_load(&in->live);
    atomic_store(&in->live, live);
}

void ingest_live_free(ingest_t *in)
{
    ingest_live_t *live = atomic_exchange(&in->live, NULL);
    while (live) {
        ingest_live_t *older = live->older;
        free(live->integrations);
        free(live);
        live = older;
    }
}

void ingest_decode_context(const ingest_t *in, decode_context_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->received_at_us = event_now_us();
    /* With no integrations configured and auth off, any routing key is
     * accepted and scopes its own dedup keys (a lab or a single sender). The
     * choice is made per request, so a reload that adds integrations takes
     * effect at once. */
    const ingest_live_t *live = atomic_load(&((ingest_t *)in)->live);
    if (live->nintegrations > 0 || live->s->auth_required) {
        ctx->find_integration = ingest_find_integration;
        ctx->find_arg = (void *)in;
    }
    ctx->fingerprint_ignore_labels = (const char *const *)in->s->fingerprint_ignore_labels;
    ctx->nfingerprint_ignore_labels = in->s->nfingerprint_ignore_labels;
}

char *ingest_reply_json(size_t accepted, const decode_result_t *r)
{
    if (!r || r->nrejects == 0) {
        /* The common answer, without building a JSON tree per request. */
        return xasprintf("{\"accepted\":%zu,\"rejected\":[]}", accepted);
    }
    json_t *root = json_object();
    json_object_set_new(root, "accepted", json_integer((json_int_t)accepted));
    json_t *rejected = json_array();
    for (size_t i = 0; r && i < r->nrejects; i++) {
        json_t *one = json_object();
        json_object_set_new(one, "index", json_integer(r->rejects[i].index));
        json_object_set_new(one, "field", json_string(r->rejects[i].field));
        json_object_set_new(one, "error", json_string(r->rejects[i].error));
        json_array_append_new(rejected, one); /* steals one */
    }
    json_object_set_new(root, "rejected", rejected); /* steals rejected */
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text) {
        return xstrdup("{\"accepted\":0,\"rejected\":[]}");
    }
    /* json_dumps allocates with malloc: the caller's free() is right. */
    return text;
}

void ingest_count(const ingest_t *in, intake_kind_t kind, event_format_t format,
                  const decode_result_t *r, size_t accepted)
{
    unsigned f = (unsigned)format <= 4 ? (unsigned)format : 0;
    metric_inc(in->m_received[kind][f]);
    if (accepted) {
        metric_add(in->m_accepted[kind][f], (double)accepted);
    }
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->nrejects; i++) {
        metric_inc(in->m_rejected[kind][r->rejects[i].index < 0 ? INGEST_REJECT_BODY
                                                                : INGEST_REJECT_INVALID]);
    }
}
