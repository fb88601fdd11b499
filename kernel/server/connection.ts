// The connection file Jupyter hands a kernel: where to bind and how to sign.
import { readFileSync } from "fs";

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export type Channel = "shell" | "control" | "iopub" | "stdin" | "hb";
export const CHANNELS: Channel[] = ["shell", "control", "iopub", "stdin", "hb"];

export function readConnectionFile(path: string): ConnectionInfo {
  let info: any;
  try {
    info = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read connection file ${path}: ${(e as Error).message}`);
  }
  for (const c of CHANNELS) {
    if (typeof info[`${c}_port`] !== "number") {
      throw new Error(`connection file ${path} has no numeric ${c}_port`);
    }
  }
  return { transport: "tcp", ip: "127.0.0.1", key: "", signature_scheme: "hmac-sha256", ...info };
}

export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port` as keyof ConnectionInfo];
  // ipc endpoints are files named <ip>-<port>, as jupyter_client makes them.
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `${info.transport}://${info.ip}:${port}`;
}
