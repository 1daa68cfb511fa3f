package main

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
	"flavors/code/wal"
)

// A record's body starts with its op: what kind of record it is.
const (
	opRequest = 1 // a request that changes the store, exactly as the client sent it
)

// storeState is the store as the log rebuilds it: a request record is handled as it was
// when it was first answered, in the same order, so it does the same thing again.
type storeState struct {
	store  *kv.Store
	answer []byte // reused: replay throws the answers away
}

func newStoreState() wal.State {
	return &storeState{store: kv.NewStore()}
}

func (s *storeState) Apply(body []byte) error {
	if len(body) == 0 || body[0] != opRequest {
		return fmt.Errorf("unknown record op %v", body[:min(len(body), 1)])
	}
	s.answer = kv.Handle(s.answer[:0], s.store, body[1:])
	return nil
}

// Dump writes the store out as one put per key: the shortest log that rebuilds it.
func (s *storeState) Dump(emit func(body []byte) error) error {
	var body []byte
	var err error
	s.store.Range(func(key, value string) {
		if err != nil {
			return
		}
		put := &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: key, Value: value}
		body, err = proto.MarshalOptions{}.MarshalAppend(append(body[:0], opRequest), put)
		if err == nil {
			err = emit(body)
		}
	})
	return err
}
