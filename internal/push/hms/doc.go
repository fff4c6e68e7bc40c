// Package hms is a client of Huawei Push Kit's server API: an OAuth2
// client-credentials access token (cached until shortly before it
// expires) and POST /v2/{projectId}/messages:send (or the older
// /v1/{appId}/messages:send when no project id is configured) with the
// Android mapping of api.md §4.2. Push Kit's result codes are classified
// into the outcome classes of internal/push/provider.
//
// It uses only the standard library: the grant is one form POST.
package hms
