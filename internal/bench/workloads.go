package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mauth/mauth/internal/secretbox"
	"github.com/mauth/mauth/internal/store"
	"github.com/mauth/mauth/protocol"
)

// pool hands out devices exclusively.
type pool chan *device

func newPool(devs []*device) pool {
	p := make(pool, len(devs))
	for _, d := range devs {
		p <- d
	}
	return p
}

// with runs fn with a device taken from the pool.
func (p pool) with(ctx context.Context, fn func(d *device) error) error {
	select {
	case d := <-p:
		defer func() { p <- d }()
		return fn(d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// verifyOp signs a small JSON body and posts it to /pa/v3/signature/validate.
func (t *target) verifyOp(p pool) op {
	return func(ctx context.Context, seq uint64) error {
		return p.with(ctx, func(d *device) error {
			body := fmt.Appendf(nil, `{"payment":%d,"amount":"100.00","currency":"EUR"}`, seq)
			ctr, counter := d.dev.CtrData, d.dev.Counter
			t0 := time.Now()
			hdr, err := d.signatureHeader(t.version, t.appKey, t.appSecret, factorMix(seq), "/pa/signature/validate", body)
			if err != nil {
				return err
			}
			t.signTime.Add(int64(time.Since(t0)))
			t.signCount.Add(1)
			err = t.post(ctx, "/pa/v3/signature/validate", body, protocol.HeaderAuthorization, hdr)
			var he *httpError
			if errors.As(err, &he) && (he.status == http.StatusServiceUnavailable || he.status == http.StatusTooManyRequests) {
				// Refused by admission control before any processing: the
				// server never saw this counter, so the device reuses it (a
				// long run of refusals would otherwise push the device past
				// the look-ahead window).
				d.dev.CtrData, d.dev.Counter = ctr, counter
			}
			return err
		})
	}
}

// post sends a raw request to the public API and drains the answer.
func (t *target) post(ctx context.Context, path string, body []byte, header, value string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.publicURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, value)
	resp, err := t.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return &httpError{status: resp.StatusCode, body: string(b)}
	}
	return nil
}

// tokenOp calls /pa/v3/activation/detail with the device's MAC token (an
// activation-scope encrypted body, as that endpoint requires).
func (t *target) tokenOp(p pool) op {
	return func(ctx context.Context, _ uint64) error {
		return p.with(ctx, func(d *device) error {
			_, err := t.device.Detail(ctx, d.dev, d.token)
			return err
		})
	}
}

// activationOp runs complete activations (init, key exchange, commit).
func (t *target) activationOp() op {
	return func(ctx context.Context, seq uint64) error {
		_, err := t.activate(ctx, fmt.Sprintf("bench-act-%d", seq))
		return err
	}
}

// dbRMWOp is the database bound: one transaction that locks an activation
// row, changes it and writes it back, through the server's own store.
func dbRMWOp(st store.Store, p pool) op {
	return func(ctx context.Context, _ uint64) error {
		return p.with(ctx, func(d *device) error {
			return st.InTx(ctx, func(tx store.Tx) error {
				a, err := tx.GetActivationForUpdate(ctx, d.dev.ActivationID)
				if err != nil {
					return err
				}
				a.LastUsed = time.Now().UTC().Truncate(time.Millisecond)
				a.Counter++
				return tx.UpdateActivation(ctx, &a)
			})
		})
	}
}

// cryptoFixture is one activation's server-side key material, as stored.
type cryptoFixture struct {
	box        *secretbox.Box
	sealedPriv []byte
	context    string
	devicePub  []byte
	ctrData    []byte
	data       []byte
	signature  string
	typ        protocol.SignatureType
}

// newCryptoFixture builds a sealed server key, a device key and a valid
// possession_knowledge signature two steps ahead of the stored counter.
func newCryptoFixture() (*cryptoFixture, error) {
	box, err := secretbox.New(secretbox.GenerateKey())
	if err != nil {
		return nil, err
	}
	srv, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	dev, err := protocol.GenerateKeyPair()
	if err != nil {
		return nil, err
	}
	keys, err := protocol.DeriveActivationKeysECDH(dev, srv.Public())
	if err != nil {
		return nil, err
	}
	f := &cryptoFixture{box: box, context: "activation/bench", devicePub: dev.Public().Uncompressed(), ctrData: protocol.RandomBytes(protocol.CtrDataSize), typ: protocol.SignaturePossessionKnowledge}
	f.sealedPriv = box.Seal(srv.Bytes(), f.context)
	f.data = protocol.SignatureData(protocol.RequestData(http.MethodPost, "/pa/signature/validate", protocol.RandomBytes(16), []byte(`{"amount":"100.00"}`)), "c2VjcmV0")
	ctr := protocol.NextCtrData(protocol.NextCtrData(f.ctrData))
	f.signature, err = protocol.ComputeSignature(keys, f.typ, ctr, f.data, protocol.FormatBase64, protocol.OnlineDecimalLength)
	return f, err
}

// cryptoOp is the crypto bound: what the server computes for one online
// verification (open the sealed server key, parse the device key, ECDH and
// key derivation, signature look-ahead), without I/O.
func cryptoOp(f *cryptoFixture) op {
	return func(context.Context, uint64) error {
		raw, err := f.box.Open(f.sealedPriv, f.context)
		if err != nil {
			return err
		}
		priv, err := protocol.ParsePrivateKey(raw)
		if err != nil {
			return err
		}
		pub, err := protocol.ParsePublicKey(f.devicePub)
		if err != nil {
			return err
		}
		keys, err := protocol.DeriveActivationKeysECDH(priv, pub)
		if err != nil {
			return err
		}
		r, err := protocol.VerifySignature(protocol.VerifyRequest{Keys: keys, Type: f.typ, CtrData: f.ctrData, Data: f.data, Signature: f.signature, Format: protocol.FormatBase64, DecimalLength: protocol.OnlineDecimalLength})
		if err != nil {
			return err
		}
		if !r.Valid {
			return fmt.Errorf("crypto bound: the fixture signature does not verify")
		}
		return nil
	}
}
