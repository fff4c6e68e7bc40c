package client

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/mauth/mauth/protocol"
)

// signedQR builds an offline QR payload signed by key with indicator.
func signedQR(t testing.TB, key *protocol.PrivateKey, body, indicator string) string {
	t.Helper()
	nonce := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	signed := body + "\n" + nonce + "\n" + indicator
	sig, err := key.SignDER([]byte(signed))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return signed + base64.StdEncoding.EncodeToString(sig)
}

func TestParseOfflineQR(t *testing.T) {
	server, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	master, err := protocol.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	srv, mst := server.Public().Bytes(), master.Public().Bytes()
	const op = "5d2f0a5e-0000-4000-8000-000000000001\nPayment\nPay 100 CZK\nA1*A100CZK*ICZ12\nBX"
	good := signedQR(t, server, op, "1")
	withTOTP := signedQR(t, server, op+"\n12345678", "1")
	byMaster := signedQR(t, master, op, "0")
	tests := []struct {
		name    string
		payload string
		server  []byte
		master  []byte
		want    *OfflineQR
	}{
		{"personalized", good, srv, nil, &OfflineQR{OperationID: "5d2f0a5e-0000-4000-8000-000000000001", Title: "Payment", Message: "Pay 100 CZK", Data: "A1*A100CZK*ICZ12", Flags: "BX", Nonce: "MDEyMzQ1Njc4OWFiY2RlZg==", Personalized: true}},
		{"with proximity TOTP", withTOTP, srv, nil, &OfflineQR{OperationID: "5d2f0a5e-0000-4000-8000-000000000001", Title: "Payment", Message: "Pay 100 CZK", Data: "A1*A100CZK*ICZ12", Flags: "BX", TOTP: "12345678", Nonce: "MDEyMzQ1Njc4OWFiY2RlZg==", Personalized: true}},
		{"non-personalized", byMaster, nil, mst, &OfflineQR{OperationID: "5d2f0a5e-0000-4000-8000-000000000001", Title: "Payment", Message: "Pay 100 CZK", Data: "A1*A100CZK*ICZ12", Flags: "BX", Nonce: "MDEyMzQ1Njc4OWFiY2RlZg=="}},
		{"wrong key", good, mst, nil, nil},
		{"master-signed but indicator 1", signedQR(t, master, op, "1"), srv, mst, nil},
		{"no master key given", byMaster, srv, nil, nil},
		{"tampered data", strings.Replace(good, "A100CZK", "A900CZK", 1), srv, nil, nil},
		{"unknown indicator", signedQR(t, server, op, "2"), srv, srv, nil},
		{"too few lines", signedQR(t, server, "id\ntitle", "1"), srv, nil, nil},
		{"signature not Base64", good[:strings.LastIndexByte(good, '\n')+2] + "!!", srv, nil, nil},
		{"empty", "", srv, mst, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOfflineQR(tt.payload, tt.server, tt.master)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if *got != *tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := ParseOfflineQR(strings.Replace(good, "Payment", "Paymenx", 1), srv, nil); !errors.Is(err, ErrOfflineQR) {
		t.Fatalf("tampered: %v, want ErrOfflineQR", err)
	}
}

func FuzzParseOfflineQR(f *testing.F) {
	server, err := protocol.GenerateKeyPair()
	if err != nil {
		f.Fatal(err)
	}
	key := server.Public().Bytes()
	f.Add(signedQR(f, server, "id\ntitle\nmessage\nA1*A100CZK\nB", "1"))
	f.Add(signedQR(f, server, "id\ntitle\nmessage\nA1*A100CZK\nB\n12345678", "1"))
	f.Add("id\n\n\n\n\n\n\n0")
	f.Add("\n\n\n\n\n\nAAAAAAAAAAAAAAAAAAAAAA==\n1MEUCIQ")
	f.Fuzz(func(t *testing.T, payload string) {
		q, err := ParseOfflineQR(payload, key, key)
		if err == nil && (q.OperationID == "" || q.Data == "") {
			t.Fatalf("accepted %q without operation id or data", payload)
		}
	})
}
