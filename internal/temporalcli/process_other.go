//go:build !unix

package temporalcli

import (
	"os/exec"
	"time"
)

func startProcess(cmd *exec.Cmd) (*process, error) {
	return start(cmd)
}

func (p *process) stop(grace time.Duration) error {
	_ = p.cmd.Process.Kill()
	<-p.done
	return nil
}
