package main

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
	"github.com/vb365-restore/vb365-restore/internal/temporalclient"
)

// dialTemporal connects with the worker's payload encryption
// (PAYLOAD_KEYS_FILE): the starter encrypts the restore's input and decodes
// its status and report.
func dialTemporal(ctx context.Context, cfg config.Temporal) (client.Client, error) {
	opts, err := clientOptions(cfg)
	if err != nil {
		return nil, err
	}
	return temporalclient.Connect(ctx, opts)
}

func clientOptions(cfg config.Temporal) (client.Options, error) {
	opts, err := temporalclient.Options(cfg, quietLogger{}, nil)
	if err != nil {
		return client.Options{}, err
	}
	payloadcrypt.Apply(&opts, cfg.PayloadKeys)
	return opts, nil
}
