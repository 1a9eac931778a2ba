// Command codecserver is the vb365-restore codec server: it decodes (and
// encodes) the worker's encrypted payloads for the Temporal Web UI and CLI
// over Temporal's remote codec protocol, for authorized callers only. It is
// configured from the environment; run it with -h for the variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/logging"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // could not start or serve
	exitConfig = 2 // a bad or missing variable
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run serves until ctx ends. ready, when not nil, receives the listening
// address.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer, ready chan<- string) int {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "help":
			usage(stdout)
			return exitOK
		default:
			fmt.Fprintf(stderr, "codecserver: unexpected argument %q: it is configured from the environment (see codecserver -h)\n", a)
			return exitConfig
		}
	}
	cfg, err := config.LoadCodecServer(environ)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			fmt.Fprintln(stderr, "codecserver: bad configuration:")
			for _, p := range cerr.Problems {
				fmt.Fprintln(stderr, "  "+p.Message)
			}
			fmt.Fprintln(stderr, "see codecserver -h for every variable")
		} else {
			fmt.Fprintln(stderr, "codecserver:", err)
		}
		return exitConfig
	}
	logger, err := logging.NewWriter(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(stderr, "codecserver:", err)
		return exitConfig
	}
	defer func() { _ = logger.Sync() }()

	var auth authorizer
	switch cfg.Auth {
	case config.CodecAuthToken:
		auth = staticTokens(cfg.Tokens)
	case config.CodecAuthOIDC:
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		o, err := newOIDC(octx, cfg.OIDCIssuer, cfg.OIDCAudience)
		cancel()
		if err != nil {
			logger.Error("cannot read the OIDC issuer's configuration (CODEC_OIDC_ISSUER)",
				zap.String("issuer", cfg.OIDCIssuer), zap.Error(err))
			return exitFailed
		}
		auth = o
	case config.CodecAuthNone:
		logger.Warn("CODEC_AUTH=none: anyone who can reach " + cfg.ListenAddr + " can decode payloads")
		auth = anonymous{}
	}

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		logger.Error("cannot listen (CODEC_LISTEN_ADDR)", zap.String("addr", cfg.ListenAddr), zap.Error(err))
		return exitFailed
	}
	srv := &http.Server{
		Handler:           newServer(cfg.PayloadKeys, auth, cfg.Namespaces, cfg.CORSOrigins, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
	}
	logger.Info("codec server listening",
		zap.String("addr", ln.Addr().String()),
		zap.String("auth", cfg.Auth),
		zap.Strings("namespaces", cfg.Namespaces),
		zap.Strings("corsOrigins", cfg.CORSOrigins),
		zap.Stringer("payloadKeys", cfg.PayloadKeys))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return exitOK
	case err := <-errc:
		logger.Error("codec server stopped", zap.Error(err))
		return exitFailed
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "codecserver: decodes vb365-restore's encrypted payloads for the Temporal Web UI and CLI")
	fmt.Fprintln(w, "(Temporal's remote codec protocol: POST /encode, POST /decode, header X-Namespace).")
	fmt.Fprintln(w, "Configuration comes from the environment:")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, v := range config.CodecServerVariables() {
		def := v.Default
		switch {
		case v.Required:
			def = "(required)"
		case def == "":
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, def, v.Description)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when it cannot start or serve, 2 for a bad or missing variable.")
}
