-- PowerAuth Cloud API (PostgreSQL): its users, their application grants,
-- the localised texts of operation templates and the signing keys of the
-- bearer tokens it issues. Times are Unix milliseconds.

-- +goose Up
CREATE TABLE pa_cloud_user (
    username          TEXT     NOT NULL PRIMARY KEY,
    password_hash     TEXT     NOT NULL,
    role              TEXT     NOT NULL CONSTRAINT pa_cloud_user_role_ck CHECK (role IN ('ROLE_ADMIN', 'ROLE_USER')),
    enabled           SMALLINT NOT NULL DEFAULT 1,
    timestamp_created BIGINT   NOT NULL
);
CREATE TABLE pa_cloud_user_application (
    username       TEXT   NOT NULL REFERENCES pa_cloud_user (username) ON DELETE CASCADE,
    application_id BIGINT NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    PRIMARY KEY (username, application_id)
);
CREATE INDEX pa_cloud_user_application_app_idx ON pa_cloud_user_application (application_id);
CREATE TABLE pa_cloud_localization (
    template_name TEXT NOT NULL,
    language      TEXT NOT NULL,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    PRIMARY KEY (template_name, language)
);
CREATE TABLE pa_cloud_signing_key (
    id                    TEXT   NOT NULL PRIMARY KEY,
    private_key_encrypted BYTEA  NOT NULL,
    timestamp_created     BIGINT NOT NULL
);

-- +goose Down
DROP TABLE pa_cloud_signing_key;
DROP TABLE pa_cloud_localization;
DROP TABLE pa_cloud_user_application;
DROP TABLE pa_cloud_user;
