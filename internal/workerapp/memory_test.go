package workerapp

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// withCgroup points the container limit at files holding v2 and v1 (""
// for a file that does not exist).
func withCgroup(t *testing.T, v2, v1 string) {
	t.Helper()
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "memory.max"), filepath.Join(dir, "memory.limit_in_bytes")}
	for i, content := range []string{v2, v1} {
		if content != "" {
			require.NoError(t, os.WriteFile(files[i], []byte(content+"\n"), 0o600))
		}
	}
	old := cgroupMemoryFiles
	cgroupMemoryFiles = files
	t.Cleanup(func() { cgroupMemoryFiles = old })
}

func TestMemoryLimitAutoTakesTheContainersLimit(t *testing.T) {
	auto := config.Memory{MemoryLimit: "auto"}
	for _, tt := range []struct {
		name, v2, v1 string
		want         int64
	}{
		{"cgroup v2", "536870912", "", 429496729}, // 80% of 512 MiB
		{"cgroup v1", "", "1073741824", 858993459},
		{"v2 without a limit", "max", "1073741824", math.MaxInt64},
		{"v1 without a limit", "", "9223372036854771712", math.MaxInt64},
		{"no cgroup", "", "", math.MaxInt64},
		{"unreadable", "lots", "", math.MaxInt64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			withCgroup(t, tt.v2, tt.v1)
			got, set := memoryLimit(auto)
			assert.True(t, set)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMemoryLimitGivenOrOff(t *testing.T) {
	withCgroup(t, "536870912", "")
	got, set := memoryLimit(config.Memory{MemoryLimit: "300MiB"})
	assert.True(t, set)
	assert.Equal(t, int64(300<<20), got, "a size wins over the container's limit")
	got, set = memoryLimit(config.Memory{MemoryLimit: "off"})
	assert.True(t, set)
	assert.Equal(t, int64(math.MaxInt64), got)
}

// TestApplyMemoryLimit sets the runtime's limit and puts the previous one
// back; with GOMEMLIMIT (and MEMORY_LIMIT unset) it leaves the runtime's.
func TestApplyMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)

	restore := applyMemoryLimit(config.Memory{MemoryLimit: "300MiB"}, zap.NewNop())
	assert.Equal(t, int64(300<<20), debug.SetMemoryLimit(-1))
	restore()
	assert.Equal(t, prev, debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(200 << 20) // as GOMEMLIMIT=200MiB would at start
	cfg, err := config.Load([]string{"VB365_URL=https://vb365.example.com", "VB365_USERNAME=u", "VB365_PASSWORD=p", "GOMEMLIMIT=200MiB"})
	require.NoError(t, err)
	restore = applyMemoryLimit(cfg.Memory, zap.NewNop())
	assert.Equal(t, int64(200<<20), debug.SetMemoryLimit(-1), "GOMEMLIMIT's limit is kept")
	restore()
}
