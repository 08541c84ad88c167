package remote

import (
	"context"
	"io"
)

//go:generate go tool dispatchgen

// secret has a field the codec cannot write.
type secret struct {
	Name string
	key  []byte
}

// Wrapped holds a secret two levels down.
type Wrapped struct {
	Inner struct{ S *secret }
}

// Point is a map key with no text form.
type Point struct{ X, Y int }

// HexID writes itself as JSON text, as OpenTelemetry's trace.TraceID does,
// and has no way to read it back.
type HexID [4]byte

func (id HexID) MarshalJSON() ([]byte, error) { return []byte(`"00000000"`), nil }

// Blob writes itself as bytes, which CBOR uses, and cannot read them back.
type Blob struct{ Data []byte }

func (b *Blob) MarshalBinary() ([]byte, error) { return b.Data, nil }

// Wide has every kind of parameter and result that cannot cross.
//
//dispatch:recipient remote
type Wide interface {
	Watch(ctx context.Context, updates chan<- int) error
	Visit(ctx context.Context, fn func(string) bool) error
	Hide(ctx context.Context, s secret) error
	Deep(ctx context.Context, w []Wrapped, m map[string][2]*secret) error
	Grid(ctx context.Context, m map[Point]string) error
	Open(ctx context.Context, name string) (io.Reader, error)
	Fail(ctx context.Context, cause error) error
	Phase(ctx context.Context) (complex128, error)
	Trace(ctx context.Context, id HexID) error
	Load(ctx context.Context) ([]Blob, error)
	// Fine crosses: any, errors last, pointers, maps of integers.
	Fine(ctx context.Context, v any, p *int, m map[int][]string) (any, error)
}

// Key has a key with no text form.
//
//dispatch:recipient remote key=Point
type Key interface {
	Get(ctx context.Context) (int, error)
}

// Generic has a type parameter.
//
//dispatch:recipient remote
type Generic[T any] interface {
	Get(ctx context.Context) (T, error)
}

// Valued gives remote a value.
//
//dispatch:recipient remote=yes
type Valued interface {
	Get(ctx context.Context) (int, error)
}
