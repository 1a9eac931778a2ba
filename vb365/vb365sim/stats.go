package vb365sim

// Stats are counters since the start or the last ResetStats.
type Stats struct {
	// Requests per "METHOD /vN/Template" (as in Veeam's documents, e.g.
	// "POST /v8/Organizations/{organizationId}/explore"); requests of no
	// operation count under "METHOD (unmatched)".
	Requests map[string]int `json:"requests"`
	// TokenLogins counts successful password grants, TokenRefreshes
	// successful refresh_token grants.
	TokenLogins    int `json:"tokenLogins"`
	TokenRefreshes int `json:"tokenRefreshes"`
	// SessionsOpen is the number of Working sessions now (not reset);
	// SessionsCreated counts sessions created since the last reset.
	SessionsOpen    int `json:"sessionsOpen"`
	SessionsCreated int `json:"sessionsCreated"`
	// FaultsInjected counts requests hit by a fault.
	FaultsInjected int `json:"faultsInjected"`
}

type statsCounters struct {
	requests  map[string]int
	logins    int
	refreshes int
	created   int
	faults    int
}

func (c *statsCounters) count(key string) {
	if c.requests == nil {
		c.requests = map[string]int{}
	}
	c.requests[key]++
}

// Stats returns a snapshot of the counters.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Requests:        make(map[string]int, len(s.stats.requests)),
		TokenLogins:     s.stats.logins,
		TokenRefreshes:  s.stats.refreshes,
		SessionsCreated: s.stats.created,
		FaultsInjected:  s.stats.faults,
	}
	for k, v := range s.stats.requests {
		st.Requests[k] = v
	}
	now := s.now()
	for _, sess := range s.order {
		s.advance(sess, now)
		if !sess.stopped {
			st.SessionsOpen++
		}
	}
	return st
}

// ResetStats zeroes the counters.
func (s *Simulator) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = statsCounters{}
}
