// The WebSocket client shared by the three pages: hello/welcome, reconnect with capped
// exponential backoff and jitter, an application keepalive (ping/pong), and an outbox for
// frames that must arrive exactly once (chat messages).
//
// Exactly once, not at least once: a `say` stays in the outbox until the server answers its
// `ref` (ack or error). After a reconnect the outbox is flushed only once the replay of missed
// messages is over (we send a `ping` after `welcome` and wait for its `pong`, which the server
// sends after the replay). Before the flush the page gets `reconcile`, where it drops every
// pending `say` the replay showed was already stored (ack lost with the old socket). The
// refs stay the same on re-send, so a server that remembers refs can also drop duplicates.

import { solveProof } from './proof.js';

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;
const PING_EVERY_MS = 20000;
const PONG_TIMEOUT_MS = 10000;
const SYNC_TIMEOUT_MS = 3000;
// A message not acknowledged this long after it was sent means the socket is dead even if the
// browser has not noticed yet: reconnect (and resume) instead of waiting for the keepalive.
const ACK_TIMEOUT_MS = 10000;
// The longest pause between re-sends of a message Redis could not take (`unavailable`).
const UNAVAILABLE_MAX_MS = 8000;

let refCounter = 0;

/** A ref unique across reloads of the page (the outbox may outlive one page load). */
export function newRef(prefix = 'c') {
  refCounter += 1;
  const rnd = Math.random().toString(36).slice(2, 7);
  return `${prefix}${Date.now().toString(36)}${rnd}${refCounter}`;
}

export function wsUrl(path = '/ws') {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

export class Connection {
  /**
   * @param {object} opts
   * @param {() => object} opts.hello      builds the hello frame (called on every connect)
   * @param {(frame: object) => void} opts.onFrame  every server frame except pong
   * @param {(state: string, detail?: object) => void} [opts.onState]
   *        'connecting' | 'online' | 'offline' (will retry) | 'unauthorized' | 'replaced' | 'stopped'
   * @param {(outbox: Map) => void} [opts.reconcile]  called before the outbox is re-sent
   * @param {(outbox: Map) => void} [opts.onOutbox]   called whenever the outbox changes
   */
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.welcomed = false;
    this.stopped = true;
    this.attempt = 0;
    this.outbox = new Map(); // ref -> frame, in insertion order
    this.sentAt = new Map(); // ref -> when it was last written to a socket
    this.refusals = new Map(); // ref -> `unavailable` answers so far (the retry's backoff)
    this.written = new WeakSet(); // frames written at least once (a second write is a re-send)
    this.later = []; // frames to send once, when next online
    this.waiters = new Map(); // ref -> {resolve, timer}
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongDeadline = null;
    this.syncRef = null;
    this.syncTimer = null;
    this.gotUnauthorized = false;
    this.solving = false; // a proof-of-work is being solved for the server (see _answerProof)
    this.proof = null; // a solved proof whose connection closed before it could be sent
    this._wake = () => this.reconnectNow();
    // The browser knows the network is gone before TCP does: drop the socket at once, so
    // messages written now are queued (and shown so) instead of vanishing into a dead socket.
    this._lost = () => {
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
        try { this.ws.close(4002); } catch { /* ignore */ }
        this._closed(this.ws, { code: 4002 });
      }
    };
  }

  get online() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN && this.welcomed;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this._wake);
    window.addEventListener('offline', this._lost);
    this._open();
  }

  /** Close for good (logout, quick exit). */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this._wake);
    window.removeEventListener('offline', this._lost);
    clearTimeout(this.retryTimer);
    this._stopTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try { ws.close(1000); } catch { /* already closed */ }
    }
    this.welcomed = false;
    this._state('stopped');
  }

  /** Skip the rest of the backoff (the browser says the network is back, or the user asked). */
  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.retryTimer);
    this._open();
  }

  /** Best effort: sent now if online, dropped otherwise (typing, ping). */
  send(frame) {
    if (!this.online) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** At most once: sent now if online, else once after the next welcome. */
  queue(frame) {
    if (this.online) this.ws.send(JSON.stringify(frame));
    else this.later.push(frame);
  }

  /** Exactly once (with the server's help): kept until a reply carries its ref. */
  sendReliable(frame) {
    if (!frame.ref) frame.ref = newRef();
    this.outbox.set(frame.ref, frame);
    this._outboxChanged();
    if (this.online && !this.syncRef) this._write(frame);
    return frame.ref;
  }

  /** Forget a pending frame (the page learnt it was stored after all). */
  settle(ref) {
    this.sentAt.delete(ref);
    this.refusals.delete(ref);
    if (this.outbox.delete(ref)) this._outboxChanged();
  }

  _write(frame) {
    // A re-send says so: the server then stores a `say` it already has (same ref and text) once.
    if (this.written.has(frame)) frame.resend = true;
    this.written.add(frame);
    this.ws.send(JSON.stringify(frame));
    if (frame.ref) this.sentAt.set(frame.ref, Date.now());
  }

  /** Send with a ref and resolve with the first reply carrying it (or null after timeout). */
  request(frame, timeoutMs = 10000) {
    if (!frame.ref) frame.ref = newRef('r');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(frame.ref);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(frame.ref, { resolve, timer });
      this.queue(frame);
    });
  }

  /**
   * How long to wait before sending a refused frame again, or null if its refusal is final.
   * `rate_limited`: after a second. `unavailable`: Redis is failing over, restarting or not
   * confirming the write (docs/protocol.md); the message may be stored already, and the
   * re-send (marked `resend`) is stored once: try again after 0.5, 1, 2, 4, 8, 8… s, with
   * jitter so that many browsers do not all come back at once. The message stays "sending".
   */
  _retryDelay(code, ref) {
    if (code === 'rate_limited') return 1000;
    if (code !== 'unavailable') return null;
    const n = (this.refusals.get(ref) || 0) + 1;
    this.refusals.set(ref, n);
    const base = Math.min(UNAVAILABLE_MAX_MS, MIN_DELAY_MS * 2 ** (n - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  _outboxChanged() {
    if (this.opts.onOutbox) this.opts.onOutbox(this.outbox);
  }

  _state(state, detail) {
    if (this.opts.onState) this.opts.onState(state, detail);
  }

  _open() {
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(wsUrl(), ['peerline.v1.json']);
    } catch {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    this.welcomed = false;
    this.gotUnauthorized = false;
    this._state('connecting');
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const hello = this.opts.hello();
      // A proof solved after its connection closed is still good on this process for a while:
      // offer it at once rather than solving again.
      if (this.proof) hello.proof = this.proof;
      this.proof = null;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === 'string') this._handle(frame);
    };
    ws.onclose = (event) => this._closed(ws, event);
    ws.onerror = () => { /* onclose follows */ };
  }

  _closed(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    this._stopTimers();
    if (this.stopped) return;
    if (event.code === 4000) {
      // Replaced by a newer connection of the same person (another tab): do not fight it.
      this.stopped = true;
      this._state('replaced');
      return;
    }
    if (event.code === 1008 && (this.solving || this.proof) && !this.gotUnauthorized) {
      // The hello deadline ran out while solving: the proof goes with the next connection,
      // opened now if it is solved, else by _answerProof as soon as it is.
      this._state('connecting');
      if (this.proof) this._open();
      return;
    }
    if (event.code === 1008 && (this.gotUnauthorized || !wasWelcomed)) {
      this.stopped = true;
      this._state('unauthorized', { code: event.code, welcomed: wasWelcomed });
      return;
    }
    this._state('offline', { code: event.code });
    this._scheduleRetry();
  }

  _scheduleRetry() {
    clearTimeout(this.retryTimer);
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this._open(), delay);
  }

  _answerProof(frame) {
    const ws = this.ws;
    this.solving = true;
    solveProof(String(frame.challenge), Number(frame.bits)).then((nonce) => {
      this.solving = false;
      const proof = { challenge: frame.challenge, nonce };
      if (this.stopped) return;
      // Kept until welcomed: if the server closes this socket before reading it (the hello
      // deadline), the next connection offers it again.
      this.proof = proof;
      if (this.ws === ws && ws.readyState === WebSocket.OPEN) {
        if (!this.welcomed) ws.send(JSON.stringify({ ...this.opts.hello(), proof }));
        return;
      }
      if (this.ws === null) this._open();
    });
  }

  _handle(frame) {
    if (frame.type === 'welcome') {
      this.welcomed = true;
      this.proof = null;
      this.attempt = 0;
      this._startPing();
      this._state('online');
      this.opts.onFrame(frame);
      this._beginSync();
      return;
    }
    if (frame.type === 'pong') {
      this.pongDeadline = null;
      if (frame.ref && frame.ref === this.syncRef) this._endSync();
      return;
    }
    if (frame.type === 'error' && frame.code === 'proof_required' && !this.welcomed) {
      // Many new visitors at once: answer the server's small puzzle, then say hello again on
      // the same connection (docs/protocol.md, "New identities").
      this._answerProof(frame);
      return;
    }
    if (frame.type === 'error' && frame.code === 'unauthorized') this.gotUnauthorized = true;
    if (frame.ref) {
      const pending = this.outbox.get(frame.ref);
      if (pending) {
        const wait = frame.type === 'error' ? this._retryDelay(frame.code, frame.ref) : null;
        if (wait !== null) {
          this.sentAt.delete(frame.ref); // answered: the socket is alive, no ack timeout now
          setTimeout(() => {
            if (this.online && this.outbox.has(frame.ref)) this._write(pending);
          }, wait);
          return;
        }
        this.outbox.delete(frame.ref);
        this.sentAt.delete(frame.ref);
        this.refusals.delete(frame.ref);
        this._outboxChanged();
      }
      const waiter = this.waiters.get(frame.ref);
      if (waiter) {
        clearTimeout(waiter.timer);
        this.waiters.delete(frame.ref);
        waiter.resolve(frame);
      }
    }
    this.opts.onFrame(frame);
  }

  // After welcome the server replays what we missed; the pong to this ping comes after it.
  _beginSync() {
    this.syncRef = newRef('sync');
    this.ws.send(JSON.stringify({ type: 'ping', ref: this.syncRef }));
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => this._endSync(), SYNC_TIMEOUT_MS);
  }

  _endSync() {
    if (!this.syncRef) return;
    this.syncRef = null;
    clearTimeout(this.syncTimer);
    if (!this.online) return;
    if (this.opts.reconcile) this.opts.reconcile(this.outbox);
    for (const frame of this.outbox.values()) this._write(frame);
    const later = this.later;
    this.later = [];
    for (const frame of later) this.ws.send(JSON.stringify(frame));
  }

  _startPing() {
    this._stopTimers();
    this.ackTimer = setInterval(() => {
      if (!this.online || this.syncRef) return;
      const now = Date.now();
      for (const at of this.sentAt.values()) {
        if (now - at > ACK_TIMEOUT_MS) {
          this.sentAt.clear();
          try { this.ws.close(4003); } catch { /* ignore */ }
          return;
        }
      }
    }, 2000);
    this.pingTimer = setInterval(() => {
      if (!this.online) return;
      if (this.pongDeadline && Date.now() > this.pongDeadline) {
        // The socket looks open but nothing comes back: drop it and reconnect.
        try { this.ws.close(4001); } catch { /* ignore */ }
        return;
      }
      if (!this.pongDeadline) this.pongDeadline = Date.now() + PONG_TIMEOUT_MS;
      this.ws.send(JSON.stringify({ type: 'ping', ref: newRef('k') }));
    }, PING_EVERY_MS);
  }

  _stopTimers() {
    clearInterval(this.pingTimer);
    clearInterval(this.ackTimer);
    clearTimeout(this.syncTimer);
    this.pingTimer = null;
    this.pongDeadline = null;
    this.syncRef = null;
  }
}
