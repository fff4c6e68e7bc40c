package protocol

import "fmt"

// SignatureType names the factors a signature combines, as sent in pa_signature_type.
type SignatureType string

// The six factor combinations of protocol 3.x.
const (
	SignaturePossession                  SignatureType = "possession"
	SignatureKnowledge                   SignatureType = "knowledge"
	SignatureBiometry                    SignatureType = "biometry"
	SignaturePossessionKnowledge         SignatureType = "possession_knowledge"
	SignaturePossessionBiometry          SignatureType = "possession_biometry"
	SignaturePossessionKnowledgeBiometry SignatureType = "possession_knowledge_biometry"
)

// SignatureTypes lists every valid signature type.
var SignatureTypes = []SignatureType{
	SignaturePossession, SignatureKnowledge, SignatureBiometry,
	SignaturePossessionKnowledge, SignaturePossessionBiometry, SignaturePossessionKnowledgeBiometry,
}

// ParseSignatureType validates a pa_signature_type value. Matching is exact
// (lower case), as on the wire.
func ParseSignatureType(s string) (SignatureType, error) {
	for _, t := range SignatureTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("protocol: unknown signature type %q", s)
}

// Factor is one authentication factor.
type Factor int

// The three factors, in the order their keys enter a signature.
const (
	FactorPossession Factor = iota
	FactorKnowledge
	FactorBiometry
)

// Factors returns the factors of t in signature order.
func (t SignatureType) Factors() []Factor {
	switch t {
	case SignaturePossession:
		return []Factor{FactorPossession}
	case SignatureKnowledge:
		return []Factor{FactorKnowledge}
	case SignatureBiometry:
		return []Factor{FactorBiometry}
	case SignaturePossessionKnowledge:
		return []Factor{FactorPossession, FactorKnowledge}
	case SignaturePossessionBiometry:
		return []Factor{FactorPossession, FactorBiometry}
	case SignaturePossessionKnowledgeBiometry:
		return []Factor{FactorPossession, FactorKnowledge, FactorBiometry}
	}
	return nil
}

// HasKnowledge reports whether t includes the knowledge factor.
func (t SignatureType) HasKnowledge() bool {
	for _, f := range t.Factors() {
		if f == FactorKnowledge {
			return true
		}
	}
	return false
}

// Protocol versions carried in headers.
const (
	Version30 = "3.0"
	Version31 = "3.1"
	Version32 = "3.2"
	Version33 = "3.3"
)

// Versions lists the protocol versions mauth speaks.
var Versions = []string{Version30, Version31, Version32, Version33}

// ValidVersion reports whether v is one of Versions.
func ValidVersion(v string) bool {
	for _, x := range Versions {
		if x == v {
			return true
		}
	}
	return false
}
