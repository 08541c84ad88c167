package natsdispatch

import (
	"errors"
	"strings"
	"testing"
)

func TestKeyToken(t *testing.T) {
	for _, tc := range []struct {
		key, token string
	}{
		{"github", "github"},
		{"a-b_c9", "a-b_c9"},
		{"9", "9"},
		{"", "_"},
		{"a.b", "_YS5i"},
		{"*", "_Kg"},
		{">", "_Pg"},
		{"a b", "_YSBi"},
		{"_YQ", "_X1lR"}, // not the token of "a", which is "a"
		{"-a", "_LWE"},
		{"\x00", "_AA"},
		{"\xff", "__w"},
		{"ключ", "_0LrQu9GO0Yc"},
	} {
		got, err := keyToken(tc.key)
		if err != nil || got != tc.token {
			t.Errorf("keyToken(%q) = %q, %v; want %q", tc.key, got, err, tc.token)
			continue
		}
		back, err := keyFromToken(got)
		if err != nil || back != tc.key {
			t.Errorf("keyFromToken(%q) = %q, %v; want %q", got, back, err, tc.key)
		}
	}
}

func TestKeyTokenLength(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{strings.Repeat("a", 200), true},
		{strings.Repeat("a", 201), false},
		{strings.Repeat(".", 149), true}, // "_" and 199 bytes of base64
		{strings.Repeat(".", 150), false},
		{strings.Repeat("x", 5000), false},
	} {
		token, err := keyToken(tc.key)
		if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, ErrKeyTooLong) || len(token) > MaxTokenLen {
			t.Errorf("keyToken of %d bytes: %d bytes, %v", len(tc.key), len(token), err)
		}
	}
}

func TestKeyFromTokenRefuses(t *testing.T) {
	for _, token := range []string{"_YQ", "_!!", "_YQ=", "-a", "a.b", "_" + strings.Repeat("A", 200)} {
		if key, err := keyFromToken(token); err == nil {
			t.Errorf("keyFromToken(%q) = %q, want an error", token, key)
		}
	}
}

// Every key's token is one subject token, and the key can be read back.
func FuzzKeyToken(f *testing.F) {
	for _, seed := range []string{"", "a", "a.b", "*", ">", " ", "\r\n", "\xff", "_x", "ключ"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		token, err := keyToken(key)
		if err != nil {
			if !errors.Is(err, ErrKeyTooLong) {
				t.Fatalf("keyToken(%q): %v", key, err)
			}
			return
		}
		if token == "" || len(token) > MaxTokenLen || strings.ContainsFunc(token, func(r rune) bool { return r > 0x7f || !isTokenByte(byte(r)) }) {
			t.Fatalf("keyToken(%q) = %q, not a plain subject token", key, token)
		}
		back, err := keyFromToken(token)
		if err != nil || back != key {
			t.Fatalf("keyFromToken(keyToken(%q)) = %q, %v", key, back, err)
		}
	})
}

func TestCheckPrefix(t *testing.T) {
	for _, p := range []string{"dispatch", "tools", "a.b.c", "my_app-2"} {
		if err := checkPrefix(p); err != nil {
			t.Errorf("checkPrefix(%q): %v", p, err)
		}
	}
	for _, p := range []string{"", ".", "a.", ".a", "a..b", "a.*", ">", "a b", "a\x00", "ключ", strings.Repeat("a", 129)} {
		if err := checkPrefix(p); err == nil {
			t.Errorf("checkPrefix(%q) accepted it", p)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, n := range []string{"Echo", "toolServer", "_x", "A1"} {
		if err := checkName("interface", n); err != nil {
			t.Errorf("checkName(%q): %v", n, err)
		}
	}
	for _, n := range []string{"", "1A", "a.b", "Ünïcode", "a-b", "a b"} {
		if err := checkName("interface", n); err == nil {
			t.Errorf("checkName(%q) accepted it", n)
		}
	}
}

func TestChainEncoding(t *testing.T) {
	chain := []string{"Echo.a", "Echo.a.b", "Tool.", "Tool.*"}
	v, err := encodeChain(chain)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(v, " \r\n") {
		t.Errorf("header value %q", v)
	}
	back, err := decodeChain(v)
	if err != nil || strings.Join(back, "|") != strings.Join(chain, "|") {
		t.Errorf("decodeChain(%q) = %q, %v; want %q", v, back, err, chain)
	}
	for _, bad := range []string{"x", "Echo", "1x.a", "Echo._!", strings.Repeat("Echo.a,", MaxChain) + "Echo.a"} {
		if _, err := decodeChain(bad); err == nil {
			t.Errorf("decodeChain(%q) accepted it", bad)
		}
	}
}
