package vb365

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A VB365 server is one Windows machine that also runs the backups: the
// worker must not become a denial of service on it. A Budget caps what every
// client of one worker sends to each VB365 server (by host:port) together:
//
//   - at most MaxInFlight requests at once, a request counting from the
//     moment it is sent until its response body is closed; a long poll of
//     the change feed (ListChanges with a wait) takes no slot, since VB365
//     holds it idle for most of its life and it would otherwise keep a slot
//     from every other caller for good;
//   - at most MaxRate requests per second (evenly spaced: the limiter's burst
//     is 1, so no one-second window sees more than MaxRate+1);
//   - token requests (/vN/token) go ahead of every other waiting request:
//     without a token nothing else can proceed; background requests (an idle
//     session's polls, see Background) go after every other one, so that a
//     crowd of idle sessions does not delay a busy one;
//   - a 429 or 503 answer with Retry-After pauses every caller of that server
//     for that long (at most MaxPause), not just the one call. When the pause
//     ends one request goes first; the others follow only if it is not
//     throttled again, so a throttling server sees about one request per
//     Retry-After from the whole worker.
//
// Waiting is not an error: a request waits as long as its caller's context
// allows, and the client's per-request timeout starts only once the request
// is admitted. A cancelled context ends the wait at once.
type Budget struct {
	opts BudgetOptions

	mu    sync.Mutex
	hosts map[string]*hostBudget
}

// BudgetOptions configures a Budget. Zero values take the defaults.
type BudgetOptions struct {
	// MaxInFlight caps concurrent requests per server (default 8).
	MaxInFlight int
	// MaxRate caps requests per second per server (default 20).
	MaxRate float64
	// MaxPause caps one Retry-After pause (default 5 minutes), so a server
	// answering "Retry-After: 86400" does not stall the worker for a day.
	MaxPause time.Duration
	// Metrics, if set, receives the budget's and the requests' figures.
	Metrics *Metrics
}

// Budget defaults.
const (
	DefaultMaxInFlight = 8
	DefaultMaxRate     = 20.0
	DefaultMaxPause    = 5 * time.Minute
)

// NewBudget checks o and returns a budget with nothing in flight.
func NewBudget(o BudgetOptions) (*Budget, error) {
	if o.MaxInFlight < 0 {
		return nil, fmt.Errorf("vb365 budget: max in flight must not be negative, got %d", o.MaxInFlight)
	}
	if o.MaxRate < 0 {
		return nil, fmt.Errorf("vb365 budget: max rate must not be negative, got %g", o.MaxRate)
	}
	if o.MaxPause < 0 {
		return nil, fmt.Errorf("vb365 budget: max pause must not be negative, got %s", o.MaxPause)
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.MaxRate == 0 {
		o.MaxRate = DefaultMaxRate
	}
	if o.MaxPause == 0 {
		o.MaxPause = DefaultMaxPause
	}
	o.Metrics.budgetLimits(o)
	return &Budget{opts: o, hosts: map[string]*hostBudget{}}, nil
}

// Options returns the effective options (defaults filled in).
func (b *Budget) Options() BudgetOptions { return b.opts }

// Wrap returns a RoundTripper that sends through next (nil:
// http.DefaultTransport) within the budget.
func (b *Budget) Wrap(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &budgetTransport{b: b, next: next}
}

func (b *Budget) host(hostport string) *hostBudget {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.hosts[hostport]
	if !ok {
		h = &hostBudget{
			maxInFlight: b.opts.MaxInFlight,
			lim:         rate.NewLimiter(rate.Limit(b.opts.MaxRate), 1),
			changed:     make(chan struct{}),
			m:           b.opts.Metrics,
		}
		b.hosts[hostport] = h
	}
	return h
}

// BudgetWait tells an activity why its VB365 request is waiting: Reason is
// empty once the request is admitted.
type BudgetWait struct {
	Reason string
	// Until is when a Retry-After pause ends (zero for other waits).
	Until time.Time
}

type budgetNotifyKey struct{}

// OnBudgetWait returns a context whose VB365 requests report their waits for
// the budget to fn: once when a request starts to wait (with the reason) and
// once when it is admitted (empty reason). fn must be quick; an activity
// keeps the latest in its heartbeat details.
func OnBudgetWait(ctx context.Context, fn func(BudgetWait)) context.Context {
	return context.WithValue(ctx, budgetNotifyKey{}, fn)
}

func notifyWait(ctx context.Context, w BudgetWait) {
	if fn, ok := ctx.Value(budgetNotifyKey{}).(func(BudgetWait)); ok && fn != nil {
		fn(w)
	}
}

// Request priorities: the queues of a server's budget. Token requests go
// first; then reads of what VB365 reported changed and ordinary requests
// take turns while both wait (neither can hold the other back: a burst of
// changes does not stop creations and stops, nor thousands of ordinary
// requests a changed session's read); background requests go last.
const (
	prioToken = iota
	prioChanged
	prioNormal
	prioBackground
	priorities
)

var prioNames = [priorities]string{"token", "changed", "api", "background"}

type budgetMarkKey struct{}

// budgetMark marks a context's requests: as background ones (or ordinary
// ones when not background) until promote is closed, then as reads of a
// change (never when promote is nil).
type budgetMark struct {
	background bool
	promote    <-chan struct{}
}

// Background returns a context whose VB365 requests wait behind every other
// request of the worker for a slot: for work that can wait, such as the
// polls of a session that has been idle for a while.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetMarkKey{}, budgetMark{background: true})
}

// BackgroundUntil is Background until promote is closed; then, as
// ChangedWhen, the request reads a change. A request still waiting for its
// slot then moves to the queue of changed reads: an idle session's poll
// that is queued behind thousands of others when the session turns out to
// be busy again need not wait for any of them.
func BackgroundUntil(ctx context.Context, promote <-chan struct{}) context.Context {
	return context.WithValue(ctx, budgetMarkKey{}, budgetMark{background: true, promote: promote})
}

// ChangedWhen marks a context's requests as ordinary ones until promote is
// closed, and from then on (at once when it already is) as reads of what
// VB365 reported changed: those take turns with the ordinary requests
// instead of queueing behind them, so that a session VB365 says is busy is
// read promptly while thousands of ordinary requests wait (a mass opening).
// A request still waiting for its slot when promote closes moves over.
func ChangedWhen(ctx context.Context, promote <-chan struct{}) context.Context {
	return context.WithValue(ctx, budgetMarkKey{}, budgetMark{promote: promote})
}

// IsBackground reports whether Background or BackgroundUntil marked ctx, and
// it has not been promoted since.
func IsBackground(ctx context.Context) bool {
	b, ok := ctx.Value(budgetMarkKey{}).(budgetMark)
	return ok && b.background && !closed(b.promote)
}

// IsChanged reports whether ctx's requests read a change: BackgroundUntil
// or ChangedWhen marked it and its promote channel is closed.
func IsChanged(ctx context.Context) bool {
	b, ok := ctx.Value(budgetMarkKey{}).(budgetMark)
	return ok && closed(b.promote)
}

// promotion is the channel that promotes ctx's background requests (nil
// when none does).
func promotion(ctx context.Context) <-chan struct{} {
	b, _ := ctx.Value(budgetMarkKey{}).(budgetMark)
	return b.promote
}

func closed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

type budgetParentKey struct{}

type budgetParent struct {
	ctx     context.Context
	timeout time.Duration
}

// budgetContext marks a request context built as
// context.WithTimeout(budgetContext(ctx, timeout), timeout): the budget waits
// on ctx (without the timeout) and gives the request a fresh timeout once it
// is admitted, so that time spent waiting for the budget is not taken from
// the request's own timeout.
func budgetContext(ctx context.Context, timeout time.Duration) context.Context {
	return context.WithValue(ctx, budgetParentKey{}, budgetParent{ctx: ctx, timeout: timeout})
}

type budgetTransport struct {
	b    *Budget
	next http.RoundTripper
}

func (t *budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.b.host(req.URL.Host)
	route := RouteTemplate(req.URL.Path)
	waitCtx, timeout := req.Context(), time.Duration(0)
	if p, ok := req.Context().Value(budgetParentKey{}).(budgetParent); ok {
		waitCtx, timeout = p.ctx, p.timeout
	}
	prio := prioNormal
	switch {
	case strings.HasSuffix(route, "/token"):
		prio = prioToken
	case IsChanged(waitCtx):
		prio = prioChanged
	case IsBackground(waitCtx):
		prio = prioBackground
	}
	slot := !isLongPoll(waitCtx)
	probe, err := h.admit(waitCtx, prio, slot)
	if err != nil {
		return nil, err
	}
	cancel := context.CancelFunc(func() {})
	if timeout > 0 {
		var sendCtx context.Context
		sendCtx, cancel = context.WithTimeout(waitCtx, timeout)
		req = req.WithContext(sendCtx)
	}
	m := t.b.opts.Metrics
	if slot {
		m.requestStarted()
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	h.observe(resp, err, probe, t.b.opts.MaxPause)
	m.requestDone(req.Method, route, resp, err, time.Since(start))
	done := func() {
		if slot {
			m.requestEnded()
			h.releaseSlot()
		}
		cancel()
	}
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &budgetBody{ReadCloser: resp.Body, done: done}
	return resp, nil
}

// budgetBody frees the request's slot when its body is closed.
type budgetBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *budgetBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// hostBudget is the budget of one VB365 server.
type hostBudget struct {
	maxInFlight int
	lim         *rate.Limiter
	m           *Metrics

	mu       sync.Mutex
	inFlight int
	// queue[prio] are the requests waiting for a slot, in arrival order; a
	// freed slot goes to the first of a queue (releaseSlot says which).
	queue [priorities][]chan struct{}
	// changedServed says the last slot that went to a changed read or an
	// ordinary request went to a changed read: the next goes to an
	// ordinary one if any waits.
	changedServed bool
	// pausedUntil is the end of the current Retry-After pause. probing is
	// true from a pause until a request after it comes back unthrottled;
	// probeOut is true while that one request is out.
	pausedUntil time.Time
	probing     bool
	probeOut    bool
	// changed is closed (and replaced) whenever the pause or the probe
	// changes, waking the requests waiting on them.
	changed chan struct{}
}

// admit waits for a slot, the end of any pause, and the rate, in that order:
// the slot first so that token requests can overtake the queue, and the rate
// last so that the requests released by the end of a pause are still spaced.
// probe says the request is the one sent first after a pause; its outcome
// must be passed to observe. Without slot (a long poll) only the pause and
// the rate hold the request.
func (h *hostBudget) admit(ctx context.Context, prio int, slot bool) (probe bool, err error) {
	start := time.Now()
	waited := false
	defer func() {
		if waited {
			notifyWait(ctx, BudgetWait{})
		}
		h.m.budgetWaited(prioNames[prio], time.Since(start))
	}()
	if slot {
		if err := h.acquireSlot(ctx, prio, &waited); err != nil {
			return false, err
		}
	}
	release := func() {
		if slot {
			h.releaseSlot()
		}
	}
	for {
		if probe, err = h.awaitPause(ctx, &waited); err != nil {
			release()
			return false, err
		}
		if h.lim.Tokens() < 1 {
			waited = true
			notifyWait(ctx, BudgetWait{Reason: fmt.Sprintf("waiting for the VB365 request rate budget (%g requests/s)", float64(h.lim.Limit()))})
		}
		if err = h.lim.Wait(ctx); err != nil {
			h.endProbe(probe)
			release()
			return false, waitError(ctx, err)
		}
		// A pause that began while this request waited for the rate
		// holds it too.
		h.mu.Lock()
		paused := time.Now().Before(h.pausedUntil)
		h.mu.Unlock()
		if !paused {
			return probe, nil
		}
		h.endProbe(probe)
	}
}

// waitError is the caller's context error when the limiter refused because
// the context would end before the request's turn: the wait is over either
// way, and the cause is the caller's deadline.
func waitError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if _, ok := ctx.Deadline(); ok {
		return fmt.Errorf("%w: the VB365 request budget admits this request only after the caller's deadline", context.DeadlineExceeded)
	}
	return err
}

func (h *hostBudget) acquireSlot(ctx context.Context, prio int, waited *bool) error {
	h.mu.Lock()
	if h.inFlight < h.maxInFlight {
		h.inFlight++
		h.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	h.queue[prio] = append(h.queue[prio], ready)
	h.m.queued(prioNames[prio], 1)
	h.mu.Unlock()
	defer func() { h.m.queued(prioNames[prio], -1) }()
	*waited = true
	notifyWait(ctx, BudgetWait{Reason: fmt.Sprintf("waiting for a VB365 request slot (%d in flight at most)", h.maxInFlight)})
	var promote <-chan struct{}
	if prio == prioNormal || prio == prioBackground {
		promote = promotion(ctx)
	}
	for {
		select {
		case <-ready:
			return nil
		case <-promote:
			promote = nil
			h.mu.Lock()
			if h.unqueueLocked(prio, ready) {
				h.m.queued(prioNames[prio], -1)
				prio = prioChanged
				h.queue[prio] = append(h.queue[prio], ready)
				h.m.queued(prioNames[prio], 1)
			}
			h.mu.Unlock()
		case <-ctx.Done():
			h.mu.Lock()
			if h.unqueueLocked(prio, ready) {
				h.mu.Unlock()
				return ctx.Err()
			}
			h.mu.Unlock()
			// The slot was handed over as the context ended: pass it on.
			h.releaseSlot()
			return ctx.Err()
		}
	}
}

// unqueueLocked takes ready out of the queue of prio; false when it is no
// longer there (the slot was handed over). With h.mu held.
func (h *hostBudget) unqueueLocked(prio int, ready chan struct{}) bool {
	for i, c := range h.queue[prio] {
		if c == ready {
			h.queue[prio] = append(h.queue[prio][:i:i], h.queue[prio][i+1:]...)
			return true
		}
	}
	return false
}

// releaseSlot hands the slot to the next waiter (see the priorities), or
// frees it.
func (h *hostBudget) releaseSlot() {
	h.mu.Lock()
	defer h.mu.Unlock()
	order := [...]int{prioToken, prioChanged, prioNormal, prioBackground}
	if h.changedServed {
		order[1], order[2] = prioNormal, prioChanged
	}
	for _, prio := range order {
		if len(h.queue[prio]) > 0 {
			if prio == prioChanged || prio == prioNormal {
				h.changedServed = prio == prioChanged
			}
			next := h.queue[prio][0]
			h.queue[prio] = h.queue[prio][1:]
			close(next)
			return
		}
	}
	h.inFlight--
}

// awaitPause returns when no pause holds the server, making the caller the
// probe if a pause ended and no probe is out.
func (h *hostBudget) awaitPause(ctx context.Context, waited *bool) (probe bool, err error) {
	notified := time.Time{}
	for {
		h.mu.Lock()
		now := time.Now()
		until, changed := h.pausedUntil, h.changed
		var timer *time.Timer
		var wait <-chan time.Time
		switch {
		case now.Before(until):
			if !notified.Equal(until) {
				*waited, notified = true, until
				notifyWait(ctx, BudgetWait{Reason: "VB365 asked the worker to pause (Retry-After) until " + until.UTC().Format(time.RFC3339), Until: until})
			}
			timer = time.NewTimer(until.Sub(now))
			wait = timer.C
		case h.probing && h.probeOut:
			if !*waited {
				*waited = true
				notifyWait(ctx, BudgetWait{Reason: "waiting for the first VB365 request after a Retry-After pause to succeed"})
			}
		case h.probing:
			h.probeOut = true
			h.mu.Unlock()
			return true, nil
		default:
			h.mu.Unlock()
			return false, nil
		}
		h.mu.Unlock()
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-changed:
		case <-wait:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return false, err
		}
	}
}

func (h *hostBudget) endProbe(probe bool) {
	if !probe {
		return
	}
	h.mu.Lock()
	h.probeOut = false
	h.broadcastLocked()
	h.mu.Unlock()
}

func (h *hostBudget) broadcastLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// observe applies a response to the budget: a throttling answer starts (or
// extends) the pause; the probe's unthrottled answer ends the probing.
func (h *hostBudget) observe(resp *http.Response, err error, probe bool, maxPause time.Duration) {
	var pause time.Duration
	if err == nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		pause = min(parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()), maxPause)
	}
	if pause <= 0 && !probe {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if pause > 0 {
		h.m.throttled(resp.StatusCode, pause)
		if until := time.Now().Add(pause); until.After(h.pausedUntil) {
			h.pausedUntil = until
		}
		h.probing = true
	}
	if probe {
		h.probeOut = false
		if pause <= 0 && err == nil {
			h.probing = false
		}
	}
	h.broadcastLocked()
}

// RouteTemplate turns a request path into its route, the ids replaced by
// {id}: /v8/RestoreSessions/3f…/Events becomes /v8/RestoreSessions/{id}/Events.
// Anything before the version segment (a base URL's prefix) is dropped, and
// any segment that is not one of the API's fixed words counts as an id, so
// no raw id ever reaches a metric label.
func RouteTemplate(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	start := -1
	for i, s := range segs {
		if isVersionSegment(s) {
			start = i
			break
		}
	}
	if start < 0 {
		return "/{unknown}"
	}
	var b strings.Builder
	for _, s := range segs[start:] {
		b.WriteByte('/')
		switch {
		case b.Len() == 1 && isVersionSegment(s):
			b.WriteString(s)
		case routeWords[s]:
			b.WriteString(s)
		default:
			b.WriteString("{id}")
		}
	}
	return b.String()
}

// routeWords are the fixed path segments of the requests this client sends.
var routeWords = map[string]bool{
	"token": true, "ServiceInstance": true, "Organizations": true, "RestoreSessions": true,
	"Events": true, "Stop": true, "action": true, "explore": true,
}

func isVersionSegment(s string) bool {
	if len(s) < 2 || len(s) > 4 || s[0] != 'v' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
