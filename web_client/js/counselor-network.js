// The school's network in the counselor console (issue 19): where an alert is in its hand-off
// (the seeker's department, the centre, everyone) and whether it was passed up; for a
// department counselor, "Pass up to the centre" on a claimed alert; when the centre takes it
// up, this console goes on watching the conversation.

import { h } from './dom.js';
import { addStrings, t } from './i18n.js';

addStrings({
  en: {
    'network.level.department': 'Paged: the department’s counselors',
    'network.level.centre': 'Paged: the counseling centre',
    'network.level.all': 'Paged: everyone on call',
    'network.department': 'Department: {id}',
    'network.passedup': 'Passed up by the department: {reason}',
    'network.passup': 'Pass up to the centre',
    'network.passup.reason': 'Why the centre should take over',
    'network.passup.send': 'Pass up',
    'network.passup.done': 'Passed up to the counseling centre. You stay with the chat until a centre counselor takes it.',
    'network.takenup': '{alias} from the counseling centre took over. You are now watching (whisper to coach).',
  },
  zh: {
    'network.level.department': '已通知：院系咨询师',
    'network.level.centre': '已通知：心理中心',
    'network.level.all': '已通知：所有值班咨询师',
    'network.department': '院系：{id}',
    'network.passedup': '院系已上报：{reason}',
    'network.passup': '上报心理中心',
    'network.passup.reason': '为什么需要中心接手',
    'network.passup.send': '上报',
    'network.passup.done': '已上报心理中心。在中心咨询师接手前，请继续陪伴。',
    'network.takenup': '心理中心的 {alias} 已接手。你现在处于旁听状态（可以悄悄话指导）。',
  },
});

let me = { level: null, department: null };

/** Remember this counselor's level from a presence frame (welcome or status answer). */
export function notePresence(p) {
  if (p && 'level' in p) me = { level: p.level || null, department: p.department || null };
}

/** Lines for an alert card: its stage, its department, a pass-up reason. */
export function alertMeta(f) {
  const parts = [];
  const level = f.level === undefined ? undefined : f.level || 'all';
  if (level) parts.push(t(`network.level.${level}`));
  if (f.department) parts.push(t('network.department', { id: f.department }));
  const lines = parts.length
    ? [h('p', { class: 'alert__meta', testid: 'alert-level' }, parts.join(' · '))] : [];
  if (f.passed_up) {
    lines.push(h('p', { class: 'alert__meta', testid: 'alert-passed-up' },
      t('network.passedup', { reason: f.pass_reason || '' })));
  }
  return lines;
}

/** "Pass up to the centre" for a department counselor in a session whose alert they hold. */
export function passUpButton(s, app, showForm) {
  if (me.level !== 'department' || !s.data.alert || s.data.resolved || s.data.passedUp) return null;
  return h('button', {
    type: 'button',
    class: 'btn btn--small',
    testid: 'pass-up',
    onclick: () => {
      showForm(passUpForm(s, app, showForm));
      document.getElementById('passup-reason').focus();
    },
  }, t('network.passup'));
}

function passUpForm(s, app, showForm) {
  const reason = h('textarea', { id: 'passup-reason', rows: '2', maxlength: '300', testid: 'passup-reason' });
  const form = h('form', { class: 'resolve-form', testid: 'passup-form', novalidate: true },
    h('label', { for: 'passup-reason' }, t('network.passup.reason')),
    reason,
    h('div', { class: 'inline-actions' },
      h('button', { type: 'submit', class: 'btn btn--primary', testid: 'passup-submit' }, t('network.passup.send')),
      h('button', { type: 'button', class: 'btn btn--quiet', onclick: () => showForm(null) }, t('helper.escalate.cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reply = await app.conn.request({ type: 'pass_up', alert: s.data.alert, reason: reason.value.trim() });
    if (!reply || reply.type === 'error') {
      s.list.addSystem(`${t('chat.failed')}: ${reply ? reply.detail || reply.code : t('conn.offline')}`, 'error');
      return;
    }
    s.data.passedUp = true;
    s.list.addSystem(t('network.passup.done'), 'staff');
    showForm(null);
    app.sessions.renderHead();
  });
  return form;
}

/** The centre took the alert up: this console watches the session from now on. */
export function onTakenUp(f, app) {
  const s = app.sessions.map.get(f.session);
  if (!s) return;
  s.data.monitoring = true;
  s.data.passedUp = true;
  s.list.addSystem(t('network.takenup', { alias: f.alias || '' }), 'staff');
  if (s.id === app.sessions.currentId) app.sessions.renderHead();
}
