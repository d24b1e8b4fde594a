/**
 * A tiny, strict XML 1.0 checker for tests: it accepts an XML declaration, elements, attributes, character data,
 * comments and the predefined/numeric entity references, and throws on anything not well-formed. It returns the
 * element tree with decoded attribute values and text.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const INVALID_CHAR = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  return raw.replace(/&([^;]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity reference in ${where}: ${whole}`);
    if (body in ENTITIES) return ENTITIES[body] ?? '';
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num?.[1]) {
      const code = body.startsWith('#x') ? parseInt(num[1], 16) : parseInt(num[1], 10);
      const char = String.fromCodePoint(code);
      if (INVALID_CHAR.test(char)) throw new Error(`character reference to an invalid character in ${where}`);
      return char;
    }
    throw new Error(`unknown entity &${body}; in ${where}`);
  });
}

/** Parses `xml`, throwing an Error that names the problem when it is not well-formed. */
export function parseXml(xml: string): XmlElement {
  const bad = INVALID_CHAR.exec(xml);
  if (bad) throw new Error(`invalid XML character U+${bad[0].codePointAt(0)?.toString(16)} at ${bad.index}`);
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.includes(']]>')) throw new Error(`']]>' in character data at ${i}`);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(text, `text of <${top.name}>`);
    else if (text.trim() !== '') throw new Error(`text outside the root element at ${i}: ${JSON.stringify(text)}`);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_:][\w.:-]*)\s*>/.exec(xml.slice(i));
      if (!m) throw new Error(`malformed end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1])
        throw new Error(`end tag </${m[1]}> does not match <${open?.name ?? ''}> at ${i}`);
      i += m[0].length;
      continue;
    }
    // Start tag.
    i += 1;
    const nameMatch = NAME.exec(xml.slice(i));
    if (!nameMatch) throw new Error(`malformed start tag at ${i}`);
    const name = nameMatch[0];
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))?.[0] ?? '';
      i += ws.length;
      if (xml.startsWith('/>', i) || xml.startsWith('>', i)) break;
      if (ws === '') throw new Error(`missing whitespace before attribute in <${name}> at ${i}`);
      const attr = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(i));
      if (!attr?.[1]) throw new Error(`malformed attribute in <${name}> at ${i}: ${xml.slice(i, i + 40)}`);
      if (attr[1] in attrs) throw new Error(`duplicate attribute ${attr[1]} in <${name}>`);
      // Attribute-value normalisation: literal whitespace characters become spaces, references are kept.
      const raw = (attr[3] ?? attr[4] ?? '').replace(/[\t\n\r]/g, ' ');
      attrs[attr[1]] = decode(raw, `attribute ${attr[1]} of <${name}>`);
      i += attr[0].length;
    }
    const element: XmlElement = { name, attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root) throw new Error(`second root element <${name}>`);
    else root = element;
    if (xml.startsWith('/>', i)) {
      i += 2;
    } else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed element <${stack[stack.length - 1]?.name ?? ''}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every descendant element (depth first) with the given name. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (const child of element.children) {
    if (child.name === name) found.push(child);
    found.push(...findAll(child, name));
  }
  return found;
}
