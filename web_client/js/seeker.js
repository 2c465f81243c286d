// The seeker page: ask for help anonymously, wait with an honest queue position, talk, leave
// (or block the helper: the chat ends and the two are never matched again).
// Everything that ties this tab to a conversation (the resume token, unsent messages) lives in
// sessionStorage, which "Quick exit" wipes before leaving for a neutral site.

import { $, fill, show } from './dom.js';
import { t, lang, setLang, detectLang, onLangChange } from './i18n.js';
import { Connection, newRef } from './ws.js';
import { MessageList, TypingIndicator, typingThrottle } from './chat.js';
import { renderResources } from './resources.js';
import { loadStore, saveStore, wipeAndLeave } from './seeker-store.js';
import { cardNode } from './cards.js';
import { buildMoods, chosenMood, clearMood } from './mood-check.js';
import { startBetween, loadWaitingLibrary, setMoodSharer } from './seeker-between.js';
import { startDepartments, chosenDepartment } from './departments.js';
import {
  renderQueue, loadSelfHelp, endedText, loadCrisis, renderCrisis, toggleCrisis, buildRatings,
} from './seeker-view.js';

const LANG_KEY = 'peerline.lang';
const MAX_CHARS = 2000;
const saved = loadStore();
const state = {
  resume: saved.resume || null,
  session: saved.session || null,
  lastSeen: saved.lastSeen || {}, // session -> last message id, for sessions not on screen
  phase: 'start', // start | connecting | queued | active | ended
  peer: null,
  lastQueued: null,
  // Crisis resources sent for the session on screen: kept so a reload still shows them.
  resources: saved.session && Array.isArray(saved.resources) ? saved.resources : null,
  counselorPresent: !!saved.counselorPresent,
};
// Messages that were waiting to be sent when the page was reloaded.
let restoredOutbox = Array.isArray(saved.outbox) ? saved.outbox : [];
let conn = null;
let list = null;
const typing = new TypingIndicator($('#typing'));

function save() {
  const outbox = conn ? [...conn.outbox.values(), ...restoredOutbox] : restoredOutbox;
  const data = {
    resume: state.resume,
    session: state.session,
    lastSeen: state.lastSeen,
    outbox,
    resources: state.session ? state.resources : null,
    counselorPresent: state.counselorPresent,
  };
  saveStore(data);
}

function newList() {
  list = new MessageList({
    ownRole: 'seeker',
    label: t('chat.composer'),
    onSettled: (ref) => conn && conn.settle(ref),
  });
  fill($('#scroll'), list.el);
}

// ---------- views ----------

function setPhase(phase) {
  state.phase = phase;
  const inChat = phase !== 'start';
  show($('#view-start'), !inChat);
  show($('#view-chat'), inChat);
  show($('#queue'), phase === 'queued' || phase === 'connecting');
  show($('#composer-form'), phase === 'active');
  show($('#chat-actions'), phase === 'active');
  show($('#ended'), phase === 'ended');
  show($('#chat-with'), phase === 'active' && !!state.peer);
  syncBlockAction();
  if (phase !== 'active') typing.hide();
  if (phase === 'queued' || phase === 'connecting') {
    renderQueue(state.lastQueued);
    loadSelfHelp();
    loadWaitingLibrary($('#topic').value);
  }
  setMoodSharer(phase === 'active' && conn && state.session
    ? (mood) => conn.request({ type: 'share', session: state.session, mood }) : null);
}

function renderChatWith() {
  if (state.helperGone && state.counselorAlias) {
    $('#chat-with').textContent = t('chat.withcounselor', { alias: state.counselorAlias });
  } else if (state.peer) {
    $('#chat-with').textContent = t('chat.with', { alias: state.peer });
  }
}

function showResources(items, scroll = true) {
  state.resources = items;
  save();
  renderResources($('#resources-list'), items, t('crisis.fallback'));
  show($('#resources'), true);
  if (scroll) $('#resources').scrollIntoView({ block: 'start' });
}

// ---------- connection ----------

function hello() {
  const frame = { type: 'hello', role: 'seeker', lang: lang(), resume: state.resume || null };
  const lastSeen = { ...state.lastSeen };
  // The session on screen: only what we have already shown; after a reload, the whole transcript.
  if (state.session) {
    if (list && list.lastId) lastSeen[state.session] = list.lastId;
    else delete lastSeen[state.session];
  }
  if (state.resume && Object.keys(lastSeen).length) frame.last_seen = lastSeen;
  return frame;
}

function connect() {
  if (conn) return conn;
  conn = new Connection({
    hello,
    onFrame,
    onState,
    onOutbox: save,
    reconcile,
  });
  conn.start();
  return conn;
}

function onState(s) {
  const box = $('#conn');
  const retry = $('#conn-retry');
  if (list) list.markOnline(s === 'online');
  if (s === 'online' || s === 'stopped') {
    state.lost = false;
    show(box, false);
    return;
  }
  if (s === 'unauthorized') {
    // The resume token is no longer known: start afresh, say so.
    conn = null;
    const had = !!state.session;
    forgetSession();
    state.resume = null;
    save();
    setPhase('start');
    if (had) {
      $('#start-note').textContent = t('conn.expired');
      show($('#start-note'), true);
    }
    show(box, false);
    return;
  }
  if (s === 'connecting' && !state.lost) return; // first connection: the page says enough
  if (s === 'offline') state.lost = true;
  // While retrying after a loss, keep saying that the connection was lost.
  const shown = s === 'connecting' ? 'offline' : s;
  box.dataset.state = shown;
  $('#conn-text').textContent = t(shown === 'replaced' ? 'conn.replaced' : 'conn.offline');
  show(retry, true);
  show(box, true);
}

// Called after the replay of missed messages, just before unsent messages are sent again.
function reconcile(outbox) {
  if (!restoredOutbox.length) return;
  const restored = restoredOutbox;
  restoredOutbox = [];
  const claimed = new Set();
  for (const frame of restored) {
    if (frame.type !== 'say') {
      outbox.set(frame.ref, frame);
      continue;
    }
    if (frame.session !== state.session || state.phase !== 'active') continue;
    // Stored before the reload (its ack was lost)? Then the replay showed it as our own message.
    const text = String(frame.text).trim();
    const match = [...list.el.querySelectorAll('li.msg--own[data-id]')]
      .find((li) => !claimed.has(li) && li.querySelector('.msg__text').textContent === text);
    if (match) {
      claimed.add(match);
      continue;
    }
    list.addPending(frame.ref, frame.text);
    frame.resend = true; // it may have been stored before the reload, with its ack lost
    outbox.set(frame.ref, frame);
  }
  save();
}

function forgetSession() {
  if (state.session && list && list.lastId) state.lastSeen[state.session] = list.lastId;
  state.session = null;
  state.peer = null;
  state.lastQueued = null;
  state.counselorPresent = false;
  state.counselorAlias = null;
  state.helperGone = false;
}

function adoptSession(summary) {
  if (state.session !== summary.session) {
    state.session = summary.session;
    newList();
  }
  const peers = summary.peers || [];
  const helper = peers.find((p) => p.role === 'helper');
  if (helper) state.peer = helper.alias;
  const counselor = peers.find((p) => p.role === 'counselor');
  if (counselor) {
    state.counselorPresent = true;
    state.counselorAlias = counselor.alias;
    // Back after a reload into a chat a counselor took over: the helper is gone.
    if (!helper && summary.state === 'active') state.helperGone = true;
  }
  save();
}

function onWelcome(f) {
  state.resume = f.resume || state.resume;
  const sessions = Array.isArray(f.sessions) ? f.sessions : [];
  const current = sessions.find((s) => s.session === state.session)
    || [...sessions].reverse().find((s) => s.state !== 'ended');
  if (current) {
    adoptSession(current);
    if (current.state === 'queued') {
      state.lastQueued = { ...(state.lastQueued || {}), position: current.position ?? state.lastQueued?.position ?? null };
      setPhase('queued');
    } else if (current.state === 'active') {
      renderChatWith();
      setPhase('active');
    } else {
      // It ended while we were away: say how, and still offer the feedback form.
      const text = endedText({ by: current.ended_by || 'server', reason: current.reason });
      if (list) list.addSystem(text);
      $('#ended-text').textContent = text;
      state.endedSession = current.session;
      setPhase('ended');
      forgetSession();
    }
  } else if (!state.awaitingRequest) {
    // The server no longer knows the session we had (or we had none).
    const had = !!state.session;
    forgetSession();
    setPhase('start');
    if (had) {
      $('#start-note').textContent = t('conn.expired');
      show($('#start-note'), true);
    }
  }
  save();
}

function onFrame(f) {
  switch (f.type) {
    case 'welcome':
      onWelcome(f);
      break;
    case 'queued':
      state.awaitingRequest = false;
      if (state.session !== f.session) adoptSession({ session: f.session, peers: [] });
      state.lastQueued = f;
      if (state.phase !== 'queued') setPhase('queued');
      else renderQueue(state.lastQueued);
      break;
    case 'matched': {
      adoptSession(f);
      renderChatWith();
      setPhase('active');
      $('#composer').focus();
      break;
    }
    case 'message':
      if (f.session !== state.session || !list) break;
      if (list.addMessage(f) && f.from !== 'seeker') typing.hide();
      break;
    case 'ack':
      if (list && list.ack(f)) break;
      if (f.ref && f.ref === state.feedbackRef) {
        show($('#feedback-form'), false);
        show($('#feedback-thanks'), true);
      }
      break;
    case 'error':
      onError(f);
      break;
    case 'typing':
      if (f.session === state.session && f.from !== 'seeker' && state.phase === 'active') {
        const alias = f.from === 'counselor' ? state.counselorAlias : state.peer;
        typing.show(f.alias || alias || t(`chat.${f.from}`));
      }
      break;
    case 'participant':
      if (f.session !== state.session || !list) break;
      if (f.role === 'counselor') {
        list.addSystem(t(f.joined ? 'chat.counselorjoined' : 'chat.counselorleft', { alias: f.alias || t('chat.counselor') }));
      } else if (f.role === 'helper' && !f.joined && f.reason === 'transferred') {
        list.addSystem(t('chat.helpertransfer'));
      } else if (f.role === 'helper' && !f.joined) {
        if (state.counselorPresent || f.reason === 'taken_over') {
          state.helperGone = true;
          renderChatWith();
          syncBlockAction();
          list.addSystem(t('chat.helperhandover'));
        } else {
          list.addSystem(t('chat.helperleft', { alias: f.alias || t('chat.helper') }));
        }
      }
      if (f.role === 'counselor') {
        state.counselorPresent = !!f.joined;
        state.counselorAlias = f.joined ? f.alias : null;
      }
      save();
      break;
    case 'card': // a library item from the helper, or our own mood summary (cards.js)
      if (f.session === state.session && list) list.el.appendChild(cardNode(f));
      break;
    case 'resources':
      if (!f.session || f.session === state.session) showResources(Array.isArray(f.items) ? f.items : []);
      break;
    case 'ended':
      if (f.session !== state.session) break;
      if (list) {
        for (const ref of [...list.pending.keys()]) {
          list.fail(ref);
          conn.settle(ref);
        }
        list.addSystem(endedText(f));
      }
      $('#ended-text').textContent = endedText(f);
      state.endedSession = f.session;
      state.counselorPresent = false;
      setPhase(f.reason === 'cancelled' ? 'start' : 'ended');
      if (f.reason !== 'cancelled' && document.activeElement === document.body) $('#ended-title').focus();
      forgetSession(); // nothing to resume any more; the transcript stays on screen
      save();
      break;
    default:
      break; // unknown frames are ignored, as the protocol asks
  }
}

function onError(f) {
  if (f.ref && list && list.pending.has(f.ref)) {
    list.fail(f.ref, f.code === 'too_long' ? t('chat.toolong') : '');
  }
  if (f.code === 'session_ended' && state.phase === 'active') {
    $('#ended-text').textContent = t('ended.by.server');
    setPhase('ended');
  }
}

// ---------- actions ----------

function requestHelp(event) {
  event.preventDefault();
  show($('#start-note'), false);
  const topic = $('#topic').value || 'other';
  const note = $('#note').value.trim();
  state.lastQueued = null;
  state.peer = null;
  state.counselorPresent = false;
  state.resources = null;
  state.session = null;
  state.awaitingRequest = true;
  newList();
  show($('#resources'), false);
  setPhase('connecting');
  const frame = { type: 'request', topic, lang: lang() };
  if (note) frame.note = [...note].slice(0, MAX_CHARS).join('');
  const department = chosenDepartment();
  if (department) frame.department = department;
  const mood = chosenMood('mood_before');
  if (mood) frame.mood = mood;
  connect().queue(frame);
  $('#queue-title').focus(); // the button just vanished: keep keyboard and reader in place
}

function sendMessage(event) {
  event.preventDefault();
  const box = $('#composer');
  const text = box.value.trim();
  if (!text || state.phase !== 'active' || !state.session) return;
  if ([...text].length > MAX_CHARS) {
    $('#composer-error').textContent = t('chat.toolong');
    show($('#composer-error'), true);
    return;
  }
  show($('#composer-error'), false);
  const ref = newRef();
  list.addPending(ref, text, !conn.online);
  conn.sendReliable({ type: 'say', session: state.session, text, ref });
  box.value = '';
  box.focus();
}

function leave() {
  if (!state.session || !conn) return;
  conn.queue({ type: 'leave', session: state.session });
}

// ---------- block the helper ----------

/** "Block this helper" is there while a helper is in the chat (not once a counselor took over). */
function syncBlockAction() {
  const can = state.phase === 'active' && !!state.peer && !state.helperGone;
  show($('#block-open'), can);
  if (!can) closeBlock(false);
}

function openBlock() {
  if (!$('#block-box').hidden) {
    closeBlock();
    return;
  }
  show($('#block-error'), false);
  show($('#block-box'), true);
  $('#block-open').setAttribute('aria-expanded', 'true');
  $('#block-cancel').focus(); // the safe choice first: Enter by mistake keeps the chat
}

function closeBlock(returnFocus = true) {
  $('#block-confirm').disabled = false;
  if ($('#block-box').hidden) return;
  show($('#block-box'), false);
  show($('#block-error'), false);
  $('#block-open').setAttribute('aria-expanded', 'false');
  if (returnFocus) $('#block-open').focus();
}

async function confirmBlock() {
  if (!state.session || state.phase !== 'active') return;
  const error = $('#block-error');
  if (!conn || !conn.online) {
    // Not queued for later: a block sent long after the click would surprise everyone.
    error.textContent = `${t('chat.failed')}: ${t('conn.offline')}`;
    show(error, true);
    return;
  }
  $('#block-confirm').disabled = true;
  const reply = await conn.request({ type: 'block', session: state.session });
  if (reply && reply.type === 'ended') {
    $('#ended-title').focus(); // onFrame has shown the ended view already
    return;
  }
  $('#block-confirm').disabled = false;
  if (state.phase !== 'active') return; // it ended some other way meanwhile
  error.textContent = `${t('chat.failed')}: ${reply ? reply.detail || reply.code : t('conn.offline')}`;
  show(error, true);
}

function cancelWait() {
  if (state.session && conn) {
    conn.queue({ type: 'leave', session: state.session });
  } else if (conn) {
    // The request may not have been answered yet; forget it.
    conn.stop();
    conn = null;
  }
  forgetSession();
  save();
  setPhase('start');
}

function submitFeedback(event) {
  event.preventDefault();
  const rating = document.querySelector('input[name="rating"]:checked');
  const feeling = document.querySelector('input[name="feeling"]:checked');
  const moodAfter = chosenMood('mood_after');
  if ((!rating && !feeling && !moodAfter) || !conn || !state.endedSession) return;
  const frame = { type: 'feedback', session: state.endedSession, ref: newRef('f') };
  if (rating) frame.rating = Number(rating.value);
  if (feeling) frame.feeling = feeling.value;
  if (moodAfter) frame.mood = moodAfter;
  state.feedbackRef = frame.ref;
  conn.queue(frame);
  // Thank at once; the answer only confirms it.
  show($('#feedback-form'), false);
  show($('#feedback-thanks'), true);
}

function newChat() {
  forgetSession();
  save();
  $('#feedback-form').reset();
  clearMood('mood_before');
  show($('#feedback-form'), true);
  show($('#feedback-thanks'), false);
  show($('#resources'), false);
  setPhase('start');
  $('#topic').focus();
}

/** Leave at once and leave nothing behind in this tab. */
function quickExit() {
  try {
    if (conn && state.session && state.phase !== 'ended') conn.send({ type: 'leave', session: state.session });
  } catch {
    /* leaving matters more than telling */
  }
  if (conn) conn.stop();
  conn = null;
  wipeAndLeave(lang());
}

function renderLang() {
  $('#lang-switch').textContent = t('lang.other');
  $('#lang-switch').setAttribute('lang', lang() === 'zh' ? 'en' : 'zh');
  document.title = t('app.name');
  renderQueue(state.lastQueued);
  renderChatWith();
  if (list) list.relabel();
  renderCrisis();
  if (state.resources) renderResources($('#resources-list'), state.resources, t('crisis.fallback'));
}

function init() {
  let stored = null;
  try { stored = sessionStorage.getItem(LANG_KEY); } catch { /* ignore */ }
  buildRatings();
  const buildMoodChecks = () => {
    buildMoods('mood-before-choices', 'mood_before');
    buildMoods('mood-after-choices', 'mood_after');
  };
  buildMoodChecks();
  onLangChange(() => {
    buildMoodChecks();
    renderLang();
    for (const node of document.querySelectorAll('[data-rating-label]')) {
      node.textContent = t('feedback.rating.n', { n: node.dataset.ratingLabel });
    }
  });
  setLang(detectLang(stored));

  $('#lang-switch').addEventListener('click', () => {
    const next = lang() === 'zh' ? 'en' : 'zh';
    try { sessionStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
    setLang(next);
  });
  $('#quick-exit').addEventListener('click', quickExit);
  $('#crisis-toggle').addEventListener('click', () => toggleCrisis());
  $('#crisis-close').addEventListener('click', () => {
    toggleCrisis(false);
    $('#crisis-toggle').focus();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('#crisis-panel').hidden) {
      toggleCrisis(false);
      $('#crisis-toggle').focus();
    } else if (e.key === 'Escape' && !$('#block-box').hidden) {
      closeBlock();
    }
  });
  $('#conn-retry').addEventListener('click', () => {
    if (conn && conn.stopped) {
      conn = null;
      connect();
    } else if (conn) {
      conn.reconnectNow();
    }
  });
  $('#request-form').addEventListener('submit', requestHelp);
  $('#composer-form').addEventListener('submit', sendMessage);
  const sendTyping = typingThrottle(() => {
    if (conn && state.session && state.phase === 'active') conn.send({ type: 'typing', session: state.session });
  });
  $('#composer').addEventListener('input', sendTyping);
  $('#composer').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('#composer-form').requestSubmit();
    }
  });
  $('#leave').addEventListener('click', leave);
  $('#block-open').addEventListener('click', openBlock);
  $('#block-cancel').addEventListener('click', () => closeBlock());
  $('#block-confirm').addEventListener('click', confirmBlock);
  $('#cancel-wait').addEventListener('click', cancelWait);
  $('#feedback-form').addEventListener('submit', submitFeedback);
  $('#new-chat').addEventListener('click', newChat);

  loadCrisis();
  startBetween({ toChat: () => $('#topic').focus() });
  startDepartments();
  newList();
  if (state.resources) showResources(state.resources, false);
  if (state.resume && (state.session || restoredOutbox.length)) {
    // A reload (or a new page load in the same tab): carry on where we were.
    setPhase('connecting');
    connect();
  } else {
    setPhase('start');
  }
}

init();
