/** `recurrent lab cells` (to be written). */
import type { Command } from 'commander';

export function cellsCommand(_lab: Command): void {}
