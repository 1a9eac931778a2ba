package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestLostCreateResponseIsAdopted runs the real activities over the fake
// VB365 whose first explore POST creates the session but loses the response.
// The activity's retry (driven by the workflow's retry policy, with the
// heartbeat details of the first attempt) adopts that session: one session in
// VB365, one POST, and it is the one the workflow stops.
func TestLostCreateResponseIsAdopted(t *testing.T) {
	f := fakevb365.New()
	f.AddOrganization(vb365.Organization{ID: testOrgID, Name: "abc.onmicrosoft.com", IsBackedUp: true,
		FirstBackupTime: &firstBackup, LastBackupTime: &lastBackup})
	f.LoseStartResponses(1)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env, activities.New(activities.Config{Client: f, SearchAttributesRegistered: false}))
	// The wait runs on real time; keep it idle on the test clock instead.
	env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		&activities.SessionEventsResult{}, nil).After(7 * 24 * time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "test"}) }, time.Hour)

	env.ExecuteWorkflow(RestoreSessionWorkflowName, baseInput())
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var r RestoreReport
	require.NoError(t, env.GetWorkflowResult(&r))

	sessions := f.Sessions()
	require.Len(t, sessions, 1, "exactly one session for one workflow")
	require.Equal(t, 1, f.Posts())
	require.True(t, r.SessionAdopted)
	require.Equal(t, sessions[0].ID, r.Session.ID)
	require.Equal(t, vb365.SessionStateStopped, sessions[0].State)
	require.Equal(t, EndReasonStopRequested, r.EndReason)
}
