package kv_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"flavors/code/kv"
	"flavors/code/kv/kvpb"
	"flavors/code/kv/kvtest"
)

// dial connects with a deadline, so a test that goes wrong fails instead of
// hanging.
func dial(t *testing.T, addr string) *kv.Client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	c := kv.NewClient(conn)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientPutGet(t *testing.T) {
	addr := kvtest.Serve(t)
	a, b := dial(t, addr), dial(t, addr)
	if err := a.Put("k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get("k"); err != nil || v != "v" {
		t.Fatalf("Get on another connection = %q, %v", v, err)
	}
	if _, err := b.Get("missing"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get missing: err %v, want ErrNotFound", err)
	}
}

func TestClientPipelining(t *testing.T) {
	c := dial(t, kvtest.Serve(t))
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		if err := c.Send(&kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Key: k, Value: k + k}); err != nil {
			t.Fatal(err)
		}
		if err := c.Send(&kvpb.KeyValueMessage{Kind: kv.Get, Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		put, err1 := c.Receive()
		get, err2 := c.Receive()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if put.Key != k || get.Key != k || get.Value != k+k {
			t.Fatalf("out of order: put %v, get %v, want key %s", put, get, k)
		}
	}
}

func TestClientRefusesUnsendable(t *testing.T) {
	c := dial(t, kvtest.Serve(t))
	if err := c.Put("k", strings.Repeat("v", kv.MaxFrame)); !errors.Is(err, kv.ErrFrameTooLarge) {
		t.Fatalf("oversize put: err %v, want ErrFrameTooLarge", err)
	}
	if err := c.Put("\xff", "v"); err == nil {
		t.Fatal("a key that is not UTF-8 was sent")
	}
	// Nothing half-sent: the connection still works.
	if err := c.Put("k", "v"); err != nil {
		t.Fatal(err)
	}
}

// fakeServer answers every request on one connection with reply, so the
// client can be shown answers a correct server never gives.
func fakeServer(t *testing.T, reply *kvpb.KeyValueMessage) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(time.Minute))
		for {
			if _, err := kv.ReadFrame(conn, nil); err != nil {
				return
			}
			if _, err := conn.Write(kv.AppendFrame(nil, reply)); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String()
}

func TestClientPutNotOk(t *testing.T) {
	c := dial(t, fakeServer(t, &kvpb.KeyValueMessage{Kind: kv.PutOrUpdate, Status: notOk}))
	if err := c.Put("k", "v"); !errors.Is(err, kv.ErrNotOk) {
		t.Fatalf("err %v, want ErrNotOk", err)
	}
}

func TestClientWrongKind(t *testing.T) {
	c := dial(t, fakeServer(t, &kvpb.KeyValueMessage{Kind: 7}))
	if err := c.Put("k", "v"); err == nil {
		t.Fatal("put accepted a kind 7 answer")
	}
	if _, err := c.Get("k"); err == nil {
		t.Fatal("get accepted a kind 7 answer")
	}
}

func TestClientServerGone(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
	}()
	c, err := kv.Dial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Receive(); err != io.EOF {
		t.Fatalf("Receive from a closed connection: %v, want io.EOF", err)
	}
	ln.Close()
	if _, err := kv.Dial(ln.Addr().String()); err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
}
