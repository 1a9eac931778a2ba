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

// wireOrganization is an organization as VB365 sends it, with lenient times.
type wireOrganization struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	OfficeName      string   `json:"officeName"`
	Type            string   `json:"type"`
	IsBackedUp      *bool    `json:"isBackedup"`
	FirstBackupTime wireTime `json:"firstBackuptime"`
	LastBackupTime  wireTime `json:"lastBackuptime"`
}

func (w *wireOrganization) organization(loc *time.Location) Organization {
	o := Organization{
		ID:              w.ID,
		Name:            w.Name,
		OfficeName:      w.OfficeName,
		Type:            w.Type,
		FirstBackupTime: w.FirstBackupTime.ptrIn(loc),
		LastBackupTime:  w.LastBackupTime.ptrIn(loc),
	}
	// Older shapes leave isBackedup out; a last backup time says it all.
	if w.IsBackedUp != nil {
		o.IsBackedUp = *w.IsBackedUp
	} else {
		o.IsBackedUp = o.LastBackupTime != nil
	}
	return o
}

// windowMissing reports an organization answered without its backup window
// although extendedView asked for it, and without saying it was never
// backed up: VB365 does so while the organization's backup proxy is offline.
// "Never backed up" is said explicitly, by isBackedup false or null times;
// older shapes without isBackedup still send lastBackuptime (maybe null).
func (w *wireOrganization) windowMissing() bool {
	if w.LastBackupTime.Valid || (w.IsBackedUp != nil && !*w.IsBackedUp) {
		return false
	}
	if w.IsBackedUp != nil { // backed up, yet no last backup time
		return true
	}
	return !w.LastBackupTime.Present && !w.FirstBackupTime.Present
}

// extendedView is on every organization read: without it v7 and v8 leave
// out isBackedup, firstBackuptime and lastBackuptime (the backup window the
// restore is validated against), and v6 declares the parameter required.
func orgQuery() url.Values { return url.Values{"extendedView": {"true"}} }

// GetOrganization reads one organization with its backup window
// (extendedView=true). When the window cannot be read because the
// organization's backup proxy is offline (errorCode ProxyOffline, or an
// answer without the window), the error wraps ErrBackupWindowUnavailable
// (IsBackupWindowUnavailable): transient, and never "not backed up".
func (c *Client) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	const op = "get organization"
	seg, err := pathSegment(op, "organization id", id)
	if err != nil {
		return nil, err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/Organizations/" + seg, query: orgQuery()}
	resp, err := c.call(ctx, r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && strings.EqualFold(e.ErrorCode, ErrorCodeProxyOffline) && e.Err == nil {
			cp := *e
			cp.Err = ErrBackupWindowUnavailable
			return nil, &cp
		}
		return nil, err
	}
	var w wireOrganization
	if err := json.Unmarshal(resp.body, &w); err != nil {
		return nil, decodeError(r, resp, err)
	}
	if w.windowMissing() {
		return nil, &Error{Op: op, Method: r.method, Path: r.path, StatusCode: resp.status, Err: ErrBackupWindowUnavailable}
	}
	o := w.organization(c.loc)
	return &o, nil
}

// maxPages bounds ListOrganizations against a server whose "next" link
// never ends.
const maxPages = 10000

// ListOrganizations lists every organization (bare array or page, all pages).
// v5 to v7 answer with one bare array; v8 pages, and the client follows
// _links.next by offset (not by the href, which is relative and would let a
// server send the bearer token elsewhere).
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	const op = "list organizations"
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	var all []Organization
	offset, limit := 0, 0
	for range maxPages {
		q := orgQuery()
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/Organizations", query: q}
		resp, err := c.call(ctx, r)
		if err != nil {
			return nil, err
		}
		page, hasNext, err := decodeList[wireOrganization](resp.body, 0)
		if err != nil {
			return nil, decodeError(r, resp, err)
		}
		for i := range page.Results {
			all = append(all, page.Results[i].organization(c.loc))
		}
		if !hasNext || len(page.Results) == 0 {
			return all, nil
		}
		offset = page.Offset + len(page.Results)
		limit = page.Limit
	}
	return nil, &Error{Op: op, Method: http.MethodGet, Path: "/" + string(v) + "/Organizations", Err: fmt.Errorf("more than %d pages", maxPages)}
}

// decodeError reports a 2xx response the client could not read. It is
// permanent: the same server will send the same body again.
func decodeError(r *request, resp *response, err error) *Error {
	return &Error{Op: r.op, Method: r.method, Path: r.path, StatusCode: resp.status, Err: fmt.Errorf("decode response: %w", err)}
}
