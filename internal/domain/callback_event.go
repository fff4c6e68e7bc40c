package domain

import "time"

// CallbackEventStatus is the delivery state of a callback event. The wire
// name is also the value stored in pa_application_callback_event.status.
type CallbackEventStatus string

// Callback event statuses.
const (
	// CallbackEventPending waits for its next delivery attempt.
	CallbackEventPending CallbackEventStatus = "PENDING"
	// CallbackEventProcessing is being delivered by a dispatcher.
	CallbackEventProcessing CallbackEventStatus = "PROCESSING"
	// CallbackEventFailed was given up after its last allowed attempt.
	CallbackEventFailed CallbackEventStatus = "FAILED"
	// CallbackEventCompleted was accepted by the receiver (any 2xx answer).
	CallbackEventCompleted CallbackEventStatus = "COMPLETED"
)

// String returns the wire name.
func (s CallbackEventStatus) String() string { return string(s) }

// Final reports whether no further delivery attempt will be made.
func (s CallbackEventStatus) Final() bool {
	return s == CallbackEventFailed || s == CallbackEventCompleted
}

// CallbackEvent is one notification in the callback outbox
// (pa_application_callback_event). It is written in the transaction that
// changed the state it reports and delivered afterwards, at least once.
type CallbackEvent struct {
	// ID is assigned by the store; it orders the events.
	ID int64
	// CallbackID is the pa_application_callback the event is sent to.
	CallbackID string
	// OrderingKey groups the events that must be delivered one after the
	// other, in ID order, for one callback: the activation id or the
	// operation id.
	OrderingKey string
	// Payload is the JSON body POSTed to the callback URL.
	Payload []byte
	// Status is the delivery state.
	Status CallbackEventStatus
	// Attempts counts the delivery attempts that ended with an answer or a
	// transport error (a dispatcher that crashed mid-delivery does not count).
	Attempts int64
	// IdempotencyKey is sent with every attempt (Idempotency-Key header).
	IdempotencyKey string
	// Created is when the event was written.
	Created time.Time
	// LastCall is when the last attempt ended; zero before the first.
	LastCall time.Time
	// NextCall is when the next attempt is due (PENDING events).
	NextCall time.Time
	// RerunAfter is when a PROCESSING event whose dispatcher vanished may be
	// claimed again.
	RerunAfter time.Time
	// DeleteAfter is when a final event may be purged; zero while not final.
	DeleteAfter time.Time
	// Lease identifies the claim of a PROCESSING event; only the dispatcher
	// holding it may record the outcome.
	Lease string
}
