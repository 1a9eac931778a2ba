package main

import (
	"context"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

// devKeyID names the dev stack's payload key.
const devKeyID = "devstack"

func (o options) keysFile() string  { return o.path("payload-keys.json") }
func (o options) codecAddr() string { return listenIP + ":" + strconv.Itoa(o.codecPort) }
func (o options) codecURL() string  { return "http://" + o.codecAddr() }

// ensureKeys creates the dev stack's payload key file on the first run and
// keeps it afterwards: the Temporal database outlives a run, and its
// histories must still decode.
func ensureKeys(o options) (*payloadcrypt.Keys, error) {
	return payloadcrypt.EnsureKeyFile(o.keysFile(), devKeyID, false)
}

// clientOptions are the options of the dev stack's own clients (the demo and
// its follower): they encrypt and decode as the worker does.
func (s *stack) clientOptions() client.Options {
	opts := client.Options{HostPort: s.opts.temporalAddr(), Namespace: namespace, Logger: logging.Discard()}
	payloadcrypt.Apply(&opts, s.keys)
	return opts
}

// startCodecServer runs the codec server anonymously on loopback (the dev
// server's Web UI sends no token), for the Web UI's origins only.
func (s *stack) startCodecServer(ctx context.Context) error {
	o := s.opts
	step(s.out, "codec server on %s", o.codecURL())
	start := time.Now()
	return s.startReady(ctx, start, "codecserver", s.codecEnv(), 30*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, o.codecURL()+"/healthz")
	})
}

func (s *stack) codecEnv() []string {
	o := s.opts
	return cleanEnv(
		"PAYLOAD_KEYS_FILE="+o.keysFile(),
		"CODEC_LISTEN_ADDR="+o.codecAddr(),
		"CODEC_NAMESPACES="+namespace,
		"CODEC_AUTH=none",
		"CODEC_CORS_ORIGINS="+o.uiURL()+",http://"+listenIP+":"+strconv.Itoa(o.uiPort),
		"LOG_FORMAT=console",
	)
}
