// The cores seqlab's threads count on (src/backend/cores.ts): the CPUs, less a CPU quota from the
// cgroup files of a container or a Kubernetes pod (v2 and v1, the process's group and its ancestors)
// or JupyterHub's CPU_LIMIT. The cgroup file systems are written here as folders of files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "fs";
import * as path from "path";
import { cgroupQuota, usableCores } from "../../src/backend/cores";
import { defaultThreadCount } from "../../src/backend/threads";
import { tempDir } from "../support/tools";

/** A cgroup root holding `files` (relative path -> contents). */
function cgroups(files: Record<string, string>): string {
  const root = tempDir("seqlab-cgroup-");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text + "\n");
  }
  return root;
}

test("cgroup v2: the smallest quota over the process's group and its ancestors, rounded down, at least 1", () => {
  const root = cgroups({
    "cpu.max": "max 100000",
    "kubepods/cpu.max": "400000 100000",
    "kubepods/pod1/cpu.max": "150000 100000",
    "kubepods/pod1/box/cpu.max": "max 100000",
    "kubepods/pod2/cpu.max": "max 100000",
    "kubepods/pod3/cpu.max": "50000 100000",
  });
  assert.equal(cgroupQuota(root, "0::/kubepods/pod1/box\n"), 1.5);
  assert.equal(usableCores({ cpus: 64, cgroupRoot: root, procCgroup: "0::/kubepods/pod1/box\n", env: {} }), 1);
  // no quota of its own: its parent's
  assert.equal(usableCores({ cpus: 64, cgroupRoot: root, procCgroup: "0::/kubepods/pod2\n", env: {} }), 4);
  // half a core still gets a thread
  assert.equal(usableCores({ cpus: 64, cgroupRoot: root, procCgroup: "0::/kubepods/pod3\n", env: {} }), 1);
  // a quota above the CPUs changes nothing
  assert.equal(usableCores({ cpus: 2, cgroupRoot: root, procCgroup: "0::/kubepods/pod2\n", env: {} }), 2);
  // no quota anywhere (a namespaced container sees its own group as "/")
  assert.equal(cgroupQuota(root, "0::/\n"), undefined);
  assert.equal(usableCores({ cpus: 8, cgroupRoot: root, procCgroup: "0::/\n", env: {} }), 8);
});

test("cgroup v1: the cpu controller's cfs quota over its period, wherever it is mounted with cpuacct", () => {
  const root = cgroups({
    "cpu,cpuacct/cpu.cfs_quota_us": "-1",
    "cpu,cpuacct/cpu.cfs_period_us": "100000",
    "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000",
    "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
  });
  const proc = ["12:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc", "1:name=systemd:/docker/abc", "0::/"].join("\n");
  assert.equal(cgroupQuota(root, proc), 2);
  assert.equal(usableCores({ cpus: 32, cgroupRoot: root, procCgroup: proc, env: {} }), 2);
  // -1: no quota
  assert.equal(cgroupQuota(root, "4:cpu,cpuacct:/\n"), undefined);
  // this machine's layout: cpu and cpuacct mounted apart, no quota
  const apart = cgroups({ "cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000" });
  assert.equal(cgroupQuota(apart, "2:cpuacct:/\n1:cpu:/\n0::/\n"), undefined);
});

test("JupyterHub's CPU_LIMIT caps the cores too; files that cannot be read or parsed are no quota", () => {
  const none = tempDir("seqlab-cgroup-empty-");
  assert.equal(usableCores({ cpus: 16, cgroupRoot: none, procCgroup: "0::/user\n", env: { CPU_LIMIT: "2.5" } }), 2);
  assert.equal(usableCores({ cpus: 16, cgroupRoot: none, procCgroup: "0::/user\n", env: { CPU_LIMIT: "0.5" } }), 1);
  assert.equal(usableCores({ cpus: 16, cgroupRoot: none, procCgroup: "0::/user\n", env: { CPU_LIMIT: "" } }), 16);
  assert.equal(usableCores({ cpus: 16, cgroupRoot: none, procCgroup: "0::/user\n", env: { CPU_LIMIT: "lots" } }), 16);
  const garbage = cgroups({ "user/cpu.max": "lots 100000" });
  assert.equal(usableCores({ cpus: 16, cgroupRoot: garbage, procCgroup: "0::/user\nnot a line\n", env: {} }), 16);
});

test("without SEQLAB_THREADS the thread count is the usable cores; SEQLAB_THREADS overrides them", () => {
  assert.equal(defaultThreadCount({}), Math.min(64, usableCores()));
  assert.equal(defaultThreadCount({ CPU_LIMIT: "1" }), 1);
  assert.equal(defaultThreadCount({ CPU_LIMIT: "1", SEQLAB_THREADS: "3" }), 3);
});
