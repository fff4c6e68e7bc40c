package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDeviceMine: from one device the user lists their devices (token),
// blocks and removes another one (two-factor signature); another user's
// device is not found.
func TestDeviceMine(t *testing.T) {
	testServer(t)
	dir := t.TempDir()
	sdk := run(t, "app", "create", "bank")["mobile SDK config"]
	activate := func(user, file string) (string, string) {
		act := run(t, "activation", "init", "--app", "bank", "--user", user)
		state := filepath.Join(dir, file)
		out := run(t, "device", "activate", "--state", state, "--sdk-config", sdk, "--code", act["activation code"], "--pin", "9562", "--name", file)
		run(t, "activation", "commit", out["activation id"])
		return state, out["activation id"]
	}
	phone, phoneID := activate("alice", "phone")
	_, tabletID := activate("alice", "tablet")
	_, bobID := activate("bob", "bob")
	run(t, "device", "token", "create", "--state", phone, "--pin", "9562")

	out, err := execute(t, "device", "mine", "list", "--state", phone)
	if err != nil {
		t.Fatalf("mine list: %v\n%s", err, out)
	}
	if !strings.Contains(out, "*  "+phoneID) || !strings.Contains(out, tabletID) || strings.Contains(out, bobID) {
		t.Fatalf("mine list:\n%s", out)
	}
	fail(t, "DEVICE_NOT_FOUND", "device", "mine", "block", "--state", phone, "--pin", "9562", bobID)
	fail(t, "POWERAUTH_AUTH_FAIL", "device", "mine", "block", "--state", phone, "--pin", "9562", "--factors", "possession", tabletID)
	if got := run(t, "device", "mine", "block", "--state", phone, "--pin", "9562", tabletID); got["status"] != "BLOCKED" {
		t.Fatalf("block: %v", got)
	}
	if st := run(t, "activation", "status", tabletID); st["status"] != "BLOCKED" {
		t.Fatalf("tablet: %v", st)
	}
	run(t, "device", "mine", "remove", "--state", phone, "--pin", "9562", tabletID)
	if st := run(t, "activation", "status", tabletID); st["status"] != "REMOVED" {
		t.Fatalf("tablet: %v", st)
	}
	if st := run(t, "activation", "status", bobID); st["status"] != "ACTIVE" {
		t.Fatalf("bob: %v", st)
	}
	out, err = execute(t, "device", "mine", "activity", "--state", phone, "--size", "2")
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, "more: --before ") || !strings.Contains(out, "DEVICE") {
		t.Fatalf("mine activity: %v\n%s", err, out)
	}
	cursor := strings.TrimSpace(out[strings.Index(out, "more: --before ")+len("more: --before "):])
	out, err = execute(t, "device", "mine", "activity", "--state", phone, "--before", cursor)
	if err != nil || !strings.Contains(out, "SIGNATURE") || strings.Contains(out, bobID) {
		t.Fatalf("mine activity page 2: %v\n%s", err, out)
	}
}
