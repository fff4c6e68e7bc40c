package restv3

// VaultUnlockRequest is the request of vault/unlock: a signature of the
// vault unlock data and the encrypted request.
type VaultUnlockRequest struct {
	ActivationID     string `json:"activationId"`
	ApplicationKey   string `json:"applicationKey"`
	SignedData       string `json:"signedData"`
	Signature        string `json:"signature"`
	SignatureType    string `json:"signatureType"`
	SignatureVersion string `json:"signatureVersion"`
	EciesRequest
}

// VaultUnlockResponse is the answer of vault/unlock.
type VaultUnlockResponse struct {
	EciesResponse
	SignatureValid bool `json:"signatureValid"`
}

// EciesDecryptorRequest is the request of ecies/decryptor (application
// scope without an activation ID).
type EciesDecryptorRequest struct {
	ActivationID       string `json:"activationId,omitempty"`
	ApplicationKey     string `json:"applicationKey"`
	EphemeralPublicKey string `json:"ephemeralPublicKey"`
	Nonce              string `json:"nonce,omitempty"`
	Timestamp          *int64 `json:"timestamp,omitempty"`
	ProtocolVersion    string `json:"protocolVersion"`
	TemporaryKeyID     string `json:"temporaryKeyId,omitempty"`
}

// EciesDecryptorResponse is the answer of ecies/decryptor: the envelope
// secrets (Base64). Treat them as keys: never log them.
type EciesDecryptorResponse struct {
	SecretKey   string `json:"secretKey"`
	SharedInfo2 string `json:"sharedInfo2"`
}

// UpgradeStartRequest is the request of upgrade/start.
type UpgradeStartRequest struct {
	ActivationID   string `json:"activationId"`
	ApplicationKey string `json:"applicationKey"`
	EciesRequest
}

// UpgradeCommitRequest is the request of upgrade/commit.
type UpgradeCommitRequest struct {
	ActivationID   string `json:"activationId"`
	ApplicationKey string `json:"applicationKey"`
}

// RecoveryConfirmRequest is the request of recovery/confirm: a
// confirmation of a postcard recovery code (ECIES-in).
type RecoveryConfirmRequest struct {
	ActivationID   string `json:"activationId"`
	ApplicationKey string `json:"applicationKey"`
	EciesRequest
}

// RecoveryConfirmResponse is the answer of recovery/confirm.
type RecoveryConfirmResponse struct {
	ActivationID  string  `json:"activationId"`
	UserID        string  `json:"userId"`
	EncryptedData string  `json:"encryptedData"`
	Mac           string  `json:"mac"`
	Nonce         *string `json:"nonce"`
	Timestamp     *int64  `json:"timestamp"`
}
