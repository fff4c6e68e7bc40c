package render

import (
	"log/slog"
	"net/http"
)

// Endpoint is a handler that returns its answer or an error; Serve renders
// both in one place, so a handler never writes a response itself.
type Endpoint func(r *http.Request) (any, error)

// Writer writes an endpoint's answer: OK (the envelope), Bare or a
// surface's own.
type Writer func(w http.ResponseWriter, answer any)

// Bare writes the answer as the JSON body itself (status 200).
func Bare(w http.ResponseWriter, answer any) { JSON(w, http.StatusOK, answer) }

// Serve adapts fn to an http.Handler: its answer is written with write, its
// error with ErrorWith(…, internal), internal being the surface's answer to
// an internal failure.
func Serve(log *slog.Logger, internal APIError, write Writer, fn Endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer, err := fn(r)
		if err != nil {
			ErrorWith(w, r, log, err, internal)
			return
		}
		write(w, answer)
	})
}
