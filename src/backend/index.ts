// Choosing the tfjs backend, and seqlab's faster wasm kernels.
export {
  useBackend,
  backendOrder,
  BACKENDS,
  TFJS_NODE_PACKAGES,
  type BackendName,
  type BackendChoice,
  type UseBackendOptions,
} from "./select";
export { patchWasm, unpatchWasm, wasmPatched, WASM_PATCHED_KERNELS } from "./wasm-kernels";
export {
  threadCount,
  setThreadCount,
  defaultThreadCount,
  workerStats,
  threadState,
  shutdownThreads,
  MIN_PARALLEL_WORK,
  parallelThreshold,
  setParallelThreshold,
  threadBackoff,
} from "./threads";
export { usableCores } from "./cores";
export { fmaAvailable, fmaEnabled, setFma } from "./simd-gemm";
export { lstmThreadsEnabled, setLstmThreads } from "./lstm-kernels";
