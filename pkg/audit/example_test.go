package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/audit"
)

func ExampleLog_Append() {
	ctx := context.Background()
	// A real device keeps its key in protected storage and uses
	// audit.NewFileStore; the fixed key and clock make the output stable.
	seed := sha256.Sum256([]byte("example device key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	clock := func() time.Time { return time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC) }

	store := audit.NewMemStore()
	log, err := audit.Open(ctx, store, audit.WithSigner(key), audit.WithClock(clock))
	if err != nil {
		panic(err)
	}
	r, err := log.Append(ctx, audit.Event{
		Actor: "nurse.jones", Source: "10.0.0.7", Action: "phi.read", Object: "P-1001", Outcome: audit.Success,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Seq, r.Time.Format(time.RFC3339), r.Action, r.Object, r.Outcome)
	fmt.Println("prev is genesis:", r.Prev == audit.GenesisHash)

	rep, err := audit.Verify(store.LogBytes(), store.CheckpointBytes(), log.PublicKey())
	fmt.Println(rep.Records, rep.Head == r.Hash, err)
	// Output:
	// 1 2025-03-14T09:30:00Z phi.read P-1001 success
	// prev is genesis: true
	// 1 true <nil>
}

func ExampleVerify() {
	ctx := context.Background()
	store := audit.NewMemStore()
	log, _ := audit.Open(ctx, store) // fresh key: fine for a log that lives in memory
	for _, who := range []string{"nurse.jones", "dr.smith", "nurse.jones"} {
		log.Append(ctx, audit.Event{Actor: who, Action: "phi.read", Object: "P-1001", Outcome: audit.Success})
	}

	// Someone with access to storage puts the blame on another user.
	tampered := bytes.Replace(store.LogBytes(), []byte(`"actor":"dr.smith"`), []byte(`"actor":"nurse.ames"`), 1)

	_, err := audit.Verify(tampered, store.CheckpointBytes(), log.PublicKey())
	fmt.Println(err)
	// Output:
	// audit: record 2 (line 2) edited: hash does not match its content
}

// A device's request handler puts the client's address in the context
// once; every record made while serving the request says where it came
// from, even one a library makes without knowing (a session found
// expired, an unknown token).
func ExampleWithSource() {
	ctx := context.Background()
	log, err := audit.Open(ctx, audit.NewMemStore())
	if err != nil {
		panic(err)
	}
	ctx = audit.WithSource(ctx, "10.0.0.7:51234") // e.g. http.Request.RemoteAddr
	r, err := log.Append(ctx, audit.Event{Action: "session.invalid", Object: "session", Outcome: audit.Denied})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Actor, r.Source, r.Action)
	// Output: unknown 10.0.0.7:51234 session.invalid
}

// A collector gets back a field exactly, line feed included, from the
// structured data Syslog wrote.
func ExampleUnescapeSDValue() {
	r := audit.Record{Seq: 1, Time: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Actor: "eve\nadmin",
		Source: "keypad", Action: "login", Object: "session", Outcome: audit.Denied}
	msg, _ := audit.Syslog(r, "pump-1", "ward")
	_, rest, _ := bytes.Cut(msg, []byte(`actor="`))
	raw, _, _ := bytes.Cut(rest, []byte(`" `))
	fmt.Printf("wire: %s\n", raw)
	v, err := audit.UnescapeSDValue(string(raw))
	fmt.Printf("value: %q %v\n", v, err)
	// Output:
	// wire: eve\x0Aadmin
	// value: "eve\nadmin" <nil>
}
