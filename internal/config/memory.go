package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Memory is what the worker may hold in memory: the workflows it keeps
// between their tasks, the buffers of its requests to Temporal, and the Go
// runtime's soft memory limit.
type Memory struct {
	// WorkflowCacheSize bounds Temporal's sticky workflow cache. An open
	// restore's workflow spends hours blocked on one wait activity; kept in
	// the cache it holds its state and its coroutine's goroutine stack
	// (tens of KB each) for all that time. Evicted, it replays its short
	// history (bounded by continue-as-new) at its next task. The SDK's
	// default of 10,000 keeps every open restore of a large worker in
	// memory; 500 keeps the busy ones (the cache evicts the least recently
	// used) and more than a DR drill's few hundred restores. Measured with
	// the bench at 1,000 open restores: 500 workflow coroutines instead
	// of 1,000 and about 30 MB less of goroutine stacks in the steady
	// state; the price, while the 1,000 opened at once, was 3.6 cache
	// misses per restore, each a history read and a replay. At 2,000 open
	// restores (with TEMPORAL_GRPC_COMPRESSION=none) the worker peaked at
	// 348 MiB instead of 458 MiB, for about 50% more worker CPU over the
	// scenario (replays while the 2,000 opened and stopped together). A
	// worker with CPU to spare and memory to fill raises it.
	WorkflowCacheSize int `env:"WORKFLOW_CACHE_SIZE" envDefault:"500" desc:"workflows this worker keeps in memory between their tasks (Temporal's sticky cache, shared by the process); an evicted one replays its history at its next task"`
	// MemoryLimit is the Go runtime's soft memory limit: the collector
	// works harder as the process nears it, instead of letting garbage
	// grow to twice the live heap. "auto" takes 80% of the container's
	// memory limit, leaving room for what the runtime does not count (the
	// mapped binary, the kernel's buffers).
	MemoryLimit string `env:"MEMORY_LIMIT" envDefault:"auto" desc:"soft memory limit of the Go runtime, such as 400MiB: the garbage collector runs more often near it (not a hard cap). auto: 80% of the container's memory limit, none without one; off: none. GOMEMLIMIT, when set and this is not, is kept"`
	// GRPCCompression is how the worker's requests to Temporal are
	// compressed. The SDK's default, gzip, takes a compressor of about
	// 800 KB for each request in flight (and makes it garbage at the
	// next collection): with 1,000 open restores heartbeating, the bench
	// measured 26-33 MB of the live heap in compressors alone. Heartbeats
	// and task completions are small; none sends them as they are.
	GRPCCompression string `env:"TEMPORAL_GRPC_COMPRESSION" envDefault:"none" desc:"compression of the worker's requests to Temporal: none, or gzip (the SDK's default: fewer bytes, but a compressor of about 800 KB per request in flight)"`
	// goMemLimit: GOMEMLIMIT is set (the runtime read it at start) and
	// MEMORY_LIMIT is not.
	goMemLimit bool
}

// MemoryLimitMode is how the worker sets its soft memory limit.
type MemoryLimitMode int

// The modes of MEMORY_LIMIT.
const (
	MemoryLimitAuto    MemoryLimitMode = iota // a fraction of the container's limit (AutoMemoryLimitFraction)
	MemoryLimitOff                            // none
	MemoryLimitBytes                          // a size given in MEMORY_LIMIT
	MemoryLimitRuntime                        // GOMEMLIMIT's, which the runtime read at start
)

// AutoMemoryLimitFraction is the part of the container's memory limit that
// MEMORY_LIMIT=auto gives the Go runtime.
const AutoMemoryLimitFraction = 0.8

// MemoryLimitSetting is MEMORY_LIMIT parsed: the mode and, for
// MemoryLimitBytes, the size in bytes.
func (m Memory) MemoryLimitSetting() (MemoryLimitMode, int64) {
	if m.goMemLimit {
		return MemoryLimitRuntime, 0
	}
	mode, n, _ := parseMemoryLimit(m.MemoryLimit)
	return mode, n
}

// parseMemoryLimit reads auto, off, or a size in GOMEMLIMIT's syntax: a
// whole number of bytes with an optional unit B, KiB, MiB, GiB or TiB.
func parseMemoryLimit(s string) (MemoryLimitMode, int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "auto", "":
		return MemoryLimitAuto, 0, nil
	case "off":
		return MemoryLimitOff, 0, nil
	}
	num, mult := s, int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, 0, fmt.Errorf("bad size")
	}
	return MemoryLimitBytes, n * mult, nil
}

// memoryLimitMin is the smallest limit accepted: below it the collector
// would run all the time for any worker.
const memoryLimitMin = 32 << 20

func checkMemory(m *Memory, vars map[string]string, p *problems) {
	if m.WorkflowCacheSize < 1 && !hasProblem(p, "WORKFLOW_CACHE_SIZE") {
		p.add("WORKFLOW_CACHE_SIZE", "WORKFLOW_CACHE_SIZE %q: want a whole number of 1 or more, such as 500", vars["WORKFLOW_CACHE_SIZE"])
	}
	switch strings.ToLower(m.GRPCCompression) {
	case "none", "gzip":
		m.GRPCCompression = strings.ToLower(m.GRPCCompression)
	default:
		p.add("TEMPORAL_GRPC_COMPRESSION", "TEMPORAL_GRPC_COMPRESSION %q: want none or gzip", m.GRPCCompression)
	}
	mode, n, err := parseMemoryLimit(m.MemoryLimit)
	switch {
	case err != nil || (mode == MemoryLimitBytes && n < memoryLimitMin):
		p.add("MEMORY_LIMIT", "MEMORY_LIMIT %q: want auto, off, or a size of 32MiB or more such as 400MiB (units B, KiB, MiB, GiB, TiB)", m.MemoryLimit)
	case vars["GOMEMLIMIT"] != "" && vars["MEMORY_LIMIT"] != "":
		p.add("MEMORY_LIMIT", "MEMORY_LIMIT and GOMEMLIMIT are both set: set only one")
	case vars["GOMEMLIMIT"] != "":
		m.goMemLimit = true
	}
}
