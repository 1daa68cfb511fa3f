package kv_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

const notOk = kvpb.Status_NotOk

func body(t *testing.T, m *kvpb.KeyValueMessage) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandle walks the contract's rules, one request at a time, against one
// store, so later cases see the puts of earlier ones.
func TestHandle(t *testing.T) {
	store := kv.NewStore()
	cases := []struct {
		name string
		body []byte
		want *kvpb.KeyValueMessage
	}{
		{"put", body(t, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "v"}),
			&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k"}},
		{"get", body(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"}),
			&kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: "k", Value: "v"}},
		{"update", body(t, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k", Value: "w"}),
			&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: "k"}},
		{"get after update", body(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "k"}),
			&kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: "k", Value: "w"}},
		{"get missing", body(t, &kvpb.KeyValueMessage{Kind: kv.Get, Key: "nope"}),
			&kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: "nope", Status: notOk}},
		{"a response kind as a request", body(t, &kvpb.KeyValueMessage{Kind: kv.GetResponse, Key: "k"}),
			&kvpb.KeyValueMessage{Kind: kv.GetResponse, Status: notOk}},
		{"unknown kind", body(t, &kvpb.KeyValueMessage{Kind: 99, Key: "k", Value: "v"}),
			&kvpb.KeyValueMessage{Kind: 99, Status: notOk}},
		{"empty body is kind 0", nil,
			&kvpb.KeyValueMessage{Kind: 0, Status: notOk}},
		{"not protobuf", []byte{0xff, 0xff, 0xff},
			&kvpb.KeyValueMessage{Kind: 0, Status: notOk}},
		{"key not UTF-8", []byte{0x0a, 0x01, 0xff, 0x18, kv.PutOrUpdate},
			&kvpb.KeyValueMessage{Kind: 0, Status: notOk}},
	}
	for _, c := range cases {
		out := kv.Handle([]byte("before"), store, c.body)
		if string(out[:6]) != "before" {
			t.Fatalf("%s: Handle overwrote dst", c.name)
		}
		got := decodeAll(t, out[6:])
		if len(got) != 1 || !proto.Equal(got[0], c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if _, ok := store.Get("nope"); ok {
		t.Error("a get created its key")
	}
}
