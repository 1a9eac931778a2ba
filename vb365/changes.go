package vb365

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// VB365 v8 has a change feed, GET /v8/Events: pages of what changed on the
// server (a restore session updated or deleted, among others), read from a
// change token on. Each page brings the token to read the next one from;
// "latest" starts at the end of the feed, and timeoutSeconds asks the
// server to hold the answer until a change arrives (a long poll).

// ChangesFromLatest is the From that starts reading at the end of the feed.
const ChangesFromLatest = "latest"

// MaxChangesLimit is the largest page of changes VB365 v8 documents.
const MaxChangesLimit = 10000

// Change types a restore's watcher acts on (RESTEventType has more; they
// come through as they are sent).
const (
	ChangeRestoreSessionUpdate = "RestoreSessionUpdate"
	ChangeRestoreSessionDelete = "RestoreSessionDelete"
)

// ErrorCodeOutdatedChangeToken is v8's errorCode for a change token the
// server no longer accepts.
const ErrorCodeOutdatedChangeToken = "OutdatedChangeToken"

// ChangesOptions reads one page of the change feed.
type ChangesOptions struct {
	// From is a change token from a previous page, or ChangesFromLatest.
	From string
	// Limit bounds the changes on the page (0: the server's default, 30;
	// at most MaxChangesLimit).
	Limit int
	// Wait asks VB365 to hold the answer until a change arrives or Wait
	// passes (timeoutSeconds, whole seconds). It is cut to MaxChangesWait;
	// 0 answers at once.
	Wait time.Duration
}

// Change is one entry of the change feed (v8 RESTEvent): for the restore
// session types, ID is the session's id and ETag its new version number.
type Change struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	ETag int64  `json:"eTag,omitempty"`
}

// ChangesPage is one page of the change feed (v8 Events_GetResponse).
type ChangesPage struct {
	// NextToken is where the next read starts.
	NextToken string
	Limit     int
	Changes   []Change
}

// wireChangesPage is v8's Events_GetResponse.
type wireChangesPage struct {
	NextChangeToken string       `json:"nextChangeToken"`
	Limit           int          `json:"limit"`
	SetID           string       `json:"setId"`
	Results         []wireChange `json:"results"`
}

// wireChange is v8's RESTEvent, the fields a restore session's change has.
type wireChange struct {
	EventType string `json:"eventType"`
	ID        string `json:"id"`
	ETag      int64  `json:"eTag"`
}

// MaxChangesWait is the longest long poll ListChanges asks for: half the
// client's request timeout, in whole seconds. The request timeout
// (VB365_TIMEOUT) bounds the whole exchange, and VB365 holds the answer for
// up to timeoutSeconds before it even starts to send it: a long poll as
// long as the timeout would be cut by the client and read as "no response".
// The other half is for VB365 to build and send the page, and for a server
// that answers a little late.
func (c *Client) MaxChangesWait() time.Duration {
	return (c.timeout / 2).Truncate(time.Second)
}

// ListChanges reads one page of VB365's change feed (GET /v8/Events). It
// is v8 only: on other versions it is refused before sending, with
// ErrUnsupportedVersion.
//
// The request counts against the worker's request rate like any other, but
// it does not hold one of the budget's in-flight slots while VB365 holds
// the answer: a waiting long poll costs the server little, while holding
// one of VB365_MAX_IN_FLIGHT slots for every wait would cost every other
// caller of the worker a slot for good.
func (c *Client) ListChanges(ctx context.Context, opts ChangesOptions) (*ChangesPage, error) {
	const op = "list changes"
	switch {
	case strings.TrimSpace(opts.From) == "":
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty change token (want a token or %q)", ErrInvalidArgument, ChangesFromLatest)}
	case opts.Limit < 0 || opts.Limit > MaxChangesLimit:
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: limit %d (want 0 to %d)", ErrInvalidArgument, opts.Limit, MaxChangesLimit)}
	case opts.Wait < 0:
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: negative wait %s", ErrInvalidArgument, opts.Wait)}
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	if v != V8 {
		return nil, refused(op, ErrUnsupportedVersion, "the change feed needs v8, the server speaks "+string(v))
	}
	q := url.Values{"from": {opts.From}}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	wait := min(opts.Wait, c.MaxChangesWait())
	if secs := int(wait / time.Second); secs > 0 {
		q.Set("timeoutSeconds", strconv.Itoa(secs))
		ctx = longPoll(ctx)
	}
	r := &request{op: op, method: http.MethodGet, path: "/v8/Events", query: q}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var w wireChangesPage
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return nil, decodeError(r, resp, err)
	}
	if w.NextChangeToken == "" {
		return nil, decodeError(r, resp, errors.New("page of changes without nextChangeToken"))
	}
	p := &ChangesPage{NextToken: w.NextChangeToken, Limit: w.Limit, Changes: make([]Change, 0, len(w.Results))}
	for _, wc := range w.Results {
		p.Changes = append(p.Changes, Change{Type: wc.EventType, ID: wc.ID, ETag: wc.ETag})
	}
	return p, nil
}

// IsChangeTokenRefused reports whether VB365 refused the change token of a
// ListChanges call: errorCode OutdatedChangeToken, or any 400 or 410 (a
// token it cannot read). The reader starts again from ChangesFromLatest,
// and what changed in between was not seen.
func IsChangeTokenRefused(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return strings.EqualFold(e.ErrorCode, ErrorCodeOutdatedChangeToken) ||
		e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusGone
}

type longPollKey struct{}

// longPoll marks a request that VB365 may hold for a while: the budget
// admits it by the rate alone, without an in-flight slot.
func longPoll(ctx context.Context) context.Context {
	return context.WithValue(ctx, longPollKey{}, true)
}

func isLongPoll(ctx context.Context) bool { return ctx.Value(longPollKey{}) == true }
