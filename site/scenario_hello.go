package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// helloDelay is how long the introduction's server sleeps before it answers.
const helloDelay = time.Second

// playHello is the introduction's experiment: two requests at once to a server that sleeps
// before answering. Served one after the other, the second waits for the first; with
// -concurrent (one go statement in the chapter), both are answered after one delay.
func playHello(ctx context.Context, rn *run, _ runOptions) error {
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
		sv, err := rn.serve(round.flags...)
		if err != nil {
			return err
		}
		if i == 0 {
			rn.running()
		}
		rn.note("%s", round.say)
		var wg sync.WaitGroup
		for _, lane := range round.lanes {
			wg.Go(func() { rn.httpGet(lane, sv.addr) })
		}
		wg.Wait()
		if rn.cutShort() {
			return nil
		}
		rn.finish(sv)
	}
	return nil
}

// httpGet asks the hello server for "/" on its own connection, over plain HTTP/1.1.
func (rn *run) httpGet(lane int, addr string) {
	conn, err := rn.dial(lane, addr)
	if err != nil {
		return
	}
	release := context.AfterFunc(rn.ctx, func() { conn.Close() })
	defer release()
	defer rn.lanes.closed(localPort(conn))
	defer conn.Close()
	_, err = rn.request(lane, "GET /", func() (string, error) {
		if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, _ := bufio.NewReader(resp.Body).ReadString('\n')
		return strings.TrimSpace(resp.Status + " " + body), nil
	})
	if err == nil {
		rn.emitClient(lane, "close", "", 0)
	}
}

func init() {
	addScenario(&scenario{
		Name: "hello",
		Lessons: map[string]string{"": "The server sleeps a second before each answer, and two requests arrive at once. " +
			"Handled one at a time, one of them waits for the other; with one go statement (a goroutine per connection), both finish together."},
		Lanes: func(runOptions) []string {
			return []string{"A · one at a time", "B · one at a time", "A · concurrent", "B · concurrent"}
		},
		Play: playHello,
	})
}
