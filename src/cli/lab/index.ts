/**
 * `recurrent lab`: experiments that reproduce the tutorial's claims with
 * measured numbers, each a figure (SVG in the output folder) and a compact
 * rendering in the terminal. One file per experiment defines its subcommand.
 */
import type { Command } from 'commander';
import { cellsCommand } from './cells.js';
import { explodingCommand } from './exploding.js';
import { tasksCommand } from './tasks.js';
import { vanishingCommand } from './vanishing.js';

export function labCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('experiments that show what happens inside recurrent networks: vanishing, exploding, tasks, cells');
  vanishingCommand(lab);
  explodingCommand(lab);
  tasksCommand(lab);
  cellsCommand(lab);
}
