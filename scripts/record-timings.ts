// Copy this machine's last `seqlab start` times into notebooks/timings.json, with the machine's
// probe (npm start scales recorded times by the probe where it runs). The load changes during a
// run, so each notebook's time is first brought to the run's median probe: t · median / its probe.
//   node dist/scripts/record-timings.js [REPORTS_DIR] [--mode quick|full] [--note "what the load was"]
// Run it after a run of the whole course in that mode on a 2-core machine, none of it cached.
import { readFileSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { readState } from "../kernel/tools/course-cache";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const mode = (opt("--mode") ?? "quick") as "quick" | "full";
const note = opt("--note");
const reports = path.resolve(args[0] ?? "reports");
const file = path.resolve(__dirname, "..", "..", "notebooks", "timings.json");
const state = readState(reports);
const times = state.timings[mode];
const probes = state.probes?.[mode] ?? {};
// The Korean edition (keys "ko/NAME") runs the English notebook's code: timings.json keeps the English times.
const measured = Object.keys(times).filter((n) => probes[n] > 0 && !n.includes("/"));
if (!measured.length) {
  console.error(
    `no ${mode}-mode times with a probe in ${reports}/.cache.json: run the course there first (npm start${mode === "quick" ? " -- --quick" : ""})`,
  );
  process.exit(1);
}
const rec = JSON.parse(readFileSync(file, "utf8"));
if (rec.cores !== os.availableParallelism()) {
  console.error(`timings.json holds times for ${rec.cores} cores; this machine has ${os.availableParallelism()}`);
  process.exit(1);
}
const sorted = measured.map((n) => probes[n]).sort((a, b) => a - b);
const probe = sorted[Math.floor(sorted.length / 2)];
const day = new Date().toISOString().slice(0, 10);
for (const name of measured) {
  const seconds = (times[name] * probe) / probes[name];
  const entry = (rec.notebooks[name] ??= { quick: seconds, full: seconds });
  entry[mode] = Math.round(seconds);
  const was = typeof entry.source === "string" ? entry.source.replace(/^(quick|full): seqlab start [^;]*(; before: )?/, "") : "";
  entry.source =
    `${mode}: seqlab start ${day}, ${times[name].toFixed(1)} s at probe ${probes[name].toFixed(3)} s${note ? `, ${note}` : ""}` +
    (was ? `; before: ${was}` : "");
  console.log(
    `${name.padEnd(44)} ${mode} ${Math.round(seconds)} s (measured ${times[name].toFixed(1)} s at probe ${probes[name].toFixed(3)} s)`,
  );
}
rec.probe = probe;
// The file's layout: one line per notebook.
const line = (v: Record<string, unknown>) =>
  `{ ${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`)
    .join(", ")} }`;
const { notebooks, ...head } = rec;
const top = Object.entries(head).map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
const rows = Object.entries(notebooks as Record<string, Record<string, unknown>>).map(([k, v]) => `  ${JSON.stringify(k)}: ${line(v)}`);
writeFileSync(file, `{\n${top.join("\n")}\n "notebooks": {\n${rows.join(",\n")}\n }\n}\n`);
console.log(`probe ${probe.toFixed(3)} s recorded in ${file}`);
