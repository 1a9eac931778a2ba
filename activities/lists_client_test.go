package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// v8Sessions is an httptest VB365 v8 that lists restore sessions newest
// first by default (the documented default), honours orderBy=CreationTime
// with orderAsc and startTimeFrom, pages at most 3 a page, and creates a
// session of another restore before every list read but the first.
// (The simulator does not list newest first yet, hence this handler.)
type v8Sessions struct {
	mu       sync.Mutex
	sessions []map[string]any // oldest first
	reads    int
	asc      []bool
}

func (s *v8Sessions) add(created time.Time) string {
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", len(s.sessions)+1)
	s.sessions = append(s.sessions, map[string]any{"id": id, "organization": "abc.onmicrosoft.com", "type": "Vet",
		"creationTime": vb365.FormatTime(created), "state": "Working", "result": "Success"})
	return id
}

func (s *v8Sessions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v8/ServiceInstance":
		w.WriteHeader(401)
		return
	case "/v8/token":
		_, _ = w.Write([]byte(`{"access_token":"a","refresh_token":"r","token_type":"bearer","expires_in":3600}`))
		return
	case "/v8/RestoreSessions":
	default:
		w.WriteHeader(404)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.reads > 1 {
		s.add(time.Now())
	}
	q := r.URL.Query()
	asc := q.Get("orderBy") == "CreationTime" && q.Get("orderAsc") == "true"
	s.asc = append(s.asc, asc)
	var list []map[string]any
	for _, x := range s.sessions {
		if from := q.Get("startTimeFrom"); from != "" {
			f, _ := vb365.ParseTime(from)
			c, _ := vb365.ParseTime(x["creationTime"].(string))
			if c.Before(f) {
				continue
			}
		}
		list = append(list, x)
	}
	if !asc {
		slices.Reverse(list)
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	limit = min(max(limit, 1), 3)
	offset = min(offset, len(list))
	end := min(offset+limit, len(list))
	page := map[string]any{"offset": offset, "limit": limit, "results": list[offset:end], "_links": map[string]any{}}
	if end < len(list) {
		page["_links"] = map[string]any{"next": map[string]string{"href": "/v8/RestoreSessions?offset=" + strconv.Itoa(end)}}
	}
	_ = json.NewEncoder(w).Encode(page)
}

// Through the real client: v8 is asked for oldest first, so the sessions
// other restores create while the lookup pages land behind it, and every
// session there when it began is found once.
func TestListMatchingThroughTheClientOnV8(t *testing.T) {
	srv := &v8Sessions{}
	base := time.Now().Add(-time.Minute)
	var want []string
	for i := range 8 {
		want = append(want, srv.add(base.Add(time.Duration(i)*time.Second)))
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := vb365.New(vb365.Config{BaseURL: ts.URL, Username: "u", Password: "p"})
	require.NoError(t, err)
	a := New(Config{Client: c})
	got, err := a.listMatching(context.Background(), c, createInput(), base.Add(-time.Second), time.Time{})
	require.NoError(t, err)
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	require.Subset(t, ids, want)
	require.Len(t, ids, len(uniq(ids)))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	require.Greater(t, srv.reads, 3)
	require.NotContains(t, srv.asc, false, "every read asked for oldest first")
}
