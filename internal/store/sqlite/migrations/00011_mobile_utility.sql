-- Mobile utility services (SQLite): apps with their signing keys, pinned
-- certificates per domain, version rules and localized texts.
-- Times are Unix milliseconds.

-- +goose Up
CREATE TABLE pa_mu_app (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    display_name     TEXT    NOT NULL,
    sign_private_key BLOB    NOT NULL,
    sign_public_key  BLOB    NOT NULL,
    timestamp_created INTEGER NOT NULL
) STRICT;

CREATE TABLE pa_mu_domain (
    id     INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES pa_mu_app (id) ON DELETE CASCADE,
    domain TEXT    NOT NULL,
    UNIQUE (app_id, domain)
) STRICT;

CREATE TABLE pa_mu_certificate (
    id                INTEGER PRIMARY KEY,
    domain_id         INTEGER NOT NULL REFERENCES pa_mu_domain (id) ON DELETE CASCADE,
    pem               TEXT    NOT NULL,
    fingerprint       TEXT    NOT NULL,
    expires           INTEGER NOT NULL,
    timestamp_created INTEGER NOT NULL,
    UNIQUE (domain_id, fingerprint)
) STRICT;
CREATE INDEX pa_mu_certificate_expires_idx ON pa_mu_certificate (expires);

CREATE TABLE pa_mu_version_rule (
    id                INTEGER PRIMARY KEY,
    app_id            INTEGER NOT NULL REFERENCES pa_mu_app (id) ON DELETE CASCADE,
    platform          TEXT    NOT NULL,
    major_os_version  INTEGER,
    suggested_version TEXT    NOT NULL,
    required_version  TEXT    NOT NULL,
    message_key       TEXT    NOT NULL
) STRICT;
-- One rule per app, platform and major OS version; -1 stands for the generic rule.
CREATE UNIQUE INDEX pa_mu_version_rule_scope_idx ON pa_mu_version_rule (app_id, platform, COALESCE(major_os_version, -1));

CREATE TABLE pa_mu_localized_text (
    message_key TEXT NOT NULL,
    language    TEXT NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (message_key, language)
) STRICT;

-- +goose Down
DROP TABLE pa_mu_localized_text;
DROP TABLE pa_mu_version_rule;
DROP TABLE pa_mu_certificate;
DROP TABLE pa_mu_domain;
DROP TABLE pa_mu_app;
