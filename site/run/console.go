package run

import (
	"encoding/hex"
	"errors"
	"fmt"
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

// consoleState is the console as a client of the run's server, drawn as its own lane
// ("console", after the scenario's lanes). Like the book's bin/kv get KEY, each command
// opens a connection, sends one request, reads one answer and hangs up: the lane shows the
// connection wait to be accepted, and the request's round trip.
type consoleState struct {
	mu       sync.Mutex
	lane     int            // its index on the timeline
	named    bool           // the lane event is out
	busy     bool           // a command is waiting for its answer
	inFlight *Lane          // its connection, once dialled
	closed   bool           // the run is ending: no new command
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

// ErrNoRun answers a console command sent while no run is going: the console is a client of
// the run's server, and with no run there is no server to talk to.
var ErrNoRun = errors.New("no run is going: the console talks to the server of a run; press Run first")

// Console runs one "put KEY VALUE" or "get KEY" against the run's server, in the
// background, on the console's lane, and reports the frames both ways as a console event.
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
	if cs.busy || cs.closed {
		cs.mu.Unlock()
		why := "still waiting for the answer to the last command"
		if cs.closed {
			why = "the run is over"
		}
		rn.emit(Event{Type: "console", Text: line, Error: why})
		return
	}
	cs.busy = true
	cs.exchange.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.exchange.Done()
		e := rn.consoleExchange(sv.addr, req, strings.TrimSpace(line))
		e.Type, e.Text = "console", line
		cs.mu.Lock()
		cs.busy, cs.inFlight = false, nil // before the answer shows: the next command may go
		cs.mu.Unlock()
		rn.emit(e)
	}()
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

// consoleExchange dials the console's lane, sends one frame and reads one back: a request
// like any client's (send, waiting, response with its round trip, or an error such as no
// answer within consoleTimeout), and hangs up.
func (rn *Run) consoleExchange(addr string, req *kvpb.KeyValueMessage, what string) Event {
	frame := kv.AppendFrame(nil, req)
	e := Event{Req: hexBytes(frame), ReqText: describe(req)}
	l, err := rn.dialConsole(addr)
	if err != nil {
		e.Error = err.Error()
		return e
	}
	sent := time.Now()
	var body []byte
	_, err = rn.Request(l.index, what, func() (string, error) {
		_ = l.Conn.SetDeadline(time.Now().Add(consoleTimeout))
		if _, err := l.Conn.Write(frame); err != nil {
			return "", err
		}
		var err error
		body, err = kv.ReadFrame(l.Conn, nil)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return "", fmt.Errorf("timeout: no answer within %s: the server is not reading this connection (busy with another client?)", consoleTimeout)
		case err != nil && rn.consoleClosed():
			return "", errors.New("the run ended before the answer came")
		case err != nil:
			return "", err
		}
		var resp kvpb.KeyValueMessage
		if err := proto.Unmarshal(body, &resp); err != nil {
			return "undecodable", nil
		}
		return answer(&resp), nil
	})
	e.Ms = roundMs(msSince(sent))
	if err != nil {
		l.close() // the lane already shows why
		e.Error = err.Error()
		return e
	}
	l.HangUp()
	e.Resp = hexBytes(frameOf(body))
	var resp kvpb.KeyValueMessage
	if err := proto.Unmarshal(body, &resp); err != nil {
		e.RespText = "undecodable: " + err.Error()
	} else {
		e.RespText = describe(&resp)
	}
	return e
}

// dialConsole opens the console's connection for one command, on its lane (named the first
// time).
func (rn *Run) dialConsole(addr string) (*Lane, error) {
	cs := &rn.console
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return nil, errors.New("the run is over")
	}
	if !cs.named {
		cs.named = true
		lane := cs.lane
		rn.emit(Event{Type: "lane", Client: &lane, Text: "console"})
	}
	l, err := rn.Dial(cs.lane, addr)
	if err != nil {
		return nil, err
	}
	cs.inFlight = l
	return l, nil
}

func (rn *Run) consoleClosed() bool {
	rn.console.mu.Lock()
	defer rn.console.mu.Unlock()
	return rn.console.closed
}

// closeConsole ends a command still waiting for its answer (its connection closes) and
// waits for that command's event; no command starts after it.
func (rn *Run) closeConsole() {
	cs := &rn.console
	cs.mu.Lock()
	cs.closed = true
	if cs.inFlight != nil {
		_ = cs.inFlight.Conn.Close()
	}
	cs.mu.Unlock()
	cs.exchange.Wait()
}

// answer is what a response says, in a few words, for the console's lane.
func answer(m *kvpb.KeyValueMessage) string {
	switch {
	case m.Status != kvpb.Status_Ok:
		return m.Status.String()
	case m.Kind == kv.GetResponse:
		return fmt.Sprintf("%q", m.Value)
	}
	return "ok"
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
