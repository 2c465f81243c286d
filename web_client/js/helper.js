// Helper console: availability, capacity, topics, languages; several chats at once; flags on
// risky messages; "call a counselor"; cooldown after a crisis.

import { libraryPicker } from './cards.js';
import { $, h, fill, show } from './dom.js';
import { t, duration } from './i18n.js';
import { beep, notify, askNotificationPermission, unlockAudio } from './alerting.js';
import { startConsole, title } from './staff.js';
import { newRef } from './ws.js';

let presence = null;
let cooldownTimer = null;

function settings() {
  const topics = [...document.querySelectorAll('input[name="topic"]:checked')].map((i) => i.value);
  const langs = [...document.querySelectorAll('input[name="lang"]:checked')].map((i) => i.value);
  const capacity = Math.max(1, Math.min(10, Number($('#capacity').value) || 1));
  return { available: $('#available').checked, capacity, topics, langs };
}

let lastStatusRef = null;

function sendStatus(app, extra = {}) {
  if (!app.conn) return;
  lastStatusRef = newRef('st');
  app.conn.queue({ type: 'status', ...settings(), ...extra, ref: lastStatusRef });
}

let sessionsRef = null;

function renderPresence() {
  const node = $('#presence');
  if (!presence) {
    node.textContent = '';
    return;
  }
  // The server sends presence only in answer to status; between, count our open chats.
  const active = sessionsRef ? [...sessionsRef.map.values()].filter((s) => !s.ended).length : presence.active ?? 0;
  const on = !!presence.available;
  node.dataset.on = String(on);
  node.textContent = on
    ? t('helper.presence.on', { active, capacity: presence.capacity ?? $('#capacity').value })
    : t('helper.presence.off', { active });
}

function applyPresence(p) {
  if (!p) return;
  presence = { ...(presence || {}), ...p };
  if (typeof p.available === 'boolean') $('#available').checked = p.available;
  if (typeof p.capacity === 'number') $('#capacity').value = String(p.capacity);
  // An empty list means "never set" (a first sign-in): keep the form's defaults then.
  if (Array.isArray(p.topics) && p.topics.length) {
    for (const box of document.querySelectorAll('input[name="topic"]')) box.checked = p.topics.includes(box.value);
  }
  if (Array.isArray(p.langs) && p.langs.length) {
    for (const box of document.querySelectorAll('input[name="lang"]')) box.checked = p.langs.includes(box.value);
  }
  renderPresence();
  if (p.cooldown_until) showCooldown(p.cooldown_until);
  else if ('cooldown_until' in p || p.available === false) hideCooldown();
}

function showCooldown(until) {
  clearInterval(cooldownTimer);
  const tick = () => {
    const left = (until - Date.now()) / 1000;
    if (left <= 0) {
      hideCooldown();
      return;
    }
    $('#cooldown-text').textContent = t('helper.cooldown', { t: duration(left) });
  };
  tick();
  show($('#cooldown'), until > Date.now());
  cooldownTimer = setInterval(tick, 1000);
}

function hideCooldown() {
  clearInterval(cooldownTimer);
  show($('#cooldown'), false);
}

function endedText(f) {
  if (f.reason === 'taken_over') return t('helper.takenover');
  if (f.by === 'seeker' && (!f.reason || f.reason === 'left')) return t('staff.seekerleft');
  return t('staff.sessionended', { reason: f.reason || f.by || '—' });
}

function escalateForm(s, app) {
  const reason = h('textarea', { id: 'escalate-reason', rows: '2', maxlength: '500', testid: 'escalate-reason' });
  const form = h('form', { class: 'escalate-form', testid: 'escalate-form', novalidate: true },
    h('label', { for: 'escalate-reason' }, t('helper.escalate.reason')),
    reason,
    h('div', { class: 'inline-actions' },
      h('button', { type: 'submit', class: 'btn btn--crisis', testid: 'escalate-send' }, t('helper.escalate.send')),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: () => fill($('#pane-forms')) }, t('helper.escalate.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = reason.value.trim() || t('helper.escalate');
    fill($('#pane-forms'));
    s.data.escalated = true;
    const reply = await app.conn.request({ type: 'escalate', session: s.id, reason: text });
    if (reply && reply.type === 'error') {
      s.data.escalated = false;
      s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
    } else {
      s.list.addSystem(t('helper.escalate.sent'));
    }
    app.sessions.renderHead();
  });
  return form;
}

function paneActions(s, app) {
  if (s.ended) {
    return [h('button', { type: 'button', class: 'btn btn--small', testid: 'close-session', onclick: () => app.sessions.remove(s.id) }, t('staff.close'))];
  }
  return [
    h('button', {
      type: 'button',
      class: 'btn btn--small btn--danger',
      testid: 'escalate',
      'aria-expanded': 'false',
      onclick: (e) => {
        const open = !$('#pane-forms').firstChild;
        fill($('#pane-forms'), open ? escalateForm(s, app) : null);
        e.currentTarget.setAttribute('aria-expanded', String(open));
        if (open) $('#escalate-reason').focus();
      },
    }, t('helper.escalate')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'share-library',
      onclick: () => {
        const open = !$('#pane-forms').querySelector('.share-picker');
        fill($('#pane-forms'), open ? libraryPicker(s, app) : null);
        if (open) $('#share-q').focus();
      },
    }, t('share.pick')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'leave',
      onclick: () => app.conn.queue({ type: 'leave', session: s.id }),
    }, t('chat.leave')),
  ];
}

function onFrame(f, app) {
  const sessions = app.sessions;
  sessionsRef = sessions;
  switch (f.type) {
    case 'welcome':
      if (f.presence) applyPresence(f.presence);
      else if ($('#available').checked) sendStatus(app); // carry on after a reconnect
      break;
    case 'presence':
      // Only the answer to the latest status counts: an older one would undo a newer click.
      if (!f.ref || f.ref === lastStatusRef) applyPresence(f);
      break;
    case 'matched': {
      const s = sessions.ensure(f.session, { peers: f.peers, topic: f.topic, lang: f.lang, note: f.note });
      s.list.addSystem(t('helper.newmatch', { alias: s.alias || '' }));
      if (f.session !== sessions.currentId) {
        s.unread += 1;
        sessions.renderTab(s);
        sessions.updateTitle();
      }
      renderPresence();
      beep();
      notify(t('helper.newmatch', { alias: s.alias || '' }), f.note || (f.topic ? t(`topic.${f.topic}`) : ''), { tag: f.session });
      break;
    }
    case 'participant': {
      const s = sessions.map.get(f.session);
      if (!s) break;
      if (f.role === 'counselor') {
        if (f.joined && f.alias) s.peers.counselor = f.alias;
        else delete s.peers.counselor;
        s.list.addSystem(t(f.joined ? 'chat.counselorjoined' : 'chat.counselorleft', { alias: f.alias || t('chat.counselor') }));
        sessions._bump(s);
      }
      break;
    }
    case 'ended': {
      const s = sessions.map.get(f.session);
      if (s) sessions.markEnded(s, endedText(f));
      renderPresence();
      break;
    }
    case 'cooldown':
      showCooldown(typeof f.until === 'number' ? f.until : Date.now() + (f.seconds || 0) * 1000);
      break;
    case 'error':
      if (f.detail || f.code) $('#presence').textContent = `${t('chat.failed')}: ${f.detail || f.code}`;
      break;
    default:
      break;
  }
}

startConsole({
  role: 'helper',
  firstFocus: '#available',
  offDuty: () => ({ type: 'status', available: false }),
  titleKey: 'helper.title',
  onFrame,
  paneActions,
  onLang: (app) => {
    renderPresence();
    if (presence && presence.cooldown_until) showCooldown(presence.cooldown_until);
  },
  onReady: (app) => {
    title.setBase(t('helper.title'));
    // Preferences open on a wide screen, folded on a phone (where the chats matter more).
    const wide = window.matchMedia('(min-width: 48rem)');
    $('#prefs').open = wide.matches;
    wide.addEventListener('change', (e) => { $('#prefs').open = e.matches; });
    $('#available').addEventListener('change', () => {
      unlockAudio();
      askNotificationPermission(); // once, from this click; the browser remembers the answer
      sendStatus(app);
    });
    for (const input of document.querySelectorAll('#capacity, input[name="topic"], input[name="lang"]')) {
      input.addEventListener('change', () => sendStatus(app));
    }
    $('#skip-cooldown').addEventListener('click', () => {
      $('#available').checked = true;
      sendStatus(app, { skip_cooldown: true });
      hideCooldown();
    });
  },
});
