/** The SVG figures read back as XML: a strict parser and lookups over its tree. */
import assert from 'node:assert/strict';

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A strict little XML parser: balanced tags, quoted attributes, known entities; throws on anything else. */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let at = 0;
  for (let m = token.exec(xml); m && at < xml.length; m = token.exec(xml)) {
    at = token.lastIndex;
    const top = stack[stack.length - 1]!;
    if (m[1]) {
      assert.equal(m[1], top.name, `closing </${m[1]}> inside <${top.name}>`);
      stack.pop();
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of m[3]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
      const node: XmlNode = { name: m[2], attrs, children: [], text: '' };
      top.children.push(node);
      if (!m[4]) stack.push(node);
    } else if (m[5]) {
      top.text += decode(m[5]);
    }
  }
  assert.equal(at, xml.length, `unparsed XML at ${at}: ${xml.slice(at, at + 40)}`);
  assert.equal(stack.length, 1, `unclosed <${stack[stack.length - 1]!.name}>`);
  assert.equal(root.children.length, 1, 'one root element');
  return root.children[0]!;
}

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);|&/gi, (e, name?: string) => {
    assert.ok(name, `a bare & in ${s}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    return named[name] ?? String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
  });
}

export function find(node: XmlNode, match: (n: XmlNode) => boolean): XmlNode | undefined {
  if (match(node)) return node;
  for (const c of node.children) {
    const f = find(c, match);
    if (f) return f;
  }
  return undefined;
}

export function texts(node: XmlNode): string[] {
  return [...(node.name === 'text' ? [node.text] : []), ...node.children.flatMap(texts)];
}
