//go:build unix

package temporalcli

import (
	"errors"
	"os/exec"
	"syscall"
	"time"
)

// startProcess runs cmd in its own process group, so that stopping it also
// stops anything it started.
func startProcess(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	return start(cmd)
}

// stop sends SIGTERM to the group, waits up to grace, then SIGKILLs the
// group. A non-nil error means the process had to be killed.
func (p *process) stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	var err error
	select {
	case <-p.done:
	case <-time.After(grace):
		err = errors.New("did not stop within " + grace.String() + "; killed")
	}
	// Whatever is left of the group (the leader after a timeout, or any
	// child that outlived it) goes now.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
	return err
}
