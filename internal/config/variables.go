package config

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Redacted replaces a secret's value wherever it is printed.
const Redacted = "[redacted]"

// Secret is a string that never prints its value: fmt, JSON, slog and zap all
// see Redacted (or "" when unset). Reveal returns the value.
type Secret string

// Reveal returns the secret's value, for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// MarshalText keeps encoders from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Variable describes one environment variable of the configuration.
type Variable struct {
	Name     string
	Default  string
	Required bool
	// OneOf groups variables of which exactly one must be set (VB365_PASSWORD
	// and VB365_PASSWORD_FILE form the group "password").
	OneOf       string
	Secret      bool
	Description string

	field string
	kind  reflect.Type
}

// WorkerVariables lists every variable the worker reads: the connection's
// (ConnectionVariables), then the struct tags of Worker in declaration order.
func WorkerVariables() []Variable {
	return append(ConnectionVariables(), variables(reflect.TypeOf(Worker{}))...)
}

// TemporalVariables lists the variables shared by the worker and the starter.
func TemporalVariables() []Variable {
	return append(ConnectionVariables(), variables(reflect.TypeOf(Temporal{}))...)
}

func variables(t reflect.Type) []Variable {
	var out []Variable
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, variables(f.Type)...)
			continue
		}
		tag, ok := f.Tag.Lookup("env")
		if !ok || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		out = append(out, Variable{
			Name:        name,
			Default:     f.Tag.Get("envDefault"),
			Required:    f.Tag.Get("required") == "true",
			OneOf:       f.Tag.Get("oneOf"),
			Secret:      f.Tag.Get("secret") == "true" || f.Type == reflect.TypeOf(Secret("")),
			Description: f.Tag.Get("desc"),
			field:       f.Name,
			kind:        f.Type,
		})
	}
	return out
}

// values walks v (a struct) and returns each variable with its value as
// text, secrets redacted.
func values(v reflect.Value) []nameValue {
	var out []nameValue
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, values(v.Field(i))...)
			continue
		}
		tag, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			if name = f.Tag.Get("show"); name == "" {
				continue
			}
		}
		fv := v.Field(i)
		var s string
		switch x := fv.Interface().(type) {
		case Secret:
			s = x.String()
		case time.Duration:
			s = x.String()
		default:
			s = fmt.Sprint(x)
		}
		if f.Tag.Get("secret") == "true" && s != "" {
			s = Redacted
		}
		out = append(out, nameValue{name, s})
	}
	return out
}

type nameValue struct{ name, value string }

func render(nv []nameValue) string {
	parts := make([]string, len(nv))
	for i, x := range nv {
		parts[i] = fmt.Sprintf("%s=%q", x.name, x.value)
	}
	return strings.Join(parts, " ")
}

func logValue(nv []nameValue) slog.Value {
	attrs := make([]slog.Attr, len(nv))
	for i, x := range nv {
		attrs[i] = slog.String(x.name, x.value)
	}
	return slog.GroupValue(attrs...)
}

func marshal(nv []nameValue, enc zapcore.ObjectEncoder) error {
	for _, x := range nv {
		enc.AddString(x.name, x.value)
	}
	return nil
}

// String prints every variable with its effective value, secrets redacted.
func (t Temporal) String() string { return render(values(reflect.ValueOf(t))) }

// LogValue is the slog form of String.
func (t Temporal) LogValue() slog.Value { return logValue(values(reflect.ValueOf(t))) }

// MarshalLogObject is the zap form of String: zap.Object("config", cfg).
func (t Temporal) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	return marshal(values(reflect.ValueOf(t)), enc)
}

// String prints every variable with its effective value, secrets redacted.
func (w Worker) String() string { return render(values(reflect.ValueOf(w))) }

// LogValue is the slog form of String.
func (w Worker) LogValue() slog.Value { return logValue(values(reflect.ValueOf(w))) }

// MarshalLogObject is the zap form of String: zap.Object("config", cfg).
func (w Worker) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	return marshal(values(reflect.ValueOf(w)), enc)
}
