package main

import (
	"context"
	"time"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
)

// build compiles the simulator and the worker into <state>/bin. Go's build
// cache makes later runs take a second or two.
func (s *stack) build(ctx context.Context) error {
	o := s.opts
	step(s.out, "go build ./simulator ./worker ./codecserver")
	start := time.Now()
	if _, err := gomodule.Build(ctx, o.root, o.path("bin"), "./simulator", "./worker", "./codecserver"); err != nil {
		return err
	}
	done(s.out, start)
	return nil
}
