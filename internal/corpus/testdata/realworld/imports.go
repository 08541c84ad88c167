// Package realworld names the packages of popular modules whose interfaces
// TestModuleInterfaces generates dispatchers for, so that go mod tidy keeps
// their modules, and their sums, in this module's go.mod and go.sum. The
// test reads the package list from the imports below.
package realworld

import (
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/dave/jennifer/jen"
	_ "github.com/fxamacker/cbor/v2"
	_ "github.com/go-logr/logr"
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/nats-io/nats.go/micro"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "go.opentelemetry.io/otel/metric"
	_ "go.opentelemetry.io/otel/propagation"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/trace"
	_ "go.uber.org/zap/zapcore"
	_ "golang.org/x/tools/go/analysis"
	_ "golang.org/x/tools/go/packages"
	_ "golang.org/x/tools/go/ssa"
	_ "google.golang.org/grpc"
	_ "google.golang.org/grpc/balancer"
	_ "google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/resolver"
	_ "google.golang.org/protobuf/proto"
	_ "google.golang.org/protobuf/reflect/protoreflect"
	_ "gopkg.in/yaml.v3"
)
