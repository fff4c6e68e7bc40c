package mtoken

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/deviceauth"
	"github.com/mauth/mauth/internal/service"
	"github.com/mauth/mauth/protocol"
	"github.com/mauth/mauth/wire"
)

// Limits of request fields.
const (
	maxIDLength     = 256
	maxDataLength   = 64 << 10
	maxReasonLength = 32
	maxOTPLength    = 64
)

// decodeObject reads {"requestObject": {…}} into dst; a missing object is
// INVALID_REQUEST when required.
func decodeObject(r *http.Request, dst any, required bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return errInvalidRequest("read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return errInvalidRequest("request body is empty")
		}
		return nil
	}
	var env struct {
		RequestObject json.RawMessage `json:"requestObject"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return errInvalidRequest("request body is not JSON: %w", err)
	}
	if len(env.RequestObject) == 0 || string(env.RequestObject) == "null" {
		if required {
			return errInvalidRequest("requestObject is missing")
		}
		return nil
	}
	if err := json.Unmarshal(env.RequestObject, dst); err != nil {
		return errInvalidRequest("request object: %w", err)
	}
	return nil
}

// okWithTimestamp writes {"status":"OK","currentTimestamp":…,"responseObject":obj}.
func (s *Server) okWithTimestamp(w http.ResponseWriter, obj any) {
	render.JSON(w, http.StatusOK, struct {
		Status           string `json:"status"`
		CurrentTimestamp string `json:"currentTimestamp"`
		ResponseObject   any    `json:"responseObject"`
	}{"OK", formatTime(s.opts.Now()), obj})
}

// idRequest is the request of detail and claim.
type idRequest struct {
	ID string `json:"id"`
}

func (q idRequest) validate() error {
	if strings.TrimSpace(q.ID) == "" || len(q.ID) > maxIDLength {
		return errInvalidRequest("id must have 1 to %d characters", maxIDLength)
	}
	return nil
}

// list is /operation/list: the PENDING operations of the device.
func (s *Server) list(r *http.Request) (any, error) {
	return s.listed(r, true, func(q ListQuery) ([]Operation, error) {
		return s.opts.Operations.PendingOperations(r.Context(), q)
	})
}

// history is /operation/history: the device's operations in every state.
func (s *Server) history(r *http.Request) (any, error) {
	return s.listed(r, false, func(q ListQuery) ([]Operation, error) {
		q.Limit = s.opts.HistoryLimit
		return s.opts.Operations.OperationHistory(r.Context(), q)
	})
}

// listed answers a list request (an optional empty request object) with
// the views of the operations fetch returns for the device's query.
func (s *Server) listed(r *http.Request, pendingOnly bool, fetch func(ListQuery) ([]Operation, error)) (any, error) {
	var req struct{}
	if err := decodeObject(r, &req, false); err != nil {
		return nil, err
	}
	a := auth(r)
	ops, err := fetch(ListQuery{UserID: a.UserID, ApplicationID: a.ApplicationID, ActivationID: a.ActivationID})
	if err != nil {
		return nil, coreError(err)
	}
	return s.views(r, a, ops, pendingOnly), nil
}

// views renders the operations the device may see (PENDING and not
// expired ones only when pendingOnly).
func (s *Server) views(r *http.Request, a *deviceauth.Auth, ops []Operation, pendingOnly bool) []wire.Operation {
	prefs := languages(r)
	now := s.opts.Now()
	out := make([]wire.Operation, 0, len(ops))
	for _, op := range ops {
		if visible(a, op) != nil {
			continue
		}
		if pendingOnly && (op.Status != StatusPending || (!op.Expires.IsZero() && !now.Before(op.Expires))) {
			continue
		}
		out = append(out, s.opts.Templates.Render(op, prefs))
	}
	return out
}

// loadOperation fetches an operation and checks that the device may see it.
func (s *Server) loadOperation(r *http.Request, a *deviceauth.Auth, id string) (Operation, error) {
	op, err := s.opts.Operations.OperationDetail(r.Context(), id)
	if err != nil {
		return Operation{}, coreError(err)
	}
	if err := visible(a, op); err != nil {
		return Operation{}, err
	}
	return op, nil
}

// loadPending is loadOperation that also requires the operation to be
// PENDING and not expired.
func (s *Server) loadPending(r *http.Request, a *deviceauth.Auth, id string) (Operation, error) {
	op, err := s.loadOperation(r, a, id)
	if err != nil {
		return Operation{}, err
	}
	if err := s.pendingError(op); err != nil {
		return Operation{}, err
	}
	return op, nil
}

// decodeWithID reads a required request object into dst and validates
// its id (id points into dst).
func decodeWithID(r *http.Request, dst any, id *string) error {
	if err := decodeObject(r, dst, true); err != nil {
		return err
	}
	return (idRequest{*id}).validate()
}

// loadRequested reads an id request and fetches that operation for the
// device.
func (s *Server) loadRequested(r *http.Request) (*deviceauth.Auth, Operation, error) {
	var req idRequest
	if err := decodeWithID(r, &req, &req.ID); err != nil {
		return nil, Operation{}, err
	}
	a := auth(r)
	op, err := s.loadOperation(r, a, req.ID)
	return a, op, err
}

// detail is /operation/detail: one operation of the device's user.
func (s *Server) detail(r *http.Request) (any, error) {
	_, op, err := s.loadRequested(r)
	if err != nil {
		return nil, err
	}
	if op.UserID == "" {
		return nil, errInvalidOperation("operation %s is not claimed yet", op.ID)
	}
	return s.opts.Templates.Render(op, languages(r)), nil
}

// claim is /operation/detail/claim: assigns an operation created without
// a user to the device's user and returns it.
func (s *Server) claim(r *http.Request) (any, error) {
	a, op, err := s.loadRequested(r)
	if err != nil {
		return nil, err
	}
	if op.UserID == "" {
		if err := statusError(op); err != nil {
			return nil, err
		}
		if op, err = s.opts.Operations.ClaimOperation(r.Context(), op.ID, a.UserID); err != nil {
			return nil, coreError(err)
		}
		if op.UserID != a.UserID {
			return nil, errInvalidOperation("operation %s was claimed by another user", op.ID)
		}
	}
	return s.opts.Templates.Render(op, languages(r)), nil
}

// ProximityCheck is the proximity OTP the app read from a QR code or deep link.
type ProximityCheck struct {
	OTP               string `json:"otp"`
	Type              string `json:"type"`
	TimestampReceived string `json:"timestampReceived,omitempty"`
	TimestampSent     string `json:"timestampSent,omitempty"`
}

// authorizeRequest is the request of /operation/authorize.
type authorizeRequest struct {
	ID             string          `json:"id"`
	Data           string          `json:"data"`
	ProximityCheck *ProximityCheck `json:"proximityCheck,omitempty"`
	// NumberMatching is the number the user picked (mauth extension).
	NumberMatching string `json:"numberMatching,omitempty"`
}

// Keys of additionalData the Mobile Token API sets on core calls.
const (
	AdditionalActivationID   = "activationId"
	AdditionalApplicationID  = "applicationId"
	AdditionalIPAddress      = "ipAddress"
	AdditionalUserAgent      = "userAgent"
	AdditionalAuthFactor     = "authFactor"
	AdditionalRejectReason   = "rejectReason"
	AdditionalProximityOTP   = "proximity_otp"
	AdditionalNumberMatching = "numberMatching"
)

// requestContext is the additionalData every core call carries.
func requestContext(r *http.Request, a *deviceauth.Auth) map[string]any {
	m := map[string]any{
		AdditionalIPAddress: clientIP(r),
		AdditionalUserAgent: r.UserAgent(),
	}
	if a != nil {
		m[AdditionalActivationID] = a.ActivationID
		m[AdditionalApplicationID] = a.ApplicationID
		if a.SignatureType != "" {
			m[AdditionalAuthFactor] = strings.ToUpper(string(a.SignatureType))
		}
	}
	return m
}

// authorize is /operation/authorize: approval with the signature the guard
// verified; the core checks the data, the allowed signature types, the
// proximity OTP and number matching.
func (s *Server) authorize(r *http.Request) (any, error) {
	var req authorizeRequest
	if err := decodeWithID(r, &req, &req.ID); err != nil {
		return nil, err
	}
	if req.Data == "" || len(req.Data) > maxDataLength {
		return nil, errInvalidRequest("data must have 1 to %d bytes", maxDataLength)
	}
	a := auth(r)
	op, err := s.loadPending(r, a, req.ID)
	if err != nil {
		return nil, err
	}
	add := requestContext(r, a)
	if pc := req.ProximityCheck; pc != nil {
		if len(pc.OTP) > maxOTPLength {
			return nil, errInvalidRequest("proximityCheck.otp is too long")
		}
		add[AdditionalProximityOTP] = pc.OTP
		add["proximity_check_type"] = pc.Type
		if pc.TimestampReceived != "" {
			add["proximity_check_timestamp_received"] = pc.TimestampReceived
		}
		if pc.TimestampSent != "" {
			add["proximity_check_timestamp_sent"] = pc.TimestampSent
		}
	}
	if req.NumberMatching != "" {
		if len(req.NumberMatching) > maxOTPLength {
			return nil, errInvalidRequest("numberMatching is too long")
		}
		add[AdditionalNumberMatching] = req.NumberMatching
	}
	res, err := s.opts.Operations.ApproveOperation(r.Context(), ApproveRequest{
		OperationID:    op.ID,
		UserID:         a.UserID,
		ApplicationID:  a.ApplicationID,
		Data:           req.Data,
		SignatureType:  strings.ToLower(string(a.SignatureType)),
		AdditionalData: add,
	})
	if err != nil {
		return nil, s.actionError(r, op.ID, err)
	}
	if res.Result == ResultApproved {
		return nil, nil
	}
	if res.Operation.Status == StatusPending || res.Operation.Status == "" {
		return nil, errOperationFailed("approval of operation %s failed: %s", op.ID, res.Result)
	}
	return nil, statusError(res.Operation)
}

// pendingError is statusError that also treats a PENDING operation past
// its expiry as expired.
func (s *Server) pendingError(op Operation) error {
	if op.Status == StatusPending && !op.Expires.IsZero() && !s.opts.Now().Before(op.Expires) {
		op.Status = StatusExpired
	}
	if err := statusError(op); err != nil {
		return err
	}
	return nil
}

// authorizeAuthFailed counts a failed approval when the signature of an
// authorize request was rejected. Nothing of such a request is
// authenticated: the operation id comes from the body and the activation
// id from the header. The core counts the failure only when that
// activation is a device of the operation's user that could have approved
// it (see service.FailOperationApprovalOfDevice), and stores nothing of
// the request; the answer is the same 401 either way.
func (s *Server) authorizeAuthFailed(r *http.Request, body []byte) {
	raw := r.Header.Get(protocol.HeaderAuthorization)
	if strings.TrimSpace(raw) == "" {
		return
	}
	h, err := protocol.ParseAuthorizationHeader(raw)
	if err != nil || h.ActivationID == "" || len(h.ActivationID) > maxIDLength {
		return
	}
	var env struct {
		RequestObject authorizeRequest `json:"requestObject"`
	}
	if json.Unmarshal(body, &env) != nil || (idRequest{env.RequestObject.ID}).validate() != nil {
		return
	}
	if _, err := s.opts.Operations.FailApproveOperation(r.Context(), env.RequestObject.ID, h.ActivationID); err != nil {
		s.log.InfoContext(r.Context(), "failed approval not counted", "operationId", env.RequestObject.ID, "activationId", h.ActivationID, "error", err)
	}
}

// cancelRequest is the request of /operation/cancel.
type cancelRequest struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// cancel is /operation/cancel: the user rejects the operation.
func (s *Server) cancel(r *http.Request) (any, error) {
	var req cancelRequest
	if err := decodeWithID(r, &req, &req.ID); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		reason = "UNKNOWN"
	}
	if len(reason) > maxReasonLength {
		return nil, errInvalidRequest("reason must have at most %d characters", maxReasonLength)
	}
	a := auth(r)
	op, err := s.loadPending(r, a, req.ID)
	if err != nil {
		return nil, err
	}
	add := requestContext(r, a)
	add[AdditionalRejectReason] = reason
	res, err := s.opts.Operations.RejectOperation(r.Context(), RejectRequest{
		OperationID:    op.ID,
		UserID:         a.UserID,
		ApplicationID:  a.ApplicationID,
		AdditionalData: add,
	})
	if err != nil {
		return nil, s.actionError(r, op.ID, err)
	}
	if res.Result == ResultRejected {
		return nil, nil
	}
	if err := statusError(res.Operation); err != nil && res.Operation.Status != "" {
		return nil, err
	}
	return nil, errInvalidOperation("rejection of operation %s failed: %s", op.ID, res.Result)
}

// actionError maps a failed approve or reject: when the operation left
// PENDING meanwhile (a concurrent decision, expiry), the answer names its
// state; anything else is mapped by coreError.
func (s *Server) actionError(r *http.Request, id string, err error) error {
	var se *service.Error
	if errors.As(err, &se) && (se.Code == service.CodeOperationApproveFailure || se.Code == service.CodeOperationRejectFailure || se.Code == service.CodeOperationInvalidState) {
		if op, lerr := s.opts.Operations.OperationDetail(r.Context(), id); lerr == nil {
			if serr := statusError(op); serr != nil {
				return serr
			}
		}
		return errInvalidOperation("operation %s: %w", id, err)
	}
	return coreError(err)
}
