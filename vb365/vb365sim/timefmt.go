package vb365sim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

type timeValue struct{ time.Time }

func tv(t time.Time) *timeValue { return &timeValue{t} }

// wireTimeLayout writes times as VB365 does: UTC, seven fraction digits.
const wireTimeLayout = "2006-01-02T15:04:05.0000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(wireTimeLayout) }

// fmtEventTime writes an event time: UTC with "Z", or, with a server time
// zone, that zone's local time and offset (Veeam's examples show both).
// Called with s.mu held.
func (s *Simulator) fmtEventTime(t time.Time) string {
	if s.beh.zone == nil {
		return fmtTime(t)
	}
	return t.In(s.beh.zone).Format("2006-01-02T15:04:05.0000000Z07:00")
}

// orgTime renders an organization's backup time: UTC with "Z", or, with a
// server time zone, without a zone in that zone's local time, as in
// Veeam's example of an organization. Called with s.mu held.
func (s *Simulator) orgTime(t time.Time) json.RawMessage {
	if s.beh.zone == nil {
		return jsonTime(tv(t))
	}
	return marshalNoEscape(t.In(s.beh.zone).Format("2006-01-02T15:04:05"))
}

// fmtPoint writes a restore point as in session names: 10/30/2020 10:29:05 AM.
func fmtPoint(t time.Time) string { return t.UTC().Format("1/2/2006 3:04:05 PM") }

// fmtTimeSpan writes a .NET TimeSpan: [d.]hh:mm:ss.fffffff.
func fmtTimeSpan(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ticks := int64(d / 100)
	days := ticks / (864e9)
	ticks -= days * 864e9
	h := ticks / 36e9
	ticks -= h * 36e9
	m := ticks / 6e8
	ticks -= m * 6e8
	sec := ticks / 1e7
	frac := ticks - sec*1e7
	s := fmt.Sprintf("%02d:%02d:%02d.%07d", h, m, sec, frac)
	if days > 0 {
		s = fmt.Sprintf("%d.%s", days, s)
	}
	return s
}

var tooManyFractionDigits = regexp.MustCompile(`:\d\d\.\d{8,}`)

// inputLayouts are the accepted request time formats; times without a zone
// are UTC. Go's parser also accepts a fraction after the seconds of each.
var inputLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006.01.02 15:04:05",
	"2006-01-02 15:04",
	"2006.01.02 15:04",
}

// parseTime reads a request time: RFC 3339 with 0..7 fraction digits,
// yyyy-MM-dd HH:mm:ss[.fff], yyyy.MM.dd HH:mm:ss (UTC).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if tooManyFractionDigits.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q has more than 7 fraction digits", s)
	}
	for _, l := range inputLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time (use yyyy-MM-ddTHH:mm:ss.fffffffZ, yyyy-MM-dd HH:mm:ss.fff or yyyy.MM.dd HH:mm:ss)", s)
}
