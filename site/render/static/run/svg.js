// Two helpers for drawing SVG by hand.

const NS = "http://www.w3.org/2000/svg";

export function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(node);
  return node;
}

export function titled(node, text) {
  const t = document.createElementNS(NS, "title");
  t.textContent = text;
  node.appendChild(t);
  return node;
}
