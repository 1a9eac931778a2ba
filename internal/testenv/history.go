package testenv

import (
	"context"
	"fmt"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// EnvRecordHistory set makes the recorders in workflows/ and
// workflows/playbook/ run every path of the workflows on a dev server. With
// 1 they write the histories missing from testdata and keep the others:
// a release's histories are replayed by every later release, so they are
// never re-recorded with newer code. RecordOverwrite rewrites them too.
const EnvRecordHistory = "VB365_RECORD_HISTORY"

// RecordOverwrite is the EnvRecordHistory value that rewrites existing
// history files.
const RecordOverwrite = "overwrite"

// Stack is a simulator and the production worker, serving one task queue of
// a dev server: what a recorded or integration-tested run needs.
type Stack struct {
	Temporal  *Temporal
	Sim       *Sim
	Worker    *Worker
	TaskQueue string
}

// StartStack serves a simulator with simOpts (dir receives its CA file) and
// runs the worker on taskQueue of t with extraEnv on top of WorkerEnv.
func StartStack(t *Temporal, simOpts vb365sim.Options, dir, taskQueue string, extraEnv ...string) (*Stack, error) {
	return StartStackWith(t, simOpts, workflows.Options{}, dir, taskQueue, extraEnv...)
}

// StartStackWith is StartStack with the restore workflow's bounds.
func StartStackWith(t *Temporal, simOpts vb365sim.Options, wfOpts workflows.Options, dir, taskQueue string, extraEnv ...string) (*Stack, error) {
	sim, err := StartSim(simOpts, dir)
	if err != nil {
		return nil, err
	}
	w, err := StartWorkerWith(WorkerEnv(t, sim, append([]string{"TEMPORAL_TASK_QUEUE=" + taskQueue}, extraEnv...)...), wfOpts)
	if err != nil {
		sim.Close()
		return nil, err
	}
	return &Stack{Temporal: t, Sim: sim, Worker: w, TaskQueue: taskQueue}, nil
}

// Stop stops the worker, then the simulator.
func (s *Stack) Stop() error {
	err := s.Worker.Stop()
	s.Sim.Close()
	return err
}

// History reads the whole history of one run (runID "" is the latest run
// of workflowID).
func History(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	h := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s/%s: %w", workflowID, runID, err)
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// WriteHistory writes h as the JSON that worker.WorkflowReplayer's
// ReplayWorkflowHistoryFromJSONFile reads, unless path exists and
// EnvRecordHistory is not RecordOverwrite (see there). It says whether it
// wrote.
func WriteHistory(h *historypb.History, path string) (bool, error) {
	if os.Getenv(EnvRecordHistory) != RecordOverwrite {
		if _, err := os.Stat(path); err == nil {
			return false, nil
		}
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		return false, fmt.Errorf("encode history for %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// ShortScenario is the simulator's built-in data with a script of two quick
// events, so that a session's events arrive in one or two batches and a
// recorded history stays short.
func ShortScenario() *vb365sim.Scenario {
	sc := vb365sim.BuiltinScenario()
	ms := func(n int) vb365sim.Duration { return vb365sim.Duration(time.Duration(n) * time.Millisecond) }
	sc.Events = []vb365sim.ScriptedEvent{
		{Offset: ms(100), Duration: ms(100), Type: "View", Status: "Success", Title: "Explore",
			Message: "Opened {type} backup of {org}", ItemName: "{org}", ItemType: "Organization"},
		{Offset: ms(200), Duration: ms(100), Type: "Restore", Status: "Warning", Title: "Restore",
			Message: "Restored 11 of 12 items of Project Falcon", ItemName: "Project Falcon", ItemType: "Folder"},
	}
	return sc
}

// SteadyScenario is the simulator's built-in data with a script of n quick
// events, one every every, so that a session's events keep arriving for
// n*every: a parent's history grows by its children's progress signals.
func SteadyScenario(n int, every time.Duration) *vb365sim.Scenario {
	sc := vb365sim.BuiltinScenario()
	sc.Events = nil
	for i := 1; i <= n; i++ {
		sc.Events = append(sc.Events, vb365sim.ScriptedEvent{Offset: vb365sim.Duration(time.Duration(i) * every),
			Duration: vb365sim.Duration(every / 2), Type: "Restore", Status: "Success", Title: "Restore",
			Message: fmt.Sprintf("Restored item %d of {org}", i), ItemName: fmt.Sprintf("item %d", i), ItemType: "Item"})
	}
	return sc
}
