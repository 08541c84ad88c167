package natsdispatch

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// The headers of a call, besides ADR-32's error headers. Header values come
// from the network and are checked before they are used.
const (
	// hdrTimeout holds the caller's remaining time as a Go duration
	// ("1.5s"): relative, so that clocks need not agree.
	hdrTimeout = "Dispatch-Timeout"
	// hdrChain holds the call chain: Interface.token of each recipient
	// waiting for the call, outermost first, separated by commas.
	hdrChain = "Dispatch-Chain"
	// hdrErrorIs holds the names of the sentinel errors a failure wraps,
	// separated by commas.
	hdrErrorIs = "Dispatch-Error-Is"
	// hdrErrorApp holds the text, Go-quoted, of each WithErrors error a
	// failure wraps, one value per error.
	hdrErrorApp = "Dispatch-Error-App"
	// hdrPanic holds the value, as Go-quoted text, of a recipient's panic;
	// the payload holds its stack.
	hdrPanic = "Dispatch-Panic"
	// hdrStatus is where the server puts 503 when nobody subscribes to the
	// subject of a message that has a reply subject.
	hdrStatus = "Status"
)

// MaxChain is the longest call chain a call may carry: a call made at the
// end of a longer chain of synchronous calls across processes fails with
// ErrChainTooLong, and one that arrives with a longer chain is refused.
const MaxChain = 32

// ErrChainTooLong reports a call made, through other processes, by more
// than MaxChain recipients each waiting for the next.
var ErrChainTooLong = errors.New("natsdispatch: call chain too long")

// encodeChain writes chain, whose elements are Interface + "." + key text,
// as the value of hdrChain.
func encodeChain(chain []string) (string, error) {
	if len(chain) > MaxChain {
		return "", fmt.Errorf("natsdispatch: %d recipients wait on this call, over %d: %w",
			len(chain), MaxChain, ErrChainTooLong)
	}
	var b strings.Builder
	for i, elem := range chain {
		iface, key, ok := strings.Cut(elem, ".")
		if !ok {
			return "", fmt.Errorf("natsdispatch: call chain element %q is not Interface.key", elem)
		}
		if err := checkName("interface", iface); err != nil {
			return "", err
		}
		token, err := keyToken(key)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(iface)
		b.WriteByte('.')
		b.WriteString(token)
	}
	return b.String(), nil
}

// decodeChain reads the value of hdrChain.
func decodeChain(v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	if n := strings.Count(v, ",") + 1; n > MaxChain {
		return nil, fmt.Errorf("call chain of %d, over %d: %w", n, MaxChain, ErrChainTooLong)
	}
	var chain []string
	for elem := range strings.SplitSeq(v, ",") {
		iface, token, ok := strings.Cut(elem, ".")
		if !ok {
			return nil, fmt.Errorf("call chain element %q is not Interface.token", elem)
		}
		if err := checkName("interface", iface); err != nil {
			return nil, err
		}
		key, err := keyFromToken(token)
		if err != nil {
			return nil, err
		}
		chain = append(chain, iface+"."+key)
	}
	return chain, nil
}

// callTimeout reads the remaining time of an inbound call from h: at most
// max, and max when the caller set none. ok is false when the caller's time
// has already run out.
func callTimeout(h nats.Header, max time.Duration) (d time.Duration, ok bool, err error) {
	v := h.Get(hdrTimeout)
	if v == "" {
		return max, true, nil
	}
	d, err = time.ParseDuration(v)
	if err != nil {
		return 0, false, fmt.Errorf("header %s: %w", hdrTimeout, err)
	}
	if d <= 0 {
		return 0, false, nil
	}
	return min(d, max), true, nil
}
