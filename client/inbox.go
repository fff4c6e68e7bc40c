package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mauth/mauth/wire"
)

// The inbox types (one definition in package wire).
type (
	// InboxMessage is a message in a list (without its body).
	InboxMessage = wire.InboxMessage
	// InboxMessageDetail is a message with its body.
	InboxMessageDetail = wire.InboxMessageDetail
	// InboxPage is a page of messages.
	InboxPage = wire.InboxPage
)

// InboxCount returns the number of unread messages of the device's user
// in its application (MAC token).
func (c *Client) InboxCount(ctx context.Context, t *Token) (int64, error) {
	raw, err := c.tokenPost(ctx, t, wire.InboxCountPath, "", struct{}{})
	if err != nil {
		return 0, err
	}
	var out wire.InboxCount
	return out.CountUnread, decodeResponseObject(raw, &out)
}

// InboxList returns a page (0-based; size 0 is the server's default) of
// the messages, newest first, only the unread ones when onlyUnread.
func (c *Client) InboxList(ctx context.Context, t *Token, page, size int, onlyUnread bool) (InboxPage, error) {
	raw, err := c.tokenPost(ctx, t, wire.InboxListPath, "", wire.InboxListRequest{Page: page, Size: size, OnlyUnread: onlyUnread})
	if err != nil {
		return InboxPage{}, err
	}
	var out InboxPage
	if err := json.Unmarshal(raw, &out); err != nil {
		return InboxPage{}, fmt.Errorf("client: decode inbox page: %w", err)
	}
	if out.Status != "OK" {
		return InboxPage{}, fmt.Errorf("client: response status %q", out.Status)
	}
	return out, nil
}

// InboxDetail returns a message with its body.
func (c *Client) InboxDetail(ctx context.Context, t *Token, id string) (InboxMessageDetail, error) {
	raw, err := c.tokenPost(ctx, t, wire.InboxDetailPath, "", wire.InboxMessageRequest{ID: id})
	if err != nil {
		return InboxMessageDetail{}, err
	}
	var out InboxMessageDetail
	return out, decodeResponseObject(raw, &out)
}

// InboxRead marks a message read.
func (c *Client) InboxRead(ctx context.Context, t *Token, id string) error {
	raw, err := c.tokenPost(ctx, t, wire.InboxReadPath, "", wire.InboxMessageRequest{ID: id})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}

// InboxReadAll marks every message read.
func (c *Client) InboxReadAll(ctx context.Context, t *Token) error {
	raw, err := c.tokenPost(ctx, t, wire.InboxReadAllPath, "", struct{}{})
	if err != nil {
		return err
	}
	return decodeResponseObject(raw, nil)
}
