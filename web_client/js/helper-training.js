// A helper account not yet marked trained (issue 19): the console says so plainly and keeps
// "available" off, instead of a bare error when the helper ticks it. An admin marks the
// account trained in the operator console (or `peerline staff set NAME --trained`).

import { $, h, show } from './dom.js';
import { addStrings, t } from './i18n.js';

addStrings({
  en: {
    'helper.untrained': 'Your account is not marked as trained yet, so you cannot take ' +
      'chats. The centre marks it once your training is done; then sign in again.',
  },
  zh: {
    'helper.untrained': '你的账号还没有被标记为"已完成培训"，暂时不能接聊天。完成培训后中心会为你' +
      '标记，之后请重新登录。',
  },
});

function banner() {
  let node = $('#untrained');
  if (!node) {
    node = h('p', { id: 'untrained', class: 'banner banner--cooldown', role: 'status',
                    testid: 'untrained', hidden: true });
    const cooldown = $('#cooldown');
    cooldown.parentNode.insertBefore(node, cooldown);
  }
  return node;
}

/** Show or hide the notice; while shown, "available" stays off. */
export function showUntrained(untrained) {
  const node = banner();
  node.textContent = t('helper.untrained');
  show(node, untrained);
  const box = $('#available');
  if (untrained) box.checked = false;
  box.disabled = untrained;
}

/** True when ``frame`` said the account is untrained (and the notice is now shown). */
export function trainingFrame(frame) {
  if (frame.type === 'error' && frame.code === 'not_trained') {
    showUntrained(true);
    return true;
  }
  if (frame.type === 'presence' || frame.type === 'welcome') {
    const p = frame.type === 'welcome' ? frame.presence : frame;
    if (p) showUntrained(p.trained === false);
  }
  return false;
}

export function refreshUntrained() {
  const node = $('#untrained');
  if (node) node.textContent = t('helper.untrained');
}
