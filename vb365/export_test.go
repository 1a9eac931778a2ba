package vb365

import "time"

// SetClock replaces a client's clock (token issue and renewal times,
// Retry-After dates), so tests outside the package can share one clock with
// the simulator instead of sleeping.
func SetClock(c *Client, now func() time.Time) { c.now = now }
