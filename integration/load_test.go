package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// 200 concurrent restores against one worker keep every promise: one
// session each (never shared), all stopped, every event once and in order.
// Not parallel: it runs alone, before the parallel cases.
func TestLoadConcurrentRestores(t *testing.T) {
	const n = 200
	s := newStack(t, vb365sim.Options{})

	runs := make([]client.WorkflowRun, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			runs[i] = s.start(input())
		}()
	}
	wg.Wait()

	waitFor(t, long, fmt.Sprintf("%d sessions with all their scripted events", n), func() bool {
		ss := s.sim.Sessions()
		if len(ss) < n {
			return false
		}
		for _, v := range ss {
			if v.EventCount < scriptedEvents {
				return false
			}
		}
		return true
	})
	for _, run := range runs {
		signalStop(t, devServer.Client, run.GetID())
	}

	reports := make([]workflows.RestoreReport, n)
	errs := make([]error, n)
	for i, run := range runs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), long)
			defer cancel()
			errs[i] = run.Get(ctx, &reports[i]) // not resultOf: no require off the test goroutine
		}()
	}
	wg.Wait()

	seen := map[string]string{}
	for i, rep := range reports {
		require.NoError(t, errs[i], "restore %s", runs[i].GetID())
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, scriptedEvents+stopEvent, rep.EventCounts.Total)
		if other, ok := seen[rep.Session.ID]; ok {
			t.Fatalf("restores %s and %s share session %s", other, runs[i].GetID(), rep.Session.ID)
		}
		seen[rep.Session.ID] = runs[i].GetID()
		require.NoError(t, testenv.CheckRecorded(s.sim, rep))
	}
	require.Len(t, s.sim.Sessions(), n)
	require.Empty(t, testenv.WorkingSessions(s.sim))
}
