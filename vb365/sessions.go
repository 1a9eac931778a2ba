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

	"go.uber.org/zap"
)

// wireRestoreSession is a restore session as VB365 sends it, with lenient times.
type wireRestoreSession struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Organization string   `json:"organization"`
	Type         string   `json:"type"`
	CreationTime wireTime `json:"creationTime"`
	EndTime      wireTime `json:"endTime"`
	State        string   `json:"state"`
	Result       string   `json:"result"`
	InitiatedBy  string   `json:"initiatedBy"`
	Details      string   `json:"details"`
	Reason       string   `json:"reason"`
	ClientHost   string   `json:"clientHost"`
}

func (w *wireRestoreSession) session(loc *time.Location) RestoreSession {
	return RestoreSession{
		ID:           w.ID,
		Name:         w.Name,
		Organization: w.Organization,
		Type:         w.Type,
		CreationTime: w.CreationTime.in(loc),
		EndTime:      w.EndTime.ptrIn(loc),
		State:        w.State,
		Result:       w.Result,
		InitiatedBy:  w.InitiatedBy,
		Details:      w.Details,
		Reason:       w.Reason,
		ClientHost:   w.ClientHost,
	}
}

// exploreV5 is v5's body: the options wrapped in "explore", the time
// named "datetime", the type in lower case.
type exploreV5 struct {
	Explore exploreV5Options `json:"explore"`
}

type exploreV5Options struct {
	DateTime        string `json:"datetime"`
	Type            string `json:"type"`
	ShowDeleted     bool   `json:"showDeleted"`
	ShowAllVersions bool   `json:"showAllVersions"`
}

// exploreV6 is RESTExploreOptions (v6, v7) and RESTOrganizationExploreOptions
// (v8): unwrapped, "dateTime", the type as the documents' enum spells it.
type exploreV6 struct {
	DateTime        string `json:"dateTime"`
	Type            string `json:"type"`
	ShowDeleted     bool   `json:"showDeleted"`
	ShowAllVersions bool   `json:"showAllVersions"`
}

// StartRestoreSession opens a restore session for an organization.
//
// req.DateTime is sent in UTC; a zero DateTime asks for "now", which VB365
// answers with the latest restore point. Any 2xx is success: the documents
// disagree (200 in v6 and v7, 201 in v5 and v8).
func (c *Client) StartRestoreSession(ctx context.Context, organizationID string, req ExploreRequest) (*RestoreSession, error) {
	const op = "start restore session"
	seg, err := pathSegment(op, "organization id", organizationID)
	if err != nil {
		return nil, err
	}
	typ, err := ParseSessionType(string(req.Type))
	if err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: %v", ErrInvalidArgument, err)}
	}
	at := req.DateTime
	if at.IsZero() {
		at = c.now()
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	var (
		path string
		body any
	)
	if v == V5 {
		path = "/v5/Organizations/" + seg + "/action"
		body = exploreV5{Explore: exploreV5Options{
			DateTime:        FormatTime(at),
			Type:            strings.ToLower(string(typ)),
			ShowDeleted:     req.ShowDeleted,
			ShowAllVersions: req.ShowAllVersions,
		}}
	} else {
		path = "/" + string(v) + "/Organizations/" + seg + "/explore"
		body = exploreV6{
			DateTime:        FormatTime(at),
			Type:            string(typ),
			ShowDeleted:     req.ShowDeleted,
			ShowAllVersions: req.ShowAllVersions,
		}
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	r := &request{op: op, method: http.MethodPost, path: path, body: data, contentType: "application/json"}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.decodeSession(r, resp)
}

func (c *Client) decodeSession(r *request, resp *response) (*RestoreSession, error) {
	var w wireRestoreSession
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return nil, decodeError(r, resp, err)
	}
	if w.ID == "" {
		return nil, decodeError(r, resp, errors.New("restore session without id"))
	}
	s := w.session(c.loc)
	return &s, nil
}

// GetRestoreSession reads one restore session.
func (c *Client) GetRestoreSession(ctx context.Context, id string) (*RestoreSession, error) {
	const op = "get restore session"
	seg, err := pathSegment(op, "restore session id", id)
	if err != nil {
		return nil, err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/RestoreSessions/" + seg}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.decodeSession(r, resp)
}

// ListRestoreSessions reads one page of restore sessions. StartTimeFrom and
// StartTimeTo go as query parameters in UTC; OrderBy and OrderAsc only to
// v8, the one version that documents them.
func (c *Client) ListRestoreSessions(ctx context.Context, opts ListRestoreSessionsOptions) (*Page[RestoreSession], error) {
	const op = "list restore sessions"
	if err := checkListOptions(op, opts.ListOptions); err != nil {
		return nil, err
	}
	switch opts.OrderBy {
	case "", OrderByCreationTime, OrderByEndTime:
	default:
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: unknown order %q (want CreationTime or EndTime)", ErrInvalidArgument, opts.OrderBy)}
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	q := pagingQuery(url.Values{}, opts.ListOptions)
	if opts.StartTimeFrom != nil {
		q.Set("startTimeFrom", FormatTime(*opts.StartTimeFrom))
	}
	if opts.StartTimeTo != nil {
		q.Set("startTimeTo", FormatTime(*opts.StartTimeTo))
	}
	if opts.OrderBy != "" && v == V8 {
		q.Set("orderBy", string(opts.OrderBy))
		q.Set("orderAsc", strconv.FormatBool(opts.OrderAsc))
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/RestoreSessions", query: q}
	return getPage(ctx, c, r, opts.ListOptions, func(w *wireRestoreSession) RestoreSession { return w.session(c.loc) })
}

func checkListOptions(op string, o ListOptions) error {
	if o.Offset < 0 || o.Limit < 0 {
		return &Error{Op: op, Err: fmt.Errorf("%w: offset and limit must not be negative (got %d, %d)", ErrInvalidArgument, o.Offset, o.Limit)}
	}
	return nil
}

// StopRestoreSession stops a session and confirms it: a 2xx is not proof
// (VB365 has been seen to accept a stop and leave the session open, or to
// stop it late), so the session is read back, and when it is not Stopped the
// error wraps ErrStopNotConfirmed (IsStopNotConfirmed; transient): the
// caller stops again later. A failed read-back returns that read's error.
// Stopping a stopped session is not an error.
//
// v5 posts {"stop":null} to …/action; v6 and later post to …/Stop (200 in v6
// and v7, 204 in v8: any 2xx is success). VB365 may refuse to stop a session
// that is already stopped; after such a refusal (a 4xx other than 404, 408
// and 429) the client reads the session and reports success when it is
// Stopped, so that a retried stop, or one racing an operator in the console,
// still ends well.
func (c *Client) StopRestoreSession(ctx context.Context, id string) error {
	const op = "stop restore session"
	seg, err := pathSegment(op, "restore session id", id)
	if err != nil {
		return err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return err
	}
	r := &request{op: op, method: http.MethodPost}
	if v == V5 {
		r.path = "/v5/RestoreSessions/" + seg + "/action"
		r.body = []byte(`{"stop":null}`)
		r.contentType = "application/json"
	} else {
		r.path = "/" + string(v) + "/RestoreSessions/" + seg + "/Stop"
	}
	resp, err := c.call(ctx, r)
	if err == nil {
		s, gerr := c.GetRestoreSession(ctx, id)
		switch {
		case gerr != nil:
			return gerr
		case !s.Stopped():
			c.log.Debug("VB365 accepted a stop but the restore session is not stopped yet", zap.String("sessionId", id), zap.String("state", s.State))
			return &Error{Op: op, Method: r.method, Path: r.path, StatusCode: resp.status,
				Err: fmt.Errorf("%w (state %q)", ErrStopNotConfirmed, s.State)}
		}
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.StatusCode < 400 || e.StatusCode >= 500 || e.authFailure {
		return err
	}
	switch e.StatusCode {
	case http.StatusNotFound, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return err
	}
	s, gerr := c.GetRestoreSession(ctx, id)
	if gerr == nil && s.Stopped() {
		c.log.Debug("VB365 refused to stop a restore session that is already stopped", zap.String("sessionId", id), zap.Int("status", e.StatusCode))
		return nil
	}
	return err
}
