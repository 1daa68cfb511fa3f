package scenario

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"flavors/site/run"
)

// helloDelay is how long the introduction's server sleeps before it answers.
const helloDelay = time.Second

// playHello is the introduction's experiment: two requests at once to a server that sleeps
// before answering. Served one after the other, the second waits for the first; with
// -concurrent (one go statement in the chapter), both are answered after one delay.
func playHello(ctx context.Context, rn *run.Run, _ run.Options) error {
	rounds := []struct {
		flags []string
		lanes [2]int
		say   string
	}{
		{[]string{"-delay", helloDelay.String()}, [2]int{0, 1},
			"two requests at once; the server handles one connection at a time"},
		{[]string{"-delay", helloDelay.String(), "-concurrent"}, [2]int{2, 3},
			"the same two requests; now each connection gets its own goroutine"},
	}
	for i, round := range rounds {
		sv, err := rn.Serve(round.flags...)
		if err != nil {
			return err
		}
		if i == 0 {
			rn.Running()
		}
		rn.Note("%s", round.say)
		var wg sync.WaitGroup
		for _, lane := range round.lanes {
			wg.Go(func() { httpGet(rn, lane, sv.Addr()) })
		}
		wg.Wait()
		if rn.CutShort() {
			return nil
		}
		rn.Finish(sv)
	}
	return nil
}

// httpGet asks the hello server for "/" on its own connection, over plain HTTP/1.1.
func httpGet(rn *run.Run, lane int, addr string) {
	l, err := rn.Dial(lane, addr)
	if err != nil {
		return
	}
	defer l.HangUp()
	_, _ = l.Request("GET /", func() (string, error) {
		if _, err := fmt.Fprintf(l.Conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(l.Conn), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := bufio.NewReader(resp.Body).ReadString('\n')
		return strings.TrimSpace(resp.Status + " " + body), nil
	})
}
