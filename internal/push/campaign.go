package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mauth/mauth/internal/audit"
	"github.com/mauth/mauth/internal/domain"
	"github.com/mauth/mauth/internal/store"
)

// ErrCampaignNotFound is returned for an unknown campaign id.
var ErrCampaignNotFound = errors.New("push: campaign not found")

// MaxCampaignUsers bounds the users of one add or remove call.
const MaxCampaignUsers = 200_000

// CampaignBatch is how many users' devices one step of a live send queues.
const CampaignBatch = 1000

// Campaign is a campaign with its progress.
type Campaign struct {
	ID int64
	// AppID is the application name.
	AppID string
	// Message is the body sent to every device.
	Message Body
	// Status is CREATED, SENDING, SENT or CANCELED; Sent tells whether the
	// live send started.
	Status domain.PushCampaignStatus
	Sent   bool
	// Progress counts the queued messages by state (readable while the
	// campaign runs).
	Progress domain.PushCampaignProgress
	// Created, SendStarted and Completed times (zero when not yet).
	Created, SendStarted, Completed time.Time
}

// collapseKey is a campaign's collapse key: the message's own, else
// campaign-<id>, so that a message repeated after a crash replaces the
// first one on the phone.
func campaignBody(c domain.PushCampaign) (stored, error) {
	var b stored
	if err := json.Unmarshal(c.Message, &b); err != nil {
		return b, fmt.Errorf("push: campaign message: %w", err)
	}
	if b.CollapseKey == "" {
		b.CollapseKey = "campaign-" + strconv.FormatInt(c.ID, 10)
	}
	return b, nil
}

// CreateCampaign stores a campaign of an application (by name) with its
// message, validated like a message send.
func (s *Service) CreateCampaign(ctx context.Context, appName string, body Body) (int64, error) {
	st := stored{Body: body, Priority: PriorityHigh}
	if err := st.validate(); err != nil {
		return 0, err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return 0, invalid("message body is not JSON: %v", err)
	}
	var id int64
	err = s.st.InTx(ctx, func(tx store.Tx) error {
		app, err := appByName(ctx, tx, appName)
		if err != nil {
			return err
		}
		now := s.now()
		c := domain.PushCampaign{ApplicationID: app.ID, Message: raw, Status: domain.PushCampaignCreated, Created: now}
		if err := tx.CreatePushCampaign(ctx, &c); err != nil {
			return err
		}
		id = c.ID
		return audit.Write(ctx, tx, now, audit.Admin("push.campaign.create", app.Name, map[string]string{"campaignId": strconv.FormatInt(c.ID, 10)}))
	})
	return id, err
}

func (s *Service) campaign(ctx context.Context, r store.Reader, id int64) (domain.PushCampaign, domain.Application, error) {
	c, err := r.GetPushCampaign(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, domain.Application{}, ErrCampaignNotFound
	}
	if err != nil {
		return c, domain.Application{}, fmt.Errorf("push: read campaign: %w", err)
	}
	app, err := r.GetApplication(ctx, c.ApplicationID)
	if err != nil {
		return c, app, fmt.Errorf("push: campaign application: %w", err)
	}
	return c, app, nil
}

// CampaignApp returns the application name of a campaign (access checks).
func (s *Service) CampaignApp(ctx context.Context, id int64) (string, error) {
	_, app, err := s.campaign(ctx, s.st, id)
	return app.Name, err
}

// Campaign returns a campaign with its progress.
func (s *Service) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, app, err := s.campaign(ctx, s.st, id)
	if err != nil {
		return Campaign{}, err
	}
	return s.campaignInfo(ctx, c, app.Name)
}

func (s *Service) campaignInfo(ctx context.Context, c domain.PushCampaign, appName string) (Campaign, error) {
	var b stored
	_ = json.Unmarshal(c.Message, &b) // validated when stored
	p, err := s.st.PushCampaignProgress(ctx, c.ID)
	if err != nil {
		return Campaign{}, fmt.Errorf("push: campaign progress: %w", err)
	}
	return Campaign{ID: c.ID, AppID: appName, Message: b.Body, Status: c.Status, Sent: c.Status != domain.PushCampaignCreated,
		Progress: p, Created: c.Created, SendStarted: c.Sent, Completed: c.Completed}, nil
}

// Campaigns lists the campaigns (all, or only those not sent yet).
func (s *Service) Campaigns(ctx context.Context, all bool) ([]Campaign, error) {
	cs, err := s.st.ListPushCampaigns(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("push: list campaigns: %w", err)
	}
	out := make([]Campaign, 0, len(cs))
	for _, c := range cs {
		app, err := s.st.GetApplication(ctx, c.ApplicationID)
		if err != nil {
			return nil, fmt.Errorf("push: campaign application: %w", err)
		}
		info, err := s.campaignInfo(ctx, c, app.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteCampaign deletes a campaign and its users; a campaign being sent
// is cancelled first (its unsent messages fail).
func (s *Service) DeleteCampaign(ctx context.Context, id int64) error {
	return s.st.InTx(ctx, func(tx store.Tx) error {
		c, app, err := s.campaign(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.FailPushCampaignMessages(ctx, id, "campaign deleted", now); err != nil {
			return err
		}
		if err := tx.DeletePushCampaign(ctx, c.ID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("push.campaign.delete", app.Name, map[string]string{"campaignId": strconv.FormatInt(id, 10)}))
	})
}

func checkUsers(users []string) error {
	if len(users) == 0 || len(users) > MaxCampaignUsers {
		return invalid("1 to %d user ids are required", MaxCampaignUsers)
	}
	for _, u := range users {
		if strings.TrimSpace(u) == "" || len(u) > 255 {
			return invalid("user ids must have 1 to 255 characters")
		}
	}
	return nil
}

// AddCampaignUsers adds users to a campaign not sent yet (duplicates are
// skipped) in one transaction and returns how many were added.
func (s *Service) AddCampaignUsers(ctx context.Context, id int64, users []string) (int64, error) {
	if err := checkUsers(users); err != nil {
		return 0, err
	}
	var n int64
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		c, _, err := s.campaign(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status != domain.PushCampaignCreated {
			return invalid("campaign %d is %s: users can only change before the live send", id, c.Status)
		}
		n, err = tx.AddPushCampaignUsers(ctx, id, users, s.now())
		return err
	})
	return n, err
}

// RemoveCampaignUsers removes users from a campaign not sent yet.
func (s *Service) RemoveCampaignUsers(ctx context.Context, id int64, users []string) (int64, error) {
	if err := checkUsers(users); err != nil {
		return 0, err
	}
	var n int64
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		c, _, err := s.campaign(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status != domain.PushCampaignCreated {
			return invalid("campaign %d is %s: users can only change before the live send", id, c.Status)
		}
		n, err = tx.DeletePushCampaignUsers(ctx, id, users)
		return err
	})
	return n, err
}

// CampaignUsers returns a page (0-based) of a campaign's users.
func (s *Service) CampaignUsers(ctx context.Context, id int64, page, size int) ([]string, error) {
	if page < 0 || size < 1 || size > 10_000 {
		return nil, invalid("page must be 0 or more and size 1 to 10000")
	}
	if _, _, err := s.campaign(ctx, s.st, id); err != nil {
		return nil, err
	}
	return s.st.ListPushCampaignUsers(ctx, id, page*size, size)
}

// SendCampaignTest sends the campaign's message synchronously to every
// device of one user (not silent, not personal), outside the campaign.
func (s *Service) SendCampaignTest(ctx context.Context, id int64, userID string) (SendResult, error) {
	c, app, err := s.campaign(ctx, s.st, id)
	if err != nil {
		return SendResult{}, err
	}
	b, err := campaignBody(c)
	if err != nil {
		return SendResult{}, err
	}
	return s.Send(ctx, app.Name, []SendMessage{{UserID: userID, Priority: PriorityHigh, Body: b.Body}}, true)
}

// SendCampaignLive starts the live send of a campaign: the dispatcher
// queues a message for every registered device of its users, CampaignBatch
// users at a time (progress is readable meanwhile), and delivers them.
func (s *Service) SendCampaignLive(ctx context.Context, id int64) error {
	err := s.st.InTx(ctx, func(tx store.Tx) error {
		c, app, err := s.campaign(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status != domain.PushCampaignCreated {
			return invalid("campaign %d is %s already", id, c.Status)
		}
		from := c
		now := s.now()
		c.Status, c.Sent = domain.PushCampaignSending, now
		if err := tx.UpdatePushCampaign(ctx, &c, from); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("push.campaign.send", app.Name, map[string]string{"campaignId": strconv.FormatInt(id, 10)}))
	})
	if err == nil {
		s.Wake()
	}
	return err
}

// CancelCampaign stops a campaign: nothing more is queued and its queued
// messages not yet being sent fail.
func (s *Service) CancelCampaign(ctx context.Context, id int64) error {
	return s.st.InTx(ctx, func(tx store.Tx) error {
		c, app, err := s.campaign(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Status == domain.PushCampaignCanceled {
			return nil
		}
		from := c
		now := s.now()
		c.Status = domain.PushCampaignCanceled
		if err := tx.UpdatePushCampaign(ctx, &c, from); err != nil {
			return err
		}
		if _, err := tx.FailPushCampaignMessages(ctx, id, "campaign canceled", now); err != nil {
			return err
		}
		return audit.Write(ctx, tx, now, audit.Admin("push.campaign.cancel", app.Name, map[string]string{"campaignId": strconv.FormatInt(id, 10)}))
	})
}

// QueueCampaignsOnce queues the next batch of every campaign being sent
// and returns how many messages it queued. The cursor moves in the same
// transaction as the batch is queued (compare-and-set), so a crash
// neither skips nor repeats a batch, and several nodes may run it at once.
func (s *Service) QueueCampaignsOnce(ctx context.Context) (int64, error) {
	cs, err := s.st.ListPushCampaigns(ctx, true)
	if err != nil {
		return 0, fmt.Errorf("push: list campaigns: %w", err)
	}
	var total int64
	for _, c := range cs {
		if c.Status != domain.PushCampaignSending {
			continue
		}
		b, err := campaignBody(c)
		if err != nil {
			return total, err
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return total, fmt.Errorf("push: campaign message: %w", err)
		}
		err = s.st.InTx(ctx, func(tx store.Tx) error {
			cur, err := tx.GetPushCampaign(ctx, c.ID)
			if err != nil || cur.Status != domain.PushCampaignSending {
				return err
			}
			now := s.now()
			last, n, err := tx.QueuePushCampaignBatch(ctx, cur, raw, s.cfg.CampaignBatch, now)
			if err != nil {
				return err
			}
			next := cur
			if last == "" {
				next.Status, next.Completed = domain.PushCampaignSent, now
			} else {
				next.Cursor = last
			}
			total += n
			return tx.UpdatePushCampaign(ctx, &next, cur)
		})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return total, fmt.Errorf("push: queue campaign %d: %w", c.ID, err)
		}
	}
	return total, nil
}
