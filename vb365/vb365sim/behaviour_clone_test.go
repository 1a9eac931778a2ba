package vb365sim

import (
	"reflect"
	"testing"
	"time"
)

// TestBehaviourCloneCopiesEveryField: every pointer field of a clone points
// to its own copy of the value (a new field left out of clone fails here), and
// an unset field stays unset.
func TestBehaviourCloneCopiesEveryField(t *testing.T) {
	b := Behaviour{
		ClockSkew: new(Duration(time.Minute)), TimeZone: new("Europe/Paris"), StopDelay: new(Duration(time.Second)),
		StopIgnored: new(2), IdleTimeout: new(Duration(time.Hour)), MaxOpenSessions: new(3), ProxyOffline: new(true),
		ChangeFeedOff: new(true),
	}
	c := b.clone()
	if !reflect.DeepEqual(b, c) {
		t.Fatalf("clone = %+v, want the values of %+v", c, b)
	}
	bv, cv := reflect.ValueOf(b), reflect.ValueOf(c)
	for i := range bv.NumField() {
		name := bv.Type().Field(i).Name
		if bv.Field(i).IsNil() {
			t.Fatalf("%s unset in the test's Behaviour: set every field", name)
		}
		if bv.Field(i).Pointer() == cv.Field(i).Pointer() {
			t.Errorf("%s: the clone shares the original's value", name)
		}
	}
	if empty := (Behaviour{}).clone(); !reflect.DeepEqual(empty, Behaviour{}) {
		t.Errorf("clone of an empty Behaviour = %+v, want every field unset", empty)
	}
}
