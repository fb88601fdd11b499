"""kernel-latency through Debian's jupyter_client (the client JupyterLab's server and nbclient use).

Run by bench/kernel-latency.ts, which installs seqlab's kernelspec into a temporary prefix and
points JUPYTER_PATH at it. Reads a JSON plan on stdin; prints progress on stderr and one JSON
object with every sample (milliseconds) on stdout.

Kernels are measured interleaved (each round runs one cell on every kernel, the order rotated
each round), so that the drift of a busy machine affects all of them alike. A cell's time runs
from just before the execute_request is sent until both its execute_reply and its idle status
have arrived (what execute_interactive waits for); every result is checked.
"""
import json
import os
import subprocess
import sys
import time

from jupyter_client import KernelManager

TIMEOUT = 60


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Kernel:
    def __init__(self, name, spec, cwd):
        self.name, self.spec, self.cwd = name, spec, cwd
        self.km = self.kc = None

    def start(self):
        self.km = KernelManager(kernel_name=self.spec)
        # ipykernel's debugger prints warnings at every start; --verbose lets the kernels' stderr through.
        self.km.start_kernel(cwd=self.cwd, stderr=None if os.environ.get("KERNEL_LATENCY_VERBOSE") else subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)

    def run(self, code, expect=None):
        """Execute one cell; returns its time in ms. Checks the status and, if given, the result."""
        kc = self.kc
        t0 = time.perf_counter()
        msg_id = kc.execute(code)
        result, idle = None, False
        while not idle:
            m = kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            t = m["msg_type"]
            if t == "execute_result":
                result = m["content"]["data"].get("text/plain")
            elif t == "error":
                raise RuntimeError(f"{self.name}: {code!r} failed: {m['content']['ename']}: {m['content']['evalue']}")
            elif t == "status" and m["content"]["execution_state"] == "idle":
                idle = True
        while True:
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        ms = (time.perf_counter() - t0) * 1000
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{self.name}: {code!r}: reply status {reply['content']['status']}")
        if expect is not None and result != expect:
            raise RuntimeError(f"{self.name}: {code!r} gave {result!r}, expected {expect!r}")
        return ms


def rotate(xs, r):
    return [xs[(i + r) % len(xs)] for i in range(len(xs))]


def main():
    plan = json.load(sys.stdin)
    cells = plan["cells"]  # per kernel name: {"plain": "...{i}...", "declaring": "...{i}...", "first": "..."}
    kernels = [Kernel(k["name"], k["spec"], plan["cwd"]) for k in plan["kernels"]]
    out = {k.name: {"startup": [], "plain": [], "declaring": []} for k in kernels}

    # Start-up: a fresh kernel until its first cell's result (one kernel at a time).
    for r in range(plan["starts"]):
        for k in rotate(kernels, r):
            t0 = time.perf_counter()
            k.start()
            k.run(cells[k.name]["first"], "2")
            out[k.name]["startup"].append((time.perf_counter() - t0) * 1000)
            k.stop()
        log(f"  jupyter_client: start-up round {r + 1}/{plan['starts']}")

    # A plain expression, different each time.
    for k in kernels:
        k.start()
    try:
        for i in range(plan["warmup"] + plan["iters"]):
            for k in rotate(kernels, i):
                ms = k.run(cells[k.name]["plain"].replace("{i}", str(i)), str(i + 1))
                if i >= plan["warmup"]:
                    out[k.name]["plain"].append(ms)
        log(f"  jupyter_client: {plan['iters']} plain cells")
    finally:
        for k in kernels:
            k.stop()

    # Declaring cells, new names each time: a fresh session, every cell timed.
    for k in kernels:
        k.start()
    try:
        for i in range(plan["declaring"]):
            for k in rotate(kernels, i):
                out[k.name]["declaring"].append(k.run(cells[k.name]["declaring"].replace("{i}", str(i))))
            if (i + 1) % 100 == 0:
                log(f"  jupyter_client: {i + 1}/{plan['declaring']} declaring cells")
    finally:
        for k in kernels:
            k.stop()

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
