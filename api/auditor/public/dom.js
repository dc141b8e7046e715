// DOM helpers of the auditor view: every value goes in as text (textContent, attributes), never as HTML.

/**
 * Creates an element: `attrs` are attributes (on* handlers are refused: handlers are added with
 * addEventListener), `children` strings (as text nodes), nodes, or arrays of them; null is skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (/^on/i.test(name)) throw new Error(`el: no inline handler (${name})`)
    node.setAttribute(name, value === true ? '' : String(value))
  }
  append(node, children)
  return node
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(node, child)
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces the children of `node`. */
export function replace(node, ...children) {
  node.replaceChildren()
  append(node, children)
  return node
}
