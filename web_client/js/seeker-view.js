// Pieces of the seeker page that only turn data into text: the queue line, how a chat ended,
// the self-help list.

import { $, h, fill, show } from './dom.js';
import { t, duration } from './i18n.js';
import { fetchItems, renderResources, renderSelfHelp } from './resources.js';

let selfHelpLoaded = false;

/** The waiting card, from the last `queued` frame (null: the request is on its way). */
export function renderQueue(q) {
  const pos = $('#queue-position');
  const wait = $('#queue-wait');
  const helpers = $('#queue-helpers');
  if (!q) {
    pos.textContent = t('queue.connecting');
    wait.textContent = '';
    helpers.textContent = '';
    return;
  }
  pos.textContent = q.position === 1 ? t('queue.next') : t('queue.position', { n: q.position ?? '?' });
  const online = q.helpers_online;
  if (online === 0) {
    wait.textContent = t('queue.nohelpers');
    helpers.textContent = '';
  } else {
    const est = q.estimated_wait_s;
    wait.textContent = typeof est === 'number' ? t('queue.wait', { t: duration(est) }) : t('queue.waitunknown');
    helpers.textContent = typeof online === 'number'
      ? (online === 1 ? t('queue.helpers1') : t('queue.helpers', { n: online }))
      : '';
  }
}

/** Shown once, the first time the seeker waits. */
export async function loadSelfHelp() {
  if (selfHelpLoaded) return;
  selfHelpLoaded = true;
  const items = await fetchItems('/api/self-help');
  if (items && items.length) {
    renderSelfHelp($('#selfhelp-list'), items);
    show($('#selfhelp'), true);
  }
}

export function endedText(f) {
  if (f.reason === 'blocked' && f.by === 'seeker') return t('seeker.blocked.done');
  const by = t(`ended.by.${f.by}`) === `ended.by.${f.by}` ? t('ended.by.server') : t(`ended.by.${f.by}`);
  const reasonKey = `ended.reason.${f.reason}`;
  if (f.reason && f.reason !== 'left') {
    const reason = t(reasonKey) !== reasonKey ? t(reasonKey) : t('ended.reason', { reason: f.reason });
    return `${by} ${reason}`;
  }
  return by;
}

export function toggleCrisis(force) {
  const panel = $('#crisis-panel');
  const open = typeof force === 'boolean' ? force : panel.hidden;
  show(panel, open);
  $('#crisis-toggle').setAttribute('aria-expanded', String(open));
  if (open) panel.focus();
}

let crisisItems = null;

/** The crisis numbers are fetched at once, so they are there even if the connection is not. */
export async function loadCrisis() {
  crisisItems = await fetchItems('/api/resources');
  renderCrisis();
}

export function renderCrisis() {
  renderResources($('#crisis-list'), crisisItems, t('crisis.fallback'));
}

/** The 1–5 rating as radio buttons, each with a spoken label. */
export function buildRatings() {
  const box = $('#rating-choices');
  fill(box, [1, 2, 3, 4, 5].map((n) => h('label', { class: 'choice choice--num' },
    h('input', { type: 'radio', name: 'rating', value: String(n), testid: `rating-${n}` }),
    h('span', { 'aria-hidden': 'true' }, String(n)),
    h('span', { class: 'visually-hidden', dataset: { ratingLabel: String(n) } }, t('feedback.rating.n', { n })))));
}
