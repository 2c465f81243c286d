// What staff say to each other about a conversation, never shown to the student: whispers
// (between a supervisor and the session's staff) shown in the conversation but unmistakably
// apart from it, and the staff-only notes panel (notes and handover notes). Both consoles use
// it. The server keeps these in a log of their own and never sends them to a seeker.

import { $, h, fill, show, fmtClock, scrollToEnd } from './dom.js';
import { t } from './i18n.js';
import { newRef } from './ws.js';

const MAX_NOTE = 2000;

function entries(s) {
  if (!s.data.staff) s.data.staff = { ids: new Set(), notes: [], open: false, draft: '' };
  return s.data.staff;
}

function msOf(id) {
  return Number(String(id || '').split('-')[0]) || 0;
}

/** A whisper in the conversation: in time order, styled and labelled as staff only. */
function addWhisper(s, f, own) {
  const who = own ? t('chat.you') : `${f.alias || ''} (${t(`chat.${f.from}`)})`;
  const li = h('li', { class: `msg msg--whisper${own ? ' msg--own' : ''}`, testid: 'whisper', dataset: { whisper: f.id || '' } },
    h('div', { class: 'msg__meta' },
      h('span', { class: 'msg__tag' }, t('staff.whisper.tag')),
      h('span', { class: 'msg__who' }, who),
      ' ',
      h('time', {}, fmtClock(f.ts))),
    h('p', { class: 'msg__text' }, String(f.text ?? '')));
  const ts = Number(f.ts) || Date.now();
  const after = [...s.list.el.querySelectorAll('li[data-id], li[data-whisper]')]
    .find((n) => msOf(n.dataset.id || n.dataset.whisper) > ts);
  if (after) s.list.el.insertBefore(li, after);
  else {
    s.list.el.appendChild(li);
    const scroller = s.list.el.closest('.scroll');
    if (scroller) scrollToEnd(scroller, true);
  }
  return li;
}

/**
 * A staff-log frame (`whisper`, `note`, `handover`), live or replayed, or one item of a
 * `staff_log` list. Each id is shown once. Returns true if it was new.
 */
export function addEntry(app, s, f) {
  const log = entries(s);
  if (f.id && log.ids.has(f.id)) return false;
  // A handover note comes with `matched` and again in the staff log (with its own id).
  if (f.type === 'handover' && log.notes.some((n) => n.type === 'handover' && n.text === f.text)) return false;
  if (f.id) log.ids.add(f.id);
  const own = f.alias === app.alias && f.from === app.role;
  if (f.type === 'whisper') {
    addWhisper(s, f, own);
    if (!own) app.sessions._bump(s);
  } else {
    log.notes.push(f);
    if (!own && f.type === 'handover') log.open = true;
  }
  if (s.id === app.sessions.currentId) renderNotes(app, s);
  return true;
}

export function addLog(app, s, list) {
  for (const f of Array.isArray(list) ? list : []) addEntry(app, s, f);
}

/** Whisper instead of saying: the composer is in whisper mode for this session. */
export function whisperMode(s) {
  return !s.ended && (s.data.monitoring || s.data.whisperOn);
}

/** Someone who would read a whisper is there (a supervisor, a counselor, a helper). */
export function canWhisper(app, s) {
  if (s.ended) return false;
  if (s.data.monitoring) return true;
  const watchers = s.data.watchers ? s.data.watchers.size : 0;
  if (app.role === 'helper') return watchers > 0 || !!s.peers.counselor;
  return !!s.peers.helper || watchers > 0;
}

const whisperRefs = new Map(); // ref -> {session, li}

/** sendHook for Sessions: send a whisper when the composer is in whisper mode. */
export function sendWhisper(s, text, app) {
  if (!whisperMode(s)) return false;
  const ref = newRef('w');
  const li = addWhisper(s, { id: '', from: app.role, alias: app.alias, text, ts: Date.now() }, true);
  li.dataset.state = 'sending';
  li.appendChild(h('p', { class: 'msg__status', testid: 'message-status' }, t('chat.sending')));
  whisperRefs.set(ref, { session: s.id, li });
  app.conn.queue({ type: 'whisper', session: s.id, text, ref });
  return true;
}

/** The answer to one of our whispers (`ack` with `whisper:true`, or an `error`). */
export function onWhisperReply(app, f) {
  const pending = f.ref && whisperRefs.get(f.ref);
  if (!pending) return false;
  whisperRefs.delete(f.ref);
  const s = app.sessions.map.get(pending.session);
  const status = pending.li.querySelector('.msg__status');
  if (f.type === 'ack') {
    pending.li.dataset.state = 'delivered';
    pending.li.dataset.whisper = f.id || '';
    if (s && f.id) entries(s).ids.add(f.id);
    if (typeof f.text === 'string') fill(pending.li.querySelector('.msg__text'), f.text);
    if (status) status.textContent = t('staff.whisper.sent');
  } else {
    pending.li.dataset.state = 'failed';
    if (status) status.textContent = `${t('chat.failed')} — ${f.detail || f.code}`;
  }
  return true;
}

// ---------- the notes panel ----------

function noteItem(f) {
  const kind = f.type === 'handover' ? t('staff.notes.handover') : null;
  return h('li', { class: `staffnote${f.type === 'handover' ? ' staffnote--handover' : ''}`, testid: 'staff-note' },
    h('div', { class: 'msg__meta' },
      kind ? h('span', { class: 'msg__tag' }, kind) : null,
      h('span', { class: 'msg__who' }, f.alias || t(`chat.${f.from || 'helper'}`)),
      ' ',
      h('time', {}, fmtClock(f.ts))),
    h('p', { class: 'msg__text' }, String(f.text ?? '')));
}

/** Fill #pane-staff with the selected session's staff-only notes and the form to add one. */
export function renderNotes(app, s) {
  const box = $('#pane-staff');
  if (!box) return;
  const log = entries(s);
  const count = log.notes.length;
  const text = h('textarea', {
    id: 'note-text', rows: '2', maxlength: String(MAX_NOTE), testid: 'note-text',
    'aria-describedby': 'notes-private',
  });
  text.value = log.draft;
  text.addEventListener('input', () => { log.draft = text.value; });
  const error = h('p', { class: 'error', role: 'alert', testid: 'note-error', hidden: true });
  const form = s.ended ? null : h('form', { class: 'staffnotes__form', novalidate: true },
    h('label', { for: 'note-text' }, t('staff.notes.add')),
    text,
    error,
    h('button', { type: 'submit', class: 'btn btn--small', testid: 'note-save' }, t('staff.notes.save')));
  if (form) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value || !app.conn) return;
      if ([...value].length > MAX_NOTE) {
        error.textContent = t('chat.toolong');
        show(error, true);
        return;
      }
      const reply = await app.conn.request({ type: 'note', session: s.id, text: value });
      if (!reply || reply.type === 'error') {
        error.textContent = `${t('chat.failed')}: ${reply ? reply.detail || reply.code : t('conn.offline')}`;
        show(error, true);
        return;
      }
      log.draft = '';
      addEntry(app, s, reply); // usually shown already: the reply went through onFrame first
      if (s.id === app.sessions.currentId) renderNotes(app, s);
      const again = $('#note-text');
      if (again) again.focus();
    });
  }
  const details = h('details', { class: 'staffnotes', testid: 'staff-notes', open: log.open },
    h('summary', { testid: 'staff-notes-toggle' },
      h('span', {}, t('staff.notes.title', { n: count })),
      ' ',
      h('span', { class: 'staffnotes__private', id: 'notes-private' }, t('staff.notes.private'))),
    count
      ? h('ol', { class: 'staffnotes__list', testid: 'staff-notes-list' }, log.notes.map(noteItem))
      : h('p', { class: 'hint' }, t('staff.notes.none')),
    form);
  details.addEventListener('toggle', () => { log.open = details.open; });
  fill(box, details);
}

/** The composer's whisper switch and look, for the selected session. */
export function renderComposer(app, s) {
  const toggle = $('#whisper-toggle');
  const box = $('#whisper-mode');
  const composer = $('#composer');
  const forced = !!s.data.monitoring;
  if (toggle) {
    show(toggle, !forced && canWhisper(app, s));
    if (!canWhisper(app, s)) s.data.whisperOn = false;
    box.checked = !!s.data.whisperOn;
  }
  const on = whisperMode(s);
  $('#composer-form').classList.toggle('composer--whisper', on);
  composer.placeholder = on
    ? t(app.role === 'helper' ? 'staff.whisper.placeholder.helper' : 'staff.whisper.placeholder')
    : t('chat.placeholder');
  $('#send').textContent = on ? t('staff.whisper.send') : t('chat.send');
}

/** Wire the whisper switch once. */
export function wireWhisperToggle(app) {
  const box = $('#whisper-mode');
  if (!box) return;
  box.addEventListener('change', () => {
    const s = app.sessions.current;
    if (!s) return;
    s.data.whisperOn = box.checked;
    renderComposer(app, s);
    $('#composer').focus();
  });
}
