package follow

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

func TestPrinterPrintsEachEventOnceAndGaps(t *testing.T) {
	var out bytes.Buffer
	f := NewPrinter(&out)
	ev := func(order int32, status, msg string) vb365.RestoreSessionEvent {
		return vb365.RestoreSessionEvent{Order: order, Status: status, Message: msg, Type: "Restore",
			StartTime: time.Date(2020, 10, 30, 11, 0, int(order), 0, time.UTC)}
	}
	f.Status(workflows.Status{Phase: workflows.PhaseValidating})
	f.Status(workflows.Status{Phase: workflows.PhaseOpen, Session: &vb365.RestoreSession{ID: "s-1", Name: "Teams restore"},
		EventCounts:  workflows.EventCounts{Total: 2},
		LatestEvents: []vb365.RestoreSessionEvent{ev(1, "Success", "second"), ev(0, "Success", "first")}})
	f.Status(workflows.Status{Phase: workflows.PhaseOpen, Session: &vb365.RestoreSession{ID: "s-1"},
		EventCounts:  workflows.EventCounts{Total: 3},
		LatestEvents: []vb365.RestoreSessionEvent{ev(0, "Success", "first"), ev(1, "Success", "second"), ev(2, "Warning", "third")}})
	// Events 3..5 scrolled out of LatestEvents between two polls.
	f.Status(workflows.Status{Phase: workflows.PhaseOpen, Session: &vb365.RestoreSession{ID: "s-1"},
		EventCounts:  workflows.EventCounts{Total: 8},
		LatestEvents: []vb365.RestoreSessionEvent{ev(6, "Failed", "seventh"), ev(7, "Success", "eighth")}})
	f.QueryFailed(errors.New("deadline exceeded"))
	f.QueryFailed(errors.New("deadline exceeded"))
	f.Report(workflows.RestoreReport{
		Session:     vb365.RestoreSession{ID: "s-1", State: "Stopped", Result: "Success"},
		Events:      []vb365.RestoreSessionEvent{ev(7, "Success", "eighth"), ev(8, "Success", "ninth")},
		EventCounts: workflows.EventCounts{Total: 9, ByStatus: map[string]int{"Success": 6, "Warning": 1, "Failed": 2}},
		EndReason:   workflows.EndReasonStopRequested, StopRequestedBy: "alice@ops1",
		EffectivePointInTime: time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC), ClampedToLatest: true,
	})
	s := out.String()
	for _, msg := range []string{"first", "second", "third", "seventh", "eighth", "ninth"} {
		assert.Equal(t, 1, strings.Count(s, ": "+msg+"\n"), "%q printed once in:\n%s", msg, s)
	}
	assert.Less(t, strings.Index(s, "first"), strings.Index(s, "second"))
	assert.Contains(t, s, "… 3 event(s) not shown")
	assert.Equal(t, 1, strings.Count(s, "phase: session-open"))
	assert.Contains(t, s, "phase: session-open (session s-1, Teams restore)")
	assert.Equal(t, 1, strings.Count(s, "deadline exceeded"))
	assert.Contains(t, s, "done: stop-requested by alice@ops1")
	assert.Contains(t, s, "events: 9 (2 Failed, 6 Success, 1 Warning)")
	assert.Equal(t, 1, strings.Count(s, "not shown"), "orders need not start at 0: only real gaps are reported")

	// Orders from 1 (as the simulator numbers them): no false gap.
	out.Reset()
	f = NewPrinter(&out)
	f.Status(workflows.Status{Phase: workflows.PhaseOpen, EventCounts: workflows.EventCounts{Total: 2},
		LatestEvents: []vb365.RestoreSessionEvent{ev(1, "Success", "a"), ev(2, "Success", "b")}})
	assert.NotContains(t, out.String(), "not shown")
	assert.Contains(t, s, "2020-10-30T10:29:05Z (the latest restore point)")
}

// fakeClient answers the status query with answers in turn (the last one
// repeats) and ends the workflow with result once all were given.
type fakeClient struct {
	client.Client
	mu      sync.Mutex
	answers []any
	asked   int
	result  any
}

func (c *fakeClient) QueryWorkflow(ctx context.Context, id, runID, queryType string, args ...any) (converter.EncodedValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.answers[min(c.asked, len(c.answers)-1)]
	c.asked++
	return encoded(v), nil
}

func (c *fakeClient) GetWorkflow(ctx context.Context, id, runID string) client.WorkflowRun {
	return fakeRun{c}
}

type fakeRun struct{ c *fakeClient }

func (fakeRun) GetID() string                  { return "wf" }
func (fakeRun) GetRunID() string               { return "run" }
func (fakeRun) GetFirstExecutionRunID() string { return "run" }
func (r fakeRun) GetWithOptions(ctx context.Context, v any, _ client.WorkflowRunGetOptions) error {
	return r.Get(ctx, v)
}

func (r fakeRun) Get(ctx context.Context, v any) error {
	for {
		r.c.mu.Lock()
		ended := r.c.asked >= len(r.c.answers)
		r.c.mu.Unlock()
		if ended {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	if r.c.result == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	return encoded(r.c.result).Get(v)
}

// encoded is v as the SDK's default data converter hands it to a client.
func encoded(v any) converter.EncodedValue {
	p, err := converter.GetDefaultDataConverter().ToPayloads(v)
	if err != nil {
		panic(err)
	}
	return client.NewValue(p)
}

func TestPlaybookPrintsEachRowWhenItChanges(t *testing.T) {
	row := func(state playbook.RowState, events int) playbook.Row {
		return playbook.Row{Index: 0, OrganizationID: "org", Type: "vet", State: state, EventCounts: workflows.EventCounts{Total: events}}
	}
	rep := func(r playbook.Row) playbook.Report {
		return playbook.Report{Rows: []playbook.Row{r}, Counts: map[playbook.RowState]int{r.State: 1}}
	}
	final := rep(row(playbook.RowDone, 3))
	c := &fakeClient{answers: []any{rep(row(playbook.RowCreating, 0)), rep(row(playbook.RowOpen, 1)),
		rep(row(playbook.RowOpen, 1)), rep(row(playbook.RowOpen, 3))}, result: final}
	var out bytes.Buffer
	got, err := Playbook(context.Background(), c, &out, "pb", "", time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, final.Rows, got.Rows)
	require.Equal(t, "  [1] org vet: creating\n  [1] org vet: open, 1 events\n  [1] org vet: open, 3 events\n  [1] org vet: done, 3 events\n", out.String())
	require.Equal(t, "1 done", PlaybookCounts(got))
}

func TestRestoreEndsWithTheContext(t *testing.T) {
	c := &fakeClient{answers: []any{workflows.Status{Phase: workflows.PhaseOpen}}} // never ends
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	_, err := Restore(ctx, c, io.Discard, "wf", "", time.Millisecond, func(workflows.Status) {
		if seen++; seen == 3 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	require.GreaterOrEqual(t, seen, 3)
}

// A status query counts the workflow's running events (as Running) but
// does not list them: they are not events that scrolled out. An event that
// ends after later ones is printed when it appears in its place.
func TestPrinterRunningEventsAreNotGaps(t *testing.T) {
	var out bytes.Buffer
	f := NewPrinter(&out)
	ev := func(order int32, status, msg string) vb365.RestoreSessionEvent {
		return vb365.RestoreSessionEvent{Order: order, Status: status, Message: msg, Type: "Restore",
			StartTime: time.Date(2020, 10, 30, 11, 0, int(order), 0, time.UTC)}
	}
	// #2 runs: counted, not listed.
	f.Status(workflows.Status{Phase: workflows.PhaseOpen,
		EventCounts:  workflows.EventCounts{Total: 3, ByStatus: map[string]int{"Success": 2, "Running": 1}},
		LatestEvents: []vb365.RestoreSessionEvent{ev(0, "Success", "first"), ev(1, "Success", "second")}})
	// #3 ends while #2 still runs.
	f.Status(workflows.Status{Phase: workflows.PhaseOpen,
		EventCounts:  workflows.EventCounts{Total: 4, ByStatus: map[string]int{"Success": 3, "Running": 1}},
		LatestEvents: []vb365.RestoreSessionEvent{ev(0, "Success", "first"), ev(1, "Success", "second"), ev(3, "Success", "fourth")}})
	// #2 ends, then #4.
	f.Status(workflows.Status{Phase: workflows.PhaseOpen,
		EventCounts:  workflows.EventCounts{Total: 4, ByStatus: map[string]int{"Success": 4}},
		LatestEvents: []vb365.RestoreSessionEvent{ev(0, "Success", "first"), ev(1, "Success", "second"), ev(2, "Success", "third"), ev(3, "Success", "fourth")}})
	f.Status(workflows.Status{Phase: workflows.PhaseOpen,
		EventCounts: workflows.EventCounts{Total: 5, ByStatus: map[string]int{"Success": 5}},
		LatestEvents: []vb365.RestoreSessionEvent{ev(0, "Success", "first"), ev(1, "Success", "second"), ev(2, "Success", "third"),
			ev(3, "Success", "fourth"), ev(4, "Success", "fifth")}})
	s := out.String()
	assert.NotContains(t, s, "not shown", "nothing scrolled out:\n%s", s)
	for _, msg := range []string{"first", "second", "third", "fourth", "fifth"} {
		assert.Equal(t, 1, strings.Count(s, ": "+msg+"\n"), "%q printed once in:\n%s", msg, s)
	}
}
