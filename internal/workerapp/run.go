// Package workerapp runs the production worker: the VB365 client, the
// Temporal client and worker, metrics and health endpoints, graceful stop.
package workerapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/internal/temporalclient"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// Intervals of the background checks.
const (
	healthCheckInterval = 10 * time.Second
	healthCheckTimeout  = 5 * time.Second
	httpShutdownTimeout = 5 * time.Second
)

// dialer connects to Temporal with connect, pausing backoff after the first
// failed attempt, doubling up to 15 s. The worker's is temporalDialer; a
// test of this package runs the worker with its own.
type dialer struct {
	connect func(context.Context, client.Options) (client.Client, error)
	backoff time.Duration
}

func temporalDialer() dialer { return dialer{connect: temporalclient.Connect, backoff: time.Second} }

// Run runs the worker until ctx is cancelled (SIGINT/SIGTERM), then stops it
// gracefully within cfg.WorkerStopTimeout and returns nil. It returns an error
// when it cannot start or when the worker hits a fatal error.
func Run(ctx context.Context, cfg config.Worker, logger *zap.Logger) error {
	return RunWithOptions(ctx, cfg, logger, workflows.Options{})
}

// RunWithOptions is Run with the restore workflow's bounds (tests lower
// them to reach a bound in seconds; the zero value takes the defaults).
func RunWithOptions(ctx context.Context, cfg config.Worker, logger *zap.Logger, wfOpts workflows.Options) error {
	return run(ctx, cfg, logger, wfOpts, temporalDialer())
}

func run(ctx context.Context, cfg config.Worker, logger *zap.Logger, wfOpts workflows.Options, d dialer) error {
	logger.Info("starting vb365-restore worker", zap.Object("config", cfg))
	logPayloadEncryption(cfg.Temporal, logger)
	defer applyMemoryLimit(cfg.Memory, logger)()
	// vb365.New warns when VB365_INSECURE_SKIP_VERIFY turns verification off.

	h := &health{}

	// Metrics and probes first, so /healthz answers while we connect.
	var m *metrics
	var srv *http.Server
	srvDone := make(chan struct{})
	if cfg.MetricsAddr != "" {
		m = newMetrics(logger)
		defer m.closer.Close()
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		srv = &http.Server{Handler: h.handler(m.http, cfg.MetricsPprof), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			defer close(srvDone)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("metrics server stopped", zap.Error(err))
			}
		}()
		logger.Info("serving /metrics, /healthz and /readyz", zap.String("addr", ln.Addr().String()))
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
			defer cancel()
			_ = srv.Shutdown(sctx)
			<-srvDone
		}()
	} else {
		close(srvDone)
		logger.Info("METRICS_ADDR is empty: no /metrics, /healthz or /readyz")
	}

	budget, vbMetrics, err := vb365Side(cfg, m)
	if err != nil {
		return fmt.Errorf("VB365 request budget: %w", err)
	}
	vbClient, err := vb365.New(vb365.Config{
		BaseURL:            cfg.VB365URL,
		Username:           cfg.VB365Username,
		Password:           cfg.VB365Password.Reveal(),
		Version:            cfg.Version(),
		CAFile:             cfg.VB365CAFile,
		InsecureSkipVerify: cfg.VB365InsecureSkip,
		Timeout:            cfg.VB365Timeout,
		ServerTimeZone:     cfg.ServerTimeZone(),
		Logger:             logger.Named("vb365"),
		Budget:             budget,
	})
	if err != nil {
		return fmt.Errorf("VB365 client (VB365_URL %s): %w", cfg.VB365URL, err)
	}

	var metricsHandler client.MetricsHandler
	if m != nil {
		metricsHandler = m.handler
	}
	c, err := d.dial(ctx, cfg, logger, metricsHandler)
	if err != nil {
		if ctx.Err() != nil {
			logger.Info("stopped before connecting to Temporal")
			return nil
		}
		return err
	}
	defer c.Close()

	saRegistered := checkSearchAttributes(ctx, c, cfg.Namespace, logger)

	// The cache is the process's, shared by its workers; the size takes
	// effect when the first worker starts (see config.Memory for why it is
	// not the SDK's default).
	worker.SetStickyWorkflowCacheSize(cfg.WorkflowCacheSize)
	fatal := make(chan error, 1)
	w := worker.New(c, cfg.TaskQueue, worker.Options{
		WorkerStopTimeout:                      cfg.WorkerStopTimeout,
		MaxConcurrentActivityExecutionSize:     cfg.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: cfg.MaxConcurrentWorkflowTasks,
		OnFatalError: func(err error) {
			h.setFatal(err)
			select {
			case fatal <- err:
			default:
			}
		},
	})
	actsCfg := activities.Config{
		Client:                     vbClient,
		SearchAttributesRegistered: saRegistered,
		// Claims live in Temporal, so that replicas of this worker (and
		// this worker after a restart) never hand one session to two
		// workflows.
		Claims:                activities.TemporalClaims{Client: c, TaskQueue: cfg.TaskQueue},
		Username:              cfg.VB365Username,
		ServerTimeZone:        cfg.ServerTimeZone(),
		Metrics:               vbMetrics,
		IdleRequestsPerMinute: cfg.VB365IdleRequestsPerMin,
		SafetyPollInterval:    cfg.VB365SafetyPollInterval,
		Logger:                logger.Named("changefeed"),
	}
	if cfg.RestoreCredentials != nil { // a nil pointer would make a non-nil interface
		actsCfg.RestoreCredentials = cfg.RestoreCredentials
	}
	acts := activities.New(actsCfg)
	workflows.RegisterWithOptions(w, acts, wfOpts)
	playbook.RegisterWithOptions(w, playbook.Options{EventsPerRun: wfOpts.PlaybookEventsPerRun})

	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", cfg.TaskQueue, err)
	}
	h.setStarted()
	logger.Info("worker started",
		zap.String("taskQueue", cfg.TaskQueue),
		zap.String("namespace", cfg.Namespace),
		zap.String("temporal", cfg.Address))

	checkCtx, stopChecks := context.WithCancel(ctx)
	checksDone := make(chan struct{})
	go func() {
		defer close(checksDone)
		healthLoop(checkCtx, c, h, logger)
	}()

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("stopping worker", zap.Duration("workerStopTimeout", cfg.WorkerStopTimeout))
	case err := <-fatal:
		logger.Error("worker hit a fatal error; stopping", zap.Error(err))
		runErr = fmt.Errorf("worker: %w", err)
	}
	h.setStopping()
	stopChecks()
	<-checksDone
	start := time.Now()
	w.Stop()
	logger.Info("worker stopped", zap.Duration("took", time.Since(start).Round(time.Millisecond)))
	return runErr
}

// dial connects to Temporal, retrying with backoff for cfg.ConnectTimeout (0:
// until ctx ends) so the worker can start before the server does.
func (d dialer) dial(ctx context.Context, cfg config.Worker, logger *zap.Logger, metricsHandler client.MetricsHandler) (client.Client, error) {
	sdkLogger := logging.NewTemporal(logger.Named("temporal"))
	opts := temporalclient.Options(cfg.Temporal, sdkLogger, metricsHandler)
	if cfg.GRPCCompression == "none" { // see config.Memory
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	dctx := ctx
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	backoff := d.backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(dctx, 10*time.Second)
		c, err := d.connect(actx, opts)
		cancel()
		if err == nil {
			if attempt > 1 {
				logger.Info("connected to Temporal", zap.Int("attempt", attempt))
			}
			return c, nil
		}
		logger.Warn("cannot connect to Temporal yet; retrying",
			zap.Error(err), zap.Int("attempt", attempt), zap.Duration("retryIn", backoff))
		select {
		case <-dctx.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("gave up after TEMPORAL_CONNECT_TIMEOUT %s: %w", cfg.ConnectTimeout, err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 15*time.Second)
	}
}

// checkSearchAttributes reports whether the four search attributes are
// registered, logging one warning when they are not (or cannot be checked).
func checkSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *zap.Logger) bool {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	missing, err := missingSearchAttributes(cctx, c, namespace)
	if err != nil {
		logger.Warn("cannot check the VB365 search attributes; the worker keeps working without them "+
			"(restores will not be searchable by organization, session, type or state)",
			zap.Error(err), zap.Strings("searchAttributes", workflows.SearchAttributes()),
			zap.String("register", temporalcli.RegisterCommand(namespace, workflows.SearchAttributes())))
		return false
	}
	if len(missing) > 0 {
		logger.Warn("search attributes not registered as Keyword in namespace "+namespace+
			"; the worker keeps working without them (restores will not be searchable by them). "+
			"Register them, then restart the worker: "+temporalcli.RegisterCommand(namespace, missing),
			zap.Strings("missing", missing))
		return false
	}
	logger.Info("search attributes registered", zap.Strings("searchAttributes", workflows.SearchAttributes()))
	return true
}

// healthLoop checks the Temporal connection now and every healthCheckInterval.
func healthLoop(ctx context.Context, c client.Client, h *health, logger *zap.Logger) {
	wasOK := true
	for {
		cctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
		_, err := c.CheckHealth(cctx, &client.CheckHealthRequest{})
		cancel()
		if ctx.Err() != nil {
			return
		}
		h.setCheck(time.Now(), err)
		switch {
		case err != nil && wasOK:
			logger.Warn("Temporal health check failed; the worker keeps retrying", zap.Error(err))
		case err == nil && !wasOK:
			logger.Info("Temporal health check succeeded again")
		}
		wasOK = err == nil
		select {
		case <-ctx.Done():
			return
		case <-time.After(healthCheckInterval):
		}
	}
}
