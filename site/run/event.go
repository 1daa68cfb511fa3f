package run

// Package run is the Run button without the button: it builds a chapter's server, starts it in
// a process group of its own, plays a scenario against it with the book's own client, samples
// it from /proc, tells which connections it has accepted (sock_diag), and reports everything
// as a stream of events, the same for a live run and for a recording. It knows nothing about
// HTTP: the site sends the events over a websocket, make record writes them to a file.
//
// The event format: one format for a live run (websocket messages, one JSON object each) and
// for a recording (chapters/recordings/NAME.jsonl, one JSON object per line). The page feeds
// both to the same renderer, so what a reader sees before pressing Run is what Run shows.
//
// Every event has:
//
//	t     milliseconds since the run began (a float; recordings replay on this clock)
//	type  one of the types below
//
// Types and their fields:
//
//	run      the first event of a run: what is being run.
//	         mode, scenario; lanes (a name per client, in lane order); options (the reader's
//	         settings: clients, slow, conns); cores (the CPUs the machine has: the most
//	         a server's CPU gauge can read); text (what to watch, from the chapter's front
//	         matter). The gauges' scales are not sent: the page takes them from the
//	         sessions it holds (site/render/static/run/measures.js).
//	status   the run's life: status is one of
//	           building                go build of bin/MODE has started (text: the command)
//	           built                   it finished (text: "up to date" when nothing was built)
//	           starting                bin/MODE is being started (text: its command line)
//	           listening               addr HOST:PORT, pid: the server printed its line
//	           running                 the scenario has started
//	           exited                  the server is gone; code is its exit status
//	           killed                  the site killed it; text says why (stop, time limit,
//	                                   page closed, site shutting down)
//	           failed                  the run could not go on; text says why (for a
//	                                   server that crashed, the first line of its panic
//	                                   or fatal error)
//	build    text: a line of go build's output, pointed at the chapter line that wrote the
//	         code (chapters/FILE.md:LINE).
//	client   client: the lane's index; op is one of
//	           connect    the client starts dialling
//	           connected  the TCP handshake is done (the kernel did it; the server may not
//	                      have called accept yet); ms: how long the dial took
//	           accepted   the server process now holds this connection (seen in /proc: its
//	                      socket is among the server's descriptors)
//	           send       a request went out; text: what ("put k1 v1", "GET /")
//	           waiting    a request has had no answer for a while; ms: for how long
//	           response   the answer arrived; text: what it said; ms: latency since send
//	           owner      the server loop that owns the connection (servers with many
//	                      loops); text: the loop's thread name, "loop0"
//	           close      the client hung up
//	           error      text: what went wrong for this client
//	stderr   text: a line the server wrote to standard error.
//	stats    the server sampled from /proc/PID, every 100 ms while it runs:
//	         cpu (% of one core over the last interval), rss (bytes), threads, fds (open
//	         descriptors), conns (client connections the server holds).
//	loop     a loop's counters over the last second, from the server's -stats line
//	         (busywait, select, poll, epoll; text is the line itself): unit (what one turn
//	         of the loop calls: "poll", "epoll_wait", "syscall"), calls (of it per second),
//	         per (the other counters: name, rate per second, perCall), e.g. passed and
//	         ready descriptors per poll, events per epoll_wait, fruitless per syscall.
//	         A server with many loops prints one such line for all of them, then one per
//	         loop, which also has name ("loop0") and conns (connections it owns).
//	threads  threads: each named thread of a server with many loops, with the CPU it used
//	         over the last second (cpu, % of one core).
//	note     text: the scenario narrating what it does next ("A goes quiet for 3 s").
//	lane     a lane the scenario did not name in its run event: the reader's console, the
//	         first time it talks to the server. client: its index, text: its name.
//	console  a console exchange: text (the command), req and resp (frames as hex), reqText
//	         and respText (their decoded form), ms (the round trip), or error. Its
//	         connection is a lane of its own, so the exchange is also a request there.
//	end      the run is over and everything it started is reaped; status says how
//	         (finished, stopped, failed: see EndFinished), text says why.
//	error    text: the site refused or could not do what the page asked (not part of a run).
//
// Fields are omitted when empty, so each line stays short.
type Event struct {
	T    float64 `json:"t"`
	Type string  `json:"type"`

	// run
	Mode     string   `json:"mode,omitempty"`
	Scenario string   `json:"scenario,omitempty"`
	Lanes    []string `json:"lanes,omitempty"`
	Options  *Options `json:"options,omitempty"`
	Cores    int      `json:"cores,omitempty"`

	// status
	Status string `json:"status,omitempty"`
	Addr   string `json:"addr,omitempty"`
	Pid    int    `json:"pid,omitempty"`
	Code   *int   `json:"code,omitempty"`

	// client
	Client *int    `json:"client,omitempty"`
	Op     string  `json:"op,omitempty"`
	Ms     float64 `json:"ms,omitempty"`

	// build, stderr, note, error, and the "what" of client and status events
	Text string `json:"text,omitempty"`

	// stats
	Stats *Stats `json:"stats,omitempty"`

	// loop
	Loop *LoopStats `json:"loop,omitempty"`

	// threads
	Threads []ThreadCPU `json:"threads,omitempty"`

	// console
	Req      string `json:"req,omitempty"`
	Resp     string `json:"resp,omitempty"`
	ReqText  string `json:"reqText,omitempty"`
	RespText string `json:"respText,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Stats is one /proc sample of the server.
type Stats struct {
	CPU     float64 `json:"cpu"`
	RSS     int64   `json:"rss"`
	Threads int     `json:"threads"`
	FDs     int     `json:"fds"`
	Conns   int     `json:"conns"`
}

// LoopStats are a loop's counters, as the server reports them with -stats.
type LoopStats struct {
	Name  string        `json:"name,omitempty"`  // one of many loops; "" for the whole server
	Conns int           `json:"conns,omitempty"` // connections it owns (one of many loops)
	Unit  string        `json:"unit"`
	Calls float64       `json:"calls"`
	Per   []LoopCounter `json:"per,omitempty"`
}

// ThreadCPU is the CPU one named thread used over the last second.
type ThreadCPU struct {
	Name string  `json:"name"`
	CPU  float64 `json:"cpu"` // % of one core
}

// A LoopCounter is one counter of a loop's -stats line.
type LoopCounter struct {
	Name    string  `json:"name"`
	Rate    float64 `json:"rate"`
	PerCall float64 `json:"perCall"`
}

// Options are the reader's settings for a run, checked and clamped by the scenario.
type Options struct {
	Clients  int  `json:"clients,omitempty"`
	Slow     bool `json:"slow,omitempty"`
	Conns    int  `json:"conns,omitempty"`
	SlowDisk int  `json:"slowdisk,omitempty"` // milliseconds added to every sync of the log

}
