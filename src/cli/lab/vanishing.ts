/** `recurrent lab vanishing` (to be written). */
import type { Command } from 'commander';

export function vanishingCommand(_lab: Command): void {}
