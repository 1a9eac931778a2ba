package temporalcli

import "syscall"

// dieWithParent makes the kernel stop the server if its parent (a test
// binary, the dev stack) dies without calling Stop.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
