// Package temporalclient connects to Temporal as internal/config.Temporal
// says (its connection is read by the SDK's envconfig: plain, TLS with a
// custom CA, mTLS, or an API key).
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

// Options returns the client options of cfg's connection with logger and
// metrics, which may be nil, and the payload encryption of cfg's keys (none
// when PAYLOAD_KEYS_FILE is unset): the worker and the starter read and
// write payloads alike.
func Options(cfg config.Temporal, logger log.Logger, metrics client.MetricsHandler) client.Options {
	opts := cfg.Connection
	opts.Logger = logger
	opts.MetricsHandler = metrics
	payloadcrypt.Apply(&opts, cfg.PayloadKeys)
	return opts
}

// Dial connects to Temporal (the SDK checks the connection once). logger and
// metrics may be nil.
func Dial(ctx context.Context, cfg config.Temporal, logger log.Logger, metrics client.MetricsHandler) (client.Client, error) {
	return Connect(ctx, Options(cfg, logger, metrics))
}

// Connect connects with options built by Options.
func Connect(ctx context.Context, opts client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s, TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE or TEMPORAL_PROFILE): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}
