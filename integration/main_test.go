// Package integration runs the real workflow on a real Temporal server (the
// pinned CLI's dev server) against the VB365 simulator, end to end.
package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
)

// devServer is the dev server shared by the tests of this package; tests that
// restart a server start their own.
var devServer *testenv.Temporal

func TestMain(m *testing.M) {
	flag.Parse()
	// The cases mostly wait on timers, retries and polls, not on the CPU: run
	// more of them at once than -parallel's default (GOMAXPROCS, 2 on CI)
	// unless the command line says otherwise.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "8")
	}
	if testing.Short() {
		fmt.Println("integration: skipped with -short")
		os.Exit(0)
	}
	var err error
	if buildDir, err = os.MkdirTemp("", "vb365-integration-"); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // a first build of the CLI takes ~5 minutes
	devServer, err = testenv.StartTemporal(ctx, "")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: cannot start the Temporal dev server:", err)
		os.Exit(1)
	}
	code := m.Run()
	devServer.Stop()
	_ = os.RemoveAll(buildDir)
	os.Exit(code)
}
