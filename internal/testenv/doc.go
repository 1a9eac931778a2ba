// Package testenv assembles the real parts that integration tests, the
// benchmark and dry runs need on one machine: a Temporal dev server (the
// pinned CLI), the VB365 simulator on a real TLS listener that can refuse
// connections for a while, and the production worker, in-process or as its
// own process (so a test can SIGKILL it). Nothing here is a stub: the
// worker is the one `go run ./worker` runs, configured the same way.
package testenv
