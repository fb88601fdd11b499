// How many cores this process may keep busy: the CPUs it may run on (os.availableParallelism, the
// affinity mask), capped by a CPU quota where one is set. A container or a Kubernetes pod (Zero to
// JupyterHub's cpu_limit, say) sees every core of its host but gets a quota of a few: a kernel that
// started a thread per visible core would have most of them waiting for the quota at every job.
// Node 20's libuv (1.46) reads only the mask; libuv 1.49 also reads the quota, as Rust's
// std::thread::available_parallelism does, whose rules this follows: the smallest quota over the
// process's cgroup and its ancestors, cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us), rounded down,
// at least 1. A JupyterHub spawner with cpu_limit set also says so in CPU_LIMIT.
import { readFileSync } from "fs";
import * as os from "os";
import * as path from "path";

export interface CoreSources {
  /** The CPUs the process may run on (default: os.availableParallelism()). */
  cpus?: number;
  /** Where the cgroup file systems are mounted (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** The process's cgroups, as /proc/self/cgroup lists them (default: read from there). */
  procCgroup?: string;
  /** CPU_LIMIT is read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** The cgroup path and its ancestors, deepest first ("/a/b" → "/a/b", "/a", "/"). */
function ancestors(group: string): string[] {
  const out: string[] = [];
  for (let g = path.posix.normalize(group || "/"); ; g = path.posix.dirname(g)) {
    out.push(g);
    if (g === "/" || g === ".") return out;
  }
}

/** The CPU quota in cores (a fraction) from the cgroup files, or undefined when none is set. */
export function cgroupQuota(root = "/sys/fs/cgroup", procCgroup = read("/proc/self/cgroup") ?? ""): number | undefined {
  let least: number | undefined;
  const take = (quota: number, period: number) => {
    if (quota > 0 && period > 0) least = Math.min(least ?? Infinity, quota / period);
  };
  for (const line of procCgroup.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim()); // "id:controllers:path"
    if (!m) continue;
    const [, id, controllers, group] = m;
    if (id === "0" && controllers === "") {
      // cgroup v2: "max 100000" (no quota) or "200000 100000"
      for (const g of ancestors(group)) {
        const [q, p] = (read(path.join(root, g, "cpu.max")) ?? "").split(/\s+/);
        if (q && q !== "max") take(Number(q), Number(p));
      }
    } else if (controllers.split(",").includes("cpu")) {
      // cgroup v1: the cpu controller's folder is named after the controllers mounted with it
      for (const mount of new Set([controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu"])) {
        for (const g of ancestors(group)) {
          const q = Number(read(path.join(root, mount, g, "cpu.cfs_quota_us")) ?? -1);
          if (q > 0) take(q, Number(read(path.join(root, mount, g, "cpu.cfs_period_us")) ?? 0));
        }
      }
    }
  }
  return least;
}

/** The cores this process may keep busy (at least 1): the CPUs it may run on, less any quota. */
export function usableCores(src: CoreSources = {}): number {
  const cpus = src.cpus ?? (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
  let n = Math.max(1, cpus);
  const quota = cgroupQuota(src.cgroupRoot, src.procCgroup);
  if (quota !== undefined) n = Math.min(n, Math.max(1, Math.floor(quota)));
  const limit = Number((src.env ?? process.env).CPU_LIMIT);
  if (Number.isFinite(limit) && limit > 0) n = Math.min(n, Math.max(1, Math.floor(limit)));
  return n;
}
