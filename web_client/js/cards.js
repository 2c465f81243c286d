// Cards in a chat (`card` frames): a library item a helper sent, or a seeker's mood summary.
// Rendered as text; a library card links to the item on /library. Also the helper's picker.

import { h, fill, $ } from './dom.js';
import { t } from './i18n.js';
import './between-strings.js';

/** The list entry for a `card` frame. */
export function cardNode(f) {
  const c = f.card || {};
  if (c.kind === 'library') {
    return h('li', { class: 'msg msg--card', testid: 'card' },
      h('div', { class: 'card-msg' },
        h('p', { class: 'lib-card__meta' }, `${t('card.library')} · ${t(`kind.${c.item_kind}`)}`),
        h('p', { class: 'card-msg__title', testid: 'card-title' }, String(c.title ?? '')),
        c.summary ? h('p', {}, String(c.summary)) : null,
        c.quote ? h('p', { class: 'item__quote' }, `“${c.quote}”`) : null,
        h('a', { href: `/library#item=${encodeURIComponent(c.id)}`, target: '_blank', rel: 'noopener noreferrer', testid: 'card-open' }, t('card.open'))));
  }
  if (c.kind === 'mood') {
    return h('li', { class: 'msg msg--card', testid: 'card' },
      h('div', { class: 'card-msg' },
        h('p', { class: 'card-msg__title', testid: 'card-title' },
          t('card.mood', { entries: c.entries, days: c.days, average: Number(c.average).toFixed(1) })),
        h('p', {}, t(`card.trend.${c.trend}`)),
        Array.isArray(c.moods) ? h('p', { class: 'mood-strip', 'aria-hidden': 'true' },
          c.moods.map((m) => h('span', { class: `mood-dot mood-dot--${m}` }, String(m)))) : null));
  }
  return h('li', { class: 'msg msg--system' }, h('p', { class: 'msg__text' }, '…'));
}

/** A staff member's picker: search the library, send one item into the session. */
export function libraryPicker(s, app) {
  const input = h('input', { type: 'search', id: 'share-q', testid: 'share-q', 'aria-label': t('share.search'), placeholder: t('share.search') });
  const results = h('ul', { class: 'share-results', testid: 'share-results' });
  const search = async () => {
    const params = new URLSearchParams({ q: input.value.trim() });
    try {
      const res = await fetch(`/api/library?${params}`, { cache: 'no-store' });
      const items = res.ok ? (await res.json()).items || [] : [];
      fill(results, items.filter((i) => i.published).slice(0, 8).map((item) => h('li', {},
        h('span', {}, `${item.title} (${t(`kind.${item.kind}`)}, ${item.lang})`),
        h('button', { type: 'button', class: 'btn btn--small', testid: 'share-send', onclick: async () => {
          const reply = await app.conn.request({ type: 'share', session: s.id, item: item.id });
          // Our own copy of the card comes through onFrame like everyone's (sessions.js).
          if (reply && reply.type === 'card') {
            fill($('#pane-forms'));
          } else if (reply) {
            s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
          }
        } }, t('share.send')))));
    } catch { /* offline: nothing to pick from */ }
  };
  input.addEventListener('input', search);
  search();
  return h('div', { class: 'share-picker card' }, input, results);
}
