package vb365

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
)

// wireLink is one HAL link, {"href": "..."}.
type wireLink struct {
	Href string `json:"href"`
}

// wirePage is VB365's page of a collection (PageOf... in the documents).
type wirePage[W any] struct {
	Offset  int                 `json:"offset"`
	Limit   int                 `json:"limit"`
	SetID   string              `json:"setId"`
	Results []W                 `json:"results"`
	Links   map[string]wireLink `json:"_links"`
}

// getPage sends r and reads the answer as one page of a collection
// (decodeList), each result converted by conv; a page that names no offset
// is at the offset asked for.
func getPage[W, T any](ctx context.Context, c *Client, r *request, opts ListOptions, conv func(*W) T) (*Page[T], error) {
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	wp, hasNext, err := decodeList[W](resp.body, opts.Limit)
	if err != nil {
		return nil, decodeError(r, resp, err)
	}
	p := &Page[T]{Offset: wp.Offset, Limit: wp.Limit, SetID: wp.SetID, HasNext: hasNext, Results: make([]T, 0, len(wp.Results))}
	if p.Offset == 0 {
		p.Offset = opts.Offset
	}
	for i := range wp.Results {
		p.Results = append(p.Results, conv(&wp.Results[i]))
	}
	return p, nil
}

// decodeList reads a collection that is either a bare JSON array (v5 to v7
// organizations, old session lists) or a page object (v8 organizations,
// sessions and events from v6 on). A bare array carries no paging
// information, so hasNext is guessed: a full page (as many items as asked
// for) may have a successor.
func decodeList[W any](body []byte, askedLimit int) (wirePage[W], bool, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return wirePage[W]{}, false, errors.New("empty body where a list was expected")
	}
	switch trimmed[0] {
	case '[':
		var items []W
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return wirePage[W]{}, false, err
		}
		p := wirePage[W]{Results: items, Limit: askedLimit}
		return p, askedLimit > 0 && len(items) >= askedLimit, nil
	case '{':
		var p wirePage[W]
		if err := json.Unmarshal(trimmed, &p); err != nil {
			return wirePage[W]{}, false, err
		}
		next, ok := p.Links["next"]
		return p, ok && next.Href != "", nil
	}
	return wirePage[W]{}, false, errors.New("body is neither a JSON array nor a page object")
}

// filterQuery is the query of one optional filter: key=value, or none when
// value is empty (the server then does not filter).
func filterQuery(key, value string) url.Values {
	q := url.Values{}
	if value != "" {
		q.Set(key, value)
	}
	return q
}

// pagingQuery adds offset and limit to q when set; zero means the server's
// default.
func pagingQuery(q url.Values, o ListOptions) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}
