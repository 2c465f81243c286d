// Curation in the counselor console: the library (create, edit, preview, publish, order,
// export/import), story review (crises on top; approve, ask for an edit, reject with a reason)
// and the anonymous statistics. HTTP with the console's staff token (Authorization: Bearer).

import { $, h, fill, show } from './dom.js';
import { t, onLangChange, category } from './i18n.js';
import { renderItem } from './library-view.js';
import './between-strings.js';

const TOKEN_KEY = 'peerline.staff';
const KINDS = ['article', 'course', 'book', 'hotline'];
const TOPICS = ['academic', 'relationships', 'family', 'mood', 'other'];
let active = 'view-console';
let items = [];

function token() {
  try { return (JSON.parse(sessionStorage.getItem(TOKEN_KEY)) || {}).token || null; } catch { return null; }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token()}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  let data = {};
  try { data = await res.json(); } catch { /* 204 */ }
  return { status: res.status, data };
}

function problem(res) {
  if (res.status === 401) return t('cur.signin');
  if (res.status === 403) return t('cur.forbidden');
  return t('cur.error', { detail: res.data.detail || res.status });
}

// ---------- tabs ----------

function select(section) {
  active = section;
  for (const tab of document.querySelectorAll('#curate-nav [role="tab"]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.section === section));
  }
  for (const id of ['view-console', 'curate-library', 'curate-stories', 'curate-stats']) {
    show($(`#${id}`), id === section);
  }
  if (section === 'curate-library') loadLibrary();
  if (section === 'curate-stories') loadStories();
  if (section === 'curate-stats') loadStats();
}

// ---------- library ----------

async function loadLibrary(message) {
  const res = await api('GET', '/api/library');
  items = res.status === 200 ? res.data.items : [];
  const status = h('p', { class: 'hint', role: 'status', testid: 'cur-status' }, message || (res.status === 200 ? '' : problem(res)));
  const fileInput = h('input', { type: 'file', accept: 'application/json,.json', class: 'visually-hidden', id: 'cur-import-file', testid: 'cur-import-file' });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    if (!file) return;
    let body;
    try { body = JSON.parse(await file.text()); } catch { status.textContent = t('cur.error', { detail: 'JSON' }); return; }
    const r = await api('POST', '/api/library/import', body);
    loadLibrary(r.status === 200 ? t('cur.imported', { n: r.data.imported }) : problem(r));
  });
  fill($('#curate-library'),
    h('h1', {}, t('cur.library')),
    h('p', { class: 'choices' },
      h('button', { type: 'button', class: 'btn btn--primary', testid: 'cur-new', onclick: () => editItem(null) }, t('cur.new')),
      h('button', { type: 'button', class: 'btn', testid: 'cur-export', onclick: exportLibrary }, t('cur.export')),
      h('label', { class: 'btn', for: 'cur-import-file' }, t('cur.import')), fileInput),
    status,
    h('div', { id: 'cur-editor' }),
    h('ul', { class: 'curate-list', testid: 'cur-items' }, items.map((item, i) => h('li', { class: 'curate-row', testid: 'cur-item', dataset: { id: item.id } },
      h('span', { class: 'curate-row__title' }, item.title,
        h('span', { class: 'hint' }, ` · ${t(`kind.${item.kind}`)} · ${item.lang}`)),
      h('span', { class: item.published ? 'pill pill--on' : 'pill', testid: 'cur-state' }, t(item.published ? 'cur.published' : 'cur.draft')),
      h('span', { class: 'curate-row__actions' },
        h('button', { type: 'button', class: 'btn btn--small', testid: 'cur-edit', onclick: () => editItem(item.id) }, t('cur.edit')),
        h('button', { type: 'button', class: 'btn btn--small', testid: 'cur-toggle', onclick: async () => {
          const r = await api('PUT', `/api/library/${encodeURIComponent(item.id)}`, { published: !item.published });
          loadLibrary(r.status === 200 ? t('cur.saved') : problem(r));
        } }, t(item.published ? 'cur.unpublish' : 'cur.publish')),
        h('button', { type: 'button', class: 'btn btn--small btn--quiet', 'aria-label': `${t('cur.up')}: ${item.title}`, disabled: i === 0, testid: 'cur-up', onclick: () => move(i, -1) }, '↑'),
        h('button', { type: 'button', class: 'btn btn--small btn--quiet', 'aria-label': `${t('cur.down')}: ${item.title}`, disabled: i === items.length - 1, testid: 'cur-down', onclick: () => move(i, 1) }, '↓'),
        h('button', { type: 'button', class: 'btn btn--small btn--danger', testid: 'cur-delete', onclick: async (e) => {
          const b = e.currentTarget;
          if (b.dataset.armed !== '1') { b.dataset.armed = '1'; b.textContent = t('cur.delete.confirm'); return; }
          const r = await api('DELETE', `/api/library/${encodeURIComponent(item.id)}`);
          loadLibrary(r.status === 204 ? t('cur.saved') : problem(r));
        } }, t('cur.delete')))))));
}

/** Move one item up or down: the list is renumbered (10, 20, …) and the changed orders saved. */
async function move(index, step) {
  const order = [...items];
  const [moved] = order.splice(index, 1);
  order.splice(index + step, 0, moved);
  for (const [i, item] of order.entries()) {
    if (item.order !== (i + 1) * 10) {
      const r = await api('PUT', `/api/library/${encodeURIComponent(item.id)}`, { order: (i + 1) * 10 });
      if (r.status !== 200) { loadLibrary(problem(r)); return; }
    }
  }
  loadLibrary(t('cur.saved'));
}

async function exportLibrary() {
  const res = await api('GET', '/api/library/export');
  if (res.status !== 200) { loadLibrary(problem(res)); return; }
  const blob = new Blob([JSON.stringify(res.data, null, 1)], { type: 'application/json' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `peerline-library-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function stepsToText(steps) {
  return (steps || []).map((s) => `${s.title}\n${s.body}`).join('\n---\n');
}

function textToSteps(text) {
  return text.split(/\n-{3,}\n/).map((block) => block.trim()).filter(Boolean).map((block) => {
    const [title, ...rest] = block.split('\n');
    return { title: title.trim(), body: rest.join('\n').trim() || title.trim() };
  });
}

async function editItem(id) {
  let item = { kind: 'article', lang: 'zh', title: '', summary: '', topics: [], tags: [], published: false };
  if (id) {
    const res = await api('GET', `/api/library/${encodeURIComponent(id)}`);
    if (res.status !== 200) { loadLibrary(problem(res)); return; }
    item = res.data;
  }
  const field = (name, label, node) => h('div', { class: `cur-field cur-field--${name}` }, h('label', { for: `cur-${name}` }, label), node);
  const input = (name, value, attrs = {}) => h('input', { type: 'text', id: `cur-${name}`, value: value ?? '', testid: `cur-${name}`, ...attrs });
  const area = (name, value, rows) => { const a = h('textarea', { id: `cur-${name}`, rows: String(rows), testid: `cur-${name}` }); a.value = value ?? ''; return a; };
  const kind = h('select', { id: 'cur-kind', testid: 'cur-kind' }, KINDS.map((k) => h('option', { value: k, selected: k === item.kind }, t(`kind.${k}`))));
  const langSel = h('select', { id: 'cur-lang', testid: 'cur-lang' }, ['zh', 'en'].map((l) => h('option', { value: l, selected: l === item.lang }, l === 'zh' ? '中文' : 'English')));
  const topics = h('div', { class: 'choices' }, TOPICS.map((tp) => h('label', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'cur-topic', value: tp, checked: (item.topics || []).includes(tp), testid: `cur-topic-${tp}` }), h('span', {}, t(`topic.${tp}`)))));
  const published = h('input', { type: 'checkbox', id: 'cur-published', checked: !!item.published, testid: 'cur-published' });
  const extra = {
    article: [field('body', t('cur.body'), area('body', item.body, 12))],
    course: [field('steps', t('cur.steps'), area('steps', stepsToText(item.steps), 12))],
    book: [field('author', t('cur.author'), input('author', item.author)), field('quote', t('cur.quote'), area('quote', item.quote, 2)), field('url', t('cur.url'), input('url', item.url))],
    hotline: [field('phone', t('cur.phone'), input('phone', item.phone)), field('hours', t('cur.hours'), input('hours', item.hours)), field('url', t('cur.url'), input('url', item.url))],
  };
  const extraBox = h('div', {});
  const drawExtra = () => fill(extraBox, extra[kind.value]);
  kind.addEventListener('change', drawExtra);
  drawExtra();
  const preview = h('div', { class: 'preview item', testid: 'cur-preview', hidden: true });
  const error = h('p', { class: 'error', role: 'alert', testid: 'cur-error', hidden: true });

  const collect = () => {
    const v = (name) => { const n = extraBox.querySelector(`#cur-${name}`); return n ? n.value.trim() : undefined; };
    const body = {
      kind: kind.value, lang: langSel.value, title: $('#cur-title').value.trim(), summary: $('#cur-summary').value.trim(),
      topics: [...document.querySelectorAll('input[name="cur-topic"]:checked')].map((n) => n.value),
      tags: $('#cur-tags').value.split(/[,，]/).map((s) => s.trim()).filter(Boolean),
      published: published.checked,
    };
    if (kind.value === 'article') body.body = v('body');
    if (kind.value === 'course') body.steps = textToSteps(v('steps') || '');
    if (kind.value === 'book') Object.assign(body, { author: v('author'), quote: v('quote') || null, url: v('url') || null });
    if (kind.value === 'hotline') Object.assign(body, { phone: v('phone') || null, hours: v('hours') || null, url: v('url') || null });
    return body;
  };
  const form = h('form', { class: 'form card curate-form', novalidate: true, testid: 'cur-form' },
    h('div', { class: 'form__row' }, field('kind', t('cur.kind'), kind), field('lang', t('cur.lang'), langSel)),
    field('title', t('cur.titlef'), input('title', item.title, { maxlength: '200' })),
    field('summary', t('cur.summary'), area('summary', item.summary, 2)),
    h('fieldset', {}, h('legend', {}, t('cur.topics')), topics),
    field('tags', t('cur.tags'), input('tags', (item.tags || []).join(', '))),
    extraBox,
    h('label', { class: 'choice' }, published, h('span', {}, t('cur.publish'))),
    error,
    h('p', { class: 'choices' },
      h('button', { type: 'submit', class: 'btn btn--primary', testid: 'cur-save' }, t('cur.save')),
      h('button', { type: 'button', class: 'btn', testid: 'cur-preview-btn', onclick: () => {
        renderItem(preview, { id: item.id || 'preview', ...collect() });
        show(preview, true);
      } }, t('cur.preview')),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: () => fill($('#cur-editor')) }, t('cur.cancel'))),
    preview);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = id
      ? await api('PUT', `/api/library/${encodeURIComponent(id)}`, collect())
      : await api('POST', '/api/library', collect());
    if (res.status === 200 || res.status === 201) {
      loadLibrary(t('cur.saved'));
    } else {
      error.textContent = problem(res);
      show(error, true);
    }
  });
  fill($('#cur-editor'), form);
  $('#cur-title').focus();
}

// ---------- stories ----------

async function loadStories(message) {
  const [review, published] = await Promise.all([api('GET', '/api/stories/review'), api('GET', '/api/stories')]);
  const pending = review.status === 200 ? review.data.items : [];
  const rows = pending.map((s) => {
    const reason = h('textarea', { rows: '2', maxlength: '1000', testid: 'cur-reason', 'aria-label': t('cur.reason'), placeholder: t('cur.reason') });
    const decide = (decision) => async () => {
      const r = await api('POST', `/api/stories/${encodeURIComponent(s.id)}/decision`, { decision, reason: reason.value.trim() });
      loadStories(r.status === 200 ? t('cur.decided', { status: r.data.status }) : problem(r));
    };
    const crisis = s.severity >= 3;
    return h('li', { class: `curate-row${crisis ? ' curate-row--flagged' : ''}`, testid: 'cur-story', dataset: { severity: String(s.severity) } },
      h('div', { class: 'curate-row__title' },
        crisis ? h('p', { class: 'error', testid: 'cur-story-crisis' }, t('cur.crisis')) : null,
        h('p', {}, h('strong', {}, s.title), h('span', { class: 'hint' }, ` · ${t(`topic.${s.topic}`)} · ${s.lang} · ${t('cur.severity', { n: s.severity })}${s.categories.length ? ` · ${s.categories.map(category).join(', ')}` : ''}`)),
        h('p', { class: 'story__text' }, s.text),
        reason),
      h('span', { class: 'curate-row__actions' },
        h('button', { type: 'button', class: 'btn btn--small btn--primary', testid: 'cur-approve', onclick: decide('approve') }, t('cur.approve')),
        h('button', { type: 'button', class: 'btn btn--small', testid: 'cur-revise', onclick: decide('revise') }, t('cur.revise')),
        h('button', { type: 'button', class: 'btn btn--small btn--danger', testid: 'cur-reject', onclick: decide('reject') }, t('cur.reject'))));
  });
  const live = published.status === 200 ? published.data.items : [];
  fill($('#curate-stories'),
    h('h1', {}, t('cur.stories')),
    h('p', { class: 'hint', role: 'status', testid: 'cur-stories-status' }, message || (review.status === 200 ? '' : problem(review))),
    rows.length ? h('ul', { class: 'curate-list', testid: 'cur-stories' }, rows) : h('p', { class: 'empty' }, t('cur.noreview')),
    h('h2', {}, t('cur.publishedlist')),
    h('ul', { class: 'curate-list' }, live.map((s) => h('li', { class: 'curate-row' },
      h('span', { class: 'curate-row__title' }, s.title, h('span', { class: 'hint' }, ` · ${t('stories.reads', { n: s.reads })}`)),
      h('button', { type: 'button', class: 'btn btn--small btn--danger', onclick: async () => {
        const r = await api('DELETE', `/api/stories/${encodeURIComponent(s.id)}`);
        loadStories(r.status === 204 ? t('cur.saved') : problem(r));
      } }, t('cur.takedown'))))));
}

// ---------- statistics ----------

const shown = (n) => (n === null || n === undefined ? '–' : String(n));

async function loadStats() {
  const res = await api('GET', '/api/between/stats?weeks=8');
  if (res.status !== 200) { fill($('#curate-stats'), h('p', { class: 'error' }, problem(res))); return; }
  const weeks = res.data.weeks;
  const bands = (check) => Object.keys(weeks[0].checks[check]);
  fill($('#curate-stats'),
    h('h1', {}, t('cur.stats')),
    h('p', { class: 'hint' }, t('cur.hidden')),
    h('div', { class: 'table-scroll' }, h('table', { class: 'stats-table', testid: 'cur-stats-weeks' },
      h('thead', {}, h('tr', {}, h('th', {}, t('cur.week')), [1, 2, 3, 4, 5].map((m) => h('th', {}, `${t('cur.moods').split(' ')[0]} ${m}`)),
        h('th', {}, t('cur.opensweek')), h('th', {}, t('cur.read')), h('th', {}, t('cur.sent')),
        bands('phq9').map((b) => h('th', {}, `PHQ-9 ${b}`)), bands('gad7').map((b) => h('th', {}, `GAD-7 ${b}`)))),
      h('tbody', {}, weeks.map((w) => h('tr', {}, h('td', {}, w.week), [1, 2, 3, 4, 5].map((m) => h('td', {}, shown(w.moods[String(m)]))),
        h('td', {}, shown(w.library_opens)), h('td', {}, shown(w.stories_read)), h('td', {}, shown(w.stories_submitted)),
        bands('phq9').map((b) => h('td', {}, shown(w.checks.phq9[b]))), bands('gad7').map((b) => h('td', {}, shown(w.checks.gad7[b])))))))),
    h('h2', {}, t('cur.library.opens')),
    h('table', { class: 'stats-table', testid: 'cur-stats-library' },
      h('tbody', {}, res.data.library.map((row) => h('tr', {}, h('td', {}, row.title), h('td', {}, shown(row.opens)))))));
}

/** Show the section tabs once signed in; keep the chosen section when the console redraws. */
export function startCurate() {
  const nav = $('#curate-nav');
  if (nav.dataset.started) { show(nav, true); return; }
  nav.dataset.started = '1';
  show(nav, true);
  for (const tab of nav.querySelectorAll('[role="tab"]')) {
    tab.addEventListener('click', () => select(tab.dataset.section));
  }
  // staff.js shows the console on every welcome and the login form when signed out.
  new MutationObserver(() => {
    const loggedOut = !$('#view-login').hidden;
    show(nav, !loggedOut);
    if (loggedOut) {
      for (const id of ['curate-library', 'curate-stories', 'curate-stats']) show($(`#${id}`), false);
      active = 'view-console';
    } else if (active !== 'view-console' && !$('#view-console').hidden) {
      show($('#view-console'), false);
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['hidden'] });
  onLangChange(() => { if (active !== 'view-console') select(active); });
}
