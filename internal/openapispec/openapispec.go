// Package openapispec loads Veeam's published VB365 OpenAPI documents and
// validates HTTP requests and responses against them. Tests of the client and
// of the simulator both use it, so that neither drifts from the real contract.
//
// The documents are not copied into this repository: they are read from the
// shared reference folder beside the checkout (../shared/vb365-openapi), or
// from the folder named by VB365_OPENAPI_DIR. Contract tests call Require,
// which skips them on a fresh clone without the documents and fails them
// when VB365_OPENAPI_REQUIRED=1 (CI).
package openapispec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DirEnv names the environment variable that overrides the documents' folder.
const DirEnv = "VB365_OPENAPI_DIR"

// RequiredEnv names the environment variable that, set to 1, makes a missing
// document fail the contract tests instead of skipping them (CI sets it, so
// that the contract is never silently untested there).
const RequiredEnv = "VB365_OPENAPI_REQUIRED"

// Versions with a published document.
var Versions = []string{"v6", "v7", "v8"}

// Spec is one loaded document with a router over its paths.
type Spec struct {
	Version string
	Doc     *openapi3.T
	router  routers.Router
}

var (
	mu    sync.Mutex
	cache = map[string]*Spec{}
)

// Dir finds the folder that holds vb365_rest_v{6,7,8}.json: $VB365_OPENAPI_DIR,
// else shared/vb365-openapi beside the module root or any of its parents.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		if _, err := os.Stat(filepath.Join(d, "vb365_rest_v8.json")); err != nil {
			return "", fmt.Errorf("VB365 OpenAPI documents not found in %s=%s: put Veeam's vb365_rest_v6.json, vb365_rest_v7.json and vb365_rest_v8.json there", DirEnv, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, cand := range []string{
			filepath.Join(d, "shared", "vb365-openapi"),
			filepath.Join(d, "..", "shared", "vb365-openapi"),
		} {
			if _, err := os.Stat(filepath.Join(cand, "vb365_rest_v8.json")); err == nil {
				return filepath.Clean(cand), nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("VB365 OpenAPI documents not found: put Veeam's vb365_rest_v6.json, vb365_rest_v7.json and vb365_rest_v8.json in ../shared/vb365-openapi beside the checkout, or name their folder in %s", DirEnv)
}

// Load reads and indexes the document of one version ("v6", "v7", "v8"),
// once per process.
func Load(version string) (*Spec, error) {
	mu.Lock()
	defer mu.Unlock()
	if s, ok := cache[version]; ok {
		return s, nil
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join(dir, "vb365_rest_"+version+".json"))
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI %s: %w", version, err)
	}
	// The documents name https://localhost:4443 (v8: 127.0.0.1) as their only
	// server; requests in tests go elsewhere, so match on path alone.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route OpenAPI %s: %w", version, err)
	}
	s := &Spec{Version: version, Doc: doc, router: router}
	cache[version] = s
	return s, nil
}

// Require loads the document of version for a contract test. When it cannot
// be loaded, the test is skipped with one line saying where to put Veeam's
// documents; with VB365_OPENAPI_REQUIRED=1 it fails instead. Every contract
// test goes through here, so the rule holds in one place.
func Require(t testing.TB, version string) *Spec {
	t.Helper()
	s, err := Load(version)
	return require(t, s, err)
}

func require(t testing.TB, s *Spec, err error) *Spec {
	t.Helper()
	if err == nil {
		return s
	}
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatalf("%v (%s=1)", err, RequiredEnv)
		return nil
	}
	t.Skipf("contract test skipped: %v", err)
	return nil
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		// Authentication is the client's business and is tested on its own;
		// here only shapes are checked.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
	}
}

// ValidateRequest checks a request (path, query, headers and body) against the
// document. body is the request body as sent (nil for none).
func (s *Spec) ValidateRequest(req *http.Request, body []byte) error {
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s: no such operation in %s: %w", req.Method, req.URL.Path, s.Version, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options()}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s request against %s: %w", req.Method, req.URL.Path, s.Version, err)
	}
	return nil
}

// ValidateResponse checks a response (status, headers and body) to req
// against the document. An error status is checked against the operation's
// default response (VB365's error body).
func (s *Spec) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	r := req.Clone(context.Background())
	r.Body = http.NoBody
	route, params, err := s.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s: no such operation in %s: %w", req.Method, req.URL.Path, s.Version, err)
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: options()}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s response %d against %s: %w", req.Method, req.URL.Path, status, s.Version, err)
	}
	return nil
}

// ErrNoDocument is returned for versions without a published document (v5).
var ErrNoDocument = errors.New("no OpenAPI document for this version")
