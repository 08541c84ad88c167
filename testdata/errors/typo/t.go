package typo

import "context"

//go:generate go tool dispatchgen -type io.Raeder,Stroe,io.readCloser

// Store stores.
type Store interface {
	Get(ctx context.Context) (string, error)
}
