-- Approval operations and their templates (SQLite).
-- Times are Unix milliseconds (INTEGER), booleans 0/1, lists and maps JSON text.

-- +goose Up
CREATE TABLE pa_operation_template (
    id                      INTEGER PRIMARY KEY,
    template_name           TEXT    NOT NULL,
    operation_type          TEXT    NOT NULL,
    data_template           TEXT    NOT NULL,
    signature_type          TEXT    NOT NULL,
    max_failure_count       INTEGER NOT NULL,
    expiration              INTEGER NOT NULL,
    risk_flags              TEXT,
    proximity_check_enabled INTEGER NOT NULL DEFAULT 0,
    number_matching_enabled INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT pa_operation_template_name_uk UNIQUE (template_name)
) STRICT;

CREATE TABLE pa_operation (
    id                  TEXT    NOT NULL PRIMARY KEY,
    user_id             TEXT,
    external_id         TEXT,
    activation_flag     TEXT,
    activation_id       TEXT,
    operation_type      TEXT    NOT NULL,
    template_name       TEXT,
    data                TEXT    NOT NULL,
    parameters          TEXT    NOT NULL DEFAULT '{}',
    additional_data     TEXT    NOT NULL DEFAULT '{}',
    status              INTEGER NOT NULL,
    status_reason       TEXT,
    signature_type      TEXT    NOT NULL,
    failure_count       INTEGER NOT NULL DEFAULT 0,
    max_failure_count   INTEGER NOT NULL,
    timestamp_created   INTEGER NOT NULL,
    timestamp_expires   INTEGER NOT NULL,
    timestamp_finalized INTEGER,
    risk_flags          TEXT,
    totp_seed           BLOB,
    number_matching     TEXT
) STRICT;
CREATE INDEX pa_operation_user_idx ON pa_operation (user_id);
CREATE INDEX pa_operation_created_idx ON pa_operation (timestamp_created);
CREATE INDEX pa_operation_external_idx ON pa_operation (external_id);
CREATE INDEX pa_operation_status_expires_idx ON pa_operation (status, timestamp_expires);

CREATE TABLE pa_operation_application (
    application_id INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    operation_id   TEXT    NOT NULL REFERENCES pa_operation (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, operation_id)
) STRICT;
CREATE INDEX pa_operation_application_op_idx ON pa_operation_application (operation_id);

-- +goose Down
DROP TABLE pa_operation_application;
DROP TABLE pa_operation;
DROP TABLE pa_operation_template;
