package service

import (
	"slices"
	"strconv"
	"testing"
)

func TestNumberOptions(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	positions := map[int]int{}
	for right := 10; right <= 99; right++ {
		for _, id := range []string{"op-a", "op-b", "op-c"} {
			got := numberOptions(key, id, right)
			if len(got) != NumberMatchingOptionCount {
				t.Fatalf("%s/%d: %v", id, right, got)
			}
			seen := map[string]bool{}
			for _, n := range got {
				v, err := strconv.Atoi(n)
				if err != nil || v < 10 || v > 99 || seen[n] {
					t.Fatalf("%s/%d: bad options %v", id, right, got)
				}
				seen[n] = true
			}
			pos := slices.Index(got, strconv.Itoa(right))
			if pos < 0 {
				t.Fatalf("%s/%d: right number missing from %v", id, right, got)
			}
			positions[pos]++
			if again := numberOptions(key, id, right); !slices.Equal(again, got) {
				t.Fatalf("%s/%d: not deterministic: %v then %v", id, right, got, again)
			}
		}
	}
	for pos := range NumberMatchingOptionCount {
		if positions[pos] == 0 {
			t.Fatalf("the right number never sits at position %d: %v", pos, positions)
		}
	}
}
