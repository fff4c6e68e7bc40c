// Package mobileutil is the mobile utility services of mauth: dynamic TLS
// pinning, server time and the app version policy that a mobile app asks
// for when it starts (GET /app/init), and their administration.
//
// Each application has its own ECDSA P-256 key pair, created with it; the
// private key is sealed with the server key (internal/secretbox). The app
// pins the public key at build time and checks the signature of every
// answer: ECDSA P-256 with SHA-256, DER-encoded, over the request's
// challenge, "&" and the exact response bytes (Sign, SignatureBase).
//
// Applications pin the certificates of their domains (fingerprints with
// expiry), added from PEM or fetched from a live TLS endpoint, removed one
// by one or by domain, and purged once expired. Version rules per
// application, platform and major OS version answer whether an app must
// (FORCED) or should (SUGGESTED) update, with a localised message.
//
// The package talks to the database through store.Store only; its HTTP
// surfaces are internal/api/mobileutil.
package mobileutil
