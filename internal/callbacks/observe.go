package callbacks

// DeliveryResult is the outcome of one delivery, as told to Config.Observe.
type DeliveryResult string

// Delivery results.
const (
	// ResultDelivered: the receiver answered 2xx; the event is COMPLETED.
	ResultDelivered DeliveryResult = "delivered"
	// ResultFailed: the attempt failed (no answer or not 2xx) and the
	// event waits for a retry.
	ResultFailed DeliveryResult = "failed"
	// ResultGaveUp: the event is FAILED for good, because its last
	// attempt failed or because its callback was removed (then without
	// an attempt).
	ResultGaveUp DeliveryResult = "gave_up"
)
