// What `npm install` and `npm ci` run after compiling (the `prepare` script): the command line made
// executable and the kernel's start-up snapshot built. npm makes a package's bin executable when
// it links it, and `npm ci` links before `prepare` has compiled dist/kernel/tools/cli.js, so without
// this `npx seqlab` fails there with "Permission denied" (`npm install` happens to fix it later).
//
// npm also runs `prepare` before `npm pack` and `npm publish`: then no snapshot, which the tarball
// leaves out anyway (it fits only this machine's node; `seqlab install` builds one for the user's).
import { chmodSync, statSync } from "fs";
import * as path from "path";
import { buildSnapshot } from "../server/snapshotblob";

const cli = path.join(__dirname, "cli.js");
if (process.platform !== "win32") chmodSync(cli, statSync(cli).mode | 0o111);
const packing = ["pack", "publish"].includes(process.env.npm_command ?? "");
console.log(packing ? `start-up snapshot: not built for npm ${process.env.npm_command} (the package leaves it out)` : buildSnapshot());
