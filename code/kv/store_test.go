package kv_test

import (
	"fmt"
	"sync"
	"testing"

	"flavors/code/kv"
)

func TestStore(t *testing.T) {
	s := kv.NewStore()
	if _, ok := s.Get("k"); ok {
		t.Fatal("a new store has k")
	}
	s.Put("k", "v1")
	s.Put("k", "v2")
	if v, ok := s.Get("k"); !ok || v != "v2" {
		t.Fatalf("Get = %q, %v; want the later put", v, ok)
	}
	s.Put("empty", "")
	if v, ok := s.Get("empty"); !ok || v != "" {
		t.Fatalf("an empty value must still be found: %q, %v", v, ok)
	}
}

// TestStoreConcurrent lets writers and readers race on shared and private
// keys; run under -race it proves the locking, and the final reads prove no
// put was lost.
func TestStoreConcurrent(t *testing.T) {
	s := kv.NewStore()
	const workers, rounds = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				s.Put(fmt.Sprintf("w%d-%d", w, i), fmt.Sprint(i))
				s.Put("shared", fmt.Sprint(w))
				if v, ok := s.Get("shared"); !ok || v == "" {
					t.Errorf("shared = %q, %v", v, ok)
				}
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		for i := range rounds {
			key := fmt.Sprintf("w%d-%d", w, i)
			if v, _ := s.Get(key); v != fmt.Sprint(i) {
				t.Fatalf("%s = %q, want %d", key, v, i)
			}
		}
	}
}
