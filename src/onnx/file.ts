/** ONNX model files (Node): ./export.ts's bytes, written atomically. */
import { writeFileAtomic } from '../io/files.js';

/** Writes model bytes to `path` atomically: the file is the whole model or what was there before. */
export function saveONNX(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}
