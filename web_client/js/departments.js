// The seeker's optional department (院系) on the start page (issue 19). "Prefer not to say"
// comes first and is the default; the line under the choice says who can see it. The field
// appears only when the centre has defined departments (GET /api/departments).

import { $, h, fill, show } from './dom.js';
import { addStrings, lang, onLangChange } from './i18n.js';

addStrings({
  en: {
    'form.department': 'Your faculty or department (optional)',
    'form.department.none': 'Prefer not to say',
    'form.department.hint': 'Who sees this: if a counselor is called to your chat, your ' +
      'department’s counselor may be the first to come. In statistics it is only counted in ' +
      'groups of at least 5 people, so it never points to you.',
  },
  zh: {
    'form.department': '你所在的院系（可选）',
    'form.department.none': '不想说',
    'form.department.hint': '谁能看到：如果需要请咨询师加入对话，可能会先由你所在院系的' +
      '老师来；在统计中，只有满 5 人的组才会被计入，所以不会指向你本人。',
  },
});

let items = [];

async function load() {
  try {
    const res = await fetch('/api/departments', { headers: { Accept: 'application/json' },
                                                  cache: 'no-store' });
    if (!res.ok) return;
    items = (await res.json()).items || [];
  } catch {
    return; // offline: the field stays hidden and the request goes without it
  }
  render();
}

function render() {
  const select = $('#department');
  const field = $('#department-field');
  if (!select || !field) return;
  const chosen = select.value;
  const none = select.querySelector('option[value=""]');
  const code = lang();
  fill(select, none, ...items.map((item) => h('option', { value: item.id },
    (item.name && (item.name[code] || item.name.en || item.name.zh)) || item.id)));
  select.value = items.some((item) => item.id === chosen) ? chosen : '';
  show(field, items.length > 0);
}

/** The department the seeker chose, or null ("prefer not to say", or none defined). */
export function chosenDepartment() {
  const select = $('#department');
  return select && select.value ? select.value : null;
}

export function startDepartments() {
  onLangChange(render);
  load();
}
