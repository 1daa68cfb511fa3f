// The session fold against every committed recording: node --test site/render/jstest
// (make test runs it where node is installed). What is expected is read from the raw
// events, never from the fold itself.

import { test } from "node:test";
import assert from "node:assert/strict";

import { laneState, sampleAt, timeOrigin } from "../static/run/fold.js";
import { dir, fold, load, recordings } from "./recordings.js";



test("there are recordings to fold", () => {
  assert.ok(recordings.length >= 5, `${recordings.length} recordings in ${dir}`);
});

for (const name of recordings) {
  test(name, () => {
    const events = load(name);
    const s = fold(events);

    assert.equal(s.header, events[0], "the run event is the header");
    assert.ok(s.over, "the end event closes the session");
    assert.equal(s.lastT, Math.max(...events.map((e) => e.t)));
    assert.equal(s.samples.length, events.filter((e) => e.type === "stats").length);
    assert.equal(s.notes.length, events.filter((e) => e.type === "note").length);
    assert.equal(s.loops.length, events.filter((e) => e.type === "loop" && !e.loop.name).length);
    // A server with many loops: each loop's lines, by name, and its threads' CPU.
    for (const [name, list] of Object.entries(s.eachLoop)) {
      assert.deepEqual(list.map((l) => [l.t, l.conns]),
        events.filter((e) => e.type === "loop" && e.loop.name === name).map((e) => [e.t, e.loop.conns || 0]), `loop ${name}`);
    }
    assert.equal(Object.keys(s.eachLoop).length, new Set(events.filter((e) => e.type === "loop" && e.loop.name).map((e) => e.loop.name)).size);
    assert.equal(s.threads.length, events.filter((e) => e.type === "threads").length);

    // A server per listening line, each ended by the exit or kill that follows it.
    const listening = events.filter((e) => e.type === "status" && e.status === "listening");
    assert.equal(s.servers.length, listening.length);
    s.servers.forEach((sv, i) => {
      assert.equal(sv.from, listening[i].t);
      assert.equal(sv.pid, listening[i].pid);
      assert.ok(sv.to !== null && sv.to >= sv.from, `server ${i} has ended`);
      assert.ok(sv.end === "exited" || sv.end === "killed");
    });
    assert.equal(timeOrigin(s), listening.length ? listening[0].t : 0);

    const clientEvents = events.filter((e) => e.type === "client");
    const laneCount = clientEvents.length ? Math.max(...clientEvents.map((e) => e.client || 0)) + 1 : 0;
    assert.equal(s.lanes.length, laneCount);
    s.lanes.forEach((l, i) => {
      const own = clientEvents.filter((e) => (e.client || 0) === i);
      // Every mark is one of the lane's own events, in order.
      const marked = own.filter((e) => ["accepted", "owner", "send", "response", "close", "error"].includes(e.op));
      assert.deepEqual(l.marks.map((m) => [m.t, m.kind]), marked.map((e) => [e.t, e.op]), `lane ${i} marks`);
      // Spans follow each other without overlapping, and all are closed at the end.
      let last = -Infinity;
      for (const sp of l.spans) {
        assert.ok(sp.to !== null, `lane ${i}: a span still open after the end`);
        assert.ok(sp.from >= last && sp.to >= sp.from, `lane ${i}: spans overlap or run backwards`);
        last = sp.to;
      }
      // A lane is served only between one of its requests and that request's answer.
      for (const sp of l.spans.filter((x) => x.state === "served" || x.state === "waiting")) {
        const sent = own.filter((e) => e.op === "send" && e.t <= sp.from);
        assert.ok(sent.length > 0, `lane ${i}: ${sp.state} at ${sp.from} with no request sent`);
      }
      // The loop that owns it, if the server said so, is the last one told.
      const owners = own.filter((e) => e.op === "owner");
      assert.equal(l.owner, owners.length ? owners[owners.length - 1].text : null, `lane ${i} owner`);
      // The first span starts when the lane began to connect.
      const connect = own.find((e) => e.op === "connect");
      if (connect && l.spans.length) assert.equal(l.spans[0].from, connect.t);
      if (connect && l.spans.length) assert.equal(l.spans[0].state, "connecting");
    });
  });
}

// The blocking chapter's lesson, as the fold draws it: B's request is served only once A,
// the slow client, has hung up.
test("blocking: B is served only after A hangs up", () => {
  const events = load("blocking-blocking.jsonl");
  const aClose = events.find((e) => e.type === "client" && e.client === 0 && e.op === "close");
  const bSend = events.find((e) => e.type === "client" && e.client === 1 && e.op === "send");
  assert.ok(aClose && bSend && bSend.t < aClose.t, "the recording has B asking while A is connected");
  const b = fold(events).lanes[1];
  const served = b.spans.filter((sp) => sp.state === "served");
  assert.ok(served.length > 0, "B is served at last");
  assert.ok(served[0].from >= aClose.t, `B served at ${served[0].from}, A hung up at ${aClose.t}`);
  assert.ok(b.spans.some((sp) => sp.state === "waiting" && sp.from < aClose.t), "B waits while A is connected");
});

// A run cut short (Stop, a time limit) ends with lanes still connected: the end closes them.
test("a run cut short closes every lane at its end", () => {
  const events = load("blocking-blocking.jsonl");
  const cut = events.findIndex((e) => e.type === "client" && e.client === 1 && e.op === "send");
  const end = { t: events[cut].t + 1, type: "end", text: "stopped by the reader" };
  const s = fold([...events.slice(0, cut + 1), end]);
  assert.ok(s.lanes.length >= 2);
  for (const l of s.lanes) {
    assert.ok(l.spans.length > 0);
    for (const sp of l.spans) assert.ok(sp.to !== null && sp.to <= end.t, `${l.name}: span ${sp.state} not closed by the end`);
  }
});

test("laneState", () => {
  const base = { dialing: false, connected: false, accepted: false, inFlight: false, closed: false };
  const cases = [
    [{}, null],
    [{ dialing: true }, "connecting"],
    [{ connected: true }, "queued"],
    [{ connected: true, accepted: true }, "idle"],
    [{ connected: true, inFlight: true }, "waiting"],
    [{ connected: true, accepted: true, inFlight: true }, "served"],
    [{ connected: true, accepted: true, closed: true }, null],
  ];
  for (const [facts, want] of cases) assert.equal(laneState({ ...base, ...facts }), want, JSON.stringify(facts));
});

test("sampleAt is the last sample at or before t", () => {
  const list = [{ t: 1 }, { t: 5 }, { t: 9 }];
  assert.equal(sampleAt(list, 0), null);
  assert.equal(sampleAt(list, 5), list[1]);
  assert.equal(sampleAt(list, 8.9), list[1]);
  assert.equal(sampleAt(list, Infinity), list[2]);
});
