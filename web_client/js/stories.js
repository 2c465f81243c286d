// The stories page (/stories): published stories to read and support with a reaction, a form
// to share one's own (anonymous, reviewed first), and the receipt check. Everything is text.

import { $, h, fill, show } from './dom.js';
import { t, lang } from './i18n.js';
import { startShell, openCrisis } from './student-shell.js';
import { renderResources } from './resources.js';

const MAX_TEXT = 5000;
const REACTIONS = ['hug', 'strength', 'relate', 'thanks'];
const REACTED_KEY = 'peerline.reacted';
let stories = [];
let lastReceipt = null;

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  let data = null;
  try { data = await res.json(); } catch { /* empty */ }
  return { status: res.status, data: data || {} };
}

function reacted() {
  try { return new Set(JSON.parse(sessionStorage.getItem(REACTED_KEY)) || []); } catch { return new Set(); }
}

function remember(id) {
  const set = reacted();
  set.add(id);
  try { sessionStorage.setItem(REACTED_KEY, JSON.stringify([...set])); } catch { /* ignore */ }
}

function paragraphs(text) {
  return String(text).split(/\n{2,}/).map((p) => h('p', {}, p));
}

function storyItem(story) {
  const body = h('div', { class: 'story__text', testid: 'story-body' }, paragraphs(story.text));
  const reads = h('span', { class: 'hint', testid: 'story-reads' }, t('stories.reads', { n: story.reads ?? 0 }));
  const details = h('details', { class: 'story__more' },
    h('summary', { testid: 'story-open' }, t('stories.readmore')), body);
  const lead = h('p', { class: 'story__lead' }, String(story.text).slice(0, 160) + (story.text.length > 160 ? '…' : ''));
  details.addEventListener('toggle', async () => {
    show(lead, !details.open); // the whole text replaces its opening lines
    if (!details.open || details.dataset.counted) return;
    details.dataset.counted = '1';
    const res = await api('POST', `/api/stories/${encodeURIComponent(story.id)}/read`);
    if (res.status === 200) { story.reads = res.data.reads; reads.textContent = t('stories.reads', { n: story.reads }); }
  });
  const done = reacted().has(story.id);
  const buttons = REACTIONS.map((r) => h('button', {
    type: 'button', class: 'btn btn--small react', testid: `react-${r}`, disabled: done,
    onclick: async (e) => {
      const res = await api('POST', `/api/stories/${encodeURIComponent(story.id)}/react`, { reaction: r });
      if (res.status !== 200) return;
      story.reactions = res.data.reactions;
      remember(story.id);
      for (const b of e.target.closest('.story__reactions').querySelectorAll('button')) b.disabled = true;
      renderCounts(e.target.closest('.story'), story);
    },
  }, t(`react.${r}`)));
  const el = h('li', { class: 'story card', testid: 'story', dataset: { id: story.id } },
    h('h2', { class: 'story__title' }, String(story.title)),
    h('p', { class: 'lib-card__meta' }, `${t(`topic.${story.topic}`)} · `, reads),
    lead,
    details,
    h('div', { class: 'story__reactions', role: 'group', 'aria-label': t('stories.react') }, buttons),
    h('p', { class: 'hint story__counts', testid: 'story-counts' }));
  renderCounts(el, story);
  return el;
}

function renderCounts(el, story) {
  const counts = story.reactions || {};
  el.querySelector('.story__counts').textContent = REACTIONS
    .filter((r) => counts[r]).map((r) => `${t(`react.${r}`)} ${counts[r]}`).join('  ');
}

async function loadStories() {
  const res = await api('GET', '/api/stories');
  stories = res.status === 200 ? res.data.items || [] : [];
  render();
}

function render() {
  // The reader's language first; the others after.
  const sorted = [...stories].sort((a, b) => (a.lang === lang() ? 0 : 1) - (b.lang === lang() ? 0 : 1));
  fill($('#stories'), sorted.map(storyItem));
  show($('#stories-none'), stories.length === 0);
  updateCount();
}

function updateCount() {
  $('#story-count').textContent = t('stories.count', { n: [...$('#story-text').value].length, max: MAX_TEXT });
}

function showError(res) {
  const err = $('#story-error');
  err.textContent = res.status === 429 ? t('stories.toomany') : t('stories.bad', { detail: res.data.detail || res.status });
  show(err, true);
}

function showCrisis(resources) {
  renderResources($('#story-crisis-list'), resources, t('crisis.fallback'));
  show($('#story-crisis'), true);
  openCrisis();
}

async function submit(e) {
  e.preventDefault();
  show($('#story-error'), false);
  const body = {
    title: $('#story-title').value.trim(),
    text: $('#story-text').value.trim(),
    topic: $('#story-topic').value,
    lang: $('#story-lang').value,
  };
  const button = $('[data-testid="story-submit"]');
  button.disabled = true;
  try {
    const res = await api('POST', '/api/stories', body);
    if (res.status !== 201) { showError(res); return; }
    $('#story-receipt').textContent = res.data.receipt;
    $('#receipt').value = res.data.receipt;
    show($('#story-form'), false);
    show($('#story-sent'), true);
    if (Array.isArray(res.data.resources)) showCrisis(res.data.resources);
  } catch {
    showError({ status: 0, data: {} });
  } finally {
    button.disabled = false;
  }
}

async function checkReceipt(e) {
  if (e) e.preventDefault();
  const code = $('#receipt').value.trim();
  if (!code) return;
  lastReceipt = code;
  const box = $('#receipt-result');
  const res = await api('GET', `/api/stories/receipt/${encodeURIComponent(code)}`);
  show(box, true);
  if (res.status !== 200) {
    fill(box, h('p', { class: 'error', testid: 'receipt-status' }, t('stories.notfound')));
    return;
  }
  const s = res.data;
  const parts = [h('p', { testid: 'receipt-status', dataset: { status: s.status } }, t(`stories.status.${s.status}`))];
  if (s.reason) parts.push(h('p', { testid: 'receipt-reason' }, t('stories.reason', { reason: s.reason })));
  if (s.status === 'revise' && s.revisions_left > 0) {
    const title = h('input', { type: 'text', id: 'rev-title', maxlength: '120', value: s.title || '', testid: 'rev-title' });
    const text = h('textarea', { id: 'rev-text', rows: '8', maxlength: String(MAX_TEXT), testid: 'rev-text' });
    text.value = s.text || '';
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const form = h('form', { class: 'form', novalidate: true },
      h('label', { for: 'rev-title' }, t('stories.field.title')), title,
      h('label', { for: 'rev-text' }, t('stories.field.text')), text, error,
      h('button', { type: 'submit', class: 'btn btn--primary', testid: 'rev-submit' }, t('stories.revise')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('PUT', `/api/stories/receipt/${encodeURIComponent(lastReceipt)}`,
        { title: title.value.trim(), text: text.value.trim() });
      if (r.status !== 200) {
        error.textContent = t('stories.bad', { detail: r.data.detail || r.status });
        show(error, true);
        return;
      }
      if (Array.isArray(r.data.resources)) showCrisis(r.data.resources);
      checkReceipt();
    });
    parts.push(form);
  }
  fill(box, parts);
}

function init() {
  startShell({ titleKey: 'stories.title', onLang: () => { render(); } });
  $('#story-lang').value = lang();
  $('#story-text').addEventListener('input', updateCount);
  $('#story-form').addEventListener('submit', submit);
  $('#receipt-form').addEventListener('submit', checkReceipt);
  $('#story-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('#story-receipt').textContent);
      $('#story-copy').textContent = t('stories.copied');
    } catch { /* the code is on screen to copy by hand */ }
  });
  loadStories();
}

init();
