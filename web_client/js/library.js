// The library page (/library): search by word, topic and language, "new this week", and one
// item at a time (#item=<id>), readable on a phone. Reading needs no account and leaves only
// course progress in this browser ("Quick exit" clears it).

import { $, h, fill, show } from './dom.js';
import { t, lang } from './i18n.js';
import { startShell } from './student-shell.js';
import { itemCard, renderItem } from './library-view.js';

let lastQuery = null;
let langChosen = false;

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) { const err = new Error(String(res.status)); err.status = res.status; throw err; }
  return res.json();
}

function query() {
  const params = new URLSearchParams();
  const q = $('#lib-q').value.trim();
  if (q) params.set('q', q);
  if ($('#lib-topic').value) params.set('topic', $('#lib-topic').value);
  if ($('#lib-lang').value) params.set('lang', $('#lib-lang').value);
  return params.toString();
}

async function search() {
  const qs = query();
  lastQuery = qs;
  try {
    const body = await getJson(`/api/library${qs ? `?${qs}` : ''}`);
    if (lastQuery !== qs) return; // a later search answered first
    const items = body.items || [];
    fill($('#lib-items'), items.map((item) => itemCard(item)));
    $('#lib-count').textContent = items.length ? t('lib.results', { n: items.length }) : t('lib.none');
    const fresh = items.filter((i) => i.new);
    fill($('#lib-new'), fresh.map((item) => itemCard(item)));
    show($('#lib-new-box'), fresh.length > 0 && !$('#lib-q').value.trim());
  } catch {
    $('#lib-count').textContent = t('lib.error');
  }
}

async function route() {
  const m = /^#item=(.+)$/.exec(location.hash);
  if (!m) {
    show($('#view-item'), false);
    show($('#view-list'), true);
    return;
  }
  const id = decodeURIComponent(m[1]);
  const box = $('#view-item');
  show($('#view-list'), false);
  show(box, true);
  const back = h('a', { class: 'back', href: '/library', testid: 'lib-back', onclick: (e) => {
    e.preventDefault();
    history.pushState(null, '', '/library');
    route();
  } }, t('lib.back'));
  try {
    const item = await getJson(`/api/library/${encodeURIComponent(id)}`);
    renderItem(box, item);
    box.prepend(back);
    const title = box.querySelector('#item-title');
    if (title) title.focus();
  } catch {
    fill(box, back, h('p', { class: 'error', role: 'alert' }, t('lib.notfound')));
  }
  window.scrollTo(0, 0);
}

function init() {
  startShell({
    titleKey: 'lib.title',
    onLang: () => {
      // Until the reader picks a language, show the page's language first (both are useful).
      if (!langChosen) $('#lib-lang').value = lang();
      if (lastQuery !== null) search();
      if (location.hash) route();
    },
  });
  const params = new URLSearchParams(location.search);
  if (params.get('topic')) $('#lib-topic').value = params.get('topic');
  if (params.get('q')) $('#lib-q').value = params.get('q');
  $('#lib-lang').addEventListener('change', () => { langChosen = true; search(); });
  $('#lib-topic').addEventListener('change', search);
  $('#lib-search').addEventListener('submit', (e) => { e.preventDefault(); search(); });
  window.addEventListener('hashchange', route);
  window.addEventListener('popstate', route);
  search();
  route();
}

init();
