// Package callbacks keeps the callback configuration of applications,
// writes callback events to the outbox (pa_application_callback_event) and
// delivers them to the banks' callback URLs. It is a building block: it
// imports only domain, store, secretbox and netguard, never the core
// service or an HTTP surface (the archtest rule
// audit-callbacks-building-blocks), so the core and every vertical use it.
//
// The configuration (Registry: Validate, CheckURLs, Create, Update,
// Remove, List) and the outbox (Enqueue, EnqueueActivation,
// EnqueueOperation) work over the caller's store transaction: the core
// writes an event in the transaction that changes the state it reports,
// and a callback change with its audit record. A Dispatcher claims due
// events (SELECT … FOR UPDATE SKIP LOCKED, so several mauth nodes can run
// one each), POSTs their JSON payload and records the outcome: any 2xx
// answer completes the event, anything else schedules a retry with
// exponential back-off until the callback's maxAttempts, then fails it. Delivery is at least once and in order per
// callback and activation (or operation): the next event of an activation
// is not sent before the previous one completed or failed. A dispatcher
// that dies mid-delivery leaves its events PROCESSING; they are claimed
// again once their rerun time has passed.
//
// Every request carries
//
//	Content-Type: application/json
//	Idempotency-Key: <uuid, the same for every attempt of an event>
//	X-Mauth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
//
// where secret is the callback's signing secret (Registry.SigningSecret).
// Receivers check the header with VerifySignature. Authentication to the
// receiver is per callback: HTTP Basic or an OAuth 2.0 client-credentials
// bearer token (cached until it expires).
//
// Deliveries and token requests connect only to the addresses the
// registry's policy allows (Registry.Policy, see internal/netguard): every connection resolves the host itself and
// refuses loopback, link-local, private and other internal addresses that
// the operator's allow-list does not name. Redirects are not followed and
// proxies from the environment are not used.
package callbacks
