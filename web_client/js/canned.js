// Canned replies: counselor-approved words a helper puts into the composer and edits before
// sending. Opened with the "Replies" button, "/" in an empty composer, or Ctrl+Space; the
// list is filtered as one types; arrow keys choose, Enter inserts, Escape closes. Nothing is
// ever sent from here: the text lands in the composer, and the helper sends it.

import { $, h, fill, show } from './dom.js';
import { t, lang } from './i18n.js';

/** GET /api/canned with the staff token; throws with the HTTP status on failure. */
export async function fetchCanned(app, query = '') {
  const res = await fetch(`/api/canned${query}`, {
    headers: { Authorization: `Bearer ${app.token}`, Accept: 'application/json' },
    cache: 'no-store',
  });
  if (!res.ok) throw new Error(String(res.status));
  const body = await res.json();
  return Array.isArray(body.items) ? body.items : [];
}

export class CannedPicker {
  constructor(app) {
    this.app = app;
    this.items = [];
    this.shown = [];
    this.active = 0;
    this.panel = $('#canned-panel');
    this.search = $('#canned-search');
    this.list = $('#canned-list');
    this.status = $('#canned-status');
    this.openedFrom = null;
    $('#canned-open').addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    $('#canned-close').addEventListener('click', () => this.close(true));
    $('#composer').addEventListener('keydown', (e) => this._composerKey(e));
    this.search.addEventListener('input', () => { this.active = 0; this.render(); });
    this.search.addEventListener('keydown', (e) => this._searchKey(e));
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close(true);
      }
    });
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  _composerKey(e) {
    const box = e.currentTarget;
    const slash = e.key === '/' && !e.isComposing && box.value.trim() === '';
    const ctrlSpace = e.key === ' ' && e.ctrlKey && !e.altKey && !e.metaKey;
    if (!slash && !ctrlSpace) return;
    const s = this.app.sessions.current;
    if (!s || s.ended) return;
    e.preventDefault();
    this.open();
  }

  _searchKey(e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!this.shown.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.shown.length) % this.shown.length;
      this.render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      // Enter before the list has loaded picks the first match once it has.
      Promise.resolve(this.loading).then(() => {
        if (!this.isOpen) return;
        this.render();
        const item = this.shown[this.active];
        if (item) this.insert(item);
      });
    }
  }

  async open() {
    const s = this.app.sessions.current;
    if (!s || s.ended) return;
    this.lang = s.lang || lang();
    this.search.value = '';
    this.active = 0;
    show(this.panel, true);
    $('#canned-open').setAttribute('aria-expanded', 'true');
    this.search.focus();
    this.status.textContent = t('canned.loading');
    this.render();
    this.loading = fetchCanned(this.app).then((items) => {
      this.items = items;
      this.status.textContent = '';
    }, () => {
      this.status.textContent = t('canned.error');
    });
    await this.loading;
    this.loading = null;
    this.render();
  }

  close(refocus = false) {
    show(this.panel, false);
    $('#canned-open').setAttribute('aria-expanded', 'false');
    this.search.removeAttribute('aria-activedescendant');
    if (refocus) $('#composer').focus();
  }

  /** The session's language first, then the other; filtered by the search words. */
  _matching() {
    const words = this.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const hit = (i) => words.every((w) => `${i.title} ${i.text} ${t(`canned.cat.${i.category}`)}`.toLowerCase().includes(w));
    const mine = this.items.filter((i) => i.lang === this.lang && hit(i));
    const other = this.items.filter((i) => i.lang !== this.lang && hit(i));
    return [...mine, ...other];
  }

  render() {
    this.shown = this._matching();
    if (this.active >= this.shown.length) this.active = 0;
    fill(this.list, this.shown.map((item, i) => h('li', {
      id: `canned-opt-${i}`,
      role: 'option',
      class: 'canned__item',
      testid: 'canned-item',
      'aria-selected': String(i === this.active),
      dataset: { id: item.id, lang: item.lang },
      onmousedown: (e) => e.preventDefault(), // keep focus in the search field
      onclick: () => this.insert(item),
    },
    h('span', { class: 'canned__title' }, item.title),
    h('span', { class: 'canned__meta' }, `${t(`canned.cat.${item.category}`)} · ${item.lang === 'zh' ? '中文' : 'English'}`),
    h('span', { class: 'canned__text' }, item.text))));
    if (this.shown.length) {
      this.search.setAttribute('aria-activedescendant', `canned-opt-${this.active}`);
      const node = $(`#canned-opt-${this.active}`);
      if (node && node.scrollIntoView) node.scrollIntoView({ block: 'nearest' });
    } else {
      this.search.removeAttribute('aria-activedescendant');
      if (this.items.length) this.list.appendChild(h('li', { class: 'hint', role: 'presentation' }, t('canned.nomatch')));
    }
  }

  /** Put the reply into the composer, where it can be edited before sending. */
  insert(item) {
    const box = $('#composer');
    const before = box.value.slice(0, box.selectionStart ?? box.value.length);
    const after = box.value.slice(box.selectionEnd ?? box.value.length);
    const lead = before && !/\s$/.test(before) ? `${before} ` : before;
    box.value = `${lead}${item.text}${after}`;
    const caret = lead.length + item.text.length;
    this.close();
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }
}
