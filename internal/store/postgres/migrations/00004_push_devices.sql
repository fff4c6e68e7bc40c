-- Push registrations of activations (PostgreSQL): one row per activation.
-- Times are Unix milliseconds.

-- +goose Up
CREATE TABLE pa_push_device (
    activation_id             TEXT    NOT NULL PRIMARY KEY REFERENCES pa_activation (activation_id) ON DELETE CASCADE,
    application_id            BIGINT  NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    user_id                   TEXT    NOT NULL,
    platform                  TEXT    NOT NULL,
    push_token                TEXT    NOT NULL,
    environment               TEXT,
    timestamp_created         BIGINT  NOT NULL,
    timestamp_last_registered BIGINT  NOT NULL
);
CREATE INDEX pa_push_device_user_idx ON pa_push_device (application_id, user_id);
CREATE INDEX pa_push_device_token_idx ON pa_push_device (application_id, push_token);

-- +goose Down
DROP TABLE pa_push_device;
