/** Small typed DOM helpers shared by canonql's pages. */

export type Child = Node | string | null | undefined;
export type AttributeValue = string | number | boolean | null | undefined | ((event: Event) => void);

/** The element with this id, checked to be of the expected kind (a page without it is a bug). */
export function byId<T extends HTMLElement>(id: string, kind: { new (): T; readonly prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`page: #${id} is missing or not a ${kind.name}`);
  return node;
}

/** The first match of `selector` inside `root`, checked to be of the expected kind. */
export function within<T extends Element>(root: ParentNode, selector: string, kind: { new (): T; readonly prototype: T }): T {
  const node = root.querySelector(selector);
  if (!(node instanceof kind)) throw new Error(`page: ${selector} is missing or not a ${kind.name}`);
  return node;
}

/**
 * An element with attributes and children: `text` sets the text, `className` the class, `on<event>`
 * adds a listener; false, null and undefined leave an attribute out, true sets it empty.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Readonly<Record<string, AttributeValue>> | null,
  children?: readonly Child[],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children ?? []) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function clear<T extends Node>(node: T): T {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function option(value: string, label: string, selected = false): HTMLOptionElement {
  return el('option', { value, selected, text: label });
}

/** The page's settings, from its JSON data block (`<script type="application/json" id=…>`). */
export function pageConfig<T>(id: string): T {
  const node = document.getElementById(id);
  if (!node?.textContent) throw new Error(`page: settings block #${id} is missing`);
  return JSON.parse(node.textContent) as T;
}
