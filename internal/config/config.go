// Package config reads the worker's and the starter's configuration from the
// environment. Every variable is checked up front: Load reports all the bad or
// missing ones at once, each by its name.
package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	// The zone database is embedded so VB365_SERVER_TIME_ZONE works in an
	// image without one.
	_ "time/tzdata"

	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// Temporal is how to reach the Temporal service; the worker and the starter share it.
//
// The connection (address, namespace, API key, TLS) is read as the temporal
// CLI and Temporal's SDKs read it, by the SDK's envconfig: the profile
// TEMPORAL_PROFILE (default "default") of the TOML file TEMPORAL_CONFIG_FILE
// (default: the CLI's temporal.toml), overridden by the standard variables
// listed by ConnectionVariables. Task queue and Web UI link are this
// product's own settings.
type Temporal struct {
	TaskQueue string `env:"TEMPORAL_TASK_QUEUE" envDefault:"vb365-restore" desc:"task queue the worker polls and the starter starts restores on"`
	UIURL     string `env:"TEMPORAL_UI_URL" envDefault:"http://localhost:8233" desc:"Temporal Web UI base URL, for links"`

	// Connection is the client options envconfig built (no logger, metrics
	// or data converter yet).
	Connection client.Options `env:"-" json:"-"`
	// Address and Namespace are the connection's effective values.
	Address   string `env:"-" show:"TEMPORAL_ADDRESS"`
	Namespace string `env:"-" show:"TEMPORAL_NAMESPACE"`

	// PayloadKeysFile turns payload encryption on; PayloadKeys are its keys,
	// read by Load and LoadTemporal (nil: payloads are not encrypted).
	PayloadKeysFile string             `env:"PAYLOAD_KEYS_FILE" desc:"key file (JSON or YAML) that turns payload encryption on: key ids with base64 AES-256 keys, and the current one; unset: payloads unencrypted (warned)"`
	PayloadKeys     *payloadcrypt.Keys `json:"-"`
}

// ConnectionVariables lists the standard variables of the Temporal
// connection that envconfig reads (besides TEMPORAL_CODEC_*, TEMPORAL_GRPC_META_*
// and TEMPORAL_CLIENT_AUTHORITY, which this product does not document).
func ConnectionVariables() []Variable {
	return []Variable{
		{Name: "TEMPORAL_ADDRESS", Default: client.DefaultHostPort, Description: "Temporal frontend host:port"},
		{Name: "TEMPORAL_NAMESPACE", Default: client.DefaultNamespace, Description: "Temporal namespace"},
		{Name: "TEMPORAL_API_KEY", Secret: true, Description: "API key (Temporal Cloud); turns TLS on"},
		{Name: "TEMPORAL_TLS", Description: "true or false: TLS on or off (default: on when an API key or a TLS setting is given)"},
		{Name: "TEMPORAL_TLS_CLIENT_CERT_PATH", Description: "client certificate file (PEM) for mTLS; needs TEMPORAL_TLS_CLIENT_KEY_PATH"},
		{Name: "TEMPORAL_TLS_CLIENT_KEY_PATH", Description: "client private key file (PEM) for mTLS"},
		{Name: "TEMPORAL_TLS_SERVER_CA_CERT_PATH", Description: "CA certificate file (PEM) to verify the Temporal server"},
		{Name: "TEMPORAL_TLS_SERVER_NAME", Description: "server name to verify in the Temporal server's certificate"},
		{Name: "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", Description: "true skips verifying the server's host name"},
		{Name: "TEMPORAL_PROFILE", Default: "default", Description: "profile of the TOML configuration file"},
		{Name: "TEMPORAL_CONFIG_FILE", Description: "the TOML configuration file (default: the temporal CLI's, temporalio/temporal.toml in the user configuration folder)"},
	}
}

// WorkflowURL is the Web UI link of a workflow.
func (t Temporal) WorkflowURL(workflowID string) string {
	return strings.TrimRight(t.UIURL, "/") + "/namespaces/" + url.PathEscape(t.Namespace) +
		"/workflows/" + url.PathEscape(workflowID)
}

// Worker is the production worker's configuration.
type Worker struct {
	Temporal

	VB365URL          string        `env:"VB365_URL" required:"true" desc:"VB365 REST API base URL, for example https://vb365.example.com:4443"`
	VB365Username     string        `env:"VB365_USERNAME" required:"true" desc:"VB365 user name"`
	VB365Password     Secret        `env:"VB365_PASSWORD" secret:"true" oneOf:"password" desc:"VB365 password (or VB365_PASSWORD_FILE; one of them is required)"`
	VB365PasswordFile string        `env:"VB365_PASSWORD_FILE" oneOf:"password" desc:"file holding the VB365 password, trimmed (for mounted secrets)"`
	VB365APIVersion   string        `env:"VB365_API_VERSION" envDefault:"auto" desc:"VB365 API version: auto, v5, v6, v7 or v8"`
	VB365CAFile       string        `env:"VB365_CA_FILE" desc:"extra CA certificate file (PEM) to verify the VB365 server"`
	VB365InsecureSkip bool          `env:"VB365_INSECURE_SKIP_VERIFY" envDefault:"false" desc:"skip TLS verification of the VB365 server (logged as a warning)"`
	VB365Timeout      time.Duration `env:"VB365_TIMEOUT" envDefault:"30s" desc:"timeout of each VB365 HTTP request"`
	VB365Budget
	// VB365ServerTimeZone is the zone VB365 writes zone-less times in (its
	// server's local time; organizations' backup times, per its documents).
	VB365ServerTimeZone string `env:"VB365_SERVER_TIME_ZONE" envDefault:"UTC" desc:"IANA time zone of the VB365 server (for example Europe/Berlin), for the times VB365 sends without a zone"`
	// VB365RestoreCredentialsFile names the Microsoft 365 credential
	// profiles restore actions use; RestoreCredentials are its profiles,
	// read by Load (nil: none).
	VB365RestoreCredentialsFile string                     `env:"VB365_RESTORE_CREDENTIALS_FILE" desc:"file (JSON or YAML) of named Microsoft 365 credential profiles that restore actions to the original location use"`
	RestoreCredentials          *RestoreCredentialProfiles `json:"-"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info" desc:"debug, info, warn or error"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json" desc:"json or console"`

	MetricsAddr string `env:"METRICS_ADDR" envDefault:":9090" desc:"listen address of /metrics, /healthz and /readyz; empty turns it off"`
	// MetricsPprof is off by default: the profiles show the worker's
	// internals (stacks, allocation sites) to whoever reaches METRICS_ADDR.
	MetricsPprof bool `env:"METRICS_PPROF" envDefault:"false" desc:"true also serves Go's runtime profiles (/debug/pprof/: heap, goroutines, CPU) on METRICS_ADDR, for diagnosing memory and CPU"`

	WorkerStopTimeout          time.Duration `env:"WORKER_STOP_TIMEOUT" envDefault:"20s" desc:"on SIGTERM, how long running activities get to finish; keep it below the pod's termination grace period"`
	ConnectTimeout             time.Duration `env:"TEMPORAL_CONNECT_TIMEOUT" envDefault:"2m" desc:"how long the worker retries its first connection to Temporal before giving up (0: forever)"`
	MaxConcurrentActivities    int           `env:"MAX_CONCURRENT_ACTIVITIES" envDefault:"0" desc:"activity slots of this worker (each open restore session holds one while polling); 0 keeps the SDK default (1000)"`
	MaxConcurrentWorkflowTasks int           `env:"MAX_CONCURRENT_WORKFLOW_TASKS" envDefault:"0" desc:"workflow task slots of this worker; 0 keeps the SDK default (1000)"`
	Memory
}

// Version returns the parsed VB365_API_VERSION.
func (w Worker) Version() vb365.Version {
	v, err := vb365.ParseVersion(w.VB365APIVersion)
	if err != nil {
		return vb365.VersionAuto
	}
	return v
}

// ServerTimeZone returns the parsed VB365_SERVER_TIME_ZONE (UTC when unset
// or bad; Load reports a bad one).
func (w Worker) ServerTimeZone() *time.Location {
	loc, err := loadZone(w.VB365ServerTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// loadZone reads an IANA zone name; empty means UTC. "Local" is refused: the
// worker's own zone says nothing about the VB365 server's.
func loadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC, nil
	}
	if strings.EqualFold(name, "Local") {
		return nil, errors.New("the worker's local zone is not a server's zone")
	}
	return time.LoadLocation(name)
}

// Error lists every bad or missing variable.
type Error struct {
	Problems []Problem
}

// Problem is one bad or missing variable.
type Problem struct {
	Variable string
	Message  string // the whole sentence, naming the variable
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	if len(msgs) == 1 {
		return "configuration: " + msgs[0]
	}
	return "configuration: " + strings.Join(msgs, "; ")
}

// Variables names the variables the error is about, in order.
func (e *Error) Variables() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Variable
	}
	return out
}

type problems struct{ list []Problem }

func (p *problems) add(name, format string, args ...any) {
	p.list = append(p.list, Problem{Variable: name, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &Error{Problems: p.list}
}

// LoadTemporal reads the Temporal settings from environ (os.Environ() form).
func LoadTemporal(environ []string) (Temporal, error) {
	vars := toMap(environ)
	var cfg Temporal
	var p problems
	parse(&cfg, vars, &p)
	checkTemporal(&cfg, vars, &p)
	loadPayloadKeys(&cfg, &p)
	return cfg, p.err()
}

// Load reads the worker's configuration from environ (os.Environ() form) and
// checks every variable. VB365_PASSWORD_FILE is read here. The error, an
// *Error, names every bad or missing variable.
func Load(environ []string) (Worker, error) {
	vars := toMap(environ)
	var cfg Worker
	var p problems
	parse(&cfg, vars, &p)
	checkTemporal(&cfg.Temporal, vars, &p)
	loadPayloadKeys(&cfg.Temporal, &p)
	loadRestoreCredentials(&cfg, &p)

	for _, v := range WorkerVariables() {
		if v.Required && strings.TrimSpace(vars[v.Name]) == "" {
			p.add(v.Name, "%s is required", v.Name)
		}
	}
	if cfg.VB365URL != "" {
		u, err := url.Parse(cfg.VB365URL)
		switch {
		case err != nil:
			// Unparsed, it cannot be redacted: never show it.
			p.add("VB365_URL", "VB365_URL is not a URL: want an http(s) URL such as https://vb365.example.com:4443")
		case u.User != nil:
			p.add("VB365_URL", "VB365_URL must not carry credentials: use VB365_USERNAME and VB365_PASSWORD (VB365_URL is %q)", u.Redacted())
		case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			p.add("VB365_URL", "VB365_URL %q: want an http(s) URL such as https://vb365.example.com:4443", u.Redacted())
		}
	}
	switch {
	case cfg.VB365Password != "" && cfg.VB365PasswordFile != "":
		p.add("VB365_PASSWORD", "VB365_PASSWORD and VB365_PASSWORD_FILE are both set: set only one")
	case cfg.VB365PasswordFile != "":
		b, err := os.ReadFile(cfg.VB365PasswordFile)
		switch {
		case err != nil:
			p.add("VB365_PASSWORD_FILE", "VB365_PASSWORD_FILE: %v", err)
		case strings.TrimSpace(string(b)) == "":
			p.add("VB365_PASSWORD_FILE", "VB365_PASSWORD_FILE %q is empty", cfg.VB365PasswordFile)
		default:
			cfg.VB365Password = Secret(strings.TrimSpace(string(b)))
		}
	case cfg.VB365Password == "":
		p.add("VB365_PASSWORD", "VB365_PASSWORD or VB365_PASSWORD_FILE is required")
	}
	if _, err := vb365.ParseVersion(cfg.VB365APIVersion); err != nil {
		p.add("VB365_API_VERSION", "VB365_API_VERSION %q: want auto, v5, v6, v7 or v8", cfg.VB365APIVersion)
	}
	checkFile(&p, "VB365_CA_FILE", cfg.VB365CAFile)
	if _, err := loadZone(cfg.VB365ServerTimeZone); err != nil {
		p.add("VB365_SERVER_TIME_ZONE", "VB365_SERVER_TIME_ZONE %q: want an IANA time zone name such as UTC or Europe/Berlin", cfg.VB365ServerTimeZone)
	}
	if _, ok := vars["VB365_TIMEOUT"]; ok && cfg.VB365Timeout <= 0 && !hasProblem(&p, "VB365_TIMEOUT") {
		p.add("VB365_TIMEOUT", "VB365_TIMEOUT %q: want a positive duration such as 30s", vars["VB365_TIMEOUT"])
	}
	checkBudget(cfg.VB365Budget, vars, &p)
	checkMemory(&cfg.Memory, vars, &p)
	checkLog(&cfg.LogLevel, &cfg.LogFormat, &p)
	if v, ok := vars["METRICS_ADDR"]; ok && strings.TrimSpace(v) == "" {
		cfg.MetricsAddr = "" // set and empty: off (env would apply the default)
	}
	if cfg.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(cfg.MetricsAddr); err != nil || port == "" {
			p.add("METRICS_ADDR", "METRICS_ADDR %q: want [host]:port such as :9090, or empty to turn it off", cfg.MetricsAddr)
		}
	}
	if cfg.WorkerStopTimeout < 0 && !hasProblem(&p, "WORKER_STOP_TIMEOUT") {
		p.add("WORKER_STOP_TIMEOUT", "WORKER_STOP_TIMEOUT %q: want a duration of 0 or more, such as 20s", vars["WORKER_STOP_TIMEOUT"])
	}
	if cfg.ConnectTimeout < 0 && !hasProblem(&p, "TEMPORAL_CONNECT_TIMEOUT") {
		p.add("TEMPORAL_CONNECT_TIMEOUT", "TEMPORAL_CONNECT_TIMEOUT %q: want a duration of 0 or more, such as 2m", vars["TEMPORAL_CONNECT_TIMEOUT"])
	}
	if cfg.MaxConcurrentActivities < 0 {
		p.add("MAX_CONCURRENT_ACTIVITIES", "MAX_CONCURRENT_ACTIVITIES %d: want 0 (SDK default) or more", cfg.MaxConcurrentActivities)
	}
	if cfg.MaxConcurrentWorkflowTasks < 0 {
		p.add("MAX_CONCURRENT_WORKFLOW_TASKS", "MAX_CONCURRENT_WORKFLOW_TASKS %d: want 0 (SDK default) or more", cfg.MaxConcurrentWorkflowTasks)
	}
	return cfg, p.err()
}

// renamedTemporalVars are settings of earlier releases whose values the
// SDK's envconfig reads under Temporal's standard names. A deployment still
// setting one would silently lose its TLS setting, so it is refused.
var renamedTemporalVars = map[string]string{
	"TEMPORAL_TLS_CERT": "TEMPORAL_TLS_CLIENT_CERT_PATH",
	"TEMPORAL_TLS_KEY":  "TEMPORAL_TLS_CLIENT_KEY_PATH",
	"TEMPORAL_TLS_CA":   "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
}

// checkTemporal loads the connection with envconfig and checks it and the
// product's Temporal settings.
func checkTemporal(t *Temporal, vars map[string]string, p *problems) {
	for _, old := range slices.Sorted(maps.Keys(renamedTemporalVars)) {
		if _, set := vars[old]; set {
			p.add(old, "%s is no longer read: set %s instead", old, renamedTemporalVars[old])
		}
	}
	loadConnection(t, vars, p)
	if host, port, err := net.SplitHostPort(t.Address); err != nil || host == "" || port == "" {
		p.add("TEMPORAL_ADDRESS", "TEMPORAL_ADDRESS %q: want host:port such as localhost:7233", t.Address)
	}
	if strings.TrimSpace(t.Namespace) == "" {
		p.add("TEMPORAL_NAMESPACE", "TEMPORAL_NAMESPACE is empty")
	}
	if strings.TrimSpace(t.TaskQueue) == "" {
		p.add("TEMPORAL_TASK_QUEUE", "TEMPORAL_TASK_QUEUE is empty")
	}
	if t.UIURL != "" {
		u, err := url.Parse(t.UIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.add("TEMPORAL_UI_URL", "TEMPORAL_UI_URL %q: want an http(s) URL such as http://localhost:8233", t.UIURL)
		}
	}
}

func checkFile(p *problems, name, path string) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		p.add(name, "%s: %v", name, err)
		return
	}
	_ = f.Close()
}

// checkLog lower-cases LOG_LEVEL and LOG_FORMAT in place, or records a
// problem naming the variable when the value is not one the logger knows.
func checkLog(level, format *string, p *problems) {
	switch strings.ToLower(*level) {
	case "debug", "info", "warn", "error":
		*level = strings.ToLower(*level)
	default:
		p.add("LOG_LEVEL", "LOG_LEVEL %q: want debug, info, warn or error", *level)
	}
	switch strings.ToLower(*format) {
	case "json", "console":
		*format = strings.ToLower(*format)
	default:
		p.add("LOG_FORMAT", "LOG_FORMAT %q: want json or console", *format)
	}
}

func hasProblem(p *problems, name string) bool {
	for _, x := range p.list {
		if x.Variable == name {
			return true
		}
	}
	return false
}

// parse fills cfg with caarlos0/env and turns its errors into problems named
// by variable.
func parse(cfg any, vars map[string]string, p *problems) {
	err := env.ParseWithOptions(cfg, env.Options{Environment: vars})
	if err == nil {
		return
	}
	byField := map[string]Variable{}
	for _, v := range variables(reflect.TypeOf(cfg).Elem()) {
		byField[v.field] = v
	}
	errs := []error{err}
	var agg env.AggregateError
	if errors.As(err, &agg) {
		errs = agg.Errors
	}
	for _, e := range errs {
		var pe env.ParseError
		if errors.As(e, &pe) {
			v, ok := byField[pe.Name]
			if !ok {
				p.add(pe.Name, "%v", pe)
				continue
			}
			p.add(v.Name, "%s %q: %s", v.Name, vars[v.Name], want(v.kind))
			continue
		}
		p.add("", "%v", e)
	}
}

func want(k reflect.Type) string {
	switch {
	case k == reflect.TypeOf(time.Duration(0)):
		return "want a duration such as 30s or 2m"
	case k.Kind() == reflect.Bool:
		return "want true or false"
	case k.Kind() == reflect.Int:
		return "want a whole number"
	case k.Kind() == reflect.Float64:
		return "want a number"
	}
	return "bad value"
}

func toMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			m[k] = v
		}
	}
	return m
}

// loadConnection reads the connection with the SDK's envconfig from vars and
// builds its client options (reading the TLS files), so that a bad setting
// exits before anything starts. An environment without HOME (a test's, or a
// bare container's) has no profile file unless TEMPORAL_CONFIG_FILE names
// one: envconfig would otherwise look in this process's own home.
func loadConnection(t *Temporal, vars map[string]string, p *problems) {
	_, home := vars["HOME"]
	_, xdg := vars["XDG_CONFIG_HOME"]
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{
		EnvLookup:   mapLookup(vars),
		DisableFile: vars["TEMPORAL_CONFIG_FILE"] == "" && !home && !xdg,
	})
	if err != nil {
		p.add(connectionVariable(err), "Temporal connection (TEMPORAL_CONFIG_FILE %q, TEMPORAL_PROFILE %q): %v",
			vars["TEMPORAL_CONFIG_FILE"], vars["TEMPORAL_PROFILE"], err)
		return
	}
	if s, ok := vars["TEMPORAL_TLS"]; ok {
		if _, err := strconv.ParseBool(s); err != nil {
			p.add("TEMPORAL_TLS", "TEMPORAL_TLS %q: want true or false", s)
		}
	}
	t.Address, t.Namespace = prof.Address, prof.Namespace
	if t.Address == "" {
		t.Address = client.DefaultHostPort
	}
	if t.Namespace == "" {
		t.Namespace = client.DefaultNamespace
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		p.add(connectionVariable(err), "Temporal connection (TEMPORAL_TLS_* or the profile's tls): %v", err)
		return
	}
	opts.HostPort, opts.Namespace = t.Address, t.Namespace
	t.Connection = opts
}

// connectionVariable names the variable an envconfig error is most likely
// about.
func connectionVariable(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "TLS"):
		return "TEMPORAL_TLS"
	case strings.Contains(msg, "profile"):
		return "TEMPORAL_PROFILE"
	case strings.Contains(msg, "config") || strings.Contains(msg, "file at"):
		return "TEMPORAL_CONFIG_FILE"
	}
	return "TEMPORAL_ADDRESS"
}

// mapLookup is envconfig's view of vars.
type mapLookup map[string]string

func (m mapLookup) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func (m mapLookup) LookupEnv(k string) (string, bool) {
	v, ok := m[k]
	return v, ok
}
