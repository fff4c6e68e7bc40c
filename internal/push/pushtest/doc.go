// Package pushtest runs fake APNs, FCM (with its OAuth2 token endpoint)
// and HMS (with its token endpoint) servers for tests. They speak TLS and
// HTTP/2 like the real providers and verify what the real provider would:
// the APNs provider JWT (ES256 only, signature with the public half of
// the test .p8, kid, iss, iat and Apple's refresh rules), the OAuth2
// grants and the bearer tokens they issued, the paths, headers and the
// shape of the JSON. They record what they receive and answer each
// outcome class on request, Retry-After included.
//
// Requests a real provider would refuse because the client is wrong are
// refused the way the provider refuses them and listed by Rejections, so
// a test can assert that a client made none.
package pushtest
