-- Callback outbox, callback signing secrets and the audit log (SQLite).

-- +goose Up
CREATE TABLE pa_application_callback_event (
    id                      INTEGER PRIMARY KEY,
    application_callback_id TEXT    NOT NULL REFERENCES pa_application_callback (id) ON DELETE CASCADE,
    ordering_key            TEXT    NOT NULL,
    callback_data           TEXT    NOT NULL,
    status                  TEXT    NOT NULL,
    attempts                INTEGER NOT NULL DEFAULT 0,
    idempotency_key         TEXT    NOT NULL,
    lease                   TEXT,
    timestamp_created       INTEGER NOT NULL,
    timestamp_last_call     INTEGER,
    timestamp_next_call     INTEGER NOT NULL,
    timestamp_rerun_after   INTEGER,
    timestamp_delete_after  INTEGER
) STRICT;
CREATE INDEX pa_app_callback_event_status_idx ON pa_application_callback_event (status, timestamp_next_call);
CREATE INDEX pa_app_callback_event_order_idx ON pa_application_callback_event (application_callback_id, ordering_key, id);
CREATE INDEX pa_app_callback_event_delete_idx ON pa_application_callback_event (timestamp_delete_after);

CREATE TABLE pa_application_callback_secret (
    application_callback_id TEXT    NOT NULL PRIMARY KEY REFERENCES pa_application_callback (id) ON DELETE CASCADE,
    secret                  BLOB    NOT NULL,
    timestamp_created       INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY,
    timestamp_created INTEGER NOT NULL,
    type              TEXT    NOT NULL,
    actor             TEXT,
    activation_id     TEXT,
    user_id           TEXT,
    application       TEXT,
    ip_address        TEXT,
    user_agent        TEXT,
    details           TEXT
) STRICT;
CREATE INDEX audit_log_timestamp_idx ON audit_log (timestamp_created);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, timestamp_created);
CREATE INDEX audit_log_activation_idx ON audit_log (activation_id, timestamp_created);
CREATE INDEX audit_log_type_idx ON audit_log (type, timestamp_created);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE pa_application_callback_secret;
DROP TABLE pa_application_callback_event;
