package activities

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// handFeed is a change feed the test hands each answer to: ListChanges
// waits for the next one, or for the reader's end. It keeps the context of
// every read and every pause of the reader (which passes at once).
type handFeed struct {
	pauseLog
	answers chan func() (*vb365.ChangesPage, error)

	mu   sync.Mutex
	ctxs []context.Context
}

func newHandFeed() *handFeed {
	return &handFeed{answers: make(chan func() (*vb365.ChangesPage, error))}
}

func (h *handFeed) ListChanges(ctx context.Context, _ vb365.ChangesOptions) (*vb365.ChangesPage, error) {
	h.mu.Lock()
	h.ctxs = append(h.ctxs, ctx)
	h.mu.Unlock()
	select {
	case next := <-h.answers:
		return next()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (h *handFeed) MaxChangesWait() time.Duration { return 15 * time.Second }

// readCtx is the context of the reader's last read.
func (h *handFeed) readCtx() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ctxs[len(h.ctxs)-1]
}

// hand gives the reader its next answer and returns once the reader has
// handled it (woken the waits, logged, called its hook).
func (h *handFeed) hand(t *testing.T, log *feedLog, answer func() (*vb365.ChangesPage, error)) {
	t.Helper()
	log.mu.Lock()
	before := len(log.ups)
	log.mu.Unlock()
	select {
	case h.answers <- answer:
	case <-time.After(feedGuard):
		t.Fatal("the feed reader did not read again")
	}
	log.await(t, nil, func(_ [][]vb365.Change, ups []bool) bool { return len(ups) > before })
}

// handReader is a feed reader over h that reports to a feedLog and to
// metrics on a registry of its own, pauses with h.sleep and stops with its
// last wait (no linger). A nil logger logs nothing.
func handReader(t *testing.T, h *handFeed, logger *zap.Logger) (*feedReader, *feedLog, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	f := newFeedReader(h, vb365.NewMetrics(reg), logger)
	log := newFeedLog()
	f.seen, f.sleep, f.linger = log.hook, h.sleep, 0
	return f, log, reg
}

// feedPage answers a read with a page of changes.
func feedPage(changes ...vb365.Change) func() (*vb365.ChangesPage, error) {
	return func() (*vb365.ChangesPage, error) { return &vb365.ChangesPage{NextToken: "t", Changes: changes}, nil }
}

// feedPageOf answers a read with a page of n changes of sessions no one
// watches.
func feedPageOf(n int) func() (*vb365.ChangesPage, error) {
	changes := make([]vb365.Change, n)
	for i := range changes {
		changes[i] = vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: "unwatched"}
	}
	return feedPage(changes...)
}

// woken is why the feed last woke w (noWake: it did not since the last
// call): a pause that would pass at once.
func woken(w *feedWatch) wakeReason {
	r, _ := w.pause(context.Background(), 0, func(context.Context, time.Duration) error { return nil })
	return r
}

// feedWakesOf is vb365_change_feed_wakes_total{reason} on reg.
func feedWakesOf(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, fam := range families {
		if fam.GetName() != "vb365_change_feed_wakes_total" {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestFeedUnwatchKeepsTheSessionsOtherWaits: a wait that ends leaves the
// other waits on its session watched (a change still wakes them), and the
// last one to end leaves no entry for the session behind.
func TestFeedUnwatchKeepsTheSessionsOtherWaits(t *testing.T) {
	h := newHandFeed()
	f, log, _ := handReader(t, h, nil)
	_, unwatchFirst := f.watch("s")
	second, unwatchSecond := f.watch("s")
	_, unwatchOther := f.watch("other") // keeps the reader running to the end
	defer unwatchOther()
	h.hand(t, log, feedPage()) // from latest: every wait is woken once
	require.Equal(t, wakeRecovery, woken(second))

	unwatchFirst()
	h.hand(t, log, feedPage(vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: "s"}))
	require.Equal(t, wakeChange, woken(second), "the session's other wait is still watched")

	unwatchSecond()
	f.mu.Lock()
	_, left := f.watches["s"]
	f.mu.Unlock()
	require.False(t, left, "no entry is left for a session no wait watches")
}

// TestFeedStopReturnsOnceTheReaderHasReturned: the end of the last wait
// (without linger) stops the reader and returns only once its goroutine has
// returned; a linger timer that fires after that finds nothing to stop.
func TestFeedStopReturnsOnceTheReaderHasReturned(t *testing.T) {
	h := newHandFeed()
	f, log, _ := handReader(t, h, nil)
	_, unwatch := f.watch("s")
	h.hand(t, log, feedPage())
	f.mu.Lock()
	done := f.done
	f.mu.Unlock()

	unwatch()
	select {
	case <-done:
	default:
		t.Fatal("the last wait's end returned while the reader still ran")
	}
	require.ErrorIs(t, h.readCtx().Err(), context.Canceled, "the reader's long poll was cancelled")
	f.expire() // a late linger timer
	require.False(t, f.running())
}

// TestFeedLogsItsReturnOnlyAfterAFailure: "the feed is back" is logged once,
// at the first page after failures, not at pages read while it worked.
func TestFeedLogsItsReturnOnlyAfterAFailure(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := newHandFeed()
	f, log, _ := handReader(t, h, zap.New(core))
	_, unwatch := f.watch("s")
	defer unwatch()
	fail := func() (*vb365.ChangesPage, error) { return nil, &vb365.Error{StatusCode: 503} }
	for _, answer := range []func() (*vb365.ChangesPage, error){feedPage(), feedPage(), fail, fail, feedPage(), feedPage()} {
		h.hand(t, log, answer)
	}
	var got []string
	for _, e := range logs.All() {
		got = append(got, e.Message)
	}
	failed := "VB365 change feed failed; idle restore sessions are polled as without it until it is back"
	require.Equal(t, []string{failed, failed, "VB365 change feed is back"}, got)
}

// TestFeedReadsOnAtOnceAfterAFullPage: a page that brought changes is
// followed by the coalescing pause, unless it was full: then more changes
// wait, and the next page is read at once.
func TestFeedReadsOnAtOnceAfterAFullPage(t *testing.T) {
	h := newHandFeed()
	f, log, _ := handReader(t, h, nil)
	_, unwatch := f.watch("s")
	defer unwatch()
	h.hand(t, log, feedPage())
	h.hand(t, log, feedPageOf(feedPageSize))
	h.hand(t, log, feedPage()) // read after the full page's pause, if any
	require.Empty(t, h.slept(), "no pause after a full page")

	h.hand(t, log, feedPageOf(feedPageSize-1))
	h.hand(t, log, feedPage())
	require.Equal(t, []time.Duration{feedCoalesce}, h.slept(), "one pause after a page one change short of full")
}

// TestFeedCountsTheWaitsItWakes: vb365_change_feed_wakes_total counts each
// wait woken: every watched wait at a read from latest (recovery), and each
// wait on a session that changed (change).
func TestFeedCountsTheWaitsItWakes(t *testing.T) {
	h := newHandFeed()
	f, log, reg := handReader(t, h, nil)
	for _, id := range []string{"a", "a", "b"} {
		_, unwatch := f.watch(id)
		defer unwatch()
	}
	h.hand(t, log, feedPage())
	require.Equal(t, 3.0, feedWakesOf(t, reg, "recovery"), "every watched wait")
	require.Zero(t, feedWakesOf(t, reg, "change"))

	h.hand(t, log, feedPage(
		vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: "a"},
		vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: "unwatched"}))
	require.Equal(t, 2.0, feedWakesOf(t, reg, "change"), "the two waits on the changed session")
	require.Equal(t, 3.0, feedWakesOf(t, reg, "recovery"))
}

// TestFeedWakesOnRestoreSessionChangesOnly: an update or a deletion of the
// watched restore session wakes its wait; a change of another type that
// carries the same id (a job session's) does not.
func TestFeedWakesOnRestoreSessionChangesOnly(t *testing.T) {
	h := newHandFeed()
	f, log, _ := handReader(t, h, nil)
	w, unwatch := f.watch("s")
	defer unwatch()
	h.hand(t, log, feedPage())
	require.Equal(t, wakeRecovery, woken(w))

	h.hand(t, log, feedPage(vb365.Change{Type: "JobSessionUpdate", ID: "s"}))
	require.Equal(t, noWake, woken(w), "another type of change")
	h.hand(t, log, feedPage(vb365.Change{Type: vb365.ChangeRestoreSessionDelete, ID: "s"}))
	require.Equal(t, wakeChange, woken(w), "the session was deleted")
	h.hand(t, log, feedPage(vb365.Change{Type: vb365.ChangeRestoreSessionUpdate, ID: "s"}))
	require.Equal(t, wakeChange, woken(w), "the session was updated")
}
