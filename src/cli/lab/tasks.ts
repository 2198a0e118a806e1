/** `recurrent lab tasks` (to be written). */
import type { Command } from 'commander';

export function tasksCommand(_lab: Command): void {}
