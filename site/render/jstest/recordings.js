// The committed recordings (chapters/recordings), for the tests beside this file: their
// names, their events, and a session folded from them. Not a test file itself (node --test
// runs only *.test.js here).

import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Session } from "../static/run/fold.js";

export const dir = fileURLToPath(new URL("../../../chapters/recordings/", import.meta.url));
export const recordings = readdirSync(dir).filter((n) => n.endsWith(".jsonl")).sort();

export function load(name) {
  return readFileSync(join(dir, name), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

export function fold(events) {
  const s = new Session();
  for (const e of events) s.add(e);
  return s;
}
