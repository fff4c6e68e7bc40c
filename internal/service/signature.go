package service

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// Notes written to the signature audit log, one per outcome. They are the
// values the PowerAuth protocol servers use, so audit consumers can filter
// on them.
const (
	auditNoteSignatureOK         = "signature_ok"
	auditNoteSignatureMismatch   = "signature_does_not_match"
	auditNoteInvalidState        = "activation_invalid_state"
	auditNoteInvalidStateBlocked = "activation_invalid_state_ctr_mismatch"
	auditNoteInvalidApplication  = "activation_invalid_application"
)

// Keys of SignatureAudit.AdditionalInfo set by signature verification.
const (
	// AuditInfoBlockedReason is set when the attempt blocked the activation.
	AuditInfoBlockedReason = "BLOCKED_REASON"
	// AuditInfoBiometryAllowed is "TRUE" on a failed offline attempt that
	// also tried possession_biometry.
	AuditInfoBiometryAllowed = "BIOMETRY_ALLOWED"
)

// VerifySignatureInput is one online multi-factor signature (the
// X-PowerAuth-Authorization header of a device request) to verify.
type VerifySignatureInput struct {
	// ActivationID is pa_activation_id.
	ActivationID string
	// ApplicationKey is pa_application_key; its version supplies the
	// application secret and must be supported and belong to the
	// activation's application.
	ApplicationKey string
	// Data is the normalized request data WITHOUT the application secret:
	// METHOD "&" B64(uriId) "&" NONCE_B64 "&" B64(body), see
	// protocol.RequestData. The service appends "&" + applicationSecret.
	Data string
	// Signature is pa_signature as sent (DECIMAL or BASE64 text).
	Signature string
	// SignatureType is pa_signature_type.
	SignatureType protocol.SignatureType
	// SignatureVersion is pa_version ("3.0" … "3.3"); it selects the
	// signature format (DECIMAL for 3.0, BASE64 from 3.1).
	SignatureVersion string
	// ForcedSignatureVersion is 3 while a version-2 activation commits its
	// upgrade (the client already signs with the hash-based counter); 0
	// otherwise. Other values are ignored.
	ForcedSignatureVersion int
	// AdditionalInfo is copied into the signature audit record.
	AdditionalInfo map[string]string
}

// VerifySignatureResult is the outcome of a signature verification. When
// the activation does not exist, is not ACTIVE or the application key is
// not acceptable, only SignatureValid (false), ActivationID and
// ActivationStatus are set (REMOVED for an unknown activation) and
// RemainingAttempts is nil.
type VerifySignatureResult struct {
	// SignatureValid tells whether the signature matched.
	SignatureValid bool
	// ActivationID echoes the activation.
	ActivationID string
	// ActivationStatus is the status after the attempt (BLOCKED when this
	// attempt used up the last allowed failure).
	ActivationStatus domain.ActivationStatus
	// BlockedReason is the activation's blocked reason on a failure; empty
	// on success.
	BlockedReason string
	// UserID is the user of the activation.
	UserID string
	// ApplicationID is the application's name (the API's applicationId).
	ApplicationID string
	// SignatureType is the factor combination that matched, or on a failure
	// the first one tried.
	SignatureType protocol.SignatureType
	// RemainingAttempts is how many failed non-possession attempts are left
	// before the activation gets BLOCKED.
	RemainingAttempts *int64
	// ApplicationRoles are the roles of the activation's application.
	ApplicationRoles []string
	// ActivationFlags are the flags of the activation.
	ActivationFlags []string
}

// signatureAttempt is everything the shared verification needs about one
// submitted signature, online or offline.
type signatureAttempt struct {
	// data holds the candidate normalized data (with the application secret
	// or "offline" appended); more than one with proximity-check TOTPs.
	data [][]byte
	// signature is the value as received.
	signature string
	// types are tried in order; on a failure the first one is reported.
	types []protocol.SignatureType
	// format and decimalLength define how the signature is rendered.
	format        protocol.SignatureFormat
	decimalLength int
	// signatureVersion is recorded in the audit log ("" offline).
	signatureVersion string
	// forcedVersion is ForcedSignatureVersion of an online request.
	forcedVersion int
	// additionalInfo is recorded in the audit log; verification adds keys.
	additionalInfo map[string]string
	// preKeys, when set, are keys derived before the row was locked; they
	// are used only if the locked activation still has the same keys.
	preKeys *derivedKeys
	// appName is the activation's application name for the general audit
	// log; empty: it is read in the transaction.
	appName string
	// digest identifies the submitted signature in the activation's ring
	// of accepted signatures (signatureDigest); nil: not tracked.
	digest []byte
}

// derivedKeys are an activation's factor keys together with the stored key
// material they were derived from, and the application rows the
// verification needs, all obtained before the transaction without locks
// (possibly from the node's caches, see preDeriveKeys).
type derivedKeys struct {
	serverKeyEncrypted []byte
	devicePublicKey    []byte
	keys               *protocol.ActivationKeys
	// activation is the activation as read without a lock when the keys
	// were not cached (nil otherwise), for the optimistic path.
	activation *domain.Activation
	// app is the activation's application (nil: not read).
	app *domain.Application
	// version is the version of the request's application key when it
	// was found, supported and of the activation's application (nil
	// otherwise: the transaction reads it itself).
	version *domain.ApplicationVersion
	// versionStamp is the application revision version was read at (or
	// after).
	versionStamp int64
}

// applicationFor returns the pre-read application when it is the one of a
// (an activation never changes application) at the revision read with a,
// nil otherwise.
func (k *derivedKeys) applicationFor(a domain.Activation) *domain.Application {
	if k == nil || k.app == nil || k.app.ID != a.ApplicationID || k.app.Revision != a.ApplicationRevision {
		return nil
	}
	return k.app
}

// versionFor returns the pre-read application version of applicationKey
// when it was supported and belongs to a's application at the revision
// read with a, nil otherwise.
func (k *derivedKeys) versionFor(a domain.Activation, applicationKey string) *domain.ApplicationVersion {
	if k == nil || k.version == nil || k.version.ApplicationKey != applicationKey ||
		!k.version.Supported || k.version.ApplicationID != a.ApplicationID || k.versionStamp != a.ApplicationRevision {
		return nil
	}
	return k.version
}

// outdated reports whether the pre-read application rows are older than
// the application revision read with a (changed through another node
// since they were cached).
func (k *derivedKeys) outdated(a domain.Activation) bool {
	if k == nil || a.ActivationID == "" {
		return false
	}
	return (k.app != nil && k.app.Revision < a.ApplicationRevision) ||
		(k.version != nil && k.versionStamp < a.ApplicationRevision)
}

// keysFor returns the pre-derived keys when a still holds the key material
// they were derived from, nil otherwise.
func (k *derivedKeys) keysFor(a domain.Activation) *protocol.ActivationKeys {
	if k == nil || len(k.serverKeyEncrypted) == 0 ||
		!bytes.Equal(k.serverKeyEncrypted, a.ServerPrivateKeyEncrypted) || !bytes.Equal(k.devicePublicKey, a.DevicePublicKey) {
		return nil
	}
	return k.keys
}

// preDeriveKeys gets the activation's keys (ECDH and KDF, the expensive
// part of a verification) before the write transaction, so that the
// transaction, which serialises requests on the activation row (and on
// SQLite's single writer), does not wait for them. It also reads the
// activation's application and the version of applicationKey (when not
// empty), so that the write transaction reads only the locked activation
// row. Any failure returns nil or leaves a part unset: the transaction then
// derives the keys or reads the rows itself and reports errors.
//
// The keys come from the node's key cache (Config.KeyCacheSize) when it
// holds the activation: then neither the activation is read nor the keys
// derived. Otherwise the activation is read without locking it, and when
// it is ACTIVE its keys are derived and cached. Cached keys are safe to use
// for as long as the activation holds the key material they were derived
// from, which keysFor checks against the locked row: an activation whose
// keys changed or which was removed (on this node or any other) is never
// verified with stale keys.
//
// The application and version rows come from the node's row cache
// (Config.ApplicationCacheTTL) when they were read there less than the TTL
// ago, each with the application revision it was read at. They are used
// only when that stamp equals the application revision read with the
// activation (applicationFor, versionFor): a change of the application, a
// version, the roles, the protocol settings or the configuration, made
// through any node, increments the revision in its transaction, so every
// verification that reads the activation after the change commits decides
// on rows read after it (the transaction reads them itself when the stamps
// differ, and the node empties its stale cache). A verification whose
// activation was read just before the change committed is decided as if it
// had completed before the change. Rejections (unknown, unsupported or
// foreign keys) are always decided on rows read inside the transaction:
// versionFor takes a pre-read version only when it is supported and
// belongs to the locked activation's application.
func (s *Service) preDeriveKeys(ctx context.Context, activationID, applicationKey string) *derivedKeys {
	// Autocommit reads (no BEGIN/COMMIT round trips): the rows need not
	// come from one snapshot, as each is checked against the locked
	// activation before it is used.
	var r store.Reader = s.store
	var k *derivedKeys
	var appID int64
	if e, ok := s.keyCache.get(activationID); ok {
		k = &derivedKeys{serverKeyEncrypted: e.serverKeyEncrypted, devicePublicKey: e.devicePublicKey, keys: e.keys}
		appID = e.applicationID
	} else {
		a, err := r.GetActivation(ctx, activationID)
		if err != nil || a.Status != domain.ActivationActive || len(a.ServerPrivateKeyEncrypted) == 0 {
			return nil
		}
		keys, err := s.activationKeys(a)
		if err != nil {
			return nil
		}
		k = &derivedKeys{serverKeyEncrypted: a.ServerPrivateKeyEncrypted, devicePublicKey: a.DevicePublicKey, keys: keys, activation: &a}
		appID = a.ApplicationID
		if app, _, ok := s.rowCache.application(appID, s.now()); ok && app.Revision < a.ApplicationRevision {
			s.applicationsChanged() // changed through another node
		}
		s.keyCache.put(cachedKeys{
			activationID: activationID, applicationID: appID,
			serverKeyEncrypted: a.ServerPrivateKeyEncrypted, devicePublicKey: a.DevicePublicKey, keys: keys,
		})
	}
	app, ok := s.preReadApplication(ctx, r, appID)
	if !ok {
		return k
	}
	k.app = &app
	if applicationKey != "" {
		if v, ok := s.preReadVersion(ctx, r, applicationKey, app); ok && v.v.Supported && v.v.ApplicationID == appID {
			k.version, k.versionStamp = &v.v, v.stamp
		}
	}
	return k
}

// signatureMatch is the result of the counter look-ahead.
type signatureMatch struct {
	valid bool
	// data is the candidate that matched (or the last one tried).
	data []byte
	// typ is the matching type (or the first one tried).
	typ protocol.SignatureType
	// counter and ctrData are the values to store after a match.
	counter int64
	ctrData []byte
	// cryptoVersion is the signature's crypto version (2 or 3).
	cryptoVersion int
}

// signatureVerdict is what the audit records of one attempt: the data and
// type evaluated (or tried), whether the signature was valid, its crypto
// version and the audit note.
type signatureVerdict struct {
	data          []byte
	typ           protocol.SignatureType
	valid         bool
	cryptoVersion int
	note          string
}

// verdict is the audit verdict of an evaluated signature.
func (m signatureMatch) verdict(note string) signatureVerdict {
	return signatureVerdict{data: m.data, typ: m.typ, valid: m.valid, cryptoVersion: m.cryptoVersion, note: note}
}

// unevaluated is the audit verdict of an attempt refused before its
// signature was evaluated: invalid, with the first candidate data and type
// and the activation's version.
func unevaluated(a domain.Activation, at signatureAttempt, note string) signatureVerdict {
	return signatureVerdict{data: at.data[0], typ: at.types[0], cryptoVersion: a.Version, note: note}
}

// ParseSignatureTypeName converts a wire name such as
// "POSSESSION_KNOWLEDGE" to a protocol signature type. The match is exact
// (upper case), as the reference server's enum parsing is.
func ParseSignatureTypeName(name string) (protocol.SignatureType, error) {
	if name != strings.ToUpper(name) {
		return "", fmt.Errorf("unknown signature type %q", name)
	}
	return protocol.ParseSignatureType(strings.ToLower(name))
}

// SignatureTypeName returns the wire name of a signature type, e.g.
// "POSSESSION_KNOWLEDGE"; empty for an empty type.
func SignatureTypeName(t protocol.SignatureType) string { return strings.ToUpper(string(t)) }

// validate checks the input fields that do not need the database.
func (in VerifySignatureInput) validate() error {
	var missing []string
	if in.ActivationID == "" {
		missing = append(missing, "activationId")
	}
	if in.ApplicationKey == "" {
		missing = append(missing, "applicationKey")
	}
	if in.Data == "" {
		missing = append(missing, "data")
	}
	if in.Signature == "" {
		missing = append(missing, "signature")
	}
	if in.SignatureType == "" {
		missing = append(missing, "signatureType")
	}
	if in.SignatureVersion == "" {
		missing = append(missing, "signatureVersion")
	}
	if len(missing) > 0 {
		return Errorf(CodeInvalidRequest, "%s - must not be blank", strings.Join(missing, ", "))
	}
	if _, err := protocol.ParseSignatureType(string(in.SignatureType)); err != nil {
		return Errorf(CodeInvalidRequest, "signatureType - unknown signature type")
	}
	if !protocol.ValidVersion(in.SignatureVersion) {
		return Errorf(CodeInvalidRequest, "signatureVersion - must be one of 3.0, 3.1, 3.2, 3.3")
	}
	return nil
}

// VerifySignature verifies an online multi-factor signature and updates the
// activation's counters, failed attempts and status accordingly, all in one
// transaction with the activation row locked (so concurrent submissions of
// the same signature accept exactly one). Every attempt is written to the
// signature audit log. An exact copy of a recently accepted signature, and
// an attempt refused without evaluation (a protocol version the
// application or the activation does not allow, a possession-only attempt
// during the possession back-off when it is DECIMAL; see
// signature_guard.go), is invalid
// without counting a failure. An unknown activation is not an error: the
// result is invalid with status REMOVED. Errors are invalid input and
// internal failures only.
func (s *Service) VerifySignature(ctx context.Context, in VerifySignatureInput) (VerifySignatureResult, error) {
	if err := in.validate(); err != nil {
		return VerifySignatureResult{}, err
	}
	pre := s.preDeriveKeys(ctx, in.ActivationID, in.ApplicationKey)
	if res, ok, err := s.verifyOptimistic(ctx, in, pre); err != nil || ok {
		return res, err
	}
	var res VerifySignatureResult
	var locked domain.Activation
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		res, locked, err = s.verifySignatureTxKeys(ctx, tx, in, pre)
		return err
	})
	if err != nil {
		return VerifySignatureResult{}, err
	}
	if pre.outdated(locked) {
		// The application changed (possibly through another node) since
		// its rows were cached: the next verifications read them again.
		s.applicationsChanged()
	}
	if pre != nil && (locked.ActivationID == "" || locked.Status == domain.ActivationRemoved || pre.keysFor(locked) == nil) {
		// The activation is gone or its keys changed (possibly through
		// another node): its cached keys are of no further use.
		s.forgetActivationKeys(in.ActivationID)
	}
	return res, nil
}

// verifyOptimistic is the fast path of VerifySignature for the common case,
// a valid signature of an ACTIVE activation with keys and application rows
// at hand: it reads the activation without a lock, verifies the signature,
// and writes the new counter together with the audit rows in one atomic
// compare-and-swap on the activation's revision (one statement on
// PostgreSQL, without BEGIN and COMMIT). The swap succeeds only if the
// activation did not change since it was read, so the result is exactly
// what the locked path would have decided; ok is false (nothing written)
// whenever the fast path does not apply — a signature that does not
// match, an activation in another state or with attempts to count, an
// attempt to refuse (refusal), a concurrent change — and VerifySignature
// then runs the locked path, which decides, audits and counts under the
// row lock.
func (s *Service) verifyOptimistic(ctx context.Context, in VerifySignatureInput, pre *derivedKeys) (VerifySignatureResult, bool, error) {
	if pre == nil || pre.app == nil || pre.version == nil || in.ForcedSignatureVersion != 0 {
		return VerifySignatureResult{}, false, nil
	}
	var a domain.Activation
	if pre.activation != nil {
		a = *pre.activation // just read by preDeriveKeys
	} else {
		var err error
		if a, err = s.store.GetActivationSigningState(ctx, in.ActivationID); err != nil {
			return VerifySignatureResult{}, false, nil
		}
	}
	if a.Status != domain.ActivationActive || a.FailedAttempts >= a.MaxFailedAttempts || pre.keysFor(a) == nil {
		return VerifySignatureResult{}, false, nil
	}
	app, v := pre.applicationFor(a), pre.versionFor(a, in.ApplicationKey)
	if app == nil || v == nil {
		return VerifySignatureResult{}, false, nil
	}
	now := s.Now()
	at := onlineAttempt(in, pre, app.Name)
	if s.refusal(a, *app, at, now) != "" {
		return VerifySignatureResult{}, false, nil // refused and audited under the lock
	}
	at.data = [][]byte{protocol.SignatureData(in.Data, v.ApplicationSecret)}
	m, err := s.matchSignature(a, at, s.cfg.SignatureLookAhead)
	if err != nil || !m.valid {
		return VerifySignatureResult{}, false, nil
	}
	before := a // the audit records the counter the signature was checked against
	acceptMatch(&a, at, m, now)
	rec, entry, err := s.signatureAuditRecords(ctx, nil, before, at, m.verdict(auditNoteSignatureOK), now)
	if err != nil {
		return VerifySignatureResult{}, false, err
	}
	swapped, err := s.store.SwapActivationWithSignatureAudit(ctx, &a, &rec, &entry)
	if err != nil {
		return VerifySignatureResult{}, false, fmt.Errorf("record signature: %w", err)
	}
	if !swapped {
		return VerifySignatureResult{}, false, nil
	}
	return signatureResult(a, *app, true, m.typ), true, nil
}

// onlineAttempt is the attempt of an online signature request, without its
// candidate data (which needs the application secret).
func onlineAttempt(in VerifySignatureInput, pre *derivedKeys, appName string) signatureAttempt {
	return signatureAttempt{
		signature:        in.Signature,
		types:            []protocol.SignatureType{in.SignatureType},
		format:           protocol.SignatureFormatForVersion(in.SignatureVersion),
		decimalLength:    protocol.OnlineDecimalLength,
		signatureVersion: in.SignatureVersion,
		forcedVersion:    in.ForcedSignatureVersion,
		additionalInfo:   cloneInfo(in.AdditionalInfo), // may be retried: never mutate the input
		preKeys:          pre,
		appName:          appName,
		digest:           signatureDigest("online", in.ApplicationKey, in.Data, string(in.SignatureType), in.Signature),
	}
}

// applyMatch moves a to the state after the valid signature m: the matched
// counter (and hash counter for crypto version 3), failures reset unless
// only possession was proven, and the time of use.
func applyMatch(a *domain.Activation, m signatureMatch, now time.Time) {
	a.Counter = m.counter
	if m.cryptoVersion == 3 {
		a.CtrData = m.ctrData
	}
	if countsAsFailure(m.typ) {
		a.FailedAttempts = 0
	}
	a.LastUsed = now
}

// verifySignatureTx is VerifySignature inside a caller's transaction, for
// flows that act on a valid signature atomically (vault unlock). It locks
// the activation and returns it as stored after the attempt (zero when the
// activation does not exist). in must have been validated.
func (s *Service) verifySignatureTx(ctx context.Context, tx store.Tx, in VerifySignatureInput) (VerifySignatureResult, domain.Activation, error) {
	return s.verifySignatureTxKeys(ctx, tx, in, nil)
}

// verifySignatureTxKeys is verifySignatureTx with keys derived before the
// transaction (nil: derive them under the lock).
func (s *Service) verifySignatureTxKeys(ctx context.Context, tx store.Tx, in VerifySignatureInput, pre *derivedKeys) (VerifySignatureResult, domain.Activation, error) {
	a, err := tx.GetActivationForUpdate(ctx, in.ActivationID)
	if errors.Is(err, store.ErrNotFound) {
		return VerifySignatureResult{ActivationID: in.ActivationID, ActivationStatus: domain.ActivationRemoved}, domain.Activation{}, nil
	}
	if err != nil {
		return VerifySignatureResult{}, a, fmt.Errorf("lock activation: %w", err)
	}
	now := s.Now() // read under the lock: attempts on one activation are timestamped in order
	var app domain.Application
	if p := pre.applicationFor(a); p != nil {
		app = *p
	} else if app, err = tx.GetApplication(ctx, a.ApplicationID); err != nil {
		return VerifySignatureResult{}, a, fmt.Errorf("load application: %w", err)
	}
	at := onlineAttempt(in, pre, app.Name)
	var v domain.ApplicationVersion
	if p := pre.versionFor(a, in.ApplicationKey); p != nil {
		v = *p // read just before the transaction: see preDeriveKeys
	} else {
		v, err = tx.GetApplicationVersionByKey(ctx, in.ApplicationKey)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return VerifySignatureResult{}, a, fmt.Errorf("load application version: %w", err)
		}
	}
	if err != nil || !v.Supported || v.ApplicationID != a.ApplicationID {
		// The audit keeps what was signed, with the key in place of the
		// unknown secret.
		at.data = [][]byte{protocol.SignatureData(in.Data, in.ApplicationKey)}
		if err := s.rejectApplicationVersion(ctx, tx, &a, at, now); err != nil {
			return VerifySignatureResult{}, a, err
		}
		return invalidStateResult(a), a, nil
	}
	at.data = [][]byte{protocol.SignatureData(in.Data, v.ApplicationSecret)}
	res, err := s.verifyAttempt(ctx, tx, &a, app, at, now)
	return res, a, err
}

// rejectApplicationVersion handles a signature made with an unknown,
// unsupported or foreign application key: it is invalid, and for an ACTIVE
// activation a non-possession attempt counts as a failure (and may block).
// Activations in other states keep their counters: a REMOVED activation
// must never become BLOCKED.
func (s *Service) rejectApplicationVersion(ctx context.Context, tx store.Tx, a *domain.Activation, at signatureAttempt, now time.Time) error {
	prevStatus := a.Status
	a.LastUsed = now
	if a.Status == domain.ActivationActive && countsAsFailure(at.types[0]) {
		a.FailedAttempts++
		if a.MaxFailedAttempts-a.FailedAttempts <= 0 {
			blockForFailures(a, at)
		}
	}
	if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
		return err
	}
	return s.writeSignatureAudit(ctx, tx, *a, at, unevaluated(*a, at, auditNoteInvalidApplication), now)
}

// verifyAttempt is the shared part of online and offline verification; a
// is locked by the caller and updated in place. In order: an activation
// that cannot sign, an attempt refused without evaluation (refusal), a
// valid signature (acceptMatch), an exact replay of an accepted one (not
// counted), and a failure (counted in the failed attempts, or for a
// DECIMAL possession-only signature in the possession streak; a BASE64
// possession-only failure counts nothing, as in the reference server).
func (s *Service) verifyAttempt(ctx context.Context, tx store.Tx, a *domain.Activation, app domain.Application, at signatureAttempt, now time.Time) (VerifySignatureResult, error) {
	prevStatus := a.Status
	if a.Status != domain.ActivationActive {
		// Invalid; counters and status stay as they are.
		a.LastUsed = now
		if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
			return VerifySignatureResult{}, err
		}
		if err := s.writeSignatureAudit(ctx, tx, *a, at, unevaluated(*a, at, auditNoteInvalidState), now); err != nil {
			return VerifySignatureResult{}, err
		}
		return invalidStateResult(*a), nil
	}
	if a.FailedAttempts >= a.MaxFailedAttempts {
		// ACTIVE with no attempts left should not happen; enforce the block.
		a.LastUsed = now
		blockForFailures(a, at)
		if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
			return VerifySignatureResult{}, err
		}
		if err := s.writeSignatureAudit(ctx, tx, *a, at, unevaluated(*a, at, auditNoteInvalidStateBlocked), now); err != nil {
			return VerifySignatureResult{}, err
		}
		return invalidStateResult(*a), nil
	}

	if note := s.refusal(*a, app, at, now); note != "" {
		// Refused without evaluating the signature: nothing is counted.
		a.LastUsed = now
		if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
			return VerifySignatureResult{}, err
		}
		if err := s.writeSignatureAudit(ctx, tx, *a, at, unevaluated(*a, at, note), now); err != nil {
			return VerifySignatureResult{}, err
		}
		return signatureResult(*a, app, false, at.types[0]), nil
	}

	m, err := s.matchSignature(*a, at, s.cfg.SignatureLookAhead)
	if err != nil {
		return VerifySignatureResult{}, err
	}
	if m.valid {
		before := *a // the audit records the counter the signature was checked against
		acceptMatch(a, at, m, now)
		if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
			return VerifySignatureResult{}, err
		}
		if err := s.writeSignatureAudit(ctx, tx, before, at, m.verdict(auditNoteSignatureOK), now); err != nil {
			return VerifySignatureResult{}, err
		}
		return signatureResult(*a, app, true, m.typ), nil
	}

	if at.digest != nil && ringContains(a.SignatureDigests, at.digest) {
		// An exact copy of an accepted signature (a retry or a replay):
		// refused, but it is no guess and counts nothing.
		a.LastUsed = now
		if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
			return VerifySignatureResult{}, err
		}
		if err := s.writeSignatureAudit(ctx, tx, *a, at, m.verdict(auditNoteSignatureReplay), now); err != nil {
			return VerifySignatureResult{}, err
		}
		return signatureResult(*a, app, false, m.typ), nil
	}
	if countsAsFailure(m.typ) {
		a.FailedAttempts++
	} else if guessablePossession(at) {
		s.cfg.countPossessionFailure(a, now)
	}
	a.LastUsed = now
	if len(at.types) > 1 && slices.Contains(at.types, protocol.SignaturePossessionBiometry) {
		at.additionalInfo[AuditInfoBiometryAllowed] = "TRUE"
	}
	if a.MaxFailedAttempts-a.FailedAttempts <= 0 {
		blockForFailures(a, at)
	}
	if err := s.saveActivation(ctx, tx, a, prevStatus); err != nil {
		return VerifySignatureResult{}, err
	}
	if err := s.writeSignatureAudit(ctx, tx, *a, at, m.verdict(auditNoteSignatureMismatch), now); err != nil {
		return VerifySignatureResult{}, err
	}
	return signatureResult(*a, app, false, m.typ), nil
}

// matchSignature runs the counter look-ahead: for every counter value from
// the stored one on, every candidate data and type is tried; the lowest
// matching counter wins (then the first data, then the first type).
func (s *Service) matchSignature(a domain.Activation, at signatureAttempt, lookAhead int) (signatureMatch, error) {
	version := a.Version
	if version != 2 && version != 3 {
		return signatureMatch{}, Errorf(CodeActivationIncorrectState, "Activation has an unsupported version.")
	}
	if version == 2 && at.forcedVersion == 3 && len(a.CtrData) > 0 {
		// Upgrade commit: the client already signs with the hash-based counter.
		version = 3
	}
	keys := at.preKeys.keysFor(a)
	if keys == nil {
		var err error
		if keys, err = s.activationKeys(a); err != nil {
			return signatureMatch{}, err
		}
	}
	m := signatureMatch{typ: at.types[0], data: at.data[len(at.data)-1], cryptoVersion: version}
	best := -1
	for _, data := range at.data {
		for _, t := range at.types {
			step, next, err := lookAheadMatch(keys, t, a, version, data, at, lookAhead)
			if err != nil {
				return signatureMatch{}, Wrap(CodeUnableToComputeSignature, "Unable to compute signature.", err)
			}
			if step >= 0 && (best < 0 || step < best) {
				best = step
				m = signatureMatch{valid: true, data: data, typ: t, counter: a.Counter + int64(step) + 1, ctrData: next, cryptoVersion: version}
			}
		}
	}
	return m, nil
}

// lookAheadMatch tries one data and type over the look-ahead window and
// returns the matching step (-1 when none) and, for version 3, the
// hash-based counter to store next.
func lookAheadMatch(keys *protocol.ActivationKeys, t protocol.SignatureType, a domain.Activation, version int, data []byte, at signatureAttempt, lookAhead int) (int, []byte, error) {
	if version == 3 {
		if len(a.CtrData) != protocol.CtrDataSize {
			return -1, nil, fmt.Errorf("stored counter data has %d bytes", len(a.CtrData))
		}
		r, err := protocol.VerifySignature(protocol.VerifyRequest{
			Keys: keys, Type: t, CtrData: a.CtrData, Data: data, Signature: at.signature,
			Format: at.format, DecimalLength: at.decimalLength, LookAhead: lookAhead,
		})
		if err != nil {
			return -1, nil, err
		}
		if !r.Valid {
			return -1, nil, nil
		}
		return r.Step, r.NextCtrData, nil
	}
	// Version 2: the counter input is the numeric counter itself. Every
	// step is evaluated so the time does not reveal the match.
	match := -1
	for step := 0; step < lookAhead; step++ {
		sig, err := protocol.ComputeSignature(keys, t, protocol.CtrDataV2(uint64(a.Counter)+uint64(step)), data, at.format, at.decimalLength)
		if err != nil {
			return -1, nil, err
		}
		if subtle.ConstantTimeCompare([]byte(sig), []byte(at.signature)) == 1 && match < 0 {
			match = step
		}
	}
	return match, nil, nil
}

// countsAsFailure reports whether a failed signature of type t increments
// the failed attempts (and a valid one resets them): everything but a
// possession-only signature, whose failures count in the activation's
// possession-only streak instead when they are DECIMAL
// (guessablePossession, Config.PossessionBackoffUntil).
func countsAsFailure(t protocol.SignatureType) bool {
	return t != "" && t != protocol.SignaturePossession
}

// blockForFailures blocks an activation that used up its attempts and
// notes it in the audit info.
func blockForFailures(a *domain.Activation, at signatureAttempt) {
	a.Status = domain.ActivationBlocked
	a.BlockedReason = domain.BlockedReasonMaxFailedAttempts
	at.additionalInfo[AuditInfoBlockedReason] = domain.BlockedReasonMaxFailedAttempts
}

// saveActivation writes a locked activation and records a history entry
// when its status changed.
func (s *Service) saveActivation(ctx context.Context, tx store.Tx, a *domain.Activation, prevStatus domain.ActivationStatus) error {
	if a.Status != prevStatus {
		a.LastChange = s.Now()
	}
	if err := tx.UpdateActivation(ctx, a); err != nil {
		return fmt.Errorf("update activation: %w", err)
	}
	if a.Status != prevStatus {
		return s.recordHistory(ctx, tx, *a, "", "")
	}
	return nil
}

// signatureAuditRecords builds the audit rows of one attempt: the
// signature audit record (a carries the counter and status to record) and
// the general audit-log entry.
func (s *Service) signatureAuditRecords(ctx context.Context, tx store.Tx, a domain.Activation, at signatureAttempt, v signatureVerdict, now time.Time) (domain.SignatureAudit, domain.AuditEntry, error) {
	data := v.data
	// The signed data ends with "&" + the application secret (or "offline");
	// the audit log keeps only the request data, never the secret.
	if i := bytes.LastIndexByte(data, '&'); i >= 0 {
		data = data[:i]
	}
	rec := domain.SignatureAudit{
		ActivationID:      a.ActivationID,
		UserID:            a.UserID,
		ApplicationID:     a.ApplicationID,
		ActivationCounter: a.Counter,
		ActivationCtrData: a.CtrData,
		ActivationStatus:  a.Status,
		AdditionalInfo:    maps.Clone(at.additionalInfo),
		Data:              data,
		SignatureType:     string(v.typ),
		Signature:         at.signature,
		SignatureVersion:  at.signatureVersion,
		Note:              v.note,
		Valid:             v.valid,
		Version:           v.cryptoVersion,
		Created:           now,
	}
	entry, err := s.auditSignature(ctx, tx, rec, at.appName)
	return rec, entry, err
}

// writeSignatureAudit appends the audit rows of one attempt: a carries the
// counter and status to record. The general audit-log entry (with the
// request's IP and user agent) is written in the same statement where
// possible.
func (s *Service) writeSignatureAudit(ctx context.Context, tx store.Tx, a domain.Activation, at signatureAttempt, v signatureVerdict, now time.Time) error {
	rec, entry, err := s.signatureAuditRecords(ctx, tx, a, at, v, now)
	if err != nil {
		return err
	}
	if err := tx.CreateSignatureAuditWithEntry(ctx, &rec, &entry); err != nil {
		return fmt.Errorf("write signature audit: %w", err)
	}
	return nil
}

// invalidStateResult is the answer for an activation that cannot sign.
func invalidStateResult(a domain.Activation) VerifySignatureResult {
	return VerifySignatureResult{ActivationID: a.ActivationID, ActivationStatus: a.Status}
}

// signatureResult is the full answer after a signature was evaluated.
func signatureResult(a domain.Activation, app domain.Application, valid bool, t protocol.SignatureType) VerifySignatureResult {
	remaining := max(a.MaxFailedAttempts-a.FailedAttempts, 0)
	res := VerifySignatureResult{
		SignatureValid:    valid,
		ActivationID:      a.ActivationID,
		ActivationStatus:  a.Status,
		UserID:            a.UserID,
		ApplicationID:     app.Name,
		SignatureType:     t,
		RemainingAttempts: &remaining,
		ApplicationRoles:  slices.Clone(app.Roles),
		ActivationFlags:   slices.Clone(a.Flags),
	}
	if !valid {
		res.BlockedReason = a.BlockedReason
	}
	return res
}

// cloneInfo copies an additional-info map (nil becomes an empty map).
func cloneInfo(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
