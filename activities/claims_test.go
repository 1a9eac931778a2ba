package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Concurrent restores whose create responses were all lost each adopt a
// session of their own; a workflow's retry finds its own claim again.
func TestClaimsGiveEachWorkflowItsOwnSession(t *testing.T) {
	c := newSessionClaims()
	t0 := time.Now()
	s1 := &vb365.RestoreSession{ID: "s1", CreationTime: t0.Add(time.Second)}
	s2 := &vb365.RestoreSession{ID: "s2", CreationTime: t0.Add(2 * time.Second)}
	s3 := &vb365.RestoreSession{ID: "s3", CreationTime: t0.Add(3 * time.Second)}
	all := []*vb365.RestoreSession{s1, s2, s3}
	earliest := func(s, u *vb365.RestoreSession) bool { return s.CreationTime.Before(u.CreationTime) }

	c.take("s3", "wf-c") // created by wf-c's own, answered POST
	require.Equal(t, "s1", c.pick("wf-a", all, earliest).ID)
	require.Equal(t, "s2", c.pick("wf-b", all, earliest).ID, "s1 is wf-a's")
	require.Nil(t, c.pick("wf-d", all, earliest), "every session has its workflow")
	require.Equal(t, "s1", c.pick("wf-a", all, earliest).ID, "a retry of wf-a finds its own")
}
