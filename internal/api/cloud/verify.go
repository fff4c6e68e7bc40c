package cloud

import (
	"net/http"

	cloudsvc "github.com/mauth/mauth/internal/cloud"
)

// verdictOf is the answer of a signature or token check.
func verdictOf(v cloudsvc.Verdict, signature bool) map[string]any {
	out := map[string]any{"userId": v.UserID, "registrationId": v.RegistrationID, "signatureType": v.SignatureType}
	if v.Status != 0 {
		out["registrationStatus"] = v.Status.String()
	}
	if signature {
		out["signatureValid"] = v.Valid
		if v.RemainingAttempts >= 0 {
			out["remainingAttempts"] = v.RemainingAttempts
		}
	} else {
		out["tokenValid"] = v.Valid
	}
	return out
}

func (s *Server) verifySignature(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		Method      string            `json:"method"`
		URIID       string            `json:"uriId"`
		AuthHeader  string            `json:"authHeader"`
		RequestBody string            `json:"requestBody"`
		QueryParams map[string]string `json:"queryParams"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("method", req.Method, "uriId", req.URIID, "authHeader", req.AuthHeader); err != nil {
		return nil, err
	}
	v, err := s.c.VerifySignature(r.Context(), p, cloudsvc.VerifySignatureRequest{Method: req.Method, URIID: req.URIID,
		AuthHeader: req.AuthHeader, RequestBody: req.RequestBody, QueryParams: req.QueryParams})
	if err != nil {
		return nil, err
	}
	return verdictOf(v, true), nil
}

func (s *Server) verifyToken(r *http.Request, p cloudsvc.Principal) (any, error) {
	var req struct {
		AuthHeader string `json:"authHeader"`
	}
	if err := decode(r, &req, false); err != nil {
		return nil, err
	}
	if err := required("authHeader", req.AuthHeader); err != nil {
		return nil, err
	}
	v, err := s.c.VerifyToken(r.Context(), p, req.AuthHeader)
	if err != nil {
		return nil, err
	}
	return verdictOf(v, false), nil
}
