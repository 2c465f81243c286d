// The seeker page's "between chats" parts: the mood diary, self-checks, library items that
// match the chosen topic while waiting, and sharing a mood summary in a chat.

import { $, h, fill, show } from './dom.js';
import { t, onLangChange } from './i18n.js';
import { renderResources, fetchItems } from './resources.js';
import { itemCard } from './library-view.js';
import { renderDiary, moodSummary, hasEntries } from './diary.js';
import { renderSelfCheck } from './selfcheck.js';
import { toggleCrisis } from './seeker-view.js';
import './between-strings.js';

let sharer = null;
let waitingTopic = null;
let crisisItems = null;

function openCrisis() {
  toggleCrisis(true);
  $('#crisis-panel').scrollIntoView({ block: 'start' });
}

async function fillCrisis(list) {
  if (!crisisItems) crisisItems = await fetchItems('/api/resources');
  renderResources(list, crisisItems, t('crisis.fallback'));
}

function updateShareButton() {
  show($('#share-mood'), !!sharer && hasEntries());
}

/** While in a chat: how to send a mood summary (null when not in a chat). */
export function setMoodSharer(fn) {
  sharer = fn;
  updateShareButton();
}

/** Library items for the chosen topic, in the waiting card. */
export async function loadWaitingLibrary(topic) {
  const key = topic || '';
  if (waitingTopic === key) return;
  waitingTopic = key;
  const params = new URLSearchParams();
  if (topic) params.set('topic', topic);
  const items = await fetchItems(`/api/library?${params}`);
  if (!items || !items.length) { show($('#waiting-lib'), false); return; }
  const useful = items.filter((i) => i.kind !== 'hotline').slice(0, 4);
  fill($('#waiting-lib-list'), useful.map((item) => {
    const li = itemCard(item);
    for (const a of li.querySelectorAll('a[href^="/library"]')) { a.target = '_blank'; a.rel = 'noopener'; }
    return li;
  }));
  show($('#waiting-lib'), useful.length > 0);
}

export function startBetween({ toChat }) {
  const options = {
    onCrisis: openCrisis,
    fillCrisis,
    onChange: updateShareButton,
    toChat: () => {
      const form = $('#request-form');
      if (form && !form.closest('[hidden]')) {
        form.scrollIntoView({ block: 'center' });
        toChat();
      }
    },
  };
  const draw = () => { renderDiary(options); renderSelfCheck(options); };
  draw();
  onLangChange(() => { draw(); waitingTopic = null; });
  $('#share-mood').addEventListener('click', async () => {
    const mood = moodSummary();
    if (!sharer || !mood) return;
    const reply = await sharer(mood);
    if (reply && reply.type === 'card') show($('#share-mood'), false);
  });
}
