package logging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
)

// Temporal adapts a zap logger to the Temporal SDK's log.Logger, so the SDK's
// own lines (and workflow.GetLogger, activity.GetLogger) go through zap.
// Key/value pairs become zap fields; a key without a value is kept under
// "!BADKEY" rather than dropped.
type Temporal struct {
	z *zap.Logger
}

var (
	_ log.Logger          = (*Temporal)(nil)
	_ log.WithLogger      = (*Temporal)(nil)
	_ log.WithSkipCallers = (*Temporal)(nil)
)

// Discard returns the Temporal SDK logger that drops every line: for the
// clients of tools whose output is their own (starter, dev stack, bench,
// tests), where the SDK's lines would be noise.
func Discard() log.Logger { return log.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// NewTemporal wraps z. The caller reported is the SDK's call site, not this adapter.
func NewTemporal(z *zap.Logger) *Temporal {
	return &Temporal{z: z.WithOptions(zap.AddCallerSkip(1))}
}

// Debug logs at debug level.
func (l *Temporal) Debug(msg string, keyvals ...any) { l.z.Debug(msg, fields(keyvals)...) }

// Info logs at info level.
func (l *Temporal) Info(msg string, keyvals ...any) { l.z.Info(msg, fields(keyvals)...) }

// Warn logs at warn level.
func (l *Temporal) Warn(msg string, keyvals ...any) { l.z.Warn(msg, fields(keyvals)...) }

// Error logs at error level, except a cancellation, which it logs at info
// level: the SDK reports every activity that ends on a cancelled context as
// "Activity error." at ERROR, and cancelling is routine here (a stop cancels
// the restore's event long poll; a shutting-down worker cancels what runs).
// An ERROR line means something needs a look.
func (l *Temporal) Error(msg string, keyvals ...any) {
	if isCancellation(keyvals) {
		l.z.Info(msg, fields(keyvals)...)
		return
	}
	l.z.Error(msg, fields(keyvals)...)
}

// isCancellation reports whether the error among keyvals is a cancellation.
func isCancellation(keyvals []any) bool {
	for _, v := range keyvals {
		if err, ok := v.(error); ok && (errors.Is(err, context.Canceled) || temporal.IsCanceledError(err)) {
			return true
		}
	}
	return false
}

// With returns a logger that adds keyvals to every line.
func (l *Temporal) With(keyvals ...any) log.Logger {
	return &Temporal{z: l.z.With(fields(keyvals)...)}
}

// WithCallerSkip returns a logger that skips depth more stack frames when
// reporting the caller.
func (l *Temporal) WithCallerSkip(depth int) log.Logger {
	return &Temporal{z: l.z.WithOptions(zap.AddCallerSkip(depth))}
}

// Zap returns the underlying logger (with the adapter's caller skip).
func (l *Temporal) Zap() *zap.Logger { return l.z }

func fields(keyvals []any) []zap.Field {
	if len(keyvals) == 0 {
		return nil
	}
	out := make([]zap.Field, 0, (len(keyvals)+1)/2)
	for i := 0; i < len(keyvals); i += 2 {
		if i+1 == len(keyvals) {
			// An odd count: the last element has no key.
			if err, ok := keyvals[i].(error); ok {
				out = append(out, zap.Error(err))
			} else {
				out = append(out, zap.Any("!BADKEY", keyvals[i]))
			}
			break
		}
		key, ok := keyvals[i].(string)
		if !ok {
			key = fmt.Sprint(keyvals[i])
		}
		switch v := keyvals[i+1].(type) {
		case error:
			out = append(out, zap.NamedError(key, v))
		default:
			out = append(out, zap.Any(key, v))
		}
	}
	return out
}
