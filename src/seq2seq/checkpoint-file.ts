/**
 * Translation checkpoint files (Node): ./checkpoint.ts's bytes, written
 * atomically and read from a regular file (../io/checkpoint-file.ts).
 */
import type { Backend } from '../backend/backend.js';
import { readCheckpointFile, writeCheckpointFile } from '../io/checkpoint-file.js';
import { parseTranslator, serializeTranslator, type TranslatorCheckpoint, type TranslatorRecord } from './checkpoint.js';
import type { Seq2SeqTrainer } from './trainer.js';

/** Saves the model, the trainer's state and the record atomically, with checksums; a non-finite weight keeps the previous file. */
export function saveTranslator(path: string, trainer: Seq2SeqTrainer, record: TranslatorRecord): void {
  writeCheckpointFile(path, (source) => serializeTranslator(trainer, record, source));
}

/**
 * Loads and validates a checkpoint file; the model holds its weights.
 * @throws CheckpointError naming the file and the field, tensor or value at fault
 *   (a CheckpointKindError for a checkpoint of another kind).
 */
export function loadTranslator(path: string, backend?: Backend): TranslatorCheckpoint {
  return parseTranslator(readCheckpointFile(path), backend, path);
}

/** `.best` before the extension: `ck/dates.safetensors` → `ck/dates.best.safetensors` (no extension: `.best` appended). */
export function bestCheckpointPath(path: string): string {
  const m = /^(.*[^/\\.])(\.[^./\\]+)$/.exec(path);
  return m ? `${m[1]}.best${m[2]}` : `${path}.best`;
}
