// Package deviceinfo turns what a mobile SDK says about its device at
// activation into typed fields: the User-Agent of the PowerAuth networking
// layer ("PowerAuthNetworking/1.2.1 (uk; wifi) com.bank.app/1.0.0
// (samsung; Android/13; SM-A047F)") and the activation's platform and
// deviceInfo attributes.
//
// It is a pure function of its inputs: standard library only, no I/O. A
// value it does not recognise is never an error; the caller keeps the raw
// value and the parsed fields stay empty.
package deviceinfo
