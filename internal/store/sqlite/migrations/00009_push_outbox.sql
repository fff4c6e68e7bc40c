-- Push provider credentials of applications and the push message outbox
-- (SQLite), and push campaigns with their users. Secrets (the APNs .p8 key, the FCM service-account JSON,
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
    timestamp_finished INTEGER,
    campaign_id        INTEGER
) STRICT;
CREATE INDEX pa_push_message_due_idx ON pa_push_message (status, timestamp_next);
-- A campaign queues at most one message per activation: resuming a
-- campaign after a crash cannot queue a device twice.
CREATE UNIQUE INDEX pa_push_message_campaign_idx ON pa_push_message (campaign_id, activation_id) WHERE campaign_id IS NOT NULL;

CREATE TABLE pa_push_campaign (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id      INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    message             TEXT   NOT NULL,
    status              TEXT   NOT NULL,
    cursor_user         TEXT,
    timestamp_created   INTEGER NOT NULL,
    timestamp_sent      INTEGER,
    timestamp_completed INTEGER
) STRICT;

CREATE TABLE pa_push_campaign_user (
    campaign_id       INTEGER NOT NULL REFERENCES pa_push_campaign (id) ON DELETE CASCADE,
    user_id           TEXT   NOT NULL,
    timestamp_created INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
) STRICT;

-- +goose Down
DROP TABLE pa_push_campaign_user;
DROP TABLE pa_push_campaign;
DROP TABLE pa_push_message;
DROP TABLE pa_push_credentials;
