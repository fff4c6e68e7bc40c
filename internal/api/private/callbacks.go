package private

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/service"
)

type callbackRequest struct {
	ID              string                          `json:"id"`
	ApplicationID   string                          `json:"applicationId"`
	Name            string                          `json:"name"`
	Type            string                          `json:"type"`
	CallbackURL     string                          `json:"callbackUrl"`
	Attributes      []string                        `json:"attributes"`
	Authentication  *service.CallbackAuthentication `json:"authentication"`
	RetentionPeriod *string                         `json:"retentionPeriod"`
	InitialBackoff  *string                         `json:"initialBackoff"`
	MaxAttempts     *int64                          `json:"maxAttempts"`
}

// input validates the request (update: with the callback id) and converts it.
func (r *callbackRequest) input(update bool) (service.CallbackInput, error) {
	var v render.Validator
	if update {
		v.NotBlank("id", r.ID)
	}
	v.NotBlank("applicationId", r.ApplicationID)
	v.NotBlank("name", r.Name)
	v.NotBlank("callbackUrl", r.CallbackURL)
	typ, err := domain.ParseCallbackType(r.Type)
	if r.Type == "" {
		v.Check(false, "type", "must not be null")
	} else {
		v.Check(err == nil, "type", "must be ACTIVATION_STATUS_CHANGE or OPERATION_STATUS_CHANGE")
	}
	in := service.CallbackInput{
		ApplicationName: r.ApplicationID,
		Name:            r.Name,
		Type:            typ,
		URL:             r.CallbackURL,
		Attributes:      r.Attributes,
		Authentication:  r.Authentication,
		MaxAttempts:     r.MaxAttempts,
	}
	for _, d := range []struct {
		field string
		raw   *string
		dst   **time.Duration
	}{
		{"retentionPeriod", r.RetentionPeriod, &in.RetentionPeriod},
		{"initialBackoff", r.InitialBackoff, &in.InitialBackoff},
	} {
		if d.raw == nil {
			continue
		}
		dur, err := parseISODuration(*d.raw)
		if err != nil {
			v.Check(false, d.field, "must be an ISO-8601 duration")
			continue
		}
		v.Check(dur >= 0, d.field, "must be positive or zero")
		*d.dst = &dur
	}
	if r.MaxAttempts != nil {
		v.Check(*r.MaxAttempts >= 1, "maxAttempts", "must be greater than or equal to 1")
	}
	return in, v.Err()
}

type callbackResponse struct {
	ID              string                               `json:"id"`
	ApplicationID   string                               `json:"applicationId"`
	Name            string                               `json:"name"`
	Type            string                               `json:"type"`
	CallbackURL     string                               `json:"callbackUrl"`
	Attributes      []string                             `json:"attributes"`
	Authentication  service.CallbackAuthenticationPublic `json:"authentication"`
	RetentionPeriod string                               `json:"retentionPeriod"`
	InitialBackoff  string                               `json:"initialBackoff"`
	MaxAttempts     int64                                `json:"maxAttempts"`
}

type callbackListResponse struct {
	CallbackURLList []callbackResponse `json:"callbackUrlList"`
}

type callbackRemoveRequest struct {
	ID string `json:"id"`
}

type callbackRemoveResponse struct {
	ID      string `json:"id"`
	Removed bool   `json:"removed"`
}

func callbackResponseOf(c service.Callback) callbackResponse {
	return callbackResponse{
		ID:              c.ID,
		ApplicationID:   c.ApplicationName,
		Name:            c.Name,
		Type:            c.Type.String(),
		CallbackURL:     c.URL,
		Attributes:      appRolesOrEmpty(c.Attributes),
		Authentication:  c.Authentication,
		RetentionPeriod: formatISODuration(c.RetentionPeriod),
		InitialBackoff:  formatISODuration(c.InitialBackoff),
		MaxAttempts:     c.MaxAttempts,
	}
}

// registerCallbackRoutes registers application/callback/*.
func (s *Server) registerCallbackRoutes() {
	method(s, "application/callback/create", func(ctx context.Context, req *callbackRequest) (any, error) {
		in, err := req.input(false)
		if err != nil {
			return nil, err
		}
		c, err := s.svc.CreateCallback(ctx, in)
		if err != nil {
			return nil, err
		}
		// mauth extension: the HMAC key of the X-Mauth-Signature header,
		// returned once, at creation (see callbacks.VerifySignature).
		secret, err := s.svc.CallbackSigningSecret(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		return struct {
			callbackResponse
			SigningSecret string `json:"signingSecret"`
		}{callbackResponseOf(c), secret}, nil
	})
	method(s, "application/callback/update", func(ctx context.Context, req *callbackRequest) (any, error) {
		in, err := req.input(true)
		if err != nil {
			return nil, err
		}
		c, err := s.svc.UpdateCallback(ctx, req.ID, in)
		if err != nil {
			return nil, err
		}
		return callbackResponseOf(c), nil
	})
	method(s, "application/callback/list", func(ctx context.Context, req *appIDRequest) (any, error) {
		if err := req.validate(); err != nil {
			return nil, err
		}
		list, err := s.svc.ListCallbacks(ctx, req.ApplicationID)
		if err != nil {
			return nil, err
		}
		out := callbackListResponse{CallbackURLList: make([]callbackResponse, 0, len(list))}
		for _, c := range list {
			out.CallbackURLList = append(out.CallbackURLList, callbackResponseOf(c))
		}
		return out, nil
	})
	method(s, "application/callback/remove", func(ctx context.Context, req *callbackRemoveRequest) (any, error) {
		var v render.Validator
		v.NotBlank("id", req.ID)
		if err := v.Err(); err != nil {
			return nil, err
		}
		removed, err := s.svc.RemoveCallback(ctx, req.ID)
		if err != nil {
			return nil, err
		}
		return callbackRemoveResponse{ID: req.ID, Removed: removed}, nil
	})
}

// errBadDuration is returned for text that is not an ISO-8601 duration.
var errBadDuration = errors.New("not an ISO-8601 duration")

// parseISODuration parses an ISO-8601 duration of the form
// [-+]P[nD][T[nH][nM][n[.f]S]] (days are 24 hours; signed components and
// a fraction of up to 9 digits on seconds are allowed), the form the
// reference server accepts. Values outside the range of time.Duration
// are errors.
func parseISODuration(s string) (time.Duration, error) {
	if len(s) > 64 {
		return 0, errBadDuration
	}
	in := strings.ToUpper(s)
	neg := false
	if in != "" && (in[0] == '-' || in[0] == '+') {
		neg = in[0] == '-'
		in = in[1:]
	}
	if !strings.HasPrefix(in, "P") {
		return 0, errBadDuration
	}
	in = in[1:]
	datePart, timePart, hasT := strings.Cut(in, "T")
	if (hasT && timePart == "") || (!hasT && datePart == "") {
		return 0, errBadDuration
	}
	var total int64
	if datePart != "" {
		num, ok := strings.CutSuffix(datePart, "D")
		if !ok {
			return 0, errBadDuration
		}
		if err := addUnits(&total, num, int64(24*time.Hour), neg); err != nil {
			return 0, err
		}
	}
	// Time components must come in the order H, M, S, each at most once.
	rest := timePart
	for _, unit := range []struct {
		suffix byte
		size   int64
	}{{'H', int64(time.Hour)}, {'M', int64(time.Minute)}, {'S', int64(time.Second)}} {
		i := strings.IndexByte(rest, unit.suffix)
		if i < 0 {
			continue
		}
		num := rest[:i]
		rest = rest[i+1:]
		if unit.suffix != 'S' {
			if err := addUnits(&total, num, unit.size, neg); err != nil {
				return 0, err
			}
			continue
		}
		whole, frac, hasFrac := strings.Cut(num, ".")
		if !hasFrac {
			whole, frac, hasFrac = strings.Cut(num, ",")
		}
		if err := addUnits(&total, whole, unit.size, neg); err != nil {
			return 0, err
		}
		if hasFrac {
			if len(frac) > 9 || strings.Trim(frac, "0123456789") != "" {
				return 0, errBadDuration
			}
			nanos, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			if strings.HasPrefix(whole, "-") != neg {
				nanos = -nanos
			}
			if err := addChecked(&total, nanos); err != nil {
				return 0, err
			}
		}
	}
	if rest != "" {
		return 0, errBadDuration
	}
	return time.Duration(total), nil
}

// addUnits adds num (a signed decimal integer) times unit to total, negated
// when neg is set, failing on malformed numbers and on overflow.
func addUnits(total *int64, num string, unit int64, neg bool) error {
	digits := strings.TrimLeft(num, "+-")
	if digits == "" || len(num)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
		return errBadDuration
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || (neg && n == math.MinInt64) {
		return errBadDuration
	}
	if neg {
		n = -n
	}
	if n > math.MaxInt64/unit || n < math.MinInt64/unit {
		return errBadDuration
	}
	return addChecked(total, n*unit)
}

// addChecked adds v to total, failing on overflow.
func addChecked(total *int64, v int64) error {
	if (v > 0 && *total > math.MaxInt64-v) || (v < 0 && *total < math.MinInt64-v) {
		return errBadDuration
	}
	*total += v
	return nil
}

// formatISODuration renders d the way the reference server does
// (hours, minutes and seconds, e.g. PT720H, PT2S, PT2.5S, PT0S).
func formatISODuration(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	sign, abs := "", uint64(d)
	if d < 0 {
		// -d wraps for the minimum value, whose magnitude still fits a uint64.
		sign, abs = "-", uint64(-d)
	}
	secs, nanos := abs/uint64(time.Second), abs%uint64(time.Second)
	var b strings.Builder
	b.WriteString(sign + "PT")
	if h := secs / 3600; h != 0 {
		b.WriteString(strconv.FormatUint(h, 10) + "H")
	}
	if m := secs % 3600 / 60; m != 0 {
		b.WriteString(strconv.FormatUint(m, 10) + "M")
	}
	sec := secs % 60
	if sec == 0 && nanos == 0 {
		return b.String()
	}
	b.WriteString(strconv.FormatUint(sec, 10))
	if nanos != 0 {
		b.WriteString("." + strings.TrimRight(strconv.FormatUint(1_000_000_000+nanos, 10)[1:], "0"))
	}
	b.WriteString("S")
	return b.String()
}
