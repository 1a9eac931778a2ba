package vb365

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// wireTimeLayout is how the client sends times: UTC with seven fractional
// digits, the .NET round-trip format VB365 itself uses (and Veeam's v5 example
// example, 2020-10-30T10:54:40.2794046Z). A fixed width keeps requests
// byte-stable and never drops the fraction VB365 documents.
const wireTimeLayout = "2006-01-02T15:04:05.0000000Z"

// FormatTime renders t as the client sends it to VB365: UTC, RFC 3339, seven
// fractional digits.
func FormatTime(t time.Time) string { return t.UTC().Format(wireTimeLayout) }

// Layouts ParseTime tries, zone-bearing first. Go accepts any number of
// fractional digits after the seconds even when a layout does not show them,
// so these cover 0 to 9 digits.
var (
	zonedLayouts = []string{
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05Z0700",
		"2006-01-02 15:04:05Z07:00",
	}
	// VB365 has been seen (and documented) to omit the zone: the time is
	// then the server's local time (Config.ServerTimeZone, default UTC).
	unzonedLayouts = []string{
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04",
	}
)

// ParseTime reads a VB365 timestamp leniently: with a zone (Z or an offset)
// or without one (then UTC), with 0 to 7 (or more) fractional digits. The
// result is in UTC. Real servers and the documents disagree on the shape, so
// being strict here would fail on data that means something clear.
func ParseTime(s string) (time.Time, error) { return ParseTimeIn(s, time.UTC) }

// ParseTimeIn is ParseTime with zone-less times read as wall-clock times in
// loc (the VB365 server's zone; nil means UTC). Times with a zone or an
// offset keep theirs. The result is in UTC.
func ParseTimeIn(s string, loc *time.Location) (time.Time, error) {
	t, zoned, err := parseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	if !zoned {
		t = inZone(t, loc)
	}
	return t, nil
}

// parseTime reads s; zone-less times come back as UTC wall clock, with
// zoned false.
func parseTime(s string) (t time.Time, zoned bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, fmt.Errorf("empty time")
	}
	// Lower-case "t" and "z" are legal in RFC 3339 but not in Go's layouts;
	// nothing else in a timestamp has a case.
	s = strings.ToUpper(s)
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	for _, l := range unzonedLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("unrecognized time %q", s)
}

// inZone reads the wall clock of t (in UTC) as a time in loc, returned in UTC.
func inZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil || loc == time.UTC {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
}

// wireTime decodes a JSON timestamp leniently. Null, a missing field and an
// empty string all leave it unset: VB365 sends null for "never"
// (firstBackuptime of an organization never backed up, endTime of a running
// session). A zone-less time is kept as its wall clock until in places it in
// the server's zone; Present tells a field that was sent (even as null) from
// one left out.
type wireTime struct {
	time.Time
	Valid   bool
	Zoned   bool
	Present bool
}

func (w *wireTime) UnmarshalJSON(b []byte) error {
	*w = wireTime{Present: true}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		return nil
	}
	t, zoned, err := parseTime(s)
	if err != nil {
		return err
	}
	w.Time, w.Valid, w.Zoned = t, true, zoned
	return nil
}

// in returns the time in UTC, a zone-less one read in loc (nil: UTC); the
// zero time when unset.
func (w wireTime) in(loc *time.Location) time.Time {
	if !w.Valid {
		return time.Time{}
	}
	if w.Zoned {
		return w.Time
	}
	return inZone(w.Time, loc)
}

// ptrIn is in as a pointer, nil when unset.
func (w wireTime) ptrIn(loc *time.Location) *time.Time {
	if !w.Valid {
		return nil
	}
	t := w.in(loc)
	return &t
}
