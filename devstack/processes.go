package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a program the stack started, in its own process group (so that
// stopping it stops whatever it started, and a terminal's Ctrl-C reaches
// only the dev stack, which then stops its children in order), with its
// output appended to a log file.
type child struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // how it ended; set before done is closed
}

func startChild(name, logPath, dir string, env []string, bin string, args ...string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logFile, "\n=== %s: %s %s\n", time.Now().Format(time.RFC3339), bin, strings.Join(maskSecretFlags(args), " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &child{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// secretFlags are the flags whose values the logs must not show.
var secretFlags = map[string]bool{"password": true}

// maskSecretFlags returns args with the values of secret flags ("--password
// x", "-password x", "--password=x") replaced by "***", for logging.
func maskSecretFlags(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !secretFlags[name] {
			continue
		}
		if hasValue {
			out[i] = a[:strings.Index(a, "=")+1] + "***"
		} else if i+1 < len(out) {
			out[i+1] = "***"
			i++
		}
	}
	return out
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's process group, waits up to grace, then
// kills the group; it returns when the child is gone.
func (c *child) stop(grace time.Duration, force <-chan struct{}) error {
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	var err error
	select {
	case <-c.done:
	case <-force:
		err = errors.New("killed")
	case <-time.After(grace):
		err = fmt.Errorf("did not stop within %s; killed", grace)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // anything left in the group
	<-c.done
	return err
}

// failure describes an unexpected exit, with the end of its log.
func (c *child) failure() error {
	return fmt.Errorf("%s exited unexpectedly (%v); last lines of %s:\n%s", c.name, c.err, c.logPath, tailFile(c.logPath, 15))
}

// tailFile returns the last n lines of a file, indented.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString("  | ")
		sb.Write(l)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// cleanEnv is the dev stack's environment without the settings it sets
// itself for its children, so a developer's own TEMPORAL_*/VB365_* (for a
// remote cluster, say) cannot point the local stack elsewhere.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TEMPORAL_") || strings.HasPrefix(kv, "VB365_") ||
			strings.HasPrefix(kv, "METRICS_ADDR=") || strings.HasPrefix(kv, "LOG_FORMAT=") ||
			strings.HasPrefix(kv, "PAYLOAD_") || strings.HasPrefix(kv, "CODEC_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}
