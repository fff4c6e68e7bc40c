package client

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mauth/mauth/protocol"
)

// Errors of the device state.
var (
	ErrNotActivated = errors.New("client: the device has no activation")
	ErrNoVaultKey   = errors.New("client: the device private key is not available")
)

// pinKDFIterations is the PBKDF2 iteration count of the PIN-derived key.
const pinKDFIterations = 10000

// Device is the persistent state of one activated device: what a mobile
// SDK keeps in its keychain. It serialises to JSON (see Save and Load).
//
// The possession, biometry and transport keys are kept as is (a phone binds
// them to the device; here the state file's permissions do). The knowledge
// key is kept only wrapped with a key derived from the PIN by PBKDF2, with
// AES-CBC without padding, so a wrong PIN unwraps to a wrong key and only
// the server can tell. The device private key is kept encrypted with the
// vault key, which the server releases after a knowledge-factor signature.
type Device struct {
	// ActivationID is the activation this device holds.
	ActivationID string `json:"activationId"`
	// ServerPublicKey is KEY_SERVER_PUBLIC of the activation.
	ServerPublicKey []byte `json:"serverPublicKey"`
	// DevicePublicKey is the device public key as sent to the server.
	DevicePublicKey []byte `json:"devicePublicKey"`
	// EncryptedDevicePrivateKey is C_KEY_DEVICE_PRIVATE (AES under the vault
	// key) of protocol.DevicePrivateKeyBytes: the scalar with a zero sign
	// byte when its top bit is set, as Java reads it; devices saved by
	// earlier versions hold the bare 32-byte scalar, which still reads.
	EncryptedDevicePrivateKey []byte `json:"encryptedDevicePrivateKey"`
	// PossessionKey, BiometryKey and TransportKey are the derived keys.
	PossessionKey []byte `json:"possessionKey"`
	BiometryKey   []byte `json:"biometryKey"`
	TransportKey  []byte `json:"transportKey"`
	// WrappedKnowledgeKey is the knowledge key wrapped with the PIN key.
	WrappedKnowledgeKey []byte `json:"wrappedKnowledgeKey"`
	// PINSalt is the PBKDF2 salt of the PIN key.
	PINSalt []byte `json:"pinSalt"`
	// CtrData is the hash-based counter the next signature uses.
	CtrData []byte `json:"ctrData"`
	// Counter is the numeric signature counter (its low byte is compared with the server's).
	Counter uint64 `json:"counter"`
	// Fingerprint is the activation fingerprint for a visual check.
	Fingerprint string `json:"fingerprint"`
	// RecoveryCode and RecoveryPUK are set when the server issued them.
	RecoveryCode string `json:"recoveryCode,omitempty"`
	RecoveryPUK  string `json:"recoveryPuk,omitempty"`
}

// pinKey derives the 16-byte key that wraps the knowledge key.
func pinKey(pin string, salt []byte) ([]byte, error) {
	k, err := pbkdf2.Key(sha1.New, pin, salt, pinKDFIterations, 16)
	if err != nil {
		return nil, fmt.Errorf("client: derive PIN key: %w", err)
	}
	return k, nil
}

// DerivePINKey derives the 16-byte key that wraps the knowledge key of a
// device from its PIN and Device.PINSalt (PBKDF2-HMAC-SHA1, 10,000
// iterations): the costly part of a knowledge-factor signature. A caller
// that signs often for the same device may keep the result in memory and
// hand it back through Config.PINKey.
func DerivePINKey(pin string, salt []byte) ([]byte, error) { return pinKey(pin, salt) }

// pinKeyFunc supplies the PIN key of a device (see Config.PINKey).
type pinKeyFunc func(d *Device, pin string) ([]byte, error)

// newDevice stores freshly derived activation keys, protecting the
// knowledge key with the PIN and the device private key with the vault key.
func newDevice(activationID string, devicePriv *protocol.PrivateKey, devicePub []byte, serverPub *protocol.PublicKey, ctrData []byte, pin string) (*Device, error) {
	ks, err := protocol.DeriveActivationKeysECDH(devicePriv, serverPub)
	if err != nil {
		return nil, err
	}
	salt := protocol.RandomBytes(16)
	pk, err := pinKey(pin, salt)
	if err != nil {
		return nil, err
	}
	wrapped, err := protocol.EncryptCBCNoPadding(pk, make([]byte, 16), ks.Knowledge)
	if err != nil {
		return nil, err
	}
	encPriv, err := protocol.EncryptDevicePrivateKey(ks.Vault, devicePriv)
	if err != nil {
		return nil, err
	}
	dp, err := protocol.ParsePublicKey(devicePub)
	if err != nil {
		return nil, err
	}
	return &Device{
		ActivationID:              activationID,
		ServerPublicKey:           serverPub.Uncompressed(),
		DevicePublicKey:           devicePub,
		EncryptedDevicePrivateKey: encPriv,
		PossessionKey:             ks.Possession,
		BiometryKey:               ks.Biometry,
		TransportKey:              ks.Transport,
		WrappedKnowledgeKey:       wrapped,
		PINSalt:                   salt,
		CtrData:                   ctrData,
		Fingerprint:               protocol.ActivationFingerprint(dp, activationID, serverPub),
	}, nil
}

// signingKeys returns the factor keys; the knowledge key is unwrapped with
// pin (a wrong PIN yields a wrong key, detected only by the server).
func (d *Device) signingKeys(pin string) (*protocol.ActivationKeys, error) {
	return d.signingKeysWith(pin, nil)
}

// signingKeysWith is signingKeys with the PIN key supplied by pkf (nil
// derives it).
func (d *Device) signingKeysWith(pin string, pkf pinKeyFunc) (*protocol.ActivationKeys, error) {
	ks := &protocol.ActivationKeys{Possession: d.PossessionKey, Biometry: d.BiometryKey, Transport: d.TransportKey}
	var (
		pk  []byte
		err error
	)
	if pkf != nil {
		pk, err = pkf(d, pin)
	} else {
		pk, err = pinKey(pin, d.PINSalt)
	}
	if err != nil {
		return nil, err
	}
	if ks.Knowledge, err = protocol.DecryptCBCNoPadding(pk, make([]byte, 16), d.WrappedKnowledgeKey); err != nil {
		return nil, fmt.Errorf("client: unwrap knowledge key: %w", err)
	}
	return ks, nil
}

// keysFor returns the keys a signature with f needs: the knowledge key
// (whose PBKDF2 derivation from the PIN is the costly part of a
// signature) only when knowledge is one of the factors.
func (d *Device) keysFor(f Factors) (*protocol.ActivationKeys, error) {
	return d.keysWith(f, nil)
}

// keysWith is keysFor with the PIN key supplied by pkf (nil derives it).
func (d *Device) keysWith(f Factors, pkf pinKeyFunc) (*protocol.ActivationKeys, error) {
	for _, x := range f.Type.Factors() {
		if x == protocol.FactorKnowledge {
			return d.signingKeysWith(f.PIN, pkf)
		}
	}
	return &protocol.ActivationKeys{Possession: d.PossessionKey, Biometry: d.BiometryKey, Transport: d.TransportKey}, nil
}

// ChangePIN re-wraps the knowledge key under a new PIN. The old PIN is not
// checked locally (only the server could); verify it with a signature first.
func (d *Device) ChangePIN(oldPIN, newPIN string) error {
	ks, err := d.signingKeys(oldPIN)
	if err != nil {
		return err
	}
	salt := protocol.RandomBytes(16)
	pk, err := pinKey(newPIN, salt)
	if err != nil {
		return err
	}
	wrapped, err := protocol.EncryptCBCNoPadding(pk, make([]byte, 16), ks.Knowledge)
	if err != nil {
		return err
	}
	d.WrappedKnowledgeKey, d.PINSalt = wrapped, salt
	return nil
}

// Save writes the state to path with owner-only permissions, atomically.
func (d *Device) Save(path string) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("client: encode device state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mauth-device-*")
	if err != nil {
		return fmt.Errorf("client: save device state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("client: save device state: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("client: save device state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("client: save device state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("client: save device state: %w", err)
	}
	return nil
}

// LoadDevice reads a state file written by Save.
func LoadDevice(path string) (*Device, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: load device state: %w", err)
	}
	var d Device
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("client: load device state %s: %w", path, err)
	}
	if d.ActivationID == "" || len(d.CtrData) != protocol.CtrDataSize || len(d.TransportKey) != protocol.KeySize {
		return nil, fmt.Errorf("client: device state %s is incomplete", path)
	}
	return &d, nil
}

// nextSignatureCounter returns the counter for the next signature and
// advances the state, as the SDK does even when the request then fails.
func (d *Device) nextSignatureCounter() []byte {
	ctr := d.CtrData
	d.CtrData = protocol.NextCtrData(ctr)
	d.Counter++
	return ctr
}
