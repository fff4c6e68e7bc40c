// Package buildinfo reports what this mauth build is: its version, the VCS
// revision it was built from, and the protocol and API levels it speaks.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Version is the mauth release version. Release builds set it with
//
//	go build -ldflags "-X github.com/mauth/mauth/internal/buildinfo.Version=1.2.3" ./cmd/mauth
var Version = "0.1.0-dev"

// ProtocolVersions lists the PowerAuth protocol versions mauth speaks on the
// wire, oldest first.
var ProtocolVersions = []string{"3.0", "3.1", "3.2", "3.3"}

// ServerAPILevel is the PowerAuth Server API level whose REST contract mauth
// is compatible with.
const ServerAPILevel = "1.9"

// Info describes one build of mauth. Its JSON form is what
// `mauth version --json` prints.
type Info struct {
	// Version is the mauth release version (see [Version]).
	Version string `json:"version"`
	// Revision is the VCS revision the binary was built from; empty when
	// the build carries no VCS information.
	Revision string `json:"revision,omitempty"`
	// Modified reports that the working tree had uncommitted changes at
	// build time.
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// ProtocolVersions lists the PowerAuth protocol versions spoken.
	ProtocolVersions []string `json:"protocolVersions"`
	// ServerAPILevel is the compatible PowerAuth Server API level.
	ServerAPILevel string `json:"serverApiLevel"`
}

// Get returns the description of the running binary. The VCS revision is
// read from the build information embedded by the Go toolchain when present.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi)
}

// fromBuildInfo builds an Info from bi, which may be nil.
func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{
		Version:          Version,
		GoVersion:        runtime.Version(),
		ProtocolVersions: append([]string(nil), ProtocolVersions...),
		ServerAPILevel:   ServerAPILevel,
	}
	if bi == nil {
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}
