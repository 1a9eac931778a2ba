package vb365sim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

const (
	defaultLimit = 30
	maxLimit     = 10000
)

// lowerQuery returns the first value of each query parameter by lower-case name.
func lowerQuery(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			out[strings.ToLower(k)] = v[0]
		}
	}
	return out
}

// paging reads offset and limit (default 0 and 30, limit at most 10,000).
func paging(c *call) (offset, limit int, resp response, ok bool) {
	q := lowerQuery(c.r)
	offset, limit = 0, defaultLimit
	for name, dst := range map[string]*int{"offset": &offset, "limit": &limit} {
		raw, present := q[name]
		if !present {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return 0, 0, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not valid for "+name+"."), false
		}
		*dst = n
	}
	if limit == 0 {
		limit = defaultLimit
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	return offset, limit, response{}, true
}

// pageBounds is the slice [start:end) of n items that a page shows.
func pageBounds(n, offset, limit int) (start, end int) {
	start = min(offset, n)
	return start, min(start+limit, n)
}

// page cuts one page out of all, with first/prev/self/next links.
func page[T any](c *call, path string, all []T, offset, limit int) wirePage[T] {
	start, end := pageBounds(len(all), offset, limit)
	return pageOf(c, path, all[start:end], len(all), offset, limit)
}

// pageOf is one page whose results are already cut out of total items. From
// v6 on a page carries a setId (the documents: "ID of this request stored in
// cache"; the simulator caches nothing, so it is new on every answer) and,
// on v6 and v7, whose documents have it, totalCount.
func pageOf[T any](c *call, path string, results []T, total, offset, limit int) wirePage[T] {
	if results == nil {
		results = []T{}
	}
	end := min(offset, total) + len(results)
	at := func(off int) string {
		return c.link(path) + "?offset=" + strconv.Itoa(off) + "&limit=" + strconv.Itoa(limit)
	}
	links := wireLinks{{"first", at(0)}}
	if offset > 0 {
		links = append(links, namedLink{"prev", at(max(0, offset-limit))})
	}
	links = append(links, namedLink{"self", at(offset)})
	if end < total {
		links = append(links, namedLink{"next", at(end)})
	}
	p := wirePage[T]{Offset: offset, Limit: limit, Results: results, Links: links}
	if c.vn >= 6 {
		p.SetID = uuid.NewString()
	}
	if c.vn == 6 || c.vn == 7 {
		p.TotalCount = &total
	}
	return p
}
