package vb365

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestJSONSecondsBelowTwoToThe62: seconds written as a float are read
// below 2^62 only (2^62 itself is refused); whole numbers are read as they are.
func TestJSONSecondsBelowTwoToThe62(t *testing.T) {
	n, ok := jsonSeconds(json.RawMessage(`3600.0`))
	require.True(t, ok)
	require.Equal(t, int64(3600), n)
	n, ok = jsonSeconds(json.RawMessage(`4.611686018427387e18`))
	require.True(t, ok, "just below 2^62")
	require.Equal(t, int64(4611686018427386880), n) // the float nearest 4.611686018427387e18
	_, ok = jsonSeconds(json.RawMessage(`4.611686018427387904e18`))
	require.False(t, ok, "2^62")
	n, ok = jsonSeconds(json.RawMessage(`4611686018427387904`))
	require.True(t, ok, "a whole number is read as an integer")
	require.Equal(t, int64(1)<<62, n)
}
