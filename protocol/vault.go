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

// DevicePrivateKeyBytes is the plaintext of C_KEY_DEVICE_PRIVATE: the
// 32-byte big-endian private scalar, with a leading zero byte (33 bytes)
// when its top bit is set. Readers that take the bytes as an unsigned
// number (the mobile SDKs, ParsePrivateKey) and readers that take them as
// a signed two's-complement number (Java's new BigInteger(bytes), the
// reference's KeyConvertor) then get the same key; a bare 32-byte scalar
// with the top bit set reads as a negative number in Java.
func DevicePrivateKeyBytes(priv *PrivateKey) []byte {
	b := priv.Bytes()
	if b[0]&0x80 == 0 {
		return b
	}
	return append([]byte{0}, b...)
}

// EncryptDevicePrivateKey computes C_KEY_DEVICE_PRIVATE =
// AES-CBC-PKCS7(KEY_ENCRYPTION_VAULT, IV=0, DevicePrivateKeyBytes(priv)).
func EncryptDevicePrivateKey(vaultKey []byte, priv *PrivateKey) ([]byte, error) {
	return EncryptCBC(vaultKey, zeroIV, DevicePrivateKeyBytes(priv))
}

// DecryptDevicePrivateKey reverses EncryptDevicePrivateKey. It reads both
// forms: the 33-byte one with a zero sign byte and a bare 32-byte scalar
// (written by earlier versions of the Go client), as well as shorter
// minimal encodings (Java's BigInteger.toByteArray).
func DecryptDevicePrivateKey(vaultKey, encrypted []byte) (*PrivateKey, error) {
	b, err := DecryptCBC(vaultKey, zeroIV, encrypted)
	if err != nil {
		return nil, fmt.Errorf("decrypt device private key: %w", err)
	}
	return ParsePrivateKey(b)
}
