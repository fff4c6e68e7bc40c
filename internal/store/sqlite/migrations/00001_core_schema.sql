-- Core schema of the mauth server (SQLite).
-- Times are Unix milliseconds (INTEGER), booleans 0/1, string lists JSON text.
-- STRICT tables make SQLite reject values of the wrong type.

-- +goose Up
CREATE TABLE pa_application (
    id    INTEGER PRIMARY KEY,
    name  TEXT    NOT NULL,
    roles TEXT    NOT NULL DEFAULT '[]',
    CONSTRAINT pa_application_name_uk UNIQUE (name)
) STRICT;

CREATE TABLE pa_application_version (
    id                 INTEGER PRIMARY KEY,
    application_id     INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    application_key    TEXT    NOT NULL,
    application_secret TEXT    NOT NULL,
    supported          INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT pa_application_version_key_uk UNIQUE (application_key),
    CONSTRAINT pa_application_version_name_uk UNIQUE (application_id, name)
) STRICT;

CREATE TABLE pa_master_keypair (
    id                 INTEGER PRIMARY KEY,
    application_id     INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    master_key_private BLOB,
    master_key_public  BLOB,
    timestamp_created  INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_master_keypair_app_created_idx ON pa_master_keypair (application_id, timestamp_created);

CREATE TABLE pa_application_config (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    config_key     TEXT    NOT NULL,
    config_values  BLOB,
    CONSTRAINT pa_application_config_key_uk UNIQUE (application_id, config_key)
) STRICT;

CREATE TABLE pa_activation (
    activation_id               TEXT    NOT NULL PRIMARY KEY,
    application_id              INTEGER NOT NULL REFERENCES pa_application (id),
    user_id                     TEXT    NOT NULL,
    activation_name             TEXT,
    activation_code             TEXT,
    activation_signature        BLOB,
    activation_status           INTEGER NOT NULL,
    activation_otp              TEXT,
    activation_otp_validation   INTEGER NOT NULL DEFAULT 0,
    commit_phase                INTEGER NOT NULL DEFAULT 0,
    blocked_reason              TEXT,
    counter                     INTEGER NOT NULL DEFAULT 0,
    ctr_data                    BLOB,
    device_public_key           BLOB,
    extras                      TEXT,
    platform                    TEXT,
    device_info                 TEXT,
    flags                       TEXT    NOT NULL DEFAULT '[]',
    external_id                 TEXT,
    protocol                    TEXT    NOT NULL DEFAULT 'powerauth',
    failed_attempts             INTEGER NOT NULL DEFAULT 0,
    max_failed_attempts         INTEGER NOT NULL DEFAULT 5,
    server_private_key          BLOB,
    server_public_key           BLOB,
    master_keypair_id           INTEGER REFERENCES pa_master_keypair (id),
    timestamp_created           INTEGER NOT NULL,
    timestamp_activation_expire INTEGER NOT NULL,
    timestamp_last_used         INTEGER,
    timestamp_last_change       INTEGER,
    version                     INTEGER NOT NULL DEFAULT 3,
    row_revision                INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX pa_activation_user_created_idx ON pa_activation (user_id, timestamp_created);
CREATE INDEX pa_activation_application_idx ON pa_activation (application_id);
CREATE INDEX pa_activation_keypair_idx ON pa_activation (master_keypair_id);
CREATE INDEX pa_activation_expiration_idx ON pa_activation (activation_status, timestamp_activation_expire);
-- An activation code identifies at most one activation that is still being set up.
CREATE UNIQUE INDEX pa_activation_code_live_uk ON pa_activation (activation_code)
    WHERE activation_status IN (1, 2);

CREATE TABLE pa_activation_history (
    id                 INTEGER PRIMARY KEY,
    activation_id      TEXT    NOT NULL REFERENCES pa_activation (activation_id) ON DELETE CASCADE,
    activation_status  INTEGER NOT NULL,
    event_reason       TEXT,
    external_user_id   TEXT,
    activation_name    TEXT,
    activation_version INTEGER NOT NULL DEFAULT 3,
    timestamp_created  INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_activation_history_activation_idx ON pa_activation_history (activation_id, timestamp_created);

-- Append-only; user_id and application_id are copied from the activation, so
-- there is deliberately no foreign key: the log outlives activations.
CREATE TABLE pa_signature_audit (
    id                  INTEGER PRIMARY KEY,
    activation_id       TEXT    NOT NULL,
    user_id             TEXT    NOT NULL,
    application_id      INTEGER NOT NULL,
    activation_counter  INTEGER NOT NULL,
    activation_ctr_data BLOB,
    activation_status   INTEGER NOT NULL,
    additional_info     TEXT,
    data                BLOB,
    signature_type      TEXT    NOT NULL,
    signature           TEXT    NOT NULL,
    signature_version   TEXT,
    signature_metadata  BLOB,
    note                TEXT,
    valid               INTEGER NOT NULL,
    version             INTEGER NOT NULL,
    timestamp_created   INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_signature_audit_activation_idx ON pa_signature_audit (activation_id, timestamp_created);
CREATE INDEX pa_signature_audit_user_idx ON pa_signature_audit (user_id, timestamp_created);
CREATE INDEX pa_signature_audit_created_idx ON pa_signature_audit (timestamp_created);

CREATE TABLE pa_token (
    token_id          TEXT    NOT NULL PRIMARY KEY,
    token_secret      BLOB,
    activation_id     TEXT    NOT NULL REFERENCES pa_activation (activation_id) ON DELETE CASCADE,
    signature_type    TEXT    NOT NULL,
    timestamp_created INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_token_activation_idx ON pa_token (activation_id);

CREATE TABLE pa_integration (
    id            TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    client_token  TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    CONSTRAINT pa_integration_client_token_uk UNIQUE (client_token)
) STRICT;

CREATE TABLE pa_application_callback (
    id                     TEXT    NOT NULL PRIMARY KEY,
    application_id         INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    name                   TEXT    NOT NULL,
    callback_url           TEXT    NOT NULL,
    type                   TEXT    NOT NULL DEFAULT 'ACTIVATION_STATUS_CHANGE',
    attributes             TEXT    NOT NULL DEFAULT '[]',
    authentication         BLOB,
    max_attempts           INTEGER,
    initial_backoff_ms     INTEGER,
    retention_period_ms    INTEGER,
    enabled                INTEGER NOT NULL DEFAULT 1,
    timestamp_created      INTEGER NOT NULL,
    timestamp_last_updated INTEGER
) STRICT;
CREATE INDEX pa_application_callback_app_idx ON pa_application_callback (application_id);

CREATE TABLE pa_recovery_code (
    id                    INTEGER PRIMARY KEY,
    recovery_code         TEXT    NOT NULL,
    application_id        INTEGER NOT NULL REFERENCES pa_application (id),
    user_id               TEXT    NOT NULL,
    activation_id         TEXT    REFERENCES pa_activation (activation_id) ON DELETE SET NULL,
    status                INTEGER NOT NULL,
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    max_failed_attempts   INTEGER NOT NULL DEFAULT 10,
    timestamp_created     INTEGER NOT NULL,
    timestamp_last_used   INTEGER,
    timestamp_last_change INTEGER
) STRICT;
CREATE INDEX pa_recovery_code_app_code_idx ON pa_recovery_code (application_id, recovery_code);
CREATE INDEX pa_recovery_code_user_idx ON pa_recovery_code (user_id);
CREATE INDEX pa_recovery_code_activation_idx ON pa_recovery_code (activation_id);

CREATE TABLE pa_recovery_puk (
    id                    INTEGER PRIMARY KEY,
    recovery_code_id      INTEGER NOT NULL REFERENCES pa_recovery_code (id) ON DELETE CASCADE,
    puk                   BLOB,
    puk_index             INTEGER NOT NULL,
    status                INTEGER NOT NULL,
    timestamp_last_change INTEGER,
    CONSTRAINT pa_recovery_puk_index_uk UNIQUE (recovery_code_id, puk_index)
) STRICT;

CREATE TABLE pa_recovery_config (
    id                            INTEGER PRIMARY KEY,
    application_id                INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    activation_recovery_enabled   INTEGER NOT NULL DEFAULT 0,
    recovery_postcard_enabled     INTEGER NOT NULL DEFAULT 0,
    allow_multiple_recovery_codes INTEGER NOT NULL DEFAULT 0,
    postcard_private_key          BLOB,
    postcard_public_key           BLOB,
    remote_public_key             BLOB,
    CONSTRAINT pa_recovery_config_app_uk UNIQUE (application_id)
) STRICT;

CREATE TABLE pa_unique_value (
    type              INTEGER NOT NULL,
    unique_value      TEXT    NOT NULL,
    timestamp_expires INTEGER NOT NULL,
    PRIMARY KEY (type, unique_value)
) STRICT, WITHOUT ROWID;
CREATE INDEX pa_unique_value_expires_idx ON pa_unique_value (timestamp_expires);

CREATE TABLE pa_temporary_key (
    id                TEXT    NOT NULL PRIMARY KEY,
    application_key   TEXT    NOT NULL,
    activation_id     TEXT,
    private_key       BLOB,
    public_key        BLOB,
    timestamp_expires INTEGER NOT NULL
) STRICT;
CREATE INDEX pa_temporary_key_expires_idx ON pa_temporary_key (timestamp_expires);

-- +goose Down
DROP TABLE pa_temporary_key;
DROP TABLE pa_unique_value;
DROP TABLE pa_recovery_config;
DROP TABLE pa_recovery_puk;
DROP TABLE pa_recovery_code;
DROP TABLE pa_application_callback;
DROP TABLE pa_integration;
DROP TABLE pa_token;
DROP TABLE pa_signature_audit;
DROP TABLE pa_activation_history;
DROP TABLE pa_activation;
DROP TABLE pa_application_config;
DROP TABLE pa_master_keypair;
DROP TABLE pa_application_version;
DROP TABLE pa_application;
