// Benchmark dispatcher: `node dist/bench/run.js NAME [args...]` (or `npm run bench -- NAME [args...]`)
// loads dist/bench/NAME.js, compiled from bench/NAME.ts, and awaits its exported `main(args)`.
import { existsSync, readdirSync } from "fs";
import * as path from "path";

interface Benchmark {
  main(args: string[]): Promise<void>;
}

/** Benchmarks present next to this file: every NAME.js with a NAME.ts source, except the dispatcher. */
function available(): string[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith(".js") && f !== "run.js")
    .map((f) => f.slice(0, -".js".length))
    .sort();
}

function usage(): string {
  const names = available();
  return `usage: npm run bench -- NAME [args...]\navailable benchmarks: ${names.length ? names.join(", ") : "(none compiled; run `npx tsc -p .`)"}`;
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "-h" || name === "--help") {
    console.error(usage());
    return name ? 0 : 2;
  }
  // Names only, so that NAME cannot point outside dist/bench.
  const file = path.join(__dirname, `${name}.js`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name) || name === "run" || !existsSync(file)) {
    console.error(`bench: unknown benchmark ${JSON.stringify(name)}`);
    console.error(usage());
    return 2;
  }
  const mod = require(file) as Partial<Benchmark>;
  if (typeof mod.main !== "function") {
    console.error(`bench: ${path.relative(process.cwd(), file)} exports no main(args) function`);
    return 2;
  }
  await mod.main(args);
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    // exit now: kernel sockets or child processes would otherwise keep the process alive
    process.exit(1);
  },
);
