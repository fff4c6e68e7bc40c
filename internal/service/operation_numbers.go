package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/mauth/mauth/internal/domain"
)

// NumberMatchingOptionCount is how many numbers the app offers the user
// to pick from when an operation uses number matching.
const NumberMatchingOptionCount = 3

// numberOptionsLabel separates the number-matching key from every other
// use of the application's master key.
const numberOptionsLabel = "mauth/operation/number-matching/v1"

// NumberMatchingOptions returns the numbers the app offers for op: three
// distinct two-digit numbers, one of them the number the web shows. The
// decoys and the position of the right number come from an HMAC over the
// operation id and its number, keyed by a server secret (derived from the
// newest master private key of the operation's first application), so
// every node and every call shows the same choice and the device cannot
// tell which one is right. It returns nil for an operation without number
// matching.
func (s *Service) NumberMatchingOptions(ctx context.Context, op domain.Operation) ([]string, error) {
	if op.NumberMatching == "" {
		return nil, nil
	}
	right, err := strconv.Atoi(op.NumberMatching)
	if err != nil || right < 10 || right > 99 {
		return nil, fmt.Errorf("number matching of operation %s is not a two-digit number", op.ID)
	}
	if len(op.ApplicationIDs) == 0 {
		return nil, fmt.Errorf("operation %s has no application", op.ID)
	}
	app, err := s.store.GetApplication(ctx, op.ApplicationIDs[0])
	if err != nil {
		return nil, fmt.Errorf("load application: %w", err)
	}
	master, _, err := s.masterKey(ctx, s.store, app)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, master.Bytes())
	mac.Write([]byte(numberOptionsLabel))
	return numberOptions(mac.Sum(nil), op.ID, right), nil
}

// numberOptions derives the options for the right number from key and the
// operation id: two distinct decoys in 10–99 other than right, and the
// right number at a derived position.
func numberOptions(key []byte, operationID string, right int) []string {
	var stream []byte
	block := uint32(0)
	next := func() byte {
		if len(stream) == 0 {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(operationID))
			mac.Write([]byte{0})
			mac.Write([]byte(strconv.Itoa(right)))
			mac.Write(binary.BigEndian.AppendUint32(nil, block))
			block++
			stream = mac.Sum(nil)
		}
		b := stream[0]
		stream = stream[1:]
		return b
	}
	nums := []int{}
	for len(nums) < NumberMatchingOptionCount-1 {
		b := next()
		if b >= 180 { // 180 = 2·90: no modulo bias
			continue
		}
		n := 10 + int(b)%90
		if n == right || (len(nums) > 0 && nums[0] == n) {
			continue
		}
		nums = append(nums, n)
	}
	var pos int
	for {
		b := next()
		if b < 255 { // 255 = 85·3
			pos = int(b) % NumberMatchingOptionCount
			break
		}
	}
	out := make([]string, 0, NumberMatchingOptionCount)
	for i, j := 0, 0; i < NumberMatchingOptionCount; i++ {
		if i == pos {
			out = append(out, strconv.Itoa(right))
			continue
		}
		out = append(out, strconv.Itoa(nums[j]))
		j++
	}
	return out
}
