package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// Limits of a message and of a page (the push server's rules).
const (
	// MinTextLength is the least number of characters of a subject,
	// summary and body.
	MinTextLength = 8
	// MaxSubjectLength and MaxSummaryLength bound the subject and summary.
	MaxSubjectLength = 255
	MaxSummaryLength = 255
	// MaxBodyLength bounds the body (characters).
	MaxBodyLength = 65536
	// MaxUserIDLength bounds a user id.
	MaxUserIDLength = 255
	// MaxApplications bounds the applications of one message.
	MaxApplications = 100
	// DefaultPageSize is the page size when none is asked for.
	DefaultPageSize = 20
	// MaxPageSize is the largest page.
	MaxPageSize = 1000
)

// Errors of the inbox; the HTTP surfaces map them to their codes.
var (
	// ErrMessageNotFound: no message with the id within the scope.
	ErrMessageNotFound = errors.New("inbox message not found")
	// ErrAppNotFound: an application that does not exist or is outside
	// the scope.
	ErrAppNotFound = errors.New("application not found")
)

// Violation is one invalid field of a request.
type Violation struct {
	// Field is the JSON name of the field.
	Field string
	// Value is the rejected value (empty for a missing one).
	Value string
	// Hint says what is expected.
	Hint string
}

// ValidationError lists every invalid field of a request.
type ValidationError struct{ Violations []Violation }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + " - " + v.Hint
	}
	return "invalid request: " + strings.Join(parts, ", ")
}

// violations collects the invalid fields of a request.
type violations []Violation

func (vs *violations) check(ok bool, field, value, hint string) {
	if !ok {
		if utf8.RuneCountInString(value) > 64 {
			value = string([]rune(value)[:64]) + "…"
		}
		*vs = append(*vs, Violation{Field: field, Value: value, Hint: hint})
	}
}

func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	return &ValidationError{Violations: vs}
}

// textLength checks a text field's length in characters.
func (vs *violations) textLength(field, value string, maxLen int) {
	n := utf8.RuneCountInString(value)
	vs.check(utf8.ValidString(value) && strings.TrimSpace(value) != "" && n >= MinTextLength && n <= maxLen && !strings.ContainsRune(value, 0),
		field, value, fmt.Sprintf("must have %d to %d characters", MinTextLength, maxLen))
}

func (vs *violations) userID(field, value string) {
	vs.check(strings.TrimSpace(value) != "" && len(value) <= MaxUserIDLength && utf8.ValidString(value) && !strings.ContainsRune(value, 0),
		field, value, fmt.Sprintf("must not be blank and have at most %d bytes", MaxUserIDLength))
}

// Scope limits what a caller sees and changes.
type Scope struct {
	// All grants every application (an ADMIN integration, or any
	// caller when access is not restricted).
	All bool
	// ApplicationIDs are the granted applications (internal ids) when
	// All is false.
	ApplicationIDs []int64
	// UserID, when set, limits the scope to the messages of that user
	// (the authenticated device's user).
	UserID string
}

// grants reports whether the scope includes the application.
func (s Scope) grants(appID int64) bool { return s.All || slices.Contains(s.ApplicationIDs, appID) }

// sees reports whether the scope includes the message.
func (s Scope) sees(m domain.InboxMessage) bool {
	if s.UserID != "" && m.UserID != s.UserID {
		return false
	}
	for _, id := range m.ApplicationIDs {
		if s.grants(id) {
			return true
		}
	}
	return false
}

// Notifier announces a new message to the user's devices in an
// application (an optional push; failures are logged, never returned to
// the poster).
type Notifier interface {
	InboxMessageArrived(ctx context.Context, applicationName, userID, messageID string) error
}

// Options configure the inbox.
type Options struct {
	// Store keeps the messages (required).
	Store store.Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Notifier announces messages posted with Notify (optional).
	Notifier Notifier
	// Logger receives notification failures.
	Logger *slog.Logger
}

// Service is the inbox.
type Service struct {
	st       store.Store
	now      func() time.Time
	notifier Notifier
	log      *slog.Logger
}

// New returns the inbox; it panics without a Store (a wiring mistake).
func New(opts Options) *Service {
	if opts.Store == nil {
		panic("inbox: Options.Store is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{st: opts.Store, now: opts.Now, notifier: opts.Notifier, log: opts.Logger}
}

// Message is an inbox message with the names of its applications.
type Message struct {
	domain.InboxMessage
	// Applications are the names of its applications, sorted.
	Applications []string
}

// NewMessage is a message to post.
type NewMessage struct {
	UserID       string
	Type         string
	Subject      string
	Summary      string
	Body         string
	Applications []string
	// Notify sends a push message to the user's devices in each
	// application once the message is stored.
	Notify bool
}

// ParseType reads a message type case-insensitively.
func ParseType(s string) (string, bool) {
	switch strings.ToLower(s) {
	case domain.InboxTypeText:
		return domain.InboxTypeText, true
	case domain.InboxTypeHTML:
		return domain.InboxTypeHTML, true
	}
	return "", false
}

// resolveApps maps application names to ids within the scope; an unknown
// or ungranted name is ErrAppNotFound.
func (s *Service) resolveApps(ctx context.Context, scope Scope, names []string) ([]int64, error) {
	ids := make([]int64, 0, len(names))
	for _, name := range names {
		a, err := s.st.GetApplicationByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !scope.grants(a.ID)) {
			return nil, fmt.Errorf("application %q: %w", name, ErrAppNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("look up application: %w", err)
		}
		if !slices.Contains(ids, a.ID) {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// names returns the application names of a message.
func (s *Service) withNames(ctx context.Context, m domain.InboxMessage) (Message, error) {
	out := Message{InboxMessage: m, Applications: make([]string, 0, len(m.ApplicationIDs))}
	for _, id := range m.ApplicationIDs {
		a, err := s.st.GetApplication(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("look up application: %w", err)
		}
		out.Applications = append(out.Applications, a.Name)
	}
	sort.Strings(out.Applications)
	return out, nil
}

// Create validates and stores a message for the applications within the
// scope, then announces it when asked to.
func (s *Service) Create(ctx context.Context, scope Scope, in NewMessage) (Message, error) {
	var vs violations
	vs.userID("userId", in.UserID)
	typ, ok := ParseType(in.Type)
	vs.check(ok, "type", in.Type, "must be text or html")
	vs.textLength("subject", in.Subject, MaxSubjectLength)
	vs.textLength("summary", in.Summary, MaxSummaryLength)
	vs.textLength("body", in.Body, MaxBodyLength)
	vs.check(len(in.Applications) > 0 && len(in.Applications) <= MaxApplications, "applications", "",
		fmt.Sprintf("must name 1 to %d applications", MaxApplications))
	for _, a := range in.Applications {
		vs.check(strings.TrimSpace(a) != "" && len(a) <= 255, "applications", a, "must not be blank and have at most 255 bytes")
	}
	if err := vs.err(); err != nil {
		return Message{}, err
	}
	appIDs, err := s.resolveApps(ctx, scope, in.Applications)
	if err != nil {
		return Message{}, err
	}
	m := domain.InboxMessage{
		ID: uuid.NewString(), UserID: in.UserID, Type: typ, Subject: in.Subject, Summary: in.Summary, Body: in.Body,
		ApplicationIDs: appIDs, Created: s.now().UTC().Truncate(time.Millisecond),
	}
	entry := audit.Admin("inbox message created", "", map[string]string{"inboxId": m.ID, "applications": strings.Join(in.Applications, ",")})
	entry.UserID = m.UserID
	if err := s.st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateInboxMessage(ctx, &m); err != nil {
			return err
		}
		return audit.Write(ctx, tx, m.Created, entry)
	}); err != nil {
		return Message{}, fmt.Errorf("create inbox message: %w", err)
	}
	out, err := s.withNames(ctx, m)
	if err != nil {
		return Message{}, err
	}
	if in.Notify && s.notifier != nil {
		for _, app := range out.Applications {
			if err := s.notifier.InboxMessageArrived(ctx, app, m.UserID, m.ID); err != nil {
				s.log.WarnContext(ctx, "inbox notification failed", "inboxId", m.ID, "applicationId", app, "error", err)
			}
		}
	}
	return out, nil
}

// ListQuery selects a page of a user's messages.
type ListQuery struct {
	UserID string
	// Applications keeps the messages of these applications; empty: of
	// every application within the scope.
	Applications []string
	OnlyUnread   bool
	// Page is 0-based; Size 0 is DefaultPageSize.
	Page, Size int
}

// filter builds the store filter of a user and applications within the scope.
func (s *Service) filter(ctx context.Context, scope Scope, userID string, apps []string) (store.InboxFilter, error) {
	var vs violations
	vs.userID("userId", userID)
	if scope.UserID != "" && userID != scope.UserID {
		return store.InboxFilter{}, fmt.Errorf("user outside the scope: %w", ErrMessageNotFound)
	}
	for _, a := range apps {
		vs.check(strings.TrimSpace(a) != "" && len(a) <= 255, "applications", a, "must not be blank and have at most 255 bytes")
	}
	if err := vs.err(); err != nil {
		return store.InboxFilter{}, err
	}
	f := store.InboxFilter{UserID: userID}
	if len(apps) > 0 {
		ids, err := s.resolveApps(ctx, scope, apps)
		if err != nil {
			return f, err
		}
		f.ApplicationIDs = ids
	} else if !scope.All {
		f.ApplicationIDs = scope.ApplicationIDs
		if len(f.ApplicationIDs) == 0 {
			f.ApplicationIDs = []int64{0} // no application: nothing matches
		}
	}
	return f, nil
}

// List returns a page of the user's messages, newest first.
func (s *Service) List(ctx context.Context, scope Scope, q ListQuery) ([]Message, error) {
	var vs violations
	vs.check(q.Page >= 0, "page", fmt.Sprint(q.Page), "must not be negative")
	vs.check(q.Size >= 0 && q.Size <= MaxPageSize, "size", fmt.Sprint(q.Size), fmt.Sprintf("must be 1 to %d", MaxPageSize))
	if err := vs.err(); err != nil {
		return nil, err
	}
	f, err := s.filter(ctx, scope, q.UserID, q.Applications)
	if err != nil {
		return nil, err
	}
	size := q.Size
	if size == 0 {
		size = DefaultPageSize
	}
	if q.Page > (1<<31)/size {
		return []Message{}, nil
	}
	f.OnlyUnread, f.Limit, f.Offset = q.OnlyUnread, size, q.Page*size
	ms, err := s.st.ListInboxMessages(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list inbox messages: %w", err)
	}
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		n, err := s.withNames(ctx, m)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// CountUnread counts the user's unread messages in an application.
func (s *Service) CountUnread(ctx context.Context, scope Scope, userID, application string) (int64, error) {
	f, err := s.filter(ctx, scope, userID, []string{application})
	if err != nil {
		return 0, err
	}
	f.OnlyUnread = true
	n, err := s.st.CountInboxMessages(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("count inbox messages: %w", err)
	}
	return n, nil
}

// Detail returns a message within the scope.
func (s *Service) Detail(ctx context.Context, scope Scope, id string) (Message, error) {
	m, err := s.get(ctx, s.st, scope, id)
	if err != nil {
		return Message{}, err
	}
	return s.withNames(ctx, m)
}

// get reads a message within the scope.
func (s *Service) get(ctx context.Context, r store.Reader, scope Scope, id string) (domain.InboxMessage, error) {
	if _, err := uuid.Parse(id); err != nil {
		return domain.InboxMessage{}, fmt.Errorf("id %q is no UUID: %w", id, ErrMessageNotFound)
	}
	m, err := r.GetInboxMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !scope.sees(m)) {
		return domain.InboxMessage{}, fmt.Errorf("inbox message %s: %w", id, ErrMessageNotFound)
	}
	if err != nil {
		return domain.InboxMessage{}, fmt.Errorf("get inbox message: %w", err)
	}
	return m, nil
}

// Read marks a message within the scope read (a read message keeps its
// first read time) and returns it.
func (s *Service) Read(ctx context.Context, scope Scope, id string) (Message, error) {
	var m domain.InboxMessage
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		var err error
		if m, err = s.get(ctx, tx, scope, id); err != nil {
			return err
		}
		if m.Read() {
			return nil
		}
		m.ReadAt = s.now().UTC().Truncate(time.Millisecond)
		_, err = tx.MarkInboxMessageRead(ctx, id, m.ReadAt)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	return s.withNames(ctx, m)
}

// ReadAll marks every unread message of the user in an application read
// and returns how many it marked.
func (s *Service) ReadAll(ctx context.Context, scope Scope, userID, application string) (int64, error) {
	f, err := s.filter(ctx, scope, userID, []string{application})
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		n, err = tx.MarkInboxMessagesRead(ctx, f, s.now().UTC().Truncate(time.Millisecond))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark inbox messages read: %w", err)
	}
	return n, nil
}

// DeviceScope is the scope of an authenticated device: its user's
// messages of its application.
func (s *Service) DeviceScope(ctx context.Context, application, userID string) (Scope, error) {
	a, err := s.st.GetApplicationByName(ctx, application)
	if errors.Is(err, store.ErrNotFound) {
		return Scope{}, fmt.Errorf("application %q: %w", application, ErrAppNotFound)
	}
	if err != nil {
		return Scope{}, fmt.Errorf("look up application: %w", err)
	}
	return Scope{ApplicationIDs: []int64{a.ID}, UserID: userID}, nil
}
