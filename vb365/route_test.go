package vb365

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRouteTemplateVersionSegments: a version segment is "v" and one to
// three digits, 0 and 9 included; a longer one, or one with another
// character, is none, and a path without one is unknown.
func TestRouteTemplateVersionSegments(t *testing.T) {
	for path, want := range map[string]string{
		"/v0/Organizations":     "/v0/Organizations",
		"/v9/Organizations":     "/v9/Organizations",
		"/v8/Organizations/abc": "/v8/Organizations/{id}",
		"/v999/Organizations":   "/v999/Organizations",
		"/v1000/Organizations":  "/{unknown}",
		"/v/Organizations":      "/{unknown}",
		"/v8a/Organizations":    "/{unknown}",
		"/v:8/Organizations":    "/{unknown}",
		"/v/8/Organizations":    "/{unknown}",
	} {
		require.Equal(t, want, RouteTemplate(path), path)
	}
}
