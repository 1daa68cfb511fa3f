//go:build !linux

package wal

import "os"

// syncData is fsync where there is no fdatasync. On macOS, os.File.Sync asks for
// F_FULLFSYNC, since a plain fsync there leaves the data in the drive's cache.
func syncData(f *os.File) error { return f.Sync() }
