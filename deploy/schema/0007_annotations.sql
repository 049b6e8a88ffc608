-- 0007_annotations: the annotations of the event that opened (or reopened)
-- an alert, kept with the alert and copied to the ticket it opens, so a
-- ticket can show the cause's runbook, dashboard and description links
-- (Alertmanager's runbook_url and friends). Only the opening event's are
-- kept: repeats do not rewrite them (a storm must stay cheap).
ALTER TABLE alerts ADD COLUMN annotations hstore NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN annotations hstore NOT NULL DEFAULT '';
