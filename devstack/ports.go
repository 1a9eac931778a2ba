package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
)

// port is one port the stack listens on and the flag that moves it.
type port struct {
	what string
	flag string
	num  int
}

// checkPorts fails on the first port that is taken, naming it, what holds
// it (when it can tell) and the flag that moves it.
func checkPorts(ip string, ports []port) error {
	seen := map[int]string{}
	for _, p := range ports {
		if other, dup := seen[p.num]; dup {
			return fmt.Errorf("port %d is given to both %s and %s; change one with %s", p.num, other, p.what, p.flag)
		}
		seen[p.num] = p.what
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p.num)))
		if err != nil {
			holder := ""
			if h := portHolder(p.num); h != "" {
				holder = " by " + h
			}
			return fmt.Errorf("port %d (%s) is already in use%s: stop that program or pick another port with %s=PORT",
				p.num, p.what, holder, p.flag)
		}
		l.Close()
	}
	return nil
}

// portHolder names the process listening on a TCP port ("temporal (pid
// 123)"), best effort and Linux only; "" when it cannot tell.
func portHolder(num int) string {
	inodes, _ := temporalcli.ListenSockets(num)
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		target, err := os.Readlink(fd)
		if err != nil || !inodes[target] {
			continue
		}
		pid := strings.Split(fd, "/")[2]
		comm, _ := os.ReadFile("/proc/" + pid + "/comm")
		return fmt.Sprintf("%s (pid %s)", strings.TrimSpace(string(comm)), pid)
	}
	return "another process"
}
