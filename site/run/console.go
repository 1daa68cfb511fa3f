package run

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
)

// consoleTimeout bounds the wait for an answer: a blocking server busy with another client
// may never answer, and saying so is part of the lesson.
const consoleTimeout = 5 * time.Second

// consoleState is the console's own connection to the running server, opened on the first
// command and kept, as a real client would.
type consoleState struct {
	mu       sync.Mutex
	busy     bool
	conn     net.Conn
	addr     string
	closed   bool           // the run is ending: no new connection
	exchange sync.WaitGroup // the command in flight, so the run's end comes after its answer
}

// OnCommand gives the scenario the console's lines first: a line it takes (ok) is answered
// with its answer instead of going to the server, so that a reader can act on the scenario
// itself (the Reliable delivery chapter's "rst" cuts the wire).
func (rn *Run) OnCommand(f func(line string) (answer string, ok bool)) {
	rn.commandsM.Lock()
	defer rn.commandsM.Unlock()
	rn.commands = f
}

// Console runs one "put KEY VALUE" or "get KEY" against the run's server, in the
// background, and reports the frames both ways as a console event.
func (rn *Run) Console(line string) {
	rn.commandsM.Lock()
	commands := rn.commands
	rn.commandsM.Unlock()
	if commands != nil {
		if answer, ok := commands(strings.TrimSpace(line)); ok {
			rn.emit(Event{Type: "console", Text: line, RespText: answer})
			return
		}
	}
	if !rn.spec.Scenario.Console {
		rn.emit(Event{Type: "console", Text: line, Error: "this server does not speak the book's protocol"})
		return
	}
	req, err := parseConsole(line)
	if err != nil {
		rn.emit(Event{Type: "console", Text: line, Error: err.Error()})
		return
	}
	sv := rn.current()
	if sv == nil || sv.addr == "" {
		rn.emit(Event{Type: "console", Text: line, Error: "the server is not listening yet"})
		return
	}
	cs := &rn.console
	cs.mu.Lock()
	if cs.busy {
		cs.mu.Unlock()
		rn.emit(Event{Type: "console", Text: line, Error: "still waiting for the answer to the last command"})
		return
	}
	cs.busy = true
	cs.mu.Unlock()
	cs.exchange.Go(func() {
		e := cs.send(sv.addr, req)
		e.Type, e.Text = "console", line
		rn.emit(e)
		cs.mu.Lock()
		cs.busy = false
		cs.mu.Unlock()
	})
}

// parseConsole reads "put KEY VALUE" (the value is the rest of the line) or "get KEY".
func parseConsole(line string) (*kvpb.KeyValueMessage, error) {
	verb, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	rest = strings.TrimSpace(rest)
	key, value, _ := strings.Cut(rest, " ")
	switch {
	case verb == "get" && key != "" && value == "":
		return &kvpb.KeyValueMessage{Kind: kv.Get, Key: key}, nil
	case verb == "put" && key != "":
		return &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: key, Value: strings.TrimSpace(value)}, nil
	}
	return nil, errors.New("type put KEY VALUE or get KEY")
}

// send sends one frame and reads one back on the console's connection.
func (cs *consoleState) send(addr string, req *kvpb.KeyValueMessage) Event {
	frame := kv.AppendFrame(nil, req)
	e := Event{Req: hexBytes(frame), ReqText: describe(req)}
	conn, err := cs.connect(addr)
	if err != nil {
		e.Error = err.Error()
		return e
	}
	_ = conn.SetDeadline(time.Now().Add(consoleTimeout))
	if _, err := conn.Write(frame); err != nil {
		cs.drop()
		e.Error = err.Error()
		return e
	}
	body, err := kv.ReadFrame(conn, nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		cs.drop()
		e.Error = fmt.Sprintf("no answer within %s: the server is not reading this connection (busy with another?)", consoleTimeout)
		return e
	}
	if err != nil {
		cs.drop()
		e.Error = err.Error()
		return e
	}
	e.Resp = hexBytes(frameOf(body))
	var resp kvpb.KeyValueMessage
	if err := proto.Unmarshal(body, &resp); err != nil {
		e.RespText = "undecodable: " + err.Error()
	} else {
		e.RespText = describe(&resp)
	}
	return e
}

func (cs *consoleState) connect(addr string) (net.Conn, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return nil, errors.New("the run is over")
	}
	if cs.conn != nil && cs.addr == addr {
		return cs.conn, nil
	}
	if cs.conn != nil {
		cs.conn.Close()
	}
	conn, err := net.DialTimeout("tcp", addr, consoleTimeout)
	if err != nil {
		return nil, err
	}
	cs.conn, cs.addr = conn, addr
	return conn, nil
}

// drop forgets a connection whose state is unknown (a late answer would be read as the next
// command's).
func (cs *consoleState) drop() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.conn != nil {
		cs.conn.Close()
		cs.conn = nil
	}
}

// closeConsole hangs up the console's connection, which also ends a command waiting for
// its answer, and waits for that command's event.
func (rn *Run) closeConsole() {
	rn.console.mu.Lock()
	rn.console.closed = true
	rn.console.mu.Unlock()
	rn.console.drop()
	rn.console.exchange.Wait()
}

// frameOf puts the 4-byte big-endian length back in front of a body ReadFrame returned,
// which is exactly the bytes that came over the wire.
func frameOf(body []byte) []byte {
	n := len(body)
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func hexBytes(b []byte) string {
	const most = 512
	s := hex.EncodeToString(b[:min(len(b), most)])
	var out strings.Builder
	for i := 0; i < len(s); i += 2 {
		if i > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(s[i : i+2])
	}
	if len(b) > most {
		fmt.Fprintf(&out, " … (%d bytes)", len(b))
	}
	return out.String()
}

var kindNames = map[uint32]string{kv.Get: "Get", kv.GetResponse: "GetResponse", kv.PutOrUpdate: "PutOrUpdate"}

// describe is a message in the protobuf's own words.
func describe(m *kvpb.KeyValueMessage) string {
	kind := kindNames[m.Kind]
	if kind == "" {
		kind = fmt.Sprint(m.Kind)
	}
	return fmt.Sprintf("kind: %s  key: %q  value: %q  status: %s", kind, m.Key, m.Value, m.Status)
}
