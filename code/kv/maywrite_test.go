package kv

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"flavors/code/kv/kvpb"
)

// writeSeeds are bodies on which a careless reading of the kind goes wrong.
func writeSeeds() [][]byte {
	kind := func(b []byte, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, 3, protowire.VarintType), v)
	}
	put, _ := proto.Marshal(&kvpb.KeyValueMessage{Kind: PutOrUpdate, Key: "k", Value: "v"})
	return [][]byte{
		put,
		kind(kind(nil, Get), PutOrUpdate), // the kind twice: the last one counts
		kind(nil, 1<<32|Append),           // cut to 32 bits, that is an append
		kind(protowire.AppendTag(nil, 9, protowire.Fixed32Type), PutOrUpdate)[0:1], // cut short
	}
}

// unsafeWrite is true where body decodes to a put or an append and isWrite says it is not:
// a write that would be applied without being logged.
func unsafeWrite(body []byte, isWrite func([]byte) bool) bool {
	var req kvpb.KeyValueMessage
	if proto.Unmarshal(body, &req) != nil {
		return false
	}
	return (req.Kind == PutOrUpdate || req.Kind == Append) && !isWrite(body)
}

// FuzzMayWrite: whatever the body, a request the decoder reads as a write is one that
// mayWrite sends to the journal.
func FuzzMayWrite(f *testing.F) {
	for _, b := range writeSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if unsafeWrite(body, mayWrite) {
			t.Fatalf("%x decodes as a write, and mayWrite says it is not one", body)
		}
	})
}

// TestMayWriteCheckBites runs the same check on a reading that keeps the first kind it
// sees: the seeds alone must catch it.
func TestMayWriteCheckBites(t *testing.T) {
	firstKindWins := func(body []byte) bool {
		for len(body) > 0 {
			num, typ, n := protowire.ConsumeTag(body)
			if n < 0 {
				return true
			}
			body = body[n:]
			if num == 3 && typ == protowire.VarintType {
				v, _ := protowire.ConsumeVarint(body)
				return v == PutOrUpdate || v == Append
			}
			if n = protowire.ConsumeFieldValue(num, typ, body); n < 0 {
				return true
			}
			body = body[n:]
		}
		return false
	}
	for _, b := range writeSeeds() {
		if unsafeWrite(b, firstKindWins) {
			return
		}
	}
	t.Fatal("no seed catches a reading that keeps the first kind")
}
