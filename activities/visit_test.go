package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// pagedSessions lists a fixed list of sessions in pages of pageSize, and
// records how many sessions the caller had been given when each page was
// asked for.
type pagedSessions struct {
	*fakeEnv
	all      []vb365.RestoreSession
	pageSize int
	visited  *int
	atRead   []int
}

func (p *pagedSessions) ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	p.atRead = append(p.atRead, *p.visited)
	off := min(opts.Offset, len(p.all))
	end := min(off+p.pageSize, len(p.all))
	return &vb365.Page[vb365.RestoreSession]{Offset: off, Limit: p.pageSize, Results: p.all[off:end], HasNext: end < len(p.all)}, nil
}

// The lookup before a POST sees every session the server's restores
// started in its window: it matches them page by page, handing on only
// those of the organization and type that are Working, each once, before it
// reads the next page.
func TestVisitMatchingMatchesEachPageAsItArrives(t *testing.T) {
	in := createInput()
	base := time.Now().Add(-time.Minute)
	var all []vb365.RestoreSession
	var want []string
	for i := range 12 {
		s := vb365.RestoreSession{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), Organization: in.OrganizationName,
			Type: string(in.Type), State: vb365.SessionStateWorking, CreationTime: base.Add(time.Duration(i) * time.Second)}
		switch i % 4 {
		case 1:
			s.Organization = "other.onmicrosoft.com"
		case 2:
			s.Type = string(vb365.SessionTypeExchange)
		case 3:
			s.State = vb365.SessionStateStopped
		default:
			want = append(want, s.ID)
		}
		all = append(all, s)
	}
	visited := 0
	p := &pagedSessions{fakeEnv: &fakeEnv{newFake()}, all: all, pageSize: 4, visited: &visited}
	a := New(Config{Client: p})
	var got []string
	err := a.visitMatching(context.Background(), p, in, base.Add(-time.Second), time.Time{}, func(s vb365.RestoreSession) {
		visited++
		got = append(got, s.ID)
	})
	require.NoError(t, err)
	require.Equal(t, want, got, "the matching sessions, each once, in list order")
	require.Greater(t, len(p.atRead), 2, "several pages were read")
	require.Zero(t, p.atRead[0])
	require.Positive(t, p.atRead[1], "the first page was matched before the second was read")
}
