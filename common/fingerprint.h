/*
 * fingerprint - the stable identity of an alert.
 *
 * 128 bits of SHA-256 in lower-case hex (EVENT_FINGERPRINT_HEX chars). When
 * the sender has its own key (PagerDuty dedup_key, Alertmanager fingerprint)
 * the hash covers (source, scope, key) so two senders can never collide;
 * otherwise it covers source, resource, check and the identifying labels in
 * key order. Every field is length-prefixed before hashing, so ("ab","c")
 * and ("a","bc") differ. Same alert gives the same fingerprint on any
 * machine, after any restart, whatever the label order on the wire.
 */
#ifndef ALERTDESK_FINGERPRINT_H
#define ALERTDESK_FINGERPRINT_H

#include "event.h"

/* Sets ev->fingerprint. scope is the sender's namespace for its key (the
 * PagerDuty integration name; NULL for none). ignore lists labels that do
 * not identify an alert. */
void fingerprint_compute(event_t *ev, const char *scope, const char *const *ignore, size_t nignore);

#endif
