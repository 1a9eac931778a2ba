package main

import "syscall"

// dieWithParent makes the kernel stop a child if the dev stack itself dies
// without cleaning up (kill -9), so nothing keeps holding the ports.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
