package activities

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// shiftingList is a VB365 collection that changes between page reads: mutate
// runs before each read after the first, with the read's number.
type shiftingList struct {
	mu     sync.Mutex
	items  []string
	reads  int
	mutate func(l *shiftingList, read int)
}

func (l *shiftingList) page(_ context.Context, offset, limit int) *vb365.Page[string] {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	if l.reads > 1 && l.mutate != nil {
		l.mutate(l, l.reads)
	}
	end := min(offset+limit, len(l.items))
	off := min(offset, len(l.items))
	return &vb365.Page[string]{Offset: off, Limit: limit, Results: slices.Clone(l.items[off:end]), HasNext: end < len(l.items)}
}

func items(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func readList(l *shiftingList, limit, maxPages int) ([]string, error) {
	read := func(ctx context.Context, offset int) (*vb365.Page[string], error) {
		return l.page(ctx, offset, limit), nil
	}
	return readAll(context.Background(), read, func(s string) string { return s }, maxPages)
}

func TestReadAllWhileTheListShifts(t *testing.T) {
	t.Run("stable", func(t *testing.T) {
		l := &shiftingList{items: items("s", 10)}
		got, err := readList(l, 3, 50)
		require.NoError(t, err)
		require.ElementsMatch(t, items("s", 10), got)
	})
	t.Run("newest first, items inserted in front between page reads", func(t *testing.T) {
		l := &shiftingList{items: items("s", 10), mutate: func(l *shiftingList, read int) {
			l.items = append([]string{fmt.Sprintf("new%d", read)}, l.items...)
		}}
		got, err := readList(l, 3, 50)
		require.NoError(t, err)
		require.Subset(t, got, items("s", 10), "every item there when the read began")
		require.Len(t, got, len(uniq(got)), "each once")
	})
	t.Run("several inserted in front at once", func(t *testing.T) {
		l := &shiftingList{items: items("s", 10), mutate: func(l *shiftingList, read int) {
			if read == 2 {
				l.items = append(items("new", 5), l.items...)
			}
		}}
		got, err := readList(l, 3, 50)
		require.NoError(t, err)
		require.Subset(t, got, items("s", 10))
		require.Len(t, got, len(uniq(got)))
	})
	t.Run("an item removed before the read position: started over", func(t *testing.T) {
		l := &shiftingList{items: items("s", 10), mutate: func(l *shiftingList, read int) {
			if read == 2 {
				l.items = slices.Delete(l.items, 0, 3) // s3 moves to offset 0, s5 to 2
			}
		}}
		got, err := readList(l, 3, 50)
		require.NoError(t, err)
		require.Subset(t, got, items("s", 10)[3:], "nothing skipped")
	})
	t.Run("order changes between reads: started over", func(t *testing.T) {
		l := &shiftingList{items: items("s", 9), mutate: func(l *shiftingList, read int) {
			if read == 2 {
				slices.Reverse(l.items)
			}
		}}
		got, err := readList(l, 3, 50)
		require.NoError(t, err)
		require.ElementsMatch(t, items("s", 9), got)
	})
	t.Run("never still: fails, retryably", func(t *testing.T) {
		n := 0
		l := &shiftingList{items: items("s", 9), mutate: func(l *shiftingList, read int) {
			n++
			l.items = items(fmt.Sprintf("gen%d-", n), 9) // every read a new list
		}}
		_, err := readList(l, 3, 50)
		require.ErrorIs(t, err, errListShifting)
		ae := appErr(t, mapError("list", err))
		require.Equal(t, ErrTypeTransient, ae.Type())
		require.False(t, ae.NonRetryable())
	})
	t.Run("too long: fails rather than return part", func(t *testing.T) {
		l := &shiftingList{items: items("s", 10)}
		_, err := readList(l, 2, 3)
		require.ErrorContains(t, err, "more than 3 pages")
	})
}

func uniq(s []string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range s {
		if !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	return out
}

// newestFirst lists restore sessions as v8 does by default, newest first,
// whether or not the caller asks for an order (as v6 and v7, which have no
// order parameter, may), and creates sessions between page reads.
type newestFirst struct {
	*fakeEnv
	mu         sync.Mutex
	reads      int
	pageSize   int
	insertEach func(read int)
	asked      []vb365.ListRestoreSessionsOptions
}

func (n *newestFirst) ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	n.mu.Lock()
	n.reads++
	read := n.reads
	n.asked = append(n.asked, opts)
	n.mu.Unlock()
	if read > 1 && n.insertEach != nil {
		n.insertEach(read)
	}
	var all []vb365.RestoreSession
	for _, s := range n.Sessions() {
		if opts.StartTimeFrom == nil || !s.CreationTime.Before(*opts.StartTimeFrom) {
			all = append(all, s)
		}
	}
	slices.Reverse(all) // Sessions() is oldest first
	limit := min(opts.Limit, n.pageSize)
	off := min(opts.Offset, len(all))
	end := min(off+limit, len(all))
	return &vb365.Page[vb365.RestoreSession]{Offset: off, Limit: limit, Results: all[off:end], HasNext: end < len(all)}, nil
}

// The snapshot before a POST and the search after it see every session of
// the organization that existed when they began, on a list newest first,
// over several pages, while other restores create sessions between reads.
func TestListMatchingNewestFirstWhileSessionsAreCreated(t *testing.T) {
	f := newFake()
	fe := &fakeEnv{f}
	base := time.Now().Add(-10 * time.Second)
	var want []string
	for i := range 7 {
		s := f.AddSession(orgID, vb365.SessionTypeTeams, base.Add(time.Duration(i)*time.Second))
		want = append(want, s.ID)
	}
	f.AddSession(orgID, vb365.SessionTypeExchange, base) // another type: not matched
	n := &newestFirst{fakeEnv: fe, pageSize: 3, insertEach: func(read int) {
		f.AddSession(orgID, vb365.SessionTypeTeams, time.Now())
	}}
	a := New(Config{Client: n})
	got, err := a.listMatching(context.Background(), n, createInput(), base.Add(-time.Minute), time.Time{})
	require.NoError(t, err)
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	require.Subset(t, ids, want, "every session there when the lookup began")
	require.Len(t, ids, len(uniq(ids)), "each once")
	require.Greater(t, n.reads, 4, "several pages were read")
	for _, o := range n.asked {
		require.Equal(t, vb365.OrderByCreationTime, o.OrderBy, "oldest first is asked for")
		require.True(t, o.OrderAsc)
		require.NotNil(t, o.StartTimeFrom)
	}
}
