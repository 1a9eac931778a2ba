package vb365

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the worker's Prometheus figures of the VB365 side. Routes are
// templates (RouteTemplate), never raw paths, so the label sets stay small
// and no id reaches the metrics. A nil *Metrics records nothing.
type Metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	budgetWait    *prometheus.HistogramVec
	budgetQueue   *prometheus.GaugeVec
	pauses        *prometheus.CounterVec
	pauseSeconds  prometheus.Counter
	tokenRenewals *prometheus.CounterVec
	openSessions  prometheus.Gauge
	events        prometheus.Counter
	limits        *prometheus.GaugeVec
	feedUp        prometheus.Gauge
	feedChanges   prometheus.Counter
	feedWakes     *prometheus.CounterVec
}

// MetricNames are the names NewMetrics registers (the Grafana dashboard's
// test holds its queries to them).
var MetricNames = []string{
	"vb365_requests_total",
	"vb365_request_duration_seconds",
	"vb365_requests_in_flight",
	"vb365_budget_wait_seconds",
	"vb365_budget_waiting",
	"vb365_throttle_pauses_total",
	"vb365_throttle_pause_seconds_total",
	"vb365_token_requests_total",
	"vb365_open_sessions",
	"vb365_session_events_recorded_total",
	"vb365_budget_limit",
	"vb365_change_feed_up",
	"vb365_change_feed_changes_total",
	"vb365_change_feed_wakes_total",
}

// NewMetrics registers the VB365 metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vb365_requests_total",
			Help: "VB365 requests sent, by method, route template and HTTP status (\"error\": no response).",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vb365_request_duration_seconds",
			Help:    "Time from sending a VB365 request to its response headers, by route template (budget waits excluded).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vb365_requests_in_flight",
			Help: "VB365 requests sent and not yet finished (at most VB365_MAX_IN_FLIGHT per server).",
		}),
		budgetWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vb365_budget_wait_seconds",
			Help:    "Time a VB365 request waited for the worker's request budget (slot, Retry-After pause, rate), by kind (token, changed, api or background).",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
		budgetQueue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vb365_budget_waiting",
			Help: "VB365 requests queued for a request slot, by kind (token, changed, api or background).",
		}, []string{"kind"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vb365_throttle_pauses_total",
			Help: "Throttling answers (429 or 503 with Retry-After) that paused every caller of the VB365 server, by status.",
		}, []string{"status"}),
		pauseSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vb365_throttle_pause_seconds_total",
			Help: "Sum of the Retry-After pauses VB365 asked for (overlapping pauses each counted).",
		}),
		tokenRenewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vb365_token_requests_total",
			Help: "VB365 token requests (logins and refresh grants), by result (ok, refused, error).",
		}, []string{"result"}),
		openSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vb365_open_sessions",
			Help: "Restore sessions this worker is watching now (one running wait activity each).",
		}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vb365_session_events_recorded_total",
			Help: "Restore session events handed to workflows to record.",
		}),
		limits: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vb365_budget_limit",
			Help: "The worker's VB365 request budget per server: limit=\"in_flight\" (requests at once) and limit=\"rate\" (requests per second).",
		}, []string{"limit"}),
		feedUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vb365_change_feed_up",
			Help: "1 while the worker reads VB365's change feed (v8 /Events) and idle sessions are polled only as a safety net; 0 while it is off or failing (idle sessions then fall back to VB365_IDLE_REQUESTS_PER_MINUTE).",
		}),
		feedChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vb365_change_feed_changes_total",
			Help: "Changes read from VB365's change feed, of every type and session.",
		}),
		feedWakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vb365_change_feed_wakes_total",
			Help: "Session waits woken early by the change feed, by reason: change (a change of the watched session) or recovery (the feed came back after a gap: every watched session is polled once).",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.budgetWait, m.budgetQueue, m.pauses,
		m.pauseSeconds, m.tokenRenewals, m.openSessions, m.events, m.limits, m.feedUp, m.feedChanges, m.feedWakes)
	return m
}

func (m *Metrics) budgetLimits(o BudgetOptions) {
	if m != nil {
		m.limits.WithLabelValues("in_flight").Set(float64(o.MaxInFlight))
		m.limits.WithLabelValues("rate").Set(o.MaxRate)
	}
}

func (m *Metrics) requestStarted() {
	if m != nil {
		m.inFlight.Inc()
	}
}

func (m *Metrics) requestEnded() {
	if m != nil {
		m.inFlight.Dec()
	}
}

func (m *Metrics) requestDone(method, route string, resp *http.Response, err error, d time.Duration) {
	if m == nil {
		return
	}
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	m.requests.WithLabelValues(method, route, status).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
	if strings.HasSuffix(route, "/token") {
		result := "error"
		switch {
		case err == nil && resp.StatusCode < 300:
			result = "ok"
		case err == nil && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
			result = "refused"
		}
		m.tokenRenewals.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) budgetWaited(kind string, d time.Duration) {
	if m != nil {
		m.budgetWait.WithLabelValues(kind).Observe(d.Seconds())
	}
}

func (m *Metrics) queued(kind string, delta float64) {
	if m != nil {
		m.budgetQueue.WithLabelValues(kind).Add(delta)
	}
}

func (m *Metrics) throttled(status int, pause time.Duration) {
	if m != nil {
		m.pauses.WithLabelValues(strconv.Itoa(status)).Inc()
		m.pauseSeconds.Add(pause.Seconds())
	}
}

// SessionWatched counts a restore session as open while a wait activity
// watches it; call the returned function when the wait ends.
func (m *Metrics) SessionWatched() (done func()) {
	if m == nil {
		return func() {}
	}
	m.openSessions.Inc()
	return m.openSessions.Dec
}

// EventsRecorded counts events handed to a workflow to record.
func (m *Metrics) EventsRecorded(n int) {
	if m != nil && n > 0 {
		m.events.Add(float64(n))
	}
}

// FeedUp says whether the worker is reading VB365's change feed.
func (m *Metrics) FeedUp(up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.feedUp.Set(v)
}

// FeedChanges counts changes read from the change feed.
func (m *Metrics) FeedChanges(n int) {
	if m != nil && n > 0 {
		m.feedChanges.Add(float64(n))
	}
}

// FeedWakes counts waits the change feed woke, by reason ("change" or
// "recovery").
func (m *Metrics) FeedWakes(reason string, n int) {
	if m != nil && n > 0 {
		m.feedWakes.WithLabelValues(reason).Add(float64(n))
	}
}
