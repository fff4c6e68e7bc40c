package client

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mauth/mauth/protocol"
)

// Offline approval of operations: the bank shows a QR code, the app
// verifies it, shows the operation and computes a DECIMAL signature the
// user retypes into the bank's channel.
const (
	// uriOperationAuthorizeOffline is the URI id of offline approvals.
	uriOperationAuthorizeOffline = "/operation/authorize/offline"
	// OfflineSignatureComponentLength is the digits per offline signature
	// component (the server default).
	OfflineSignatureComponentLength = 8
	// offlineQRFields is the number of operation lines before the optional
	// proximity TOTP, the nonce and the signature line.
	offlineQRFields = 5
	// maxOfflineQRSize bounds the payload a client parses.
	maxOfflineQRSize = 64 << 10
)

// ErrOfflineQR is returned for an offline QR payload that is malformed or
// whose signature does not verify.
var ErrOfflineQR = errors.New("client: invalid offline QR payload")

// OfflineQR is a verified offline QR payload of an operation:
// "{ID}\n{TITLE}\n{MESSAGE}\n{DATA}\n{FLAGS}[\n{TOTP}]\n{NONCE}\n{KEY}{ECDSA}".
type OfflineQR struct {
	// OperationID, Title, Message and Data describe the operation; Data is
	// what the signature binds.
	OperationID, Title, Message, Data string
	// Flags are the UI flags: B (biometry allowed), X, F, C.
	Flags string
	// TOTP is the proximity-check code when the operation has one.
	TOTP string
	// Nonce is the Base64 nonce the offline signature uses.
	Nonce string
	// Personalized says the activation's server key signed the payload
	// (key indicator "1"); otherwise the master server key did ("0").
	Personalized bool
}

// BiometryAllowed says the operation accepts possession_biometry.
func (q *OfflineQR) BiometryAllowed() bool { return strings.ContainsRune(q.Flags, 'B') }

// ParseOfflineQR parses an offline QR payload and verifies its ECDSA
// signature: with serverPublicKey (the activation's KEY_SERVER_PUBLIC) for
// a personalized payload, with masterPublicKey for a non-personalized one
// (a nil key rejects that kind).
func ParseOfflineQR(payload string, serverPublicKey, masterPublicKey []byte) (*OfflineQR, error) {
	if len(payload) > maxOfflineQRSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrOfflineQR, len(payload))
	}
	lines := strings.Split(payload, "\n")
	if len(lines) < offlineQRFields+2 {
		return nil, fmt.Errorf("%w: %d lines", ErrOfflineQR, len(lines))
	}
	last := lines[len(lines)-1]
	if len(last) < 2 {
		return nil, fmt.Errorf("%w: no signature", ErrOfflineQR)
	}
	var key []byte
	switch last[0] {
	case '1':
		key = serverPublicKey
	case '0':
		key = masterPublicKey
	default:
		return nil, fmt.Errorf("%w: unknown key indicator", ErrOfflineQR)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no key for indicator %q", ErrOfflineQR, last[:1])
	}
	pub, err := protocol.ParsePublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("client: offline QR key: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(last[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not Base64", ErrOfflineQR)
	}
	signed := payload[:len(payload)-len(last)+1]
	if !pub.VerifyDER([]byte(signed), sig) {
		return nil, fmt.Errorf("%w: signature does not verify", ErrOfflineQR)
	}
	nonce := lines[len(lines)-2]
	if n, err := base64.StdEncoding.DecodeString(nonce); err != nil || len(n) != 16 {
		return nil, fmt.Errorf("%w: nonce is not 16 Base64 bytes", ErrOfflineQR)
	}
	q := &OfflineQR{
		OperationID: lines[0], Title: lines[1], Message: lines[2], Data: lines[3], Flags: lines[4],
		Nonce: nonce, Personalized: last[0] == '1',
	}
	if extra := lines[offlineQRFields : len(lines)-2]; len(extra) > 0 {
		q.TOTP = extra[0] // later lines are reserved for forward compatibility
	}
	if q.OperationID == "" || q.Data == "" {
		return nil, fmt.Errorf("%w: no operation id or data", ErrOfflineQR)
	}
	return q, nil
}

// OfflineSignature computes the DECIMAL offline signature of an operation
// from its verified QR payload: normalized data with method POST, URI id
// /operation/authorize/offline, the QR nonce, body
// "{operationId}&{operationData}" (plus "&{TOTP}" with a proximity check)
// and the application secret "offline". The factors must be
// possession_knowledge, or possession_biometry when the QR allows it. The
// device counter advances: save the device afterwards.
func (c *Client) OfflineSignature(d *Device, f Factors, q *OfflineQR) (string, error) {
	if d == nil || d.ActivationID == "" {
		return "", ErrNotActivated
	}
	if q == nil {
		return "", fmt.Errorf("%w: no payload", ErrOfflineQR)
	}
	switch {
	case f.Type == protocol.SignaturePossessionKnowledge:
	case f.Type == protocol.SignaturePossessionBiometry && q.BiometryAllowed():
	default:
		return "", fmt.Errorf("client: offline signature with %s is not allowed", f.Type)
	}
	nonce, err := base64.StdEncoding.DecodeString(q.Nonce)
	if err != nil {
		return "", fmt.Errorf("%w: nonce is not Base64", ErrOfflineQR)
	}
	body := q.OperationID + "&" + q.Data
	if q.TOTP != "" {
		body += "&" + q.TOTP
	}
	ks, err := d.signingKeysWith(f.PIN, c.cfg.PINKey)
	if err != nil {
		return "", err
	}
	data := protocol.SignatureData(protocol.RequestData("POST", uriOperationAuthorizeOffline, nonce, []byte(body)), protocol.OfflineApplicationSecret)
	return protocol.ComputeSignature(ks, f.Type, d.nextSignatureCounter(), data, protocol.FormatDecimal, OfflineSignatureComponentLength)
}
