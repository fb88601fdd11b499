// A Jupyter client on our own protocol layer: starts a kernel process, executes code, collects
// outputs. Used by the headless runner, the protocol tests and the benchmarks.
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { ConnectionInfo, endpoint } from "../server/connection";
import { kernelCommand } from "../server/snapshotblob";
import { child, decode, encode, Message, newHeader, Signer } from "../server/wire";

/** A TCP port free on 127.0.0.1 now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function newConnection(key = randomBytes(16).toString("hex")): Promise<ConnectionInfo> {
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(await freePort());
  const [shell_port, control_port, iopub_port, stdin_port, hb_port] = [...ports];
  return {
    transport: "tcp",
    ip: "127.0.0.1",
    shell_port,
    control_port,
    iopub_port,
    stdin_port,
    hb_port,
    key,
    signature_scheme: "hmac-sha256",
  };
}

export interface Reply {
  reply: Message;
  outputs: Message[];
}

export interface StartOptions {
  /** The command that runs a kernel given a connection file; default: this package's kernel. */
  argv?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the kernel's stderr goes; default: ignored. */
  stderr?: "inherit" | "pipe" | "ignore";
}

export class KernelClient {
  /** The kernels this process started whose process is still running (a course run stops them on Ctrl-C). */
  static readonly started = new Set<KernelClient>();
  readonly session = randomBytes(8).toString("hex");
  readonly signer: Signer;
  private shell = new zmq.Dealer();
  private control = new zmq.Dealer();
  private stdin = new zmq.Dealer();
  private iopub = new zmq.Subscriber();
  private waiting = new Map<
    string,
    { outputs: Message[]; idle: boolean; reply?: Message; done: (r: Reply) => void; onOutput?: (m: Message) => void }
  >();
  private replies = new Map<string, Message>();
  /** Called for every input_request; return the answer. */
  onInput: (prompt: string, password: boolean) => string | Promise<string> = () => "";
  /** Every iopub message, for tests that look at the raw stream. */
  onIopub: (m: Message) => void = () => {};
  private closed = false;

  private constructor(
    readonly info: ConnectionInfo,
    readonly proc: ChildProcess | undefined,
    private readonly dir: string | undefined,
  ) {
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  static async start(opts: StartOptions = {}): Promise<KernelClient> {
    const info = await newConnection();
    const dir = mkdtempSync(path.join(os.tmpdir(), "seqlab-conn-"));
    const file = path.join(dir, "kernel.json");
    writeFileSync(file, JSON.stringify(info));
    const argv = (opts.argv ?? [...kernelCommand(), "kernel", "-f", "{connection_file}"]).map((a) =>
      a === "{connection_file}" ? file : a,
    );
    const proc = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "ignore", opts.stderr ?? "ignore"],
    });
    const client = new KernelClient(info, proc, dir);
    KernelClient.started.add(client);
    proc.once("exit", () => KernelClient.started.delete(client));
    await client.connect();
    return client;
  }

  /** Attach to a kernel that is already running. */
  static async attach(info: ConnectionInfo): Promise<KernelClient> {
    const client = new KernelClient(info, undefined, undefined);
    await client.connect();
    return client;
  }

  private async connect() {
    const identity = `client-${this.session}`;
    for (const [s, ch] of [
      [this.shell, "shell"],
      [this.control, "control"],
      [this.stdin, "stdin"],
    ] as const) {
      s.routingId = identity;
      s.connect(endpoint(this.info, ch));
    }
    this.iopub.connect(endpoint(this.info, "iopub"));
    this.iopub.subscribe();
    this.loop(this.shell);
    this.loop(this.control);
    this.iopubLoop();
    this.stdinLoop();
    // Wait until the kernel answers; iopub subscriptions take a moment to reach the publisher.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.proc && this.proc.exitCode !== null) throw new Error(`kernel exited with code ${this.proc.exitCode} before answering`);
      try {
        await this.request("kernel_info_request", {}, "shell", 1000);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error("kernel did not answer kernel_info_request within 30 s");
      }
    }
    // Make sure iopub is connected: a kernel_info round trip with its status messages.
    for (let i = 0; i < 50; i++) {
      const r = await this.request("kernel_info_request", {});
      if (r.outputs.some((m) => m.header.msg_type === "status")) return;
    }
  }

  private async loop(sock: zmq.Dealer) {
    try {
      for await (const frames of sock) {
        const msg = decode(frames, this.signer);
        const id = (msg.parent_header as any).msg_id;
        const w = this.waiting.get(id);
        if (w) {
          w.reply = msg;
          this.settle(id);
        } else this.replies.set(id, msg);
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private async iopubLoop() {
    try {
      for await (const frames of this.iopub) {
        const msg = decode(frames, this.signer);
        this.onIopub(msg);
        const w = this.waiting.get((msg.parent_header as any).msg_id);
        if (!w) continue;
        if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") {
          w.idle = true;
          this.settle((msg.parent_header as any).msg_id);
        } else {
          w.outputs.push(msg);
          w.onOutput?.(msg);
        }
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private async stdinLoop() {
    try {
      for await (const frames of this.stdin) {
        const msg = decode(frames, this.signer);
        if (msg.header.msg_type !== "input_request") continue;
        const value = await this.onInput(msg.content.prompt, msg.content.password);
        await this.stdin.send(encode(child(msg, "input_reply", { value }, this.session), this.signer));
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private settle(id: string) {
    const w = this.waiting.get(id);
    if (w && w.reply && w.idle) {
      this.waiting.delete(id);
      w.done({ reply: w.reply, outputs: w.outputs });
    }
  }

  /** Build a request message (exposed so tests can tamper with it). */
  message(type: string, content: unknown): Message {
    return { identities: [], header: newHeader(type, this.session, "test"), parent_header: {}, metadata: {}, content, buffers: [] };
  }

  /** Send raw frames on a channel (tests send malformed ones). */
  async sendFrames(channel: "shell" | "control", frames: Buffer[]) {
    await (channel === "shell" ? this.shell : this.control).send(frames);
  }

  /** Send a request and wait for its reply and its idle status. */
  async request(
    type: string,
    content: unknown,
    channel: "shell" | "control" = "shell",
    timeoutMs = 0,
    onOutput?: (m: Message) => void,
  ): Promise<Reply> {
    return this.send(this.message(type, content), channel, timeoutMs, onOutput);
  }

  send(msg: Message, channel: "shell" | "control" = "shell", timeoutMs = 0, onOutput?: (m: Message) => void): Promise<Reply> {
    const id = msg.header.msg_id;
    // comm_open, comm_msg and comm_close have no reply: their idle status ends them.
    const noReply = msg.header.msg_type.startsWith("comm_") && msg.header.msg_type !== "comm_info_request";
    const p = new Promise<Reply>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.waiting.delete(id);
          reject(new Error(`no reply to ${msg.header.msg_type} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiting.set(id, {
        outputs: [],
        idle: false,
        reply: noReply ? msg : undefined,
        onOutput,
        done: (r) => (clearTimeout(timer), resolve(r)),
      });
    });
    (channel === "shell" ? this.shell : this.control).send(encode(msg, this.signer));
    return p;
  }

  execute(
    code: string,
    opts: { timeoutMs?: number; onOutput?: (m: Message) => void; content?: Record<string, unknown> } = {},
  ): Promise<Reply> {
    return this.request(
      "execute_request",
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: true, stop_on_error: true, ...opts.content },
      "shell",
      opts.timeoutMs ?? 0,
      opts.onOutput,
    );
  }

  interrupt(): Promise<Reply> {
    return this.request("interrupt_request", {}, "control");
  }

  async shutdown(restart = false) {
    try {
      await this.request("shutdown_request", { restart }, "control", 5000);
    } catch {
      // a kernel that does not answer is killed below
    }
    await this.close();
  }

  async close() {
    this.closed = true;
    for (const s of [this.shell, this.control, this.stdin, this.iopub]) s.close();
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc!.once("exit", r));
      const t = setTimeout(() => this.proc!.kill("SIGKILL"), 3000);
      if (this.proc.exitCode === null) await exited;
      clearTimeout(t);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
