package temporalcli

import "os/exec"

// process is a started child; done closes once it has exited. How it is
// started and stopped depends on the platform (startProcess, stop).
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// start starts cmd and reaps it in the background.
func start(cmd *exec.Cmd) (*process, error) {
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
