// Package storetest is the conformance suite every store.Store backend runs.
//
// A backend's tests call RunTests with a factory that returns a fresh,
// migrated, empty store (and closes it in t.Cleanup); benchmarks call
// BenchmarkActivationCounterUpdate. The suite checks every method —
// round trips, not-found and already-exists errors, filters, ordering and
// paging — and the concurrency guarantees the services rely on: no lost
// updates under row locks, exactly one winner of a compare-and-set or of a
// replayed unique value, and state machines that stay legal under
// concurrent transitions.
package storetest

import (
	"testing"

	"github.com/mauth/mauth/internal/store"
)

// Factory returns a fresh, migrated, empty store that is closed when t ends.
type Factory func(t *testing.T) store.Store

// RunTests runs the whole conformance suite against stores from newStore.
func RunTests(t *testing.T, newStore Factory) {
	t.Run("Schema", func(t *testing.T) { testSchema(t, newStore(t)) })
	t.Run("Applications", func(t *testing.T) { testApplications(t, newStore(t)) })
	t.Run("ApplicationVersions", func(t *testing.T) { testApplicationVersions(t, newStore(t)) })
	t.Run("MasterKeyPairs", func(t *testing.T) { testMasterKeyPairs(t, newStore(t)) })
	t.Run("ApplicationConfigs", func(t *testing.T) { testApplicationConfigs(t, newStore(t)) })
	t.Run("ApplicationDelete", func(t *testing.T) { testApplicationDelete(t, newStore(t)) })
	t.Run("ApplicationRevision", func(t *testing.T) { testApplicationRevision(t, newStore(t)) })
	t.Run("Activations", func(t *testing.T) { testActivations(t, newStore(t)) })
	t.Run("ActivationCodes", func(t *testing.T) { testActivationCodes(t, newStore(t)) })
	t.Run("ActivationCompareAndSwap", func(t *testing.T) { testActivationCompareAndSwap(t, newStore(t)) })
	t.Run("ListActivations", func(t *testing.T) { testListActivations(t, newStore(t)) })
	t.Run("LookupActivations", func(t *testing.T) { testLookupActivations(t, newStore(t)) })
	t.Run("DeviceFilters", func(t *testing.T) { testDeviceFilters(t, newStore(t)) })
	t.Run("ExpiredActivations", func(t *testing.T) { testExpiredActivations(t, newStore(t)) })
	t.Run("ActivationDelete", func(t *testing.T) { testActivationDelete(t, newStore(t)) })
	t.Run("ActivationHistory", func(t *testing.T) { testActivationHistory(t, newStore(t)) })
	t.Run("SignatureAudits", func(t *testing.T) { testSignatureAudits(t, newStore(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, newStore(t)) })
	t.Run("Integrations", func(t *testing.T) { testIntegrations(t, newStore(t)) })
	t.Run("CallbackURLs", func(t *testing.T) { testCallbackURLs(t, newStore(t)) })
	t.Run("RecoveryCodes", func(t *testing.T) { testRecoveryCodes(t, newStore(t)) })
	t.Run("RecoveryPUKs", func(t *testing.T) { testRecoveryPUKs(t, newStore(t)) })
	t.Run("RecoveryConfigs", func(t *testing.T) { testRecoveryConfigs(t, newStore(t)) })
	t.Run("TemporaryKeys", func(t *testing.T) { testTemporaryKeys(t, newStore(t)) })
	t.Run("UniqueValues", func(t *testing.T) { testUniqueValues(t, newStore(t)) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, newStore(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, newStore) })
	// After Events: its audit-log test expects the entries it wrote alone,
	// and a backend may hand out one database to several tests.
	t.Run("SignatureAuditWithEntry", func(t *testing.T) { testSignatureAuditWithEntry(t, newStore(t)) })
	t.Run("SwapActivationWithSignatureAudit", func(t *testing.T) { testSwapActivationWithSignatureAudit(t, newStore(t)) })
	t.Run("ActivationSigningState", func(t *testing.T) { testActivationSigningState(t, newStore(t)) })
	t.Run("Operations", func(t *testing.T) { testOperations(t, newStore) })
	t.Run("Inbox", func(t *testing.T) { testInbox(t, newStore(t)) })
	t.Run("Cloud", func(t *testing.T) { testCloud(t, newStore(t)) })
	t.Run("MobileUtil", func(t *testing.T) { testMobileUtil(t, newStore(t)) })
	t.Run("TestServer", func(t *testing.T) { testTestServer(t, newStore) })
	t.Run("PushCredentials", func(t *testing.T) { testPushCredentials(t, newStore(t)) })
	t.Run("PushMessages", func(t *testing.T) { testPushMessages(t, newStore(t)) })
	t.Run("PushClaimOneWinner", func(t *testing.T) { testPushClaimOneWinner(t, newStore(t)) })
	t.Run("DeliverablePushMessages", func(t *testing.T) { testDeliverablePushMessages(t, newStore(t)) })
	t.Run("FinishPushMessagesSent", func(t *testing.T) { testFinishPushMessagesSent(t, newStore(t)) })
	t.Run("PushDevicesByToken", func(t *testing.T) { testPushDevicesByToken(t, newStore(t)) })
	t.Run("PushCampaigns", func(t *testing.T) { testPushCampaigns(t, newStore(t)) })
	t.Run("BulkLoad", func(t *testing.T) { testBulkLoad(t, newStore(t)) })
	t.Run("UserListPlans", func(t *testing.T) { testUserListPlans(t, newStore(t)) })
	t.Run("Console", func(t *testing.T) { testConsole(t, newStore) })
	t.Run("AuditChains", func(t *testing.T) { testAuditChains(t, newStore(t)) })
	t.Run("Concurrency", func(t *testing.T) { RunConcurrencyTests(t, newStore) })
}

// RunConcurrencyTests runs only the concurrency part of the suite (useful
// for a backend configuration that differs only in pooling).
func RunConcurrencyTests(t *testing.T, newStore Factory) {
	s := newStore(t)
	t.Run("LockedCounterIncrements", func(t *testing.T) { testLockedCounterIncrements(t, s) })
	t.Run("CompareAndSwapOneWinner", func(t *testing.T) { testCompareAndSwapOneWinner(t, s) })
	t.Run("FailedAttemptsBlockAtLimit", func(t *testing.T) { testFailedAttemptsBlockAtLimit(t, s) })
	t.Run("StatusTransitions", func(t *testing.T) { testConcurrentStatusTransitions(t, s) })
	t.Run("UniqueValueOneWinner", func(t *testing.T) { testUniqueValueOneWinner(t, s) })
	t.Run("ActivationCodeOneWinner", func(t *testing.T) { testActivationCodeOneWinner(t, s) })
	t.Run("ExpiryWorkersDisjoint", func(t *testing.T) { testExpiryWorkersDisjoint(t, s) })
	t.Run("FailingTransactionsLeaveNoTrace", func(t *testing.T) { testFailingTransactionsLeaveNoTrace(t, s) })
	t.Run("CanceledContextRunsNothing", func(t *testing.T) { testCanceledContextRunsNothing(t, s) })
}
