package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Scenario 4: many open restores on one worker against one VB365 with the
// default request budget (VB365_MAX_RATE 20/s, VB365_MAX_IN_FLIGHT 8), at
// the default 15 s poll interval, in real time:
//
//  1. open N restores at once and wait until every session is open;
//  2. after a ramp (the idle waits reach their ceiling), measure a window:
//     the request rate against the budget, and for a few busy sessions (an
//     event appended every busyEvery once the last one was recorded, from
//     the start of the ramp on) the time from an event's appearance to its
//     recording by the workflow. The first event of each busy session is
//     measured apart. In the window, idle sessions become busy too: one
//     event each, spread over the window, to a session idle since it opened
//     (the sessions are v8: VB365's change feed should wake its wait at
//     once, where an idle wait without it would notice at its next poll);
//  3. a 429 storm: VB365 answers every request with 429 and Retry-After for
//     stormFor; count the requests that reach it and the failed activities;
//  4. stop all N and check every session is stopped (no orphan) and every
//     event in VB365 is in its restore's report.
//
// The request rate is sampled about every second from the simulator's
// counters for the whole run (the chart): each sample is the requests
// counted divided by the time since the previous one as measured, so a
// late tick on a loaded machine does not look like a burst.

const (
	budgetRate   = 20.0
	busySessions = 10
	busyEvery    = 10 * time.Second
	// recordGrace is how long after the window an event appended in it is
	// still waited for: twice the 30 s the latency goal allows.
	recordGrace        = time.Minute
	wokenSessions      = 20
	stormRetryAfter    = 5 * time.Second
	budgetStopParallel = 20
)

type budgetConfig struct {
	open         int
	ramp, window time.Duration
	storm        time.Duration
	quick        bool
}

type budgetResult struct {
	Open, Opened int
	OpenTook     time.Duration
	StopTook     time.Duration
	Ramp, Window time.Duration
	// Series is the requests per second over the run, token grants included.
	Series []float64
	// Phases are when each phase began, in seconds from the first sample.
	Phases []budgetPhase
	// PeakSecond is the largest 1 s sample; PeakTenSeconds the largest mean
	// over 10 consecutive samples.
	PeakSecond, PeakTenSeconds float64
	WindowRate                 float64 // mean requests/s in the window
	// WindowRoutes are the window's requests by route; WindowWakes the
	// change feed's wakes of waits in it, by reason; WindowFailed the
	// activity attempts that failed in it; FeedUpAtEnd whether the worker
	// read the feed at the window's end (all from the worker's metrics).
	WindowRoutes           map[string]int
	WindowWakes            map[string]float64
	WindowFailed           float64
	FeedUpAtEnd            bool
	IdlePerSessionMin      float64         // the window's requests per session-minute (busy sessions included)
	BusyLatencies          []time.Duration // appended in the window, after each session's first
	BusyP50, BusyP95       time.Duration
	BusyAppended, BusySeen int
	// FirstLatencies are those of each busy session's first event (appended
	// at the start of the ramp, to an idle session); FirstUnseen counts the
	// first events not recorded by recordGrace after the window's end.
	FirstLatencies []time.Duration
	FirstMax       time.Duration
	FirstUnseen    int
	// WokenLatencies are those of the one event appended in the window to
	// each of a few sessions idle until then; WokenUnseen counts those not
	// recorded by recordGrace after the window's end.
	WokenLatencies     []time.Duration
	WokenP50, WokenP95 time.Duration
	WokenUnseen        int
	// Storm figures.
	Storm, StormRetryAfter time.Duration
	StormRequests          int
	StormFirstPause        int // requests until the first pause was surely on
	StormPerRetryAfter     float64
	StormActivityFailures  float64
	StormPauses            float64
	// End figures.
	Completed, Failed              int
	EventsInVB365, EventsInReports int
	ReportsShort                   int // restores whose report lacks events VB365 has
	Orphans                        int
	// SessionsCreated is every session VB365 ever opened in the scenario:
	// more than Open means a create opened a second one.
	SessionsCreated int
	WorkerPeakMiB   float64
	WorkerCPU       time.Duration
}

type budgetPhase struct {
	At   float64
	Name string
}

func runBudget(ctx context.Context, st *stack, bc budgetConfig, logf func(string, ...any)) (*budgetResult, error) {
	res := &budgetResult{Open: bc.open, Ramp: bc.ramp, Window: bc.window, Storm: bc.storm, StormRetryAfter: stormRetryAfter}
	sc, orgs := benchScenario(bc.open, 0)
	sim, err := startSim(vb365sim.Options{Scenario: sc})
	if err != nil {
		return nil, err
	}
	defer sim.close()
	port, err := temporalcli.FreePort("127.0.0.1")
	if err != nil {
		return nil, err
	}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	tq := st.taskQueue("budget")
	w, err := st.startProductWorker(ctx, tq, sim.URL, fmt.Sprintf("METRICS_ADDR=127.0.0.1:%d", port),
		fmt.Sprintf("VB365_MAX_RATE=%g", budgetRate),
		// Each open restore holds an activity slot while it waits; the
		// SDK's default of 1000 would cap the open restores.
		fmt.Sprintf("MAX_CONCURRENT_ACTIVITIES=%d", max(1000, bc.open+200)))
	if err != nil {
		return nil, err
	}
	defer w.stop()
	wm := startUsage(w.pid())

	// The sampler: requests per second, for the whole scenario.
	began := time.Now()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	var smu sync.Mutex
	go func() {
		defer close(samplerDone)
		last, lastAt := totalRequests(sim.sim.Stats().Requests), time.Now()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
				now, at := totalRequests(sim.sim.Stats().Requests), time.Now()
				smu.Lock()
				res.Series = append(res.Series, float64(now-last)/at.Sub(lastAt).Seconds())
				smu.Unlock()
				last, lastAt = now, at
			}
		}
	}()
	phase := func(name string) {
		smu.Lock()
		res.Phases = append(res.Phases, budgetPhase{At: time.Since(began).Seconds(), Name: name})
		smu.Unlock()
		logf("scenario 4: %s", name)
	}
	defer func() {
		stopSampling()
		<-samplerDone
	}()

	// 1. Open N restores.
	phase(fmt.Sprintf("opening %d restores", bc.open))
	ids := make([]string, bc.open)
	runs := make([]client.WorkflowRun, bc.open)
	{
		next := make(chan int)
		var wg sync.WaitGroup
		var firstErr error
		var emu sync.Mutex
		for range startParallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					ids[i] = fmt.Sprintf("bench-budget-%d-%s", i, uuid.NewString()[:8])
					run, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: tq},
						workflows.RestoreSessionWorkflowName, workflows.RestoreInput{OrganizationID: orgs[i], Type: "vet"})
					if err != nil {
						emu.Lock()
						firstErr = err
						emu.Unlock()
						continue
					}
					runs[i] = run
				}
			}()
		}
		for i := range bc.open {
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	openDeadline := time.Now().Add(time.Duration(bc.open)*time.Second/2 + 3*time.Minute)
	for sim.sim.Stats().SessionsOpen < bc.open && time.Now().Before(openDeadline) {
		if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
	res.Opened = sim.sim.Stats().SessionsOpen
	res.OpenTook = time.Since(began)
	if res.Opened < bc.open {
		logf("scenario 4: only %d of %d sessions open after %s", res.Opened, bc.open, res.OpenTook.Round(time.Second))
	}
	sessionOf := map[string]string{} // organization -> session
	for _, s := range sim.sim.Sessions() {
		sessionOf[s.OrganizationID] = s.ID
	}

	// 2. Ramp, then the window; the busy sessions start with the ramp.
	phase("ramp (idle waits reach their ceiling; busy sessions get their first event)")
	windowAt := time.Now().Add(bc.ramp)
	bctx, endBusy := context.WithDeadline(ctx, windowAt.Add(bc.window))
	defer endBusy()
	// Events appended in the window are followed past its end (recordGrace),
	// so that the last one of each session counts too.
	octx, endObserve := context.WithDeadline(ctx, windowAt.Add(bc.window+recordGrace))
	defer endObserve()
	var lmu sync.Mutex
	var bwg sync.WaitGroup
	for b := range min(busySessions, bc.open) {
		bwg.Add(1)
		go func() {
			defer bwg.Done()
			evs := busySession(bctx, octx, st, sim.sim, ids[b], sessionOf[orgs[b]])
			lmu.Lock()
			defer lmu.Unlock()
			for i, e := range evs {
				switch {
				case i == 0 && e.seen:
					res.FirstLatencies = append(res.FirstLatencies, e.latency)
					res.FirstMax = max(res.FirstMax, e.latency)
				case i == 0:
					res.FirstUnseen++
				case e.at.Before(windowAt):
				case e.seen:
					res.BusyAppended++
					res.BusyLatencies = append(res.BusyLatencies, e.latency)
				default:
					res.BusyAppended++
				}
			}
		}()
	}
	if err := sleepCtx(ctx, time.Until(windowAt)); err != nil {
		return nil, err
	}
	phase("measuring window")
	routes0 := sim.sim.Stats().Requests
	before := totalRequests(routes0)
	wakes0 := map[string]float64{}
	for _, r := range wakeReasons {
		wakes0[r] = scrapeSum(metricsURL, "vb365_change_feed_wakes_total", `reason="`+r+`"`)
	}
	failed0 := scrapeSum(metricsURL, "temporal_activity_execution_failed_total")
	woken := min(wokenSessions, bc.open-min(busySessions, bc.open))
	for k := range woken {
		i := min(busySessions, bc.open) + k
		bwg.Add(1)
		go func() {
			defer bwg.Done()
			if sleepCtx(bctx, bc.window*time.Duration(k)/time.Duration(2*woken)) != nil {
				return
			}
			e := wakeSession(bctx, octx, st, sim.sim, ids[i], sessionOf[orgs[i]])
			lmu.Lock()
			defer lmu.Unlock()
			if e.seen {
				res.WokenLatencies = append(res.WokenLatencies, e.latency)
			} else {
				res.WokenUnseen++
			}
		}()
	}
	<-bctx.Done()
	routes1 := sim.sim.Stats().Requests
	inWindow := totalRequests(routes1) - before
	res.WindowRoutes = map[string]int{}
	for k, v := range routes1 {
		if d := v - routes0[k]; d > 0 {
			res.WindowRoutes[k] = d
		}
	}
	res.WindowWakes = map[string]float64{}
	for _, r := range wakeReasons {
		res.WindowWakes[r] = scrapeSum(metricsURL, "vb365_change_feed_wakes_total", `reason="`+r+`"`) - wakes0[r]
	}
	res.WindowFailed = scrapeSum(metricsURL, "temporal_activity_execution_failed_total") - failed0
	res.FeedUpAtEnd = scrapeSum(metricsURL, "vb365_change_feed_up") > 0
	bwg.Wait()
	res.WokenP50, res.WokenP95 = percentile(res.WokenLatencies, 50), percentile(res.WokenLatencies, 95)
	res.BusySeen = len(res.BusyLatencies)
	res.BusyP50, res.BusyP95 = percentile(res.BusyLatencies, 50), percentile(res.BusyLatencies, 95)
	res.WindowRate = float64(inWindow) / bc.window.Seconds()
	res.IdlePerSessionMin = float64(inWindow) / (float64(res.Opened) * bc.window.Minutes())

	// 3. The storm.
	if bc.storm > 0 {
		phase(fmt.Sprintf("429 storm, Retry-After %s", stormRetryAfter))
		failed0, pauses0 := scrapeSum(metricsURL, "temporal_activity_execution_failed_total"), scrapeSum(metricsURL, "vb365_throttle_pauses_total")
		before := totalRequests(sim.sim.Stats().Requests)
		for _, p := range []string{"/v8/token", "/v8/Events", "/v8/RestoreSessions", "/v8/RestoreSessions/*", "/v8/RestoreSessions/*/Events",
			"/v8/RestoreSessions/*/Stop", "/v8/Organizations/*", "/v8/Organizations/*/explore", "/v8/ServiceInstance"} {
			sim.sim.AddFault(vb365sim.Fault{Path: p, Count: -1, Status: http.StatusTooManyRequests,
				RetryAfterSeconds: int(stormRetryAfter.Seconds()), Message: "Too many requests (bench storm)."})
		}
		// The requests in flight when the storm begins meet it too; the
		// steady figure counts from the end of the first pause on.
		first := min(stormRetryAfter+time.Second, bc.storm)
		if err := sleepCtx(ctx, first); err != nil {
			return nil, err
		}
		mid := totalRequests(sim.sim.Stats().Requests)
		if err := sleepCtx(ctx, bc.storm-first); err != nil {
			return nil, err
		}
		sim.sim.ClearFaults()
		end := totalRequests(sim.sim.Stats().Requests)
		res.StormRequests = end - before
		res.StormFirstPause = mid - before
		if rest := bc.storm - first; rest > 0 {
			// A window of rest holds ceil(rest/Retry-After) pause ends.
			res.StormPerRetryAfter = float64(end-mid) / math.Ceil(rest.Seconds()/stormRetryAfter.Seconds())
		}
		phase("recovery")
		if err := sleepCtx(ctx, 2*stormRetryAfter+10*time.Second); err != nil {
			return nil, err
		}
		res.StormActivityFailures = scrapeSum(metricsURL, "temporal_activity_execution_failed_total") - failed0
		res.StormPauses = scrapeSum(metricsURL, "vb365_throttle_pauses_total") - pauses0
	}

	// 4. Stop all.
	phase(fmt.Sprintf("stopping %d restores", bc.open))
	stopStart := time.Now()
	{
		next := make(chan int)
		var wg sync.WaitGroup
		for range budgetStopParallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if runs[i] == nil {
						continue
					}
					if h, err := st.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: workflows.UpdateStop,
						Args: []any{workflows.StopRequest{RequestedBy: "bench"}}, WaitForStage: client.WorkflowUpdateStageAccepted}); err == nil {
						_ = h
					}
				}
			}()
		}
		for i := range bc.open {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	reports := make([]*workflows.RestoreReport, bc.open)
	{
		var wg sync.WaitGroup
		sem := make(chan struct{}, 50)
		for i, run := range runs {
			if run == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				var rep workflows.RestoreReport
				if err := run.Get(ctx, &rep); err == nil {
					reports[i] = &rep
				}
			}()
		}
		wg.Wait()
	}
	res.StopTook = time.Since(stopStart)
	phase("done")
	u := wm.stop()
	res.WorkerPeakMiB, res.WorkerCPU = u.PeakMiB, u.CPU
	for i, rep := range reports {
		if rep == nil {
			res.Failed++
			continue
		}
		res.Completed++
		evs, err := sim.sim.Events(sessionOf[orgs[i]])
		if err == nil {
			res.EventsInVB365 += len(evs)
			if rep.EventCounts.Total < len(evs) {
				res.ReportsShort++
			}
		}
		res.EventsInReports += rep.EventCounts.Total
	}
	res.Orphans = sim.sim.Stats().SessionsOpen
	res.SessionsCreated = len(sim.sim.Sessions())
	smu.Lock()
	defer smu.Unlock()
	for i := range res.Series {
		res.PeakSecond = max(res.PeakSecond, res.Series[i])
		if i >= 9 {
			sum := 0.0
			for _, v := range res.Series[i-9 : i+1] {
				sum += v
			}
			res.PeakTenSeconds = max(res.PeakTenSeconds, sum/10)
		}
	}
	return res, nil
}

// busyEvent is one event a busy session appended: when, and whether and
// how soon the workflow recorded it.
type busyEvent struct {
	at      time.Time
	seen    bool
	latency time.Duration
}

// busySession appends an event, waits until the workflow's status counts
// it (or observe ends), and appends the next one busyEvery after the last,
// until ctx ends.
func busySession(ctx, observe context.Context, st *stack, sim *vb365sim.Simulator, workflowID, sessionID string) []busyEvent {
	var evs []busyEvent
	for ctx.Err() == nil {
		base, err := recordedEvents(ctx, st, workflowID)
		if err != nil {
			if sleepCtx(ctx, time.Second) != nil {
				break
			}
			continue
		}
		at := time.Now()
		if err := sim.AppendEvent(sessionID, vb365sim.EventInput{Type: "Restore", Status: "Success",
			Message: "Restored item", ItemName: "Q3 budget.xlsx", ItemType: "File", ItemSizeBytes: 48213}); err != nil {
			return evs
		}
		e := busyEvent{at: at}
		for observe.Err() == nil {
			n, err := recordedEvents(observe, st, workflowID)
			if err == nil && n > base {
				e.seen, e.latency = true, time.Since(at)
				break
			}
			if sleepCtx(observe, 250*time.Millisecond) != nil {
				break
			}
		}
		evs = append(evs, e)
		if sleepCtx(ctx, time.Until(at.Add(busyEvery))) != nil {
			break
		}
	}
	return evs
}

// wakeSession appends one event to an idle session, unless ctx has ended,
// and waits until the workflow's status counts it (or observe ends).
func wakeSession(ctx, observe context.Context, st *stack, sim *vb365sim.Simulator, workflowID, sessionID string) busyEvent {
	base, err := recordedEvents(ctx, st, workflowID)
	for err != nil && ctx.Err() == nil {
		if sleepCtx(ctx, time.Second) != nil {
			return busyEvent{}
		}
		base, err = recordedEvents(ctx, st, workflowID)
	}
	at := time.Now()
	if err := sim.AppendEvent(sessionID, vb365sim.EventInput{Type: "View", Status: "Success",
		Message: "Viewed the mailbox", ItemName: "Inbox", ItemType: "Folder"}); err != nil {
		return busyEvent{at: at}
	}
	for observe.Err() == nil {
		if n, err := recordedEvents(observe, st, workflowID); err == nil && n > base {
			return busyEvent{at: at, seen: true, latency: time.Since(at)}
		}
		if sleepCtx(observe, 250*time.Millisecond) != nil {
			break
		}
	}
	return busyEvent{at: at}
}

func recordedEvents(ctx context.Context, st *stack, workflowID string) (int, error) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := st.c.QueryWorkflow(qctx, workflowID, "", workflows.QueryStatus)
	if err != nil {
		return 0, err
	}
	var s workflows.Status
	if err := v.Get(&s); err != nil {
		return 0, err
	}
	return s.EventCounts.Total, nil
}

func totalRequests(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// wakeReasons are the reasons of vb365_change_feed_wakes_total.
var wakeReasons = []string{"change", "recovery"}

// scrapeSum adds up every series of one metric on a /metrics page whose
// labels contain each of labels (0 when it cannot be read).
func scrapeSum(url, name string, labels ...string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest != "" && rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		if !containsAll(rest, labels) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
