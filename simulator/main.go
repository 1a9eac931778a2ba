// Command simulator serves the VB365 REST API simulator (package
// vb365/vb365sim): HTTPS on 127.0.0.1:4443 with a self-signed certificate
// generated at start. See docs/simulator.md.
//
//	go run ./simulator [--addr HOST:PORT] [--insecure-http] [--username U] [--password P]
//	    [--token-ttl 60m] [--scenario FILE] [--ca-out FILE] [--versions v5,v6,v7,v8] [--cert-hosts NAMES] [--debug]
//	    [--user NAME:PASSWORD]... [--clock-skew -3m] [--time-zone Europe/Berlin] [--stop-delay 20s]
//	    [--stop-ignored N] [--idle-timeout 30m] [--max-open-sessions N] [--proxy-offline ORGID|all]...
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(1)
	}
}
