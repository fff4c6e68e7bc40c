package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mauth/mauth/internal/console"
)

// maxCampaignUsersForm bounds the user ids of one textarea (the request
// body is limited to 64 KiB anyway).
const maxCampaignUsersForm = 10_000

// pushPage is the data of the push page.
type pushPage struct {
	Apps      []console.PushApplication
	Campaigns []console.Campaign
}

func (s *Server) push(w http.ResponseWriter, r *http.Request, p console.Principal) {
	apps, err := s.c.Core().PushApplications(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	cs, err := s.c.Core().Campaigns(r.Context())
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "push", p, pushPage{Apps: apps, Campaigns: cs})
}

// secretField returns a secret from an uploaded file (file) or, when no
// file is given, from a pasted text field (text).
func secretField(r *http.Request, file, text string) ([]byte, error) {
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File[file]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, badInput("The uploaded file could not be read.")
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, 32<<10))
			if err != nil {
				return nil, badInput("The uploaded file could not be read.")
			}
			if len(b) > 0 {
				return b, nil
			}
		}
	}
	return []byte(strings.TrimSpace(r.PostForm.Get(text))), nil
}

func (s *Server) setPushCredentials(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, platform := form(r, "application"), r.PathValue("platform")
	var in console.PushCredentials
	switch platform {
	case "apns":
		key, err := secretField(r, "keyFile", "key")
		if err != nil {
			s.fail(w, r, p, err)
			return
		}
		in.APNs = &console.APNsCredentials{PrivateKey: key, KeyID: form(r, "keyId"), TeamID: form(r, "teamId"),
			Bundle: form(r, "bundle"), Environment: form(r, "environment")}
	case "fcm":
		sa, err := secretField(r, "serviceAccountFile", "serviceAccount")
		if err != nil {
			s.fail(w, r, p, err)
			return
		}
		in.FCM = &console.FCMCredentials{ServiceAccount: sa, ProjectID: form(r, "projectId")}
	case "hms":
		in.HMS = &console.HMSCredentials{ClientID: form(r, "clientId"), ClientSecret: form(r, "clientSecret"), ProjectID: form(r, "projectId")}
	default:
		s.fail(w, r, p, console.NotFound)
		return
	}
	if err := s.c.Core().SetPushCredentials(r.Context(), name, in); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "PUSH_CREDENTIALS_SET", map[string]string{"applicationId": name, "platform": platform})
	done(w, r, "/admin/push")
}

func (s *Server) removePushCredentials(w http.ResponseWriter, r *http.Request, p console.Principal) {
	name, platform := form(r, "application"), r.PathValue("platform")
	if err := s.c.Core().RemovePushCredentials(r.Context(), name, platform); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.record(r, p, "PUSH_CREDENTIALS_REMOVED", map[string]string{"applicationId": name, "platform": platform})
	done(w, r, "/admin/push")
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, p console.Principal) {
	app := form(r, "application")
	id, err := s.c.Core().CreateCampaign(r.Context(), app, form(r, "title"), form(r, "body"))
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	sid := strconv.FormatInt(id, 10)
	s.record(r, p, "PUSH_CAMPAIGN_CREATED", map[string]string{"applicationId": app, "campaignId": sid})
	done(w, r, "/admin/push/campaigns/"+sid)
}

// campaignID parses the {id} of a campaign path.
func campaignID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, console.NotFound
	}
	return id, nil
}

// campaignPage is the data of a campaign's page.
type campaignPage struct {
	Campaign console.Campaign
	Added    string
}

// LiveRefresh makes browsers without JavaScript reload a running
// campaign's page.
func (c campaignPage) LiveRefresh() bool { return c.Campaign.Running() }

func (s *Server) campaign(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := campaignID(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	c, err := s.c.Core().Campaign(r.Context(), id)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, "campaign", p, campaignPage{Campaign: c, Added: r.URL.Query().Get("added")})
}

// campaignStatus answers a campaign's progress as JSON (polled by the
// campaign page's script).
func (s *Server) campaignStatus(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := campaignID(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	c, err := s.c.Core().Campaign(r.Context(), id)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": c.Status, "running": c.Running(), "sent": c.Sent,
		"failed": c.Failed, "pending": c.Pending, "total": c.Total, "percent": c.Percent()})
}

// userLines splits a textarea into user ids: one per line (commas and
// semicolons separate too), blanks skipped, duplicates removed.
func userLines(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		u := strings.TrimSpace(f)
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

func (s *Server) addCampaignUsers(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := campaignID(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	users := userLines(r.PostForm.Get("users"))
	if len(users) == 0 || len(users) > maxCampaignUsersForm {
		s.fail(w, r, p, badInput(fmt.Sprintf("Give 1 to %d user ids, one per line.", maxCampaignUsersForm)))
		return
	}
	n, err := s.c.Core().AddCampaignUsers(r.Context(), id, users)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	sid := strconv.FormatInt(id, 10)
	s.record(r, p, "PUSH_CAMPAIGN_USERS_ADDED", map[string]string{"campaignId": sid, "added": strconv.FormatInt(n, 10)})
	done(w, r, "/admin/push/campaigns/"+sid+"?added="+strconv.FormatInt(n, 10))
}

func (s *Server) campaignAction(w http.ResponseWriter, r *http.Request, p console.Principal) {
	id, err := campaignID(r)
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	var action string
	switch r.PathValue("action") {
	case "send":
		err, action = s.c.Core().SendCampaign(r.Context(), id), "PUSH_CAMPAIGN_SENT"
	case "cancel":
		err, action = s.c.Core().CancelCampaign(r.Context(), id), "PUSH_CAMPAIGN_CANCELED"
	default:
		err = console.NotFound
	}
	if err != nil {
		s.fail(w, r, p, err)
		return
	}
	sid := strconv.FormatInt(id, 10)
	s.record(r, p, action, map[string]string{"campaignId": sid})
	done(w, r, "/admin/push/campaigns/"+sid)
}
