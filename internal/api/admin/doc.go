// Package admin is the admin console's HTTP surface, served on the
// private listener under /admin/: server-rendered pages (html/template,
// embedded templates and static files, no JavaScript build chain) over
// the console vertical (internal/console).
//
// Every answer carries a strict Content-Security-Policy (scripts and
// styles only from the embedded static files, no inline script),
// X-Frame-Options DENY and a Referrer-Policy. The session cookie is
// HttpOnly, SameSite=Strict and Secure under TLS; every state-changing
// request passes net/http.CrossOriginProtection and must carry the
// session's CSRF token.
package admin
