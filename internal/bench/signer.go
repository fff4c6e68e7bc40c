package bench

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/mauth/mauth/client"
	"github.com/mauth/mauth/protocol"
)

// pinKDFIterations is the PBKDF2 iteration count the Go client uses for
// the PIN key (client/device.go); the bench unwraps the knowledge key once
// per device instead of once per request, as a phone's PIN entry would not
// run on the server either.
const pinKDFIterations = 10000

// device is one activated bench device with its unwrapped factor keys. It
// is used by one request at a time (the pool hands it out exclusively), so
// its counter always advances in the order the server sees the requests.
type device struct {
	dev   *client.Device
	keys  *protocol.ActivationKeys
	token *client.Token
	// user is the device's user id (operations are created for it).
	user string
}

// newDevice unwraps the knowledge key of an activated client device.
func newDevice(d *client.Device, pin string) (*device, error) {
	pk, err := pbkdf2.Key(sha1.New, pin, d.PINSalt, pinKDFIterations, 16)
	if err != nil {
		return nil, fmt.Errorf("derive PIN key: %w", err)
	}
	kn, err := protocol.DecryptCBCNoPadding(pk, make([]byte, 16), d.WrappedKnowledgeKey)
	if err != nil {
		return nil, fmt.Errorf("unwrap knowledge key: %w", err)
	}
	return &device{dev: d, keys: &protocol.ActivationKeys{Possession: d.PossessionKey, Knowledge: kn, Biometry: d.BiometryKey, Transport: d.TransportKey}}, nil
}

// signatureHeader computes X-PowerAuth-Authorization for a POST of body to
// uriID and advances the device counter, exactly as the Go client does.
func (d *device) signatureHeader(version, appKey, appSecret string, t protocol.SignatureType, uriID string, body []byte) (string, error) {
	nonce := protocol.RandomBytes(16)
	data := protocol.SignatureData(protocol.RequestData(http.MethodPost, uriID, nonce, body), appSecret)
	ctr := d.dev.CtrData
	d.dev.CtrData = protocol.NextCtrData(ctr)
	d.dev.Counter++
	sig, err := protocol.ComputeSignature(d.keys, t, ctr, data, protocol.SignatureFormatForVersion(version), protocol.OnlineDecimalLength)
	if err != nil {
		return "", fmt.Errorf("compute signature: %w", err)
	}
	return protocol.AuthorizationHeader{
		Version:        version,
		ActivationID:   d.dev.ActivationID,
		ApplicationKey: appKey,
		Nonce:          base64.StdEncoding.EncodeToString(nonce),
		SignatureType:  t,
		Signature:      sig,
	}.String(), nil
}

// factorMix picks the factor combination of the i-th request: 70 %
// possession_knowledge, 20 % possession_biometry, 10 % possession.
func factorMix(i uint64) protocol.SignatureType {
	switch r := i % 10; {
	case r < 7:
		return protocol.SignaturePossessionKnowledge
	case r < 9:
		return protocol.SignaturePossessionBiometry
	default:
		return protocol.SignaturePossession
	}
}
