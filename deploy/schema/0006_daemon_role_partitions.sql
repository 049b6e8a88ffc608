-- 0006_daemon_role_partitions: let a daemon that logs in as a member of
-- alertdesk_daemon (the deployment's login role, deploy/systemd/README.md)
-- keep the events partitions: create tomorrow's, drop expired days.
--
-- Both need the ownership of `events` (and CREATE on the schema), which the
-- daemons' role rightly lacks: without this, ingest run as that role fails
-- every hour with "permission denied for schema" and the events of new days
-- pile up in events_default, where retention can no longer drop them
-- cheaply. The two functions now run as their owner (the role that ran the
-- migrations) with a fixed search_path, so nothing a caller puts on its own
-- path is picked up; they take only a number and an interval, and touch
-- only events partitions. Execution is kept to the owner and
-- alertdesk_daemon.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION alertdesk_events_ensure_partitions(integer) '
                   'SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
    EXECUTE format('ALTER FUNCTION alertdesk_events_drop_older_than(interval) '
                   'SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
    REVOKE EXECUTE ON FUNCTION alertdesk_events_ensure_partitions(integer) FROM PUBLIC;
    REVOKE EXECUTE ON FUNCTION alertdesk_events_drop_older_than(interval) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alertdesk_daemon') THEN
        GRANT EXECUTE ON FUNCTION alertdesk_events_ensure_partitions(integer) TO alertdesk_daemon;
        GRANT EXECUTE ON FUNCTION alertdesk_events_drop_older_than(interval) TO alertdesk_daemon;
    ELSE
        RAISE NOTICE 'no alertdesk_daemon role: the partition functions run for their owner only';
    END IF;
END $$;
