/**
 * A text to learn, in any host: the fingerprint that identifies it (its
 * UTF-8 size and SHA-256, so a resumed run can tell it was given the same
 * text) and its split into training and validation parts. Reading files and
 * the built-in corpus are ./corpus.ts (Node).
 */
import { host } from '#host';

/** What identifies a text: its size and SHA-256 (of its UTF-8 bytes, line ends normalised). */
export interface Fingerprint {
  bytes: number;
  sha256: string;
}

/** Size and SHA-256 of a text's UTF-8 bytes. */
export function fingerprint(text: string): Fingerprint {
  const bytes = new TextEncoder().encode(text);
  return { bytes: bytes.length, sha256: host.sha256(bytes) };
}

/** First `1 − validationFraction` of the text for training, the rest for validation. */
export function splitText(text: string, validationFraction: number): { train: string; validation: string } {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new Error(`data: validation fraction must be in (0, 1), got ${validationFraction}`);
  }
  // Cut at a code point, without an array of every character (a long text would need gigabytes).
  const units = text.length;
  let points = 0;
  for (let i = 0; i < units; i++) if (!isLowSurrogateAfterHigh(text, i)) points++;
  const cutPoint = Math.floor(points * (1 - validationFraction));
  let at = 0;
  for (let p = 0; p < cutPoint; p++) at += isLowSurrogateAfterHigh(text, at + 1) ? 2 : 1;
  return { train: text.slice(0, at), validation: text.slice(at) };
}

/** Whether the UTF-16 unit at `i` is the second half of a surrogate pair. */
function isLowSurrogateAfterHigh(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff || i === 0) return false;
  const h = text.charCodeAt(i - 1);
  return h >= 0xd800 && h <= 0xdbff;
}
