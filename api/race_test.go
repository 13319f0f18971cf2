package api_test

import (
	"fmt"
	"sync"
	"testing"
)

// 100 clients redeem one cheque at once over HTTP, each with its own
// Idempotency-Key, through group commit: exactly one 201, 99 refusals with the
// stable problem type, one ChequeRedeemed in the ledger. Then every client
// retries with its key and gets exactly its first answer again.
func TestHundredClientsOneCheque(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	w := newWorld(t, e)
	const n = 100
	body := map[string]any{"serial": w.cheques[2].Serial, "check_code": w.cheques[2].CheckCode, "session_date": "2026-03-14", "service": "atelier"}
	first := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			first[i] = e.call("POST", "/v1/redemptions", w.placeTok, body, "Idempotency-Key", fmt.Sprintf("race-%d", i))
		}()
	}
	close(start)
	wg.Wait()
	created, refused := 0, 0
	for i, r := range first {
		switch {
		case r.status == 201:
			created++
		case r.status == 409 && r.problemType() == "cheque-already-redeemed":
			refused++
		default:
			t.Fatalf("client %d: %d %s", i, r.status, r.body)
		}
	}
	if created != 1 || refused != n-1 {
		t.Fatalf("%d created, %d refused", created, refused)
	}
	evs := e.events(t, "ChequeRedeemed")
	if len(evs) != 1 {
		t.Fatalf("%d ChequeRedeemed events, want 1", len(evs))
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again := e.call("POST", "/v1/redemptions", w.placeTok, body, "Idempotency-Key", fmt.Sprintf("race-%d", i))
			if again.status != first[i].status || string(again.body) != string(first[i].body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("client %d: retry answered %d %s, first %d %s", i, again.status, again.body, first[i].status, first[i].body)
			}
		}()
	}
	wg.Wait()
}
