package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Scenario 1: history events (and billable actions) per restore as the
// session stays open longer. Both the product and the naive anchor run with
// a 1 s poll interval for idle/scale of real time, where scale = 15 s / 1 s:
// the same number of poll intervals as the simulated idle time at the
// default 15 s interval, so the poll-driven costs are measured, not
// computed. Heartbeats are on real time (not scaled): they are computed.

const (
	defaultPoll = workflows.DefaultPollInterval
	benchPoll   = time.Second
	timeScale   = float64(defaultPoll / benchPoll)
	burstSize   = 3
)

type historyPoint struct {
	Kind     string        `json:"kind"` // product | naive
	IdleSim  time.Duration `json:"idleSimulated"`
	IdleReal time.Duration `json:"idleReal"`
	histStats
	// HeartbeatActions is computed for the simulated (real-time) idle.
	HeartbeatActions int `json:"heartbeatActions"`
}

type historyResult struct {
	Points []historyPoint
	// Fits: events = A + B x idle minutes (least squares over the points);
	// for the product, of events - 6 x batches (add 6 per batch back).
	ProductA, ProductB float64
	NaiveA, NaiveB     float64
	// NaivePerPoll is the measured history events per naive poll.
	NaivePerPoll, NaiveActionsPerPoll float64
}

// benchScenario has one organization per concurrent restore, each with a
// script of one burst of burstSize events right after creation.
func benchScenario(orgs int, stopAfter time.Duration) (*vb365sim.Scenario, []string) {
	sc := &vb365sim.Scenario{SessionStopsAfter: vb365sim.Duration(stopAfter)}
	ids := make([]string, orgs)
	for i := range orgs {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "bench-org-%d", i)).String()
		sc.Organizations = append(sc.Organizations, vb365sim.ScenarioOrganization{
			ID: ids[i], Name: fmt.Sprintf("bench%d.onmicrosoft.com", i),
			RestorePointsAgo: []vb365sim.Duration{vb365sim.Duration(48 * time.Hour), vb365sim.Duration(time.Hour)},
		})
	}
	ms := func(n int) vb365sim.Duration { return vb365sim.Duration(time.Duration(n) * time.Millisecond) }
	for i := range burstSize {
		sc.Events = append(sc.Events, vb365sim.ScriptedEvent{Offset: ms(100 + 50*i), Duration: ms(10), Type: "View",
			Status: "Success", Title: "Browse", Message: fmt.Sprintf("Browsed item %d of {org}", i), ItemName: "Adele Vance", ItemType: "User"})
	}
	return sc, ids
}

func runHistory(ctx context.Context, st *stack, idles []time.Duration, logf func(string, ...any)) (*historyResult, error) {
	sbs, err := st.startSideBySide(ctx, "hist", len(idles), vb365sim.Options{})
	if err != nil {
		return nil, err
	}
	defer sbs.close()
	orgs, psim, nsim, ptq, ntq := sbs.orgs, sbs.product, sbs.naive, sbs.productTQ, sbs.naiveTQ

	res := &historyResult{Points: make([]historyPoint, 2*len(idles))}
	errs := make(chan error, 2*len(idles))
	var wg sync.WaitGroup
	for i, idleSim := range idles {
		idleReal := time.Duration(float64(idleSim) / timeScale)
		wg.Add(2)
		go func() {
			defer wg.Done()
			p, err := productHistoryRun(ctx, st, psim, ptq, orgs[i], idleReal)
			p.Kind, p.IdleSim, p.IdleReal = "product", idleSim, idleReal
			res.Points[2*i] = p
			errs <- err
		}()
		go func() {
			defer wg.Done()
			p, err := naiveHistoryRun(ctx, st, nsim, ntq, orgs[i], idleReal)
			p.Kind, p.IdleSim, p.IdleReal = "naive", idleSim, idleReal
			res.Points[2*i+1] = p
			errs <- err
		}()
	}
	logf("scenario 1: %d restores each of product and naive, idle %v (real time / %.0f)", len(idles), idles, timeScale)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	var px, py, nx, ny []float64
	var polls, nEvents, nActions float64
	for _, p := range res.Points {
		if p.Kind == "product" {
			// Fit the part that is not batches: the batches are the bench's
			// bursts, which may split across polls.
			px, py = append(px, p.IdleSim.Minutes()), append(py, float64(p.Events-batchCost*p.Waits))
		} else {
			nx, ny = append(nx, p.IdleSim.Minutes()), append(ny, float64(p.Events))
			polls += float64(p.Polls)
			nEvents += float64(p.Events)
			nActions += float64(p.Actions)
		}
	}
	res.ProductA, res.ProductB = linearFit(px, py)
	res.NaiveA, res.NaiveB = linearFit(nx, ny)
	// Per poll: the slope over the points, in polls rather than minutes.
	var pollX, evY, acY []float64
	for _, p := range res.Points {
		if p.Kind == "naive" {
			pollX, evY, acY = append(pollX, float64(p.Polls)), append(evY, float64(p.Events)), append(acY, float64(p.Actions))
		}
	}
	_, res.NaivePerPoll = linearFit(pollX, evY)
	_, res.NaiveActionsPerPoll = linearFit(pollX, acY)
	if len(pollX) < 2 && polls > 0 {
		res.NaivePerPoll, res.NaiveActionsPerPoll = nEvents/polls, nActions/polls
	}
	return res, nil
}

// waitSession waits for the simulator to hold a session of org (bounded).
func waitSession(ctx context.Context, sim *vb365sim.Simulator, org string) (string, error) {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		for _, s := range sim.Sessions() {
			if s.OrganizationID == org {
				return s.ID, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("no session of organization %s after 90s", org)
}

func appendBurst(sim *vb365sim.Simulator, sessionID string) error {
	for i := range burstSize {
		if err := sim.AppendEvent(sessionID, vb365sim.EventInput{Type: "Restore", Status: "Success",
			Message: fmt.Sprintf("Restored item %d", i), ItemName: "Q3 budget.xlsx", ItemType: "File", ItemSizeBytes: 48213}); err != nil {
			return err
		}
	}
	return nil
}

// idleWithBurst waits for org's session, then idle/2, appends a burst to the
// session, waits idle/2.
func idleWithBurst(ctx context.Context, sim *vb365sim.Simulator, org string, idle time.Duration) error {
	sessionID, err := waitSession(ctx, sim, org)
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, 2*time.Second+idle/2); err != nil { // 2 s: the scripted burst is recorded
		return err
	}
	if err := appendBurst(sim, sessionID); err != nil {
		return err
	}
	return sleepCtx(ctx, idle/2)
}

func productHistoryRun(ctx context.Context, st *stack, sim *simServer, tq, org string, idle time.Duration) (historyPoint, error) {
	id := "bench-hist-product-" + uuid.NewString()
	run, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, workflows.RestoreSessionWorkflowName,
		workflows.RestoreInput{OrganizationID: org, Type: "vet", PollInterval: benchPoll.String(), MaxSessionDuration: "4h"})
	if err != nil {
		return historyPoint{}, err
	}
	if err := idleWithBurst(ctx, sim.sim, org, idle); err != nil {
		return historyPoint{}, err
	}
	h, err := st.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateStop,
		Args: []any{workflows.StopRequest{RequestedBy: "bench", Reason: "scenario 1"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return historyPoint{}, fmt.Errorf("stop %s: %w", id, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return historyPoint{}, fmt.Errorf("stop %s: %w", id, err)
	}
	var rep workflows.RestoreReport
	if err := run.Get(ctx, &rep); err != nil {
		return historyPoint{}, fmt.Errorf("restore %s: %w", id, err)
	}
	// Two bursts, plus the "Restore session started" and "Restore session
	// stopped" events VB365 writes.
	if want := 2*burstSize + 2; rep.EventCounts.Total != want {
		return historyPoint{}, fmt.Errorf("restore %s recorded %d events, want %d", id, rep.EventCounts.Total, want)
	}
	hs, err := fetchHistory(ctx, st.c, id)
	if err != nil {
		return historyPoint{}, err
	}
	return historyPoint{histStats: hs, HeartbeatActions: heartbeatActions(hs.WaitDurations, timeScale)}, nil
}

func naiveHistoryRun(ctx context.Context, st *stack, sim *simServer, tq, org string, idle time.Duration) (historyPoint, error) {
	id := "bench-hist-naive-" + uuid.NewString()
	run, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, naiveWorkflowName,
		naiveInput{OrganizationID: org, PointInTime: time.Now().Add(-time.Hour), PollInterval: benchPoll,
			MaxPolls: int(idle/benchPoll) + 1000})
	if err != nil {
		return historyPoint{}, err
	}
	if err := idleWithBurst(ctx, sim.sim, org, idle); err != nil {
		return historyPoint{}, err
	}
	if err := st.c.SignalWorkflow(ctx, id, "", naiveStopSignal, nil); err != nil {
		return historyPoint{}, err
	}
	var r naiveResult
	if err := run.Get(ctx, &r); err != nil {
		return historyPoint{}, fmt.Errorf("naive %s: %w", id, err)
	}
	hs, err := fetchHistory(ctx, st.c, id)
	return historyPoint{histStats: hs}, err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// linearFit is least squares y = a + b x (b = 0 with fewer than 2 points).
func linearFit(x, y []float64) (a, b float64) {
	n := float64(len(x))
	if n == 0 {
		return 0, 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx, sy, sxx, sxy = sx+x[i], sy+y[i], sxx+x[i]*x[i], sxy+x[i]*y[i]
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return sy / n, 0
	}
	b = (n*sxy - sx*sy) / den
	return (sy - b*sx) / n, b
}
