-- Inbox messages of users (PostgreSQL) and the applications that show them.
-- Times are Unix milliseconds; a message is unread while timestamp_read is NULL.

-- +goose Up
CREATE TABLE pa_inbox_message (
    id                TEXT    NOT NULL PRIMARY KEY,
    user_id           TEXT    NOT NULL,
    message_type      TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    summary           TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    timestamp_created BIGINT NOT NULL,
    timestamp_read    BIGINT
);
CREATE INDEX pa_inbox_message_user_idx ON pa_inbox_message (user_id, timestamp_created);

CREATE TABLE pa_inbox_message_application (
    message_id     TEXT    NOT NULL REFERENCES pa_inbox_message (id) ON DELETE CASCADE,
    application_id BIGINT NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, application_id)
);
CREATE INDEX pa_inbox_message_application_app_idx ON pa_inbox_message_application (application_id);

-- +goose Down
DROP TABLE pa_inbox_message_application;
DROP TABLE pa_inbox_message;
