package service

import (
	"context"
	"testing"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

func TestVerifyECDSASignature(t *testing.T) {
	svc, _ := newSQLiteService(t)
	ctx := context.Background()
	d := newActiveTestActivation(t, svc, createTestApp(t, svc))
	data := []byte("data signed by the device")
	der, err := d.DevicePriv.SignDER(data)
	if err != nil {
		t.Fatal(err)
	}
	jose, err := d.DevicePriv.SignJOSE(data)
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("other data")
	for _, tc := range []struct {
		name   string
		data   []byte
		sig    []byte
		format ECDSASignatureFormat
		want   bool
	}{
		{"DER valid", data, der, ECDSAFormatDER, true},
		{"DER other data", other, der, ECDSAFormatDER, false},
		{"DER given as JOSE", data, der, ECDSAFormatJOSE, false},
		{"DER garbage", data, []byte{0x30, 0x01}, ECDSAFormatDER, false},
		{"JOSE valid", data, jose, ECDSAFormatJOSE, true},
		{"JOSE other data", other, jose, ECDSAFormatJOSE, false},
		{"JOSE given as DER", data, jose, ECDSAFormatDER, false},
		{"JOSE short", data, jose[:63], ECDSAFormatJOSE, false},
		{"empty signature", data, []byte{}, ECDSAFormatDER, false},
	} {
		got, err := svc.VerifyECDSASignature(ctx, d.ActivationID, tc.data, tc.sig, tc.format)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v %v", tc.name, got, err)
		}
	}
	if ok, err := svc.VerifyECDSASignature(ctx, "00000000-0000-4000-8000-000000000000", data, der, ECDSAFormatDER); ok || err != nil {
		t.Errorf("unknown activation: %v %v", ok, err)
	}
	if _, err := svc.VerifyECDSASignature(ctx, "", data, der, ECDSAFormatDER); CodeOf(err) != CodeInvalidRequest {
		t.Errorf("no activation id: %v", err)
	}
	if _, err := svc.VerifyECDSASignature(ctx, d.ActivationID, nil, der, ECDSAFormatDER); CodeOf(err) != CodeInvalidRequest {
		t.Errorf("no data: %v", err)
	}
	if _, err := svc.VerifyECDSASignature(ctx, d.ActivationID, data, der, ECDSASignatureFormat(7)); CodeOf(err) != CodeInvalidRequest {
		t.Errorf("bad format: %v", err)
	}
	// A FIDO2 activation has no PowerAuth device key.
	if err := svc.store.InTx(ctx, func(tx store.Tx) error {
		a, err := tx.GetActivationForUpdate(ctx, d.ActivationID)
		if err != nil {
			return err
		}
		a.Protocol = domain.ProtocolFIDO2
		return tx.UpdateActivation(ctx, &a)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.VerifyECDSASignature(ctx, d.ActivationID, data, der, ECDSAFormatDER); CodeOf(err) != CodeInvalidRequest {
		t.Errorf("fido2 activation: %v", err)
	}

	for name, tc := range map[string]struct {
		want ECDSASignatureFormat
		ok   bool
	}{"": {ECDSAFormatDER, true}, "DER": {ECDSAFormatDER, true}, "JOSE": {ECDSAFormatJOSE, true}, "der": {0, false}, "RAW": {0, false}} {
		got, err := ParseECDSASignatureFormat(name)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parse %q: %v %v", name, got, err)
		}
	}
}
