package kv_test

import (
	"bytes"
	"testing"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// journaled is a journaled session and what its journal was handed.
type journaled struct {
	*kv.Session
	logged [][]byte
}

func newJournaled(store *kv.Store) *journaled {
	j := &journaled{}
	j.Session = kv.NewJournaledSession(store, func(body []byte) {
		j.logged = append(j.logged, bytes.Clone(body))
	})
	return j
}

// TestJournalHoldsWritesUntilDurable: a put goes to the journal, not the store; the
// requests behind it wait, the session reads nothing more, and another connection's get
// does not see the put. Durable applies it and answers everything in order.
func TestJournalHoldsWritesUntilDurable(t *testing.T) {
	store := kv.NewStore()
	s := newJournaled(store)
	put := &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"}
	if err := s.Feed(frames(t, put, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"})); err != nil {
		t.Fatal(err)
	}
	if len(s.logged) != 1 || !bytes.Equal(s.logged[0], frames(t, put)[4:]) {
		t.Fatalf("journal got %d bodies; want the put's", len(s.logged))
	}
	if len(s.Output()) != 0 || s.WantsInput() || !s.Journaling() {
		t.Fatalf("before Durable: %d bytes of answers, WantsInput %v, Journaling %v; want none, false, true",
			len(s.Output()), s.WantsInput(), s.Journaling())
	}
	if _, ok := store.Get("k"); ok {
		t.Fatal("the store has a put that is not durable yet")
	}
	other := kv.NewSession(store)
	other.Feed(frames(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"}))
	if got := decodeAll(t, other.Output()); got[0].Status != notOk {
		t.Fatalf("another connection saw the put before it was durable: %v", got[0])
	}

	s.Durable()
	got := decodeAll(t, s.Output())
	if len(got) != 2 || got[0].Kind != kv.PutOrUpdate || got[1].Value != "v" {
		t.Fatalf("after Durable: %v; want the put's answer, then the get's with v", got)
	}
	if !s.WantsInput() || s.Journaling() {
		t.Fatal("after Durable the session still waits")
	}
}

// TestJournalOneWriteAtATime: pipelined writes go to the journal one by one, each after
// the one before it is durable, and a get between them sees exactly the writes before it.
func TestJournalOneWriteAtATime(t *testing.T) {
	s := newJournaled(kv.NewStore())
	s.Feed(frames(t,
		&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "a"},
		&kvpb.KeyValueMessage{Kind: kv.Append, Key: "k", Value: "b"},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"},
		&kvpb.KeyValueMessage{Kind: kv.Append, Key: "k", Value: "c"},
	))
	for want := 1; s.Journaling(); want++ {
		if len(s.logged) != want {
			t.Fatalf("%d bodies in the journal while write %d waits", len(s.logged), want)
		}
		s.Durable()
	}
	got := decodeAll(t, drain(s.Session))
	if len(s.logged) != 3 || len(got) != 4 || got[2].Value != "ab" {
		t.Fatalf("%d writes journaled, answers %v; want 3, and the get answering ab", len(s.logged), got)
	}
}

// TestJournaledSessionSplitAnywhere: with every write made durable as soon as it is
// handed over, a journaled session says exactly what a plain one says, however the
// stream is cut, and its journal gets exactly the writes, in order.
func TestJournaledSessionSplitAnywhere(t *testing.T) {
	stream := frames(t,
		&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"},
		&kvpb.KeyValueMessage{Kind: kv.Append, Key: "k", Value: "w"},
		&kvpb.KeyValueMessage{Kind: 42},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"},
	)
	want := feedAll(t, stream)
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			s := newJournaled(kv.NewStore())
			var got []byte
			for _, piece := range [][]byte{stream[:i], stream[i:j], stream[j:]} {
				if !s.WantsInput() {
					t.Fatalf("split at %d, %d: the session wants no input with nothing pending", i, j)
				}
				s.Feed(piece)
				for s.Journaling() {
					s.Durable()
				}
				got = append(got, drain(s.Session)...)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("split at %d, %d: the answers differ from a plain session's", i, j)
			}
			if len(s.logged) != 2 {
				t.Fatalf("split at %d, %d: %d bodies journaled, want the put and the append", i, j, len(s.logged))
			}
		}
	}
}

// FuzzJournaledSession is FuzzSession with a journal: any stream, in any pieces, with
// writes made durable at arbitrary moments, must give what a plain session gives at once.
// While a write waits, the session must want no input.
func FuzzJournaledSession(f *testing.F) {
	f.Add(conversation(f), []byte{1})
	f.Add(frames(f,
		&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"},
		&kvpb.KeyValueMessage{Kind: kv.Append, Key: "k", Value: "w"},
		&kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"}), []byte{3, 17, 2})
	f.Add(append(conversation(f), header(kv.MaxFrame+1)...), []byte{5, 250})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		wantOut, wantErr := feedWhole(stream)
		s := newJournaled(kv.NewStore())
		var out []byte
		for i := 0; (len(stream) > 0 || s.Journaling()) && s.Err() == nil; i++ {
			cut := 1
			if len(cuts) > 0 {
				cut = int(cuts[i%len(cuts)]) + 1
			}
			switch {
			case s.Journaling() && cut%3 == 0:
				s.Durable() // the disk is done
			case !s.WantsInput() || len(stream) == 0:
				if s.Journaling() && len(s.Output()) == 0 {
					s.Durable()
				}
				half := (len(s.Output()) + 1) / 2
				out = append(out, s.Output()[:half]...)
				s.Written(half)
			default:
				n := min(len(stream), cut)
				s.Feed(stream[:n])
				stream = stream[n:]
			}
		}
		out = append(out, drain(s.Session)...)
		if s.Err() != wantErr {
			t.Fatalf("journaled: err %v; plain: %v", s.Err(), wantErr)
		}
		if !bytes.Equal(out, wantOut) {
			t.Fatal("a journaled session answered differently from a plain one")
		}
	})
}
