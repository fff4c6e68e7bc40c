package protocol

import (
	"errors"
	"fmt"
)

// Status blob layout constants.
const (
	StatusBlobSize      = 32
	StatusChallengeSize = 16
	StatusNonceSize     = 16
	// StatusBlobVersion is the last byte of the magic DE C0 DE D1.
	StatusBlobVersion = 0xD1
	// MaxStatusLookAhead is the largest look-ahead a client accepts.
	MaxStatusLookAhead = 64
)

// Activation status codes carried in the status blob.
const (
	StatusCreated       byte = 1
	StatusPendingCommit byte = 2
	StatusActive        byte = 3
	StatusBlocked       byte = 4
	StatusRemoved       byte = 5
)

// ErrInvalidStatusBlob is returned when a decrypted blob has a wrong magic or size.
var ErrInvalidStatusBlob = errors.New("protocol: invalid activation status blob")

// StatusBlob is the 32-byte activation status a device decrypts.
type StatusBlob struct {
	Status            byte   // 1..5, see Status* constants
	CurrentVersion    byte   // activation protocol major version (2 or 3)
	UpgradeVersion    byte   // highest major version the server supports (3)
	CtrByte           byte   // low byte of the server's numeric counter
	FailedAttempts    byte   // FAIL_COUNT
	MaxFailedAttempts byte   // MAX_FAIL_COUNT
	CtrLookAhead      byte   // CTR_LOOK_AHEAD
	CtrDataHash       []byte // 16 bytes: CtrDataHash(transportKey, ctrData)
}

// StatusIV derives the status-blob IV (3.1+):
// KDF_INTERNAL(KDF(KEY_TRANSPORT, 3000), challenge || nonce).
func StatusIV(transportKey, challenge, nonce []byte) ([]byte, error) {
	if len(challenge) != StatusChallengeSize || len(nonce) != StatusNonceSize {
		return nil, fmt.Errorf("status iv: %w: challenge %d, nonce %d", ErrInvalidLength, len(challenge), len(nonce))
	}
	ivKey, err := KDF(transportKey, IndexTransportIV)
	if err != nil {
		return nil, fmt.Errorf("status iv: %w", err)
	}
	return KDFInternal(ivKey, append(append([]byte{}, challenge...), nonce...)), nil
}

// CtrDataHash computes KDF_INTERNAL(KDF(KEY_TRANSPORT, 4000), ctrData).
func CtrDataHash(transportKey, ctrData []byte) ([]byte, error) {
	k, err := KDF(transportKey, IndexTransportCtr)
	if err != nil {
		return nil, fmt.Errorf("ctr data hash: %w", err)
	}
	return KDFInternal(k, ctrData), nil
}

// EncryptStatusBlob builds and encrypts a status blob. With a challenge
// (3.1+) the IV is derived from challenge and nonce; without one (3.0) the
// IV is zero and the counter fields are replaced by random filler, as 3.0
// clients must not see counter data.
func EncryptStatusBlob(transportKey, challenge, nonce []byte, b StatusBlob) ([]byte, error) {
	plain := RandomBytes(StatusBlobSize)
	plain[0], plain[1], plain[2], plain[3] = 0xDE, 0xC0, 0xDE, StatusBlobVersion
	plain[4] = b.Status
	plain[5] = b.CurrentVersion
	plain[6] = b.UpgradeVersion
	plain[13] = b.FailedAttempts
	plain[14] = b.MaxFailedAttempts
	iv := zeroIV
	if challenge != nil {
		var err error
		if iv, err = StatusIV(transportKey, challenge, nonce); err != nil {
			return nil, err
		}
		if len(b.CtrDataHash) != 16 {
			return nil, fmt.Errorf("status blob: %w: ctr data hash %d", ErrInvalidLength, len(b.CtrDataHash))
		}
		plain[12] = b.CtrByte
		plain[15] = b.CtrLookAhead
		copy(plain[16:], b.CtrDataHash)
	}
	return EncryptCBCNoPadding(transportKey, iv, plain)
}

// DecryptStatusBlob decrypts and parses a status blob; challenge and nonce
// are nil for protocol 3.0.
func DecryptStatusBlob(transportKey, challenge, nonce, encrypted []byte) (*StatusBlob, error) {
	if len(encrypted) != StatusBlobSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidStatusBlob, len(encrypted))
	}
	iv := zeroIV
	if challenge != nil {
		var err error
		if iv, err = StatusIV(transportKey, challenge, nonce); err != nil {
			return nil, err
		}
	}
	plain, err := DecryptCBCNoPadding(transportKey, iv, encrypted)
	if err != nil {
		return nil, err
	}
	return ParseStatusBlob(plain)
}

// ParseStatusBlob parses a decrypted 32-byte status blob and checks its magic.
func ParseStatusBlob(plain []byte) (*StatusBlob, error) {
	if len(plain) != StatusBlobSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidStatusBlob, len(plain))
	}
	if plain[0] != 0xDE || plain[1] != 0xC0 || plain[2] != 0xDE || plain[3]&0xF0 != 0xD0 || plain[3]&0x0F < 1 {
		return nil, fmt.Errorf("%w: bad magic", ErrInvalidStatusBlob)
	}
	return &StatusBlob{
		Status:            plain[4],
		CurrentVersion:    plain[5],
		UpgradeVersion:    plain[6],
		CtrByte:           plain[12],
		FailedAttempts:    plain[13],
		MaxFailedAttempts: plain[14],
		CtrLookAhead:      plain[15],
		CtrDataHash:       append([]byte(nil), plain[16:32]...),
	}, nil
}

// CounterHashDistance hashes the local counter forward up to lookAhead
// times and returns the number of steps after which its hash equals
// ctrDataHash, or -1 when none does.
func CounterHashDistance(transportKey, localCtrData, ctrDataHash []byte, lookAhead int) (int, error) {
	k, err := KDF(transportKey, IndexTransportCtr)
	if err != nil {
		return -1, fmt.Errorf("counter distance: %w", err)
	}
	ctr := localCtrData
	for d := 0; d <= lookAhead; d++ {
		if Equal(KDFInternal(k, ctr), ctrDataHash) {
			return d, nil
		}
		ctr = NextCtrData(ctr)
	}
	return -1, nil
}

// CounterByteDistance is the signed modulo-256 distance local − server,
// in the range -128..127.
func CounterByteDistance(local, server byte) int {
	d := int(local) - int(server)
	switch {
	case d > 127:
		d -= 256
	case d < -128:
		d += 256
	}
	return d
}
