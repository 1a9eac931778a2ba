//go:build !linux

package temporalcli

// listensOn cannot tell outside Linux; the caller then relies on the
// process still running.
func listensOn(pid, port int) (owns, known bool) { return false, false }

// ListenSockets cannot tell outside Linux: none, unknown.
func ListenSockets(port int) (sockets map[string]bool, known bool) { return nil, false }
