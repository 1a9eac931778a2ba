package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The first claim of a session wins; later claims learn its owner, and the
// owner's own retry finds it still its own.
func TestMemoryClaimsFirstClaimWins(t *testing.T) {
	ctx := context.Background()
	c := newMemoryClaims()
	owner, err := c.Claim(ctx, "S1", "wf-a")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner)
	owner, err = c.Claim(ctx, "s1", "wf-b")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner, "ids compare without case, like VB365's")
	owner, err = c.Claim(ctx, "s1", "wf-a")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner)
	got, err := c.Owner(ctx, "s2")
	require.NoError(t, err)
	require.Empty(t, got)
}
