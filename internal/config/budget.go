package config

import "time"

// VB365Budget is what the worker may cost its VB365 server: the request
// budget every activity of the worker shares, and the cost of an idle
// session.
type VB365Budget struct {
	VB365MaxInFlight        int     `env:"VB365_MAX_IN_FLIGHT" envDefault:"8" desc:"VB365 requests this worker sends at once, at most (token requests go first)"`
	VB365MaxRate            float64 `env:"VB365_MAX_RATE" envDefault:"20" desc:"VB365 requests per second this worker sends, at most; a 429 or 503 with Retry-After pauses every caller"`
	VB365IdleRequestsPerMin float64 `env:"VB365_IDLE_REQUESTS_PER_MINUTE" envDefault:"1" desc:"VB365 requests per minute an idle restore session costs in the steady state, at most (a busy one is read every poll interval; an idle one at least once a day)"`
	// VB365SafetyPollInterval is the idle ceiling while VB365's change feed
	// wakes the sessions that change.
	VB365SafetyPollInterval time.Duration `env:"VB365_SAFETY_POLL_INTERVAL" envDefault:"10m" desc:"while VB365's change feed (v8) works, the longest pause between two polls of an idle restore session (the feed wakes a session that changes at once); without the feed VB365_IDLE_REQUESTS_PER_MINUTE sets it"`
}

func checkBudget(b VB365Budget, vars map[string]string, p *problems) {
	if b.VB365MaxInFlight < 1 && !hasProblem(p, "VB365_MAX_IN_FLIGHT") {
		p.add("VB365_MAX_IN_FLIGHT", "VB365_MAX_IN_FLIGHT %q: want a whole number of 1 or more, such as 8", vars["VB365_MAX_IN_FLIGHT"])
	}
	if !(b.VB365MaxRate > 0) && !hasProblem(p, "VB365_MAX_RATE") {
		p.add("VB365_MAX_RATE", "VB365_MAX_RATE %q: want a number of requests per second above 0, such as 20", vars["VB365_MAX_RATE"])
	}
	if !(b.VB365IdleRequestsPerMin > 0) && !hasProblem(p, "VB365_IDLE_REQUESTS_PER_MINUTE") {
		p.add("VB365_IDLE_REQUESTS_PER_MINUTE", "VB365_IDLE_REQUESTS_PER_MINUTE %q: want a number above 0, such as 1", vars["VB365_IDLE_REQUESTS_PER_MINUTE"])
	}
	if b.VB365SafetyPollInterval <= 0 && !hasProblem(p, "VB365_SAFETY_POLL_INTERVAL") {
		p.add("VB365_SAFETY_POLL_INTERVAL", "VB365_SAFETY_POLL_INTERVAL %q: want a positive duration such as 10m", vars["VB365_SAFETY_POLL_INTERVAL"])
	}
}
