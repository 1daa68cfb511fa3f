package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"flavors/site/render"
	"flavors/site/run"
)

// The run protocol. The page opens one websocket per chapter page (/ws) and sends small
// JSON messages; the site answers with events (site/run/event.go).
//
//	{"type":"run", "chapter":"single-threaded-blocking", "mode":"blocking",
//	 "options":{"clients":3,"slow":true}}                  start the chapter's scenario
//	{"type":"stop"}                                         end the run now
//	{"type":"console", "line":"put k v"}                   a console command to the run's
//	                                                        server; with no run going, it
//	                                                        is answered that there is none
//
// Only a message on this socket starts a run. The chapter and mode are looked up in the
// book; the site then uses its own copies, so nothing the page sends reaches a command line,
// an environment or a path.
type pageMessage struct {
	Type    string      `json:"type"`
	Chapter string      `json:"chapter"`
	Mode    string      `json:"mode"`
	Options run.Options `json:"options"`
	Line    string      `json:"line"`
}

const (
	maxMessage   = 4 << 10 // a page message over 4 KiB closes the socket
	outQueue     = 4096    // events waiting for a slow page before it is cut off
	writeTimeout = 10 * time.Second
)

// A session is one open websocket and the run it started, if any.
type session struct {
	site   *site
	conn   *websocket.Conn
	ctx    context.Context // cancelled when the socket closes (or the site shuts down)
	cancel context.CancelCauseFunc
	out    chan []byte
	quit   chan struct{} // closed when no more events will be queued
	wrote  chan struct{} // closed when the writer is done with the socket

	mu  sync.Mutex
	run *run.Run
}

func (s *site) handleSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: s.sameOrigin}
	conn, err := up.Upgrade(w, r, nil) // answers 403 itself when the origin is refused
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancelCause(s.ctx)
	ss := &session{site: s, conn: conn, ctx: ctx, cancel: cancel,
		out: make(chan []byte, outQueue), quit: make(chan struct{}), wrote: make(chan struct{})}
	if !s.sessions.add(ss) {
		cancel(run.ErrShutdown)
	}
	defer s.sessions.remove(ss)
	go ss.writeLoop()
	ss.readLoop()
	ss.close()
}

func (ss *session) readLoop() {
	ss.conn.SetReadLimit(maxMessage)
	stop := context.AfterFunc(ss.ctx, func() {
		// Unblocks ReadMessage when the site shuts down.
		_ = ss.conn.SetReadDeadline(time.Now())
	})
	defer stop()
	for {
		_, data, err := ss.conn.ReadMessage()
		if err != nil {
			return
		}
		var m pageMessage
		if err := json.Unmarshal(data, &m); err != nil {
			ss.refuse("not a message of the run protocol")
			continue
		}
		ss.handle(m)
	}
}

func (ss *session) handle(m pageMessage) {
	switch m.Type {
	case "run":
		ss.startRun(m)
	case "stop":
		if rn := ss.current(); rn != nil {
			rn.Stop(run.ErrStopped)
		}
	case "crash":
		if rn := ss.current(); rn != nil {
			rn.Crash()
		}
	case "console":
		if rn := ss.current(); rn != nil {
			rn.Console(m.Line)
			return
		}
		ss.send(run.Event{Type: "console", Text: m.Line, Error: run.ErrNoRun.Error()})
	default:
		ss.refuse("unknown message type")
	}
}

// current is the session's run while it is going.
func (ss *session) current() *run.Run {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.run == nil {
		return nil
	}
	select {
	case <-ss.run.Done():
		return nil
	default:
		return ss.run
	}
}

// startRun starts the chapter's scenario on a mode the chapter offers.
func (ss *session) startRun(m pageMessage) {
	if ss.current() != nil {
		ss.refuse("a run is already going on this page; press Stop first")
		return
	}
	b, err := render.Load(ss.site.root)
	if err != nil {
		ss.refuse(err.Error())
		return
	}
	c := b.BySlug(m.Chapter)
	if c == nil {
		ss.refuse("no such chapter")
		return
	}
	chapterScen, err := runnable(c)
	if err != nil || chapterScen == nil {
		ss.refuse("this chapter has nothing to run")
		return
	}
	i := slices.Index(c.Servers, m.Mode)
	if m.Mode == "" {
		i = 0
	}
	if i < 0 {
		ss.refuse("this chapter does not run that server")
		return
	}
	mode := c.Servers[i]
	spec := run.Spec{Mode: mode, Scenario: chapterScen, Watch: c.Watch(mode)}
	spec.Options = spec.Scenario.Options(m.Options)
	rn, err := ss.site.runner.Start(ss.ctx, spec, ss.send)
	if err != nil {
		ss.refuse(err.Error())
		return
	}
	ss.mu.Lock()
	ss.run = rn
	ss.mu.Unlock()
}

func (ss *session) refuse(text string) { ss.send(run.Event{Type: "error", Text: text}) }

// send queues an event for the page. A page that cannot keep up is cut off rather than
// slowing the run (its timings would lie) or growing the site's memory.
func (ss *session) send(e run.Event) {
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	select {
	case <-ss.quit:
	case ss.out <- data:
	default:
		ss.cancel(errors.New("the page is not reading its events"))
		_ = ss.conn.SetReadDeadline(time.Now())
	}
}

// writeLoop is the socket's only writer. When the session ends it sends what is queued and
// a close frame.
func (ss *session) writeLoop() {
	defer close(ss.wrote)
	for {
		select {
		case data := <-ss.out:
			if ss.write(data) != nil {
				return
			}
		case <-ss.quit:
			for {
				select {
				case data := <-ss.out:
					if ss.write(data) != nil {
						return
					}
				default:
					ss.closeFrame()
					return
				}
			}
		}
	}
}

func (ss *session) write(data []byte) error {
	_ = ss.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return ss.conn.WriteMessage(websocket.TextMessage, data)
}

func (ss *session) closeFrame() {
	code, text := websocket.CloseNormalClosure, ""
	if errors.Is(context.Cause(ss.ctx), run.ErrShutdown) {
		code, text = websocket.CloseGoingAway, run.ErrShutdown.Error()
	}
	_ = ss.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text),
		time.Now().Add(time.Second))
}

// close ends the session: its run is killed and reaped first, then the socket goes.
func (ss *session) close() {
	ss.cancel(run.ErrPageClosed)
	ss.mu.Lock()
	rn := ss.run
	ss.mu.Unlock()
	if rn != nil {
		<-rn.Done()
	}
	close(ss.quit)
	<-ss.wrote
	ss.conn.Close()
}

// sessions are the open websockets, so that shutdown can end them all.
type sessions struct {
	mu     sync.Mutex
	open   map[*session]bool
	closed bool
	wg     sync.WaitGroup
}

func (s *sessions) add(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[*session]bool{}
	}
	s.open[ss] = true
	s.wg.Add(1)
	return !s.closed
}

// count is how many sessions are open.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

func (s *sessions) remove(ss *session) {
	s.mu.Lock()
	delete(s.open, ss)
	s.mu.Unlock()
	s.wg.Done()
}

// shutdown ends every session (each kills and reaps its run and sends a close frame) and
// waits for them.
func (s *sessions) shutdown() {
	s.mu.Lock()
	s.closed = true
	for ss := range s.open {
		ss.cancel(run.ErrShutdown)
	}
	s.mu.Unlock()
	s.wg.Wait()
}
