package workerapp

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// cgroupMemoryFiles hold the container's memory limit: cgroup v2's, then
// v1's. A test points them elsewhere.
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// containerMemoryLimit is the memory limit of the container the worker
// runs in, in bytes; false when there is none (or it cannot be read).
func containerMemoryLimit() (int64, bool) {
	for _, f := range cgroupMemoryFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// No limit is "max" in cgroup v2, a number near the largest int64
		// in v1.
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// memoryLimit is the soft memory limit MEMORY_LIMIT asks for, in bytes
// (math.MaxInt64: none), and whether the worker sets it (false: it keeps
// the runtime's, GOMEMLIMIT's).
func memoryLimit(m config.Memory) (limit int64, set bool) {
	mode, n := m.MemoryLimitSetting()
	switch mode {
	case config.MemoryLimitRuntime:
		return debug.SetMemoryLimit(-1), false
	case config.MemoryLimitBytes:
		return n, true
	case config.MemoryLimitAuto:
		if c, ok := containerMemoryLimit(); ok {
			return int64(float64(c) * config.AutoMemoryLimitFraction), true
		}
	}
	return math.MaxInt64, true
}

// applyMemoryLimit sets the Go runtime's soft memory limit from
// MEMORY_LIMIT and logs it; restore puts the previous one back.
func applyMemoryLimit(m config.Memory, logger *zap.Logger) (restore func()) {
	limit, set := memoryLimit(m)
	prev := debug.SetMemoryLimit(-1)
	if set {
		debug.SetMemoryLimit(limit)
	}
	if limit == math.MaxInt64 {
		logger.Info("no soft memory limit (MEMORY_LIMIT " + m.MemoryLimit + ")")
	} else {
		logger.Info("soft memory limit set", zap.String("memoryLimit", m.MemoryLimit),
			zap.Int64("limitMiB", limit>>20), zap.Bool("fromGOMEMLIMIT", !set))
	}
	return func() { debug.SetMemoryLimit(prev) }
}
