package main

import (
	"context"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// sideBySide is the product and the naive anchor, each with a simulator of
// its own (so their VB365 costs are counted apart) and a worker on a task
// queue of its own, over the same scripted organizations.
type sideBySide struct {
	orgs                []string
	product, naive      *simServer
	productTQ, naiveTQ  string
	productW, baselineW *proc
}

// startSideBySide starts both sides for n organizations; opts are the
// simulators' options (the scenario is filled in). close stops everything.
func (st *stack) startSideBySide(ctx context.Context, name string, n int, opts vb365sim.Options) (s *sideBySide, err error) {
	s = &sideBySide{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	var sc *vb365sim.Scenario
	sc, s.orgs = benchScenario(n, 0)
	opts.Scenario = sc
	if s.product, err = startSim(opts); err != nil {
		return s, err
	}
	opts.Scenario, _ = benchScenario(n, 0)
	if s.naive, err = startSim(opts); err != nil {
		return s, err
	}
	s.productTQ, s.naiveTQ = st.taskQueue(name+"-product"), st.taskQueue(name+"-naive")
	if s.productW, err = st.startProductWorker(ctx, s.productTQ, s.product.URL); err != nil {
		return s, err
	}
	s.baselineW, err = st.startBaselineWorker(ctx, s.naiveTQ, s.naive.URL)
	return s, err
}

func (s *sideBySide) close() {
	for _, w := range []*proc{s.baselineW, s.productW} {
		if w != nil {
			w.stop()
		}
	}
	for _, sim := range []*simServer{s.naive, s.product} {
		if sim != nil {
			sim.close()
		}
	}
}
