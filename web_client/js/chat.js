// A conversation's message list: own messages (sending → delivered on ack), other people's
// messages, system notes, moderation flags (staff only). Each message id is shown once, however
// many times the server replays it. All text goes in as text nodes.

import { h, fill, fmtClock, scrollToEnd } from './dom.js';
import { t, category } from './i18n.js';

const WHO_KEY = { seeker: 'chat.seeker', helper: 'chat.helper', counselor: 'chat.counselor' };

export class MessageList {
  /**
   * @param {object} opts
   * @param {string} opts.ownRole   'seeker' | 'helper' | 'counselor'
   * @param {() => string|null} [opts.ownAlias]  for staff: tells own messages from a colleague's
   * @param {string} [opts.label]   accessible name of the list
   */
  constructor({ ownRole, ownAlias = () => null, label = '', onSettled = () => {} }) {
    this.ownRole = ownRole;
    this.onSettled = onSettled; // told when a replayed message settles a pending ref
    this.ownAlias = ownAlias;
    this.el = h('ol', {
      class: 'messages',
      testid: 'messages',
      role: 'log',
      'aria-live': 'polite',
      'aria-relevant': 'additions',
      'aria-label': label,
      tabindex: '0',
    });
    this.ids = new Set();
    this.pending = new Map(); // ref -> {li, text}
    this.flags = new Map(); // message id -> flag frame, until the message arrives
    this.lastId = null;
    this.lastSeq = -1; // the highest seq seen with no gap before it
    this.ahead = new Map(); // seq -> id of messages seen past a gap
    this.maxSeverity = 0;
  }

  _scroller() {
    // Staff consoles scroll the message pane; the seeker page scrolls the whole page.
    return this.el.closest('.scroll') || document.scrollingElement || document.documentElement;
  }

  /**
   * Remember where to resume from: the id of the highest message seen with every message before
   * it seen too. A gap (a message lost while the server's Redis was away) holds `lastId` back,
   * so the next resume asks for the missing one again instead of skipping it for good.
   */
  _track(id, seq) {
    if (typeof seq !== 'number') {
      this.lastId = id;
      return;
    }
    if (this.lastSeq < 0) {
      this.lastSeq = seq;
      this.lastId = id;
    } else if (seq > this.lastSeq) {
      this.ahead.set(seq, id);
    }
    while (this.ahead.has(this.lastSeq + 1)) {
      this.lastSeq += 1;
      this.lastId = this.ahead.get(this.lastSeq);
      this.ahead.delete(this.lastSeq);
    }
  }

  isOwn(msg) {
    if (msg.from !== this.ownRole) return false;
    const mine = this.ownAlias();
    return !mine || !msg.alias || msg.alias === mine;
  }

  /** A `message` frame (live, replayed or from a `joined` transcript). */
  addMessage(msg) {
    if (!msg || !msg.id || this.ids.has(msg.id)) return null;
    if (this.isOwn(msg)) {
      // A replayed own message may be one we still hold as pending (its ack was lost).
      const ref = this._matchPending(msg);
      if (ref) {
        this.ack({ ref, id: msg.id, ts: msg.ts, text: msg.text, seq: msg.seq });
        this.onSettled(ref);
        return this.el.querySelector(`[data-id="${CSS.escape(msg.id)}"]`);
      }
    }
    this.ids.add(msg.id);
    this._track(msg.id, msg.seq);
    const own = this.isOwn(msg);
    const li = this._item({
      own,
      from: msg.from,
      who: own ? t('chat.you') : `${msg.alias || t(WHO_KEY[msg.from] || 'chat.seeker')}`,
      role: own ? null : msg.from,
      text: msg.text,
      ts: msg.ts,
      state: own ? 'delivered' : null,
    });
    li.dataset.id = msg.id;
    this._appendOrdered(li, msg.seq);
    const flag = this.flags.get(msg.id);
    if (flag) this._showFlag(li, flag);
    return li;
  }

  _matchPending(msg) {
    if (msg.ref && this.pending.has(msg.ref)) return msg.ref;
    const text = String(msg.text ?? '').trim();
    for (const [ref, p] of this.pending) {
      if (p.li.dataset.state !== 'delivered' && p.text === text) return ref;
    }
    return null;
  }

  /** An own message not yet acknowledged. */
  addPending(ref, text, offline = false) {
    const li = this._item({
      own: true,
      from: this.ownRole,
      who: t('chat.you'),
      text,
      ts: Date.now(),
      state: offline ? 'queued' : 'sending',
    });
    li.dataset.ref = ref;
    this.pending.set(ref, { li, text: text.trim() });
    this.el.appendChild(li);
    scrollToEnd(this._scroller(), true);
    return li;
  }

  /** The server's `ack`: the message is stored; show the text as delivered (maybe masked). */
  ack(frame) {
    const p = this.pending.get(frame.ref);
    if (!p) return false;
    this.pending.delete(frame.ref);
    const { li } = p;
    if (frame.id) {
      if (this.ids.has(frame.id)) {
        li.remove(); // already shown from a replay
        return true;
      }
      this.ids.add(frame.id);
      li.dataset.id = frame.id;
      this._track(frame.id, frame.seq);
      if (typeof frame.seq === 'number') li.dataset.seq = String(frame.seq);
    }
    if (typeof frame.text === 'string') fill(li.querySelector('.msg__text'), frame.text);
    if (typeof frame.ts === 'number') fill(li.querySelector('time'), fmtClock(frame.ts));
    this._setState(li, 'delivered');
    const flag = frame.id && this.flags.get(frame.id);
    if (flag) this._showFlag(li, flag);
    return true;
  }

  fail(ref, detail) {
    const p = this.pending.get(ref);
    if (!p) return false;
    this.pending.delete(ref);
    this._setState(p.li, 'failed', detail);
    return true;
  }

  markOnline(online) {
    for (const { li } of this.pending.values()) {
      if (li.dataset.state !== 'failed') this._setState(li, online ? 'sending' : 'queued');
    }
  }

  addSystem(text, kind = 'info') {
    const li = h('li', { class: `msg msg--system msg--${kind}`, testid: 'system-note' },
      h('p', { class: 'msg__text' }, text));
    this.el.appendChild(li);
    scrollToEnd(this._scroller());
    return li;
  }

  /** A `flag` frame (staff only): shown on the flagged message. */
  applyFlag(flag) {
    this.maxSeverity = Math.max(this.maxSeverity, flag.severity || 0);
    const li = this.el.querySelector(`[data-id="${CSS.escape(String(flag.message))}"]`);
    if (li) this._showFlag(li, flag);
    else this.flags.set(String(flag.message), flag);
  }

  _showFlag(li, flag) {
    const sev = Math.min(3, Math.max(1, Number(flag.severity) || 1));
    li.classList.add(`msg--flag${sev}`);
    li.dataset.severity = String(sev);
    const cats = Array.isArray(flag.categories) ? flag.categories.map(category) : [];
    // The hub sends matches as [{term, category, severity}]; plain strings are accepted too.
    const raw = flag.matches || flag.terms || flag.matched || flag.words;
    const words = Array.isArray(raw)
      ? [...new Set(raw.map((m) => (m && typeof m === 'object' ? m.term : m)).filter((w) => typeof w === 'string' && w))]
      : null;
    const old = li.querySelector('.msg__flag');
    if (old) old.remove();
    li.appendChild(h('p', { class: `msg__flag sev${sev}`, testid: 'flag' },
      h('strong', {}, t(`flag.sev.${sev}`)),
      cats.length ? ` · ${cats.join(', ')}` : '',
      words && words.length ? ` · ${t('flag.matched', { words: words.map((w) => `“${w}”`).join(', ') })}` : ''));
  }

  /** Re-label state lines after a language switch. */
  relabel() {
    for (const li of this.el.querySelectorAll('li[data-state]')) this._setState(li, li.dataset.state);
    for (const li of this.el.querySelectorAll('li.msg--own .msg__who')) li.textContent = t('chat.you');
  }

  _appendOrdered(li, seq) {
    if (typeof seq === 'number') {
      li.dataset.seq = String(seq);
      // Replays arrive in order; this only matters if a live message overtook a replayed one.
      const after = [...this.el.querySelectorAll('li[data-seq]')].find((n) => Number(n.dataset.seq) > seq);
      if (after) {
        this.el.insertBefore(li, after);
        return;
      }
    }
    this.el.appendChild(li);
    scrollToEnd(this._scroller(), true);
  }

  _item({ own, who, role, text, ts, state }) {
    const li = h('li', { class: `msg ${own ? 'msg--own' : `msg--${role || 'peer'}`}`, testid: 'message' },
      h('div', { class: 'msg__meta' },
        h('span', { class: 'msg__who' }, who),
        ' ',
        h('time', {}, fmtClock(ts))),
      h('p', { class: 'msg__text' }, String(text ?? '')));
    if (own) {
      li.appendChild(h('p', { class: 'msg__status', testid: 'message-status' }));
      this._setState(li, state);
    }
    return li;
  }

  _setState(li, state, detail) {
    li.dataset.state = state;
    const key = { sending: 'chat.sending', delivered: 'chat.delivered', queued: 'chat.offlinequeued', failed: 'chat.failed' }[state];
    const node = li.querySelector('.msg__status');
    if (node) node.textContent = detail ? `${t(key)} — ${detail}` : t(key);
  }
}

/** Throttle for typing frames: at most one every `ms`. */
export function typingThrottle(send, ms = 3000) {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    send();
  };
}

/** A "… is typing" line that hides itself a few seconds after the last typing frame. */
export class TypingIndicator {
  constructor(el) {
    this.el = el;
    this.timer = null;
  }

  show(alias) {
    this.el.textContent = t('chat.typing', { alias });
    this.el.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), 5000);
  }

  hide() {
    clearTimeout(this.timer);
    this.el.hidden = true;
    this.el.textContent = '';
  }
}
