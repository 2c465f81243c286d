// Operating hours on the seeker page (GET /api/hours): while the centre is closed, say so
// plainly before anyone writes, show when it opens, the crisis numbers and self-help, and
// hold the "talk to someone" button (the server refuses requests then anyway: code "closed").

import { $, h, fill, show } from './dom.js';
import { lang, onLangChange } from './i18n.js';
import { fetchItems, renderResources, renderSelfHelp } from './resources.js';

const WORDS = {
  en: {
    title: 'The centre is closed right now',
    lead: 'Nobody is here to chat at the moment.',
    opens: 'We open again on',
    danger: 'If you are in danger or thinking of hurting yourself, call one of these now:',
    selfhelp: 'Things that can help while you wait',
  },
  zh: {
    title: '中心现在不在服务时间',
    lead: '此刻没有人可以和你聊天。',
    opens: '下次开放时间：',
    danger: '如果你有危险或想伤害自己，请马上拨打：',
    selfhelp: '等待时可以试试这些',
  },
};

let state = null;

async function check() {
  try {
    const res = await fetch('/api/hours', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (res.ok) state = await res.json();
  } catch {
    return; // offline: the page keeps what it showed
  }
  await render();
}

async function render() {
  const form = $('#request-form');
  if (!form || !state) return;
  let banner = $('#closed');
  if (state.open) {
    if (banner) show(banner, false);
    form.querySelector('[data-testid="request-help"]').disabled = false;
    return;
  }
  const w = WORDS[lang()] || WORDS.en;
  if (!banner) {
    banner = h('section', { id: 'closed', class: 'resources', role: 'alert', testid: 'closed' });
    form.parentNode.insertBefore(banner, form);
  }
  const message = (state.message && (state.message[lang()] || state.message.en || state.message.zh)) || w.lead;
  const opens = state.next_open
    ? `${w.opens} ${new Date(state.next_open).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { weekday: 'long', hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' })}`
    : null;
  const list = h('ul', { class: 'resource-list', testid: 'closed-resources' });
  const help = h('ul', { testid: 'closed-self-help' });
  fill(banner, [
    h('h2', {}, w.title),
    h('p', { testid: 'closed-message' }, message),
    opens ? h('p', { testid: 'next-open' }, opens) : null,
    h('p', {}, w.danger),
    list,
    h('h3', {}, w.selfhelp),
    help,
  ]);
  show(banner, true);
  form.querySelector('[data-testid="request-help"]').disabled = true;
  renderResources(list, await fetchItems('/api/resources'), '112 / 120');
  renderSelfHelp(help, (await fetchItems('/api/self-help')) || []);
}

check();
setInterval(check, 60_000);
onLangChange(() => render());
