package main

import "context"

//go:generate go tool dispatchgen

// Account is one account of the cluster: each is held by one process at a
// time, which serves it one call at a time, so its balance needs no lock.
// The annotation's "remote" lets its calls cross processes.
//
//dispatch:recipient remote
type Account interface {
	// Deposit adds amount to the balance and says who did it.
	Deposit(ctx context.Context, amount int) (Receipt, error)
}

// Receipt is what a deposit returns: the key and process that served it,
// so that the caller can check the call reached the account it named.
type Receipt struct {
	Key     string
	Process string
	Balance int
}

// account is an Account held by one process.
type account struct {
	key, process string
	balance      int
}

func (a *account) Deposit(_ context.Context, amount int) (Receipt, error) {
	a.balance += amount
	return Receipt{Key: a.key, Process: a.process, Balance: a.balance}, nil
}
