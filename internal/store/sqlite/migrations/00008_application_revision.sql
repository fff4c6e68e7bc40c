-- Application revision (sqlite): a stamp the store increments in the same
-- transaction as every change of an application, its versions, its roles,
-- its protocol settings or its configuration. Signature verification reads
-- it with the activation row (one statement) and uses its cached
-- application and version rows only while their stamp matches, so a change
-- made through one node applies on every node at the next request.

-- +goose Up
ALTER TABLE pa_application ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE pa_application DROP COLUMN revision;
