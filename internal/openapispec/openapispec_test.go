package openapispec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The validator must reject what the documents forbid; otherwise every
// contract test built on it could not fail.
func TestValidatorRejectsWhatTheDocumentForbids(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			s := Require(t, v)
			good := httptest.NewRequest(http.MethodPost, "/"+v+"/Organizations/3c424478-0811-4920-8aab-01f0bf2a2822/explore", strings.NewReader(""))
			good.Header.Set("Content-Type", "application/json")
			body := []byte(`{"dateTime":"2020-10-30T10:54:40.279Z","type":"Vet","showDeleted":false,"showAllVersions":false}`)
			if err := s.ValidateRequest(good, body); err != nil {
				t.Errorf("valid explore request rejected: %v", err)
			}
			if err := s.ValidateRequest(good, []byte(`{"dateTime":"yesterday","type":"Bogus"}`)); err == nil {
				t.Error("explore request with a bad dateTime and type accepted")
			}
			unknown := httptest.NewRequest(http.MethodGet, "/"+v+"/NoSuchThing", nil)
			if err := s.ValidateRequest(unknown, nil); err == nil {
				t.Error("unknown path accepted")
			}
			get := httptest.NewRequest(http.MethodGet, "/"+v+"/RestoreSessions/8caccbcb-3e6c-4e55-83b2-d7d196e11cbe", nil)
			h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
			if err := s.ValidateResponse(get, 200, h, []byte(`{"id":"8caccbcb-3e6c-4e55-83b2-d7d196e11cbe","type":"Vet","creationTime":"2020-10-30T14:51:36.0833712Z","state":"Working","result":"Success"}`)); err != nil {
				t.Errorf("valid session rejected: %v", err)
			}
			if err := s.ValidateResponse(get, 200, h, []byte(`{"id":"x","state":"Working"}`)); err == nil {
				t.Error("session without its required fields accepted")
			}
		})
	}
}
