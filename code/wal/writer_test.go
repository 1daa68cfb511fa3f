package wal

import (
	"fmt"
	"slices"
	"testing"
)

// commits runs a writer with the given batch limit: the first record's commit is held up
// until 99 more records are queued behind it, as a slow fdatasync would hold it. It
// returns the size of every commit, and what the directory holds afterwards.
func commits(t *testing.T, maxBatch int) (sizes []int, recovered []string) {
	path := t.TempDir()
	d, _ := open(t, path, Options{})
	queued := make(chan struct{})
	var w *Writer
	w = NewWriter(d, maxBatch, func(n int, err error) {
		if err != nil {
			t.Error(err)
		}
		if len(sizes) == 0 {
			<-queued
		}
		sizes = append(sizes, n)
	})
	w.Append([]byte("record 0"))
	for i := 1; i < 100; i++ {
		w.Append(fmt.Appendf(nil, "record %d", i))
	}
	close(queued)
	w.Close()
	d.Close()
	_, recovered = open(t, path, Options{})
	return sizes, recovered
}

// TestGroupCommit: the 99 records that queued up during the first commit share the next.
// With one record per commit, each has its own. Either way every record is on disk, in
// the order it was appended.
func TestGroupCommit(t *testing.T) {
	var want []string
	for i := range 100 {
		want = append(want, fmt.Sprintf("record %d", i))
	}
	sizes, got := commits(t, 0)
	if len(sizes) > 2 {
		t.Errorf("group commit: commits of %v records; want those queued behind the first commit together", sizes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("group commit recovered %d records, out of order or lost", len(got))
	}
	sizes, got = commits(t, 1)
	if len(sizes) != 100 {
		t.Errorf("one per commit: %d commits for 100 records", len(sizes))
	}
	if !slices.Equal(got, want) {
		t.Errorf("one per commit recovered %d records, out of order or lost", len(got))
	}
}
