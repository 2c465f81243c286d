// Getting a person's attention without any asset: a WebAudio beep, a browser notification
// (permission asked once, from a click), and a flashing tab title.

let audio = null;

/** Call from a user gesture (a click) so the browser lets us play sound later. */
export function unlockAudio() {
  try {
    if (!audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = new Ctx();
    }
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null;
  }
}

/** A soft two-tone chime; `urgent` plays three higher tones. */
export function beep(urgent = false) {
  try {
    unlockAudio();
    if (!audio) return;
    const tones = urgent ? [880, 660, 880] : [660, 880];
    let at = audio.currentTime + 0.01;
    for (const freq of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(urgent ? 0.35 : 0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.25);
      at += 0.28;
    }
  } catch {
    /* sound is a nicety; never break the page for it */
  }
}

/** Ask for notification permission once (only if the browser has not been asked yet). */
export function askNotificationPermission() {
  if (!('Notification' in window) || Notification.permission !== 'default') return;
  try {
    const result = Notification.requestPermission();
    if (result && typeof result.catch === 'function') result.catch(() => {});
  } catch {
    /* old browsers */
  }
}

/** Show a notification with plain text (the browser renders it as text). */
export function notify(title, body, { tag, requireInteraction = false } = {}) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return null;
  try {
    const n = new Notification(title, { body, tag, requireInteraction, silent: true });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    return n;
  } catch {
    return null;
  }
}

/** Flashes the document title between the page's title and `message` until stopped. */
export class TitleFlasher {
  constructor() {
    this.base = document.title;
    this.timer = null;
    this.prefix = '';
  }

  setBase(title) {
    this.base = title;
    if (!this.timer) this._render(false);
  }

  /** A count shown in front of the title, e.g. unread messages: "(3) Peerline". */
  setCount(n) {
    this.prefix = n > 0 ? `(${n}) ` : '';
    if (!this.timer) this._render(false);
  }

  start(message) {
    this.message = message;
    if (this.timer) return;
    let on = false;
    this.timer = setInterval(() => {
      on = !on;
      this._render(on);
    }, 900);
    this._render(true);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this._render(false);
  }

  get flashing() {
    return this.timer !== null;
  }

  _render(alertOn) {
    document.title = alertOn ? `⚠ ${this.message}` : `${this.prefix}${this.base}`;
  }
}
