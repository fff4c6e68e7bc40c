package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// activationDataColumns are the pa_activation columns written from a
// domain.Activation, in the order of activationArgs; activation_id comes
// first and row_revision is managed by the store.
var activationDataColumns = []string{
	"activation_id", "application_id", "user_id", "activation_name", "activation_code",
	"activation_signature", "activation_status", "activation_otp", "activation_otp_validation",
	"commit_phase", "blocked_reason", "counter", "ctr_data", "device_public_key", "extras",
	"platform", "device_info", "flags", "external_id", "protocol", "failed_attempts",
	"max_failed_attempts", "server_private_key", "server_public_key", "master_keypair_id",
	"timestamp_created", "timestamp_activation_expire", "timestamp_last_used",
	"timestamp_last_change", "version", "max_protocol_version", "signature_digests",
	"possession_failed_attempts", "timestamp_possession_failure",
	"user_agent", "device_manufacturer", "device_model", "device_os", "device_os_version", "device_os_major",
	"app_id", "app_version", "sdk_name", "sdk_version",
}

var (
	activationColumns = strings.Join(activationDataColumns, ", ") + ", row_revision"

	insertActivationSQL = `INSERT INTO pa_activation (` + strings.Join(activationDataColumns, ", ") +
		`, row_revision) VALUES (` + placeholders(1, len(activationDataColumns)) + `, 0) ON CONFLICT DO NOTHING`

	// updateActivationSQL sets every column but the id ($1) and bumps the
	// revision; compareAndSwapActivationSQL also requires the old revision.
	updateActivationSQL = `UPDATE pa_activation SET ` + assignments(activationDataColumns[1:], 2) +
		`, row_revision = row_revision + 1 WHERE activation_id = $1`
	compareAndSwapActivationSQL = updateActivationSQL +
		fmt.Sprintf(` AND row_revision = $%d`, len(activationDataColumns)+1) + ` RETURNING row_revision`
	updateActivationReturningSQL = updateActivationSQL + ` RETURNING row_revision`
)

// activationArgs returns the values of activationDataColumns for a.
func activationArgs(a *domain.Activation) []any {
	return []any{
		a.ActivationID, a.ApplicationID, a.UserID, nullString(a.Name), nullString(a.ActivationCode),
		blob(a.ActivationSignature), int64(a.Status), nullString(a.OtpHash), int64(a.OtpValidation),
		int64(a.CommitPhase), nullString(a.BlockedReason), a.Counter, blob(a.CtrData), blob(a.DevicePublicKey), nullString(a.Extras),
		nullString(a.Platform), nullString(a.DeviceInfo), jsonStrings(a.Flags), nullString(a.ExternalID), string(a.Protocol), a.FailedAttempts,
		a.MaxFailedAttempts, blob(a.ServerPrivateKeyEncrypted), blob(a.ServerPublicKey), nullInt(a.MasterKeyPairID),
		millis(a.Created), millis(a.ActivationExpire), nullMillis(a.LastUsed),
		nullMillis(a.LastChange), int64(a.Version), nullString(a.MaxProtocolVersion), blob(a.SignatureDigests),
		a.PossessionFailedAttempts, nullMillis(a.PossessionLastFailure),
		nullString(a.UserAgent), nullString(a.Device.Manufacturer), nullString(a.Device.Model), nullString(a.Device.OS),
		nullString(a.Device.OSVersion), nullInt(int64(a.Device.OSMajor)),
		nullString(a.Device.AppID), nullString(a.Device.AppVersion), nullString(a.Device.SDKName), nullString(a.Device.SDKVersion),
	}
}

func scanActivation(s scanner) (domain.Activation, error) {
	var (
		a                                                                  domain.Activation
		name, code, otp, blocked, extras, platform, devInfo, extID, maxVer sql.NullString
		sig, ctr, devKey, srvPriv, srvPub, digests                         []byte
		status, otpVal, phase, version                                     int64
		flags, protocol                                                    string
		keyPair, lastUsed, lastChange, possFailure                         sql.NullInt64
		created, expire                                                    int64
		dev                                                                [9]sql.NullString
		osMajor                                                            sql.NullInt64
	)
	err := s.Scan(&a.ActivationID, &a.ApplicationID, &a.UserID, &name, &code,
		&sig, &status, &otp, &otpVal,
		&phase, &blocked, &a.Counter, &ctr, &devKey, &extras,
		&platform, &devInfo, &flags, &extID, &protocol, &a.FailedAttempts,
		&a.MaxFailedAttempts, &srvPriv, &srvPub, &keyPair,
		&created, &expire, &lastUsed,
		&lastChange, &version, &maxVer, &digests,
		&a.PossessionFailedAttempts, &possFailure,
		&dev[0], &dev[1], &dev[2], &dev[3], &dev[4], &osMajor,
		&dev[5], &dev[6], &dev[7], &dev[8], &a.Revision)
	if err != nil {
		return a, err
	}
	a.UserAgent = dev[0].String
	a.Device = domain.DeviceDetails{
		Manufacturer: dev[1].String, Model: dev[2].String, OS: dev[3].String, OSVersion: dev[4].String,
		OSMajor: int(osMajor.Int64), AppID: dev[5].String, AppVersion: dev[6].String, SDKName: dev[7].String, SDKVersion: dev[8].String,
	}
	a.MaxProtocolVersion, a.SignatureDigests = maxVer.String, fromBlob(digests)
	a.PossessionLastFailure = fromNullMillis(possFailure)
	a.Name, a.ActivationCode, a.OtpHash, a.BlockedReason = name.String, code.String, otp.String, blocked.String
	a.Extras, a.Platform, a.DeviceInfo, a.ExternalID = extras.String, platform.String, devInfo.String, extID.String
	a.ActivationSignature, a.CtrData, a.DevicePublicKey = fromBlob(sig), fromBlob(ctr), fromBlob(devKey)
	a.ServerPrivateKeyEncrypted, a.ServerPublicKey = fromBlob(srvPriv), fromBlob(srvPub)
	a.Status, a.OtpValidation, a.CommitPhase = domain.ActivationStatus(status), domain.OtpValidation(otpVal), domain.CommitPhase(phase)
	a.Protocol, a.MasterKeyPairID, a.Version = domain.ActivationProtocol(protocol), keyPair.Int64, int(version)
	a.Created, a.ActivationExpire = fromMillis(created), fromMillis(expire)
	a.LastUsed, a.LastChange = fromNullMillis(lastUsed), fromNullMillis(lastChange)
	a.Flags, err = fromJSONStrings(flags)
	return a, err
}

// liveStatuses are the states in which an activation code is in use.
var liveStatuses = []domain.ActivationStatus{domain.ActivationCreated, domain.ActivationPendingCommit}

func statusArg(s domain.ActivationStatus) any { return int64(s) }

// GetActivation implements store.Reader.
func (c *conn) GetActivation(ctx context.Context, activationID string) (domain.Activation, error) {
	return getOne(ctx, c, "get activation",
		`SELECT `+activationColumns+`, `+applicationRevisionColumn+` FROM pa_activation WHERE activation_id = $1`,
		stamped(scanActivation), activationID)
}

// applicationRevisionColumn reads the revision of the activation's
// application (domain.Activation.ApplicationRevision) in the statement that
// reads the activation row: one round trip, one snapshot.
const applicationRevisionColumn = `COALESCE((SELECT revision FROM pa_application WHERE pa_application.id = pa_activation.application_id), 0)`

// stampScanner scans the columns of a row followed by
// applicationRevisionColumn into stamp.
type stampScanner struct {
	s     scanner
	stamp *int64
}

// Scan implements scanner.
func (x stampScanner) Scan(dest ...any) error { return x.s.Scan(append(dest, x.stamp)...) }

// stamped turns a scanner of activation columns into one of the same
// columns followed by applicationRevisionColumn.
func stamped(scan func(scanner) (domain.Activation, error)) func(scanner) (domain.Activation, error) {
	return func(s scanner) (domain.Activation, error) {
		var stamp int64
		a, err := scan(stampScanner{s: s, stamp: &stamp})
		a.ApplicationRevision = stamp
		return a, err
	}
}

// signingStateColumns are the columns GetActivationSigningState reads.
const signingStateColumns = `activation_id, application_id, user_id, activation_status, blocked_reason, counter,
	ctr_data, device_public_key, flags, failed_attempts, max_failed_attempts, server_private_key, version,
	max_protocol_version, signature_digests, possession_failed_attempts, timestamp_possession_failure, row_revision`

// scanSigningState scans signingStateColumns.
func scanSigningState(s scanner) (domain.Activation, error) {
	var (
		a                             domain.Activation
		blocked, maxVer               sql.NullString
		ctr, devKey, srvPriv, digests []byte
		status, version               int64
		flags                         string
		possFailure                   sql.NullInt64
	)
	err := s.Scan(&a.ActivationID, &a.ApplicationID, &a.UserID, &status, &blocked, &a.Counter,
		&ctr, &devKey, &flags, &a.FailedAttempts, &a.MaxFailedAttempts, &srvPriv, &version,
		&maxVer, &digests, &a.PossessionFailedAttempts, &possFailure, &a.Revision)
	if err != nil {
		return a, err
	}
	a.MaxProtocolVersion, a.SignatureDigests = maxVer.String, fromBlob(digests)
	a.PossessionLastFailure = fromNullMillis(possFailure)
	a.Status, a.BlockedReason, a.Version = domain.ActivationStatus(status), blocked.String, int(version)
	a.CtrData, a.DevicePublicKey, a.ServerPrivateKeyEncrypted = fromBlob(ctr), fromBlob(devKey), fromBlob(srvPriv)
	a.Flags, err = fromJSONStrings(flags)
	return a, err
}

// GetActivationSigningState implements store.Reader.
func (c *conn) GetActivationSigningState(ctx context.Context, activationID string) (domain.Activation, error) {
	return getOne(ctx, c, "get activation signing state",
		`SELECT `+signingStateColumns+`, `+applicationRevisionColumn+` FROM pa_activation WHERE activation_id = $1`,
		stamped(scanSigningState), activationID)
}

// GetActivationForUpdate implements store.Tx.
func (c *conn) GetActivationForUpdate(ctx context.Context, activationID string) (domain.Activation, error) {
	return getOne(ctx, c, "get activation for update",
		`SELECT `+activationColumns+`, `+applicationRevisionColumn+` FROM pa_activation WHERE activation_id = $1`+c.d.ForUpdate,
		stamped(scanActivation), activationID)
}

// GetActivationByCode implements store.Reader.
func (c *conn) GetActivationByCode(ctx context.Context, activationCode string) (domain.Activation, error) {
	return getOne(ctx, c, "get activation by code",
		`SELECT `+activationColumns+` FROM pa_activation
		 WHERE activation_code = $1 AND activation_status IN ($2, $3)`,
		scanActivation, activationCode, int64(domain.ActivationCreated), int64(domain.ActivationPendingCommit))
}

// ListActivations implements store.Reader.
func (c *conn) ListActivations(ctx context.Context, f store.ActivationListFilter) ([]domain.Activation, error) {
	var a args
	q := `SELECT ` + activationColumns + ` FROM pa_activation WHERE user_id = ` + a.add(f.UserID)
	if f.ApplicationID != 0 {
		q += ` AND application_id = ` + a.add(f.ApplicationID)
	}
	if len(f.Statuses) > 0 {
		q += ` AND activation_status IN ` + in(&a, f.Statuses, statusArg)
	}
	if len(f.Protocols) > 0 {
		q += ` AND protocol IN ` + in(&a, f.Protocols, func(p domain.ActivationProtocol) any { return string(p) })
	}
	for _, w := range deviceWhere(&a, f.Device) {
		q += ` AND ` + w
	}
	q += ` ORDER BY timestamp_created DESC, activation_id DESC` + limitOffset(&a, f.Limit, f.Offset)
	return listDynamic(ctx, c, "list activations", q, scanActivation, a...)
}

// LookupActivations implements store.Reader. Flags are matched after the
// query (they are stored as a JSON list), so the limit is applied in Go
// when flags are given.
func (c *conn) LookupActivations(ctx context.Context, f store.ActivationLookup) ([]domain.Activation, error) {
	var a args
	var where []string
	if len(f.UserIDs) > 0 {
		where = append(where, `user_id IN `+in(&a, f.UserIDs, func(s string) any { return s }))
	}
	if len(f.ApplicationIDs) > 0 {
		where = append(where, `application_id IN `+in(&a, f.ApplicationIDs, func(id int64) any { return id }))
	}
	if !f.LastUsedAfter.IsZero() {
		where = append(where, `timestamp_last_used >= `+a.add(millis(f.LastUsedAfter)))
	}
	if !f.LastUsedBefore.IsZero() {
		where = append(where, `timestamp_last_used < `+a.add(millis(f.LastUsedBefore)))
	}
	if len(f.Statuses) > 0 {
		where = append(where, `activation_status IN `+in(&a, f.Statuses, statusArg))
	}
	where = append(where, deviceWhere(&a, f.Device)...)
	q := `SELECT ` + activationColumns + ` FROM pa_activation`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY timestamp_created DESC, activation_id DESC`
	if len(f.Flags) == 0 {
		q += limitOffset(&a, f.Limit, 0)
	}
	found, err := listDynamic(ctx, c, "lookup activations", q, scanActivation, a...)
	if err != nil || len(f.Flags) == 0 {
		return found, err
	}
	var out []domain.Activation
	for _, act := range found {
		if slices.ContainsFunc(act.Flags, func(fl string) bool { return slices.Contains(f.Flags, fl) }) {
			out = append(out, act)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

// ListExpiredActivationsForUpdate implements store.Tx.
func (c *conn) ListExpiredActivationsForUpdate(ctx context.Context, now time.Time, limit int) ([]domain.Activation, error) {
	var a args
	q := `SELECT ` + activationColumns + ` FROM pa_activation
	      WHERE activation_status IN ` + in(&a, liveStatuses, statusArg) + `
	      AND timestamp_activation_expire < ` + a.add(millis(now)) + `
	      ORDER BY timestamp_activation_expire, activation_id` + limitOffset(&a, limit, 0) + c.d.ForUpdateSkipLocked
	return listDynamic(ctx, c, "list expired activations", q, scanActivation, a...)
}

// CreateActivation implements store.Tx.
func (c *conn) CreateActivation(ctx context.Context, a *domain.Activation) error {
	if err := c.insertOne(ctx, "create activation", insertActivationSQL, activationArgs(a)...); err != nil {
		return err
	}
	a.Revision = 0
	return nil
}

// UpdateActivation implements store.Tx.
func (c *conn) UpdateActivation(ctx context.Context, a *domain.Activation) error {
	rev, err := c.updateActivation(ctx, "update activation", updateActivationReturningSQL, activationArgs(a))
	if err != nil {
		return err
	}
	if rev < 0 {
		return fmt.Errorf("update activation: %w", store.ErrNotFound)
	}
	a.Revision = rev
	return nil
}

// CompareAndSwapActivation implements store.Tx.
func (c *conn) CompareAndSwapActivation(ctx context.Context, a *domain.Activation) error {
	rev, err := c.updateActivation(ctx, "compare and swap activation", compareAndSwapActivationSQL,
		append(activationArgs(a), a.Revision))
	if err != nil {
		return err
	}
	if rev >= 0 {
		a.Revision = rev
		return nil
	}
	// Nothing matched: tell a missing row from a changed one.
	var one int
	err = c.queryRow(ctx, `SELECT 1 FROM pa_activation WHERE activation_id = $1`, a.ActivationID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("compare and swap activation: %w", store.ErrNotFound)
	}
	if err != nil {
		return c.d.wrap("compare and swap activation", err)
	}
	return fmt.Errorf("compare and swap activation: revision %d is stale: %w", a.Revision, store.ErrConflict)
}

// updateActivation runs an activation UPDATE … RETURNING row_revision and
// returns the new revision, or -1 when no row matched.
func (c *conn) updateActivation(ctx context.Context, op, query string, args []any) (int64, error) {
	var rev int64
	err := c.queryRow(ctx, query, args...).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	if err != nil {
		return 0, c.d.wrap(op, err)
	}
	return rev, nil
}

// DeleteActivation implements store.Tx.
func (c *conn) DeleteActivation(ctx context.Context, activationID string) error {
	return c.execOne(ctx, "delete activation", `DELETE FROM pa_activation WHERE activation_id = $1`, activationID)
}

// deviceWhere returns the conditions of a device filter.
func deviceWhere(a *args, f store.DeviceFilter) []string {
	var where []string
	if len(f.Platforms) > 0 {
		where = append(where, `platform IN `+in(a, f.Platforms, func(s string) any { return s }))
	}
	if f.OSMajor != 0 {
		where = append(where, `device_os_major = `+a.add(int64(f.OSMajor)))
	}
	if f.OSVersionPrefix != "" {
		escaped := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.OSVersionPrefix)
		where = append(where, `(device_os_version = `+a.add(f.OSVersionPrefix)+
			` OR device_os_version LIKE `+a.add(escaped+".%")+` ESCAPE '\')`)
	}
	return where
}
