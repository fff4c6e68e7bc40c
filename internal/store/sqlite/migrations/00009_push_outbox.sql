-- Push provider credentials of applications and the push message outbox
-- (SQLite). Secrets (the APNs .p8 key, the FCM service-account JSON,
-- the HMS client secret) are sealed with the server key. Times are Unix
-- milliseconds.

-- +goose Up
CREATE TABLE pa_push_credentials (
    application_id     INTEGER NOT NULL PRIMARY KEY REFERENCES pa_application (id) ON DELETE CASCADE,
    apns_private_key   BLOB,
    apns_key_id        TEXT,
    apns_team_id       TEXT,
    apns_bundle        TEXT,
    apns_environment   TEXT,
    fcm_private_key    BLOB,
    fcm_project_id     TEXT,
    hms_client_id      TEXT,
    hms_client_secret  BLOB,
    hms_project_id     TEXT,
    timestamp_created  INTEGER NOT NULL,
    timestamp_updated  INTEGER NOT NULL
) STRICT;

CREATE TABLE pa_push_message (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id     INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    activation_id      TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    platform           TEXT    NOT NULL,
    push_token         TEXT    NOT NULL,
    environment        TEXT,
    message_body       TEXT    NOT NULL,
    is_personal        INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    attempts           INTEGER NOT NULL,
    lease              TEXT,
    reason             TEXT,
    timestamp_created  INTEGER NOT NULL,
    timestamp_next     INTEGER NOT NULL,
    timestamp_finished INTEGER
) STRICT;
CREATE INDEX pa_push_message_due_idx ON pa_push_message (status, timestamp_next);

-- +goose Down
DROP TABLE pa_push_message;
DROP TABLE pa_push_credentials;
