// Warnings: early warnings raised by the server (risk rising against its baseline, demand
// outrunning the helpers), each acknowledged by a person, and the thresholds that raise them
// (/api/admin/warnings, /api/admin/warnings/thresholds).

import { h, fill, show } from './dom.js';
import { t, applyI18n } from './i18n.js';
import { api, problem } from './admin-api.js';

const tx = (tag, key, attrs = {}) => h(tag, { ...attrs, 'data-i18n': key }, t(key));
const THRESHOLDS = [
  ['window_min', 60, 10080, 1], ['baseline_days', 1, 90, 1], ['factor', 1.1, 20, 0.1],
  ['min_sessions', 5, 10000, 1], ['wait_minutes', 1, 1440, 1], ['queue_length', 1, 100000, 1],
];

export function mountWarnings(root, ctx) {
  let state = 'open';
  let items = [];
  const list = h('ul', { class: 'warn-list', testid: 'warn-list' });
  const filter = h('select', { id: 'warn-state', testid: 'warn-state' });
  filter.addEventListener('change', () => { state = filter.value; load(); });
  const inputs = Object.fromEntries(THRESHOLDS.map(([name, min, max, step]) => [name,
    h('input', { id: `th-${name}`, type: 'number', min: String(min), max: String(max), step: String(step), required: true, testid: `th-${name}` })]));
  const thError = h('p', { class: 'error', role: 'alert', testid: 'th-error', hidden: true });
  const thForm = h('form', { class: 'card', novalidate: true, testid: 'thresholds' },
    tx('h2', 'adm.warn.thresholds', { class: 'admin-sub' }),
    tx('p', 'adm.warn.thresholds.lead', { class: 'hint' }),
    h('div', { class: 'form-grid' }, THRESHOLDS.map(([name]) => h('div', { class: 'field' },
      tx('label', `adm.th.${name}`, { for: `th-${name}` }), inputs[name]))),
    thError,
    tx('button', 'adm.save', { type: 'submit', class: 'btn btn--primary', testid: 'th-save' }));
  thForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    show(thError, false);
    const body = Object.fromEntries(THRESHOLDS.map(([name]) => [name, Number(inputs[name].value)]));
    const res = await api('PUT', '/api/admin/warnings/thresholds', body);
    if (!res.ok) { thError.textContent = `${t('adm.failed')} ${problem(res)}`; show(thError, true); return; }
    ctx.status(t('adm.warn.thsaved'));
  });

  fill(root,
    h('div', { class: 'admin-head' }, tx('h1', 'adm.warn.title', { id: 'warn-title', tabindex: '-1' }),
      h('label', { class: 'field-inline', for: 'warn-state' }, tx('span', 'adm.warn.show'), filter)),
    tx('p', 'adm.warn.lead', { class: 'hint' }),
    h('div', { class: 'staff-layout' }, h('div', {}, list), thForm));

  function fillFilter() {
    fill(filter, ['open', 'all'].map((s) => h('option', { value: s, selected: s === state }, t(`adm.warn.state.${s}`))));
  }

  function scopeText(scope) {
    const parts = [];
    if (scope && scope.department) parts.push(t('adm.warn.dept', { d: scope.department }));
    if (scope && scope.topic) parts.push(t('adm.warn.topic', { topic: t(`topic.${scope.topic}`) }));
    return parts.length ? parts.join(' · ') : t('adm.warn.everyone');
  }

  function item(w) {
    const acked = !!w.acked_by;
    const ack = acked ? null : tx('button', 'adm.warn.ack', { type: 'button', class: 'btn btn--primary btn--small', testid: 'warn-ack' });
    if (ack) {
      ack.addEventListener('click', async () => {
        ack.disabled = true;
        const res = await api('POST', `/api/admin/warnings/${encodeURIComponent(w.warning)}/ack`);
        if (!res.ok && res.status !== 409) { ack.disabled = false; ctx.status(`${t('adm.failed')} ${problem(res)}`, 'error'); return; }
        ctx.status(t('adm.warn.acked'));
        if (ctx.onChange) ctx.onChange();
        await load();
      });
    }
    return h('li', { class: `warn card${acked ? ' warn--acked' : ''}`, 'data-kind': w.kind, testid: `warn-${w.warning}` },
      h('div', { class: 'staff__head' },
        h('strong', {}, t(`adm.warn.kind.${w.kind}`)),
        h('span', { class: 'badge' }, scopeText(w.scope)),
        h('span', { class: 'hint' }, new Date(w.raised_at).toLocaleString())),
      w.detail ? h('p', { class: 'warn__detail' }, typeof w.detail === 'string' ? w.detail : JSON.stringify(w.detail)) : null,
      acked ? h('p', { class: 'hint', testid: 'warn-acked-by' }, t('adm.warn.ackedby', { by: w.acked_by, at: new Date(w.acked_at).toLocaleString() })) : ack);
  }

  function draw() {
    fillFilter();
    fill(list, items.length === 0 ? tx('li', state === 'open' ? 'adm.warn.noneopen' : 'adm.warn.none', { class: 'empty' }) : items.map(item));
  }

  async function load() {
    const [w, th] = await Promise.all([api('GET', `/api/admin/warnings?state=${state}`), api('GET', '/api/admin/warnings/thresholds')]);
    if (!w.ok) {
      if (w.status !== 401) ctx.status(w.status === 404 ? t('adm.warn.unavailable') : t('adm.loadfailed'), 'error');
      items = [];
    } else {
      items = w.data.items || [];
    }
    if (th.ok) for (const [name] of THRESHOLDS) if (th.data[name] !== undefined) inputs[name].value = String(th.data[name]);
    draw();
  }

  fillFilter();
  return { show: load, hide() {}, live(f) { if (f.type.startsWith('warning')) load(); }, relabel() { applyI18n(root); draw(); } };
}
