package protocol

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrInvalidSDKConfig is returned for a malformed mobile SDK configuration string.
var ErrInvalidSDKConfig = errors.New("protocol: invalid mobile SDK configuration")

// SDKConfig is what a mobile app needs to talk to one application version:
// the application key and secret and the application's master public key.
type SDKConfig struct {
	ApplicationKey    []byte // 16 bytes
	ApplicationSecret []byte // 16 bytes
	MasterPublicKey   []byte // SEC1 point
}

// sdkConfigFormat is the first byte of the configuration, its format version.
const sdkConfigFormat = 0x01

// sdkConfigKeyMasterV3 identifies the master server public key for crypto v3.
const sdkConfigKeyMasterV3 = 0x01

// String encodes the single configuration string the mobile SDKs (1.8+)
// accept: Base64 of 0x01 · varlen(appKey) · varlen(appSecret) · count(1) ·
// 0x01 · varlen(masterPublicKey).
func (c SDKConfig) String() string {
	b := []byte{sdkConfigFormat}
	b = appendVarBytes(b, c.ApplicationKey)
	b = appendVarBytes(b, c.ApplicationSecret)
	b = appendCount(b, 1)
	b = append(b, sdkConfigKeyMasterV3)
	b = appendVarBytes(b, c.MasterPublicKey)
	return base64.StdEncoding.EncodeToString(b)
}

// ParseSDKConfig decodes a configuration string made by SDKConfig.String.
func ParseSDKConfig(s string) (*SDKConfig, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not Base64", ErrInvalidSDKConfig)
	}
	r := &byteReader{b: b}
	if v, ok := r.byte(); !ok || v != sdkConfigFormat {
		return nil, fmt.Errorf("%w: unknown format", ErrInvalidSDKConfig)
	}
	var c SDKConfig
	if c.ApplicationKey, err = r.varBytes(); err != nil {
		return nil, err
	}
	if c.ApplicationSecret, err = r.varBytes(); err != nil {
		return nil, err
	}
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		id, ok := r.byte()
		if !ok {
			return nil, fmt.Errorf("%w: truncated", ErrInvalidSDKConfig)
		}
		key, err := r.varBytes()
		if err != nil {
			return nil, err
		}
		if id == sdkConfigKeyMasterV3 && c.MasterPublicKey == nil {
			c.MasterPublicKey = key
		}
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: trailing bytes", ErrInvalidSDKConfig)
	}
	if len(c.ApplicationKey) != 16 || len(c.ApplicationSecret) != 16 {
		return nil, fmt.Errorf("%w: application key and secret must be 16 bytes", ErrInvalidSDKConfig)
	}
	if _, err := ParsePublicKey(c.MasterPublicKey); err != nil {
		return nil, fmt.Errorf("%w: master public key: %v", ErrInvalidSDKConfig, err)
	}
	return &c, nil
}

func appendCount(b []byte, n int) []byte {
	switch {
	case n <= 0x7F:
		return append(b, byte(n))
	case n <= 0x3FFF:
		return append(b, 0x80|byte(n>>8), byte(n))
	default:
		return append(b, 0xC0|byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendVarBytes(b, data []byte) []byte {
	return append(appendCount(b, len(data)), data...)
}

type byteReader struct{ b []byte }

func (r *byteReader) byte() (byte, bool) {
	if len(r.b) == 0 {
		return 0, false
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v, true
}

func (r *byteReader) count() (int, error) {
	first, ok := r.byte()
	if !ok {
		return 0, fmt.Errorf("%w: truncated", ErrInvalidSDKConfig)
	}
	extra := 0
	switch first & 0xC0 {
	case 0x80:
		extra = 1
		first &= 0x3F
	case 0xC0:
		extra = 3
		first &= 0x3F
	}
	n := int(first)
	for i := 0; i < extra; i++ {
		v, ok := r.byte()
		if !ok {
			return 0, fmt.Errorf("%w: truncated", ErrInvalidSDKConfig)
		}
		n = n<<8 | int(v)
	}
	return n, nil
}

func (r *byteReader) varBytes() ([]byte, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n > len(r.b) {
		return nil, fmt.Errorf("%w: truncated", ErrInvalidSDKConfig)
	}
	v := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return v, nil
}
