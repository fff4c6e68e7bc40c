package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// peakRSS returns VmHWM of this process in KiB (0 where /proc is missing).
func peakRSS() int64 { return procStatusKiB("VmHWM:") }

// procStatusKiB reads a kB field of /proc/self/status.
func procStatusKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// currentRSS returns VmRSS of this process in KiB (0 where /proc is missing).
func currentRSS() int64 { return procStatusKiB("VmRSS:") }
