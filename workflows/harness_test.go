package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// harness runs RestoreSessionWorkflow in the SDK's test environment with
// mocked activities that play a scripted VB365.
type harness struct {
	t       *testing.T
	env     *testsuite.TestWorkflowEnvironment
	org     vb365.Organization
	session vb365.RestoreSession

	created []activities.CreateRestoreSessionInput
	waits   []activities.WaitForSessionEventsInput
	fetches []activities.FetchSessionEventsInput
	stops   int
	upserts int
	// sessionTypes are the VB365SessionType values upserted.
	sessionTypes []string
	saAnswers    bool
	// orgErr, createErr make those activities fail; createDelay delays the
	// creation (set before open).
	orgErr, createErr error
	createDelay       time.Duration
	// actionStarts counts RestoreAction activities started (actionsOf).
	actionStarts int
}

var (
	firstBackup = time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	lastBackup  = time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
)

// newHarness registers the workflow with opts (at most one; default the
// production defaults).
func newHarness(t *testing.T, opts ...Options) *harness {
	var s testsuite.WorkflowTestSuite
	h := &harness{t: t, env: s.NewTestWorkflowEnvironment(), saAnswers: true}
	h.env.SetStartTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	RegisterWithOptions(h.env, activities.New(activities.Config{}), o)
	h.org = vb365.Organization{ID: testOrgID, Name: "abc.onmicrosoft.com", IsBackedUp: true,
		FirstBackupTime: &firstBackup, LastBackupTime: &lastBackup}
	h.session = vb365.RestoreSession{ID: "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe",
		Name: "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", Organization: h.org.Name,
		Type: "Vet", State: vb365.SessionStateWorking, CreationTime: time.Date(2026, 5, 1, 12, 0, 1, 0, time.UTC)}
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		h.upserts++
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(saSessionType); ok {
			h.sessionTypes = append(h.sessionTypes, v)
		}
	}).Maybe()
	return h
}

// open mocks the activities up to a created session.
func (h *harness) open() *harness {
	h.env.OnActivity(acts.GetOrganization, mock.Anything, mock.Anything).Return(func(context.Context, string) (*vb365.Organization, error) {
		if h.orgErr != nil {
			return nil, h.orgErr
		}
		o := h.org
		return &o, nil
	})
	h.env.OnActivity(acts.CheckSearchAttributes, mock.Anything).Return(func(context.Context) (bool, error) { return h.saAnswers, nil })
	h.env.OnActivity(acts.CreateRestoreSession, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateRestoreSessionInput) (*activities.CreateRestoreSessionResult, error) {
			if h.createErr != nil {
				return nil, h.createErr
			}
			h.created = append(h.created, in)
			return &activities.CreateRestoreSessionResult{Session: h.session}, nil
		}).After(h.createDelay)
	return h
}

// batches makes the first waits return these batches at once (a nil batch
// with stopped=true means "stopped in VB365"), then every further wait idle
// until its MaxWait.
func (h *harness) batches(batches ...[]vb365.RestoreSessionEvent) *harness {
	for _, b := range batches {
		h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
				h.waits = append(h.waits, in)
				s := h.session
				return &activities.SessionEventsResult{Events: b, Session: &s}, nil
			}).Once()
	}
	return h
}

// idle makes every remaining wait last its whole MaxWait with nothing new.
func (h *harness) idle() *harness {
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
			h.waits = append(h.waits, in)
			s := h.session
			return &activities.SessionEventsResult{Session: &s}, nil
		}).After(7 * 24 * time.Hour)
	return h
}

// stopAndFetch mocks the stop and the final fetch, which returns final.
func (h *harness) stopAndFetch(final ...vb365.RestoreSessionEvent) *harness {
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			require.Equal(h.t, h.session.ID, in.SessionID)
			h.stops++
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		}).Maybe()
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FetchSessionEventsInput) (*activities.SessionEventsResult, error) {
			h.fetches = append(h.fetches, in)
			s := h.session
			s.State = vb365.SessionStateStopped
			var out []vb365.RestoreSessionEvent
			for _, e := range final {
				if e.Order > in.AfterOrder {
					out = append(out, e)
				}
			}
			return &activities.SessionEventsResult{Events: out, Session: &s}, nil
		}).Maybe()
	return h
}

func (h *harness) run(in RestoreInput) {
	h.env.ExecuteWorkflow(RestoreSessionWorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
}

func (h *harness) report() RestoreReport {
	h.t.Helper()
	require.NoError(h.t, h.env.GetWorkflowError())
	var r RestoreReport
	require.NoError(h.t, h.env.GetWorkflowResult(&r))
	return r
}

func (h *harness) after(d time.Duration, f func()) { h.env.RegisterDelayedCallback(f, d) }

func ev(order int32, status string) vb365.RestoreSessionEvent {
	return vb365.RestoreSessionEvent{ID: "e" + string(rune('a'+order)), Order: order, Status: status, Type: "View",
		Message: "viewed", StartTime: time.Date(2026, 5, 1, 12, 1, 0, 0, time.UTC)}
}

func orders(evs []vb365.RestoreSessionEvent) []int32 {
	out := make([]int32, len(evs))
	for i, e := range evs {
		out[i] = e.Order
	}
	return out
}

func baseInput() RestoreInput {
	return RestoreInput{OrganizationID: testOrgID, PointInTime: "2020-10-15T00:00:00Z", Type: "vet"}
}
