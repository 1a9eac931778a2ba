package workerapp

import (
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.uber.org/zap"
)

// metrics is the Prometheus side of the worker: the SDK's metrics (through
// tally) plus the process and Go runtime collectors, on one registry.
type metrics struct {
	handler client.MetricsHandler // for client.Options.MetricsHandler
	http    http.Handler          // serves /metrics
	closer  io.Closer
	reg     *prometheus.Registry // for the worker's own metrics beside the SDK's
}

func newMetrics(logger *zap.Logger) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		OnRegisterError: func(err error) {
			logger.Warn("metric registration failed", zap.Error(err))
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	scope = sdktally.NewPrometheusNamingScope(scope)
	return &metrics{
		handler: sdktally.NewMetricsHandler(scope),
		http:    promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		closer:  closer,
		reg:     reg,
	}
}
