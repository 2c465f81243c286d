// "How do you feel?" 1–5, asked before a chat (sent on `request`) and after it (on `feedback`).
// Both are optional and only counted, never kept with the conversation (issue 19).

import { addStrings, t } from './i18n.js';
import { $, fill, h } from './dom.js';

addStrings({
  en: {
    'mood.before': 'How do you feel right now? (optional)',
    'mood.after': 'And your mood now, from 1 to 5?',
    'mood.counted': 'Only counted, anonymously, to see if chats help. Never kept with your chat.',
    'mood.1': 'Very low', 'mood.2': 'Low', 'mood.3': 'Okay', 'mood.4': 'Good', 'mood.5': 'Very good',
  },
  zh: {
    'mood.before': '你现在感觉怎么样？（可选）',
    'mood.after': '现在的心情，1 到 5 分？',
    'mood.counted': '只做匿名统计，用来了解聊天是否有帮助；不会和你的聊天记录放在一起。',
    'mood.1': '很低落', 'mood.2': '有点低落', 'mood.3': '还行', 'mood.4': '不错', 'mood.5': '很好',
  },
});

/** Fill `#<boxId>` with five radio choices named `name` (test ids `<name>-1`…); keeps what
 * was chosen when called again (a language change). */
export function buildMoods(boxId, name) {
  const box = $(`#${boxId}`);
  const chosen = chosenMood(name);
  fill(box, [1, 2, 3, 4, 5].map((n) => h('label', { class: `choice choice--mood mood-${n}` },
    h('input', { type: 'radio', name, value: String(n), testid: `${name}-${n}`, checked: chosen === n }),
    h('span', {}, `${n} · ${t(`mood.${n}`)}`))));
}

/** The chosen mood (1–5), or null. */
export function chosenMood(name) {
  const input = document.querySelector(`input[name="${name}"]:checked`);
  return input ? Number(input.value) : null;
}

export function clearMood(name) {
  for (const input of document.querySelectorAll(`input[name="${name}"]`)) input.checked = false;
}
