// Counselor console: on call, alerts that cannot be missed (sound, notification, flashing
// title) with time waiting, claim → join with the whole transcript, takeover, resolve, the
// watch list of sessions that reached "concern", the conversations going on now to watch over
// silently (monitor), whispers to the helper, joining openly or taking over from there, and the
// approved replies helpers use.

import { startCurate } from './curate.js';
import { $, h, fill, show, fmtClock } from './dom.js';
import { t, clock, category, duration } from './i18n.js';
import { beep, notify, askNotificationPermission, unlockAudio } from './alerting.js';
import { startConsole, title } from './staff.js';
import { newRef } from './ws.js';
import { CannedPicker } from './canned.js';
import { CannedAdmin } from './canned-admin.js';
import {
  addEntry, addLog, onWhisperReply, renderComposer, renderNotes, sendWhisper, whisperMode, wireWhisperToggle,
} from './stafflog.js';
import { alertMeta, notePresence, onTakenUp, passUpButton } from './counselor-network.js';

const WATCHING_KEY = 'peerline.watching';
const ACTIVE_POLL_MS = 5000;
let activeInfo = new Map(); // session -> item of /api/sessions/active

const OUTCOMES = ['safe', 'referred', 'emergency_services', 'no_contact', 'other'];
const alerts = new Map(); // alert id -> {frame, el, state}
const watch = new Map(); // session -> {frame, el}
let presence = null;
let alarmTimer = null;
let appRef = null;
let cannedAdmin = null;

// ---------- alerts ----------

function openAlerts() {
  return [...alerts.values()].filter((a) => a.state === 'open' || a.state === 'claiming');
}

function updateAlarm() {
  const open = openAlerts().length;
  show($('#no-alerts'), alerts.size === 0);
  // Ring and flash while an alert waits and this counselor is on call (going off call is a
  // deliberate choice; the alerts stay listed).
  if (open && (!presence || presence.on_call !== false)) {
    title.start(t('counselor.newalert'));
    if (!alarmTimer) alarmTimer = setInterval(() => beep(true), 10000);
  } else {
    title.stop();
    clearInterval(alarmTimer);
    alarmTimer = null;
  }
}

function renderAlert(a) {
  const f = a.frame;
  const sev = Number(f.severity) || 3;
  const waited = typeof f.raised_at === 'number' ? (Date.now() - f.raised_at) / 1000 : 0;
  const stateText = {
    claimed: t('counselor.claimed'),
    mine: t('counselor.mine'),
    resolved: a.outcome ? t('counselor.resolved', { outcome: t(`counselor.outcome.${a.outcome}`) }) : '',
  }[a.state];
  fill(a.el,
    h('div', { class: 'alert__head' },
      h('span', { class: 'alert__sev', testid: 'alert-severity' }, `${t(`flag.sev.${Math.min(3, Math.max(1, sev))}`)} · ${t('counselor.severity', { n: sev })}`),
      a.state === 'open' || a.state === 'claiming'
        ? h('span', { class: 'alert__waiting', testid: 'alert-waiting' }, t('counselor.waiting', { t: clock(waited) }))
        : null),
    f.excerpt ? h('p', { class: 'alert__excerpt', testid: 'alert-excerpt' }, `“${f.excerpt}”`) : null,
    Array.isArray(f.categories) && f.categories.length
      ? h('p', { class: 'alert__meta', testid: 'alert-categories' }, f.categories.map(category).join(', '))
      : null,
    f.reason ? h('p', { class: 'alert__meta' }, t('counselor.reason', { reason: f.reason })) : null,
    h('p', { class: 'alert__meta' }, `${fmtClock(f.raised_at)}${f.tier ? ` · tier ${f.tier}` : ''}`),
    ...alertMeta(f),
    a.note ? h('p', { class: 'error' }, a.note) : null,
    stateText ? h('p', { class: 'alert__meta', testid: 'alert-state' }, stateText) : null,
    a.state === 'open' || a.state === 'claiming'
      ? h('button', {
        type: 'button',
        class: 'btn btn--crisis',
        testid: 'claim',
        disabled: a.state === 'claiming',
        onclick: () => claim(a),
      }, t('counselor.claim'))
      : null);
  a.el.dataset.state = a.state === 'claiming' ? 'open' : a.state;
}

function addAlert(f) {
  let a = alerts.get(f.alert);
  if (!a) {
    a = { frame: f, state: 'open', el: h('li', { class: 'alert', testid: 'alert', dataset: { alert: f.alert, session: f.session || '' } }) };
    alerts.set(f.alert, a);
    $('#alerts').prepend(a.el);
    beep(true);
    notify(t('counselor.newalert'), f.excerpt || f.reason || '', { tag: f.alert, requireInteraction: true });
  } else {
    a.frame = { ...a.frame, ...f };
    // Passed up to the centre: claimable again here (the first centre counselor takes it up).
    if (f.passed_up && a.state === 'claimed') {
      a.state = 'open';
      a.note = '';
      beep(true);
    }
  }
  // An alert supersedes the watch-list entry of its session.
  const w = watch.get(f.session);
  if (w) {
    w.el.remove();
    watch.delete(f.session);
    show($('#no-watch'), watch.size === 0);
  }
  renderAlert(a);
  updateAlarm();
}

async function claim(a) {
  unlockAudio();
  a.state = 'claiming';
  a.note = '';
  renderAlert(a);
  // Watching that chat: stop watching first, so the helper's badge does not stay on.
  const watched = appRef.sessions.map.get(a.frame.session);
  const wasWatching = !!(watched && watched.data.monitoring && !watched.ended);
  if (wasWatching) {
    await appRef.conn.request({ type: 'unmonitor', session: watched.id });
    watched.data.monitoring = false;
    forgetWatching(watched.id);
  }
  const reply = await appRef.conn.request({ type: 'claim', alert: a.frame.alert });
  if (!reply) {
    if (a.state === 'claiming') a.state = 'open';
  } else if (reply.type === 'alert_claimed') {
    a.state = 'claimed';
    a.note = t('counselor.tooLate');
  } else if (reply.type === 'error') {
    a.state = 'open';
    a.note = reply.detail || reply.code;
  } else if (reply.type === 'joined') {
    a.state = 'mine';
  }
  if (wasWatching && !watched.ended && (!reply || reply.type !== 'joined')) await monitor(appRef, watched.id);
  renderAlert(a);
  updateAlarm();
}

function setAlertState(id, state, extra = {}) {
  const a = alerts.get(id);
  if (!a) return null;
  Object.assign(a, extra);
  a.state = state;
  renderAlert(a);
  updateAlarm();
  if (state === 'claimed' || state === 'resolved') {
    // Keep it in view for a moment, so the change is seen, then tidy up.
    setTimeout(() => {
      if (a.state === state) {
        a.el.remove();
        alerts.delete(id);
        updateAlarm();
      }
    }, 60000);
  }
  return a;
}

function alertForSession(session) {
  for (const [id, a] of alerts) if (a.frame.session === session && a.state !== 'resolved') return id;
  return null;
}

// ---------- watch list ----------

function addWatch(f) {
  let w = watch.get(f.session);
  if (!w) {
    w = { el: h('li', { class: 'watch', testid: 'watch-item', dataset: { session: f.session } }) };
    watch.set(f.session, w);
    $('#watchlist').prepend(w.el);
  }
  w.frame = f;
  const cats = Array.isArray(f.categories) ? f.categories.map(category).join(', ') : '';
  fill(w.el,
    h('p', {}, h('strong', {}, `${t(`flag.sev.${Math.min(3, Math.max(1, Number(f.severity) || 2))}`)}`), cats ? ` · ${cats}` : '', ` · ${fmtClock(f.ts)}`),
    f.excerpt ? h('p', { class: 'alert__excerpt' }, `“${f.excerpt}”`) : null,
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'look-in',
      onclick: async () => {
        unlockAudio();
        const reply = await appRef.conn.request({ type: 'join', session: f.session });
        if (reply && reply.type === 'error') w.el.appendChild(h('p', { class: 'error' }, reply.detail || reply.code));
      },
    }, t('counselor.lookin')));
  show($('#no-watch'), false);
}

// ---------- the joined session ----------

function onJoined(f, app) {
  const transcript = Array.isArray(f.transcript) ? f.transcript : [];
  const seekerMsg = transcript.find((m) => m.from === 'seeker');
  const s = app.sessions.ensure(f.session, { peers: f.peers, alias: seekerMsg && seekerMsg.alias, topic: f.topic, lang: f.lang, note: f.note });
  if (s.data.monitoring) {
    s.data.monitoring = false;
    forgetWatching(f.session);
    s.list.addSystem(t('counselor.monitor.joined'), 'staff');
  }
  for (const m of transcript) s.list.addMessage({ ...m, session: f.session });
  s.data.alert = f.alert || alertForSession(f.session) || s.data.alert;
  markAlertMessage(s, transcript);
  if (Array.isArray(f.peers)) s.data.helperPresent = f.peers.some((p) => p.role === 'helper');
  else s.data.helperPresent = s.data.helperPresent !== false;
  if (s.data.alert) setAlertState(s.data.alert, 'mine');
  const w = watch.get(f.session);
  if (w) {
    w.el.remove();
    watch.delete(f.session);
    show($('#no-watch'), watch.size === 0);
  }
  app.sessions.select(f.session);
  $('#composer').focus();
}

// The transcript carries no flags, and the alert no message id: show the alert's severity on
// the seeker's message that its excerpt quotes, so the counselor sees at once what raised it.
function markAlertMessage(s, transcript) {
  const a = alerts.get(s.data.alert);
  if (!a || !a.frame.excerpt) return;
  const excerpt = String(a.frame.excerpt).replace(/(…|\.\.\.)$/, '').trim();
  if (!excerpt) return;
  const hit = [...transcript].reverse().find((m) => m.from === 'seeker'
    && (String(m.text).includes(excerpt) || excerpt.includes(String(m.text).trim())));
  if (hit) {
    s.list.applyFlag({ message: hit.id, severity: a.frame.severity, categories: a.frame.categories || [] });
    if (appRef) appRef.sessions.renderTab(s);
  }
}

function resolveForm(s, app) {
  const select = h('select', { id: 'resolve-outcome', testid: 'resolve-outcome' },
    OUTCOMES.map((o) => h('option', { value: o }, t(`counselor.outcome.${o}`))));
  const note = h('textarea', { id: 'resolve-note', rows: '2', maxlength: '1000', testid: 'resolve-note' });
  const form = h('form', { class: 'resolve-form', testid: 'resolve-form', novalidate: true },
    h('label', { for: 'resolve-outcome' }, t('counselor.outcome')),
    select,
    h('label', { for: 'resolve-note' }, t('counselor.note')),
    note,
    h('div', { class: 'inline-actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', testid: 'resolve-submit' }, t('counselor.resolve')),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: () => fill($('#pane-forms')) }, t('helper.escalate.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const frame = { type: 'resolve', alert: s.data.alert, outcome: select.value };
    if (note.value.trim()) frame.note = note.value.trim();
    fill($('#pane-forms'));
    const reply = await app.conn.request(frame);
    if (reply && reply.type === 'error') {
      s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
      return;
    }
    markResolved(s.data.alert, select.value, app);
  });
  return form;
}

function markResolved(alertId, outcome, app) {
  setAlertState(alertId, 'resolved', { outcome });
  for (const s of app.sessions.map.values()) {
    if (s.data.alert === alertId && !s.data.resolved) {
      s.data.resolved = outcome;
      s.list.addSystem(t('counselor.resolved', { outcome: t(`counselor.outcome.${outcome}`) }));
      if (s.id === app.sessions.currentId) app.sessions.renderHead();
    }
  }
}

// ---------- watching over (monitor) ----------

function watchingList() {
  try {
    const list = JSON.parse(sessionStorage.getItem(WATCHING_KEY) || '[]');
    return Array.isArray(list) ? list.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function rememberWatching(sid) {
  const list = watchingList();
  if (!list.includes(sid)) list.push(sid);
  try { sessionStorage.setItem(WATCHING_KEY, JSON.stringify(list)); } catch { /* ignore */ }
}

function forgetWatching(sid) {
  try { sessionStorage.setItem(WATCHING_KEY, JSON.stringify(watchingList().filter((x) => x !== sid))); } catch { /* ignore */ }
}

async function monitor(app, sid) {
  unlockAudio();
  const reply = await app.conn.request({ type: 'monitor', session: sid });
  if (reply && reply.type === 'error') {
    const s = app.sessions.map.get(sid);
    forgetWatching(sid);
    if (s && s.data.monitoring) {
      s.data.monitoring = false;
      app.sessions.markEnded(s, reply.code === 'session_ended' || reply.code === 'not_in_session'
        ? t('staff.over') : `${t('chat.failed')}: ${reply.detail || reply.code}`);
    } else {
      const item = $(`#active-list [data-session="${CSS.escape(sid)}"]`);
      if (item) item.appendChild(h('p', { class: 'error' }, reply.detail || reply.code));
    }
  }
  return reply;
}

/** The answer to `monitor`: a read-only view of the conversation, live from now on. */
function onMonitoring(f, app) {
  const info = activeInfo.get(f.session) || {};
  const s = app.sessions.ensure(f.session, { peers: f.peers, topic: f.topic || info.topic, lang: info.lang });
  const fresh = !s.data.monitoring;
  s.data.monitoring = true;
  s.data.helperPresent = Array.isArray(f.peers) ? f.peers.some((p) => p.role === 'helper') : true;
  if (fresh) s.list.addSystem(t('counselor.monitor.started'), 'staff');
  for (const m of Array.isArray(f.transcript) ? f.transcript : []) s.list.addMessage({ ...m, session: f.session });
  addLog(app, s, f.staff_log);
  rememberWatching(f.session);
  app.sessions.select(f.session);
  renderActive();
  $('#composer').focus();
}

function monitorActions(s, app) {
  return [
    h('button', {
      type: 'button',
      class: 'btn btn--small btn--primary',
      testid: 'join',
      onclick: async () => {
        const reply = await app.conn.request({ type: 'join', session: s.id });
        if (reply && reply.type === 'error') s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
      },
    }, t('counselor.monitor.join')),
    h('button', {
      type: 'button',
      class: 'btn btn--small btn--danger',
      testid: 'takeover',
      onclick: async () => {
        s.data.tookOver = true; // `joined` comes first, then `taken_over`
        const reply = await app.conn.request({ type: 'takeover', session: s.id });
        if (reply && reply.type === 'error') {
          s.data.tookOver = false;
          s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
        }
        app.sessions.renderHead();
      },
    }, t('counselor.takeover')),
    h('button', {
      type: 'button',
      class: 'btn btn--small',
      testid: 'unmonitor',
      onclick: async () => {
        await app.conn.request({ type: 'unmonitor', session: s.id });
        s.data.monitoring = false;
        forgetWatching(s.id);
        app.sessions.markEnded(s, t('counselor.monitor.stopped'));
        renderActive();
      },
    }, t('counselor.monitor.stop')),
  ];
}

// ---------- conversations going on now ----------

let activeItems = [];
let activeTimer = null;

async function loadActive(app) {
  if (!app.token || document.hidden) return;
  try {
    const res = await fetch('/api/sessions/active', {
      headers: { Authorization: `Bearer ${app.token}`, Accept: 'application/json' },
      cache: 'no-store',
    });
    if (!res.ok) return;
    const body = await res.json();
    activeItems = Array.isArray(body.items) ? body.items : [];
    activeInfo = new Map(activeItems.map((i) => [i.session, i]));
    renderActive();
  } catch { /* offline: the list stays as it was */ }
}

function renderActive() {
  const app = appRef;
  if (!app) return;
  const list = $('#active-list');
  fill(list, activeItems.map((item) => {
    const mine = app.sessions.map.get(item.session);
    const here = mine && !mine.ended;
    const sev = Number(item.max_severity) || 0;
    const since = typeof item.started === 'number' ? (Date.now() - item.started) / 1000 : null;
    const others = (item.watched_by || []).filter((a) => a !== app.alias);
    return h('li', { class: `active-item${sev >= 2 ? ` active-item--sev${sev}` : ''}`, testid: 'active-session', dataset: { session: item.session } },
      h('p', { class: 'active-item__head' },
        h('strong', {}, item.topic ? t(`topic.${item.topic}`) : t('counselor.active.notopic')),
        item.lang ? ` · ${item.lang === 'zh' ? '中文' : 'English'}` : ''),
      h('p', { class: 'alert__meta' },
        item.helper ? t('counselor.active.helper', { alias: item.helper }) : t('counselor.active.nohelper'),
        item.counselor ? ` · ${t('counselor.active.counselor', { alias: item.counselor })}` : ''),
      h('p', { class: 'alert__meta' },
        since !== null ? t('counselor.active.since', { time: fmtClock(item.started), t: duration(since) }) : '',
        sev ? ` · ${t(`flag.sev.${Math.min(3, sev)}`)}` : ''),
      others.length ? h('p', { class: 'alert__meta' }, t('counselor.active.watchedby', { alias: others.join(', ') })) : null,
      here
        ? h('button', { type: 'button', class: 'btn btn--small', testid: 'open-session', onclick: () => app.sessions.select(item.session) },
          mine.data.monitoring ? t('counselor.active.watching') : t('counselor.active.open'))
        : h('button', { type: 'button', class: 'btn btn--small btn--primary', testid: 'monitor', onclick: () => monitor(app, item.session) },
          t('counselor.active.watch')));
  }));
  show($('#no-active'), activeItems.length === 0);
}

function startActivePolling(app) {
  loadActive(app);
  clearInterval(activeTimer);
  activeTimer = setInterval(() => loadActive(app), ACTIVE_POLL_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) loadActive(app); });
}

function renderPane(s, app) {
  if (s.data.monitoring && !s.ended) {
    $('#pane-info').appendChild(h('p', { class: 'badge badge--watch', testid: 'monitoring-badge', role: 'status' },
      t('counselor.monitor.badge')));
  }
  renderNotes(app, s);
  renderComposer(app, s);
}

function paneActions(s, app) {
  if (s.data.monitoring && !s.ended) return monitorActions(s, app);
  if (s.ended) {
    const out = [];
    if (s.data.alert && !s.data.resolved) out.push(resolveButton(s, app));
    out.push(h('button', { type: 'button', class: 'btn btn--small', testid: 'close-session', onclick: () => app.sessions.remove(s.id) }, t('staff.close')));
    return out;
  }
  const out = [];
  if (s.data.helperPresent !== false && !s.data.tookOver) {
    out.push(h('button', {
      type: 'button',
      class: 'btn btn--small btn--danger',
      testid: 'takeover',
      onclick: async () => {
        const reply = await app.conn.request({ type: 'takeover', session: s.id });
        if (reply && reply.type === 'error') {
          s.list.addSystem(`${t('chat.failed')}: ${reply.detail || reply.code}`, 'error');
          return;
        }
        s.data.tookOver = true;
        app.sessions.renderHead();
      },
    }, t('counselor.takeover')));
  }
  if (s.data.alert && !s.data.resolved) out.push(resolveButton(s, app));
  const passUp = passUpButton(s, app, (form) => fill($('#pane-forms'), form));
  if (passUp) out.push(passUp);
  out.push(h('button', {
    type: 'button',
    class: 'btn btn--small',
    testid: 'leave',
    onclick: () => app.conn.queue({ type: 'leave', session: s.id }),
  }, t('staff.leave')));
  return out;
}

function resolveButton(s, app) {
  return h('button', {
    type: 'button',
    class: 'btn btn--small btn--primary',
    testid: 'resolve',
    onclick: () => {
      const open = !$('#pane-forms').firstChild;
      fill($('#pane-forms'), open ? resolveForm(s, app) : null);
      if (open) $('#resolve-outcome').focus();
    },
  }, t('counselor.resolve'));
}

// ---------- presence ----------

let lastStatusRef = null;

function sendStatus(app, fields) {
  lastStatusRef = newRef('st');
  app.conn.queue({ type: 'status', ...fields, ref: lastStatusRef });
}

function applyPresence(p) {
  if (!p) return;
  notePresence(p);
  presence = { ...(presence || {}), ...p };
  if (typeof p.on_call === 'boolean') $('#on-call').checked = p.on_call;
  renderPresence();
  updateAlarm();
}

function renderPresence() {
  const node = $('#presence');
  if (!presence) return;
  node.dataset.on = String(!!presence.on_call);
  node.textContent = presence.on_call ? t('counselor.presence.on') : t('counselor.presence.off');
}

function onFrame(f, app) {
  const sessions = app.sessions;
  switch (f.type) {
    case 'welcome': {
      const wanted = $('#on-call').checked; // what this page had before a reconnect
      if (f.presence) applyPresence(f.presence);
      // welcome.presence is taken before the server restores a counselor's on-call state, so
      // ask again (a status with no fields only reads); after a drop, restore what was chosen.
      sendStatus(app, wanted ? { on_call: true } : {});
      for (const summary of Array.isArray(f.sessions) ? f.sessions : []) {
        const s = sessions.map.get(summary.session);
        if (!s) continue;
        if (summary.alert) s.data.alert = summary.alert;
        if (Array.isArray(summary.peers)) s.data.helperPresent = summary.peers.some((p) => p.role === 'helper');
        if (s.id === sessions.currentId) sessions.renderHead();
      }
      // Go on watching what this console watched (after a drop or a reload).
      for (const sid of watchingList()) monitor(app, sid);
      loadActive(app);
      break;
    }
    case 'monitoring':
      onMonitoring(f, app);
      break;
    case 'unmonitored':
      break;
    case 'whisper':
    case 'note':
    case 'handover': {
      const s = sessions.map.get(f.session);
      if (s && addEntry(app, s, f) && s.id === sessions.currentId) sessions.renderHead();
      break;
    }
    case 'ack':
      onWhisperReply(app, f);
      break;
    case 'error':
      onWhisperReply(app, f);
      break;
    case 'presence':
      // Only the answer to the latest status counts: an older one would undo a newer click.
      if (!f.ref || f.ref === lastStatusRef) applyPresence(f);
      break;
    case 'alert':
      addAlert(f);
      break;
    case 'taken_up':
      onTakenUp(f, app);
      break;
    case 'alert_claimed': {
      const a = alerts.get(f.alert);
      if (a && a.state !== 'mine') setAlertState(f.alert, 'claimed', f.ref ? { note: t('counselor.tooLate') } : {});
      break;
    }
    case 'alert_resolved':
      if (alerts.has(f.alert)) markResolved(f.alert, f.outcome, app);
      break;
    case 'watch':
      if (!alertForSession(f.session) && !sessions.map.has(f.session)) addWatch(f);
      break;
    case 'joined':
      onJoined(f, app);
      break;
    case 'participant': {
      const s = sessions.map.get(f.session);
      if (!s) break;
      if (f.role === 'helper' && !f.joined) {
        s.data.helperPresent = false;
        s.list.addSystem(f.reason === 'transferred'
          ? t('counselor.helpertransferred', { alias: f.alias || t('chat.helper') }) : t('counselor.helperleft'));
        sessions.renderHead();
      } else if (f.role === 'helper' && f.joined) {
        s.data.helperPresent = true;
        if (f.alias) s.peers.helper = f.alias;
        s.list.addSystem(t('counselor.helperjoined', { alias: f.alias || t('chat.helper') }));
        sessions.renderHead();
      } else if (f.role === 'counselor') {
        s.list.addSystem(t(f.joined ? 'chat.counselorjoined' : 'chat.counselorleft', { alias: f.alias || t('chat.counselor') }));
      }
      break;
    }
    case 'ended': {
      const s = sessions.map.get(f.session);
      forgetWatching(f.session);
      if (s) s.data.monitoring = false;
      if (s) {
        let text = t('staff.sessionended', { reason: f.reason || f.by || '—' });
        if (f.by === 'seeker') text = t('staff.seekerleft');
        else if (f.by === 'counselor' && f.reason === 'left') text = t('staff.youleft');
        sessions.markEnded(s, text);
      }
      break;
    }
    case 'flag': {
      const s = sessions.map.get(f.session);
      if (s && Number(f.severity) >= 3) beep(true);
      break;
    }
    default:
      break;
  }
}

startConsole({
  role: 'counselor',
  firstFocus: '#on-call',
  offDuty: () => ({ type: 'status', on_call: false }),
  titleKey: 'counselor.title',
  onFrame,
  paneActions,
  renderPane,
  sendHook: sendWhisper,
  quietTyping: whisperMode,
  onLang: (app) => {
    renderPresence();
    renderActive();
    if (cannedAdmin && cannedAdmin.isOpen) cannedAdmin.render();
    for (const a of alerts.values()) renderAlert(a);
    for (const w of watch.values()) addWatch(w.frame);
  },
  onReady: (app) => {
    appRef = app;
    startCurate();
    title.setBase(t('counselor.title'));
    wireWhisperToggle(app);
    new CannedPicker(app); // eslint-disable-line no-new
    cannedAdmin = new CannedAdmin(app);
    startActivePolling(app);
    $('#on-call').addEventListener('change', () => {
      unlockAudio();
      askNotificationPermission(); // once, from this click
      sendStatus(app, { on_call: $('#on-call').checked });
    });
    window.addEventListener('focus', () => {
      if (!openAlerts().length) title.stop();
    });
    // Time waiting, live.
    setInterval(() => {
      for (const a of alerts.values()) {
        if (a.state !== 'open' && a.state !== 'claiming') continue;
        const node = a.el.querySelector('.alert__waiting');
        if (node && typeof a.frame.raised_at === 'number') {
          node.textContent = t('counselor.waiting', { t: clock((Date.now() - a.frame.raised_at) / 1000) });
        }
      }
    }, 1000);
  },
});
