// Atomic file writes for everything the command line writes (notebooks, reports, the course's
// cache): never a half-written file.
import { randomBytes } from "crypto";
import * as fs from "fs";
import { mkdirSync } from "fs";
import * as path from "path";

/**
 * Write a file atomically: into a temporary file in the same folder (same file system, so the
 * rename is atomic), every byte written and flushed to disk, then renamed over the old one. A
 * write that fails, or a process killed while it writes, leaves the old file as it was (a killed
 * process also leaves its hidden .NAME.PID.tmp file). A symlink is followed: its target is
 * replaced. The old file's permissions are kept. `what` names the file in errors ("notebook").
 *
 * Not npm's write-file-atomic: it ignores the count fs.writeSync returns, so a short write (what a
 * disk that fills up, or a file-size limit, gives first) is renamed into place truncated, seen here.
 */
export function writeFileAtomic(file: string, data: string, what: string): void {
  let target = path.resolve(file);
  try {
    target = fs.realpathSync(target);
  } catch {
    // a new file (or a dangling link): written where named
  }
  const dir = path.dirname(target);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`could not create the folder ${dir} for the ${what} ${file}: ${(e as Error).message}`);
  }
  let mode: number | undefined;
  try {
    const st = fs.statSync(target);
    if (st.isDirectory()) throw Object.assign(new Error(`${file} is a folder`), { code: "EISDIR" });
    mode = st.mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fileError(e, file, dir, what, true);
  }
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const bytes = Buffer.from(data, "utf8");
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "wx", mode ?? 0o666);
    if (mode !== undefined) fs.fchmodSync(fd, mode); // the umask narrowed it
    for (let off = 0; off < bytes.length;) {
      const n = fs.writeSync(fd, bytes, off, bytes.length - off);
      if (n <= 0) throw Object.assign(new Error("the disk accepted no more bytes"), { code: "ENOSPC" });
      off += n;
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fileError(e, file, dir, what, mode !== undefined);
  }
  try {
    const dfd = fs.openSync(dir, "r");
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // some file systems cannot fsync a folder; the rename is done either way
  }
}

function fileError(e: unknown, file: string, dir: string, what: string, existed: boolean): Error {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === "ENOSPC"
      ? "no space left on the disk"
      : err.code === "EDQUOT"
        ? "the disk quota is used up"
        : err.code === "EFBIG"
          ? "the file is larger than this process may write (ulimit -f)"
          : err.code === "EACCES" || err.code === "EPERM"
            ? `permission denied in ${dir}`
            : err.code === "EROFS"
              ? `${dir} is on a read-only file system`
              : err.code === "EISDIR"
                ? `${file} is a folder`
                : err.message;
  return new Error(
    `could not write the ${what} ${file}: ${why}${err.code && !why.includes(err.code) ? ` (${err.code})` : ""}; ${existed ? "the previous file is unchanged" : "nothing was written"}`,
    { cause: e },
  );
}
