-- PowerAuth Cloud API (SQLite): its users, their application grants, the
-- localised texts of operation templates and the signing keys of the
-- bearer tokens it issues. Times are Unix milliseconds.

-- +goose Up
CREATE TABLE pa_cloud_user (
    username          TEXT    NOT NULL PRIMARY KEY,
    password_hash     TEXT    NOT NULL,
    role              TEXT    NOT NULL CHECK (role IN ('ROLE_ADMIN', 'ROLE_USER')),
    enabled           INTEGER NOT NULL DEFAULT 1,
    timestamp_created INTEGER NOT NULL
) STRICT;
CREATE TABLE pa_cloud_user_application (
    username       TEXT    NOT NULL REFERENCES pa_cloud_user (username) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    PRIMARY KEY (username, application_id)
) STRICT;
CREATE INDEX pa_cloud_user_application_app_idx ON pa_cloud_user_application (application_id);
CREATE TABLE pa_cloud_localization (
    template_name TEXT NOT NULL,
    language      TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    PRIMARY KEY (template_name, language)
) STRICT;
CREATE TABLE pa_cloud_signing_key (
    id                    TEXT    NOT NULL PRIMARY KEY,
    private_key_encrypted BLOB    NOT NULL,
    timestamp_created     INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE pa_cloud_signing_key;
DROP TABLE pa_cloud_localization;
DROP TABLE pa_cloud_user_application;
DROP TABLE pa_cloud_user;
