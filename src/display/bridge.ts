// The one place where the library meets a kernel. The kernel installs an object under a global
// symbol; the library never imports the kernel (data flows library → display protocol → kernel).
export type MimeBundle = Record<string, unknown>;

export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/** The header of a request the front end sent (enough to answer it as a parent). */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
}

/** An error output: what Jupyter shows for a failed cell. */
export interface ErrorOutput {
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface CommHandlers {
  /** `header` is the comm_msg's own header: replies that must name it as parent (a widget's echo_update) use it. */
  onMsg?(data: unknown, buffers: Uint8Array[], header?: MessageHeader): void;
  onClose?(data: unknown): void;
}

export interface KernelBridge {
  /** Send display_data, or update_display_data when `update` is true. */
  display(msg: DisplayMessage, update: boolean): void;
  clearOutput(wait: boolean): void;
  /** Show a bundle in the front end's pager (a payload of the running cell's execute_reply). */
  page(data: MimeBundle): void;
  input(prompt: string, password: boolean): Promise<string>;
  commOpen(
    id: string,
    target: string,
    data: unknown,
    metadata: Record<string, unknown>,
    handlers: CommHandlers,
    buffers?: Uint8Array[],
  ): void;
  /** `parent`: the request this message answers; by default the running (else the last) cell. */
  commSend(id: string, data: unknown, metadata: Record<string, unknown>, buffers: Uint8Array[], parent?: MessageHeader): void;
  commClose(id: string, data: unknown): void;
  registerCommTarget(target: string, onOpen: (id: string, data: unknown, buffers: Uint8Array[]) => CommHandlers | void): void;
  /** An error as the kernel shows it: traceback lines in the cells' own line numbers. */
  formatError?(e: unknown): ErrorOutput;
  /** Publish an error output (a library callback that failed outside any capture). */
  error?(content: ErrorOutput): void;
  /** True once the running cell has been interrupted (checked by long loops). */
  readonly interrupted: boolean;
  /** The running cell, for library work that outlives a call (a training loop); undefined between cells. */
  cell?(): CellHandle | undefined;
}

/** A cell as library code sees it: work started by the cell checks this cell's interrupt, not a later one's. */
export interface CellHandle {
  /** True once this cell has been interrupted (and stays true after it has ended). */
  readonly interrupted: boolean;
  /**
   * Work that checks `interrupted` between steps and then stops by itself: an interrupted cell
   * waits for it (a moment at most), so that its last outputs and saves stay with the cell.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

export const BRIDGE = Symbol.for("seqlab.kernel");

export function kernel(): KernelBridge | undefined {
  return (globalThis as any)[BRIDGE];
}
