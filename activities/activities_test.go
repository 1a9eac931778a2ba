package activities

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

const orgID = "3c424478-0811-4920-8aab-01f0bf2a2822"

func newFake() *fakevb365.Client {
	f := fakevb365.New()
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	first := last.Add(-30 * 24 * time.Hour)
	f.AddOrganization(vb365.Organization{ID: orgID, Name: "abc.onmicrosoft.com", IsBackedUp: true,
		FirstBackupTime: &first, LastBackupTime: &last})
	return f
}

func newEnv(t *testing.T, c VB365API) (*testsuite.TestActivityEnvironment, *Activities) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Config{Client: c, SearchAttributesRegistered: true})
	env.RegisterActivity(a)
	return env, a
}

// appErr extracts the ApplicationError an activity failed with.
func appErr(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an ApplicationError: %v", err)
	return ae
}

func createInput() CreateRestoreSessionInput {
	return CreateRestoreSessionInput{OrganizationID: orgID, OrganizationName: "abc.onmicrosoft.com",
		DateTime: time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), Type: vb365.SessionTypeTeams}
}

func TestGetOrganization(t *testing.T) {
	env, a := newEnv(t, newFake())
	v, err := env.ExecuteActivity(a.GetOrganization, orgID)
	require.NoError(t, err)
	var org vb365.Organization
	require.NoError(t, v.Get(&org))
	require.Equal(t, "abc.onmicrosoft.com", org.Name)

	_, err = env.ExecuteActivity(a.GetOrganization, "11111111-1111-1111-1111-111111111111")
	ae := appErr(t, err)
	require.Equal(t, ErrTypeOrganizationNotFound, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), `organizationId "11111111-1111-1111-1111-111111111111"`)
}

// flaky answers GetOrganization with a fixed error.
type flaky struct {
	*fakevb365.Client
	err error
}

func (f flaky) GetOrganization(context.Context, string) (*vb365.Organization, error) {
	return nil, f.err
}

func TestErrorMapping(t *testing.T) {
	unavailable := &vb365.Error{Op: "get organization", Method: "GET", Path: "/v8/Organizations/x", StatusCode: 503, RetryAfter: 7 * time.Second}
	env, a := newEnv(t, flaky{newFake(), unavailable})
	_, err := env.ExecuteActivity(a.GetOrganization, orgID)
	ae := appErr(t, err)
	require.Equal(t, ErrTypeTransient, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Equal(t, 7*time.Second, ae.NextRetryDelay())

	forbidden := &vb365.Error{Op: "get organization", Method: "GET", Path: "/v8/Organizations/x", StatusCode: 403}
	env, a = newEnv(t, flaky{newFake(), forbidden})
	_, err = env.ExecuteActivity(a.GetOrganization, orgID)
	ae = appErr(t, err)
	require.Equal(t, ErrTypeVB365, ae.Type())
	require.True(t, ae.NonRetryable())

	// An offline backup proxy: retryable, its own type, even when VB365
	// answered it with a 404 (its status is not documented).
	for _, offline := range []*vb365.Error{
		{Op: "get organization", Method: "GET", Path: "/v8/Organizations/x", StatusCode: 200, Err: vb365.ErrBackupWindowUnavailable},
		{Op: "get organization", Method: "GET", Path: "/v8/Organizations/x", StatusCode: 404, ErrorCode: "ProxyOffline", Err: vb365.ErrBackupWindowUnavailable},
	} {
		env, a = newEnv(t, flaky{newFake(), offline})
		_, err = env.ExecuteActivity(a.GetOrganization, orgID)
		ae = appErr(t, err)
		require.Equal(t, ErrTypeBackupWindowUnavailable, ae.Type())
		require.False(t, ae.NonRetryable())
	}

	// Authentication failures are marked by the client itself: a real
	// client whose login the simulator refuses.
	_, refused := newSimWithPassword(t, vb365sim.Behaviour{}, "not-the-password")
	env, a = newEnv(t, refused)
	_, err = env.ExecuteActivity(a.GetOrganization, orgID)
	ae = appErr(t, err)
	require.Equal(t, ErrTypeVB365AuthenticationFailed, ae.Type())
	require.True(t, ae.NonRetryable())
	require.NotContains(t, strings.ToLower(ae.Error()), "password=")
}

func TestCheckSearchAttributes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	for _, registered := range []bool{true, false} {
		env := s.NewTestActivityEnvironment()
		a := New(Config{Client: newFake(), SearchAttributesRegistered: registered})
		env.RegisterActivity(a)
		v, err := env.ExecuteLocalActivity(a.CheckSearchAttributes)
		require.NoError(t, err)
		var got bool
		require.NoError(t, v.Get(&got))
		require.Equal(t, registered, got)
	}
}

func TestCreateRestoreSession(t *testing.T) {
	f := newFake()
	env, a := newEnv(t, f)
	v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.False(t, res.Adopted)
	require.Equal(t, vb365.SessionStateWorking, res.Session.State)
	require.Len(t, f.Sessions(), 1)
}

func TestCreateRestoreSessionRejected(t *testing.T) {
	f := newFake()
	f.FailStarts(400)
	env, a := newEnv(t, f)
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	ae := appErr(t, err)
	require.Equal(t, ErrTypeRestoreSessionRejected, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), `"abc.onmicrosoft.com"`)
}

// TestCreateAdoptsAfterLostResponse: the first POST creates the session but
// its response is lost; the next attempt, given the first attempt's heartbeat
// details, adopts that session rather than creating a second one, and ignores
// a session another client had opened just before.
func TestCreateAdoptsAfterLostResponse(t *testing.T) {
	f := newFake()
	other := f.AddSession(orgID, vb365.SessionTypeTeams, time.Now().Add(-10*time.Second)) // someone else's, pre-existing
	f.LoseStartResponses(1)
	env, a := newEnv(t, f)
	// The retry's path: the attempt that lost the response does not look
	// for the session itself here.
	a.createSettle = 0
	var details converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })

	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	ae := appErr(t, err)
	require.Equal(t, ErrTypeTransient, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Len(t, f.Sessions(), 2, "the lost POST did create a session")
	created := f.Sessions()[1]
	require.NotNil(t, details, "progress must be heartbeated before the POST")
	var prog CreateProgress
	require.NoError(t, details.Get(&prog))
	require.Equal(t, []string{other.ID}, prog.PreExisting)

	retry, a2 := newEnv(t, f)
	retry.SetHeartbeatDetails(prog)
	v, err := retry.ExecuteActivity(a2.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Adopted)
	require.Equal(t, created.ID, res.Session.ID)
	require.Equal(t, 1, f.Posts(), "no second POST")
	require.Len(t, f.Sessions(), 2)
}

// TestCreateRetriesWhenNothingWasCreated: a POST that failed before VB365
// created anything leaves nothing to adopt; the retry creates the session.
func TestCreateRetriesWhenNothingWasCreated(t *testing.T) {
	f := newFake()
	f.FailStarts(503)
	env, a := newEnv(t, f)
	var details converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.Equal(t, ErrTypeTransient, appErr(t, err).Type())
	var prog CreateProgress
	require.NoError(t, details.Get(&prog))

	retry, a2 := newEnv(t, f)
	retry.SetHeartbeatDetails(prog)
	v, err := retry.ExecuteActivity(a2.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.False(t, res.Adopted)
	require.Equal(t, 2, f.Posts())
	require.Len(t, f.Sessions(), 1)
}

func TestCloserPrefersAfterSendTime(t *testing.T) {
	send := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	require.True(t, closer(send.Add(time.Second), send.Add(5*time.Second), send))
	require.True(t, closer(send.Add(30*time.Second), send.Add(-time.Second), send))
	require.True(t, closer(send.Add(-time.Second), send.Add(-20*time.Second), send))
}
