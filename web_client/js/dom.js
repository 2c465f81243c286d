// Tiny DOM helpers. Every piece of text goes in through createTextNode / textContent:
// nothing in Peerline's client ever parses a string as HTML, so a message such as
// "<img src=x onerror=alert(1)>" is shown exactly as typed.

/**
 * h('button', {class: 'btn', testid: 'send', onclick: fn, 'aria-label': 'Send'}, 'Send')
 * Attributes: `class`, `testid` (→ data-testid), `text` (textContent), `dataset` (object),
 * `on<event>` (listener), boolean `true`/`false`/null (present/absent), anything else → setAttribute.
 * Children: nodes, strings (as text nodes), null/false (skipped) or arrays of those.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replace a node's children with the given ones. */
export function fill(node, ...children) {
  return append(clear(node), children);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

export function fmtClock(ts) {
  const d = new Date(typeof ts === 'number' ? ts : Date.now());
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** Only http(s) and tel: links from the server are turned into links. */
export function safeHref(url) {
  if (typeof url !== 'string') return null;
  try {
    const u = new URL(url, location.href);
    return ['http:', 'https:', 'tel:'].includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

export function telHref(phone) {
  if (typeof phone !== 'string' || !phone.trim()) return null;
  const digits = phone.replace(/[^\d+*#]/g, '');
  return digits ? `tel:${digits}` : null;
}

/** Keep a scrolled container pinned to the bottom if the reader was already there. */
export function scrollToEnd(container, force = false) {
  const near = container.scrollHeight - container.scrollTop - container.clientHeight < 120;
  if (force || near) container.scrollTop = container.scrollHeight;
}
