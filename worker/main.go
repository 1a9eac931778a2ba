// Command worker is the production vb365-restore worker: it runs the restore
// workflow and its activities on a Temporal task queue. It is configured from
// the environment only; run it with -h for the variables.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/workerapp"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1                 // the worker could not start or hit a fatal error
	exitConfig = config.ExitConfig // a bad or missing variable
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if code, exit := config.CheckArgs("worker", args, stdout, stderr, usage); exit {
		return code
	}
	cfg, err := config.Load(environ)
	if err != nil {
		config.WriteError(stderr, "worker", err)
		return exitConfig
	}
	logger, err := logging.NewWriter(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return exitConfig
	}
	defer func() { _ = logger.Sync() }()

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := workerapp.Run(ctx, cfg, logger); err != nil {
		logger.Error("worker failed", zap.Error(err))
		return exitFailed
	}
	return exitOK
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "worker: runs the vb365-restore Temporal worker. Configuration comes from the environment:")
	fmt.Fprintln(w)
	config.WriteVariables(w, config.WorkerVariables())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when the worker fails, 2 for a bad or missing variable.")
}
