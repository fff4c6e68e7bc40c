package restv3

// Application is an application as application/create and application/list return it.
type Application struct {
	// ApplicationID is the application's unique name.
	ApplicationID    string   `json:"applicationId"`
	ApplicationRoles []string `json:"applicationRoles"`
}

// ApplicationList is the answer of application/list.
type ApplicationList struct {
	Applications []Application `json:"applications"`
}

// ApplicationDetail is the answer of application/detail.
type ApplicationDetail struct {
	ApplicationID    string   `json:"applicationId"`
	ApplicationRoles []string `json:"applicationRoles"`
	// MasterPublicKey is the Base64 master public key.
	MasterPublicKey string               `json:"masterPublicKey"`
	Versions        []ApplicationVersion `json:"versions"`
}

// VersionByKey returns the version with an application key.
func (d ApplicationDetail) VersionByKey(applicationKey string) (ApplicationVersion, bool) {
	for _, v := range d.Versions {
		if v.ApplicationKey == applicationKey {
			return v, true
		}
	}
	return ApplicationVersion{}, false
}

// ApplicationVersionRequest names a version of an application
// (application/version/create, support and unsupport).
type ApplicationVersionRequest struct {
	ApplicationID        string `json:"applicationId"`
	ApplicationVersionID string `json:"applicationVersionId"`
}

// ApplicationVersionCreated is the answer of application/version/create.
type ApplicationVersionCreated struct {
	ApplicationVersionID   string `json:"applicationVersionId"`
	ApplicationVersionName string `json:"applicationVersionName"`
	ApplicationKey         string `json:"applicationKey"`
	ApplicationSecret      string `json:"applicationSecret"`
	Supported              bool   `json:"supported"`
}
