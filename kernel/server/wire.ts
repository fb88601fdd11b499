// The Jupyter wire format (messaging protocol 5.3): framing, HMAC signing and verification.
// Pure functions over Buffers, so they are unit-tested without sockets.
import { createHmac, randomUUID, timingSafeEqual } from "crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = "<IDS|MSG>";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface Message<C = any> {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** Why an incoming message was dropped. */
export class WireError extends Error {}

export class Signer {
  private readonly key: Buffer;
  private readonly algorithm: string;
  constructor(key: string, scheme = "hmac-sha256") {
    if (!scheme.startsWith("hmac-")) throw new Error(`unsupported signature_scheme ${JSON.stringify(scheme)}; expected hmac-<digest>`);
    this.key = Buffer.from(key, "utf8");
    this.algorithm = scheme.slice(5);
  }
  get enabled(): boolean {
    return this.key.length > 0;
  }
  sign(parts: Buffer[]): string {
    if (!this.enabled) return "";
    const h = createHmac(this.algorithm, this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }
  /** Constant-time comparison of a received signature with the expected one. */
  verify(signature: string, parts: Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(parts), "utf8");
    const actual = Buffer.from(signature, "utf8");
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

export function newHeader(msgType: string, session: string, username = "seqlab"): Header {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** Serialise a message into zeromq frames: identities, delimiter, signature, four JSON parts, buffers. */
export function encode(msg: Message, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p ?? {}), "utf8"));
  return [...msg.identities, Buffer.from(DELIMITER), Buffer.from(signer.sign(parts)), ...parts, ...msg.buffers];
}

/** Parse and verify zeromq frames; throws a WireError naming what was wrong. */
export function decode(frames: Buffer[], signer: Signer): Message {
  const delim = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (delim < 0) throw new WireError("no <IDS|MSG> delimiter frame");
  if (frames.length < delim + 6) throw new WireError(`expected at least ${delim + 6} frames, got ${frames.length}`);
  const signature = frames[delim + 1].toString("utf8");
  const parts = frames.slice(delim + 2, delim + 6);
  if (signer.enabled && signature === "") throw new WireError("missing signature");
  if (!signer.verify(signature, parts)) throw new WireError("invalid signature");
  const [header, parent, metadata, content] = parts.map((p, i) => {
    try {
      return JSON.parse(p.toString("utf8"));
    } catch (e) {
      throw new WireError(`bad JSON in ${["header", "parent_header", "metadata", "content"][i]}: ${(e as Error).message}`);
    }
  });
  if (!header || typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("header lacks msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, delim),
    header,
    parent_header: parent ?? {},
    metadata: metadata ?? {},
    content: content ?? {},
    buffers: frames.slice(delim + 6),
  };
}

/** Build a message in reply to (or caused by) `parent`. */
export function child<C>(
  parent: Message | undefined,
  msgType: string,
  content: C,
  session: string,
  opts: { identities?: Buffer[]; metadata?: Record<string, unknown>; buffers?: Buffer[] } = {},
): Message<C> {
  return {
    identities: opts.identities ?? [],
    header: newHeader(msgType, session, parent?.header.username ?? "seqlab"),
    parent_header: parent ? parent.header : {},
    metadata: opts.metadata ?? {},
    content,
    buffers: opts.buffers ?? [],
  };
}

/**
 * Signatures of the messages received so far: a message sent again (a replay) is refused, as
 * jupyter_client's Session refuses a duplicate signature. Bounded like Session's digest history:
 * past `limit` entries the oldest tenth is forgotten.
 */
export class Replays {
  private readonly seen = new Set<string>();
  constructor(private readonly limit = 1 << 16) {}

  /** Throws a WireError when these frames' signature has been seen before. */
  check(frames: Buffer[], signer: Signer) {
    if (!signer.enabled) return;
    const delim = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
    const signature = frames[delim + 1]?.toString("utf8") ?? "";
    if (this.seen.has(signature)) throw new WireError("duplicate signature: a message already received was sent again");
    this.seen.add(signature);
    if (this.seen.size > this.limit) {
      let drop = Math.ceil(this.limit / 10);
      for (const s of this.seen) {
        if (drop-- <= 0) break;
        this.seen.delete(s);
      }
    }
  }
}
