-- 0003_events_retention: drop whole days of `events` once they are older than
-- the retention (ingest.retention), never before every consumer of a stream
-- has applied them.
--
-- Daily partitions are dropped (cheap: no DELETE, no vacuum); rows that
-- landed in events_default are deleted by age with the same guard.
-- Returns the number of partitions dropped. Called by ingest hourly.

CREATE FUNCTION alertdesk_events_drop_older_than(keep interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    day date;
    cutoff timestamptz := now() - keep;
    dropped integer := 0;
    unconsumed boolean;
BEGIN
    FOR part IN
        SELECT c.relname
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events'::regclass
           AND c.relname ~ '^events_[0-9]{8}$'
         ORDER BY c.relname
    LOOP
        day := to_date(substr(part.relname, 8), 'YYYYMMDD');
        CONTINUE WHEN (day + 1)::timestamp AT TIME ZONE 'UTC' > cutoff;
        -- A consumer that has not applied a stream's rows yet keeps the day.
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM (SELECT stream, max(seq) AS top FROM %I GROUP BY stream) p
                              JOIN consumer_offsets o ON o.stream = p.stream
                             WHERE o.last_seq < p.top)', part.relname)
            INTO unconsumed;
        CONTINUE WHEN unconsumed;
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM events_default e
     WHERE e.received_at < cutoff
       AND NOT EXISTS (SELECT 1 FROM consumer_offsets o
                        WHERE o.stream = e.stream AND o.last_seq < e.seq);
    RETURN dropped;
END $$;
