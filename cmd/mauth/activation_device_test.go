package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIActivationDeviceFilters: `mauth activation status` shows the
// User-Agent stored at the key exchange (the simulator's Go client sends
// no SDK User-Agent, so it is stored raw and nothing is parsed) and
// `mauth activation list` filters by --platform, --os-major and
// --os-version.
func TestCLIActivationDeviceFilters(t *testing.T) {
	testServer(t)
	state := filepath.Join(t.TempDir(), "phone.json")
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	act := run(t, "activation", "init", "--app", "bank", "--user", "carol")
	run(t, "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["QR code string"], "--pin", "1234", "--platform", "android")
	id := act["activation id"]
	st := run(t, "activation", "status", id)
	if st["platform"] != "android" || !strings.HasPrefix(st["user agent"], "Go-http-client/") || st["os"] != "" {
		t.Fatalf("activation status: %v", st)
	}
	list := func(args ...string) string {
		t.Helper()
		out, err := execute(t, append([]string{"activation", "list", "--user", "carol"}, args...)...)
		if err != nil {
			t.Fatalf("activation list %v: %v\n%s", args, err, out)
		}
		return out
	}
	if out := list("--platform", "ios,ANDROID"); !strings.Contains(out, id) || !strings.Contains(out, "MODEL") {
		t.Fatalf("--platform ios,ANDROID:\n%s", out)
	}
	if out := list("--platform", "ios"); strings.Contains(out, id) {
		t.Fatalf("--platform ios:\n%s", out)
	}
	if out := list("--os-major", "16"); strings.Contains(out, id) {
		t.Fatalf("--os-major 16 (no OS known):\n%s", out)
	}
	if out := list("--os-version", "16.6"); strings.Contains(out, id) {
		t.Fatalf("--os-version 16.6:\n%s", out)
	}
	if _, err := execute(t, "activation", "list", "--user", "carol", "--os-major", "0"); err == nil || !strings.Contains(err.Error(), "ERR0024") {
		t.Fatalf("--os-major 0: %v", err)
	}
}
