/** `recurrent lab exploding` (to be written). */
import type { Command } from 'commander';

export function explodingCommand(_lab: Command): void {}
