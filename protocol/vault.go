package protocol

import "fmt"

// WrapVaultKey encrypts KEY_ENCRYPTION_VAULT for the device:
// AES-128-CBC-PKCS7(KEY_TRANSPORT, IV=0, vaultKey), 32 bytes.
func WrapVaultKey(transportKey, vaultKey []byte) ([]byte, error) {
	if len(vaultKey) != KeySize {
		return nil, fmt.Errorf("wrap vault key: %w", ErrInvalidKeySize)
	}
	return EncryptCBC(transportKey, zeroIV, vaultKey)
}

// UnwrapVaultKey decrypts an encrypted vault key; the result must be 16 bytes.
func UnwrapVaultKey(transportKey, encrypted []byte) ([]byte, error) {
	k, err := DecryptCBC(transportKey, zeroIV, encrypted)
	if err != nil {
		return nil, fmt.Errorf("unwrap vault key: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("unwrap vault key: %w", ErrInvalidKeySize)
	}
	return k, nil
}

// EncryptDevicePrivateKey computes C_KEY_DEVICE_PRIVATE =
// AES-CBC-PKCS7(KEY_ENCRYPTION_VAULT, IV=0, private scalar).
func EncryptDevicePrivateKey(vaultKey []byte, priv *PrivateKey) ([]byte, error) {
	return EncryptCBC(vaultKey, zeroIV, priv.Bytes())
}

// DecryptDevicePrivateKey reverses EncryptDevicePrivateKey.
func DecryptDevicePrivateKey(vaultKey, encrypted []byte) (*PrivateKey, error) {
	b, err := DecryptCBC(vaultKey, zeroIV, encrypted)
	if err != nil {
		return nil, fmt.Errorf("decrypt device private key: %w", err)
	}
	return ParsePrivateKey(b)
}
