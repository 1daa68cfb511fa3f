package kv

import "sync"

// Store is the map every connection shares; safe for concurrent use.
// Readers share the lock, so gets on many connections do not queue behind
// each other; a put waits only for the gets in progress.
type Store struct {
	mu sync.RWMutex
	m  map[string]string
}

func NewStore() *Store {
	return &Store{m: make(map[string]string)}
}

func (s *Store) Get(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[key]
	return v, ok
}

func (s *Store) Put(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
}
