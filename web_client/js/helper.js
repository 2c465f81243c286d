// Helper console: availability, capacity, topics, languages; several chats at once; flags on
// risky messages; "call a counselor"; transfer with a handover note; block an abusive chat;
// staff-only notes; approved replies; the supervisor badge and whispers; cooldown after a crisis.

import { libraryPicker } from './cards.js';
import { $, h, fill, show } from './dom.js';
import { t, duration } from './i18n.js';
import { beep, notify, askNotificationPermission, unlockAudio } from './alerting.js';
import { startConsole, title } from './staff.js';
import { newRef } from './ws.js';
import { CannedPicker } from './canned.js';
import {
  addEntry, addLog, onWhisperReply, renderComposer, renderNotes, sendWhisper, whisperMode, wireWhisperToggle,
} from './stafflog.js';
import { trainingFrame, refreshUntrained } from './helper-training.js';

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
  if (f.reason === 'blocked') return t(f.by === 'seeker' ? 'helper.blocked.byseeker' : 'helper.blocked.done');
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

// ---------- transfer ----------

function transferForm(s, app) {
  const toQueue = h('input', { type: 'radio', name: 'transfer-to', id: 'transfer-queue', value: 'queue', checked: true, testid: 'transfer-queue' });
  const toNamed = h('input', { type: 'radio', name: 'transfer-to', id: 'transfer-named', value: 'named', testid: 'transfer-named' });
  const alias = h('input', { type: 'text', id: 'transfer-alias', maxlength: '64', autocomplete: 'off', spellcheck: 'false', testid: 'transfer-alias', 'aria-describedby': 'transfer-alias-hint' });
  const note = h('textarea', { id: 'transfer-note', rows: '2', maxlength: '1000', testid: 'transfer-note', 'aria-describedby': 'transfer-note-hint' });
  const error = h('p', { class: 'error', role: 'alert', testid: 'transfer-error', hidden: true });
  alias.addEventListener('input', () => { if (alias.value.trim()) toNamed.checked = true; });
  const form = h('form', { class: 'escalate-form transfer-form', testid: 'transfer-form', novalidate: true },
    h('div', { class: 'transfer-form__who' },
      h('fieldset', {},
        h('legend', {}, t('helper.transfer.to')),
        h('label', { class: 'check' }, toQueue, h('span', {}, t('helper.transfer.queue'))),
        h('label', { class: 'check' }, toNamed, h('span', {}, t('helper.transfer.named')))),
      h('label', { for: 'transfer-alias' }, t('helper.transfer.alias')),
      alias,
      h('p', { class: 'hint', id: 'transfer-alias-hint' }, t('helper.transfer.aliashint'))),
    h('div', { class: 'transfer-form__note' },
      h('label', { for: 'transfer-note' }, t('helper.transfer.note')),
      note,
      h('p', { class: 'hint staff-only', id: 'transfer-note-hint' }, t('staff.onlystaff'))),
    error,
    h('div', { class: 'inline-actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', testid: 'transfer-send' }, t('helper.transfer.send')),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: () => fill($('#pane-forms')) }, t('helper.escalate.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const named = toNamed.checked;
    const to = named ? alias.value.trim() : null;
    if (named && !to) {
      error.textContent = t('helper.transfer.needalias');
      show(error, true);
      alias.focus();
      return;
    }
    const frame = { type: 'transfer', session: s.id, to };
    if (note.value.trim()) frame.note = note.value.trim();
    const reply = await app.conn.request(frame);
    if (!reply || reply.type === 'error') {
      const code = reply ? reply.code : null;
      error.textContent = code === 'not_found' ? t('helper.transfer.notfound', { alias: to || '' })
        : code === 'conflict' ? `${t('helper.transfer.conflict')} ${reply.detail ? `(${reply.detail})` : ''}`
          : `${t('chat.failed')}: ${reply ? reply.detail || reply.code : t('conn.offline')}`;
      show(error, true);
      return;
    }
    fill($('#pane-forms'));
  });
  return form;
}

// ---------- block ----------

function blockForm(s, app) {
  const reason = h('textarea', { id: 'block-reason', rows: '2', maxlength: '500', testid: 'block-reason', 'aria-describedby': 'block-explain' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { class: 'escalate-form block-form', testid: 'block-form', role: 'alertdialog', 'aria-labelledby': 'block-title', 'aria-describedby': 'block-explain', novalidate: true },
    h('p', { id: 'block-title', class: 'block-form__title' }, t('helper.block.confirm')),
    h('p', { id: 'block-explain', class: 'hint' }, t('helper.block.explain')),
    h('label', { for: 'block-reason' }, t('helper.block.reason')),
    reason,
    error,
    h('div', { class: 'inline-actions' },
      h('button', { type: 'submit', class: 'btn btn--crisis', testid: 'block-confirm' }, t('helper.block.send')),
      h('button', { type: 'button', class: 'btn btn--quiet', testid: 'block-cancel', onclick: () => fill($('#pane-forms')) }, t('helper.escalate.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const frame = { type: 'block', session: s.id };
    if (reason.value.trim()) frame.reason = reason.value.trim().slice(0, 500);
    const reply = await app.conn.request(frame);
    if (!reply || reply.type === 'error') {
      error.textContent = `${t('chat.failed')}: ${reply ? reply.detail || reply.code : t('conn.offline')}`;
      show(error, true);
      return;
    }
    fill($('#pane-forms'));
  });
  return form;
}

function toggleForm(e, make, focus) {
  const open = !$('#pane-forms').firstChild || $('#pane-forms').dataset.form !== focus;
  fill($('#pane-forms'), open ? make() : null);
  $('#pane-forms').dataset.form = open ? focus : '';
  for (const b of $('#pane-actions').querySelectorAll('[aria-expanded]')) b.setAttribute('aria-expanded', 'false');
  e.currentTarget.setAttribute('aria-expanded', String(open));
  if (open) $(`#${focus}`).focus();
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
      onclick: (e) => toggleForm(e, () => escalateForm(s, app), 'escalate-reason'),
    }, t('helper.escalate')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'share-library',
      'aria-expanded': 'false',
      onclick: (e) => toggleForm(e, () => libraryPicker(s, app), 'share-q'),
    }, t('share.pick')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'transfer',
      'aria-expanded': 'false',
      onclick: (e) => toggleForm(e, () => transferForm(s, app), 'transfer-queue'),
    }, t('helper.transfer')),
    h('button', {
      type: 'button',
      class: 'btn btn--small btn--danger',
      testid: 'block',
      'aria-expanded': 'false',
      onclick: (e) => toggleForm(e, () => blockForm(s, app), 'block-reason'),
    }, t('helper.block')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'leave',
      onclick: () => app.conn.queue({ type: 'leave', session: s.id }),
    }, t('chat.leave')),
  ];
}

/** Below the head: who is watching, the staff-only notes, the composer's whisper switch. */
function renderPane(s, app) {
  const watchers = s.data.watchers ? [...s.data.watchers].filter(Boolean) : [];
  if (watchers.length && !s.ended) {
    $('#pane-info').appendChild(h('p', { class: 'badge badge--watch', testid: 'supervisor-badge', role: 'status' },
      t('helper.supervisor.badge', { alias: watchers.join(', ') })));
  }
  renderNotes(app, s);
  renderComposer(app, s);
}

function onFrame(f, app) {
  const sessions = app.sessions;
  sessionsRef = sessions;
  if (trainingFrame(f)) return;
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
      s.list.addSystem(t(f.transferred ? 'helper.transferredin' : 'helper.newmatch', { alias: s.alias || '' }));
      if (f.transferred) {
        // The history follows the seeker, with the staff-only handover note.
        for (const m of Array.isArray(f.transcript) ? f.transcript : []) s.list.addMessage({ ...m, session: f.session });
        addLog(app, s, f.staff_log);
        if (f.handover_note) {
          addEntry(app, s, { type: 'handover', session: f.session, id: `handover:${f.session}`, from: 'helper', alias: '', text: f.handover_note, ts: Date.now() });
        }
        s.list.addSystem(t('helper.transferredin.history'));
      }
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
    case 'transferred': {
      const s = sessions.map.get(f.session);
      if (s) sessions.markEnded(s, f.to ? t('helper.transfer.done', { alias: f.to }) : t('helper.transfer.donequeue'));
      renderPresence();
      break;
    }
    case 'supervisor': {
      const s = sessions.map.get(f.session);
      if (!s) break;
      if (!s.data.watchers) s.data.watchers = new Set();
      if (f.watching) s.data.watchers.add(f.alias || '');
      else s.data.watchers.delete(f.alias || '');
      s.list.addSystem(t(f.watching ? 'helper.supervisor.on' : 'helper.supervisor.off', { alias: f.alias || t('chat.counselor') }), 'staff');
      sessions.renderTab(s);
      if (s.id === sessions.currentId) sessions.renderHead();
      break;
    }
    case 'whisper':
    case 'note':
    case 'handover': {
      const s = sessions.map.get(f.session);
      if (s && addEntry(app, s, f) && f.type === 'whisper') {
        beep();
        if (s.id === sessions.currentId) sessions.renderHead();
      }
      break;
    }
    case 'ack':
      onWhisperReply(app, f);
      break;
    case 'cooldown':
      showCooldown(typeof f.until === 'number' ? f.until : Date.now() + (f.seconds || 0) * 1000);
      break;
    case 'error':
      if (onWhisperReply(app, f)) break;
      if (f.ref && !f.ref.startsWith('st')) break; // answered where it was asked
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
  renderPane,
  sendHook: sendWhisper,
  quietTyping: whisperMode,
  onLang: (app) => {
    refreshUntrained();
    renderPresence();
    if (presence && presence.cooldown_until) showCooldown(presence.cooldown_until);
  },
  onReady: (app) => {
    title.setBase(t('helper.title'));
    wireWhisperToggle(app);
    new CannedPicker(app); // eslint-disable-line no-new
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
