// Crisis resources (GET /api/resources) and self-help (GET /api/self-help), rendered as text.

import { h, fill, safeHref, telHref } from './dom.js';
import { lang } from './i18n.js';

export async function fetchItems(path) {
  try {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) return null;
    const body = await res.json();
    return Array.isArray(body.items) ? body.items : null;
  } catch {
    return null;
  }
}

/** Items in the page's language first, then the rest (someone abroad may need either). */
export function byLanguage(items) {
  const mine = [];
  const rest = [];
  for (const item of items) {
    const code = String(item.lang || '').toLowerCase().split('-')[0];
    (!code || code === lang() ? mine : rest).push(item);
  }
  return [...mine, ...rest];
}

/** A crisis resource: title, a big tap-to-call number, and a link. */
export function resourceItem(item) {
  const tel = telHref(item.phone);
  const href = safeHref(item.url);
  return h('li', { class: 'resource', testid: 'resource' },
    h('span', { class: 'resource__title' }, String(item.title ?? '')),
    tel ? h('a', { class: 'resource__phone', href: tel }, String(item.phone)) : null,
    href ? h('a', { class: 'resource__link', href, target: '_blank', rel: 'noopener noreferrer' }, href.replace(/^https?:\/\//, '').replace(/\/$/, '')) : null);
}

export function renderResources(list, items, fallbackText) {
  if (!items || !items.length) {
    fill(list, h('li', { class: 'resource' }, fallbackText));
    return;
  }
  fill(list, byLanguage(items).map(resourceItem));
}

export function renderSelfHelp(list, items) {
  fill(list, items.map((item) => {
    const href = safeHref(item.url);
    return h('li', { class: 'selfhelp__item', testid: 'self-help-item' },
      href
        ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, String(item.title ?? ''))
        : h('strong', {}, String(item.title ?? '')),
      item.text ? h('p', {}, String(item.text)) : null);
  }));
}
