package domain

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// enumCase is one enumeration value with its wire name and database value.
type enumCase struct {
	value any    // the typed value
	name  string // wire name
	db    any    // value stored in the database
}

func TestEnumNames(t *testing.T) {
	for _, tc := range []enumCase{
		{ActivationCreated, "CREATED", 1},
		{ActivationPendingCommit, "PENDING_COMMIT", 2},
		{ActivationActive, "ACTIVE", 3},
		{ActivationBlocked, "BLOCKED", 4},
		{ActivationRemoved, "REMOVED", 5},
		{OtpValidationNone, "NONE", 0},
		{OtpValidationOnKeyExchange, "ON_KEY_EXCHANGE", 1},
		{OtpValidationOnCommit, "ON_COMMIT", 2},
		{CommitPhaseOnCommit, "ON_COMMIT", 0},
		{CommitPhaseOnKeyExchange, "ON_KEY_EXCHANGE", 1},
		{RecoveryCodeCreated, "CREATED", 1},
		{RecoveryCodeActive, "ACTIVE", 2},
		{RecoveryCodeBlocked, "BLOCKED", 3},
		{RecoveryCodeRevoked, "REVOKED", 4},
		{RecoveryPukValid, "VALID", 1},
		{RecoveryPukUsed, "USED", 2},
		{RecoveryPukInvalid, "INVALID", 3},
		{UniqueValueMACToken, "MAC_TOKEN", 0},
		{UniqueValueECIESApplicationScope, "ECIES_APPLICATION_SCOPE", 1},
		{UniqueValueECIESActivationScope, "ECIES_ACTIVATION_SCOPE", 2},
		{CallbackActivationStatusChange, "ACTIVATION_STATUS_CHANGE", "ACTIVATION_STATUS_CHANGE"},
		{CallbackOperationStatusChange, "OPERATION_STATUS_CHANGE", "OPERATION_STATUS_CHANGE"},
		{ProtocolPowerAuth, "powerauth", "powerauth"},
		{ProtocolFIDO2, "fido2", "fido2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.name, tc.value.(interface{ String() string }).String())
			require.True(t, tc.value.(interface{ Valid() bool }).Valid())
			parsed, err := parse(tc.value, tc.name)
			require.NoError(t, err)
			require.Equal(t, tc.value, parsed)
			switch v := tc.value.(type) {
			case ActivationStatus:
				require.Equal(t, tc.db, int(v))
			case OtpValidation:
				require.Equal(t, tc.db, int(v))
			case CommitPhase:
				require.Equal(t, tc.db, int(v))
			case RecoveryCodeStatus:
				require.Equal(t, tc.db, int(v))
			case RecoveryPukStatus:
				require.Equal(t, tc.db, int(v))
			case UniqueValueType:
				require.Equal(t, tc.db, int(v))
			case CallbackType:
				require.Equal(t, tc.db, string(v))
			case ActivationProtocol:
				require.Equal(t, tc.db, string(v))
			}
		})
	}
}

// parse calls the Parse function of like's type.
func parse(like any, s string) (any, error) {
	switch like.(type) {
	case ActivationStatus:
		return ParseActivationStatus(s)
	case OtpValidation:
		return ParseOtpValidation(s)
	case CommitPhase:
		return ParseCommitPhase(s)
	case RecoveryCodeStatus:
		return ParseRecoveryCodeStatus(s)
	case RecoveryPukStatus:
		return ParseRecoveryPukStatus(s)
	case UniqueValueType:
		return ParseUniqueValueType(s)
	case CallbackType:
		return ParseCallbackType(s)
	case ActivationProtocol:
		return ParseActivationProtocol(s)
	}
	panic("unknown enum")
}

func TestEnumRejectsUnknown(t *testing.T) {
	for _, s := range []string{"", "active", "Active", "UNKNOWN", " ACTIVE", "POWERAUTH", "6"} {
		t.Run(s, func(t *testing.T) {
			_, err := ParseActivationStatus(s)
			require.Error(t, err)
			_, err = ParseRecoveryCodeStatus(s)
			require.Error(t, err)
			_, err = ParseActivationProtocol(s)
			require.Error(t, err)
			_, err = ParseCallbackType(s)
			require.Error(t, err)
		})
	}
	require.False(t, ActivationStatus(0).Valid())
	require.Equal(t, "ActivationStatus(9)", ActivationStatus(9).String())
	require.Equal(t, "RecoveryPukStatus(0)", RecoveryPukStatus(0).String())
	require.False(t, ActivationProtocol("").Valid())
}

func TestEnumJSON(t *testing.T) {
	type doc struct {
		Status  ActivationStatus   `json:"activationStatus"`
		Phase   CommitPhase        `json:"commitPhase"`
		Otp     OtpValidation      `json:"activationOtpValidation"`
		Code    RecoveryCodeStatus `json:"recoveryCodeStatus"`
		Puk     RecoveryPukStatus  `json:"recoveryPukStatus"`
		Replay  UniqueValueType    `json:"type"`
		Proto   ActivationProtocol `json:"protocol"`
		Webhook CallbackType       `json:"callbackType"`
	}
	in := doc{ActivationBlocked, CommitPhaseOnKeyExchange, OtpValidationOnCommit, RecoveryCodeRevoked, RecoveryPukUsed,
		UniqueValueECIESActivationScope, ProtocolFIDO2, CallbackOperationStatusChange}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	require.JSONEq(t, `{"activationStatus":"BLOCKED","commitPhase":"ON_KEY_EXCHANGE","activationOtpValidation":"ON_COMMIT",
		"recoveryCodeStatus":"REVOKED","recoveryPukStatus":"USED","type":"ECIES_ACTIVATION_SCOPE","protocol":"fido2",
		"callbackType":"OPERATION_STATUS_CHANGE"}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in, out)

	_, err = json.Marshal(doc{Status: 42})
	require.Error(t, err, "invalid values are not rendered")
	require.Error(t, json.Unmarshal([]byte(`{"activationStatus":"GONE"}`), &out))
}

// FuzzParseEnums feeds arbitrary wire names to every Parse function: they
// must not panic, and whatever they accept must render back to the input.
func FuzzParseEnums(f *testing.F) {
	for _, s := range []string{"ACTIVE", "PENDING_COMMIT", "ON_KEY_EXCHANGE", "VALID", "MAC_TOKEN", "fido2", "OPERATION_STATUS_CHANGE", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, like := range []any{ActivationStatus(0), OtpValidation(0), CommitPhase(0), RecoveryCodeStatus(0),
			RecoveryPukStatus(0), UniqueValueType(0), CallbackType(""), ActivationProtocol("")} {
			v, err := parse(like, s)
			if err != nil {
				continue
			}
			if got := v.(interface{ String() string }).String(); got != s {
				t.Fatalf("%T: parsed %q renders as %q", like, s, got)
			}
		}
	})
}
