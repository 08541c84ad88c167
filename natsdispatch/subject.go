package natsdispatch

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// MaxTokenLen is the longest a key may be as a subject token. A subject
// longer than the server's 4 KiB control line closes the connection, and
// nats.go does not reconnect after that, so a longer key is refused before
// anything is published.
const MaxTokenLen = 200

// ErrKeyTooLong reports a key whose subject token would be longer than
// MaxTokenLen bytes: a key of up to 200 bytes of letters, digits, '_' and
// '-' that starts with a letter or digit, or of up to 149 bytes otherwise.
var ErrKeyTooLong = errors.New("natsdispatch: key too long for a subject")

// keyToken returns the subject token of a key's text: the text itself when
// it is a plain token, else "_" followed by the text in unpadded base64url.
// A plain token never starts with "_", so no two keys share a token, and
// no key's token holds a '.', '*', '>' or space.
func keyToken(key string) (string, error) {
	var token string
	if isPlainToken(key) {
		token = key
	} else {
		token = "_" + base64.RawURLEncoding.EncodeToString([]byte(key))
	}
	if len(token) > MaxTokenLen {
		return "", fmt.Errorf("key %.32q... is %d bytes as a subject token, over %d: %w",
			key, len(token), MaxTokenLen, ErrKeyTooLong)
	}
	return token, nil
}

// keyFromToken is keyToken's inverse, for tokens read from the wire.
func keyFromToken(token string) (string, error) {
	if len(token) > MaxTokenLen {
		return "", fmt.Errorf("token of %d bytes: %w", len(token), ErrKeyTooLong)
	}
	if isPlainToken(token) {
		return token, nil
	}
	enc, ok := strings.CutPrefix(token, "_")
	if !ok {
		return "", fmt.Errorf("token %q is neither plain nor encoded", token)
	}
	key, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("token %q: %w", token, err)
	}
	if isPlainToken(string(key)) {
		// keyToken would have written it plain: a second token for one key.
		return "", fmt.Errorf("token %q encodes a plain key", token)
	}
	return string(key), nil
}

// isPlainToken reports whether s matches [A-Za-z0-9][A-Za-z0-9_-]*.
func isPlainToken(s string) bool {
	if s == "" || s[0] == '_' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// maxPrefixLen bounds the prefix, so that every subject stays far below the
// server's control line.
const maxPrefixLen = 128

// checkPrefix reports whether prefix is one or more dot-separated tokens of
// letters, digits, '_' and '-': no wildcards, no spaces, no empty tokens.
func checkPrefix(prefix string) error {
	if prefix == "" || len(prefix) > maxPrefixLen {
		return fmt.Errorf("natsdispatch: prefix %q: want 1 to %d bytes", prefix, maxPrefixLen)
	}
	for tok := range strings.SplitSeq(prefix, ".") {
		if tok == "" {
			return fmt.Errorf("natsdispatch: prefix %q has an empty token", prefix)
		}
		for i := 0; i < len(tok); i++ {
			if !isTokenByte(tok[i]) {
				return fmt.Errorf("natsdispatch: prefix %q: %q is not a letter, digit, '_' or '-'", prefix, tok[i])
			}
		}
	}
	return nil
}

// maxNameLen bounds interface and method names, which become subject
// tokens and service names.
const maxNameLen = 128

// checkName reports whether name, an interface's or a method's, is an ASCII
// Go identifier, so that it can be a subject token and part of a service
// name as it is.
func checkName(what, name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("natsdispatch: %s name %q: want 1 to %d bytes", what, name, maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return fmt.Errorf("natsdispatch: %s name %q is not an ASCII Go identifier", what, name)
		}
	}
	return nil
}
