// Settings that are safe to change while the service runs (GET/PUT /api/admin/settings):
// operating hours and the closed message, crisis numbers and self-help, the tier timeout and
// the helpers' cooldown. Each part saves on its own; every process applies it within 2 s.

import { h, fill, show } from './dom.js';
import { t, applyI18n } from './i18n.js';
import { api, problem } from './admin-api.js';

const tx = (tag, key, attrs = {}) => h(tag, { ...attrs, 'data-i18n': key }, t(key));

export function mountSettings(root, ctx) {
  let current = null;

  // ---------- hours ----------
  const spec = h('input', { id: 'set-hours', type: 'text', maxlength: '500', spellcheck: 'false', testid: 'set-hours', 'aria-describedby': 'set-hours-hint' });
  const msgZh = h('input', { id: 'set-msg-zh', type: 'text', maxlength: '300', lang: 'zh', testid: 'set-msg-zh' });
  const msgEn = h('input', { id: 'set-msg-en', type: 'text', maxlength: '300', lang: 'en', testid: 'set-msg-en' });
  const onCall = h('input', { id: 'set-oncall', type: 'checkbox', testid: 'set-oncall' });
  const hoursError = h('p', { class: 'error', role: 'alert', testid: 'set-hours-error', hidden: true });
  const quick = (key, value) => tx('button', key, { type: 'button', class: 'btn btn--small', testid: `set-hours-${value}`, onclick: () => { spec.value = value; } });
  const hoursForm = h('form', { class: 'card', novalidate: true, testid: 'set-hours-form' },
    tx('h2', 'adm.set.hours', { class: 'admin-sub' }),
    h('div', { class: 'field' }, tx('label', 'adm.set.spec', { for: 'set-hours' }), spec),
    tx('p', 'adm.set.spec.hint', { class: 'hint', id: 'set-hours-hint' }),
    h('div', { class: 'inline-actions' }, quick('adm.set.always', 'always'), quick('adm.set.closed', 'closed'),
      tx('button', 'adm.set.example', { type: 'button', class: 'btn btn--small', onclick: () => { spec.value = 'mon-fri 08:00-22:00, sat 10:00-16:00'; } })),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, tx('label', 'adm.set.msgzh', { for: 'set-msg-zh' }), msgZh),
      h('div', { class: 'field' }, tx('label', 'adm.set.msgen', { for: 'set-msg-en' }), msgEn)),
    h('label', { class: 'check' }, onCall, tx('span', 'adm.set.oncall')),
    hoursError,
    tx('button', 'adm.save', { type: 'submit', class: 'btn btn--primary', testid: 'set-hours-save' }));
  hoursForm.addEventListener('submit', (event) => {
    event.preventDefault();
    save({ hours: spec.value.trim(), hours_message: { zh: msgZh.value, en: msgEn.value }, open_when_on_call: onCall.checked }, hoursError, 'adm.set.hourssaved');
  });

  // ---------- timings ----------
  const tier = h('input', { id: 'set-tier', type: 'number', min: '10', max: '3600', step: '1', testid: 'set-tier' });
  const cooldown = h('input', { id: 'set-cooldown', type: 'number', min: '0', max: '120', step: '1', testid: 'set-cooldown' });
  const timesError = h('p', { class: 'error', role: 'alert', testid: 'set-times-error', hidden: true });
  const timesForm = h('form', { class: 'card', novalidate: true, testid: 'set-times-form' },
    tx('h2', 'adm.set.times', { class: 'admin-sub' }),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, tx('label', 'adm.set.tier', { for: 'set-tier' }), tier, tx('p', 'adm.set.tier.hint', { class: 'hint' })),
      h('div', { class: 'field' }, tx('label', 'adm.set.cooldown', { for: 'set-cooldown' }), cooldown, tx('p', 'adm.set.cooldown.hint', { class: 'hint' }))),
    timesError,
    tx('button', 'adm.save', { type: 'submit', class: 'btn btn--primary', testid: 'set-times-save' }));
  timesForm.addEventListener('submit', (event) => {
    event.preventDefault();
    save({ tier_timeout_s: Number(tier.value), cooldown_s: Number(cooldown.value) * 60 }, timesError, 'adm.set.timessaved');
  });

  // ---------- resources ----------
  const crisisList = h('ol', { class: 'res-edit', testid: 'set-crisis' });
  const selfList = h('ol', { class: 'res-edit', testid: 'set-selfhelp' });
  const resError = h('p', { class: 'error', role: 'alert', testid: 'set-res-error', hidden: true });
  const field = (key, node) => h('label', { class: 'field' }, h('span', { 'data-i18n': key }, t(key)), node);
  function crisisRow(item = {}) {
    const li = h('li', { class: 'res-row', testid: 'crisis-row' },
      field('adm.res.title', h('input', { type: 'text', maxlength: '200', name: 'title', value: item.title || '' })),
      field('adm.res.phone', h('input', { type: 'tel', maxlength: '40', name: 'phone', value: item.phone || '' })),
      field('adm.res.url', h('input', { type: 'url', maxlength: '500', name: 'url', value: item.url || '' })),
      field('adm.res.lang', h('select', { name: 'lang' }, ['', 'zh', 'en'].map((l) => (l ? h('option', { value: l, selected: (item.lang || '') === l }, l === 'zh' ? '中文' : 'English')
        : tx('option', 'adm.res.anylang', { value: '', selected: !item.lang }))))),
      tx('button', 'adm.res.remove', { type: 'button', class: 'btn btn--quiet btn--small', onclick: () => li.remove() }));
    return li;
  }
  function selfRow(item = {}) {
    const li = h('li', { class: 'res-row', testid: 'selfhelp-row' },
      field('adm.res.title', h('input', { type: 'text', maxlength: '200', name: 'title', value: item.title || '' })),
      field('adm.res.text', h('textarea', { rows: '2', maxlength: '2000', name: 'text' }, item.text || '')),
      field('adm.res.url', h('input', { type: 'url', maxlength: '500', name: 'url', value: item.url || '' })),
      tx('button', 'adm.res.remove', { type: 'button', class: 'btn btn--quiet btn--small', onclick: () => li.remove() }));
    return li;
  }
  const value = (li, name) => {
    const v = li.querySelector(`[name="${name}"]`).value.trim();
    return v === '' ? null : v;
  };
  const resForm = h('form', { class: 'card', novalidate: true, testid: 'set-res-form' },
    tx('h2', 'adm.set.resources', { class: 'admin-sub' }),
    tx('p', 'adm.set.resources.lead', { class: 'hint' }),
    tx('h3', 'adm.set.crisis'), crisisList,
    tx('button', 'adm.res.addcrisis', { type: 'button', class: 'btn btn--small', testid: 'add-crisis', onclick: () => crisisList.append(crisisRow()) }),
    tx('h3', 'adm.set.selfhelp'), selfList,
    tx('button', 'adm.res.addself', { type: 'button', class: 'btn btn--small', testid: 'add-selfhelp', onclick: () => selfList.append(selfRow()) }),
    resError,
    h('div', { class: 'inline-actions' }, tx('button', 'adm.save', { type: 'submit', class: 'btn btn--primary', testid: 'set-res-save' })));
  resForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const crisis = [...crisisList.children].map((li) => ({ title: value(li, 'title') || '', phone: value(li, 'phone'), url: value(li, 'url'), lang: value(li, 'lang') }));
    const selfHelp = [...selfList.children].map((li) => ({ title: value(li, 'title') || '', text: value(li, 'text') || '', url: value(li, 'url') }));
    save({ resources: { crisis, self_help: selfHelp } }, resError, 'adm.set.ressaved');
  });

  const version = h('p', { class: 'hint', testid: 'set-version' });
  fill(root,
    h('div', { class: 'admin-head' }, tx('h1', 'adm.set.title', { id: 'set-title', tabindex: '-1' }), version),
    tx('p', 'adm.set.lead', { class: 'hint' }),
    h('div', { class: 'settings-grid' }, h('div', {}, hoursForm, timesForm), resForm));

  async function save(body, errorNode, doneKey) {
    show(errorNode, false);
    const res = await api('PUT', '/api/admin/settings', body);
    if (!res.ok) {
      errorNode.textContent = `${t('adm.failed')} ${problem(res)}`;
      show(errorNode, true);
      return;
    }
    current = res.data;
    draw();
    ctx.status(t(doneKey));
  }

  function draw() {
    if (!current) return;
    spec.value = current.hours;
    msgZh.value = (current.hours_message && current.hours_message.zh) || '';
    msgEn.value = (current.hours_message && current.hours_message.en) || '';
    onCall.checked = !!current.open_when_on_call;
    tier.value = String(current.tier_timeout_s);
    cooldown.value = String(Math.round(current.cooldown_s / 60));
    fill(crisisList, current.resources.crisis.map(crisisRow));
    fill(selfList, current.resources.self_help.map(selfRow));
    version.textContent = current.version ? t('adm.set.version', { v: current.version }) : '';
  }

  async function load() {
    const res = await api('GET', '/api/admin/settings');
    if (!res.ok) { if (res.status !== 401) ctx.status(t('adm.loadfailed'), 'error'); return; }
    current = res.data;
    draw();
  }

  return { show: load, hide() {},
    live() {}, relabel() { applyI18n(root); } };
}
