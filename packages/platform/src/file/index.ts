export { CaptureFileProvider } from "./capture-file-provider.js";
export { NodeFileSource } from "./node-file-source.js";
