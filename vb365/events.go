package vb365

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// wireRestoreSessionEvent is an event as VB365 sends it, with lenient times.
type wireRestoreSessionEvent struct {
	ID            string   `json:"id"`
	Order         int32    `json:"order"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	Title         string   `json:"title"`
	Message       string   `json:"message"`
	StartTime     wireTime `json:"startTime"`
	EndTime       wireTime `json:"endTime"`
	Duration      string   `json:"duration"`
	ItemName      string   `json:"itemName"`
	ItemType      string   `json:"itemType"`
	ItemSizeBytes int64    `json:"itemSizeBytes"`
	Source        string   `json:"source"`
	Target        string   `json:"target"`
}

func (w *wireRestoreSessionEvent) event(loc *time.Location) RestoreSessionEvent {
	return RestoreSessionEvent{
		ID:            w.ID,
		Order:         w.Order,
		Type:          w.Type,
		Status:        w.Status,
		Title:         w.Title,
		Message:       w.Message,
		StartTime:     w.StartTime.in(loc),
		EndTime:       w.EndTime.ptrIn(loc),
		Duration:      w.Duration,
		ItemName:      w.ItemName,
		ItemType:      w.ItemType,
		ItemSizeBytes: w.ItemSizeBytes,
		Source:        w.Source,
		Target:        w.Target,
	}
}

// ListRestoreSessionEvents reads one page of a session's events.
//
// Offset n skips the first n events of the list as VB365 orders it; the
// page's results come sorted by Order (VB365 promises no order within a
// page, nor across pages: a reader that needs every event checks the orders
// it gets). HasNext follows the page's _links.next.
func (c *Client) ListRestoreSessionEvents(ctx context.Context, sessionID string, opts ListOptions) (*Page[RestoreSessionEvent], error) {
	const op = "list restore session events"
	seg, err := pathSegment(op, "restore session id", sessionID)
	if err != nil {
		return nil, err
	}
	if err := checkListOptions(op, opts); err != nil {
		return nil, err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/RestoreSessions/" + seg + "/Events", query: pagingQuery(url.Values{}, opts)}
	p, err := getPage(ctx, c, r, opts, func(w *wireRestoreSessionEvent) RestoreSessionEvent { return w.event(c.loc) })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(p.Results, func(i, j int) bool { return p.Results[i].Order < p.Results[j].Order })
	return p, nil
}

// GetRestoreSessionEvent reads one event of a session.
func (c *Client) GetRestoreSessionEvent(ctx context.Context, sessionID, eventID string) (*RestoreSessionEvent, error) {
	const op = "get restore session event"
	sseg, err := pathSegment(op, "restore session id", sessionID)
	if err != nil {
		return nil, err
	}
	eseg, err := pathSegment(op, "event id", eventID)
	if err != nil {
		return nil, err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/RestoreSessions/" + sseg + "/Events/" + eseg}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var w wireRestoreSessionEvent
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return nil, decodeError(r, resp, err)
	}
	if w.ID == "" {
		return nil, decodeError(r, resp, errors.New("event without id"))
	}
	e := w.event(c.loc)
	return &e, nil
}
