package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/mauth/mauth/internal/console"
	"github.com/mauth/mauth/internal/push"
)

// consolePushError turns a refusal of the push server into a console
// error with its message (the push server's messages never carry a
// secret); other errors stay internal.
func consolePushError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, push.ErrUnknownApplication), errors.Is(err, push.ErrCampaignNotFound):
		return &console.Error{Code: "PUSH_NOT_FOUND", Message: err.Error(), Status: http.StatusNotFound}
	case push.IsBadRequest(err):
		return &console.Error{Code: "PUSH_INVALID_INPUT", Message: err.Error(), Status: http.StatusBadRequest}
	}
	return err
}

func (c consoleCore) PushApplications(ctx context.Context) ([]console.PushApplication, error) {
	var out []console.PushApplication
	for _, configured := range []bool{true, false} {
		list, err := c.push.Apps(ctx, configured)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			out = append(out, console.PushApplication{Application: a.AppID, APNs: a.APNs, FCM: a.FCM, HMS: a.HMS,
				APNsBundle: a.APNsBundle, APNsKeyID: a.APNsKeyID, APNsTeamID: a.APNsTeamID, APNsEnvironment: a.APNsEnvironment,
				FCMProjectID: a.FCMProjectID, HMSProjectID: a.HMSProjectID})
		}
	}
	return out, nil
}

func (c consoleCore) SetPushCredentials(ctx context.Context, application string, in console.PushCredentials) error {
	var creds push.Credentials
	if a := in.APNs; a != nil {
		creds.APNs = &push.APNsCredentials{PrivateKey: a.PrivateKey, KeyID: a.KeyID, TeamID: a.TeamID, Bundle: a.Bundle, Environment: a.Environment}
	}
	if f := in.FCM; f != nil {
		creds.FCM = &push.FCMCredentials{ServiceAccount: f.ServiceAccount, ProjectID: f.ProjectID}
	}
	if h := in.HMS; h != nil {
		creds.HMS = &push.HMSCredentials{ClientID: h.ClientID, ClientSecret: h.ClientSecret, ProjectID: h.ProjectID}
	}
	return consolePushError(c.push.SetCredentials(ctx, application, creds))
}

func (c consoleCore) RemovePushCredentials(ctx context.Context, application, platform string) error {
	p, ok := push.ParsePlatform(platform)
	if !ok {
		return &console.Error{Code: "PUSH_INVALID_INPUT", Message: "Unknown push platform.", Status: http.StatusBadRequest}
	}
	return consolePushError(c.push.RemoveCredentials(ctx, application, p))
}

func campaignView(in push.Campaign) console.Campaign {
	return console.Campaign{ID: in.ID, Application: in.AppID, Title: in.Message.Title, Body: in.Message.Body,
		Status: string(in.Status), Sent: in.Progress.Sent, Failed: in.Progress.Failed, Pending: in.Progress.Pending,
		Total: in.Progress.Total, Created: in.Created, SendStarted: in.SendStarted, Completed: in.Completed}
}

func (c consoleCore) Campaigns(ctx context.Context) ([]console.Campaign, error) {
	list, err := c.push.Campaigns(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]console.Campaign, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- { // newest first
		out = append(out, campaignView(list[i]))
	}
	return out, nil
}

func (c consoleCore) Campaign(ctx context.Context, id int64) (console.Campaign, error) {
	in, err := c.push.Campaign(ctx, id)
	if err != nil {
		return console.Campaign{}, consolePushError(err)
	}
	return campaignView(in), nil
}

func (c consoleCore) CreateCampaign(ctx context.Context, application, title, body string) (int64, error) {
	id, err := c.push.CreateCampaign(ctx, application, push.Body{Title: title, Body: body})
	return id, consolePushError(err)
}

func (c consoleCore) AddCampaignUsers(ctx context.Context, id int64, users []string) (int64, error) {
	n, err := c.push.AddCampaignUsers(ctx, id, users)
	return n, consolePushError(err)
}

func (c consoleCore) SendCampaign(ctx context.Context, id int64) error {
	return consolePushError(c.push.SendCampaignLive(ctx, id))
}

func (c consoleCore) CancelCampaign(ctx context.Context, id int64) error {
	return consolePushError(c.push.CancelCampaign(ctx, id))
}
