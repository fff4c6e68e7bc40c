package mtoken

import (
	"context"
	"time"

	"github.com/mauth/mauth/internal/service"
)

// Operation is an approval operation as the Mobile Token API needs it
// (the core's OperationDetail).
type Operation struct {
	ID             string
	UserID         string
	Applications   []string
	ExternalID     string
	ActivationFlag string
	ActivationID   string
	OperationType  string
	TemplateName   string
	Data           string
	Parameters     map[string]string
	// Status is the wire name: PENDING, APPROVED, REJECTED, CANCELED, EXPIRED or FAILED.
	Status       string
	StatusReason string
	// SignatureTypes are the allowed factor combinations, lower case.
	SignatureTypes  []string
	FailureCount    int64
	MaxFailureCount int64
	Created         time.Time
	Expires         time.Time
	RiskFlags       string
	// ProximityCheck says the operation needs a proximity OTP.
	ProximityCheck bool
	// NumberMatching says the user must pick the number the web shows.
	NumberMatching bool
	// NumberMatchingOptions are the numbers the user picks from (one is
	// the number the web shows); set for PENDING operations only.
	NumberMatchingOptions []string
}

// Results of the core's approve, approve/fail and reject methods.
const (
	ResultApproved        = "APPROVED"
	ResultApprovalFailed  = "APPROVAL_FAILED"
	ResultOperationFailed = "OPERATION_FAILED"
	ResultRejected        = "REJECTED"
	ResultRejectFailed    = "REJECT_FAILED"
)

// Operation statuses.
const (
	StatusPending  = "PENDING"
	StatusApproved = "APPROVED"
	StatusRejected = "REJECTED"
	StatusCanceled = "CANCELED"
	StatusExpired  = "EXPIRED"
	StatusFailed   = "FAILED"
)

// ListQuery selects the operations of the device's user.
type ListQuery struct {
	UserID        string
	ApplicationID string
	// ActivationID is the device; operations bound to another activation
	// are left out.
	ActivationID string
	// Limit bounds the result (0: the core's default).
	Limit int
}

// ApproveRequest is the core's operation/approve.
type ApproveRequest struct {
	OperationID    string
	UserID         string
	ApplicationID  string
	Data           string
	SignatureType  string // lower case, e.g. possession_knowledge
	AdditionalData map[string]any
}

// RejectRequest is the core's operation/reject.
type RejectRequest struct {
	OperationID    string
	UserID         string
	ApplicationID  string
	AdditionalData map[string]any
}

// ActionResult is the answer of approve, approve/fail and reject.
type ActionResult struct {
	Result    string
	Operation Operation
}

// Operations is what the Mobile Token API needs from the core's
// operation service. The in-process adapter calls *service.Service; a
// remote implementation can call the private /rest/v3/operation/* methods.
// Business errors are *service.Error values with the core's codes.
type Operations interface {
	// PendingOperations lists the user's PENDING operations the device may act on.
	PendingOperations(ctx context.Context, q ListQuery) ([]Operation, error)
	// OperationHistory lists the user's operations in every state, newest first.
	OperationHistory(ctx context.Context, q ListQuery) ([]Operation, error)
	// OperationDetail returns one operation (not claiming it).
	OperationDetail(ctx context.Context, operationID string) (Operation, error)
	// ClaimOperation assigns a user-less operation to the user.
	ClaimOperation(ctx context.Context, operationID, userID string) (Operation, error)
	// ApproveOperation approves with the signature type actually used.
	ApproveOperation(ctx context.Context, in ApproveRequest) (ActionResult, error)
	// FailApproveOperation counts a failed approval attempt after the
	// device signature of activationID (not authenticated) was rejected:
	// only when the activation may approve the operation, storing nothing
	// of the request (service.FailOperationApprovalOfDevice).
	FailApproveOperation(ctx context.Context, operationID, activationID string) (ActionResult, error)
	// RejectOperation rejects the operation for the user.
	RejectOperation(ctx context.Context, in RejectRequest) (ActionResult, error)
}

// Activations is what activation spawn needs from the core.
type Activations interface {
	// InitActivation creates a CREATED activation (activation/init).
	InitActivation(ctx context.Context, in service.InitActivationInput) (service.ActivationDetail, error)
}

var _ Activations = (*service.Service)(nil)
