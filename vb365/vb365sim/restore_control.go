package vb365sim

import (
	"net/http"
)

// RestoreSettings are the restore switches as they stand (GET
// /_sim/restore-behaviour).
func (s *Simulator) RestoreSettings() RestoreBehaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.restores.itemDuration
	if d == 0 {
		d = DefaultRestoreItemDuration
	}
	return RestoreBehaviour{ItemDuration: new(Duration(d)), Throttled: new(s.restores.throttled)}
}

// serveRestoreControl serves the restore control endpoints; false when the
// request is none of them. GET /_sim/restores lists the restores accepted;
// GET and PUT /_sim/restore-behaviour read and change the switches (PUT
// takes any subset, e.g. {"itemDuration":"1s","throttled":true}).
func (s *Simulator) serveRestoreControl(w http.ResponseWriter, r *http.Request, segs []string) bool {
	if len(segs) != 1 {
		return false
	}
	fail := func(status int, msg string) { writeResponse(w, errorResponse(0, status, "", msg)) }
	switch {
	case r.Method == http.MethodGet && segs[0] == "restores":
		writeResponse(w, jsonResponse(http.StatusOK, s.Restores()))
	case r.Method == http.MethodGet && segs[0] == "restore-behaviour":
		writeResponse(w, jsonResponse(http.StatusOK, s.RestoreSettings()))
	case r.Method == http.MethodPut && segs[0] == "restore-behaviour":
		var in RestoreBehaviour
		err := decodeStrict(r, &in)
		if err == nil {
			err = s.SetRestoreBehaviour(in)
		}
		if err != nil {
			fail(http.StatusBadRequest, "The request body is not valid: "+err.Error())
			return true
		}
		writeResponse(w, jsonResponse(http.StatusOK, s.RestoreSettings()))
	default:
		return false
	}
	return true
}
