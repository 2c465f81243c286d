// A staff member's conversations: a tab each (unread count, severity, ended), one pane that
// shows the selected one's head, messages and composer.

import { cardNode } from './cards.js';
import { $, h, fill, show } from './dom.js';
import { t } from './i18n.js';
import { newRef } from './ws.js';
import { MessageList, TypingIndicator, typingThrottle } from './chat.js';
import { TitleFlasher } from './alerting.js';

const MAX_CHARS = 2000;

export const title = new TitleFlasher();

/** The conversations of one staff member: a tab each, one pane showing the selected one. */
export class Sessions {
  constructor(app, cfg) {
    this.app = app;
    this.cfg = cfg;
    this.map = new Map();
    this.currentId = null;
    this.typing = new TypingIndicator($('#typing'));
    this.refs = new Map(); // say ref -> session id
    $('#composer-form').addEventListener('submit', (e) => this.send(e));
    $('#composer').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        $('#composer-form').requestSubmit();
      }
    });
    const sendTyping = typingThrottle(() => {
      const s = this.current;
      // Writing a whisper tells nobody: a `typing` would reach the student.
      if (cfg.quietTyping && cfg.quietTyping(s)) return;
      if (s && !s.ended && app.conn) app.conn.send({ type: 'typing', session: s.id });
    });
    $('#composer').addEventListener('input', sendTyping);
    // Keyboard: arrow keys move between tabs (WAI-ARIA tabs pattern).
    $('#tabs').addEventListener('keydown', (e) => {
      if (!['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
      const tabs = [...$('#tabs').querySelectorAll('[role="tab"]')];
      const i = tabs.indexOf(document.activeElement);
      if (i < 0) return;
      e.preventDefault();
      let j = i;
      if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = tabs.length - 1;
      else j = (i + (e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
      tabs[j].focus();
      this.select(tabs[j].dataset.session);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.current) this._read(this.current);
    });
    this.renderEmpty();
  }

  get current() {
    return this.map.get(this.currentId) || null;
  }

  lastSeen() {
    const out = {};
    for (const s of this.map.values()) if (s.list.lastId && !s.ended) out[s.id] = s.list.lastId;
    return out;
  }

  markOnline(online) {
    for (const s of this.map.values()) s.list.markOnline(online);
  }

  /** Create (or update) a conversation. info: {alias, topic, lang, note, state}. */
  ensure(id, info = {}) {
    let s = this.map.get(id);
    const created = !s;
    if (!s) {
      s = {
        id,
        alias: null,
        peers: {}, // role -> alias of the others in the conversation
        topic: null,
        lang: null,
        note: null,
        unread: 0,
        ended: false,
        endedText: '',
        draft: '',
        data: {},
        list: new MessageList({
          ownRole: this.app.role,
          ownAlias: () => this.app.alias,
          label: '',
          onSettled: (ref) => this.app.conn && this.app.conn.settle(ref),
        }),
      };
      s.tab = h('button', {
        type: 'button',
        class: 'tab',
        role: 'tab',
        testid: 'session',
        'aria-selected': 'false',
        'aria-controls': 'pane',
        tabindex: '-1',
        dataset: { session: id },
        onclick: () => this.select(id),
      });
      s.li = h('li', { role: 'presentation' }, s.tab);
      this.map.set(id, s);
      $('#tabs').appendChild(s.li);
    }
    for (const key of ['alias', 'topic', 'lang', 'note']) if (info[key]) s[key] = info[key];
    if (Array.isArray(info.peers)) {
      s.peers = Object.fromEntries(info.peers.filter((p) => p.alias).map((p) => [p.role, p.alias]));
      if (s.peers.seeker) s.alias = s.peers.seeker;
    }
    this.renderTab(s);
    if (created) {
      show($('#no-sessions'), false);
      if (!this.currentId || (this.current && this.current.ended)) this.select(id);
    }
    if (s.id === this.currentId) this.renderHead();
    return s;
  }

  remove(id) {
    const s = this.map.get(id);
    if (!s) return;
    s.li.remove();
    this.map.delete(id);
    if (this.currentId === id) {
      this.currentId = null;
      const next = [...this.map.keys()].pop();
      if (next) this.select(next);
      else this.renderEmpty();
    }
    show($('#no-sessions'), this.map.size === 0);
    this.updateTitle();
  }

  select(id) {
    const s = this.map.get(id);
    if (!s) return;
    const prev = this.current;
    if (prev) prev.draft = $('#composer').value;
    this.currentId = id;
    for (const other of this.map.values()) {
      other.tab.setAttribute('aria-selected', String(other.id === id));
      other.tab.tabIndex = other.id === id ? 0 : -1;
    }
    fill($('#scroll'), s.list.el);
    $('#scroll').scrollTop = $('#scroll').scrollHeight;
    $('#composer').value = s.draft;
    this.typing.hide();
    show($('#pane-empty'), false);
    show($('#pane-body'), true);
    this.renderHead();
    this._read(s);
  }

  renderEmpty() {
    show($('#pane-empty'), true);
    show($('#pane-body'), false);
    $('#pane-empty').textContent = t('staff.nosession');
  }

  renderTab(s) {
    const sub = [s.topic ? t(`topic.${s.topic}`) : null, s.ended ? t('staff.ended') : null]
      .filter(Boolean).join(' · ');
    fill(s.tab,
      h('span', { class: 'tab__name' }, s.alias || s.id.slice(0, 6)),
      s.unread ? h('span', { class: 'tab__badge', testid: 'unread', 'aria-label': t('staff.unread', { n: s.unread }) }, String(s.unread)) : null,
      sub ? h('span', { class: 'tab__sub' }, sub) : null);
    s.tab.dataset.severity = String(s.list.maxSeverity || 0);
    s.tab.dataset.ended = String(s.ended);
  }

  renderHead() {
    const s = this.current;
    if (!s) return;
    const info = $('#pane-info');
    fill(info,
      h('p', { class: 'tab__name', testid: 'pane-alias' }, s.alias || ''),
      s.topic ? h('p', { testid: 'pane-topic' }, t('staff.topic', { topic: t(`topic.${s.topic}`) })) : null,
      s.lang ? h('p', {}, t('staff.lang', { lang: s.lang })) : null,
      s.note ? h('p', { class: 'pane__note', testid: 'pane-note' }, t('staff.firstwords', { note: s.note })) : null,
      s.ended ? h('p', { class: 'pane__ended', testid: 'pane-ended' }, s.endedText || t('staff.over')) : null);
    fill($('#pane-actions'), this.cfg.paneActions ? this.cfg.paneActions(s, this.app) : []);
    $('#composer').disabled = s.ended;
    $('#send').disabled = s.ended;
    if (this.cfg.renderPane) this.cfg.renderPane(s, this.app); // staff notes, whisper mode
  }

  relabel() {
    for (const s of this.map.values()) {
      s.list.relabel();
      this.renderTab(s);
    }
    if (this.current) this.renderHead();
    else this.renderEmpty();
  }

  _read(s) {
    if (s.unread) {
      s.unread = 0;
      this.renderTab(s);
    }
    this.updateTitle();
  }

  updateTitle() {
    let n = 0;
    for (const s of this.map.values()) n += s.unread;
    title.setCount(n);
  }

  _bump(s) {
    if (s.id === this.currentId && !document.hidden) return;
    s.unread += 1;
    this.renderTab(s);
    this.updateTitle();
  }

  markEnded(s, text) {
    if (s.ended) return;
    s.ended = true;
    s.endedText = text;
    for (const ref of [...s.list.pending.keys()]) {
      s.list.fail(ref);
      if (this.app.conn) this.app.conn.settle(ref);
    }
    s.list.addSystem(text);
    this.renderTab(s);
    if (s.id === this.currentId) {
      this.renderHead();
      this.typing.hide();
    }
  }

  send(event) {
    event.preventDefault();
    const s = this.current;
    const box = $('#composer');
    const text = box.value.trim();
    if (!s || s.ended || !text || !this.app.conn) return;
    if ([...text].length > MAX_CHARS) {
      s.list.addSystem(t('chat.toolong'), 'error');
      return;
    }
    // A console may take the text itself (a whisper: staff only, never a `say`).
    if (this.cfg.sendHook && this.cfg.sendHook(s, text, this.app)) {
      box.value = '';
      s.draft = '';
      box.focus();
      return;
    }
    const ref = newRef();
    this.refs.set(ref, s.id);
    s.list.addPending(ref, text, !this.app.conn.online);
    this.app.conn.sendReliable({ type: 'say', session: s.id, text, ref });
    box.value = '';
    s.draft = '';
    box.focus();
  }

  onWelcome(f) {
    const known = new Set();
    for (const summary of Array.isArray(f.sessions) ? f.sessions : []) {
      known.add(summary.session);
      const s = this.ensure(summary.session, summary);
      if (summary.state === 'ended') this.markEnded(s, t('staff.over'));
    }
    for (const s of this.map.values()) {
      // A session watched (not joined) is not listed: the console asks to watch it again.
      if (!known.has(s.id) && !s.ended && !s.data.monitoring) this.markEnded(s, t('staff.over'));
    }
  }

  /** Frames about conversations. Returns true when fully handled here. */
  handle(f) {
    const s = f.session ? this.map.get(f.session) : null;
    switch (f.type) {
      case 'message':
        if (!s) return false;
        if (s.list.addMessage(f) && !s.list.isOwn(f)) {
          if (s.id === this.currentId) this.typing.hide();
          this._bump(s);
        }
        return true;
      case 'ack': {
        const sid = this.refs.get(f.ref);
        if (!sid) return false;
        this.refs.delete(f.ref);
        const target = this.map.get(sid);
        if (target) target.list.ack(f);
        return true;
      }
      case 'error': {
        const sid = f.ref && this.refs.get(f.ref);
        if (sid) {
          this.refs.delete(f.ref);
          const target = this.map.get(sid);
          if (target) target.list.fail(f.ref, f.code === 'too_long' ? t('chat.toolong') : (f.detail || f.code));
          if (target && f.code === 'session_ended') this.markEnded(target, t('staff.over'));
          return true;
        }
        return false;
      }
      case 'typing':
        if (s && s.id === this.currentId && f.from !== this.app.role) {
          this.typing.show(f.alias || s.peers[f.from] || t(`chat.${f.from}`));
        }
        return true;
      case 'card': // a library item or a mood summary (cards.js)
        if (!s) return false;
        s.list.el.appendChild(cardNode(f));
        if (f.ref === undefined) this._bump(s);
        return true;
      case 'flag':
        if (!s) return false;
        s.list.applyFlag(f);
        this.renderTab(s);
        return false; // the console may want to react too
      default:
        return false;
    }
  }
}
