package bench

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/protocol"
)

// activationCryptoFixture holds what the server's activation crypto
// works on: the sealed master private key, one device request encrypted
// to a temporary key, and the application credentials.
type activationCryptoFixture struct {
	box          *secretbox.Box
	sealedMaster []byte
	tempPriv     *protocol.PrivateKey
	ectx         protocol.EciesContext
	request      *protocol.EncryptedRequest // layer 2 (activation data)
	l1ctx        protocol.EciesContext
	l1request    *protocol.EncryptedRequest // layer 1 (the envelope of layer 2)
	sealedTemp   []byte
	devicePriv   *protocol.PrivateKey
	serverPub    *protocol.PublicKey
}

// newActivationCryptoFixture builds the fixture of the activation bound.
func newActivationCryptoFixture() (*activationCryptoFixture, error) {
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		return nil, err
	}
	master, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	temp, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	device, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	appKey := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	appSecret := base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))
	f := &activationCryptoFixture{box: box, sealedMaster: box.Seal(master.Bytes(), "master"), tempPriv: temp,
		sealedTemp: box.Seal(temp.Bytes(), "temporary"), devicePriv: device}
	f.ectx = protocol.EciesContext{Version: protocol.Version33, SharedInfo1: protocol.SharedInfo1ActivationLayer2,
		ApplicationKey: appKey, ApplicationSecret: appSecret, TemporaryKeyID: uuid.NewString()}
	body := fmt.Appendf(nil, `{"activationCode":"%s","devicePublicKey":"%s","activationName":"bench","platform":"ios","deviceInfo":"iPhone"}`,
		protocol.GenerateActivationCode(), base64.StdEncoding.EncodeToString(device.Public().Uncompressed()))
	if f.request, _, err = protocol.EncryptRequest(temp.Public(), f.ectx, body, time.Now()); err != nil {
		return nil, err
	}
	l2, err := f.request.Marshal()
	if err != nil {
		return nil, err
	}
	f.l1ctx = f.ectx
	f.l1ctx.SharedInfo1 = protocol.SharedInfo1GenericApplication
	if f.l1request, _, err = protocol.EncryptRequest(temp.Public(), f.l1ctx, l2, time.Now()); err != nil {
		return nil, err
	}
	srv, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	f.serverPub = srv.Public()
	return f, nil
}

// activationCryptoOp is the activation's crypto bound: the ECDSA, ECDH,
// ECIES and sealing work the server does for one activation, without I/O:
//
//   - activation/init: open the sealed master private key, generate the
//     activation code and sign it (ECDSA);
//   - activation/create (protocol 3.3, both layers encrypted to the
//     application's temporary key, which the device reuses while it is
//     valid, as the SDK does): open the temporary key, decrypt layer 1
//     and layer 2 (each ECDH + KDF + AES + MAC), generate the activation's
//     server key pair, derive the activation keys (ECDH + KDF), seal the
//     server private key, encrypt both responses.
func activationCryptoOp(f *activationCryptoFixture) op {
	return func(context.Context, uint64) error {
		raw, err := f.box.Open(f.sealedMaster, "master")
		if err != nil {
			return err
		}
		master, err := protocol.ParsePrivateKey(raw)
		if err != nil {
			return err
		}
		if _, err := protocol.SignActivationCode(master, protocol.GenerateActivationCode()); err != nil {
			return err
		}
		if raw, err = f.box.Open(f.sealedTemp, "temporary"); err != nil {
			return err
		}
		temp, err := protocol.ParsePrivateKey(raw)
		if err != nil {
			return err
		}
		_, env1, err := protocol.DecryptRequest(temp, f.l1ctx, f.l1request)
		if err != nil {
			return err
		}
		plain, env2, err := protocol.DecryptRequest(temp, f.ectx, f.request)
		if err != nil {
			return err
		}
		srv, err := protocol.GenerateKeyPair()
		if err != nil {
			return err
		}
		devPub, err := devicePublicKeyOf(plain)
		if err != nil {
			return err
		}
		if _, err := protocol.DeriveActivationKeysECDH(srv, devPub); err != nil {
			return err
		}
		_ = f.box.Seal(srv.Bytes(), "activation")
		now := time.Now()
		resp, err := env2.EncryptResponse(fmt.Appendf(nil, `{"activationId":"%s","serverPublicKey":"%s","ctrData":"%s"}`, uuid.NewString(),
			base64.StdEncoding.EncodeToString(srv.Public().Uncompressed()), base64.StdEncoding.EncodeToString(protocol.RandomBytes(16))), now)
		if err != nil {
			return err
		}
		l2, err := json.Marshal(resp)
		if err != nil {
			return err
		}
		_, err = env1.EncryptResponse(l2, now)
		return err
	}
}

// generatorActivationOp is the device's own crypto of one activation, which
// the in-process load generator does on the same CPUs as the server: a
// key pair, both ECIES layers, the activation keys (ECDH + KDF), the PIN
// key (PBKDF2-SHA1, 10,000 iterations, as the client does) and the
// wrapping of the knowledge and device private keys.
func generatorActivationOp(f *activationCryptoFixture) op {
	return func(context.Context, uint64) error {
		dev, err := protocol.GenerateKeyPair()
		if err != nil {
			return err
		}
		for _, ectx := range []protocol.EciesContext{f.ectx, f.l1ctx} {
			if _, _, err := protocol.EncryptRequest(f.tempPriv.Public(), ectx, []byte(`{"activationCode":"x"}`), time.Now()); err != nil {
				return err
			}
		}
		ks, err := protocol.DeriveActivationKeysECDH(dev, f.serverPub)
		if err != nil {
			return err
		}
		pk, err := pbkdf2.Key(sha1.New, benchPIN, protocol.RandomBytes(16), 10000, 16)
		if err != nil {
			return err
		}
		if _, err := protocol.EncryptCBCNoPadding(pk, make([]byte, 16), ks.Knowledge); err != nil {
			return err
		}
		_, err = protocol.EncryptDevicePrivateKey(ks.Vault, dev)
		return err
	}
}

// devicePublicKeyOf reads devicePublicKey from a decrypted activation
// request (the fixture's own JSON: the field is at a known place).
func devicePublicKeyOf(plain []byte) (*protocol.PublicKey, error) {
	const field = `"devicePublicKey":"`
	i := bytes.Index(plain, []byte(field))
	if i < 0 {
		return nil, fmt.Errorf("activation bound: no device public key")
	}
	rest := plain[i+len(field):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, fmt.Errorf("activation bound: no device public key")
	}
	raw, err := base64.StdEncoding.DecodeString(string(rest[:j]))
	if err != nil {
		return nil, err
	}
	return protocol.ParsePublicKey(raw)
}

// tokenCryptoFixture holds a token secret and a digest to check, and an
// activation-scope request of /pa/v3/activation/detail.
type tokenCryptoFixture struct {
	secret, nonce, digest []byte
	timestamp             string
	tempPriv              *protocol.PrivateKey
	ectx                  protocol.EciesContext
	request               *protocol.EncryptedRequest
}

func newTokenCryptoFixture() (*tokenCryptoFixture, error) {
	temp, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	f := &tokenCryptoFixture{secret: protocol.NewTokenSecret(), nonce: protocol.RandomBytes(16), tempPriv: temp,
		timestamp: fmt.Sprint(time.Now().UnixMilli())}
	f.digest = protocol.TokenDigest(f.secret, f.nonce, f.timestamp, protocol.Version33)
	f.ectx = protocol.EciesContext{Version: protocol.Version33, SharedInfo1: protocol.SharedInfo1GenericActivation,
		ApplicationKey: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)), ApplicationSecret: base64.StdEncoding.EncodeToString(protocol.RandomBytes(16)),
		ActivationID: uuid.NewString(), TransportKey: protocol.RandomBytes(16), TemporaryKeyID: uuid.NewString()}
	f.request, _, err = protocol.EncryptRequest(temp.Public(), f.ectx, []byte("{}"), time.Now())
	return f, err
}

// tokenCryptoOp is the crypto bound of the token workload: the MAC token
// digest check, and the activation-scope ECIES decryption and response
// encryption /pa/v3/activation/detail needs (ECDH + KDF + AES + MAC),
// without I/O. The replay record of the digest is a database write, in
// the db-insert bound.
func tokenCryptoOp(f *tokenCryptoFixture) op {
	return func(context.Context, uint64) error {
		if !protocol.VerifyTokenDigest(f.secret, f.nonce, f.timestamp, protocol.Version33, f.digest) {
			return fmt.Errorf("token bound: the fixture digest does not verify")
		}
		_, env, err := protocol.DecryptRequest(f.tempPriv, f.ectx, f.request)
		if err != nil {
			return err
		}
		_, err = env.EncryptResponse([]byte(`{"activationId":"x","activationName":"bench"}`), time.Now())
		return err
	}
}
