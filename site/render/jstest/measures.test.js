// The gauges' measures, scales and finished-panel rule (static/run/measures.js), against
// the committed recordings: node --test site/render/jstest. What is expected is computed
// here from the raw events, never by the code under test.

import { test } from "node:test";
import assert from "node:assert/strict";

import { sampleAt } from "../static/run/fold.js";
import { measures, niceCeil, peakOf, pow2Ceil, scaleText, scalesFor } from "../static/run/measures.js";
import { fold, load, recordings } from "./recordings.js";

const MiB = 1 << 20;


const byId = (session) => new Map(measures(session).map((m) => [m.id, m]));

test("niceCeil rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
  const cases = [[0, 1], [0.4, 1], [1, 1], [1.11, 2], [7, 10], [10, 10], [14, 20], [21, 25], [118, 200], [2010, 2500], [2500, 2500], [5001, 10000]];
  for (const [v, want] of cases) assert.equal(niceCeil(v), want, `niceCeil(${v})`);
});

test("pow2Ceil rounds up to a power of two", () => {
  const cases = [[0, 1], [6.6, 8], [8, 8], [15.4, 16], [45.7, 64], [64, 64], [65, 128]];
  for (const [v, want] of cases) assert.equal(pow2Ceil(v), want, `pow2Ceil(${v})`);
});

// The rule of a finished panel: every gauge shows the last sample, for every measure of
// every recording; the peak is the highest sample.
for (const name of recordings) {
  test(name + ": at the end, every gauge shows the last sample", () => {
    const events = load(name);
    const s = fold(events);
    const ms = byId(s);
    const stats = events.filter((e) => e.type === "stats").map((e) => e.stats);
    if (stats.length) {
      const last = stats[stats.length - 1];
      const want = { cpu: last.cpu / 100, threads: last.threads, rss: last.rss / MiB, fds: last.fds, conns: last.conns };
      for (const [id, v] of Object.entries(want)) {
        assert.equal(sampleAt(ms.get(id).points, Infinity).v, v, `${id} at the end`);
      }
      assert.equal(peakOf(ms.get("cpu").points).v, Math.max(...stats.map((x) => x.cpu)) / 100, "the CPU's peak");
    }
    const loops = events.filter((e) => e.type === "loop" && !e.loop.name).map((e) => e.loop);
    if (loops.length) {
      assert.equal(sampleAt(ms.get("calls").points, Infinity).v, loops[loops.length - 1].calls, "loop calls at the end");
    }
  });
}

test("busy wait's CPU is in cores, over one core, on a scale that holds it", () => {
  const events = load("busywait-busywait.jsonl");
  const peak = Math.max(...events.filter((e) => e.type === "stats").map((e) => e.stats.cpu)) / 100;
  assert.ok(peak > 1, `the recording's peak is ${peak} cores: busy wait spins a core, and Go's own threads add to it`);
  const s = fold(events);
  const scales = scalesFor([s]);
  const cores = events[0].cores || 0;
  assert.equal(scales.cpu, Math.max(cores, Math.ceil(peak)), "the CPU's scale: the machine's cores, or the peak's whole cores");
  assert.ok(scales.cpu >= peak, "not clamped");
  assert.equal(peakOf(byId(s).get("cpu").points).v, peak);
  assert.match(scaleText("cpu", scales.cpu), /^of \d+ cores$/);
});

test("c10k: the three servers' memory on one scale that fits the largest", () => {
  const modes = ["threaded", "gonet", "epoll"];
  const sessions = modes.map((m) => fold(load(`c10k-${m}.jsonl`)));
  const peaks = modes.map((m) => Math.max(...load(`c10k-${m}.jsonl`).filter((e) => e.type === "stats").map((e) => e.stats.rss)) / MiB);
  const high = Math.max(...peaks);
  const scale = scalesFor(sessions).rss;
  assert.ok(scale >= high && scale < 2 * Math.max(high, 8), `scale ${scale} MiB for a peak of ${high} MiB`);
  assert.equal(Math.log2(scale) % 1, 0, "a power of two");
  // Each alone would pick a smaller scale; together they share the largest's.
  assert.ok(scalesFor([sessions[2]]).rss < scale, "epoll alone fits a smaller scale");
  assert.equal(scaleText("rss", scale), `of ${scale} MiB`);
});

test("epoll: passed per call is 0 and ready per call is the events per wait, on select's scale", () => {
  const events = load("epoll-epoll.jsonl");
  const loops = events.filter((e) => e.type === "loop" && !e.loop.name).map((e) => e.loop);
  assert.ok(loops.length > 0);
  const epoll = byId(fold(events));
  assert.ok(epoll.has("passed") && epoll.has("ready"), "epoll has the pair");
  assert.ok(epoll.get("passed").points.every((p) => p.v === 0), "nothing is passed to epoll_wait");
  const per = (l, n) => (l.per || []).find((c) => c.name === n);
  // Seconds without a call have no per-call figure.
  const called = loops.filter((l) => l.calls > 0);
  assert.deepEqual(epoll.get("ready").points.map((p) => p.v), called.map((l) => (per(l, "events") ? per(l, "events").perCall : 0)));
  if (loops.some((l) => per(l, "epoll_ctl"))) {
    const last = called[called.length - 1];
    assert.match(sampleAt(epoll.get("passed").points, Infinity).note, new RegExp(`epoll_ctl ${Math.round(per(last, "epoll_ctl").rate)}/s`));
  }
  const select = fold(load("select-select.jsonl"));
  const passedPeak = peakOf(byId(select).get("passed").points).v;
  assert.equal(byId(select).get("passed").scale, epoll.get("passed").scale, "the same scale");
  assert.ok(scalesFor([select, fold(events)]).perCall >= passedPeak);
});

test("a second without a call has no per-call figure: select's finished panel keeps its last called second", () => {
  const events = load("epoll-select.jsonl");
  const loops = events.filter((e) => e.type === "loop" && !e.loop.name).map((e) => e.loop);
  assert.equal(loops[loops.length - 1].calls, 0, "the recording ends with a quiet second, select blocked throughout");
  const called = loops.filter((l) => l.calls > 0);
  const passed = (l) => l.per.find((c) => c.name === "passed").perCall;
  const want = passed(called[called.length - 1]);
  assert.ok(want > 100, `select's last called second passed ${want} descriptors a call: the hundred idle ones are still held`);
  assert.equal(sampleAt(byId(fold(events)).get("passed").points, Infinity).v, want);
});
