package kv

import (
	"google.golang.org/protobuf/proto"

	"flavors/code/kv/kvpb"
)

// Handle answers one request body, appending the framed response to dst
// (contract rules for every kind and for an undecodable body).
func Handle(dst []byte, s *Store, body []byte) []byte {
	var req, resp kvpb.KeyValueMessage
	return handle(dst, s, body, &req, &resp)
}

// handle is Handle with the two messages supplied by the caller, so a
// Session can reuse its own and a request costs only the strings in it.
func handle(dst []byte, s *Store, body []byte, req, resp *kvpb.KeyValueMessage) []byte {
	resp.Reset()
	if err := proto.Unmarshal(body, req); err != nil {
		resp.Status = kvpb.Status_NotOk
		return AppendFrame(dst, resp)
	}
	switch req.Kind {
	case PutOrUpdate:
		s.Put(req.Key, req.Value)
		resp.Kind = PutOrUpdate
		resp.Key = req.Key
	case Get:
		value, ok := s.Get(req.Key)
		resp.Kind = GetResponse
		resp.Key = req.Key
		resp.Value = value
		if !ok {
			resp.Status = kvpb.Status_NotOk
		}
	default:
		resp.Kind = req.Kind
		resp.Status = kvpb.Status_NotOk
	}
	return AppendFrame(dst, resp)
}
