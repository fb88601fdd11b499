export { useBackend, backendOrder, BACKENDS, TFJS_NODE_PACKAGES, type BackendName, type BackendChoice, type UseBackendOptions } from "./select";
export { patchWasm, unpatchWasm, wasmPatched, WASM_PATCHED_KERNELS } from "./wasm-kernels";
export { timeSteps, stackSteps, tokenBatch } from "./hot-loops";
