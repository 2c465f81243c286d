// The counselor's screen for approved replies: list (by language), add, edit, delete, through
// /api/canned. Helpers see the changes the next time they open their list of replies.

import { $, h, fill, show } from './dom.js';
import { t } from './i18n.js';
import { fetchCanned } from './canned.js';

export class CannedAdmin {
  constructor(app) {
    this.app = app;
    this.items = [];
    this.editing = null; // id being edited, or null for a new one
    this.confirming = null; // id whose delete waits for a second click
    $('#canned-manage').addEventListener('click', () => this.toggle());
    $('#canned-filter').addEventListener('change', () => this.render());
    $('#canned-form').addEventListener('submit', (e) => this.save(e));
    $('#canned-cancel').addEventListener('click', () => this.edit(null));
    $('#view-canned').addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.defaultPrevented) this.toggle(false);
    });
  }

  get isOpen() {
    return !$('#view-canned').hidden;
  }

  toggle(open = !this.isOpen) {
    show($('#view-canned'), open);
    show($('.console'), !open);
    $('#canned-manage').setAttribute('aria-expanded', String(open));
    if (open) {
      this.edit(null);
      this.load();
      $('#canned-admin-title').focus();
    } else {
      $('#canned-manage').focus();
    }
  }

  async load() {
    $('#canned-admin-status').textContent = t('canned.loading');
    try {
      this.items = await fetchCanned(this.app);
      $('#canned-admin-status').textContent = '';
    } catch {
      $('#canned-admin-status').textContent = t('canned.error');
    }
    this.render();
  }

  render() {
    const lang = $('#canned-filter').value;
    const shown = this.items.filter((i) => !lang || i.lang === lang);
    fill($('#canned-admin-list'), shown.map((item) => {
      const confirm = this.confirming === item.id;
      return h('li', { class: `canned-row${this.editing === item.id ? ' canned-row--editing' : ''}`, testid: 'canned-row', dataset: { id: item.id } },
        h('div', { class: 'canned-row__head' },
          h('strong', { class: 'canned__title' }, item.title),
          h('span', { class: 'canned__meta' }, `${t(`canned.cat.${item.category}`)} · ${item.lang === 'zh' ? '中文' : 'English'}`)),
        h('p', { class: 'canned__text', lang: item.lang === 'zh' ? 'zh-CN' : 'en' }, item.text),
        h('div', { class: 'inline-actions' },
          h('button', { type: 'button', class: 'btn btn--small', testid: 'canned-edit', onclick: () => this.edit(item) },
            t('canned.admin.edit')),
          h('button', {
            type: 'button',
            class: `btn btn--small ${confirm ? 'btn--crisis' : 'btn--danger'}`,
            testid: 'canned-delete',
            onclick: () => this.remove(item),
          }, confirm ? t('canned.admin.confirmdelete') : t('canned.admin.delete'))));
    }));
    if (!shown.length && !$('#canned-admin-status').textContent) {
      $('#canned-admin-list').appendChild(h('li', { class: 'hint' }, t('canned.admin.none')));
    }
  }

  edit(item) {
    this.editing = item ? item.id : null;
    this.confirming = null;
    $('#canned-form-title').textContent = item ? t('canned.admin.editing', { title: item.title }) : t('canned.admin.new');
    $('#canned-lang').value = item ? item.lang : ($('#canned-filter').value || 'zh');
    $('#canned-category').value = item ? item.category : 'other';
    $('#canned-title-input').value = item ? item.title : '';
    $('#canned-text').value = item ? item.text : '';
    show($('#canned-form-error'), false);
    this.render();
    if (item) $('#canned-title-input').focus();
  }

  async save(event) {
    event.preventDefault();
    const body = {
      lang: $('#canned-lang').value,
      category: $('#canned-category').value,
      title: $('#canned-title-input').value.trim(),
      text: $('#canned-text').value.trim(),
    };
    const error = $('#canned-form-error');
    if (!body.title || !body.text) {
      error.textContent = t('canned.admin.required');
      show(error, true);
      (body.title ? $('#canned-text') : $('#canned-title-input')).focus();
      return;
    }
    const url = this.editing ? `/api/canned/${encodeURIComponent(this.editing)}` : '/api/canned';
    let res;
    try {
      res = await fetch(url, {
        method: this.editing ? 'PUT' : 'POST',
        headers: { Authorization: `Bearer ${this.app.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      res = null;
    }
    if (!res || !res.ok) {
      error.textContent = res ? t('canned.admin.refused', { status: res.status }) : t('conn.offline');
      show(error, true);
      return;
    }
    $('#canned-admin-status').textContent = t('canned.admin.saved', { title: body.title });
    this.edit(null);
    await this.load();
    $('#canned-admin-status').textContent = t('canned.admin.saved', { title: body.title });
  }

  async remove(item) {
    if (this.confirming !== item.id) {
      this.confirming = item.id;
      this.render();
      const again = $(`#canned-admin-list [data-id="${CSS.escape(item.id)}"] [data-testid="canned-delete"]`);
      if (again) again.focus();
      return;
    }
    this.confirming = null;
    let res;
    try {
      res = await fetch(`/api/canned/${encodeURIComponent(item.id)}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${this.app.token}` },
        cache: 'no-store',
      });
    } catch {
      res = null;
    }
    if (this.editing === item.id) this.edit(null);
    await this.load();
    $('#canned-admin-status').textContent = res && (res.ok || res.status === 404)
      ? t('canned.admin.deleted', { title: item.title })
      : t('canned.admin.refused', { status: res ? res.status : '—' });
  }
}
