package vb365

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// wireTimeLayout is how the client sends times: UTC with seven fractional
// digits, the .NET round-trip format VB365 itself uses (and the seed's
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
	// VB365 has been seen (and documented) to omit the zone; it means UTC.
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
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	// Lower-case "t" and "z" are legal in RFC 3339 but not in Go's layouts;
	// nothing else in a timestamp has a case.
	s = strings.ToUpper(s)
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, l := range unzonedLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized time %q", s)
}

// wireTime decodes a JSON timestamp with ParseTime. Null, a missing field and
// an empty string all leave it unset: VB365 sends null for "never"
// (firstBackuptime of an organization never backed up, endTime of a running
// session).
type wireTime struct {
	time.Time
	Valid bool
}

func (w *wireTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*w = wireTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		*w = wireTime{}
		return nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return err
	}
	*w = wireTime{Time: t, Valid: true}
	return nil
}

// ptr returns the time as a pointer, nil when unset.
func (w wireTime) ptr() *time.Time {
	if !w.Valid {
		return nil
	}
	t := w.Time
	return &t
}
