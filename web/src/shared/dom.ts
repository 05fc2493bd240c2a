/**
 * DOM helpers. Every piece of data reaches the page through `textContent` or
 * attributes set by name: nothing is ever parsed as HTML.
 */
type Child = Node | string | null | undefined | false;

export interface ElementOptions {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.attrs) for (const [name, value] of Object.entries(options.attrs)) node.setAttribute(name, value);
  if (options.dataset) for (const [name, value] of Object.entries(options.dataset)) node.dataset[name] = value;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * Makes `list` show one node per item, in order, keyed by `key`: a node is
 * created once per key, brought up to date on every call, moved only when out
 * of place and removed with its key. An `.empty` placeholder is removed.
 */
export function syncList<T>(
  list: HTMLElement,
  nodes: Map<string, HTMLLIElement>,
  items: readonly T[],
  key: (item: T) => string,
  create: (item: T) => HTMLLIElement,
  update: (node: HTMLLIElement, item: T) => void,
): void {
  list.querySelector(':scope > .empty')?.remove();
  const wanted = new Set<string>();
  items.forEach((item, index) => {
    const k = key(item);
    wanted.add(k);
    let node = nodes.get(k);
    if (!node) {
      node = create(item);
      nodes.set(k, node);
    }
    update(node, item);
    if (list.children[index] !== node) list.insertBefore(node, list.children[index] ?? null);
  });
  for (const [k, node] of nodes) {
    if (!wanted.has(k)) {
      node.remove();
      nodes.delete(k);
    }
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** True when the element is scrolled (nearly) to the bottom. */
export function isAtBottom(node: HTMLElement, slack = 48): boolean {
  return node.scrollHeight - node.scrollTop - node.clientHeight <= slack;
}

export function scrollToBottom(node: HTMLElement): void {
  node.scrollTop = node.scrollHeight;
}

/** Safe localStorage JSON access (storage can be blocked in third-party frames). */
export const store = {
  get<T>(key: string): T | undefined {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch {
      return undefined;
    }
  },
  set(key: string, value: unknown): void {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Quota or blocked storage: the page keeps working, only without persistence.
    }
  },
  remove(key: string): void {
    try {
      localStorage.removeItem(key);
    } catch {
      // Ignore.
    }
  },
};
