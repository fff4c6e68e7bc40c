package service

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 parameters of stored PUK and activation OTP hashes (argon2i,
// version 0x13). The memory cost comes from Config.RecoveryPUKHashMemoryKiB
// and is recorded in every hash, so hashes made with one setting verify
// under another.
const (
	argon2Version     = argon2.Version // 0x13 = 19
	argon2Iterations  = 3
	argon2Parallelism = 16
	argon2KeyLength   = 32
	argon2SaltLength  = 16

	// argon2MaxMemoryKiB bounds the memory cost accepted from a stored hash
	// (1 GiB), so a corrupted record cannot exhaust memory.
	argon2MaxMemoryKiB = 1 << 20
	// argon2MaxIterations bounds the time cost accepted from a stored hash.
	argon2MaxIterations = 64
)

var argon2B64 = base64.RawStdEncoding

// hashSecret hashes a secret (PUK, activation OTP) with argon2i and a
// fresh random salt and returns it in modular crypt format:
// $argon2i$v=19$m=<KiB>,t=3,p=16$<salt>$<hash> (unpadded standard Base64).
func (s *Service) hashSecret(secret string) (string, error) {
	salt := make([]byte, argon2SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2 salt: %w", err)
	}
	m := s.cfg.RecoveryPUKHashMemoryKiB
	if m == 0 {
		m = DefaultConfig().RecoveryPUKHashMemoryKiB
	}
	sum := argon2.Key([]byte(secret), salt, argon2Iterations, m, argon2Parallelism, argon2KeyLength)
	return fmt.Sprintf("$argon2i$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, m, argon2Iterations, argon2Parallelism,
		argon2B64.EncodeToString(salt), argon2B64.EncodeToString(sum)), nil
}

// verifySecret reports whether secret matches an MCF hash made by
// hashSecret. Malformed or unsupported hashes never match. The comparison
// of the derived values is constant-time.
func (s *Service) verifySecret(hash, secret string) bool {
	p, ok := parseArgon2Hash(hash)
	if !ok {
		return false
	}
	sum := argon2.Key([]byte(secret), p.salt, p.time, p.memory, p.threads, uint32(len(p.sum)))
	return subtle.ConstantTimeCompare(sum, p.sum) == 1
}

// argon2Hash is a parsed MCF argon2i hash.
type argon2Hash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	sum     []byte
}

// parseArgon2Hash parses `$argon2i$v=19$m=…,t=…,p=…$<salt>$<hash>`,
// rejecting anything else (other variants, versions, out-of-range costs,
// bad Base64).
func parseArgon2Hash(hash string) (argon2Hash, bool) {
	var h argon2Hash
	parts := strings.Split(hash, "$")
	// "", "argon2i", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2i" {
		return h, false
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return h, false
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, false
	}
	m, ok := argon2Param(params[0], "m=", 32)
	if !ok || m < 8 || m > argon2MaxMemoryKiB {
		return h, false
	}
	t, ok := argon2Param(params[1], "t=", 32)
	if !ok || t < 1 || t > argon2MaxIterations {
		return h, false
	}
	p, ok := argon2Param(params[2], "p=", 8)
	if !ok || p < 1 {
		return h, false
	}
	salt, err := argon2B64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return h, false
	}
	sum, err := argon2B64.Strict().DecodeString(parts[5])
	if err != nil || len(sum) < 16 || len(sum) > 64 {
		return h, false
	}
	h = argon2Hash{memory: uint32(m), time: uint32(t), threads: uint8(p), salt: salt, sum: sum}
	return h, true
}

// argon2Param parses one "k=<decimal>" parameter.
func argon2Param(s, prefix string, bits int) (uint64, bool) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, false
	}
	return n, true
}
