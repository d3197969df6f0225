/**
 * The only way the page builds elements: text goes in with `textContent`, never as HTML, so a
 * host name carrying `<script>` shows as those characters and runs nothing.
 */

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Sets the text of `node` only when it changed (reading our cache, not the DOM). */
export function setText(node: HTMLElement, cache: string[], index: number, text: string): void {
  if (cache[index] === text) return;
  cache[index] = text;
  node.textContent = text;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}
