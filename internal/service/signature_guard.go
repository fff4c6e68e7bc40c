package service

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"time"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/protocol"
)

// This file holds the checks that refuse a signature without evaluating
// it, or tell a replay from a guess: the protocol version policy (minimum
// version and per-activation ratchet), the possession-only back-off and
// the ring of recently accepted signatures. See docs/security.md,
// "Signature guessing, replay and downgrade".

// Audit notes of attempts refused by these checks (mauth's own notes; the
// reference server has no such checks).
const (
	// auditNoteSignatureReplay: the exact signature was accepted before.
	auditNoteSignatureReplay = "signature_replay"
	// auditNotePossessionBackoff: a possession-only attempt during the
	// possession back-off, refused without evaluation.
	auditNotePossessionBackoff = "possession_backoff"
	// auditNoteVersionBelowMinimum: the request's protocol version is
	// below the application's minimum.
	auditNoteVersionBelowMinimum = "protocol_version_below_minimum"
	// auditNoteVersionDowngrade: the request's protocol version is below
	// the highest the activation has spoken (the ratchet is on).
	auditNoteVersionDowngrade = "protocol_version_downgrade"
)

// Defaults of the possession-only back-off (Config.Possession*), which
// applies to DECIMAL possession-only signatures only (guessablePossession).
// With them an attacker gets at most about one such guess a day on one
// activation once the budget is used up; docs/security.md has the
// arithmetic.
const (
	// DefaultPossessionFailureBudget is the default of
	// Config.PossessionFailureBudget.
	DefaultPossessionFailureBudget = 5
	// DefaultPossessionBackoffBase is the default of
	// Config.PossessionBackoffBase.
	DefaultPossessionBackoffBase = time.Minute
	// DefaultPossessionBackoffMax is the default of
	// Config.PossessionBackoffMax.
	DefaultPossessionBackoffMax = 24 * time.Hour
	// DefaultPossessionFailureWindow is the default of
	// Config.PossessionFailureWindow.
	DefaultPossessionFailureWindow = 30 * 24 * time.Hour
)

// Size of the ring of accepted signature digests kept per activation.
const (
	// signatureDigestSize is the length of one digest (a truncated SHA-256).
	signatureDigestSize = 16
	// signatureDigestRing is how many digests an activation keeps.
	signatureDigestRing = 8
)

// versionLevel maps a protocol version to a comparable number: 30 for
// "3.0" … 33 for "3.3"; 0 for anything else, including "" (unknown).
func versionLevel(v string) int {
	switch v {
	case protocol.Version30:
		return 30
	case protocol.Version31:
		return 31
	case protocol.Version32:
		return 32
	case protocol.Version33:
		return 33
	}
	return 0
}

// EffectiveMinProtocolVersion is the lowest protocol version app accepts
// ("3.0" when it sets none).
func EffectiveMinProtocolVersion(app domain.Application) string {
	if app.MinProtocolVersion == "" {
		return protocol.Version30
	}
	return app.MinProtocolVersion
}

// versionRefusal tells whether a request of protocol version v is refused
// for application app and activation a (nil: no activation, application
// scope): auditNoteVersionBelowMinimum, auditNoteVersionDowngrade, or ""
// when it is allowed. v must be a version mauth speaks.
func versionRefusal(app domain.Application, a *domain.Activation, v string) string {
	level := versionLevel(v)
	if level < versionLevel(app.MinProtocolVersion) {
		return auditNoteVersionBelowMinimum
	}
	if a != nil && !app.AllowVersionDowngrade && level < versionLevel(a.MaxProtocolVersion) {
		return auditNoteVersionDowngrade
	}
	return ""
}

// checkRequestVersion is versionRefusal as an error for an encrypted
// request or token (CodeDecryptionFailed, as other refused envelopes).
func checkRequestVersion(app domain.Application, a *domain.Activation, v string) error {
	switch versionRefusal(app, a, v) {
	case auditNoteVersionBelowMinimum:
		return Errorf(CodeDecryptionFailed, "Protocol version %s is below the minimum version %s of the application.", v, EffectiveMinProtocolVersion(app))
	case auditNoteVersionDowngrade:
		return Errorf(CodeDecryptionFailed, "Protocol version %s is below version %s that the activation has already spoken.", v, a.MaxProtocolVersion)
	}
	return nil
}

// raiseProtocolVersion records that the device of a spoke version v in an
// authenticated request.
func raiseProtocolVersion(a *domain.Activation, v string) {
	if versionLevel(v) > versionLevel(a.MaxProtocolVersion) {
		a.MaxProtocolVersion = v
	}
}

// signatureDigest identifies one submitted signature for the replay ring:
// a truncated SHA-256 over the kind ("online" or "offline") and the
// fields, each length-prefixed so that no two field lists collide.
func signatureDigest(kind string, fields ...string) []byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range append([]string{"mauth signature digest v1", kind}, fields...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return h.Sum(nil)[:signatureDigestSize]
}

// ringContains reports whether ring (concatenated digests) holds d. Every
// entry is compared, in constant time.
func ringContains(ring, d []byte) bool {
	found := 0
	for i := 0; i+signatureDigestSize <= len(ring); i += signatureDigestSize {
		found |= subtle.ConstantTimeCompare(ring[i:i+signatureDigestSize], d)
	}
	return found == 1
}

// ringPush returns a new ring with d appended and only the newest
// signatureDigestRing entries kept.
func ringPush(ring, d []byte) []byte {
	whole := len(ring) - len(ring)%signatureDigestSize // ignore a damaged tail
	out := make([]byte, 0, min(whole+signatureDigestSize, signatureDigestRing*signatureDigestSize))
	keep := ring[:whole]
	if n := signatureDigestRing - 1; len(keep) > n*signatureDigestSize {
		keep = keep[len(keep)-n*signatureDigestSize:]
	}
	out = append(out, keep...)
	return append(out, d...)
}

// onlyPossession reports whether an attempt tries the possession factor
// alone.
func onlyPossession(types []protocol.SignatureType) bool {
	return len(types) == 1 && types[0] == protocol.SignaturePossession
}

// guessablePossession reports whether at is a possession-only attempt in
// the DECIMAL format (an online signature of protocol 3.0: 8 digits, a
// space an attacker can search), the only attempts the possession back-off
// counts and refuses. Offline signatures are DECIMAL too but always carry
// a second factor. A BASE64 possession-only signature (3.1 and later, 16
// bytes) cannot be guessed at any rate: its failures are not counted and
// it is never refused by the back-off, so an attacker's guesses cannot
// hold up the device's own possession-only requests.
func guessablePossession(at signatureAttempt) bool {
	return onlyPossession(at.types) && at.format == protocol.FormatDecimal
}

// possessionStreak is the number of possession-only failures of a's
// current streak at now: a streak is forgotten once
// PossessionFailureWindow has passed since its last failure.
func (c Config) possessionStreak(a domain.Activation, now time.Time) int64 {
	if a.PossessionFailedAttempts <= 0 || a.PossessionLastFailure.IsZero() || !now.Before(a.PossessionLastFailure.Add(c.PossessionFailureWindow)) {
		return 0
	}
	return a.PossessionFailedAttempts
}

// PossessionBackoffUntil returns until when DECIMAL possession-only
// signatures of a are refused without evaluation, and whether that is
// later than now.
// The first PossessionFailureBudget failures of a streak cost nothing; the
// failure that uses up the budget, and every further one, starts a wait
// of PossessionBackoffBase doubled per failure beyond the budget, at most
// PossessionBackoffMax, counted from that failure.
func (c Config) PossessionBackoffUntil(a domain.Activation, now time.Time) (time.Time, bool) {
	streak := c.possessionStreak(a, now)
	if streak < c.PossessionFailureBudget {
		return time.Time{}, false
	}
	wait := c.PossessionBackoffMax
	if exp := streak - c.PossessionFailureBudget; exp < 40 {
		if d := c.PossessionBackoffBase << exp; d > 0 && d < wait {
			wait = d
		}
	}
	until := a.PossessionLastFailure.Add(wait)
	return until, now.Before(until)
}

// countPossessionFailure adds a failed DECIMAL possession-only signature
// at now to a's streak (starting a new streak when the old one is forgotten).
func (c Config) countPossessionFailure(a *domain.Activation, now time.Time) {
	a.PossessionFailedAttempts = c.possessionStreak(*a, now) + 1
	a.PossessionLastFailure = now
}

// refusal returns the audit note of an attempt that must be refused
// without evaluating its signature, or "": a protocol version below the
// application's minimum or below what the activation has spoken (online
// signatures), or a DECIMAL possession-only attempt (guessablePossession)
// during the possession back-off. Refused attempts count nothing.
func (s *Service) refusal(a domain.Activation, app domain.Application, at signatureAttempt, now time.Time) string {
	if at.signatureVersion != "" {
		if note := versionRefusal(app, &a, at.signatureVersion); note != "" {
			return note
		}
	}
	if guessablePossession(at) {
		if _, waiting := s.cfg.PossessionBackoffUntil(a, now); waiting {
			return auditNotePossessionBackoff
		}
	}
	return ""
}

// acceptMatch moves a to the state after the valid signature m of at:
// applyMatch, plus the signature's digest in the replay ring and the
// protocol version it was made with.
func acceptMatch(a *domain.Activation, at signatureAttempt, m signatureMatch, now time.Time) {
	applyMatch(a, m, now)
	if at.digest != nil {
		a.SignatureDigests = ringPush(a.SignatureDigests, at.digest)
	}
	raiseProtocolVersion(a, at.signatureVersion)
}
