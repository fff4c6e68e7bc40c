package domain

// ActivationStatus is the lifecycle state of an activation. The integer is
// the value stored in pa_activation.activation_status.
type ActivationStatus int

// Activation states: CREATED → PENDING_COMMIT → ACTIVE ⇄ BLOCKED → REMOVED.
// REMOVED is terminal.
const (
	// ActivationCreated is a freshly initialised activation waiting for the
	// device's key exchange.
	ActivationCreated ActivationStatus = 1
	// ActivationPendingCommit has completed the key exchange and waits for
	// the back end to commit it.
	ActivationPendingCommit ActivationStatus = 2
	// ActivationActive may sign.
	ActivationActive ActivationStatus = 3
	// ActivationBlocked is temporarily disabled (by an administrator or after
	// too many failed attempts).
	ActivationBlocked ActivationStatus = 4
	// ActivationRemoved is permanently disabled; no transition leaves it.
	ActivationRemoved ActivationStatus = 5
)

var activationStatusNames = map[ActivationStatus]string{
	ActivationCreated:       "CREATED",
	ActivationPendingCommit: "PENDING_COMMIT",
	ActivationActive:        "ACTIVE",
	ActivationBlocked:       "BLOCKED",
	ActivationRemoved:       "REMOVED",
}

// String returns the wire name, e.g. "ACTIVE".
func (s ActivationStatus) String() string {
	return enumName("ActivationStatus", activationStatusNames, s)
}

// Valid reports whether s is one of the defined states.
func (s ActivationStatus) Valid() bool { _, ok := activationStatusNames[s]; return ok }

// MarshalText implements encoding.TextMarshaler with the wire name.
func (s ActivationStatus) MarshalText() ([]byte, error) {
	return marshalEnum("ActivationStatus", activationStatusNames, s)
}

// UnmarshalText implements encoding.TextUnmarshaler from the wire name.
func (s *ActivationStatus) UnmarshalText(b []byte) error {
	v, err := ParseActivationStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseActivationStatus parses a wire name such as "PENDING_COMMIT".
func ParseActivationStatus(s string) (ActivationStatus, error) {
	return parseEnum("activation status", activationStatusNames, s)
}

// OtpValidation is the deprecated activation OTP validation mode, stored in
// pa_activation.activation_otp_validation.
type OtpValidation int

// OTP validation modes.
const (
	// OtpValidationNone means no activation OTP is checked.
	OtpValidationNone OtpValidation = 0
	// OtpValidationOnKeyExchange checks the OTP in the key exchange.
	OtpValidationOnKeyExchange OtpValidation = 1
	// OtpValidationOnCommit checks the OTP on commit.
	OtpValidationOnCommit OtpValidation = 2
)

var otpValidationNames = map[OtpValidation]string{
	OtpValidationNone:          "NONE",
	OtpValidationOnKeyExchange: "ON_KEY_EXCHANGE",
	OtpValidationOnCommit:      "ON_COMMIT",
}

// String returns the wire name, e.g. "ON_COMMIT".
func (v OtpValidation) String() string { return enumName("OtpValidation", otpValidationNames, v) }

// Valid reports whether v is one of the defined modes.
func (v OtpValidation) Valid() bool { _, ok := otpValidationNames[v]; return ok }

// MarshalText implements encoding.TextMarshaler with the wire name.
func (v OtpValidation) MarshalText() ([]byte, error) {
	return marshalEnum("OtpValidation", otpValidationNames, v)
}

// UnmarshalText implements encoding.TextUnmarshaler from the wire name.
func (v *OtpValidation) UnmarshalText(b []byte) error {
	p, err := ParseOtpValidation(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseOtpValidation parses a wire name such as "ON_KEY_EXCHANGE".
func ParseOtpValidation(s string) (OtpValidation, error) {
	return parseEnum("OTP validation", otpValidationNames, s)
}

// CommitPhase says when an activation with an OTP is checked and committed,
// stored in pa_activation.commit_phase.
type CommitPhase int

// Commit phases.
const (
	// CommitPhaseOnCommit (the default) commits in a separate back-end call.
	CommitPhaseOnCommit CommitPhase = 0
	// CommitPhaseOnKeyExchange activates directly in the key exchange.
	CommitPhaseOnKeyExchange CommitPhase = 1
)

var commitPhaseNames = map[CommitPhase]string{
	CommitPhaseOnCommit:      "ON_COMMIT",
	CommitPhaseOnKeyExchange: "ON_KEY_EXCHANGE",
}

// String returns the wire name, e.g. "ON_COMMIT".
func (p CommitPhase) String() string { return enumName("CommitPhase", commitPhaseNames, p) }

// Valid reports whether p is one of the defined phases.
func (p CommitPhase) Valid() bool { _, ok := commitPhaseNames[p]; return ok }

// MarshalText implements encoding.TextMarshaler with the wire name.
func (p CommitPhase) MarshalText() ([]byte, error) {
	return marshalEnum("CommitPhase", commitPhaseNames, p)
}

// UnmarshalText implements encoding.TextUnmarshaler from the wire name.
func (p *CommitPhase) UnmarshalText(b []byte) error {
	v, err := ParseCommitPhase(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParseCommitPhase parses a wire name such as "ON_KEY_EXCHANGE".
func ParseCommitPhase(s string) (CommitPhase, error) {
	return parseEnum("commit phase", commitPhaseNames, s)
}

// ActivationProtocol is the protocol an activation speaks. Its wire name is
// lower case both in JSON and in pa_activation.protocol.
type ActivationProtocol string

// Activation protocols.
const (
	// ProtocolPowerAuth is a PowerAuth protocol activation (the default).
	ProtocolPowerAuth ActivationProtocol = "powerauth"
	// ProtocolFIDO2 is a FIDO2 authenticator stored as an activation.
	ProtocolFIDO2 ActivationProtocol = "fido2"
)

// String returns the wire name.
func (p ActivationProtocol) String() string { return string(p) }

// Valid reports whether p is one of the defined protocols.
func (p ActivationProtocol) Valid() bool { return p == ProtocolPowerAuth || p == ProtocolFIDO2 }

// ParseActivationProtocol parses "powerauth" or "fido2".
func ParseActivationProtocol(s string) (ActivationProtocol, error) {
	p := ActivationProtocol(s)
	if !p.Valid() {
		return "", errUnknown("activation protocol", s)
	}
	return p, nil
}
