package apns_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mauth/mauth/internal/push/apns"
	"github.com/mauth/mauth/internal/push/provider"
	"github.com/mauth/mauth/internal/push/pushtest"
)

// BenchmarkAPNsSend sends to the fake APNs over TLS + HTTP/2 from 64
// parallel senders per CPU and reports notifications/s:
//
//   - client: the real client (payload mapping, cached JWT, headers,
//     outcome classification);
//   - fake-ceiling: raw pre-built requests on the same kind of HTTP/2
//     connection, the most the fake (and the transport) can take on this
//     machine; the client's rate is meaningful as a ratio to it.
//
// Run: go test -run '^$' -bench BenchmarkAPNsSend -benchtime 20000x ./internal/push/apns/
func BenchmarkAPNsSend(b *testing.B) {
	p8, pub := pushtest.NewAPNsKey(b)
	// A fresh fake per run: Apple (and the fake) refuse a new provider
	// token less than 20 minutes after the previous one.
	newFake := func(b *testing.B) *pushtest.APNs {
		f := pushtest.NewAPNs(b, pushtest.APNsConfig{Key: pub, KeyID: keyID, TeamID: teamID, Topic: topic})
		f.SetRecording(false)
		return f
	}
	firstRejection := func(f *pushtest.APNs) string {
		if r := f.Rejections(); len(r) > 0 {
			return r[0]
		}
		return ""
	}
	msg := provider.Message{
		Title: "Payment approval", Body: "Approve a payment of 100 EUR", Sound: "default", Category: "OPERATION",
		Extras: map[string]any{"messageType": "mtoken.operationInit", "operationId": "8c1c5a7e-7bde-4f4b-a4c2-1b0b6a3d9e11", "operationName": "payment"},
	}

	b.Run("client", func(b *testing.B) {
		fake := newFake(b)
		c, err := apns.New(apns.Config{KeyP8: p8, KeyID: keyID, TeamID: teamID, Topic: topic,
			DevelopmentURL: fake.URL(), HTTPClient: fake.Client()})
		if err != nil {
			b.Fatal(err)
		}
		before := fake.Count()
		b.SetParallelism(64)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := c.Send(context.Background(), provider.Target{Token: token}, msg)
				if err != nil || res.Outcome != provider.Delivered {
					b.Errorf("send: %+v %v %s", res, err, firstRejection(fake))
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
		if got := fake.Count() - before; got != int64(b.N) {
			b.Fatalf("fake received %d of %d", got, b.N)
		}
	})

	b.Run("fake-ceiling", func(b *testing.B) {
		fake := newFake(b)
		blk, _ := pem.Decode(p8)
		k, _ := x509.ParsePKCS8PrivateKey(blk.Bytes)
		jwt, err := provider.SignJWT(k.(*ecdsa.PrivateKey), map[string]any{"kid": keyID},
			map[string]any{"iss": teamID, "iat": time.Now().Unix()})
		if err != nil {
			b.Fatal(err)
		}
		payload, _ := apns.Payload(msg)
		hc := fake.Client()
		url := fake.URL() + "/3/device/" + token
		b.SetParallelism(64)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
				req.Header.Set("authorization", "bearer "+jwt)
				req.Header.Set("apns-topic", topic)
				req.Header.Set("apns-push-type", "alert")
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d: %s", resp.StatusCode, firstRejection(fake))
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
}
