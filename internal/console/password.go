package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of console passwords (RFC 9106's second recommended
// option: 64 MiB, 3 passes). Hashes record their parameters, so they
// verify after a change of these values.
const (
	argonTime    = 3
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16

	// DefaultPasswordMemoryKiB is the memory cost of new hashes.
	DefaultPasswordMemoryKiB = 64 * 1024

	maxArgonMemoryKiB = 1 << 20
	maxArgonTime      = 64

	// MinPasswordLength is the shortest accepted password.
	MinPasswordLength = 12
	// maxPasswordLength bounds the input to the hash.
	maxPasswordLength = 1024
)

var b64 = base64.RawStdEncoding

// HashPassword returns the Argon2id hash of password in modular crypt
// format: $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>.
func HashPassword(password string, memoryKiB uint32) (string, error) {
	if memoryKiB == 0 {
		memoryKiB = DefaultPasswordMemoryKiB
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	sum := argon2.IDKey([]byte(password), salt, argonTime, memoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

// VerifyPassword reports whether password matches hash (constant-time
// comparison). Malformed hashes never match.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	if m == 0 || m > maxArgonMemoryKiB || t == 0 || t > maxArgonTime || p == 0 {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CheckPassword reports a password too short or too long for a console user.
func CheckPassword(password string) error {
	if len(password) < MinPasswordLength {
		return fmt.Errorf("password: must be at least %d characters", MinPasswordLength)
	}
	if len(password) > maxPasswordLength {
		return fmt.Errorf("password: must be at most %d characters", maxPasswordLength)
	}
	return nil
}
