package dispatchotel_test

import (
	"context"
	"testing"

	dispatchotel "github.com/dispatchgen/dispatchgen/otel"
	"github.com/dispatchgen/dispatchgen/otel/internal/hop"
	"github.com/dispatchgen/dispatchgen/runtime"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkCall times a call through a dispatcher without an interceptor,
// with one that only calls next (what any interceptor costs the runtime),
// with the interceptor on OpenTelemetry's no-op providers, and with it on
// the SDK's, sampling every span (dropped at its end) and aggregating the
// metrics in memory.
func BenchmarkCall(b *testing.B) {
	sdkTP := sdktrace.NewTracerProvider()
	sdkMP := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = sdkTP.Shutdown(context.Background())
		_ = sdkMP.Shutdown(context.Background())
	})
	cases := []struct {
		name string
		opts []dispatchotel.Option
		icpt runtime.Interceptor
	}{
		{name: "none"},
		{name: "passthrough", icpt: func(ctx context.Context, _ runtime.CallInfo, next func(context.Context) error) error {
			return next(ctx)
		}},
		{name: "noop", opts: []dispatchotel.Option{
			dispatchotel.WithTracerProvider(tracenoop.NewTracerProvider()),
			dispatchotel.WithMeterProvider(metricnoop.NewMeterProvider())}},
		{name: "sdk", opts: []dispatchotel.Option{
			dispatchotel.WithTracerProvider(sdkTP), dispatchotel.WithMeterProvider(sdkMP)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ropts []runtime.Option
			if c.icpt != nil {
				ropts = append(ropts, runtime.WithInterceptors(c.icpt))
			}
			if c.opts != nil {
				icpt, err := dispatchotel.NewInterceptor(c.opts...)
				if err != nil {
					b.Fatal(err)
				}
				ropts = append(ropts, runtime.WithInterceptors(icpt))
			}
			d := hop.NewHopDispatcher(ropts...)
			defer func() { _ = d.Close(context.Background()) }()
			if err := d.Register("a", hop.NewServer(d)); err != nil {
				b.Fatal(err)
			}
			ref, ctx := d.To("a"), context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ref.Do(ctx, "ok"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
