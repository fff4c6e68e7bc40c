// Package protocol implements the cryptography and wire formats of the
// PowerAuth protocol 3.0–3.3: keys, KDFs, activation codes, multi-factor
// signatures, the activation status blob, ECIES end-to-end encryption,
// temporary-key JWTs, MAC tokens, the vault key wrap, recovery codes and
// the three HTTP headers. It does no I/O; the server and the Go device
// client both build on it.
//
// # Key tree
//
// Each application has a P-256 master key pair (KEY_SERVER_MASTER_*). Its
// private key signs activation codes, non-personalised offline QR data and
// application-scope temporary-key JWTs; its public key, embedded in the app,
// is the application-scope ECIES key in 3.0–3.2.
//
// Each activation has a device key pair (generated on the phone) and a
// server key pair. ECDH between them, reduced from 32 to 16 bytes, gives
// KEY_MASTER_SECRET, which is never stored by the client. From it, KDF
// (AES-128 over 0x00×8 || BE64(index)) derives:
//
//	index    1  KEY_SIGNATURE_POSSESSION  signature factor
//	index    2  KEY_SIGNATURE_KNOWLEDGE   signature factor (PIN-protected on the device)
//	index    3  KEY_SIGNATURE_BIOMETRY    signature factor
//	index 1000  KEY_TRANSPORT             status blob, vault wrap, activation-scope ECIES SH2
//	index 2000  KEY_ENCRYPTION_VAULT      wraps the device private key; released by vault unlock
//
// KEY_TRANSPORT derives KDF(…, 3000) for the status-blob IV and
// KDF(…, 4000) for the counter hash. The server key pair is the
// activation-scope ECIES key in 3.0–3.2 and signs personalised offline QR
// data and activation-scope temporary-key JWTs. In 3.3, ECIES uses
// short-lived temporary key pairs (5 minutes) in both scopes instead.
//
// Every secret comparison in this package is constant-time, and all
// randomness comes from crypto/rand.
package protocol
