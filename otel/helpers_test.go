package dispatchotel_test

import (
	"context"
	"testing"
	"time"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	"github.com/dispatchgen/dispatchgen/runtime"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is where a test's spans and metrics go.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	tel := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	tel.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = tel.mp.Shutdown(context.Background())
	})
	return tel
}

// options sends spans and metrics to tel.
func (tel *telemetry) options() []dispatchotel.Option {
	return []dispatchotel.Option{dispatchotel.WithTracerProvider(tel.tp), dispatchotel.WithMeterProvider(tel.mp)}
}

// dispatcher returns a dispatcher traced into tel, whose every key is
// served by one hop.Server, registered under keys.
func (tel *telemetry) dispatcher(t *testing.T, keys ...string) (*hop.HopDispatcher, *hop.Server) {
	t.Helper()
	icpt, err := dispatchotel.NewInterceptor(tel.options()...)
	if err != nil {
		t.Fatal(err)
	}
	d := hop.NewHopDispatcher(runtime.WithInterceptors(icpt))
	s := hop.NewServer(d)
	for _, k := range keys {
		if err := d.Register(k, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d, s
}

// root starts a span of the test's own, to be the parent of a call's.
func (tel *telemetry) root(ctx context.Context) (context.Context, trace.Span) {
	return tel.tp.Tracer("test").Start(ctx, "test")
}

// ended returns the spans ended so far named name, in the order they
// ended.
func (tel *telemetry) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tel.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// only returns the one span ended named name.
func (tel *telemetry) only(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := tel.ended(name)
	if len(spans) != 1 {
		t.Fatalf("%d spans %q ended, want 1", len(spans), name)
	}
	return spans[0]
}

// collect reads the metrics recorded so far.
func (tel *telemetry) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// attr returns the value of span's attribute key, and whether it has one.
func attr(span sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range span.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// metric returns the metric named name, or nil.
func metric(rm metricdata.ResourceMetrics, name string) *metricdata.Metrics {
	for _, sm := range rm.ScopeMetrics {
		for i := range sm.Metrics {
			if sm.Metrics[i].Name == name {
				return &sm.Metrics[i]
			}
		}
	}
	return nil
}

// matches reports whether set holds every one of want.
func matches(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// counted returns the sum of the points of the counter name whose
// attributes hold want.
func counted(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	m := metric(rm, name)
	if m == nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is a %T, not an int64 sum", name, m.Data)
	}
	var n int64
	for _, p := range sum.DataPoints {
		if matches(p.Attributes, want) {
			n += p.Value
		}
	}
	return n
}

// histogram returns the count and sum of the points of the histogram name
// whose attributes hold want.
func histogram(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) (count uint64, sum float64) {
	t.Helper()
	m := metric(rm, name)
	if m == nil {
		return 0, 0
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is a %T, not a float64 histogram", name, m.Data)
	}
	for _, p := range h.DataPoints {
		if matches(p.Attributes, want) {
			count += p.Count
			sum += p.Sum
		}
	}
	return count, sum
}

// timeout returns a context that ends after d or with the test.
func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
