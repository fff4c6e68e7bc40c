package service

import "time"

// OperationSettings configure approval operations.
type OperationSettings struct {
	// ProximityStep is the time step of the proximity-check TOTP (whole
	// seconds; default 30 s).
	ProximityStep time.Duration
	// ProximityWindow is how many past TOTP steps approval also accepts
	// (default 1; negative means 0).
	ProximityWindow int
	// ExpireBatch is how many operations one ExpireOperations call without
	// an explicit limit processes (default 100).
	ExpireBatch int
	// DefaultPageSize is the page size of the list methods when the
	// request has none (default 500).
	DefaultPageSize int
}

// DefaultOperationSettings returns the reference server's defaults.
func DefaultOperationSettings() OperationSettings {
	return OperationSettings{ProximityStep: 30 * time.Second, ProximityWindow: 1, ExpireBatch: 100, DefaultPageSize: 500}
}

func (o *OperationSettings) fillDefaults() {
	d := DefaultOperationSettings()
	if o.ProximityStep < time.Second || o.ProximityStep%time.Second != 0 {
		o.ProximityStep = d.ProximityStep
	}
	if o.ProximityWindow < 0 {
		o.ProximityWindow = 0
	}
	if o.ProximityWindow > MaxProximityStepCount {
		o.ProximityWindow = MaxProximityStepCount
	}
	if o.ExpireBatch <= 0 {
		o.ExpireBatch = d.ExpireBatch
	}
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = d.DefaultPageSize
	}
}

// WithOperationSettings sets the operation settings (zero fields take the
// defaults). Without it a Service uses DefaultOperationSettings.
func WithOperationSettings(o OperationSettings) Option {
	return func(s *Service) {
		o.fillDefaults()
		s.ops = o
	}
}

// operationSettings returns the effective operation settings.
func (s *Service) operationSettings() OperationSettings { return s.ops }
