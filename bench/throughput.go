package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Scenario 3: N concurrent restores on one worker, start to finish, next to
// the same-shape no-op workflow on the same server in the same run. Every
// restore's session stops by itself in VB365 after sessionLife (as when an
// operator closes Veeam Explorer), so a restore is: validate, read the
// organization, create the session, a few waits at a 1 s poll interval, the
// final fetch.

const (
	throughputRate = 1000 // VB365_MAX_RATE of the product worker here
	sessionLife    = 2 * time.Second
	startParallel  = 20
	throughputOrg  = 50 // organizations the restores are spread over
)

type throughputRow struct {
	Kind       string // product | no-op
	N          int
	Completed  int
	Failed     int
	Makespan   time.Duration // first start call to last close
	PerSecond  float64
	CreateP50  time.Duration // start call to session created
	CreateP95  time.Duration
	TotalP50   time.Duration // start call to close
	TotalP95   time.Duration
	Worker     usage
	Server     time.Duration // dev server CPU in the window
	Bench      time.Duration // bench process CPU (simulator, clients)
	Events     float64       // mean history events per workflow
	Waits      float64       // mean waits per product restore
	VB365PerRe float64       // VB365 requests per restore (product)
	Routes     map[string]int
}

func runThroughput(ctx context.Context, st *stack, sizes []int, logf func(string, ...any)) ([]throughputRow, error) {
	var rows []throughputRow
	for _, n := range sizes {
		prod, err := throughputProduct(ctx, st, n, logf)
		if err != nil {
			return rows, err
		}
		rows = append(rows, prod)
		waits := max(1, int(math.Round(prod.Waits)))
		noop, err := throughputNoop(ctx, st, n, waits, sessionLife/time.Duration(waits), logf)
		if err != nil {
			return rows, err
		}
		rows = append(rows, noop)
	}
	return rows, nil
}

type startRec struct {
	id  string
	at  time.Time
	run client.WorkflowRun
	err error
}

// startAll starts n workflows with startParallel callers, then waits for
// every result; it returns the records in start order.
func startAll(ctx context.Context, st *stack, n int, start func(id string) (client.WorkflowRun, error), prefix string) []*startRec {
	recs := make([]*startRec, n)
	for i := range recs {
		recs[i] = &startRec{id: fmt.Sprintf("%s-%d-%s", prefix, i, uuid.NewString()[:8])}
	}
	next := make(chan *startRec)
	var wg sync.WaitGroup
	for range startParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				r.at = time.Now()
				r.run, r.err = start(r.id)
			}
		}()
	}
	for _, r := range recs {
		next <- r
	}
	close(next)
	wg.Wait()
	var done sync.WaitGroup
	for _, r := range recs {
		if r.err != nil {
			continue
		}
		done.Add(1)
		go func() {
			defer done.Done()
			r.err = r.run.Get(ctx, nil)
		}()
	}
	done.Wait()
	return recs
}

func throughputProduct(ctx context.Context, st *stack, n int, logf func(string, ...any)) (throughputRow, error) {
	sc, orgs := benchScenario(throughputOrg, sessionLife)
	sim, err := startSim(vb365sim.Options{Scenario: sc})
	if err != nil {
		return throughputRow{}, err
	}
	defer sim.close()
	tq := st.taskQueue("tp-product")
	// The VB365 budget raised out of the way: this scenario measures the
	// Temporal side against the no-op workflow; scenario 4 measures the budget.
	w, err := st.startProductWorker(ctx, tq, sim.URL, "VB365_MAX_RATE="+strconv.Itoa(throughputRate))
	if err != nil {
		return throughputRow{}, err
	}
	defer w.stop()
	logf("scenario 3: %d concurrent restores (product)", n)
	sim.sim.ResetStats()
	var i atomic.Int64
	row, err := measure(ctx, st, w, "product", n, func(id string) (client.WorkflowRun, error) {
		k := int(i.Add(1))
		return st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, workflows.RestoreSessionWorkflowName,
			workflows.RestoreInput{OrganizationID: orgs[k%len(orgs)], Type: "vet", PollInterval: benchPoll.String(), MaxSessionDuration: "1h"})
	})
	if err != nil {
		return row, err
	}
	row.Routes = sim.sim.Stats().Requests
	row.VB365PerRe = float64(apiRequests(row.Routes)) / float64(max(1, row.Completed))
	return row, nil
}

func throughputNoop(ctx context.Context, st *stack, n, waits int, waitSleep time.Duration, logf func(string, ...any)) (throughputRow, error) {
	tq := st.taskQueue("tp-noop")
	w, err := st.startBaselineWorker(ctx, tq, "http://127.0.0.1:1")
	if err != nil {
		return throughputRow{}, err
	}
	defer w.stop()
	logf("scenario 3: %d concurrent no-op workflows (%d waits of %s)", n, waits, waitSleep)
	return measure(ctx, st, w, "no-op", n, func(id string) (client.WorkflowRun, error) {
		return st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, noopWorkflowName,
			noopInput{Waits: waits, WaitSleep: waitSleep})
	})
}

func measure(ctx context.Context, st *stack, w *proc, kind string, n int, start func(id string) (client.WorkflowRun, error)) (throughputRow, error) {
	spid := serverPID()
	srv0 := cpuTime(spid)
	me := startUsage(os.Getpid())
	wm := startUsage(w.pid())
	recs := startAll(ctx, st, n, start, "bench-tp-"+kind)
	row := throughputRow{Kind: kind, N: n, Worker: wm.stop(), Server: cpuTime(spid) - srv0, Bench: me.stop().CPU}
	var first, last time.Time
	var creates, totals []time.Duration
	var events, waits float64
	for _, r := range recs {
		if r.err != nil {
			row.Failed++
			continue
		}
		hs, err := fetchHistory(ctx, st.c, r.id)
		if err != nil {
			return row, err
		}
		row.Completed++
		if first.IsZero() || r.at.Before(first) {
			first = r.at
		}
		if hs.Closed.After(last) {
			last = hs.Closed
		}
		if !hs.SessionCreated.IsZero() {
			creates = append(creates, hs.SessionCreated.Sub(r.at))
		}
		totals = append(totals, hs.Closed.Sub(r.at))
		events += float64(hs.Events)
		waits += float64(hs.Waits)
	}
	if row.Completed == 0 {
		return row, fmt.Errorf("%s: no workflow completed (first error: %v)", kind, firstErr(recs))
	}
	row.Makespan = last.Sub(first)
	row.PerSecond = float64(row.Completed) / row.Makespan.Seconds()
	row.CreateP50, row.CreateP95 = percentile(creates, 50), percentile(creates, 95)
	row.TotalP50, row.TotalP95 = percentile(totals, 50), percentile(totals, 95)
	row.Events = events / float64(row.Completed)
	row.Waits = waits / float64(row.Completed)
	return row, nil
}

func firstErr(recs []*startRec) error {
	for _, r := range recs {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(float64(p)/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
