// Audit: the escalation trail and every admin change (GET /api/admin/audit), filterable by
// time, kind, department, level and alert. The server keeps no message text in it.

import { h, fill, show } from './dom.js';
import { t, applyI18n } from './i18n.js';
import { api, problem, query } from './admin-api.js';

const tx = (tag, key, attrs = {}) => h(tag, { ...attrs, 'data-i18n': key }, t(key));

export function mountAudit(root, ctx) {
  let items = [];
  const from = h('input', { id: 'au-from', type: 'date', testid: 'audit-from' });
  const to = h('input', { id: 'au-to', type: 'date', testid: 'audit-to' });
  const kind = h('input', { id: 'au-kind', type: 'text', maxlength: '40', spellcheck: 'false', list: 'au-kinds', testid: 'audit-kind' });
  const kinds = h('datalist', { id: 'au-kinds' }, ['raised', 'delivered', 'claimed', 'passed_up', 'resolved', 'settings_changed', 'staff_added', 'staff_changed', 'staff_removed'].map((k) => h('option', { value: k })));
  const department = h('input', { id: 'au-dept', type: 'text', maxlength: '32', spellcheck: 'false', testid: 'audit-department' });
  const level = h('select', { id: 'au-level', testid: 'audit-level' });
  const alert = h('input', { id: 'au-alert', type: 'text', maxlength: '64', spellcheck: 'false', testid: 'audit-alert' });
  const error = h('p', { class: 'error', role: 'alert', testid: 'audit-error', hidden: true });
  const body = h('tbody', { testid: 'audit-rows' });
  const count = h('p', { class: 'hint', testid: 'audit-count' });

  function fillLevel() {
    const chosen = level.value;
    fill(level, tx('option', 'adm.audit.anylevel', { value: '' }),
      ['department', 'centre', 'all'].map((l) => h('option', { value: l, selected: l === chosen }, t(`adm.level.${l}`))));
  }

  const form = h('form', { class: 'card audit-filter', novalidate: true, testid: 'audit-filter' },
    h('div', { class: 'form-grid form-grid--wide' },
      h('div', { class: 'field' }, tx('label', 'adm.audit.from', { for: 'au-from' }), from),
      h('div', { class: 'field' }, tx('label', 'adm.audit.to', { for: 'au-to' }), to),
      h('div', { class: 'field' }, tx('label', 'adm.audit.kind', { for: 'au-kind' }), kind, kinds),
      h('div', { class: 'field' }, tx('label', 'adm.staff.department', { for: 'au-dept' }), department),
      h('div', { class: 'field' }, tx('label', 'adm.staff.level', { for: 'au-level' }), level),
      h('div', { class: 'field' }, tx('label', 'adm.audit.alert', { for: 'au-alert' }), alert)),
    error,
    h('div', { class: 'inline-actions' },
      tx('button', 'adm.audit.apply', { type: 'submit', class: 'btn btn--primary', testid: 'audit-apply' }),
      tx('button', 'adm.audit.clear', { type: 'reset', class: 'btn btn--quiet' })));
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
  form.addEventListener('reset', () => setTimeout(load, 0));

  fill(root,
    h('div', { class: 'admin-head' }, tx('h1', 'adm.audit.title', { id: 'audit-title', tabindex: '-1' })),
    tx('p', 'adm.audit.lead', { class: 'hint' }),
    form, count,
    h('div', { class: 'table-wrap' }, h('table', { class: 'audit-table' },
      h('thead', {}, h('tr', {}, ['adm.audit.when', 'adm.audit.kind', 'adm.audit.who', 'adm.staff.level', 'adm.staff.department', 'adm.audit.alert', 'adm.audit.detail'].map((k) => tx('th', k, { scope: 'col' })))),
      body)));

  const dayMs = (input, end) => {
    if (!input.value) return null;
    const d = new Date(`${input.value}T00:00:00`);
    return d.getTime() + (end ? 86400000 : 0);
  };

  function detailText(detail) {
    if (!detail) return '';
    if (typeof detail === 'string') return detail;
    return Object.entries(detail).map(([k, v]) => `${k}: ${v}`).join(' · ');
  }

  function draw() {
    count.textContent = t('adm.audit.count', { n: items.length });
    fill(body, items.map((r) => h('tr', { 'data-kind': r.kind },
      h('td', {}, new Date(r.ts).toLocaleString()),
      h('td', {}, r.kind),
      h('td', {}, r.actor || '—'),
      h('td', {}, r.level ? t(`adm.level.${r.level}`) : ''),
      h('td', {}, r.department || ''),
      h('td', { class: 'mono' }, r.alert ? r.alert.slice(0, 10) : ''),
      h('td', { class: 'audit-detail' }, detailText(r.detail)))));
  }

  async function load() {
    show(error, false);
    const res = await api('GET', `/api/admin/audit${query({
      from: dayMs(from, false), to: dayMs(to, true), kind: kind.value.trim(), department: department.value.trim(),
      level: level.value, alert: alert.value.trim(), limit: 200,
    })}`);
    if (!res.ok) {
      if (res.status === 401) return;
      error.textContent = `${t('adm.failed')} ${problem(res)}`;
      show(error, true);
      items = [];
    } else {
      items = res.data.items || [];
    }
    draw();
  }

  fillLevel();
  return { show: load, hide() {},
    live() {}, relabel() { applyI18n(root); fillLevel(); draw(); } };
}
