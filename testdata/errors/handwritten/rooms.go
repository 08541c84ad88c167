package handwritten

import "context"

//go:generate go tool dispatchgen

// Lobby is fine, but nothing is written while Room cannot be.
//
//dispatch:recipient
type Lobby interface {
	Enter(ctx context.Context, who string) error
}

// Room would be generated into room_dispatch.go, which was written by hand.
//
//dispatch:recipient
type Room interface {
	Say(ctx context.Context, text string) error
}
