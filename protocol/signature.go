package protocol

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SignatureFormat is the textual form of a multi-factor signature.
type SignatureFormat int

// Signature formats: DECIMAL (3.0 online, every offline signature) and BASE64 (3.1+ online).
const (
	FormatDecimal SignatureFormat = iota
	FormatBase64
)

// Signature parameters defined by the protocol.
const (
	// OnlineDecimalLength is the component length of online DECIMAL signatures.
	OnlineDecimalLength = 8
	// MinOfflineDecimalLength and MaxOfflineDecimalLength bound offline component lengths.
	MinOfflineDecimalLength = 4
	MaxOfflineDecimalLength = 8
	// DefaultLookAhead is the server's default counter look-ahead window.
	DefaultLookAhead = 20
	// OfflineApplicationSecret replaces the application secret in offline signature data.
	OfflineApplicationSecret = "offline"
	// CtrDataSize is the size of the hash-based counter.
	CtrDataSize = 16
)

// ErrInvalidSignatureInput is returned for keys, counters or lengths that cannot produce a signature.
var ErrInvalidSignatureInput = errors.New("protocol: invalid signature input")

// SignatureFormatForVersion returns the online signature format of a
// pa_version: DECIMAL for "3.0" (and 2.x), BASE64 for 3.1 and later.
func SignatureFormatForVersion(version string) SignatureFormat {
	major, minor, ok := splitVersion(version)
	if !ok || major < 3 || (major == 3 && minor < 1) {
		return FormatDecimal
	}
	return FormatBase64
}

func splitVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	return ma, mi, err1 == nil && err2 == nil
}

// NextCtrData advances the hash-based counter: convert32Bto16B(SHA256(ctr)).
func NextCtrData(ctr []byte) []byte {
	h := sha256.Sum256(ctr)
	return Convert32To16(h[:])
}

// CtrDataV2 is the counter input of legacy protocol 2: 0x00×8 || BE64(counter).
func CtrDataV2(counter uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[8:], counter)
	return b
}

// FactorKeys returns the signature keys of t in signature order.
func (k *ActivationKeys) FactorKeys(t SignatureType) ([][]byte, error) {
	fs := t.Factors()
	if len(fs) == 0 {
		return nil, fmt.Errorf("%w: signature type %q", ErrInvalidSignatureInput, t)
	}
	keys := make([][]byte, len(fs))
	for i, f := range fs {
		switch f {
		case FactorPossession:
			keys[i] = k.Possession
		case FactorKnowledge:
			keys[i] = k.Knowledge
		case FactorBiometry:
			keys[i] = k.Biometry
		}
		if len(keys[i]) != KeySize {
			return nil, fmt.Errorf("%w: missing key for factor %d", ErrInvalidSignatureInput, f)
		}
	}
	return keys, nil
}

// SignatureComponents computes the 32-byte signature components for the
// factor keys (1 to 3, in signature order) over the counter and data.
func SignatureComponents(keys [][]byte, ctrData, data []byte) ([][]byte, error) {
	if len(keys) == 0 || len(keys) > 3 {
		return nil, fmt.Errorf("%w: %d factor keys", ErrInvalidSignatureInput, len(keys))
	}
	if len(ctrData) != CtrDataSize {
		return nil, fmt.Errorf("%w: counter of %d bytes", ErrInvalidSignatureInput, len(ctrData))
	}
	// HMAC(k[i], ctr) is needed once per factor; compute it once.
	keyed := make([][]byte, len(keys))
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: factor key of %d bytes", ErrInvalidSignatureInput, len(k))
		}
		keyed[i] = HMACSHA256(k, ctrData)
	}
	out := make([][]byte, len(keys))
	for i := range keys {
		dk := keyed[i]
		for j := 0; j < i; j++ {
			dk = HMACSHA256(keyed[j+1], dk)
		}
		out[i] = HMACSHA256(dk, data)
	}
	return out, nil
}

// FormatSignature renders components as BASE64 (last 16 bytes of each,
// concatenated) or DECIMAL (components of decimalLength digits joined by '-').
func FormatSignature(components [][]byte, format SignatureFormat, decimalLength int) (string, error) {
	switch format {
	case FormatBase64:
		buf := make([]byte, 0, 16*len(components))
		for _, c := range components {
			buf = append(buf, c[16:32]...)
		}
		return base64.StdEncoding.EncodeToString(buf), nil
	case FormatDecimal:
		if decimalLength < MinOfflineDecimalLength || decimalLength > MaxOfflineDecimalLength {
			return "", fmt.Errorf("%w: decimal component length %d", ErrInvalidSignatureInput, decimalLength)
		}
		mod := uint32(1)
		for i := 0; i < decimalLength; i++ {
			mod *= 10
		}
		parts := make([]string, len(components))
		for i, c := range components {
			v := (binary.BigEndian.Uint32(c[28:32]) & 0x7FFFFFFF) % mod
			parts[i] = fmt.Sprintf("%0*d", decimalLength, v)
		}
		return strings.Join(parts, "-"), nil
	}
	return "", fmt.Errorf("%w: unknown format %d", ErrInvalidSignatureInput, format)
}

// ComputeSignature computes a signature of type t over data with the
// counter ctrData. decimalLength is used only for FormatDecimal.
func ComputeSignature(keys *ActivationKeys, t SignatureType, ctrData, data []byte, format SignatureFormat, decimalLength int) (string, error) {
	fk, err := keys.FactorKeys(t)
	if err != nil {
		return "", err
	}
	comps, err := SignatureComponents(fk, ctrData, data)
	if err != nil {
		return "", err
	}
	return FormatSignature(comps, format, decimalLength)
}

// VerifyRequest describes one online or offline signature to verify.
type VerifyRequest struct {
	Keys          *ActivationKeys
	Type          SignatureType
	CtrData       []byte // the server's next expected CTR_DATA
	Data          []byte // normalized data, including the application secret
	Signature     string
	Format        SignatureFormat
	DecimalLength int // component length for FormatDecimal (8 online)
	LookAhead     int // how many counter steps to try (DefaultLookAhead when 0)
}

// VerifyResult reports the outcome of VerifySignature.
type VerifyResult struct {
	Valid bool
	// Step is how many counter steps past CtrData the match was (0 = exact).
	Step int
	// NextCtrData is the counter the server must store after a match: next(matched).
	NextCtrData []byte
}

// VerifySignature tries the counter values CtrData, next(CtrData), ... up to
// LookAhead values and reports which one matched. Each comparison is
// constant-time; the search stops at the first match (the step count only
// tells how many signatures the server missed, which is no secret).
func VerifySignature(r VerifyRequest) (VerifyResult, error) {
	fk, err := r.Keys.FactorKeys(r.Type)
	if err != nil {
		return VerifyResult{}, err
	}
	if len(r.CtrData) != CtrDataSize {
		return VerifyResult{}, fmt.Errorf("%w: counter of %d bytes", ErrInvalidSignatureInput, len(r.CtrData))
	}
	la := r.LookAhead
	if la <= 0 {
		la = DefaultLookAhead
	}
	length := r.DecimalLength
	if r.Format == FormatDecimal && length == 0 {
		length = OnlineDecimalLength
	}
	provided := []byte(r.Signature)
	ctr := r.CtrData
	for step := 0; step < la; step++ {
		comps, err := SignatureComponents(fk, ctr, r.Data)
		if err != nil {
			return VerifyResult{}, err
		}
		sig, err := FormatSignature(comps, r.Format, length)
		if err != nil {
			return VerifyResult{}, err
		}
		next := NextCtrData(ctr)
		if subtle.ConstantTimeCompare([]byte(sig), provided) == 1 {
			return VerifyResult{Valid: true, Step: step, NextCtrData: next}, nil
		}
		ctr = next
	}
	return VerifyResult{Step: -1}, nil
}

// RequestData returns the normalized request data without the application
// secret: METHOD "&" B64(uriId) "&" nonceB64 "&" B64(body).
// The enrollment layer passes this string to the core, which appends the secret.
func RequestData(method, uriID string, nonce, body []byte) string {
	enc := base64.StdEncoding
	return strings.ToUpper(method) + "&" + enc.EncodeToString([]byte(uriID)) + "&" +
		enc.EncodeToString(nonce) + "&" + enc.EncodeToString(body)
}

// SignatureData returns the full normalized data a signature covers:
// RequestData "&" applicationSecret (the Base64 text, not decoded).
func SignatureData(requestData, applicationSecret string) []byte {
	return []byte(requestData + "&" + applicationSecret)
}

// CanonicalQuery builds the "body" of a GET or DELETE signature from query
// parameters: decoded, sorted by key then value, form-encoded as k=v, joined by '&'.
func CanonicalQuery(values url.Values) string {
	type kv struct{ k, v string }
	var all []kv
	for k, vs := range values {
		for _, v := range vs {
			all = append(all, kv{k, v})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].k != all[j].k {
			return all[i].k < all[j].k
		}
		return all[i].v < all[j].v
	})
	parts := make([]string, len(all))
	for i, p := range all {
		parts[i] = url.QueryEscape(p.k) + "=" + url.QueryEscape(p.v)
	}
	return strings.Join(parts, "&")
}
