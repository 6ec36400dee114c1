package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
)

var benchEvent = Event{Actor: "nurse.jones", Source: "10.0.0.7", Action: "phi.write", Object: "P-1001",
	Outcome: Success, Detail: map[string]string{"setting": "dose_rate", "old": "5 ml/h", "new": "7 ml/h"}}

func benchAppend(b *testing.B, st Store) {
	l, err := Open(context.Background(), st, WithSigner(testKey()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Append(ctx, benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMemStore is the in-memory cost of one record: validate,
// hash, encode, sign a checkpoint.
func BenchmarkAppendMemStore(b *testing.B) { benchAppend(b, NewMemStore()) }

// BenchmarkAppendFileStore adds the durability cost: an fsync of the log
// and a temp-file, fsync, rename, dir-fsync for the checkpoint.
func BenchmarkAppendFileStore(b *testing.B) {
	st, err := NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchAppend(b, st)
}

// BenchmarkVerify10k verifies a 10,000-record log (parse, hash every
// record, one signature).
func BenchmarkVerify10k(b *testing.B) {
	st := NewMemStore()
	l, err := Open(context.Background(), st, WithSigner(testKey()))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		e := benchEvent
		e.Object = fmt.Sprintf("P-%04d", i)
		if _, err := l.Append(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
	log, cp, pub := st.LogBytes(), st.CheckpointBytes(), l.PublicKey()
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(log, cp, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCeilingHashAndSign is the floor under Append: SHA-256 of a
// record-sized buffer plus one Ed25519 signature, nothing else.
func BenchmarkCeilingHashAndSign(b *testing.B) {
	key := testKey()
	buf := make([]byte, 320) // about one record's canonical encoding
	msg := make([]byte, len(checkpointDomain)+8+32)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256(buf)
		copy(msg[len(msg)-32:], h[:])
		_ = ed25519.Sign(key, msg)
	}
}
