package protocol

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
)

// Legacy protocol 2 activation formulas. mauth serves protocol 3 only;
// these exist so that activations created by version 2 clients can be
// understood, and they are pinned by the published v2 test vectors.

// V2OTPKey derives the v2 activation OTP key:
// PBKDF2-HMAC-SHA1(activationOtp, salt = utf8(activationIdShort), 10000, 16).
func V2OTPKey(activationIDShort, activationOTP string) ([]byte, error) {
	k, err := pbkdf2.Key(sha1.New, activationOTP, []byte(activationIDShort), 10000, 16)
	if err != nil {
		return nil, fmt.Errorf("v2 otp key: %w", err)
	}
	return k, nil
}

// V2EncryptDevicePublicKey computes cDevicePublicKey of the v2 prepare request:
// AES-CBC(ephKey, nonce, AES-CBC(otpKey, nonce, devicePublicKey)) where
// ephKey = convert32Bto16B(ECDH(ephemeralPrivate, masterPublic)).
func V2EncryptDevicePublicKey(devicePublicKey []byte, activationIDShort, activationOTP string, nonce []byte, ephemeral *PrivateKey, master *PublicKey) ([]byte, error) {
	otpKey, err := V2OTPKey(activationIDShort, activationOTP)
	if err != nil {
		return nil, err
	}
	inner, err := EncryptCBC(otpKey, nonce, devicePublicKey)
	if err != nil {
		return nil, fmt.Errorf("v2 encrypt device key: %w", err)
	}
	ephKey, err := MasterSecret(ephemeral, master)
	if err != nil {
		return nil, err
	}
	return EncryptCBC(ephKey, nonce, inner)
}

// V2DecryptServerPublicKey reverses the v2 server public key encryption on
// the device: ephKey = convert32Bto16B(ECDH(devicePrivate, ephemeralPublic)).
func V2DecryptServerPublicKey(encrypted []byte, device *PrivateKey, ephemeral *PublicKey, activationIDShort, activationOTP string, nonce []byte) ([]byte, error) {
	ephKey, err := MasterSecret(device, ephemeral)
	if err != nil {
		return nil, err
	}
	inner, err := DecryptCBC(ephKey, nonce, encrypted)
	if err != nil {
		return nil, fmt.Errorf("v2 decrypt server key: %w", err)
	}
	otpKey, err := V2OTPKey(activationIDShort, activationOTP)
	if err != nil {
		return nil, err
	}
	return DecryptCBC(otpKey, nonce, inner)
}

// V2ApplicationSignature computes the v2 prepare request's application signature:
// HMAC(base64decode(appSecret), activationIdShort "&" B64(nonce) "&" B64(cDevicePublicKey) "&" appKey).
func V2ApplicationSignature(activationIDShort string, nonce, cDevicePublicKey []byte, applicationKey, applicationSecret string) ([]byte, error) {
	secret, err := base64.StdEncoding.DecodeString(applicationSecret)
	if err != nil {
		return nil, fmt.Errorf("v2 application signature: %w", err)
	}
	enc := base64.StdEncoding
	msg := activationIDShort + "&" + enc.EncodeToString(nonce) + "&" + enc.EncodeToString(cDevicePublicKey) + "&" + applicationKey
	return HMACSHA256(secret, []byte(msg)), nil
}
