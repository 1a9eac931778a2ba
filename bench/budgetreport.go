package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The product's idle schedule at the default 15 s poll interval and
// VB365_IDLE_REQUESTS_PER_MINUTE=1 (activities/watch.go idleCeiling): the
// pauses double 15, 30, 60 s, then stay at the 2 min ceiling, so the steady
// state begins 105 s into an idle wait.
const (
	idleCeilingDefault = 2 * time.Minute
	idleRamp           = 105 * time.Second
	goalOpen           = 2000
)

func (r *report) budgetTargets() []target {
	b := r.budget
	full := b.Open >= goalOpen
	atN := fmt.Sprintf("%d open restores", b.Open)
	var ts []target
	ts = append(ts, target{fmt.Sprintf("VB365 request rate with %s, budget %g/s", atN, budgetRate),
		fmt.Sprintf("≤ %g/s measured, every event still recorded (at %d)", budgetRate, goalOpen),
		fmt.Sprintf("peak %.1f/s over 10 s, %.0f in one 1 s sample; window mean %.1f/s; reports hold %d of the %d events in VB365 (%d restores short)",
			b.PeakTenSeconds, b.PeakSecond, b.WindowRate, b.EventsInReports, b.EventsInVB365, b.ReportsShort),
		r.measured(full, b.PeakTenSeconds <= budgetRate*1.02 && b.ReportsShort == 0)})
	ts = append(ts, target{fmt.Sprintf("First event of a busy session recorded after it appears, %s", atN),
		fmt.Sprintf("p95 ≤ 2 poll intervals (30 s) at %d", goalOpen),
		fmt.Sprintf("idle sessions that become busy: p50 %s, p95 %s (%d of %d recorded); busy sessions' later events: p50 %s, p95 %s (%d of %d events appended in the window to %d busy sessions seen); the first event of each busy session: at most %s (%d not recorded by %s after the window's end)",
			ms(b.WokenP50), ms(b.WokenP95), len(b.WokenLatencies), len(b.WokenLatencies)+b.WokenUnseen,
			ms(b.BusyP50), ms(b.BusyP95), b.BusySeen, b.BusyAppended, min(busySessions, b.Open), ms(b.FirstMax), b.FirstUnseen, recordGrace),
		r.measured(full && b.BusySeen > 0 && len(b.WokenLatencies) > 0,
			b.WokenP95 <= 30*time.Second && b.WokenUnseen == 0 && b.BusyP95 <= 30*time.Second && b.BusySeen == b.BusyAppended)})
	ts = append(ts, target{fmt.Sprintf("%d concurrent open restores on one worker", b.Open),
		fmt.Sprintf("%d: all open, then all stopped, 0 orphans", goalOpen),
		fmt.Sprintf("%d of %d open (in %s), %d completed after the stop (in %s), %d failed, %d orphans; VB365 opened %d sessions in all",
			b.Opened, b.Open, b.OpenTook.Round(time.Second), b.Completed, b.StopTook.Round(time.Second), b.Failed, b.Orphans, b.SessionsCreated),
		r.measured(full, b.Opened == b.Open && b.Completed == b.Open && b.Orphans == 0 && b.SessionsCreated == b.Open)})
	ts = append(ts, target{fmt.Sprintf("Worker peak memory with %s", atN), fmt.Sprintf("< 300 MB at %d", goalOpen),
		fmt.Sprintf("%.0f MiB (VmHWM)", b.WorkerPeakMiB), r.measured(full, b.WorkerPeakMiB*1.048576 < 300)})
	if b.Storm > 0 {
		ts = append(ts, target{fmt.Sprintf("429 storm (Retry-After %s for %s)", b.StormRetryAfter, b.Storm),
			"≤ 1 request per Retry-After per worker during the storm; no activity failed",
			fmt.Sprintf("%.2f per Retry-After after the first pause (%d requests in the storm, %d of them before the first pause held); %.0f activity attempts failed",
				b.StormPerRetryAfter, b.StormRequests, b.StormFirstPause, b.StormActivityFailures),
			r.measured(b.Storm >= 3*b.StormRetryAfter, b.StormPerRetryAfter <= 1 && b.StormActivityFailures == 0)})
	}
	return ts
}

func (r *report) renderBudget(p func(string, ...any)) {
	b := r.budget
	p("## 4. The VB365 budget: %d open restores, a 429 storm", b.Open)
	p("")
	p("One product worker with the default budget (`VB365_MAX_RATE=%g`, `VB365_MAX_IN_FLIGHT=8`, `VB365_IDLE_REQUESTS_PER_MINUTE=1`) "+
		"and %d restores at the default 15 s poll interval, in real time, on one simulator. The bench opens them all at once "+
		"(%d concurrent start calls), waits until every session is open, waits %s more (the idle waits reach their ceiling), then "+
		"measures %s during which %d sessions are busy (from the start of the ramp on, one event appended %s after the last one or as soon as the workflow recorded it; the latency is from the append to the first "+
		"`status` query that counts it, queried every 250 ms; the first event of each session, which wakes an idle session, is counted apart; an event appended in the window is waited for until %s after it, so that the last ones count too). Then VB365 answers every request with 429 and `Retry-After: %d` for %s; "+
		"then every restore is stopped by its `stop` update. The request rate is sampled every second from the simulator's counter "+
		"(token grants included) for the whole run. The sessions are v8, so the worker reads VB365's change feed (`GET /v8/Events`, "+
		"long polls) and idle sessions are polled only every `VB365_SAFETY_POLL_INTERVAL` (10 min); up to %d sessions idle until the window "+
		"get one event each during it, spread over its first half, to measure how soon an idle session that becomes busy is noticed.", budgetRate, b.Open, startParallel, b.Ramp, b.Window, min(busySessions, b.Open), busyEvery, recordGrace,
		int(b.StormRetryAfter.Seconds()), b.Storm, wokenSessions)
	if b.Open < goalOpen {
		p("")
		p("**Size:** %d restores, not %d: at the budget of %g requests/s, opening a restore costs about 4 requests and stopping one "+
			"about 4 more, so %d restores need at least %.0f minutes of VB365 budget just to open and stop, and the dev server on 2 shared cores "+
			"runs the workflows beside it; the verdicts at %d are therefore not given.",
			b.Open, goalOpen, budgetRate, goalOpen, float64(goalOpen)*8/budgetRate/60, goalOpen)
	}
	p("")
	p("![VB365 requests per second against the budget](%s)", rateChartFile)
	p("")
	p("| | |")
	p("|---|---|")
	p("| Sessions open | %d of %d, all open %s after the first start call |", b.Opened, b.Open, b.OpenTook.Round(time.Second))
	p("| Peak request rate | %.1f/s (10 s mean), %.0f (largest 1 s sample) |", b.PeakTenSeconds, b.PeakSecond)
	p("| Window: mean request rate | %.2f/s, %.2f requests per open session-minute (%d of them busy) |", b.WindowRate, b.IdlePerSessionMin, min(busySessions, b.Open))
	p("| Window: by route | %s |", routeList(b.WindowRoutes))
	p("| Window: the change feed (worker's metrics) | %.0f waits woken for a change, %.0f for a recovery (a read from \"latest\"); feed %s at the window's end; %.0f activity attempts failed in the window |",
		b.WindowWakes["change"], b.WindowWakes["recovery"], map[bool]string{true: "up", false: "down"}[b.FeedUpAtEnd], b.WindowFailed)
	p("| Busy sessions: append → recorded | p50 %s, p95 %s, %d of %d events appended in the window |", ms(b.BusyP50), ms(b.BusyP95), b.BusySeen, b.BusyAppended)
	p("| Busy sessions: first event (wakes an idle session) | %d recorded, at most %s after it appeared; %d not recorded by %s after the window's end |", len(b.FirstLatencies), ms(b.FirstMax), b.FirstUnseen, recordGrace)
	p("| Idle sessions becoming busy in the window: first event → recorded | p50 %s, p95 %s; %d recorded, %d not by %s after the window's end |", ms(b.WokenP50), ms(b.WokenP95), len(b.WokenLatencies), b.WokenUnseen, recordGrace)
	if b.Storm > 0 {
		p("| 429 storm | %d requests in %s (%d before the first pause held); %.2f per %s Retry-After after it; %.0f pauses; %.0f failed activity attempts |",
			b.StormRequests, b.Storm, b.StormFirstPause, b.StormPerRetryAfter, b.StormRetryAfter, b.StormPauses, b.StormActivityFailures)
	}
	p("| Stop | %d completed, %d failed, in %s; %d sessions left open in VB365 (the simulator's own count), %d sessions opened in all |",
		b.Completed, b.Failed, b.StopTook.Round(time.Second), b.Orphans, b.SessionsCreated)
	p("| Events | the reports hold %d events; VB365 has %d; %d restores short |", b.EventsInReports, b.EventsInVB365, b.ReportsShort)
	p("| Worker | peak %.0f MiB (VmHWM), %s CPU over the scenario |", b.WorkerPeakMiB, b.WorkerCPU.Round(100*time.Millisecond))
	p("")
}

// routeList lists requests by route, most first.
func routeList(m map[string]int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(m[b]-m[a], strings.Compare(a, b)) })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("`%s` %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}
