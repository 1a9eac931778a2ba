package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// build compiles the simulator and the worker into <state>/bin. Go's build
// cache makes later runs take a second or two.
func (s *stack) build(ctx context.Context) error {
	o := s.opts
	step(s.out, "go build ./simulator ./worker ./codecserver")
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", o.path("bin")+string(os.PathSeparator), "./simulator", "./worker", "./codecserver")
	cmd.Dir = o.root
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("go build ./simulator ./worker ./codecserver: %w\n%s", err, out)
	}
	done(s.out, start)
	return nil
}
