package domain

import "time"

// Token is a MAC token issued to an activation (pa_token).
type Token struct {
	// ID is the token UUID.
	ID string
	// Secret is the token secret, possibly encrypted at rest by the service;
	// opaque to the store.
	Secret []byte
	// ActivationID is the activation the token belongs to.
	ActivationID string
	// SignatureType is the lower-case factor combination used to create the
	// token, e.g. possession_knowledge.
	SignatureType string
	// Created is when the token was issued.
	Created time.Time
}
