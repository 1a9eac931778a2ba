package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestReadAllMovesOnPastAOneItemPage: a page of one item cannot overlap the
// next one, so the read moves on by that item instead of reading it again:
// here a server that says there may be more after every full page (of one
// item) is read at offsets 0 and 1, and its one item returned.
func TestReadAllMovesOnPastAOneItemPage(t *testing.T) {
	var offsets []int
	read := func(_ context.Context, offset int) (*vb365.Page[string], error) {
		offsets = append(offsets, offset)
		if offset == 0 {
			return &vb365.Page[string]{Offset: 0, Limit: 1, Results: []string{"a"}, HasNext: true}, nil
		}
		return &vb365.Page[string]{Offset: offset, Limit: 1}, nil
	}
	got, err := readAll(context.Background(), read, func(s string) string { return s }, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got)
	require.Equal(t, []int{0, 1}, offsets)
}
