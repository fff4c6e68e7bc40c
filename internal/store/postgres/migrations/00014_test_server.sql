-- Test server (PostgreSQL): the applications it simulates devices of and the
-- simulated devices, whose state (keys, counter) is sealed with the server
-- key. No reference to pa_activation: the activations may live on a
-- remote mauth. Times are Unix milliseconds.

-- +goose Up
CREATE TABLE pa_test_config (
    application_id     TEXT    NOT NULL PRIMARY KEY,
    application_name   TEXT    NOT NULL,
    application_key    TEXT    NOT NULL,
    application_secret TEXT    NOT NULL,
    master_public_key  TEXT    NOT NULL,
    timestamp_created  BIGINT  NOT NULL,
    timestamp_updated  BIGINT  NOT NULL
);
CREATE TABLE pa_test_device (
    activation_id     TEXT    NOT NULL PRIMARY KEY,
    application_id    TEXT    NOT NULL REFERENCES pa_test_config (application_id) ON DELETE CASCADE,
    sealed_state      BYTEA   NOT NULL,
    revision          BIGINT  NOT NULL,
    timestamp_created BIGINT  NOT NULL,
    timestamp_updated BIGINT  NOT NULL
);
CREATE INDEX pa_test_device_application_idx ON pa_test_device (application_id);

-- +goose Down
DROP TABLE pa_test_device;
DROP TABLE pa_test_config;
