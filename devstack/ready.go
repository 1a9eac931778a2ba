package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// startReady starts the stack's program bin/name (its output to
// logs/name.log), keeps it for shutdown, waits up to timeout until ready
// passes and then prints how long it took since start.
func (s *stack) startReady(ctx context.Context, start time.Time, name string, env []string, timeout time.Duration,
	ready func(context.Context) error, args ...string) error {
	o := s.opts
	c, err := startChild(name, o.path("logs", name+".log"), o.root, env, o.path("bin", name), args...)
	if err != nil {
		return err
	}
	s.children = append(s.children, c)
	if err := s.waitFor(ctx, c, timeout, ready); err != nil {
		return err
	}
	done(s.out, start)
	return nil
}

// waitFor polls check until it passes, c or anything started before it
// exits, ctx ends or timeout passes.
func (s *stack) waitFor(parent context.Context, c *child, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	for {
		attempt, stop := context.WithTimeout(ctx, 2*time.Second)
		err := check(attempt)
		stop()
		if err == nil {
			return nil
		}
		if err := s.earlierExit(c); err != nil {
			return err
		}
		select {
		case <-c.done:
			return c.failure()
		case <-ctx.Done():
			if parent.Err() != nil {
				return parent.Err()
			}
			return fmt.Errorf("%s not ready after %s (%v); see %s:\n%s", c.name, timeout, err, c.logPath, tailFile(c.logPath, 15))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func dialTCP(ctx context.Context, ip string, port int) error {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return conn.Close()
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// earlierExit reports a part of the stack, other than c, that has exited.
func (s *stack) earlierExit(c *child) error {
	if s.temporal != nil {
		select {
		case <-s.temporal.Done():
			return fmt.Errorf("the Temporal dev server exited (%v); see %s", s.temporal.ExitErr(), s.opts.path("logs", "temporal.log"))
		default:
		}
	}
	for _, o := range s.children {
		if o != c && o.exited() {
			return o.failure()
		}
	}
	return nil
}
