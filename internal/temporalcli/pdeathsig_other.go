//go:build unix && !linux

package temporalcli

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}
