// Package cloud is the HTTP surface of the PowerAuth Cloud API under
// /powerauth-cloud on the private listener: plain JSON bodies, the Cloud
// error codes in the {"status":"ERROR","responseObject":{code,message}}
// envelope, HTTP Basic (Cloud users) or Bearer (tokens from
// /oauth2/token) authentication, ROLE_ADMIN for /admin/**. It is a thin
// translation layer over the vertical internal/cloud.
package cloud
