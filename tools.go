//go:build tools

// Temporary: keeps the dependencies the packages under construction will
// import in go.mod while they are written in parallel. Removed once they are.
package tools

import (
	_ "github.com/caarlos0/env/v11"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/getkin/kin-openapi/routers/gorillamux"
	_ "github.com/gofrs/flock"
	_ "github.com/google/uuid"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/spf13/cobra"
	_ "github.com/stretchr/testify/require"
	_ "github.com/uber-go/tally/v4/prometheus"
	_ "go.temporal.io/api/operatorservice/v1"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/contrib/tally"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
	_ "go.temporal.io/sdk/workflow"
	_ "go.uber.org/zap"
	_ "go.uber.org/zap/zaptest/observer"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/policy/v1"
	_ "k8s.io/apimachinery/pkg/runtime/serializer/json"
	_ "sigs.k8s.io/yaml"
)
