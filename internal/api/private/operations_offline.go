package private

import (
	"context"
	"regexp"
	"strings"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/service"
)

// Offline approval of operations (mauth extensions): the bank asks for
// the QR code of an operation personalised for one activation, shows it,
// and submits the decimal signature the user retyped.

type operationOfflineQRRequest struct {
	OperationID  string `json:"operationId"`
	ActivationID string `json:"activationId"`
	Title        string `json:"title"`
	Message      string `json:"message"`
}

type operationOfflineQRResponse struct {
	OperationID  string `json:"operationId"`
	ActivationID string `json:"activationId"`
	OfflineData  string `json:"offlineData"`
	Nonce        string `json:"nonce"`
}

type operationOfflineApproveRequest struct {
	OperationID    string         `json:"operationId"`
	ActivationID   string         `json:"activationId"`
	Nonce          string         `json:"nonce"`
	Signature      string         `json:"signature"`
	AdditionalData map[string]any `json:"additionalData"`
}

// offlineSignaturePattern is one to three 8-digit components joined with
// '-', as the user types them (4×4 digits make two components).
var offlineSignaturePattern = regexp.MustCompile(`^[0-9]{8}(-[0-9]{8}){0,2}$`)

// normalizeOfflineSignature accepts the components with or without the
// '-' separators and spaces ("1234 5678 8765 4321" → "12345678-87654321").
func normalizeOfflineSignature(s string) string {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
	if len(digits) == 0 || len(digits)%8 != 0 || len(digits) > 24 {
		return s
	}
	parts := make([]string, 0, 3)
	for i := 0; i < len(digits); i += 8 {
		parts = append(parts, digits[i:i+8])
	}
	return strings.Join(parts, "-")
}

// registerOperationOfflineRoutes registers operation/offline/qr and
// operation/offline/approve.
func (s *Server) registerOperationOfflineRoutes() {
	method(s, "operation/offline/qr", func(ctx context.Context, req *operationOfflineQRRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.NotBlank("activationId", req.ActivationID)
		v.Check(!strings.ContainsAny(req.Title, "\r\n"), "title", "must not contain new lines")
		v.Check(!strings.ContainsAny(req.Message, "\r\n"), "message", "must not contain new lines")
		if err := v.Err(); err != nil {
			return nil, err
		}
		p, err := s.svc.CreateOperationOfflineQR(ctx, service.OperationOfflineQRInput{
			OperationID: req.OperationID, ActivationID: req.ActivationID, Title: req.Title, Message: req.Message,
		})
		if err != nil {
			return nil, err
		}
		return operationOfflineQRResponse{OperationID: req.OperationID, ActivationID: req.ActivationID, OfflineData: p.OfflineData, Nonce: p.Nonce}, nil
	})
	method(s, "operation/offline/approve", func(ctx context.Context, req *operationOfflineApproveRequest) (any, error) {
		var v render.Validator
		v.NotBlank("operationId", req.OperationID)
		v.NotBlank("activationId", req.ActivationID)
		v.NotBlank("nonce", req.Nonce)
		sig := normalizeOfflineSignature(req.Signature)
		v.Check(offlineSignaturePattern.MatchString(sig), "signature", "must be 8-digit components joined with '-'")
		if err := v.Err(); err != nil {
			return nil, err
		}
		return operationActionOf(s.svc.ApproveOperationOffline(ctx, service.ApproveOperationOfflineInput{
			OperationID: req.OperationID, ActivationID: req.ActivationID, Nonce: req.Nonce,
			Signature: sig, AdditionalData: req.AdditionalData,
		}))
	})
}
