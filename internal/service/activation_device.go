package service

import (
	"context"
	"strings"

	"github.com/mauth/mauth/internal/deviceinfo"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// setDeviceDetails stores the User-Agent of the key-exchange request and
// the device attributes parsed from it and from the activation's platform
// and deviceInfo (internal/deviceinfo). Unknown formats leave the parsed
// fields empty; nothing is rejected.
func setDeviceDetails(ctx context.Context, a *domain.Activation) {
	a.UserAgent = deviceinfo.Clean(domain.RequestInfoOf(ctx).UserAgent)
	a.Device = deviceinfo.Parse(a.UserAgent, a.Platform, a.DeviceInfo).DeviceDetails
}

// deviceFilter checks and normalises the device filter of activation/list
// and activation/lookup.
func deviceFilter(f store.DeviceFilter) (store.DeviceFilter, error) {
	out := store.DeviceFilter{OSMajor: f.OSMajor, OSVersionPrefix: f.OSVersionPrefix}
	for _, p := range f.Platforms {
		if strings.TrimSpace(p) == "" {
			return out, Errorf(CodeInvalidRequest, "platforms - must not contain blank values")
		}
		if err := validActivationText("platforms", p, maxActivationText); err != nil {
			return out, err
		}
		out.Platforms = append(out.Platforms, strings.ToLower(p))
	}
	if f.OSMajor < 0 {
		return out, Errorf(CodeInvalidRequest, "osMajorVersion - must be zero or positive")
	}
	if err := validActivationText("osVersionPrefix", f.OSVersionPrefix, 128); err != nil {
		return out, err
	}
	return out, nil
}
