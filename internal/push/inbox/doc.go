// Package inbox is the push server's inbox: one-way messages from the bank
// to a user (text or HTML with a subject and a summary), shown by the
// mobile apps of the applications they are posted to, which list them,
// open them and mark them read.
//
// The bank posts and manages messages through the push server API
// (/inbox/messages…, on the private listener, behind integration
// authentication) and the phone reads its own through the enrollment API
// (/api/inbox/…, MAC-token authentication). Both act within a Scope: the
// applications an integration is granted, or the user and application of
// the authenticated device. A message outside the scope answers exactly
// like a message that does not exist.
//
// When a message is posted with Notify, the Notifier port announces it to
// the user's registered devices (internal/app adapts it to the push
// notifier).
package inbox
