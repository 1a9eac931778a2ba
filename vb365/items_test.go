package vb365

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Find call reads every page the server announces, asking each from the
// offset after the last item read, and stops at the last page or at an
// empty page (whatever the page says of a next one).
func TestFindAllReadsEveryAnnouncedPage(t *testing.T) {
	pages := map[int]*Page[string]{
		0: {Offset: 0, Results: []string{"a", "b"}, HasNext: true},
		2: {Offset: 2, Results: []string{"c"}, HasNext: false},
	}
	var offsets []int
	found, err := findAll(context.Background(), "find", func(o ListOptions) (*Page[string], error) {
		offsets = append(offsets, o.Offset)
		assert.Equal(t, findPageLimit, o.Limit)
		return pages[o.Offset], nil
	}, func(s *string) bool { return *s != "b" })
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c"}, found, "an item of the last page is found")
	assert.Equal(t, []int{0, 2}, offsets)

	calls := 0
	found, err = findAll(context.Background(), "find", func(o ListOptions) (*Page[string], error) {
		calls++
		return &Page[string]{Offset: o.Offset, HasNext: true}, nil
	}, func(*string) bool { return true })
	require.NoError(t, err)
	assert.Empty(t, found)
	assert.Equal(t, 1, calls, "an empty page ends the search even when it announces a next one")
}

// Of two parent sites with the same URL (as VB365 may list a site and its
// re-created namesake), FindSite browses the one VB365 lists first.
func TestFindSiteBrowsesTheFirstListedOfEquallyCloseParents(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		switch r.URL.Query().Get("parentId") {
		case "":
			writeJSON(w, http.StatusOK, `{"offset":0,"limit":500,"results":[{"id":"a1","name":"A","url":"https://x/sites/a"},{"id":"a2","name":"A","url":"HTTPS://X/SITES/A"}]}`)
		case "a1":
			writeJSON(w, http.StatusOK, `{"offset":0,"limit":500,"results":[{"id":"sub1","name":"Sub","url":"https://x/sites/a/sub"}]}`)
		default:
			writeJSON(w, http.StatusOK, `{"offset":0,"limit":500,"results":[]}`)
		}
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, nil)
	site, err := c.FindSite(context.Background(), sessionID, "https://x/sites/a/sub")
	require.NoError(t, err)
	assert.Equal(t, "sub1", site.ID)
}
