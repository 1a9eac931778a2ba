package temporalcli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listensOn reports whether process pid has a TCP socket listening on port;
// known is false when /proc cannot tell.
func listensOn(pid, port int) (owns, known bool) {
	inodes, known := ListenSockets(port)
	fds, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/fd/*")
	if err != nil || !known || len(fds) == 0 {
		return false, false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && inodes[target] {
			return true, true
		}
	}
	return false, true
}

// ListenSockets names the sockets listening on TCP port (IPv4 and IPv6) as
// the links under /proc/PID/fd show them, "socket:[INODE]"; known is false
// when /proc/net cannot be read.
func ListenSockets(port int) (sockets map[string]bool, known bool) {
	sockets = map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		known = true
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				sockets["socket:["+fs[9]+"]"] = true
			}
		}
	}
	return sockets, known
}
