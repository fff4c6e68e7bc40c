package restv3

import "time"

// SystemStatus is the answer of the status method.
type SystemStatus struct {
	Status                 string    `json:"status"`
	ApplicationName        string    `json:"applicationName"`
	ApplicationDisplayName string    `json:"applicationDisplayName"`
	ApplicationEnvironment string    `json:"applicationEnvironment"`
	Version                string    `json:"version"`
	MauthVersion           string    `json:"mauthVersion"`
	BuildTime              *string   `json:"buildTime"`
	Timestamp              time.Time `json:"timestamp"`
}
