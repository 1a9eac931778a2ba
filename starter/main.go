// Command starter is the operators' command line for vb365-restore: start a
// restore (and follow it), stop it, show its status, list restores. It reads
// the same TEMPORAL_* variables as the worker.
//
// Exit statuses: 0 success; 1 the workflow failed, was canceled, terminated
// or timed out; 2 bad usage or configuration; 3 Temporal could not be reached
// or refused the request; 130 detached from --follow by Ctrl-C (the
// workflow keeps running).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/temporalclient"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitTemporal = 3
	exitDetached = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := newApp(os.Stdout, os.Stderr, os.Environ()).run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// app holds what every subcommand needs; tests replace its fields.
type app struct {
	stdout, stderr io.Writer
	environ        []string
	now            func() time.Time
	// dial connects to Temporal; tests can hand out a fake client.
	dial func(ctx context.Context, cfg config.Temporal) (client.Client, error)
	// pollEvery is how often --follow queries the status.
	pollEvery time.Duration

	cfg config.Temporal // loaded before a subcommand runs
}

func newApp(stdout, stderr io.Writer, environ []string) *app {
	return &app{
		stdout:  stdout,
		stderr:  stderr,
		environ: environ,
		now:     time.Now,
		dial: func(ctx context.Context, cfg config.Temporal) (client.Client, error) {
			return temporalclient.Dial(ctx, cfg, logging.Discard(), nil)
		},
		pollEvery: 1500 * time.Millisecond,
	}
}

// subcommands lists the subcommands, one file each. Add new ones here.
func (a *app) subcommands() []*cobra.Command {
	return []*cobra.Command{
		a.restoreCommand(),
		a.stopCommand(),
		a.statusCommand(),
		a.listCommand(),
		a.playbookCommand(),
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Start, follow, stop and list VB365 restore workflows",
		Long: "starter drives vb365-restore's RestoreSessionWorkflow on Temporal.\n\n" +
			"Temporal is configured as for the worker and the temporal CLI: the profile TEMPORAL_PROFILE\n" +
			"of the CLI's TOML file (TEMPORAL_CONFIG_FILE), overridden by TEMPORAL_ADDRESS,\n" +
			"TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,\n" +
			"TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME;\n" +
			"and TEMPORAL_TASK_QUEUE, TEMPORAL_UI_URL; PAYLOAD_KEYS_FILE (the worker's key file:\n" +
			"restores' inputs and results are encrypted).\n\n" +
			"Exit status: 0 success; 1 the workflow failed (the error type is printed); 2 bad usage or\n" +
			"configuration; 3 Temporal unreachable or the request refused; 130 detached from --follow.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.LoadTemporal(a.environ)
			if err != nil {
				return err
			}
			a.cfg = cfg
			return nil
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v\nsee %s --help", err, cmd.CommandPath())
	})
	root.AddCommand(a.subcommands()...)
	return root
}

// run executes args and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if !errors.Is(err, errDetached) {
		fmt.Fprintln(a.stderr, "starter:", err)
	}
	return code
}

// connect dials Temporal with the loaded configuration.
func (a *app) connect(ctx context.Context) (client.Client, error) {
	c, err := a.dial(ctx, a.cfg)
	if err != nil {
		return nil, &temporalError{err}
	}
	return c, nil
}

// requestedBy names the operator for the audit trail: user@host.
func requestedBy() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		name += "@" + host
	}
	return name
}
