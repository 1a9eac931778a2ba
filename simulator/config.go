package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

type config struct {
	addr         string
	insecureHTTP bool
	username     string
	password     string
	tokenTTL     time.Duration
	scenario     string
	caOut        string
	versions     []string
	certHosts    []string
	debug        bool
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var versions string
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:4443", "listen address HOST:PORT")
	fs.BoolVar(&c.insecureHTTP, "insecure-http", false, "serve plain HTTP instead of HTTPS")
	fs.StringVar(&c.username, "username", "admin", "user name accepted by POST /vN/token")
	fs.StringVar(&c.password, "password", "admin", "password accepted by POST /vN/token")
	fs.DurationVar(&c.tokenTTL, "token-ttl", 60*time.Minute, "access token lifetime")
	fs.StringVar(&c.scenario, "scenario", "", "scenario JSON file replacing the built-in data")
	fs.StringVar(&c.caOut, "ca-out", "", "write the CA certificate (PEM) of the generated TLS certificate to this file")
	fs.StringVar(&versions, "versions", "v5,v6,v7,v8", "API versions served, comma-separated")
	fs.BoolVar(&c.debug, "debug", false, "log every request")
	var certHosts string
	fs.StringVar(&certHosts, "cert-hosts", "", "extra names or IPs for the generated certificate, comma-separated")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, h := range strings.Split(certHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.certHosts = append(c.certHosts, h)
		}
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.tokenTTL <= 0 {
		return c, errors.New("--token-ttl must be positive")
	}
	if c.username == "" {
		return c, errors.New("--username must not be empty")
	}
	for _, v := range strings.Split(versions, ",") {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		switch v {
		case "v5", "v6", "v7", "v8":
			c.versions = append(c.versions, v)
		default:
			return c, fmt.Errorf("--versions: unknown version %q (use v5, v6, v7, v8)", v)
		}
	}
	if len(c.versions) == 0 {
		return c, errors.New("--versions must name at least one version")
	}
	if c.insecureHTTP && c.caOut != "" {
		return c, errors.New("--ca-out needs HTTPS: drop --insecure-http")
	}
	return c, nil
}
