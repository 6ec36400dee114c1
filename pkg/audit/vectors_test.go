package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors and the fuzz seed corpora from attacks()")

// vector is one file in testdata/vectors: a log and checkpoint, the key to
// verify them with, and the expected outcome. Other implementations of the
// format can run these files without Go.
type vector struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	PublicKey   string `json:"public_key"` // hex
	Log         string `json:"log"`
	Checkpoint  string `json:"checkpoint"`
	Valid       bool   `json:"valid"`
	// When valid:
	Records int    `json:"records,omitempty"`
	Head    string `json:"head,omitempty"`
	// When not:
	Problem      Problem `json:"problem,omitempty"`
	Seq          uint64  `json:"seq,omitempty"`
	Line         int     `json:"line,omitempty"`
	InCheckpoint bool    `json:"in_checkpoint,omitempty"`
}

const vectorDir = "testdata/vectors"

func makeVectors(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, a := range attacks() {
		log, cp, pub := a.apply(t)
		v := vector{
			Name: a.name, Description: a.desc, PublicKey: hex.EncodeToString(pub),
			Log: string(log), Checkpoint: string(cp), Valid: a.want == "",
		}
		if !utf8.Valid(log) {
			// JSON strings cannot carry invalid UTF-8 byte for byte.
			continue
		}
		if v.Valid {
			v.Records = a.report.Records
			v.Head = GenesisHash
			if recs, err := ParseLog(log); err == nil && len(recs) > 0 {
				v.Head = recs[len(recs)-1].Hash
			}
		} else {
			v.Problem, v.Seq, v.Line, v.InCheckpoint = a.want, a.seq, a.line, a.inCP
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		out[a.name+".json"] = b.Bytes()
	}
	return out
}

// TestVectors checks every committed vector against Verify, and that the
// generator still writes the committed bytes: a change to the format or
// its encoding shows up here before it ships.
func TestVectors(t *testing.T) {
	want := makeVectors(t)
	if *update {
		if err := os.RemoveAll(vectorDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(vectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		writeFuzzCorpora(t)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d vector files, generator makes %d; run go test -run TestVectors -update", len(files), len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want[name]) {
				t.Errorf("%s differs from what the generator writes; the format changed? run go test -run TestVectors -update and review the diff", path)
			}
			var v vector
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			pub, err := hex.DecodeString(v.PublicKey)
			if err != nil || len(pub) != ed25519.PublicKeySize {
				t.Fatalf("bad public_key: %v", err)
			}
			rep, err := Verify([]byte(v.Log), []byte(v.Checkpoint), pub)
			if v.Valid {
				if err != nil || rep.Records != v.Records || rep.Head != v.Head {
					t.Fatalf("Verify = %+v, %v; want %d records, head %s", rep, err, v.Records, v.Head)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v; want a *VerifyError matching ErrTampered", err)
			}
			got := fmt.Sprintf("%s seq=%d line=%d cp=%v", ve.Problem, ve.Seq, ve.Line, ve.Checkpoint)
			if exp := fmt.Sprintf("%s seq=%d line=%d cp=%v", v.Problem, v.Seq, v.Line, v.InCheckpoint); got != exp {
				t.Errorf("got %s, want %s (%v)", got, exp, err)
			}
		})
	}
}

// writeFuzzCorpora commits the vectors as fuzz seeds, so fuzzing starts
// from every shape of valid and broken log the tests know. Files the fuzzer
// itself added (hex names) are kept: they are regression tests.
func writeFuzzCorpora(t *testing.T) {
	for _, name := range []string{"FuzzParseLog", "FuzzVerify"} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range attacks() {
		log, cp, _ := a.apply(t)
		if len(log) > 8<<10 {
			continue // keep seeds small; the overlong case is a table test
		}
		write := func(fuzzName string, args ...[]byte) {
			var b strings.Builder
			b.WriteString("go test fuzz v1\n")
			for _, arg := range args {
				fmt.Fprintf(&b, "[]byte(%q)\n", arg)
			}
			p := filepath.Join("testdata", "fuzz", fuzzName, a.name)
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("FuzzParseLog", log)
		write("FuzzVerify", log, cp)
	}
}
