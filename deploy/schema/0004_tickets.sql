-- 0004_tickets: what alertdesk-ticketer keeps and publishes.
--
-- tickets              one per incident (UNIQUE incident_id: a replay of the
--                      incidents stream can never make a second ticket), with
--                      its queue, priority, state, assignee, SLA clocks and a
--                      version for optimistic concurrency (the API's ETag).
-- ticket_key_counters  the per-prefix counter behind human keys (NOC-1042).
-- ticket_events        the append-only audit trail AND the ticketer's output
--                      stream (the `tickets` topic): every change to a ticket
--                      is one row with (stream, seq), seq without holes,
--                      taken from stream_heads in the same transaction. Rows
--                      are never updated or deleted: a trigger refuses it for
--                      everyone, and the daemons' role has no such privilege.
--
-- The ticketer's offsets in the incidents streams live in consumer_offsets.

CREATE TABLE ticket_key_counters (
    prefix   text PRIMARY KEY CHECK (prefix ~ '^[A-Z][A-Z0-9]{0,15}$'),
    last_num bigint NOT NULL DEFAULT 0 CHECK (last_num >= 0)
);

CREATE TABLE tickets (
    id                  bigserial PRIMARY KEY,
    key                 text NOT NULL UNIQUE CHECK (key ~ '^[A-Z][A-Z0-9]{0,15}-[0-9]+$'),
    incident_id         bigint NOT NULL UNIQUE,     -- one ticket per incident
    domain              text NOT NULL,
    queue               text NOT NULL,
    route               text NOT NULL DEFAULT '',   -- the routing rule that chose the queue
    priority            smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
    severity            smallint NOT NULL CHECK (severity BETWEEN 0 AND 5),
    state               text NOT NULL CHECK (state IN
                            ('new', 'acknowledged', 'in_progress', 'pending', 'resolved', 'closed')),
    pending_reason      text,
    title               text NOT NULL CHECK (title <> ''),
    description         text NOT NULL DEFAULT '',
    labels              hstore NOT NULL DEFAULT '',
    source              text NOT NULL DEFAULT '',
    "check"             text NOT NULL DEFAULT '',
    cause_fingerprint   text NOT NULL,
    cause_resource      text NOT NULL,
    rule                text NOT NULL DEFAULT '',
    group_key           text NOT NULL DEFAULT '',
    assignee            text,
    reporter            text NOT NULL DEFAULT 'alertdesk',
    watchers            text[] NOT NULL DEFAULT '{}',
    incident_state      text NOT NULL DEFAULT 'open',
    merged_into         bigint REFERENCES tickets (id),
    alert_count         integer NOT NULL DEFAULT 0 CHECK (alert_count >= 0),   -- alerts that ever joined
    active_alerts       integer NOT NULL DEFAULT 0 CHECK (active_alerts >= 0), -- firing now
    first_seen          timestamptz NOT NULL,
    last_seen           timestamptz NOT NULL,
    opened_at           timestamptz NOT NULL,
    acknowledged_at     timestamptz,               -- first response
    resolved_at         timestamptz,               -- last time it went to resolved
    closed_at           timestamptz,
    reopen_count        integer NOT NULL DEFAULT 0,
    -- SLA: the policy's targets are copied at open, so a rule change never
    -- rewrites the promise made on an existing ticket.
    sla_policy          text NOT NULL DEFAULT '',   -- '' = no SLA
    sla_calendar        text NOT NULL DEFAULT '',   -- '' = 24x7
    sla_warn_permille   integer NOT NULL DEFAULT 800 CHECK (sla_warn_permille BETWEEN 1 AND 1000),
    response_target_us  bigint NOT NULL DEFAULT 0 CHECK (response_target_us >= 0),
    resolution_target_us bigint NOT NULL DEFAULT 0 CHECK (resolution_target_us >= 0),
    sla_paused_business_us bigint NOT NULL DEFAULT 0 CHECK (sla_paused_business_us >= 0),
    sla_paused_since    timestamptz,               -- pending or resolved: the clock stands
    response_status     text NOT NULL DEFAULT 'none'
                            CHECK (response_status IN ('none', 'running', 'warning', 'breached', 'met', 'paused')),
    resolution_status   text NOT NULL DEFAULT 'none'
                            CHECK (resolution_status IN ('none', 'running', 'warning', 'breached', 'met', 'paused')),
    response_due_at     timestamptz,
    resolution_due_at   timestamptz,
    sla_check_at        timestamptz,               -- next instant a clock may change status
    auto_close_at       timestamptz,               -- resolved: closes by itself then
    -- Alerts joining and clearing are summed here and written as ONE system
    -- comment per comment interval (durable: same transaction as the offset).
    note_joined         integer NOT NULL DEFAULT 0,
    note_cleared        integer NOT NULL DEFAULT 0,
    note_due_at         timestamptz,
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'pending') = (pending_reason IS NOT NULL)),
    CHECK (state <> 'closed' OR closed_at IS NOT NULL),
    CHECK (merged_into IS DISTINCT FROM id)
);
CREATE INDEX tickets_open ON tickets (state, priority, opened_at) WHERE state NOT IN ('resolved', 'closed');
CREATE INDEX tickets_queue ON tickets (queue, opened_at);
CREATE INDEX tickets_assignee ON tickets (assignee) WHERE assignee IS NOT NULL;
CREATE INDEX tickets_sla_check ON tickets (sla_check_at) WHERE sla_check_at IS NOT NULL;
CREATE INDEX tickets_auto_close ON tickets (auto_close_at) WHERE auto_close_at IS NOT NULL;
CREATE INDEX tickets_note_due ON tickets (note_due_at) WHERE note_due_at IS NOT NULL;
CREATE INDEX tickets_cause ON tickets (cause_resource, "check");

CREATE TABLE ticket_events (
    stream      text NOT NULL,
    seq         bigint NOT NULL CHECK (seq > 0),
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    at          timestamptz NOT NULL,
    actor       text NOT NULL CHECK (actor <> ''),   -- a token's user, or 'system'
    kind        text NOT NULL CHECK (kind IN
                    ('opened', 'updated', 'state_changed', 'assigned', 'commented',
                     'sla_warning', 'sla_breached', 'alerts', 'merged', 'reopened', 'watchers')),
    field       text NOT NULL DEFAULT '',            -- what changed: state, priority, assignee ...
    before      text,
    after       text,
    comment     text,
    -- The ticket as it is after this change, so a consumer (the notifier)
    -- needs no lookup: key, state, priority, queue, assignee.
    ticket_key  text NOT NULL,
    state       text NOT NULL,
    priority    smallint NOT NULL,
    queue       text NOT NULL,
    assignee    text,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, seq)
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, seq);

-- Append-only for everyone, superusers included (they would have to drop
-- the trigger, which is itself on record in the server log).
CREATE FUNCTION alertdesk_ticket_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'correct a ticket with a new change; the audit trail keeps both';
END
$$;
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION alertdesk_ticket_events_append_only();
CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events
    FOR EACH STATEMENT EXECUTE FUNCTION alertdesk_ticket_events_append_only();

-- The daemons' role: deployments run the daemons as a login role that is a
-- member of alertdesk_daemon (deploy/README). It may read and write every
-- table but only read and append to ticket_events. Creating a role needs
-- CREATEROLE; where the migration runs without it, the trigger above still
-- holds and a notice says so.
DO $$
BEGIN
    -- Roles are shared by every database of the cluster: two databases
    -- migrating at once may both try to create it.
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alertdesk_daemon') THEN
            CREATE ROLE alertdesk_daemon NOLOGIN;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO alertdesk_daemon', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO alertdesk_daemon',
                   current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO alertdesk_daemon',
                   current_schema());
    REVOKE UPDATE, DELETE, TRUNCATE ON ticket_events FROM alertdesk_daemon;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'alertdesk_daemon role not set up (no CREATEROLE): ticket_events stays append-only by its trigger';
END
$$;
