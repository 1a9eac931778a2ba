package workerapp

import (
	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// vb365Side is the worker's one VB365 request budget, shared by every
// activity, and the VB365 metrics on the worker's /metrics registry (nil
// when metrics are off).
func vb365Side(cfg config.Worker, m *metrics) (*vb365.Budget, *vb365.Metrics, error) {
	var vm *vb365.Metrics
	if m != nil {
		vm = vb365.NewMetrics(m.reg)
	}
	b, err := vb365.NewBudget(vb365.BudgetOptions{MaxInFlight: cfg.VB365MaxInFlight, MaxRate: cfg.VB365MaxRate, Metrics: vm})
	return b, vm, err
}
