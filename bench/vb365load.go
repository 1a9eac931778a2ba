package main

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Scenario 2: VB365 requests per idle session-minute at the default 15 s
// poll interval (real time, no scaling), product and naive side by side on
// two simulators, and token renewals per worker-hour with a short token
// lifetime, scaled to the 60 min default.

type vb365Result struct {
	Sessions int
	Warmup   time.Duration // after creation, before the window
	Window   time.Duration
	TokenTTL time.Duration
	// Per idle session-minute, API requests only (token requests apart).
	ProductPerMin, NaivePerMin float64
	ProductRoutes, NaiveRoutes map[string]int
	// Token acquisitions (password logins + refresh grants) of the one
	// product worker in the window.
	TokenLogins, TokenRefreshes int
	// Expected renewal period for TokenTTL, and the figure scaled to 60 min.
	RenewEvery           time.Duration
	PerTokenLifetime     float64
	PerWorkerHourDefault float64
	SessionsOpenAtEnd    int
}

// renewPeriod mirrors vb365/auth.go renewAt: renew when 10% of the lifetime
// (at least a minute, at most half) remains.
func renewPeriod(ttl time.Duration) time.Duration {
	margin := max(ttl/10, time.Minute)
	margin = min(margin, ttl/2)
	return ttl - margin
}

func runVB365(ctx context.Context, st *stack, sessions int, warmup, window, tokenTTL time.Duration, logf func(string, ...any)) (*vb365Result, error) {
	sbs, err := st.startSideBySide(ctx, "vb365", sessions, vb365sim.Options{TokenTTL: tokenTTL})
	if err != nil {
		return nil, err
	}
	defer sbs.close()
	orgs, psim, nsim, ptq, ntq := sbs.orgs, sbs.product, sbs.naive, sbs.productTQ, sbs.naiveTQ

	var pids, nids []string
	for i := range sessions {
		pid := "bench-vb365-product-" + uuid.NewString()
		if _, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: pid, TaskQueue: ptq}, workflows.RestoreSessionWorkflowName,
			workflows.RestoreInput{OrganizationID: orgs[i], Type: "vet"}); err != nil { // default 15 s poll interval
			return nil, err
		}
		pids = append(pids, pid)
		nid := "bench-vb365-naive-" + uuid.NewString()
		if _, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: nid, TaskQueue: ntq}, naiveWorkflowName,
			naiveInput{OrganizationID: orgs[i], PointInTime: time.Now().Add(-time.Hour), PollInterval: defaultPoll,
				MaxPolls: int((warmup+window)/defaultPoll) + 100}); err != nil {
			return nil, err
		}
		nids = append(nids, nid)
	}
	for i := range sessions {
		if _, err := waitSession(ctx, psim.sim, orgs[i]); err != nil {
			return nil, err
		}
		if _, err := waitSession(ctx, nsim.sim, orgs[i]); err != nil {
			return nil, err
		}
	}
	logf("scenario 2: %d idle sessions each; warm-up %s, measuring %s", sessions, warmup, window)
	if err := sleepCtx(ctx, warmup); err != nil {
		return nil, err
	}
	psim.sim.ResetStats()
	nsim.sim.ResetStats()
	if err := sleepCtx(ctx, window); err != nil {
		return nil, err
	}
	ps, ns := psim.sim.Stats(), nsim.sim.Stats()
	res := &vb365Result{Sessions: sessions, Warmup: warmup, Window: window, TokenTTL: tokenTTL,
		ProductRoutes: ps.Requests, NaiveRoutes: ns.Requests, TokenLogins: ps.TokenLogins, TokenRefreshes: ps.TokenRefreshes,
		SessionsOpenAtEnd: ps.SessionsOpen}
	sessMin := float64(sessions) * window.Minutes()
	res.ProductPerMin = float64(apiRequests(ps.Requests)) / sessMin
	res.NaivePerMin = float64(apiRequests(ns.Requests)) / sessMin
	res.RenewEvery = renewPeriod(tokenTTL)
	acq := float64(ps.TokenLogins + ps.TokenRefreshes)
	res.PerTokenLifetime = acq / (window.Seconds() / res.RenewEvery.Seconds())
	res.PerWorkerHourDefault = res.PerTokenLifetime * time.Hour.Seconds() / renewPeriod(time.Hour).Seconds()

	// End everything (bounded by the context of the run).
	var wg sync.WaitGroup
	for _, id := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if h, err := st.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateStop,
				Args: []any{workflows.StopRequest{RequestedBy: "bench"}}, WaitForStage: client.WorkflowUpdateStageCompleted}); err == nil {
				_ = h.Get(ctx, nil)
			}
		}()
	}
	for _, id := range nids {
		_ = st.c.SignalWorkflow(ctx, id, "", naiveStopSignal, nil)
	}
	wg.Wait()
	return res, nil
}

// apiRequests counts requests other than token grants.
func apiRequests(m map[string]int) int {
	n := 0
	for k, v := range m {
		if !isTokenRoute(k) {
			n += v
		}
	}
	return n
}

func isTokenRoute(k string) bool { return strings.HasSuffix(k, "/token") }

func sortedRoutes(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
