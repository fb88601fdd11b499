// seqlab: what a notebook imports.
export { display, clearOutput, page, toBundle, newDisplayId, DISPLAY, type DisplayOptions } from "./display/display";
export { input } from "./display/input";
export { Comm, openComm, registerCommTarget } from "./display/comm";
export type { MimeBundle } from "./display/bridge";
export * from "./data";
export * from "./text";
