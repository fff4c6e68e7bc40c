package buildinfo

import (
	"runtime"
	"runtime/debug"
	"slices"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	tests := []struct {
		name         string
		bi           *debug.BuildInfo
		wantRevision string
		wantModified bool
		wantGo       string
	}{
		{
			name:   "no build info",
			bi:     nil,
			wantGo: runtime.Version(),
		},
		{
			name:   "no vcs settings",
			bi:     &debug.BuildInfo{GoVersion: "go1.26.0"},
			wantGo: "go1.26.0",
		},
		{
			name: "clean revision",
			bi: &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "0123456789abcdef"},
				{Key: "vcs.modified", Value: "false"},
			}},
			wantRevision: "0123456789abcdef",
			wantGo:       "go1.26.0",
		},
		{
			name: "modified tree",
			bi: &debug.BuildInfo{Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "fedcba"},
				{Key: "vcs.modified", Value: "true"},
			}},
			wantRevision: "fedcba",
			wantModified: true,
			wantGo:       runtime.Version(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuildInfo(tt.bi)
			if got.Version != Version {
				t.Errorf("Version = %q, want %q", got.Version, Version)
			}
			if got.Revision != tt.wantRevision {
				t.Errorf("Revision = %q, want %q", got.Revision, tt.wantRevision)
			}
			if got.Modified != tt.wantModified {
				t.Errorf("Modified = %v, want %v", got.Modified, tt.wantModified)
			}
			if got.GoVersion != tt.wantGo {
				t.Errorf("GoVersion = %q, want %q", got.GoVersion, tt.wantGo)
			}
			if want := []string{"3.0", "3.1", "3.2", "3.3"}; !slices.Equal(got.ProtocolVersions, want) {
				t.Errorf("ProtocolVersions = %v, want %v", got.ProtocolVersions, want)
			}
			if got.ServerAPILevel != "1.9" {
				t.Errorf("ServerAPILevel = %q, want 1.9", got.ServerAPILevel)
			}
		})
	}
}

func TestGetCopiesProtocolVersions(t *testing.T) {
	info := Get()
	info.ProtocolVersions[0] = "changed"
	if ProtocolVersions[0] != "3.0" {
		t.Fatalf("Get returned the package slice; mutation leaked: %v", ProtocolVersions)
	}
}
