package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/protocol"
)

// OfflineOperationURIID is the URI id the offline operation signature is
// bound to.
const OfflineOperationURIID = "/operation/authorize/offline"

// OperationOfflineQRInput asks for the offline QR payload of an operation.
type OperationOfflineQRInput struct {
	// OperationID is the operation.
	OperationID string
	// ActivationID is the activation that will scan the code; its server
	// key signs the payload.
	ActivationID string
	// Title and Message are shown to the user (no new lines).
	Title, Message string
}

// CreateOperationOfflineQR builds the offline QR content of a PENDING
// operation, "{ID}\n{TITLE}\n{MESSAGE}\n{DATA}\n{FLAGS}" with flags from
// the risk flags plus "B" when biometry is allowed, and signs it with the
// activation's server key (personalized payload; with a proximity check
// the current TOTP is appended before the nonce). The activation must
// belong to the operation's user and application.
func (s *Service) CreateOperationOfflineQR(ctx context.Context, in OperationOfflineQRInput) (OfflinePayload, error) {
	if in.OperationID == "" || in.ActivationID == "" {
		return OfflinePayload{}, Errorf(CodeInvalidRequest, "operationId, activationId - must not be blank")
	}
	if strings.ContainsAny(in.Title+in.Message, "\n\r") {
		return OfflinePayload{}, Errorf(CodeInvalidRequest, "title, message - must not contain new lines")
	}
	d, err := s.GetOperation(ctx, in.OperationID, "")
	if err != nil {
		return OfflinePayload{}, err
	}
	if d.Status != domain.OperationPending {
		return OfflinePayload{}, Errorf(CodeOperationInvalidState, "Operation is in invalid state.")
	}
	a, err := activationByID(ctx, s.store, in.ActivationID)
	if err != nil {
		return OfflinePayload{}, err
	}
	if err := offlineActivationFits(d.Operation, a); err != nil {
		return OfflinePayload{}, err
	}
	flags := ""
	for _, f := range "BXFC" {
		if f == 'B' && slices.Contains(d.SignatureTypes, string(protocol.SignaturePossessionBiometry)) ||
			f != 'B' && strings.ContainsRune(d.RiskFlags, f) {
			flags += string(f)
		}
	}
	data := strings.Join([]string{d.ID, in.Title, in.Message, d.Data, flags}, "\n")
	pin := PersonalizedOfflinePayloadInput{ActivationID: a.ActivationID, Data: data}
	seed, err := s.openSeed(d.Operation)
	if err != nil {
		return OfflinePayload{}, err
	}
	if seed != nil {
		pin.ProximityCheck = &ProximityCheck{Seed: seed, StepLength: s.operationSettings().ProximityStep}
	}
	return s.CreatePersonalizedOfflinePayload(ctx, pin)
}

// offlineActivationFits checks that the activation may approve op.
func offlineActivationFits(op domain.Operation, a domain.Activation) error {
	if (op.UserID != "" && op.UserID != a.UserID) || !slices.Contains(op.ApplicationIDs, a.ApplicationID) ||
		(op.ActivationID != "" && op.ActivationID != a.ActivationID) {
		return Errorf(CodeInvalidRequest, "activationId - activation cannot approve the operation")
	}
	if a.Status != domain.ActivationActive {
		return Errorf(CodeActivationIncorrectState, "Activation is not ACTIVE.")
	}
	return nil
}

// ApproveOperationOfflineInput is an approval typed in from an offline QR code.
type ApproveOperationOfflineInput struct {
	// OperationID is the operation.
	OperationID string
	// ActivationID is the activation that signed.
	ActivationID string
	// Nonce is the Base64 nonce of the QR payload.
	Nonce string
	// Signature is the DECIMAL signature, components joined with '-'.
	Signature string
	// AdditionalData is merged into the operation.
	AdditionalData map[string]any
}

// ApproveOperationOffline verifies a decimal offline signature over
// "{operationId}&{operationData}" (URI id /operation/authorize/offline,
// with the proximity TOTP when the operation has a seed) and then
// approves the operation, or counts a failed approval when the signature
// is wrong. The signature check itself also counts against the
// activation, as every signature does. Number matching does not apply:
// the QR code itself proves the user saw the operation.
func (s *Service) ApproveOperationOffline(ctx context.Context, in ApproveOperationOfflineInput) (OperationActionResult, error) {
	if in.OperationID == "" || in.ActivationID == "" || in.Nonce == "" || in.Signature == "" {
		return OperationActionResult{}, Errorf(CodeInvalidRequest, "operationId, activationId, nonce, signature - must not be blank")
	}
	d, err := s.GetOperation(ctx, in.OperationID, "")
	if err != nil {
		var se *Error
		if errors.As(err, &se) && se.Code == CodeOperationNotFound {
			return OperationActionResult{}, Errorf(CodeOperationApproveFailure, "Operation approval failed.")
		}
		return OperationActionResult{}, err
	}
	if d.Status != domain.OperationPending {
		return OperationActionResult{}, Errorf(CodeOperationApproveFailure, "Operation approval failed.")
	}
	a, err := activationByID(ctx, s.store, in.ActivationID)
	if err != nil {
		return OperationActionResult{}, err
	}
	if err := offlineActivationFits(d.Operation, a); err != nil {
		return OperationActionResult{}, err
	}
	seed, err := s.openSeed(d.Operation)
	if err != nil {
		return OperationActionResult{}, err
	}
	vin := VerifyOfflineSignatureInput{
		ActivationID:  a.ActivationID,
		Data:          OfflineOperationSignatureData(d.ID, d.Data, in.Nonce),
		Signature:     in.Signature,
		AllowBiometry: slices.Contains(d.SignatureTypes, string(protocol.SignaturePossessionBiometry)),
	}
	if seed != nil {
		set := s.operationSettings()
		vin.ProximityCheck = &ProximityCheck{Seed: seed, StepLength: set.ProximityStep, StepCount: set.ProximityWindow}
	}
	vr, err := s.VerifyOfflineSignature(ctx, vin)
	if err != nil {
		return OperationActionResult{}, fmt.Errorf("verify offline signature: %w", err)
	}
	extra := mergeData(in.AdditionalData, map[string]any{AdditionalDataActivationID: a.ActivationID})
	if !vr.SignatureValid {
		return s.FailOperationApproval(ctx, d.ID, extra)
	}
	app, err := s.store.GetApplication(ctx, a.ApplicationID)
	if err != nil {
		return OperationActionResult{}, fmt.Errorf("load application: %w", err)
	}
	return s.approveOperation(ctx, ApproveOperationInput{
		OperationID: d.ID, UserID: a.UserID, ApplicationName: app.Name, Data: d.Data,
		SignatureType: vr.SignatureType, AdditionalData: extra,
	}, approveChecks{skipProximity: true, skipNumberMatching: true})
}

// OfflineOperationSignatureData is the normalized request data (without
// the application secret) an app signs for an offline operation approval:
// "POST&" B64(uriId) "&" nonce "&" B64(operationId "&" operationData).
func OfflineOperationSignatureData(operationID, operationData, nonce string) string {
	b64 := base64.StdEncoding.EncodeToString
	return "POST&" + b64([]byte(OfflineOperationURIID)) + "&" + nonce + "&" + b64([]byte(operationID+"&"+operationData))
}
