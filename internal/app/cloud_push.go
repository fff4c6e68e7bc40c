package app

import (
	"context"
	"errors"

	"github.com/mauth/mauth/internal/cloud"
	"github.com/mauth/mauth/internal/push"
)

// cloudPush adapts the push server to the Cloud API's push port: every
// call is one of push.Service's own methods (validation, sealing at rest,
// audit, the outbox and its dispatcher).
type cloudPush struct{ svc *push.Service }

var _ cloud.Push = cloudPush{}

// pushError turns a refusal of the push server into the port's
// CoreError; other errors stay internal.
func pushError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, push.ErrUnknownApplication), errors.Is(err, push.ErrNotConfigured):
		return &cloud.CoreError{Kind: cloud.CoreNotFound, Message: err.Error(), Cause: err}
	case push.IsBadRequest(err):
		return &cloud.CoreError{Kind: cloud.CoreInvalid, Message: err.Error(), Cause: err}
	}
	return err
}

func (c cloudPush) SetPushCredentials(ctx context.Context, application string, in cloud.PushCredentials) error {
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
	return pushError(c.svc.SetCredentials(ctx, application, creds))
}

func (c cloudPush) PushSettings(ctx context.Context, application string) (cloud.PushSettings, error) {
	info, err := c.svc.App(ctx, application)
	if errors.Is(err, push.ErrNotConfigured) {
		return cloud.PushSettings{}, nil
	}
	if err != nil {
		return cloud.PushSettings{}, pushError(err)
	}
	var out cloud.PushSettings
	if info.APNs {
		out.APNs = &cloud.APNsSettings{Bundle: info.APNsBundle, KeyID: info.APNsKeyID, TeamID: info.APNsTeamID, Environment: info.APNsEnvironment}
	}
	if info.FCM {
		out.FCM = &cloud.ProjectSettings{ProjectID: info.FCMProjectID}
	}
	if info.HMS {
		out.HMS = &cloud.ProjectSettings{ProjectID: info.HMSProjectID}
	}
	return out, nil
}

func (c cloudPush) RemovePushCredentials(ctx context.Context, application, platform string) error {
	p, ok := push.ParsePlatform(platform)
	if !ok {
		return &cloud.CoreError{Kind: cloud.CoreInvalid, Message: "unknown push platform"}
	}
	return pushError(c.svc.RemoveCredentials(ctx, application, p))
}

func (c cloudPush) SendPushMessage(ctx context.Context, application string, m cloud.PushMessage) error {
	_, err := c.svc.Send(ctx, application, []push.SendMessage{{UserID: m.UserID, ActivationID: m.RegistrationID,
		Silent: m.Silent, Personal: true, Body: push.Body{Title: m.Title, Body: m.Message, Sound: m.Sound, Extras: m.Extras}}}, false)
	return pushError(err)
}

// silentOperationKey marks a context whose new operation is not announced
// by push (the Cloud API's silent operations).
type silentOperationKey struct{}

// withSilentOperation marks ctx so that the operation the core creates in
// it queues no mtoken.operationInit push (pushTx.CreateOperation).
func withSilentOperation(ctx context.Context) context.Context {
	return context.WithValue(ctx, silentOperationKey{}, true)
}

// silentOperation reports whether ctx asks for a silent operation.
func silentOperation(ctx context.Context) bool {
	v, _ := ctx.Value(silentOperationKey{}).(bool)
	return v
}
