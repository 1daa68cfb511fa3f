package loadgen

import (
	"strconv"
	"strings"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"

	"google.golang.org/protobuf/encoding/protowire"
)

// requestFrames holds every request the generator can send, encoded once before the run, so
// sending costs a copy and never a protobuf encoding.
type requestFrames struct {
	gets [][]byte
	puts [][]byte
}

func newRequestFrames(keys, valueSize int) *requestFrames {
	value := strings.Repeat("v", valueSize)
	f := &requestFrames{gets: make([][]byte, keys), puts: make([][]byte, keys)}
	for i := range keys {
		key := "key-" + strconv.Itoa(i)
		f.gets[i] = kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.Get, Key: key})
		f.puts[i] = kv.AppendFrame(nil, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: key, Value: value})
	}
	return f
}

// Field numbers of KeyValueMessage (code/kv/kvpb/kv.proto) that a response is checked by.
const (
	kindField   = 3
	statusField = 4
)

// answered reports whether body is an Ok response of kind want. It walks the encoded fields
// and looks only at kind and status: unmarshalling each response into a message allocates
// its key and value, and a generator that spends more per request than the server it measures
// reports its own speed.
func answered(body []byte, want uint32) bool {
	var kind, status uint64
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return false
		}
		body = body[n:]
		if typ == protowire.VarintType && (num == kindField || num == statusField) {
			v, n := protowire.ConsumeVarint(body)
			if n < 0 {
				return false
			}
			if num == kindField {
				kind = v
			} else {
				status = v
			}
			body = body[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, body)
		if n < 0 {
			return false
		}
		body = body[n:]
	}
	return kind == uint64(want) && status == uint64(kvpb.Status_Ok)
}
