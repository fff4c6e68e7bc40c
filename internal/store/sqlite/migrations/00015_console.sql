-- Admin console (SQLite): console users, their server-side sessions, and
-- the indexes of the console's keyset-paged lists. Times are Unix
-- milliseconds.

-- +goose Up
CREATE TABLE pa_console_user (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    username              TEXT    NOT NULL UNIQUE,
    password_hash         TEXT    NOT NULL,
    role                  TEXT    NOT NULL,
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    timestamp_locked_until INTEGER,
    timestamp_created     INTEGER NOT NULL,
    timestamp_last_sign_in INTEGER
) STRICT;

CREATE TABLE pa_console_session (
    id_hash             TEXT    NOT NULL PRIMARY KEY,
    user_id             INTEGER NOT NULL REFERENCES pa_console_user (id) ON DELETE CASCADE,
    timestamp_created   INTEGER NOT NULL,
    timestamp_last_seen INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_console_session_user_idx ON pa_console_session (user_id);

CREATE INDEX pa_activation_created_idx ON pa_activation (timestamp_created, activation_id);
CREATE INDEX pa_activation_status_created_idx ON pa_activation (activation_status, timestamp_created, activation_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX pa_operation_created_id_idx ON pa_operation (timestamp_created, id);
CREATE INDEX pa_operation_user_created_idx ON pa_operation (user_id, timestamp_created, id);

-- +goose Down
DROP INDEX pa_operation_user_created_idx;
DROP INDEX pa_operation_created_id_idx;
DROP INDEX audit_log_actor_idx;
DROP INDEX pa_activation_status_created_idx;
DROP INDEX pa_activation_created_idx;
DROP TABLE pa_console_session;
DROP TABLE pa_console_user;
