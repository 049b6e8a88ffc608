-- 0005_notifications: what alertdesk-notifier keeps.
--
-- escalations      one per ticket that has an escalation policy: where its
--                  timeline stands (level, loop, next wake-up, ack), so a
--                  restart resumes it exactly (notify_escalation.c state).
-- notifications    every page and mail, written BEFORE the attempt with an
--                  idempotency key (UNIQUE: a replayed ticket change or a
--                  re-run timer cannot queue a second copy), then moved
--                  pending -> sending -> sent | failed (or cancelled when the
--                  ticket was acknowledged or resolved first). A crash after
--                  a send and before its `sent` row may repeat that one page
--                  at restart ('sending' rows are retried), never more.
-- ack_uses         acknowledge links are single use: the first POST of a
--                  notification's link inserts here; a second is refused.

CREATE TABLE escalations (
    ticket_id    bigint PRIMARY KEY REFERENCES tickets (id),
    ticket_key   text NOT NULL,
    policy       text NOT NULL,
    state        text NOT NULL CHECK (state IN ('active', 'acknowledged', 'stopped')),
    level        integer NOT NULL DEFAULT 0 CHECK (level >= 0),
    loop         integer NOT NULL DEFAULT 0 CHECK (loop >= 0),
    next_at      timestamptz,              -- next level or reminder; NULL = nothing due
    acked_at     timestamptz,
    acked_by     text,
    started_at   timestamptz NOT NULL,
    stopped_at   timestamptz,
    stop_reason  text,
    exhausted    boolean NOT NULL DEFAULT false,  -- every pass paged; reminders may remain
    highest_level integer NOT NULL DEFAULT 0,   -- for /metrics and reports
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'stopped') = (stopped_at IS NOT NULL))
);
CREATE INDEX escalations_due ON escalations (next_at) WHERE state <> 'stopped' AND next_at IS NOT NULL;

CREATE TABLE notifications (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    ticket_key      text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('page', 'reminder', 'mail')),
    channel         text NOT NULL CHECK (channel IN ('webhook', 'chat', 'email', 'sms')),
    target          text NOT NULL CHECK (target <> ''),   -- URL, e-mail address or phone
    user_name       text NOT NULL DEFAULT '',
    level           integer NOT NULL DEFAULT 0,     -- escalation level paged, 1 = first; 0 = mail
    subject         text NOT NULL DEFAULT '',
    body            text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    last_status     integer,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    caused_at       timestamptz NOT NULL,     -- the ticket change that asked for it
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notifications_ticket ON notifications (ticket_id, id);

CREATE TABLE ack_uses (
    notification_id bigint PRIMARY KEY REFERENCES notifications (id),
    ticket_id       bigint NOT NULL,
    user_name       text NOT NULL,
    used_at         timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL     -- 'acknowledged', or why nothing changed
);

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON escalations, notifications, ack_uses TO alertdesk_daemon');
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO alertdesk_daemon',
                   current_schema());
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'alertdesk_daemon grants skipped';
END
$$;
