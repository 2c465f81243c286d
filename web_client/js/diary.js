// The private mood diary on the seeker page: today's mood, tags and a note; a chart of the last
// weeks; the diary code (to carry to another device); "delete my diary". The diary key is a
// random secret made here. Like the resume token it lives in this tab (sessionStorage), unless
// the student ticks "remember on this device" (localStorage); "Quick exit" clears both.

import { $, h, fill, show } from './dom.js';
import { t } from './i18n.js';
import { renderResources } from './resources.js';

const KEY_NAME = 'peerline.diary';
const TAGS = ['sleep', 'study', 'family', 'friends', 'health', 'money', 'love', 'future', 'exercise', 'alone'];
const WEEKS = 4;
const KEY_RE = /^[A-Za-z0-9_-]{22,128}$/;

let entries = [];
let falling = false;
let cfg = null;

export function newDiaryKey() {
  const bytes = new Uint8Array(32); // 256 bits
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_NAME) || localStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

function remembered() {
  try { return !!localStorage.getItem(KEY_NAME); } catch { return false; }
}

function keepKey(key, remember) {
  try {
    sessionStorage.setItem(KEY_NAME, key);
    if (remember) localStorage.setItem(KEY_NAME, key);
    else localStorage.removeItem(KEY_NAME);
  } catch { /* private mode: the diary lasts as long as the page */ }
}

function diaryKey() {
  let key = storedKey();
  if (!key) {
    key = newDiaryKey();
    keepKey(key, false);
  }
  return key;
}

async function call(method, body) {
  const res = await fetch('/api/diary', {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Diary-Key': diaryKey() },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  let data = {};
  try { data = await res.json(); } catch { /* 204 */ }
  return { status: res.status, data };
}

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function dayOffset(n) {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** What a seeker may share in a chat: figures only, never notes. */
export function moodSummary(days = 14) {
  const since = dayOffset(days - 1);
  const recent = entries.filter((e) => e.day >= since).sort((a, b) => (a.day < b.day ? -1 : 1));
  if (!recent.length) return null;
  const moods = recent.map((e) => e.mood);
  const avg = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const half = Math.floor(moods.length / 2);
  let trend = 'steady';
  if (half >= 1) {
    const diff = avg(moods.slice(half)) - avg(moods.slice(0, half));
    if (diff <= -0.5) trend = 'falling';
    else if (diff >= 0.5) trend = 'rising';
  }
  if (falling) trend = 'falling';
  return { days, entries: moods.length, average: Math.round(avg(moods) * 10) / 10, trend, moods: moods.slice(-60) };
}

export function hasEntries() {
  return entries.length > 0;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Bars for the last WEEKS weeks, one per day (empty days are gaps). */
function chart() {
  const days = WEEKS * 7;
  const byDay = new Map(entries.map((e) => [e.day, e]));
  const w = 10;
  const gap = 2;
  const height = 60;
  const root = svg('svg', { viewBox: `0 0 ${days * (w + gap)} ${height + 2}`, class: 'diary-chart', role: 'img',
    'data-testid': 'diary-chart', preserveAspectRatio: 'none' });
  const label = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const day = dayOffset(i);
    const e = byDay.get(day);
    const x = (days - 1 - i) * (w + gap);
    root.appendChild(svg('rect', { x, y: height - 2, width: w, height: 2, class: 'diary-chart__base' }));
    if (!e) continue;
    const bar = svg('rect', { x, y: height - e.mood * 12, width: w, height: e.mood * 12, class: `diary-chart__bar mood-${e.mood}`, 'data-day': day, 'data-mood': e.mood });
    const title = svg('title', {});
    title.textContent = `${day}: ${t(`mood.${e.mood}`)}`;
    bar.appendChild(title);
    root.appendChild(bar);
    label.push(`${day} ${e.mood}`);
  }
  root.setAttribute('aria-label', `${t('diary.chart', { n: WEEKS })}: ${label.join(', ') || t('diary.empty')}`);
  return root;
}

function renderChart() {
  const box = $('#diary-chart-box');
  if (!box) return;
  fill(box,
    h('h3', {}, t('diary.chart', { n: WEEKS })),
    entries.length ? chart() : h('p', { class: 'hint', testid: 'diary-empty' }, t('diary.empty')));
  const fall = $('#diary-falling');
  show(fall, falling);
}

async function refresh() {
  const res = await call('GET');
  if (res.status === 200) {
    entries = res.data.entries || [];
    falling = !!res.data.falling;
  }
  renderChart();
  const mine = entries.find((e) => e.day === today());
  if (mine) {
    const radio = $(`#diary input[name="mood"][value="${mine.mood}"]`);
    if (radio) radio.checked = true;
  }
  if (cfg && cfg.onChange) cfg.onChange();
}

async function save(e) {
  e.preventDefault();
  const status = $('#diary-status');
  const mood = $('#diary input[name="mood"]:checked');
  if (!mood) { status.textContent = t('diary.mood'); return; }
  const tags = [...document.querySelectorAll('#diary input[name="tag"]:checked')].map((n) => n.value);
  const note = $('#diary-note').value.trim();
  const res = await call('POST', { mood: Number(mood.value), tags, note, day: today() });
  if (res.status === 201) {
    status.textContent = t('diary.saved');
    $('#diary-note').value = '';
    if (Array.isArray(res.data.resources)) {
      renderResources($('#diary-crisis-list'), res.data.resources, t('crisis.fallback'));
      show($('#diary-crisis'), true);
      cfg.onCrisis();
    }
    await refresh();
  } else {
    status.textContent = res.status === 429 ? t('diary.toomany') : `${t('diary.error')} ${res.data.detail || ''}`;
  }
}

function codePanel() {
  const shown = h('p', { hidden: true, testid: 'diary-code-box' },
    h('span', { class: 'hint' }, t('diary.code.lead')), h('br'),
    h('code', { class: 'code', testid: 'diary-code' }));
  const input = h('input', { type: 'text', id: 'diary-code-in', maxlength: '128', autocomplete: 'off', spellcheck: 'false', testid: 'diary-code-in' });
  const useStatus = h('p', { class: 'hint', role: 'status' });
  const remember = h('input', { type: 'checkbox', id: 'diary-remember', testid: 'diary-remember' });
  remember.checked = remembered();
  remember.addEventListener('change', () => keepKey(diaryKey(), remember.checked));
  const confirmBox = h('p', { hidden: true },
    h('span', {}, t('diary.delete.confirm')), ' ',
    h('button', { type: 'button', class: 'btn btn--small btn--danger', testid: 'diary-delete-yes', onclick: async () => {
      const res = await call('DELETE');
      if (res.status === 204) {
        entries = [];
        falling = false;
        try { localStorage.removeItem(KEY_NAME); sessionStorage.removeItem(KEY_NAME); } catch { /* ignore */ }
        remember.checked = false;
        $('#diary-status').textContent = t('diary.deleted');
        for (const n of document.querySelectorAll('#diary input[type="radio"], #diary input[name="tag"]')) n.checked = false;
        renderChart();
        if (cfg && cfg.onChange) cfg.onChange();
      }
      show(confirmBox, false);
    } }, t('diary.delete')), ' ',
    h('button', { type: 'button', class: 'btn btn--small btn--quiet', onclick: () => show(confirmBox, false) }, t('cur.cancel')));
  return h('details', { class: 'diary__code' },
    h('summary', { testid: 'diary-more' }, `${t('diary.code')} · ${t('diary.delete')}`),
    h('button', { type: 'button', class: 'btn btn--small', testid: 'diary-show-code', onclick: () => {
      shown.querySelector('code').textContent = diaryKey();
      show(shown, shown.hidden);
    } }, t('diary.code')),
    shown,
    h('label', { class: 'choice' }, remember, h('span', {}, t('diary.remember'))),
    h('label', { for: 'diary-code-in' }, t('diary.usecode')),
    h('div', { class: 'form__inline' }, input,
      h('button', { type: 'button', class: 'btn btn--small', testid: 'diary-code-use', onclick: async () => {
        const code = input.value.trim();
        if (!KEY_RE.test(code)) { useStatus.textContent = t('diary.badcode'); return; }
        keepKey(code, remember.checked);
        input.value = '';
        useStatus.textContent = '';
        await refresh();
      } }, t('diary.usecode.go'))),
    useStatus,
    h('button', { type: 'button', class: 'btn btn--small btn--danger', testid: 'diary-delete', onclick: () => show(confirmBox, true) }, t('diary.delete')),
    confirmBox);
}

/** Build the diary card into #diary. `onCrisis` opens the crisis panel; `toChat` offers a chat. */
export function renderDiary(options) {
  cfg = options;
  const moods = [1, 2, 3, 4, 5].map((n) => h('label', { class: `choice choice--mood mood-${n}` },
    h('input', { type: 'radio', name: 'mood', value: String(n), testid: `diary-mood-${n}` }),
    h('span', {}, `${n} · ${t(`mood.${n}`)}`)));
  const tags = TAGS.map((tag) => h('label', { class: 'choice choice--tag' },
    h('input', { type: 'checkbox', name: 'tag', value: tag, testid: `diary-tag-${tag}` }),
    h('span', {}, t(`tag.${tag}`))));
  const form = h('form', { class: 'form', novalidate: true, testid: 'diary-form' },
    h('fieldset', { class: 'moods' }, h('legend', {}, t('diary.mood')), h('div', { class: 'choices' }, moods)),
    h('fieldset', { class: 'tags' }, h('legend', {}, t('diary.tags')), h('div', { class: 'choices' }, tags)),
    h('label', { for: 'diary-note' }, t('diary.note')),
    h('textarea', { id: 'diary-note', rows: '2', maxlength: '500', testid: 'diary-note' }),
    h('button', { type: 'submit', class: 'btn btn--primary', testid: 'diary-save' }, t('diary.save')),
    h('p', { id: 'diary-status', class: 'hint', role: 'status', testid: 'diary-status' }));
  form.addEventListener('submit', save);
  fill($('#diary'),
    h('h3', { id: 'diary-title' }, t('diary.title')),
    h('p', { class: 'hint' }, t('diary.lead')),
    form,
    h('div', { id: 'diary-crisis', class: 'resources', role: 'alert', testid: 'diary-crisis', hidden: true },
      h('p', {}, t('diary.crisis')),
      h('ul', { id: 'diary-crisis-list', class: 'resource-list' }),
      h('button', { type: 'button', class: 'btn btn--primary', onclick: () => cfg.toChat() }, t('stories.chat'))),
    h('div', { id: 'diary-chart-box', class: 'diary__chart' }),
    h('div', { id: 'diary-falling', class: 'notice notice--info', testid: 'diary-falling', hidden: true },
      h('p', {}, t('diary.falling')),
      h('p', {},
        h('button', { type: 'button', class: 'btn btn--small btn--primary', testid: 'diary-falling-chat', onclick: () => cfg.toChat() }, t('stories.chat')), ' ',
        h('a', { class: 'btn btn--small', href: '/library?topic=mood' }, t('nav.library')))),
    codePanel());
  renderChart();
  if (storedKey()) refresh();
}
