package restv3

// HeaderDeviceUserAgent carries, on a call of an enrollment server to the
// core, the User-Agent of the device whose request the call serves. The
// core trusts it only from an authenticated integration and records it in
// place of the caller's own User-Agent (device information parsed at
// activation, the audit log); from anybody else it is ignored.
const HeaderDeviceUserAgent = "X-Mauth-Device-User-Agent"
