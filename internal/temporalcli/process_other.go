//go:build !unix

package temporalcli

import (
	"os/exec"
	"time"
)

type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) stop(grace time.Duration) error {
	_ = p.cmd.Process.Kill()
	<-p.done
	return nil
}
