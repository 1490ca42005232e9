// A tiny DOM, just enough to run the history viewer's inline script in node:vm: parses the
// page (refusing unbalanced or misnested tags, so it doubles as a well-formedness check),
// and gives elements attributes, children, text, listeners and a fixed layout size.
import vm from 'node:vm';

const VOID = new Set(['meta', 'input', 'br', 'hr', 'img', 'link']);
const RAW = new Set(['script', 'style']);

type Listener = (ev: any) => void;

export class MiniElement {
  readonly attributes = new Map<string, string>();
  readonly children: MiniElement[] = [];
  parent: MiniElement | null = null;
  private text = '';
  private readonly listeners = new Map<string, Listener[]>();
  value = '';
  checked = false;
  clientWidth = 1200;

  constructor(readonly tagName: string, readonly ownerDocument: MiniDocument) {}

  setAttribute(k: string, v: string): void {
    this.attributes.set(k, String(v));
    if (k === 'id') this.ownerDocument.index(this);
  }
  getAttribute(k: string): string | null {
    return this.attributes.get(k) ?? null;
  }
  get id(): string {
    return this.attributes.get('id') ?? '';
  }
  get className(): string {
    return this.attributes.get('class') ?? '';
  }
  set className(v: string) {
    this.attributes.set('class', v);
  }
  get firstChild(): MiniElement | null {
    return this.children[0] ?? null;
  }
  appendChild(c: MiniElement): MiniElement {
    if (c.parent) c.parent.removeChild(c);
    c.parent = this;
    this.children.push(c);
    return c;
  }
  removeChild(c: MiniElement): MiniElement {
    const i = this.children.indexOf(c);
    if (i < 0) throw new Error('removeChild: not a child');
    this.children.splice(i, 1);
    c.parent = null;
    return c;
  }
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  set textContent(v: string) {
    for (const c of [...this.children]) this.removeChild(c);
    this.text = String(v);
  }
  /** Text the parser found directly inside this element (before any child). */
  appendText(t: string): void {
    this.text += t;
  }
  getElementsByTagName(tag: string): MiniElement[] {
    const out: MiniElement[] = [];
    const walk = (e: MiniElement) => {
      for (const c of e.children) {
        if (c.tagName === tag.toLowerCase()) out.push(c);
        walk(c);
      }
    };
    walk(this);
    return out;
  }
  addEventListener(type: string, fn: Listener): void {
    const list = this.listeners.get(type) ?? [];
    list.push(fn);
    this.listeners.set(type, list);
  }
  /** Calls the listeners of `type` with an event whose target is this element. */
  dispatch(type: string, init: Record<string, unknown> = {}): void {
    const ev = { type, target: this, currentTarget: this, preventDefault() {}, ...init };
    for (const fn of this.listeners.get(type) ?? []) fn(ev);
  }
  getBoundingClientRect(): { left: number; top: number; width: number; height: number } {
    return { left: 0, top: 0, width: this.clientWidth, height: 100 };
  }
  /** Every descendant (depth first). */
  all(): MiniElement[] {
    return this.children.flatMap((c) => [c, ...c.all()]);
  }
}

export class MiniDocument extends MiniElement {
  private readonly ids = new Map<string, MiniElement>();
  constructor() {
    super('#document', undefined as unknown as MiniDocument);
    (this as { ownerDocument: MiniDocument }).ownerDocument = this;
  }
  index(e: MiniElement): void {
    this.ids.set(e.id, e);
  }
  getElementById(id: string): MiniElement | null {
    const e = this.ids.get(id);
    // only elements still in the tree count
    let n: MiniElement | null | undefined = e;
    while (n && n !== this) n = n.parent;
    return n === this ? e! : null;
  }
  createElement(tag: string): MiniElement {
    return new MiniElement(tag.toLowerCase(), this);
  }
  createElementNS(_ns: string, tag: string): MiniElement {
    return new MiniElement(tag.toLowerCase(), this);
  }
}

const decode = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** Parses the page. Throws on a closing tag that does not match the open one, or an unclosed element. */
export function parseHtml(html: string): MiniDocument {
  const doc = new MiniDocument();
  const stack: MiniElement[] = [doc];
  const tagRe = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*")?)*)\s*(\/?)>|<!doctype[^>]*>|<!--[\s\S]*?-->/gi;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(html)) !== null) {
    const top = stack[stack.length - 1]!;
    top.appendText(decode(html.slice(last, m.index)));
    last = tagRe.lastIndex;
    if (m[2] === undefined) continue; // doctype or comment
    const name = m[2].toLowerCase();
    if (m[1] === '/') {
      if (top.tagName !== name) throw new Error(`</${name}> closes <${top.tagName}> at offset ${m.index}`);
      stack.pop();
      continue;
    }
    const el = doc.createElement(name);
    for (const a of (m[3] ?? '').matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?/g)) el.setAttribute(a[1]!, decode(a[2] ?? ''));
    if (name === 'input' && el.getAttribute('checked') !== null) el.checked = true;
    top.appendChild(el);
    if (RAW.has(name)) {
      const end = html.indexOf(`</${name}>`, last);
      if (end < 0) throw new Error(`<${name}> never closed`);
      el.appendText(html.slice(last, end));
      last = end + name.length + 3;
      tagRe.lastIndex = last;
      continue;
    }
    if (!VOID.has(name) && m[4] !== '/') stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed: ${stack.slice(1).map((e) => e.tagName).join(' > ')}`);
  for (const sel of doc.getElementsByTagName('select')) {
    const opt = sel.getElementsByTagName('option').find((o) => o.getAttribute('selected') !== null) ?? sel.getElementsByTagName('option')[0];
    sel.value = opt?.getAttribute('value') ?? '';
  }
  return doc;
}

/** Runs every inline script of the page in a fresh context with this document and a window. */
export function runPageScripts(doc: MiniDocument): { window: MiniElement & Record<string, any> } {
  const win = doc.createElement('#window') as MiniElement & Record<string, any>;
  const context = vm.createContext({ document: doc, window: win, JSON, Math, Number, String, Object, Infinity, console });
  for (const s of doc.getElementsByTagName('script')) {
    if (s.getAttribute('type') === 'application/json') continue;
    new vm.Script(s.textContent, { filename: 'history-viewer.js' }).runInContext(context);
  }
  return { window: win };
}
