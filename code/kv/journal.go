package kv

import "google.golang.org/protobuf/encoding/protowire"

// journal is what a Session needs to make writes durable before they apply.
// Its zero value is inert: a session without a journal applies writes at once.
type journal struct {
	log     func(body []byte) // takes a write to make durable; nil: no journal
	waiting bool              // the frame at the front of held is with log: handle nothing
	durable bool              // ... and the server said it is on disk: apply it now
}

// NewJournaledSession is a session whose puts and appends go to log before
// they touch the store. log must copy body if it keeps it. The session answers
// nothing more, and wants no input, until the server calls Durable.
func NewJournaledSession(s *Store, log func(body []byte)) *Session {
	return &Session{store: s, journal: journal{log: log}}
}

// holds hands body to the log and reports true if it is a write the log has
// not yet made durable; the session then keeps the frame, unanswered.
func (j *journal) holds(body []byte) bool {
	if j.log == nil {
		return false
	}
	if j.durable {
		j.durable = false
		return false
	}
	if !mayWrite(body) {
		return false
	}
	j.log(body)
	j.waiting = true
	return true
}

// Durable tells the session that the write it handed to its journal is on
// stable storage. The write is applied and answered now, and the frames held
// behind it are handled, up to the next write or a full output.
func (s *Session) Durable() {
	if !s.journal.waiting {
		panic("kv: Durable without a write in the journal")
	}
	s.journal.waiting, s.journal.durable = false, true
	// A write goes to the journal only while the session is not paused, and
	// nothing is answered while it waits, so the output cannot have filled:
	// resume just handles the held frames, the durable write first.
	s.resume()
}

// Journaling reports whether a write of this session waits for the disk: its
// answer is owed even if the output is empty.
func (s *Session) Journaling() bool { return s.journal.waiting }

// mayWrite reports whether a request body may change the store. It reads the
// kind as the decoder does (the last value wins, cut to 32 bits) and nothing
// else. It errs on the safe side: a body it cannot read might still decode,
// so it counts as a write. A write taken for a read would be applied without
// being logged; a read taken for a write costs only a trip through the log.
func mayWrite(body []byte) bool {
	var kind uint32
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return true
		}
		body = body[n:]
		if num == 3 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(body)
			if n < 0 {
				return true
			}
			kind, body = uint32(v), body[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, body); n < 0 {
			return true
		}
		body = body[n:]
	}
	return kind == PutOrUpdate || kind == Append
}

// Range calls fn with every key and its value, holding the read lock: fn must
// not call the store. The durable server writes its snapshots with it.
func (s *Store) Range(fn func(key, value string)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for k, v := range s.m {
		fn(k, v)
	}
}
