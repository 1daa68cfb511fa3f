package sock

import (
	"errors"
	"io"
	"log"

	"flavors/code/kv"
)

// readBufferSize is the most one read(2) takes. Requests are small; 64 KiB lets a
// pipelining client's burst arrive in one system call.
const readBufferSize = 64 << 10

// ServeConn serves one connection until the peer closes it or something fails, then closes
// fd. Every call blocks: it sleeps in read(2) until the client sends, and in write(2) while
// the client does not drain its responses.
func ServeConn(fd int, store *kv.Store) {
	defer Close(fd)
	session := kv.NewSession(store)
	buf := make([]byte, readBufferSize)
	for {
		n, err := Read(fd, buf)
		if err != nil {
			logEnd(fd, err)
			return
		}
		// A frame that is too large ends the connection, but the answers to the frames
		// before it are still owed, so they are written first.
		feedErr := session.Feed(buf[:n])
		out := session.Output()
		if err := WriteAll(fd, out); err != nil {
			logEnd(fd, err)
			return
		}
		session.Written(len(out))
		if feedErr != nil {
			logEnd(fd, feedErr)
			return
		}
	}
}

// logEnd reports why a connection ended, unless the client simply closed it.
func logEnd(fd int, err error) {
	if !errors.Is(err, io.EOF) {
		log.Printf("connection fd %d: %v", fd, err)
	}
}
