-- Integration roles and application grants (SQLite). Integrations that
-- exist before this migration become ADMIN, so nobody is locked out. Their
-- client secrets are still sealed here; the server replaces each by a
-- keyed hash at start-up or on its first use (SQL cannot open them: the
-- server key is not in the database).

-- +goose Up
ALTER TABLE pa_integration ADD COLUMN role TEXT NOT NULL DEFAULT 'ADMIN' CHECK (role IN ('ADMIN', 'APPLICATION'));
CREATE TABLE pa_integration_application (
    integration_id TEXT    NOT NULL REFERENCES pa_integration (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL REFERENCES pa_application (id) ON DELETE CASCADE,
    PRIMARY KEY (integration_id, application_id)
) STRICT;
CREATE INDEX pa_integration_application_app_idx ON pa_integration_application (application_id);

-- +goose Down
DROP TABLE pa_integration_application;
ALTER TABLE pa_integration DROP COLUMN role;
