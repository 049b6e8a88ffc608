-- 0002_correlation: what alertdesk-correlator keeps and publishes.
--
-- alerts            one row per (domain, fingerprint): the alert as the engine
--                   last saw it, with everything corr_engine_restore_alert()
--                   needs to continue exactly after a restart (the last firing
--                   event's fields and labels, timers' start times, flap
--                   history, the routing decision).
-- incidents         alerts joined by a rule; ids come from the engine (seeded
--                   with max(id) + 1 at start). At most one OPEN incident per
--                   (domain, rule, group_key): a partial unique index.
-- incident_members  the alerts of an incident, in join order (ord).
-- incident_changes  the correlator's output stream (the `incidents` topic):
--                   one row per (stream, seq), seq without holes, advanced
--                   with the stream_heads compare-and-set in the same
--                   transaction as the state change, as ingest does for events.
-- decisions         why each alert landed where it did (rule, group key,
--                   parent, silence, window, reason): `alertdesk explain`.
-- silences          matchers plus a time range, from the CLI or the API.
--
-- The correlator's offsets in the events streams live in consumer_offsets
-- (consumer = its stream name), written in the same transaction.

CREATE TABLE silences (
    id          bigserial PRIMARY KEY,
    -- "labels.site = ams1", "resource =~ core-.*": parsed by corr_silence.c.
    matchers    text[] NOT NULL CHECK (cardinality(matchers) > 0),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    creator     text NOT NULL DEFAULT '',
    comment     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX silences_ends_at ON silences (ends_at);

CREATE TABLE incidents (
    id                bigint PRIMARY KEY CHECK (id > 0),
    domain            text NOT NULL,
    rule              text NOT NULL,      -- '' for alerts that matched no rule
    group_key         text NOT NULL,
    state             text NOT NULL CHECK (state IN ('open', 'resolving', 'resolved', 'merged')),
    severity          smallint NOT NULL CHECK (severity BETWEEN 0 AND 5),
    cause_fingerprint text NOT NULL,
    cause_resource    text NOT NULL,
    opened_at         timestamptz NOT NULL,
    last_activity_at  timestamptz NOT NULL,
    resolving_since   timestamptz,
    resolved_at       timestamptz,
    merged_into       bigint REFERENCES incidents (id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'merged') = (merged_into IS NOT NULL)),
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (merged_into IS DISTINCT FROM id)
);
-- One open incident per group: what "first match wins, one incident per
-- group" means, held by the database and not only by the engine.
CREATE UNIQUE INDEX incidents_one_open ON incidents (domain, rule, group_key)
    WHERE state = 'open';
CREATE INDEX incidents_active ON incidents (state) WHERE state IN ('open', 'resolving');
CREATE INDEX incidents_merged_into ON incidents (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE alerts (
    domain          text NOT NULL,
    fingerprint     text NOT NULL CHECK (char_length(fingerprint) = 32),
    source          text NOT NULL,
    resource        text NOT NULL,
    "check"         text NOT NULL,
    severity        smallint NOT NULL CHECK (severity BETWEEN 0 AND 5),
    summary         text,
    labels          hstore NOT NULL DEFAULT '',
    state           text NOT NULL CHECK (state IN ('firing', 'cleared')),
    count           bigint NOT NULL CHECK (count >= 0),
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    refreshed_at    timestamptz NOT NULL,   -- last firing event: resolve timeout runs from here
    fired_at        timestamptz NOT NULL,   -- start of the current (or last) firing episode
    cleared_at      timestamptz,
    incident_id     bigint,                 -- current incident (no FK: written in the same batch)
    symptom         boolean NOT NULL DEFAULT false,
    parent          text NOT NULL DEFAULT '',
    rule            text NOT NULL DEFAULT '',
    group_key       text NOT NULL DEFAULT '',
    held            boolean NOT NULL DEFAULT false,  -- waiting for min_alerts of its group
    routed          boolean NOT NULL DEFAULT true,
    flapping        boolean NOT NULL DEFAULT false,
    incident_active boolean NOT NULL DEFAULT false,
    flap_changes    bigint[] NOT NULL DEFAULT '{}', -- state change times, Unix microseconds
    silenced_by     bigint,                          -- silences.id (kept if the silence is deleted)
    maint_window    text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, fingerprint)
);
CREATE INDEX alerts_live ON alerts (domain, fingerprint)
    WHERE state = 'firing' OR flapping OR held OR silenced_by IS NOT NULL;
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_fingerprint ON alerts (fingerprint);

CREATE TABLE incident_members (
    incident_id bigint NOT NULL REFERENCES incidents (id),
    fingerprint text NOT NULL,
    resource    text NOT NULL,
    symptom     boolean NOT NULL,
    active      boolean NOT NULL,
    joined_at   timestamptz NOT NULL,
    ord         integer NOT NULL CHECK (ord >= 0),   -- join order
    PRIMARY KEY (incident_id, fingerprint)
);
CREATE INDEX incident_members_fingerprint ON incident_members (fingerprint);

CREATE TABLE incident_changes (
    stream            text NOT NULL,
    seq               bigint NOT NULL CHECK (seq > 0),
    kind              text NOT NULL,
    incident_id       bigint NOT NULL,
    into_incident_id  bigint NOT NULL DEFAULT 0,   -- kind = incident_merged
    at                timestamptz NOT NULL,
    domain            text NOT NULL,
    fingerprint       text NOT NULL,               -- '' when no alert is concerned
    resource          text NOT NULL,
    severity          smallint NOT NULL,           -- the incident's
    rule              text NOT NULL,
    group_key         text NOT NULL,
    cause_fingerprint text NOT NULL,
    symptom           boolean NOT NULL,
    parent            text NOT NULL,
    reason            text NOT NULL,
    committed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, seq)
);
CREATE INDEX incident_changes_incident ON incident_changes (incident_id);

CREATE TABLE decisions (
    id               bigserial PRIMARY KEY,
    domain           text NOT NULL,
    fingerprint      text NOT NULL,
    incident_id      bigint NOT NULL DEFAULT 0,
    into_incident_id bigint NOT NULL DEFAULT 0,
    at               timestamptz NOT NULL,
    kind             text NOT NULL,
    rule             text NOT NULL,
    group_key        text NOT NULL,
    parent           text NOT NULL,
    symptom          boolean NOT NULL,
    silence_id       bigint NOT NULL DEFAULT 0,
    maint_window     text NOT NULL,
    reason           text NOT NULL
);
CREATE INDEX decisions_fingerprint ON decisions (fingerprint, id);
CREATE INDEX decisions_incident ON decisions (incident_id, id) WHERE incident_id <> 0;
