// Command kv talks to any of the book's servers.
//
//	kv -addr host:port put KEY VALUE
//	kv -addr host:port get KEY
//	kv -addr host:port            (reads "put KEY VALUE" / "get KEY" lines)
//
// A get prints the value. The exit status is 0 on Ok, 1 on NotOk, and 2 on a
// usage or connection error, reported in one line on standard error.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"flavors/code/kv"
)

const usage = "usage: kv [-addr host:port] [put KEY VALUE | get KEY]"

// Exit statuses.
const (
	statusOk    = 0
	statusNotOk = 1
	statusError = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("kv", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // one line of our own instead of flag's usage text
	addr := flags.String("addr", "127.0.0.1:7070", "server `host:port`")
	if err := flags.Parse(args); err != nil {
		fmt.Fprintf(stderr, "kv: %v; %s\n", err, usage)
		return statusError
	}
	cmd := flags.Args()
	if len(cmd) > 0 && !validCommand(cmd) {
		fmt.Fprintf(stderr, "kv: bad command %q; %s\n", strings.Join(cmd, " "), usage)
		return statusError
	}
	c, err := kv.Dial(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "kv: %v\n", err)
		return statusError
	}
	defer c.Close()
	if len(cmd) == 0 {
		return interactive(c, stdin, stdout, stderr)
	}
	return command(c, cmd, stdout, stderr)
}

func validCommand(cmd []string) bool {
	return (cmd[0] == "put" && len(cmd) == 3) || (cmd[0] == "get" && len(cmd) == 2)
}

// command runs one command from the command line.
func command(c *kv.Client, cmd []string, stdout, stderr io.Writer) int {
	var err error
	if cmd[0] == "put" {
		err = c.Put(cmd[1], cmd[2])
	} else {
		var value string
		if value, err = c.Get(cmd[1]); err == nil {
			fmt.Fprintln(stdout, value)
		}
	}
	switch {
	case err == nil:
		return statusOk
	case errors.Is(err, kv.ErrNotFound), errors.Is(err, kv.ErrNotOk):
		fmt.Fprintf(stderr, "kv: %v\n", err)
		return statusNotOk
	default:
		fmt.Fprintf(stderr, "kv: %v\n", err)
		return statusError
	}
}

// interactive answers each line of stdin with one line on stdout, until the
// input ends or the connection fails.
func interactive(c *kv.Client, stdin io.Reader, stdout, stderr io.Writer) int {
	lines := bufio.NewScanner(stdin)
	lines.Buffer(nil, 2*kv.MaxFrame) // a line may carry a value of up to 1 MiB
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		answer, err := execute(c, line)
		if err != nil {
			fmt.Fprintf(stderr, "kv: %v\n", err)
			return statusError
		}
		fmt.Fprintln(stdout, answer)
	}
	if err := lines.Err(); err != nil {
		fmt.Fprintf(stderr, "kv: reading input: %v\n", err)
		return statusError
	}
	return statusOk
}

// execute runs one input line. Words are separated by spaces; a put's value
// is the rest of the line, inner spaces included. NotOk answers and lines we
// cannot send are answers too; only a failed exchange is an error.
func execute(c *kv.Client, line string) (string, error) {
	verb, rest, _ := strings.Cut(line, " ")
	key, value, hasValue := strings.Cut(strings.TrimLeft(rest, " "), " ")
	value = strings.TrimLeft(value, " ")
	switch {
	case !utf8.ValidString(line):
		return "bad line: not UTF-8", nil
	case verb == "put" && key != "" && hasValue:
		err := c.Put(key, value)
		if errors.Is(err, kv.ErrNotOk) {
			return "NotOk", nil
		}
		if errors.Is(err, kv.ErrFrameTooLarge) {
			return "value too large: a frame holds at most 1 MiB", nil
		}
		return "OK", err
	case verb == "get" && key != "" && !hasValue:
		value, err := c.Get(key)
		if errors.Is(err, kv.ErrNotFound) {
			return "(not found)", nil
		}
		return value, err
	default:
		return "bad line; want: put KEY VALUE | get KEY", nil
	}
}
