-- Device information parsed at the key exchange (postgres): the raw User-Agent
-- of the request and the typed fields mauth read from it and from the
-- activation's platform and deviceInfo attributes (internal/deviceinfo).
-- NULL: unknown (an activation made before this migration, or a format
-- that was not recognised).

-- +goose Up
ALTER TABLE pa_activation ADD COLUMN user_agent TEXT;
ALTER TABLE pa_activation ADD COLUMN device_manufacturer TEXT;
ALTER TABLE pa_activation ADD COLUMN device_model TEXT;
ALTER TABLE pa_activation ADD COLUMN device_os TEXT;
ALTER TABLE pa_activation ADD COLUMN device_os_version TEXT;
ALTER TABLE pa_activation ADD COLUMN device_os_major INTEGER;
ALTER TABLE pa_activation ADD COLUMN app_id TEXT;
ALTER TABLE pa_activation ADD COLUMN app_version TEXT;
ALTER TABLE pa_activation ADD COLUMN sdk_name TEXT;
ALTER TABLE pa_activation ADD COLUMN sdk_version TEXT;
-- Filtering by platform and OS version within an application.
CREATE INDEX pa_activation_device_os_idx ON pa_activation (application_id, platform, device_os_major, device_os_version);

-- +goose Down
DROP INDEX pa_activation_device_os_idx;
ALTER TABLE pa_activation DROP COLUMN sdk_version;
ALTER TABLE pa_activation DROP COLUMN sdk_name;
ALTER TABLE pa_activation DROP COLUMN app_version;
ALTER TABLE pa_activation DROP COLUMN app_id;
ALTER TABLE pa_activation DROP COLUMN device_os_major;
ALTER TABLE pa_activation DROP COLUMN device_os_version;
ALTER TABLE pa_activation DROP COLUMN device_os;
ALTER TABLE pa_activation DROP COLUMN device_model;
ALTER TABLE pa_activation DROP COLUMN device_manufacturer;
ALTER TABLE pa_activation DROP COLUMN user_agent;
