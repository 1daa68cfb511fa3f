package kv

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/protobuf/proto"

	"flavors/code/kv/kvpb"
)

var (
	ErrNotOk    = errors.New("kv: server answered NotOk")
	ErrNotFound = errors.New("kv: key not found")
)

// dialTimeout bounds a connect; on loopback a refused or unanswered connect
// is a dead server, not a slow one.
const dialTimeout = 10 * time.Second

// Client speaks the protocol over one connection. It is not safe for
// concurrent use: responses come back in request order, so one goroutine
// should own the connection.
type Client struct {
	conn  net.Conn
	r     *bufio.Reader
	frame []byte // reused for every request sent
	body  []byte // reused for every response read
}

func Dial(addr string) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient speaks the protocol over a connection the caller opened, for
// callers that want to set deadlines or socket options themselves.
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, r: bufio.NewReader(conn)}
}

func (c *Client) Put(key, value string) error {
	resp, err := c.Do(&kvpb.KeyValueMessage{Kind: PutOrUpdate, Key: key, Value: value})
	if err != nil {
		return err
	}
	if resp.Kind != PutOrUpdate {
		return fmt.Errorf("kv: put answered with kind %d", resp.Kind)
	}
	if resp.Status != kvpb.Status_Ok {
		return ErrNotOk
	}
	return nil
}

func (c *Client) Get(key string) (string, error) {
	resp, err := c.Do(&kvpb.KeyValueMessage{Kind: Get, Key: key})
	if err != nil {
		return "", err
	}
	if resp.Kind != GetResponse {
		return "", fmt.Errorf("kv: get answered with kind %d", resp.Kind)
	}
	if resp.Status != kvpb.Status_Ok {
		return "", ErrNotFound
	}
	return resp.Value, nil
}

// Do sends one request and waits for its response. Do not mix it with
// unanswered Sends: it would read their responses first.
func (c *Client) Do(req *kvpb.KeyValueMessage) (*kvpb.KeyValueMessage, error) {
	if err := c.Send(req); err != nil {
		return nil, err
	}
	return c.Receive()
}

// Send writes one request now, without waiting for its response
// (pipelining). It refuses a request the server would reject as too large.
func (c *Client) Send(req *kvpb.KeyValueMessage) error {
	frame, err := appendFrame(c.frame[:0], req)
	if err != nil {
		return err
	}
	c.frame = frame
	_, err = c.conn.Write(frame)
	return err
}

// Receive reads the next response, in the order the requests were sent.
func (c *Client) Receive() (*kvpb.KeyValueMessage, error) {
	body, err := ReadFrame(c.r, c.body)
	if err != nil {
		return nil, err
	}
	c.body = body
	resp := new(kvpb.KeyValueMessage)
	if err := proto.Unmarshal(body, resp); err != nil {
		return nil, fmt.Errorf("kv: undecodable response: %w", err)
	}
	return resp, nil
}

func (c *Client) Close() error {
	return c.conn.Close()
}
