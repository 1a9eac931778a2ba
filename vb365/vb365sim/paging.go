package vb365sim

import (
	"net/http"
	"strconv"
	"strings"
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

// page cuts one page out of all, with first/prev/self/next links.
func page[T any](c *call, path string, all []T, offset, limit int) wirePage[T] {
	start := min(offset, len(all))
	end := min(start+limit, len(all))
	results := make([]T, 0, end-start)
	results = append(results, all[start:end]...)
	at := func(off int) string {
		return c.link(path) + "?offset=" + strconv.Itoa(off) + "&limit=" + strconv.Itoa(limit)
	}
	links := wireLinks{{"first", at(0)}}
	if offset > 0 {
		links = append(links, namedLink{"prev", at(max(0, offset-limit))})
	}
	links = append(links, namedLink{"self", at(offset)})
	if end < len(all) {
		links = append(links, namedLink{"next", at(end)})
	}
	return wirePage[T]{Offset: offset, Limit: limit, Results: results, Links: links}
}
