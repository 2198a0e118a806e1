/** Every attention kind, by its {@link AttentionKind}. */
import type { Attention, AttentionKind, ProjectedAttentionOptions } from './attention.js';
import { BahdanauAttention } from './bahdanau.js';
import { DotAttention } from './dot.js';
import { GeneralAttention } from './general.js';
import { ProjectedDotAttention, type ProjectedDotAttentionOptions } from './projected.js';

export { ATTENTION_KINDS, type Attention, type AttentionKind, type AttentionMemory, type AttentionOutput } from './attention.js';

/** The attention of a kind; `attentionSize` is for projected and bahdanau, `scaled` for projected. */
export function createAttention(kind: AttentionKind, options: ProjectedDotAttentionOptions): Attention {
  const { attentionSize, scaled, ...common } = options;
  const sized: ProjectedAttentionOptions = attentionSize === undefined ? common : { ...common, attentionSize };
  switch (kind) {
    case 'dot': return new DotAttention(common);
    case 'general': return new GeneralAttention(common);
    case 'projected': return new ProjectedDotAttention(scaled === undefined ? sized : { ...sized, scaled });
    case 'bahdanau': return new BahdanauAttention(sized);
    default: throw new Error(`attention: kind must be 'dot', 'general', 'projected' or 'bahdanau', got '${String(kind)}'`);
  }
}
