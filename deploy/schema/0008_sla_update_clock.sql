-- 0008_sla_update_clock: the third SLA clock, "update interval": while a
-- ticket is open, a person must update it (comment, state change,
-- assignment) at least every update_target_us of business time. The clock
-- restarts at every update (last_update_at); it stands while the ticket is
-- pending; a warning and a breach are ticket_events like the other clocks'.
ALTER TABLE tickets
    ADD COLUMN update_target_us bigint NOT NULL DEFAULT 0 CHECK (update_target_us >= 0),
    ADD COLUMN last_update_at timestamptz,
    ADD COLUMN update_status text NOT NULL DEFAULT 'none'
        CHECK (update_status IN ('none', 'running', 'warning', 'breached', 'met', 'paused')),
    ADD COLUMN update_due_at timestamptz;
