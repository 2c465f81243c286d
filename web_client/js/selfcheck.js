// Self-checks (PHQ-9, GAD-7) on the seeker page, scored here. Answers never leave the page;
// only the band, and only if the student ticks the box, is counted anonymously. Item 9 of the
// PHQ-9 answered above "not at all" shows crisis resources and offers a chat at once.

import { $, h, fill, show } from './dom.js';
import { t, lang } from './i18n.js';
import { CHECKS, OPTIONS, score } from './selfcheck-items.js';

let cfg = null;
let current = null; // 'phq9' | 'gad7' | null

function menu() {
  return h('p', { class: 'choices' }, Object.keys(CHECKS).map((id) => h('button', {
    type: 'button', class: 'btn', testid: `check-${id}`, onclick: () => start(id),
  }, CHECKS[id].title[lang()])));
}

function start(id) {
  current = id;
  render();
  const first = $('#selfcheck fieldset input');
  if (first) first.focus();
}

function crisisBox() {
  return h('div', { id: 'check-crisis', class: 'resources', role: 'alert', testid: 'check-crisis', hidden: true },
    h('p', {}, t('check.crisis')),
    h('ul', { id: 'check-crisis-list', class: 'resource-list' }),
    h('button', { type: 'button', class: 'btn btn--primary', testid: 'check-chat', onclick: () => cfg.toChat() }, t('stories.chat')));
}

function form(id) {
  const check = CHECKS[id];
  const items = check.items[lang()];
  const fields = items.map((text, i) => h('fieldset', { class: 'check-item', testid: `check-item-${i + 1}` },
    h('legend', {}, `${i + 1}. ${text}`),
    h('div', { class: 'choices' }, OPTIONS[lang()].map((label, value) => h('label', { class: 'choice' },
      h('input', { type: 'radio', name: `q${i}`, value: String(value), required: true, testid: `check-${i + 1}-${value}`,
        onchange: () => { if (i === check.crisisItem) crisisItem(value); } }),
      h('span', {}, label))))));
  const optin = h('input', { type: 'checkbox', id: 'check-optin', testid: 'check-optin' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true, testid: 'check-error' });
  const f = h('form', { class: 'form', novalidate: true, testid: 'check-form' },
    h('p', {}, check.lead[lang()]), fields,
    h('label', { class: 'choice' }, optin, h('span', {}, t('check.optin'))),
    error,
    h('button', { type: 'submit', class: 'btn btn--primary', testid: 'check-submit' }, t('check.submit')));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    const answers = items.map((_, i) => f.querySelector(`input[name="q${i}"]:checked`));
    if (answers.some((a) => !a)) {
      error.textContent = t('check.incomplete');
      show(error, true);
      return;
    }
    const values = answers.map((a) => Number(a.value));
    const result = score(id, values);
    if (optin.checked) {
      fetch('/api/self-check', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ check: id, band: result.band }),
      }).catch(() => {});
    }
    showResult(id, result, check.crisisItem !== null && values[check.crisisItem] > 0);
  });
  return f;
}

/** PHQ-9 item 9 above "not at all": resources now, not after the last question. */
function crisisItem(value) {
  const box = $('#check-crisis');
  if (value > 0) {
    cfg.fillCrisis($('#check-crisis-list'));
    show(box, true);
    cfg.onCrisis();
  } else {
    show(box, false);
  }
}

function showResult(id, result, crisis) {
  const max = id === 'phq9' ? 27 : 21;
  fill($('#check-body'),
    h('div', { class: 'check-result', testid: 'check-result', role: 'status', dataset: { band: result.band } },
      h('p', { class: 'check-result__score', testid: 'check-score' }, t('check.result', { score: result.total, max })),
      h('p', { testid: 'check-band' }, t(`band.${result.band}`)),
      h('p', { class: 'hint' }, t('check.note')),
      h('p', {},
        h('button', { type: 'button', class: 'btn btn--primary', onclick: () => cfg.toChat() }, t('stories.chat')), ' ',
        h('a', { class: 'btn', href: '/library?topic=mood' }, t('nav.library')), ' ',
        h('button', { type: 'button', class: 'btn btn--quiet', testid: 'check-again', onclick: () => start(id) }, t('check.again')))),
    crisisBox());
  if (crisis) crisisItem(1);
}

function render() {
  fill($('#selfcheck'),
    h('h3', { id: 'check-title' }, t('check.title')),
    h('p', { class: 'hint' }, t('check.lead')),
    menu(),
    h('div', { id: 'check-body' }, current ? [h('h4', {}, CHECKS[current].title[lang()]), form(current), crisisBox()] : null));
}

/** Build the self-check card into #selfcheck. */
export function renderSelfCheck(options) {
  cfg = options;
  render();
}
