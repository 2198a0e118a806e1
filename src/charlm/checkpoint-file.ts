/**
 * Character-LM checkpoint files (Node): ./checkpoint.ts's bytes, written
 * atomically and read from a regular file (../io/checkpoint-file.ts).
 */
import type { Backend } from '../backend/backend.js';
import { readCheckpointFile, writeCheckpointFile } from '../io/checkpoint-file.js';
import { type CharLMCheckpoint, type DataInfo, parseCharLM, serializeCharLM } from './checkpoint.js';
import type { CharLMTrainer } from './trainer.js';
import type { Vocabulary } from './vocabulary.js';

/** Saves model, vocabulary and trainer state atomically, with checksums; a non-finite weight keeps the previous file. */
export function saveCharLM(path: string, trainer: CharLMTrainer, vocab: Vocabulary, data: DataInfo): void {
  writeCheckpointFile(path, (source) => serializeCharLM(trainer, vocab, data, source));
}

/**
 * Loads and validates a checkpoint file; the model holds its weights.
 * @throws CheckpointError naming the file and the field, tensor or value at fault.
 */
export function loadCharLM(path: string, backend?: Backend): CharLMCheckpoint {
  return parseCharLM(readCheckpointFile(path), backend, path);
}
