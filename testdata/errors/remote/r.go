package remote

import (
	"context"
	"io"
	"math/big"
	"time"
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

// Stamped embeds a time, whose MarshalJSON it takes over, beside a field
// of its own, which would not cross.
type Stamped struct {
	time.Time
	Label string
}

// Clash has two fields that cross under one name.
type Clash struct {
	A string `json:"x"`
	B string `json:"x"`
}

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
	Stamp(ctx context.Context, s Stamped) error
	Pair(ctx context.Context, c Clash) error
	Addr(ctx context.Context, p uintptr) error
	// Fine crosses: any, errors last, pointers, maps of integers, a type
	// whose marshalers have pointer receivers, through a pointer.
	Fine(ctx context.Context, v any, p *int, m map[int][]string, n *big.Int) (any, error)
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
