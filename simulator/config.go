package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
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
	users        map[string]string
	// behaviour holds the switches given on the command line (only those:
	// the others keep the scenario's values); proxyOffline names the
	// organizations whose proxy is offline.
	behaviour    vb365sim.Behaviour
	proxyOffline []string
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

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
	var users, proxyOffline listFlag
	fs.Var(&users, "user", "another account NAME:PASSWORD (repeatable)")
	fs.Var(&proxyOffline, "proxy-offline", "organization id whose backup proxy is offline, or \"all\" (repeatable)")
	var skew, stopDelay, idle time.Duration
	var zone string
	var stopIgnored, maxOpen int
	fs.DurationVar(&skew, "clock-skew", 0, "the server's clock off the caller's, e.g. -3m")
	fs.StringVar(&zone, "time-zone", "", "the server's IANA time zone for zone-less organization times (empty: UTC with Z)")
	fs.DurationVar(&stopDelay, "stop-delay", 0, "sessions stay Working that long after a 2xx stop")
	fs.IntVar(&stopIgnored, "stop-ignored", 0, "the first N stops answer 2xx and do nothing")
	fs.DurationVar(&idle, "idle-timeout", vb365sim.DefaultIdleTimeout, "the server stops sessions no request named for that long (0: never)")
	fs.IntVar(&maxOpen, "max-open-sessions", 0, "explore answers 500 while that many sessions are Working (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	fs.Visit(func(f *flag.Flag) {
		b := &c.behaviour
		switch f.Name {
		case "clock-skew":
			b.ClockSkew = new(vb365sim.Duration(skew))
		case "time-zone":
			b.TimeZone = new(zone)
		case "stop-delay":
			b.StopDelay = new(vb365sim.Duration(stopDelay))
		case "stop-ignored":
			b.StopIgnored = new(stopIgnored)
		case "idle-timeout":
			b.IdleTimeout = new(vb365sim.Duration(idle))
		case "max-open-sessions":
			b.MaxOpenSessions = new(maxOpen)
		}
	})
	for _, u := range users {
		name, pw, ok := strings.Cut(u, ":")
		if !ok || name == "" {
			return c, fmt.Errorf("--user %q: want NAME:PASSWORD", u)
		}
		if c.users == nil {
			c.users = map[string]string{}
		}
		c.users[name] = pw
	}
	for _, id := range proxyOffline {
		for _, id := range strings.Split(id, ",") {
			if id = strings.TrimSpace(id); strings.EqualFold(id, "all") {
				c.behaviour.ProxyOffline = new(true)
			} else if id != "" {
				c.proxyOffline = append(c.proxyOffline, id)
			}
		}
	}
	if err := vb365sim.ValidateBehaviour(c.behaviour); err != nil {
		return c, errors.New("--" + flagOf(err.Error()) + ": " + err.Error())
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

// flagOf names the command line flag of a behaviour error ("behaviour:
// stopDelay ..." -> "stop-delay").
func flagOf(msg string) string {
	for field, flag := range map[string]string{"clockSkew": "clock-skew", "timeZone": "time-zone", "stopDelay": "stop-delay",
		"stopIgnored": "stop-ignored", "idleTimeout": "idle-timeout", "maxOpenSessions": "max-open-sessions"} {
		if strings.Contains(msg, field+" ") {
			return flag
		}
	}
	return "behaviour"
}
