package cloud

import (
	"encoding/base64"
	"net/http"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// operationResponse is an operation on the wire.
type operationResponse struct {
	OperationID      string            `json:"operationId"`
	UserID           string            `json:"userId,omitempty"`
	ExternalID       string            `json:"externalId,omitempty"`
	Status           string            `json:"status"`
	StatusReason     string            `json:"statusReason,omitempty"`
	OperationType    string            `json:"operationType"`
	Template         string            `json:"template"`
	Data             string            `json:"data"`
	Parameters       map[string]string `json:"parameters"`
	FailureCount     int64             `json:"failureCount"`
	MaxFailureCount  int64             `json:"maxFailureCount"`
	TimestampCreated int64             `json:"timestampCreated"`
	TimestampExpires int64             `json:"timestampExpires"`
	TimestampFinal   int64             `json:"timestampFinalized,omitempty"`
	ProximityOTP     string            `json:"proximityOtp,omitempty"`
	Language         string            `json:"language,omitempty"`
	Title            string            `json:"title,omitempty"`
	Summary          string            `json:"summary,omitempty"`
}

func operationOf(op cloudsvc.Operation) operationResponse {
	out := operationResponse{OperationID: op.ID, UserID: op.UserID, ExternalID: op.ExternalID, Status: op.Status.String(),
		StatusReason: op.StatusReason, OperationType: op.OperationType, Template: op.TemplateName, Data: op.Data,
		Parameters: op.Parameters, FailureCount: op.FailureCount, MaxFailureCount: op.MaxFailureCount,
		TimestampCreated: millis(op.Created), TimestampExpires: millis(op.Expires), TimestampFinal: millis(op.Finalized),
		ProximityOTP: op.ProximityOTP}
	if out.Parameters == nil {
		out.Parameters = map[string]string{}
	}
	return out
}

func localizedOf(op cloudsvc.LocalizedOperation) operationResponse {
	out := operationOf(op.Operation)
	out.Language, out.Title, out.Summary = op.Language, op.Title, op.Summary
	return out
}

func (s *Server) createOperation(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		UserID                string            `json:"userId"`
		Template              string            `json:"template"`
		Language              string            `json:"language"`
		ExternalID            string            `json:"externalId"`
		Flag                  string            `json:"flag"`
		TimestampExpires      int64             `json:"timestampExpires"`
		Parameters            map[string]string `json:"parameters"`
		ProximityCheckEnabled *bool             `json:"proximityCheckEnabled"`
		Silent                bool              `json:"silent"`
		AppID                 string            `json:"appId"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("template", req.Template); err != nil {
		return nil, err
	}
	op, err := s.c.CreateOperation(r.Context(), p, cloudsvc.CreateOperationRequest{UserID: req.UserID, Template: req.Template,
		Language: req.Language, ExternalID: req.ExternalID, Flag: req.Flag, Expires: cloudsvc.Timestamp(req.TimestampExpires),
		Parameters: req.Parameters, ProximityCheckEnabled: req.ProximityCheckEnabled, Silent: req.Silent, AppID: req.AppID})
	if err != nil {
		return nil, err
	}
	return localizedOf(op), nil
}

func (s *Server) getOperation(r *http.Request, p cloudsvc.Principal) (any, error) {
	op, err := s.c.GetOperation(r.Context(), p, r.PathValue("id"), r.URL.Query().Get("language"))
	if err != nil {
		return nil, err
	}
	return localizedOf(op), nil
}

func (s *Server) cancelOperation(r *http.Request, p cloudsvc.Principal) (any, error) {
	op, err := s.c.CancelOperation(r.Context(), p, r.PathValue("id"), r.URL.Query().Get("statusReason"))
	if err != nil {
		return nil, err
	}
	return map[string]string{"status": "OK", "operationStatus": op.Status.String()}, nil
}

func (s *Server) listOperations(r *http.Request, p cloudsvc.Principal) (any, error) {
	q := r.URL.Query()
	pending, err := queryBool(r, "pendingOnly")
	if err != nil {
		return nil, err
	}
	ops, err := s.c.ListOperations(r.Context(), p, q.Get("userId"), q.Get("appId"), q.Get("language"), pending)
	if err != nil {
		return nil, err
	}
	out := make([]operationResponse, len(ops))
	for i, op := range ops {
		out[i] = localizedOf(op)
	}
	return map[string]any{"operations": out}, nil
}

func (s *Server) offlineQR(r *http.Request, p cloudsvc.Principal) (any, error) {
	q := r.URL.Query()
	if err := required("registrationId", q.Get("registrationId")); err != nil {
		return nil, err
	}
	qr, err := s.c.OperationOfflineQR(r.Context(), p, r.PathValue("id"), q.Get("registrationId"), q.Get("language"))
	if err != nil {
		return nil, err
	}
	return map[string]string{"operationQrCodeData": qr.Data, "nonce": qr.Nonce}, nil
}

func (s *Server) offlineOTP(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		OTP            string `json:"otp"`
		Nonce          string `json:"nonce"`
		RegistrationID string `json:"registrationId"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("otp", req.OTP, "nonce", req.Nonce, "registrationId", req.RegistrationID); err != nil {
		return nil, err
	}
	res, err := s.c.VerifyOfflineOTP(r.Context(), p, r.PathValue("id"), req.RegistrationID, req.Nonce, req.OTP)
	if err != nil {
		return nil, err
	}
	remaining := res.Registration.MaxFailedAttempts - res.Registration.FailedAttempts
	return map[string]any{"otpValid": res.Approved, "userId": res.Registration.UserID, "registrationId": res.Registration.ActivationID,
		"registrationStatus": res.Registration.Status.String(), "operationStatus": res.Operation.Status.String(),
		"remainingAttempts": max(remaining, 0)}, nil
}
