/** What the views share of the page: elements by id, numbers typed in inputs, files offered for download. */

/** The element with this id (the page's markup has every one the views use). */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** The number typed in an input, checked; the message names the input by its label. */
export function readNumber(input: HTMLInputElement, { integer = false, min = -Infinity, max = Infinity } = {}): number {
  const label = input.labels?.[0]?.textContent?.trim() ?? input.id;
  const text = input.value.trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw new Error(`${label}: expected a number, got '${input.value}'`);
  if (integer && !Number.isInteger(value)) throw new Error(`${label}: expected a whole number, got ${text}`);
  if (value < min || value > max) throw new Error(`${label}: expected a number from ${min} to ${max}, got ${text}`);
  return value;
}

/** Offers bytes as a file download. */
export function saveFile(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
