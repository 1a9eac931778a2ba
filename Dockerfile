# One image for the worker (the entrypoint), the starter, the codec server and
# the simulator:
#
#   docker build -t vb365-restore:dev .
#   docker run --rm vb365-restore:dev                  # the worker, configured by environment
#   docker run --rm --entrypoint starter vb365-restore:dev list
#   docker run --rm --entrypoint simulator vb365-restore:dev --addr 0.0.0.0:4443
#   docker run --rm --entrypoint codecserver vb365-restore:dev -h
#
# Static binaries (CGO_ENABLED=0) on a small pinned base that has a shell,
# wget and nc for container health checks, running as a non-root user.

# ---- build ----------------------------------------------------------------
FROM golang:1.26.8 AS build
WORKDIR /src
ENV CGO_ENABLED=0 \
    GOTOOLCHAIN=local \
    GOFLAGS=-trimpath

# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
# Set by BuildKit for the platform being built (docker buildx --platform);
# empty means the builder's own.
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -ldflags="-s -w" -o /out/ ./worker ./starter ./simulator ./codecserver

# ---- runtime --------------------------------------------------------------
FROM alpine:3.22.2 AS runtime
# 65532 is the usual "nonroot" id; numeric, so Kubernetes can verify
# runAsNonRoot. /shared is where the compose simulator writes its CA; a named
# volume mounted there inherits this ownership.
RUN addgroup -S -g 65532 nonroot \
 && adduser -S -D -H -u 65532 -G nonroot -h /nonexistent nonroot \
 && mkdir -p /shared \
 && chown 65532:65532 /shared
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
# Worker metrics, /healthz and /readyz (METRICS_ADDR, default :9090).
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/worker"]
