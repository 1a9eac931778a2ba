package vb365

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2020-10-30T10:29:05Z", utc(2020, 10, 30, 10, 29, 5, 0)},
		{"2017-04-05T08:04:55", utc(2017, 4, 5, 8, 4, 55, 0)}, // no zone: UTC (the docs' own example)
		{"2020-10-30T10:29:05.1", utc(2020, 10, 30, 10, 29, 5, 100000000)},
		{"2020-10-30T10:29:05.12Z", utc(2020, 10, 30, 10, 29, 5, 120000000)},
		{"2020-10-30T10:29:05.123Z", utc(2020, 10, 30, 10, 29, 5, 123000000)},
		{"2020-10-30T10:29:05.1234", utc(2020, 10, 30, 10, 29, 5, 123400000)},
		{"2020-10-30T10:29:05.12345Z", utc(2020, 10, 30, 10, 29, 5, 123450000)},
		{"2020-10-30T10:29:05.123456Z", utc(2020, 10, 30, 10, 29, 5, 123456000)},
		{"2020-10-30T14:51:36.0833712Z", utc(2020, 10, 30, 14, 51, 36, 83371200)},
		{"2020-10-30T14:51:36.0833712", utc(2020, 10, 30, 14, 51, 36, 83371200)},
		{"2020-10-30T16:51:36.0833712+02:00", utc(2020, 10, 30, 14, 51, 36, 83371200)},
		{"2020-10-30T09:51:36-0500", utc(2020, 10, 30, 14, 51, 36, 0)},
		{"2020-10-30 10:29:05", utc(2020, 10, 30, 10, 29, 5, 0)},
		{"2020-10-30 10:29:05.5Z", utc(2020, 10, 30, 10, 29, 5, 500000000)},
		{"2020-10-30t10:29:05z", utc(2020, 10, 30, 10, 29, 5, 0)},
		{" 2020-10-30T10:29:05z ", utc(2020, 10, 30, 10, 29, 5, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if tt.want.IsZero() {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s", got)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
	for _, bad := range []string{"", "yesterday", "2020-13-01T00:00:00Z", "30/10/2020 10:29"} {
		_, err := ParseTime(bad)
		assert.Error(t, err, bad)
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC), "2020-10-30T10:54:40.2794046Z"},
		{time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), "2020-10-30T10:54:40.0000000Z"},
		{time.Date(2020, 10, 30, 12, 54, 40, 5e8, time.FixedZone("CEST", 2*3600)), "2020-10-30T10:54:40.5000000Z"},
		{time.Date(2020, 10, 30, 10, 54, 40, 123456789, time.UTC), "2020-10-30T10:54:40.1234567Z"}, // VB365 keeps 100ns ticks
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FormatTime(tt.in))
	}
}

// Organizations decode whatever shape the versions send: bare array or page,
// times with or without zone, the backup window null, missing or empty.
func TestOrganizationDecoding(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantCount int
		check     func(t *testing.T, orgs []Organization)
	}{
		{
			name: "bare array, no zone, seven digits",
			body: `[{"id":"a","name":"A","isBackedup":true,"firstBackuptime":"2020-10-01T08:00:00","lastBackuptime":"2020-10-30T10:29:05.1234567"}]`,
			check: func(t *testing.T, orgs []Organization) {
				assert.Equal(t, time.Date(2020, 10, 1, 8, 0, 0, 0, time.UTC), *orgs[0].FirstBackupTime)
				assert.Equal(t, time.Date(2020, 10, 30, 10, 29, 5, 123456700, time.UTC), *orgs[0].LastBackupTime)
			},
			wantCount: 1,
		},
		{
			name:      "never backed up: null times",
			body:      `[{"id":"b","name":"B","isBackedup":false,"firstBackuptime":null,"lastBackuptime":null}]`,
			wantCount: 1,
			check: func(t *testing.T, orgs []Organization) {
				assert.False(t, orgs[0].IsBackedUp)
				assert.Nil(t, orgs[0].FirstBackupTime)
				assert.Nil(t, orgs[0].LastBackupTime)
			},
		},
		{
			name:      "missing times and flag, empty string",
			body:      `[{"id":"c","name":"C","lastBackuptime":""}]`,
			wantCount: 1,
			check: func(t *testing.T, orgs []Organization) {
				assert.False(t, orgs[0].IsBackedUp)
				assert.Nil(t, orgs[0].LastBackupTime)
			},
		},
		{
			name:      "flag missing, window present",
			body:      `[{"id":"d","name":"D","firstBackuptime":"2020-10-01T08:00:00+02:00","lastBackuptime":"2020-10-30T10:29:05Z"}]`,
			wantCount: 1,
			check: func(t *testing.T, orgs []Organization) {
				assert.True(t, orgs[0].IsBackedUp)
				assert.Equal(t, time.Date(2020, 10, 1, 6, 0, 0, 0, time.UTC), *orgs[0].FirstBackupTime)
			},
		},
		{
			name:      "page without next",
			body:      `{"offset":0,"limit":30,"setId":"x","results":[{"id":"e","name":"E"},{"id":"f","name":"F"}],"_links":{"self":{"href":"/v8/Organizations"}}}`,
			wantCount: 2,
		},
		{
			name:      "empty page",
			body:      `{"offset":0,"limit":30,"results":[]}`,
			wantCount: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v8")
			f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				writeJSON(w, 200, tt.body)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			orgs, err := c.ListOrganizations(context.Background())
			require.NoError(t, err)
			require.Len(t, orgs, tt.wantCount)
			if tt.check != nil {
				tt.check(t, orgs)
			}
		})
	}
}

func TestListOrganizationsFollowsPages(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		switch r.URL.Query().Get("offset") {
		case "":
			writeJSON(w, 200, `{"offset":0,"limit":2,"results":[{"id":"1"},{"id":"2"}],"_links":{"next":{"href":"/v8/Organizations?offset=2&limit=2"}}}`)
		case "2":
			assert.Equal(t, "2", r.URL.Query().Get("limit"))
			writeJSON(w, 200, `{"offset":2,"limit":2,"results":[{"id":"3"},{"id":"4"}],"_links":{"next":{"href":"/v8/Organizations?offset=4&limit=2"}}}`)
		case "4":
			writeJSON(w, 200, `{"offset":4,"limit":2,"results":[{"id":"5"}],"_links":{}}`)
		default:
			t.Errorf("unexpected offset %q", r.URL.Query().Get("offset"))
			return false
		}
		return true
	}
	c := newTestClient(t, f.start().URL, nil)
	orgs, err := c.ListOrganizations(context.Background())
	require.NoError(t, err)
	var ids []string
	for _, o := range orgs {
		ids = append(ids, o.ID)
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, ids)
}

func TestListEventsShapes(t *testing.T) {
	ev := func(order string) string {
		return `{"id":"e` + order + `","status":"Success","message":"m","startTime":"2020-10-30T14:52:00","order":` + order + `}`
	}
	tests := []struct {
		name        string
		opts        ListOptions
		body        string
		wantOrders  []int32
		wantHasNext bool
		wantOffset  int
	}{
		{"page with next, unsorted", ListOptions{Offset: 3, Limit: 3}, `{"offset":3,"limit":3,"results":[` + ev("6") + `,` + ev("4") + `,` + ev("5") + `],"_links":{"next":{"href":"x"}}}`, []int32{4, 5, 6}, true, 3},
		{"page, last", ListOptions{Offset: 6, Limit: 3}, `{"offset":6,"limit":3,"results":[` + ev("7") + `],"_links":{"self":{"href":"x"}}}`, []int32{7}, false, 6},
		{"page, next without href", ListOptions{}, `{"offset":0,"limit":30,"results":[],"_links":{"next":{}}}`, nil, false, 0},
		{"bare array, full", ListOptions{Offset: 1, Limit: 2}, `[` + ev("3") + `,` + ev("2") + `]`, []int32{2, 3}, true, 1},
		{"bare array, short", ListOptions{Limit: 5}, `[` + ev("1") + `]`, []int32{1}, false, 0},
		{"bare array, no limit", ListOptions{}, `[` + ev("1") + `,` + ev("2") + `]`, []int32{1, 2}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, "v7")
			f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				q := r.URL.Query()
				if tt.opts.Offset > 0 {
					assert.Equal(t, tt.opts.Offset, atoi(q.Get("offset")))
				} else {
					assert.False(t, q.Has("offset"))
				}
				if tt.opts.Limit > 0 {
					assert.Equal(t, tt.opts.Limit, atoi(q.Get("limit")))
				} else {
					assert.False(t, q.Has("limit"))
				}
				writeJSON(w, 200, tt.body)
				return true
			}
			c := newTestClient(t, f.start().URL, nil)
			p, err := c.ListRestoreSessionEvents(context.Background(), sessionID, tt.opts)
			require.NoError(t, err)
			var orders []int32
			for _, e := range p.Results {
				orders = append(orders, e.Order)
			}
			assert.Equal(t, tt.wantOrders, orders)
			assert.Equal(t, tt.wantHasNext, p.HasNext)
			assert.Equal(t, tt.wantOffset, p.Offset)
		})
	}
}

func TestUndecodableBodiesArePermanent(t *testing.T) {
	for _, body := range []string{``, `"hello"`, `{"results":"nope"}`, `<html>oops</html>`} {
		f := newFake(t, "v8")
		f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			writeJSON(w, 200, body)
			return true
		}
		c := newTestClient(t, f.start().URL, nil)
		_, err := c.ListRestoreSessions(context.Background(), ListRestoreSessionsOptions{})
		var e *Error
		require.ErrorAs(t, err, &e, body)
		assert.Equal(t, 200, e.StatusCode)
		assert.False(t, IsTransient(err), body)
		assert.Equal(t, "list restore sessions", e.Op)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// Zone-less times are the VB365 server's local time: with the server in
// Berlin, an organization's "2020-10-30T10:29:05" is 09:29:05 UTC (CET) and
// a summer one two hours off (CEST); times with an offset or Z keep theirs.
func TestZonelessTimesInServerZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		switch {
		case strings.HasSuffix(r.URL.Path, "/Organizations/"+orgID):
			writeJSON(w, 200, `{"id":"`+orgID+`","name":"A","isBackedup":true,"firstBackuptime":"2020-07-01T08:00:00","lastBackuptime":"2020-10-30T10:29:05.1234567"}`)
		case strings.HasSuffix(r.URL.Path, "/Events"):
			writeJSON(w, 200, `{"offset":0,"limit":30,"results":[`+
				`{"id":"e0","order":0,"status":"Success","message":"m","startTime":"2020-10-30T14:52:00+03:00","endTime":"2020-10-30T11:52:01Z"},`+
				`{"id":"e1","order":1,"status":"Success","message":"m","startTime":"2020-10-30T12:53:00"}]}`)
		default:
			writeJSON(w, 200, `{"id":"`+sessionID+`","type":"Vet","creationTime":"2020-10-30T15:51:36.0833712","endTime":"2020-10-30T15:00:00Z","state":"Stopped"}`)
		}
		return true
	}
	url := f.start().URL
	ctx := context.Background()

	c := newTestClient(t, url, func(cfg *Config) { cfg.ServerTimeZone = berlin })
	org, err := c.GetOrganization(ctx, orgID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 7, 1, 6, 0, 0, 0, time.UTC), *org.FirstBackupTime, "CEST is UTC+2")
	assert.Equal(t, time.Date(2020, 10, 30, 9, 29, 5, 123456700, time.UTC), *org.LastBackupTime, "CET is UTC+1")
	assert.Equal(t, time.UTC, org.LastBackupTime.Location())
	s, err := c.GetRestoreSession(ctx, sessionID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 10, 30, 14, 51, 36, 83371200, time.UTC), s.CreationTime)
	assert.Equal(t, time.Date(2020, 10, 30, 15, 0, 0, 0, time.UTC), *s.EndTime, "Z stays UTC")
	p, err := c.ListRestoreSessionEvents(ctx, sessionID, ListOptions{})
	require.NoError(t, err)
	require.Len(t, p.Results, 2)
	assert.Equal(t, time.Date(2020, 10, 30, 11, 52, 0, 0, time.UTC), p.Results[0].StartTime, "an offset is kept")
	assert.Equal(t, time.Date(2020, 10, 30, 11, 53, 0, 0, time.UTC), p.Results[1].StartTime)

	// The default is UTC.
	c = newTestClient(t, url, nil)
	org, err = c.GetOrganization(ctx, orgID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 10, 30, 10, 29, 5, 123456700, time.UTC), *org.LastBackupTime)

	got, err := ParseTimeIn("2020-10-30T10:29:05", berlin)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 10, 30, 9, 29, 5, 0, time.UTC), got)
	got, err = ParseTimeIn("2020-10-30T10:29:05-05:00", berlin)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 10, 30, 15, 29, 5, 0, time.UTC), got)
}
