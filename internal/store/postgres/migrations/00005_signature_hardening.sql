-- Signature guessing, replay and downgrade protection (PostgreSQL).
-- Times are Unix milliseconds.

-- +goose Up
-- Per application: the lowest protocol version accepted (NULL: every
-- version, 3.0 up) and whether an activation may go below the highest
-- version it has spoken (false: the ratchet is on, the default).
ALTER TABLE pa_application ADD COLUMN min_protocol_version TEXT;
ALTER TABLE pa_application ADD COLUMN allow_version_downgrade BOOLEAN NOT NULL DEFAULT FALSE;
-- Per activation: the highest protocol version the device has spoken
-- (NULL: none seen yet), the digests of its recently accepted signatures,
-- and the possession-only failures of the current streak with the time of
-- the last one.
ALTER TABLE pa_activation ADD COLUMN max_protocol_version TEXT;
ALTER TABLE pa_activation ADD COLUMN signature_digests BYTEA;
ALTER TABLE pa_activation ADD COLUMN possession_failed_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pa_activation ADD COLUMN timestamp_possession_failure BIGINT;

-- +goose Down
ALTER TABLE pa_activation DROP COLUMN timestamp_possession_failure;
ALTER TABLE pa_activation DROP COLUMN possession_failed_attempts;
ALTER TABLE pa_activation DROP COLUMN signature_digests;
ALTER TABLE pa_activation DROP COLUMN max_protocol_version;
ALTER TABLE pa_application DROP COLUMN allow_version_downgrade;
ALTER TABLE pa_application DROP COLUMN min_protocol_version;
