package natsdispatch

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// jsonShapes are what the fuzz test below reads JSON into: the kinds of
// field that generated arguments and results have.
type jsonShapes struct {
	S     string
	I     int
	I8    int8
	U16   uint16
	F     float64
	B     bool
	Bytes []byte
	P     *int
	L     []string
	A     [2]int
	M     map[string]int
	MI    map[int]string
	Any   any
	T     time.Time
	D     time.Duration
	Text  textID
	Inner *struct {
		X int `json:"x,omitempty"`
		Y string
	}
	Raw  json.RawMessage
	Num  json.Number
	NumK map[json.Number]int
	Tag  string `json:"tag,string"`
}

// FuzzJSONReadsAsEncodingJSON holds the JSON codec's reader to
// encoding/json's: for any payload, both accept it or both refuse it, and
// what they read is the same. The codec reads with another implementation
// than Go 1.26's encoding/json (see JSON), whose semantics it keeps.
func FuzzJSONReadsAsEncodingJSON(f *testing.F) {
	full, err := json.Marshal(jsonShapes{
		S: "héllo", I: -3, I8: 7, U16: 65535, F: 1.5, B: true, Bytes: []byte{0, 1, 255},
		P: new(int), L: []string{"a", ""}, A: [2]int{1, 2}, M: map[string]int{"k": 1},
		MI: map[int]string{4: "four"}, Any: map[string]any{"n": 1.0, "l": []any{"x", nil}},
		T: time.Date(2026, 12, 7, 1, 2, 3, 4, time.UTC), D: time.Second, Text: textID{1, 2},
		Raw: json.RawMessage(`{"a":[1]}`), Num: "12.5", NumK: map[json.Number]int{"1.5": 1}, Tag: "t",
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full), "", "null", "{}", "[]", `{"S":"\ud800"}`, "{\"S\":\"\xff\"}", `{"s":"case"}`,
		`{"S":"a","S":"b"}`, `{"I":1e3}`, `{"I":1.5}`, `{"I8":300}`, `{"U16":-1}`, `{"F":1e400}`,
		`{"Bytes":"AQ"}`, `{"Bytes":"!!"}`, `{"Bytes":null}`, `{"P":null}`, `{"L":null}`, `{"A":[1,2,3]}`,
		`{"M":{"k":"v"}}`, `{"MI":{"x":"y"}}`, `{"Any":{"a":{"b":[1,{"c":null}]}}}`, `{"T":"yesterday"}`,
		`{"T":"2026-12-07T01:02:03Z"}`, `{"D":"1s"}`, `{"Text":"1-2"}`, `{"Text":"x"}`, `{"Inner":{"x":1,"X":2}}`,
		`{"Raw":[1,2]}`, `{"Num":"x"}`, `{"Num":12}`, `{"Num":null}`, `{"Num":""}`, `{"Num":"1e5"}`, `{"Num":true}`, `{"NumK":{"x":1}}`, `{"NumK":{"-1":1}}`, `{"tag":"\"q\""}`, `{"tag":"q"}`, `{"Unknown":1}`,
		`{"S":"a"} trailing`, ` {"S" : "a" } `, `{"S":"a",}`, `[1]`, `"str"`, `{"Any":1e400}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got jsonShapes
		wantErr := json.Unmarshal(data, &want)
		gotErr := JSON().Unmarshal(data, &got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: encoding/json says %v, the codec says %v", data, wantErr, gotErr)
		}
		if wantErr == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: encoding/json reads\n%#v\nthe codec reads\n%#v", data, want, got)
		}
	})
}

// BenchmarkJSONRead reads the arguments of a small call with the JSON
// codec beside encoding/json, which it replaced as the reader.
func BenchmarkJSONRead(b *testing.B) {
	data := []byte(`{"Args":{"N":42,"Text":"hello, recipient"}}`)
	type wire struct {
		Args struct {
			N    int
			Text string
		}
	}
	for _, r := range []struct {
		name string
		read func([]byte, any) error
	}{{"encoding-json", json.Unmarshal}, {"codec", JSON().Unmarshal}} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var w wire
				if err := r.read(data, &w); err != nil || w.Args.N != 42 {
					b.Fatal(err, w)
				}
			}
		})
	}
}
