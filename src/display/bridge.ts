// The one place where the library meets a kernel. The kernel installs an object under a global
// symbol; the library never imports the kernel (data flows library → display protocol → kernel).
export type MimeBundle = Record<string, unknown>;

export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export interface CommHandlers {
  onMsg?(data: unknown, buffers: Uint8Array[]): void;
  onClose?(data: unknown): void;
}

export interface KernelBridge {
  /** Send display_data, or update_display_data when `update` is true. */
  display(msg: DisplayMessage, update: boolean): void;
  clearOutput(wait: boolean): void;
  /** Show a bundle in the front end's pager (a payload of the running cell's execute_reply). */
  page(data: MimeBundle): void;
  input(prompt: string, password: boolean): Promise<string>;
  commOpen(id: string, target: string, data: unknown, metadata: Record<string, unknown>, handlers: CommHandlers): void;
  commSend(id: string, data: unknown, metadata: Record<string, unknown>, buffers: Uint8Array[]): void;
  commClose(id: string, data: unknown): void;
  registerCommTarget(target: string, onOpen: (id: string, data: unknown, buffers: Uint8Array[]) => CommHandlers | void): void;
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
