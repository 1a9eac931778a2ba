package config

import (
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"

	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

// Codec server authorization modes (CODEC_AUTH).
const (
	CodecAuthToken = "token" // static bearer tokens from CODEC_TOKENS_FILE
	CodecAuthOIDC  = "oidc"  // a JWT signed by CODEC_OIDC_ISSUER's keys
	CodecAuthNone  = "none"  // anonymous: only on a loopback address
)

// CodecServer is the codec server's configuration: the payload keys it
// encodes and decodes with, who may call it and from which Web UI.
type CodecServer struct {
	ListenAddr      string   `env:"CODEC_LISTEN_ADDR" envDefault:"127.0.0.1:8089" desc:"listen address (host:port)"`
	PayloadKeysFile string   `env:"PAYLOAD_KEYS_FILE" required:"true" desc:"the worker's payload key file (JSON or YAML)"`
	Namespaces      []string `env:"CODEC_NAMESPACES" required:"true" desc:"namespaces it serves (the X-Namespace header), comma-separated"`
	CORSOrigins     []string `env:"CODEC_CORS_ORIGINS" desc:"Web UI origins allowed to call it from a browser, comma-separated, such as https://temporal.example.com"`
	Auth            string   `env:"CODEC_AUTH" envDefault:"token" desc:"token (bearer tokens from CODEC_TOKENS_FILE), oidc (a JWT from CODEC_OIDC_ISSUER) or none (anonymous; only on a loopback CODEC_LISTEN_ADDR)"`
	TokensFile      string   `env:"CODEC_TOKENS_FILE" desc:"file of accepted bearer tokens, one a line (# comments); for CODEC_AUTH=token"`
	OIDCIssuer      string   `env:"CODEC_OIDC_ISSUER" desc:"OIDC issuer URL whose keys sign the Web UI users' tokens; for CODEC_AUTH=oidc"`
	OIDCAudience    string   `env:"CODEC_OIDC_AUDIENCE" desc:"audience (client id) the tokens must carry; required for CODEC_AUTH=oidc"`
	LogLevel        string   `env:"LOG_LEVEL" envDefault:"info" desc:"debug, info, warn or error"`
	LogFormat       string   `env:"LOG_FORMAT" envDefault:"json" desc:"json or console"`

	// PayloadKeys and Tokens are read from their files by LoadCodecServer.
	PayloadKeys *payloadcrypt.Keys `json:"-"`
	Tokens      []Secret           `json:"-"`
}

// CodecServerVariables lists the codec server's variables.
func CodecServerVariables() []Variable { return variables(reflect.TypeOf(CodecServer{})) }

// LoadCodecServer reads and checks the codec server's configuration from
// environ (os.Environ() form), reading the key and token files. The error,
// an *Error, names every bad or missing variable.
func LoadCodecServer(environ []string) (CodecServer, error) {
	vars := toMap(environ)
	var cfg CodecServer
	var p problems
	parse(&cfg, vars, &p)
	for _, v := range CodecServerVariables() {
		if v.Required && strings.TrimSpace(vars[v.Name]) == "" {
			p.add(v.Name, "%s is required", v.Name)
		}
	}
	if cfg.PayloadKeysFile != "" {
		keys, err := payloadcrypt.LoadKeysFile(cfg.PayloadKeysFile)
		if err != nil {
			p.add("PAYLOAD_KEYS_FILE", "PAYLOAD_KEYS_FILE: %v", err)
		}
		cfg.PayloadKeys = keys
	}
	cfg.Namespaces = trimmed(cfg.Namespaces)
	cfg.CORSOrigins = trimmed(cfg.CORSOrigins)
	for _, o := range cfg.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			p.add("CODEC_CORS_ORIGINS", "CODEC_CORS_ORIGINS %q: want origins such as https://temporal.example.com (scheme, host and port only)", o)
		}
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil || port == "" {
		p.add("CODEC_LISTEN_ADDR", "CODEC_LISTEN_ADDR %q: want host:port such as 127.0.0.1:8089", cfg.ListenAddr)
	}
	switch cfg.Auth {
	case CodecAuthToken:
		cfg.Tokens = readTokens(&p, cfg.TokensFile)
	case CodecAuthOIDC:
		u, err := url.Parse(cfg.OIDCIssuer)
		if cfg.OIDCIssuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.add("CODEC_OIDC_ISSUER", "CODEC_OIDC_ISSUER %q: CODEC_AUTH=oidc needs the issuer's URL, such as https://login.example.com/realms/ops", cfg.OIDCIssuer)
		}
		if strings.TrimSpace(cfg.OIDCAudience) == "" {
			p.add("CODEC_OIDC_AUDIENCE", "CODEC_OIDC_AUDIENCE is required with CODEC_AUTH=oidc: the audience (client id) the Web UI's tokens carry")
		}
	case CodecAuthNone:
		if err == nil && !isLoopback(host) {
			p.add("CODEC_AUTH", "CODEC_AUTH=none (anonymous) is only allowed on a loopback CODEC_LISTEN_ADDR such as 127.0.0.1:8089, not %q", cfg.ListenAddr)
		}
	default:
		p.add("CODEC_AUTH", "CODEC_AUTH %q: want token, oidc or none", cfg.Auth)
	}
	switch strings.ToLower(cfg.LogLevel) {
	case "debug", "info", "warn", "error":
		cfg.LogLevel = strings.ToLower(cfg.LogLevel)
	default:
		p.add("LOG_LEVEL", "LOG_LEVEL %q: want debug, info, warn or error", cfg.LogLevel)
	}
	switch strings.ToLower(cfg.LogFormat) {
	case "json", "console":
		cfg.LogFormat = strings.ToLower(cfg.LogFormat)
	default:
		p.add("LOG_FORMAT", "LOG_FORMAT %q: want json or console", cfg.LogFormat)
	}
	return cfg, p.err()
}

func readTokens(p *problems, file string) []Secret {
	if file == "" {
		p.add("CODEC_TOKENS_FILE", "CODEC_TOKENS_FILE is required with CODEC_AUTH=token (the default); or set CODEC_AUTH=oidc")
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		p.add("CODEC_TOKENS_FILE", "CODEC_TOKENS_FILE: %v", err)
		return nil
	}
	var tokens []Secret
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 16 {
			p.add("CODEC_TOKENS_FILE", "CODEC_TOKENS_FILE %s: a token is shorter than 16 characters", file)
			return nil
		}
		tokens = append(tokens, Secret(line))
	}
	if len(tokens) == 0 {
		p.add("CODEC_TOKENS_FILE", "CODEC_TOKENS_FILE %s holds no token", file)
	}
	return tokens
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func trimmed(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// String prints every variable with its effective value, secrets redacted.
func (c CodecServer) String() string { return render(values(reflect.ValueOf(c))) }
