-- 0009_survey: satisfaction-survey answers, one per ticket (the first answer
-- counts; the link in the closing mail is signed and single-purpose).
CREATE TABLE survey_answers (
    ticket_id   bigint PRIMARY KEY REFERENCES tickets (id),
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
    answered_at timestamptz NOT NULL DEFAULT now()
);
DO $$
BEGIN
    GRANT SELECT, INSERT ON survey_answers TO alertdesk_daemon;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'alertdesk_daemon grants skipped';
END
$$;
