package pushserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/mauth/mauth/internal/api/render"
	"github.com/mauth/mauth/internal/push"
)

// MaxUserListBody bounds the body of a campaign user add or delete: large
// enough for the reference's 100,000 users in one call.
const MaxUserListBody = 16 << 20

var errCampaignNotFound = &render.APIError{Status: http.StatusNotFound, Code: CodeDatabase, Message: "Campaign not found"}

func (s *Server) registerCampaigns(mux *http.ServeMux) {
	s.handle(mux, "POST /push/campaign/create", s.campaignCreate)
	for _, m := range []string{"POST", "DELETE"} {
		s.handle(mux, m+" /push/campaign/{id}/delete", s.campaignDelete)
		s.handle(mux, m+" /push/campaign/{id}/user/delete", s.campaignUsers(false))
	}
	for _, m := range []string{"POST", "PUT"} {
		s.handle(mux, m+" /push/campaign/{id}/user/add", s.campaignUsers(true))
	}
	s.handle(mux, "GET /push/campaign/{id}/detail", s.campaignDetail)
	s.handle(mux, "GET /push/campaign/list", s.campaignList)
	mux.Handle("GET /push/campaign/{id}/user/list", render.Serve(s.log, internalError, render.Bare, func(r *http.Request) (any, error) {
		answer, err := s.campaignUserList(r)
		if err != nil {
			return nil, apiError(err)
		}
		return answer, nil
	}))
	s.handle(mux, "POST /push/campaign/send/test/{id}", s.campaignTest)
	s.handle(mux, "POST /push/campaign/send/live/{id}", s.campaignLive)
	s.handle(mux, "POST /push/campaign/{id}/cancel", s.campaignCancel)
}

// campaignID reads the {id} path value and authorises the caller on the
// campaign's application (an unknown campaign: admins learn it is not
// found, others are denied).
func (s *Server) campaignID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("campaign id must be a positive integer")
	}
	app, err := s.opts.Push.CampaignApp(r.Context(), id)
	if errors.Is(err, push.ErrCampaignNotFound) {
		if err := s.check(r, "", true); err != nil {
			return 0, err
		}
		return 0, errCampaignNotFound
	}
	if err != nil {
		return 0, err
	}
	return id, s.check(r, app, false)
}

type campaignProgress struct {
	Sent    int64 `json:"sent"`
	Failed  int64 `json:"failed"`
	Pending int64 `json:"pending"`
	Total   int64 `json:"total"`
}

type campaignResponse struct {
	ID                 int64            `json:"id"`
	AppID              string           `json:"appId"`
	Sent               bool             `json:"sent"`
	Message            push.Body        `json:"message"`
	Status             string           `json:"status"`
	Progress           campaignProgress `json:"progress"`
	TimestampCreated   time.Time        `json:"timestampCreated"`
	TimestampSent      *time.Time       `json:"timestampSent,omitempty"`
	TimestampCompleted *time.Time       `json:"timestampCompleted,omitempty"`
}

func toCampaign(c push.Campaign) campaignResponse {
	out := campaignResponse{ID: c.ID, AppID: c.AppID, Sent: c.Sent, Message: c.Message, Status: string(c.Status),
		Progress:         campaignProgress{Sent: c.Progress.Sent, Failed: c.Progress.Failed, Pending: c.Progress.Pending, Total: c.Progress.Total},
		TimestampCreated: c.Created.UTC()}
	if !c.SendStarted.IsZero() {
		t := c.SendStarted.UTC()
		out.TimestampSent = &t
	}
	if !c.Completed.IsZero() {
		t := c.Completed.UTC()
		out.TimestampCompleted = &t
	}
	return out
}

func (s *Server) campaignCreate(r *http.Request) (any, error) {
	var req struct {
		AppID   string     `json:"appId"`
		Message *push.Body `json:"message"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.check(r, req.AppID, false); err != nil {
		return nil, err
	}
	if req.Message == nil {
		return nil, badRequest("message is required")
	}
	id, err := s.opts.Push.CreateCampaign(r.Context(), req.AppID, *req.Message)
	if err != nil {
		return nil, err
	}
	return struct {
		ID int64 `json:"id"`
	}{id}, nil
}

func (s *Server) campaignDelete(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Push.DeleteCampaign(r.Context(), id); err != nil {
		return nil, err
	}
	return struct {
		Deleted bool `json:"deleted"`
	}{true}, nil
}

func (s *Server) campaignDetail(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.opts.Push.Campaign(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return toCampaign(c), nil
}

func (s *Server) campaignList(r *http.Request) (any, error) {
	if err := s.check(r, "", true); err != nil {
		return nil, err
	}
	all := r.URL.Query().Get("all") == "true"
	cs, err := s.opts.Push.Campaigns(r.Context(), all)
	if err != nil {
		return nil, err
	}
	out := make([]campaignResponse, 0, len(cs))
	for _, c := range cs {
		out = append(out, toCampaign(c))
	}
	return out, nil
}

// campaignUsers adds (add) or removes users; the request object is a
// list of user ids (up to 16 MiB of JSON).
func (s *Server) campaignUsers(add bool) render.Endpoint {
	return func(r *http.Request) (any, error) {
		id, err := s.campaignID(r)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxUserListBody))
		if err != nil {
			return nil, badRequest("request body is unreadable or larger than 16 MiB")
		}
		var env struct {
			RequestObject []string `json:"requestObject"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, badRequest("requestObject must be a list of user ids")
		}
		if add {
			_, err = s.opts.Push.AddCampaignUsers(r.Context(), id, env.RequestObject)
		} else {
			_, err = s.opts.Push.RemoveCampaignUsers(r.Context(), id, env.RequestObject)
		}
		return nil, err
	}
}

// campaignUserList answers the reference's paged shape:
// {status, page, size, responseObject: {campaignId, users}}.
func (s *Server) campaignUserList(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	page, size := 0, 20
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil {
			return nil, badRequest("page must be an integer")
		}
	}
	if v := r.URL.Query().Get("size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil {
			return nil, badRequest("size must be an integer")
		}
	}
	users, err := s.opts.Push.CampaignUsers(r.Context(), id, page, size)
	if err != nil {
		return nil, err
	}
	if users == nil {
		users = []string{}
	}
	type obj struct {
		CampaignID int64    `json:"campaignId"`
		Users      []string `json:"users"`
	}
	return struct {
		Status         string `json:"status"`
		Page           int    `json:"page"`
		Size           int    `json:"size"`
		ResponseObject obj    `json:"responseObject"`
	}{"OK", page, size, obj{id, users}}, nil
}

func (s *Server) campaignTest(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		UserID string `json:"userId"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	_, err = s.opts.Push.SendCampaignTest(r.Context(), id, req.UserID)
	return nil, err
}

func (s *Server) campaignLive(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Push.SendCampaignLive(r.Context(), id)
}

func (s *Server) campaignCancel(r *http.Request) (any, error) {
	id, err := s.campaignID(r)
	if err != nil {
		return nil, err
	}
	return nil, s.opts.Push.CancelCampaign(r.Context(), id)
}
