// Staff: the accounts (add, role, level, department, languages, trained, disable, reset the
// password, remove) and the departments, through /api/admin/staff and /api/admin/departments.
// A helper takes no chats until marked trained; the server enforces it, the page says it.

import { h, fill, show } from './dom.js';
import { t, lang, applyI18n } from './i18n.js';
import { api, problem } from './admin-api.js';

const tx = (tag, key, attrs = {}) => h(tag, { ...attrs, 'data-i18n': key }, t(key));
const LANGS = ['zh', 'en'];

export function mountStaff(root, ctx) {
  let staff = [];
  let departments = [];
  const list = h('ul', { class: 'staff-list', testid: 'staff-list' });
  const deptList = h('ul', { class: 'dept-list', testid: 'dept-list' });
  const addError = h('p', { class: 'error', role: 'alert', testid: 'staff-add-error', hidden: true });
  const deptError = h('p', { class: 'error', role: 'alert', testid: 'dept-error', hidden: true });

  // ---------- the add form ----------
  const f = {
    username: h('input', { id: 'sa-username', type: 'text', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '32', testid: 'staff-username' }),
    role: h('select', { id: 'sa-role', testid: 'staff-role' }),
    level: h('select', { id: 'sa-level', testid: 'staff-level' }),
    department: h('select', { id: 'sa-department', testid: 'staff-department' }),
    alias: h('input', { id: 'sa-alias', type: 'text', maxlength: '40', autocomplete: 'off', testid: 'staff-alias' }),
    password: h('input', { id: 'sa-password', type: 'password', required: true, minlength: '8', autocomplete: 'new-password', testid: 'staff-password' }),
    trained: h('input', { id: 'sa-trained', type: 'checkbox', testid: 'staff-trained' }),
    langs: LANGS.map((code) => h('input', { type: 'checkbox', value: code, checked: true, testid: `staff-lang-${code}` })),
  };
  const levelRow = h('div', { class: 'field' }, tx('label', 'adm.staff.level', { for: 'sa-level' }), f.level);
  const deptRow = h('div', { class: 'field' }, tx('label', 'adm.staff.department', { for: 'sa-department' }), f.department);
  const trainedRow = h('label', { class: 'check' }, f.trained, tx('span', 'adm.staff.trained'));
  const form = h('form', { class: 'card staff-form', novalidate: true, testid: 'staff-add' },
    tx('h2', 'adm.staff.add', { class: 'admin-sub' }),
    h('div', { class: 'form-grid' },
      h('div', { class: 'field' }, tx('label', 'adm.staff.username', { for: 'sa-username' }), f.username),
      h('div', { class: 'field' }, tx('label', 'adm.staff.role', { for: 'sa-role' }), f.role),
      levelRow, deptRow,
      h('div', { class: 'field' }, tx('label', 'adm.staff.alias', { for: 'sa-alias' }), f.alias),
      h('div', { class: 'field' }, tx('label', 'adm.staff.password', { for: 'sa-password' }), f.password)),
    h('fieldset', { class: 'checks' }, tx('legend', 'adm.staff.languages'),
      f.langs.map((box) => h('label', { class: 'check' }, box, h('span', {}, box.value === 'zh' ? '中文' : 'English')))),
    trainedRow, addError,
    tx('button', 'adm.staff.addbtn', { type: 'submit', class: 'btn btn--primary', testid: 'staff-add-submit' }));

  function fillSelects() {
    fill(f.role, ['helper', 'counselor', 'admin'].map((r) => h('option', { value: r }, t(`adm.role.${r}`))));
    fill(f.level, ['centre', 'department'].map((l) => h('option', { value: l }, t(`adm.level.${l}`))));
    fillDepartments(f.department);
  }

  function fillDepartments(select, chosen) {
    fill(select, h('option', { value: '' }, t('adm.staff.nodept')),
      departments.map((d) => h('option', { value: d.id, selected: d.id === chosen }, deptName(d))));
  }

  function deptName(d) {
    return (d.name && (d.name[lang()] || d.name.en || d.name.zh)) || d.id;
  }

  function adjustForm() {
    const counselor = f.role.value === 'counselor';
    show(levelRow, counselor);
    show(deptRow, counselor && f.level.value === 'department');
    show(trainedRow, f.role.value === 'helper');
  }
  f.role.addEventListener('change', adjustForm);
  f.level.addEventListener('change', adjustForm);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    show(addError, false);
    const body = {
      username: f.username.value.trim().toLowerCase(), role: f.role.value, password: f.password.value,
      languages: f.langs.filter((b) => b.checked).map((b) => b.value),
    };
    if (f.alias.value.trim()) body.alias = f.alias.value.trim();
    if (body.role === 'counselor') {
      body.level = f.level.value;
      if (body.level === 'department') body.department = f.department.value;
    }
    if (body.role === 'helper') body.trained = f.trained.checked;
    const res = await api('POST', '/api/admin/staff', body);
    if (!res.ok) {
      addError.textContent = `${t('adm.staff.addfailed')} ${problem(res)}`;
      show(addError, true);
      return;
    }
    f.username.value = ''; f.password.value = ''; f.alias.value = ''; f.trained.checked = false;
    ctx.status(t('adm.staff.added', { name: body.username }));
    await load();
  });

  // ---------- one account ----------
  function row(s) {
    const status = h('p', { class: 'error', role: 'alert', hidden: true });
    const say = (text) => { status.textContent = text; show(status, !!text); };
    async function patch(changes, done) {
      const res = await api('PATCH', `/api/admin/staff/${encodeURIComponent(s.username)}`, changes);
      if (!res.ok) { say(`${t('adm.failed')} ${problem(res)}`); return; }
      ctx.status(done);
      await load();
    }
    const badges = h('span', { class: 'badges' },
      h('span', { class: 'badge' }, t(`adm.role.${s.role}`)),
      s.role === 'counselor' ? h('span', { class: 'badge' }, t(`adm.level.${s.level || 'centre'}`) + (s.department ? ` · ${deptLabel(s.department)}` : '')) : null,
      s.role === 'helper' ? h('span', { class: `badge ${s.trained ? 'badge--ok' : 'badge--warn'}`, testid: 'badge-trained' }, t(s.trained ? 'adm.staff.istrained' : 'adm.staff.untrained')) : null,
      s.disabled ? h('span', { class: 'badge badge--crisis', testid: 'badge-disabled' }, t('adm.staff.isdisabled')) : null,
      s.second_factor ? h('span', { class: 'badge' }, t('adm.staff.2fa')) : null,
      (s.languages || []).length ? h('span', { class: 'badge' }, s.languages.map((l) => (l === 'zh' ? '中文' : 'EN')).join(' ')) : null);

    // Editing role, level, department, languages.
    const role = h('select', { 'aria-label': t('adm.staff.role'), testid: 'edit-role' }, ['helper', 'counselor', 'admin'].map((r) => h('option', { value: r, selected: r === s.role }, t(`adm.role.${r}`))));
    const level = h('select', { 'aria-label': t('adm.staff.level'), testid: 'edit-level' }, ['centre', 'department'].map((l) => h('option', { value: l, selected: l === (s.level || 'centre') }, t(`adm.level.${l}`))));
    const dept = h('select', { 'aria-label': t('adm.staff.department'), testid: 'edit-department' });
    fillDepartments(dept, s.department);
    const langs = LANGS.map((code) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: code, checked: (s.languages || []).includes(code) }), h('span', {}, code === 'zh' ? '中文' : 'English')));
    const editForm = h('form', { class: 'staff-edit', novalidate: true, hidden: true, testid: 'edit-form' },
      role, level, dept, h('span', { class: 'checks' }, langs),
      tx('button', 'adm.save', { type: 'submit', class: 'btn btn--primary btn--small', testid: 'edit-save' }));
    editForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const changes = { role: role.value, languages: langs.map((l) => l.querySelector('input')).filter((b) => b.checked).map((b) => b.value) };
      if (role.value === 'counselor') {
        changes.level = level.value;
        changes.department = level.value === 'department' ? dept.value : null;
      }
      patch(changes, t('adm.staff.saved', { name: s.username }));
    });

    // Resetting the password.
    const pw = h('input', { type: 'password', minlength: '8', autocomplete: 'new-password', 'aria-label': t('adm.staff.newpassword'), testid: 'reset-password-input' });
    const pwForm = h('form', { class: 'staff-edit', novalidate: true, hidden: true, testid: 'reset-form' },
      pw, tx('button', 'adm.staff.setpassword', { type: 'submit', class: 'btn btn--primary btn--small', testid: 'reset-save' }),
      tx('p', 'adm.staff.resethint', { class: 'hint' }));
    pwForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const res = await api('POST', `/api/admin/staff/${encodeURIComponent(s.username)}/password`, { password: pw.value });
      pw.value = '';
      if (!res.ok) { say(`${t('adm.failed')} ${problem(res)}`); return; }
      show(pwForm, false);
      ctx.status(t('adm.staff.passwordset', { name: s.username }));
    });

    let confirming = false;
    const remove = tx('button', 'adm.staff.remove', { type: 'button', class: 'btn btn--danger btn--small', testid: 'staff-remove' });
    remove.addEventListener('click', async () => {
      if (!confirming) {
        confirming = true;
        remove.textContent = t('adm.staff.removeconfirm', { name: s.username });
        return;
      }
      const res = await api('DELETE', `/api/admin/staff/${encodeURIComponent(s.username)}`);
      if (!res.ok) { say(`${t('adm.failed')} ${problem(res)}`); return; }
      ctx.status(t('adm.staff.removed', { name: s.username }));
      await load();
    });

    const actions = h('div', { class: 'inline-actions' },
      s.role === 'helper' ? h('button', { type: 'button', class: 'btn btn--small', testid: 'staff-train', onclick: () => patch({ trained: !s.trained }, t(s.trained ? 'adm.staff.untrainedset' : 'adm.staff.trainedset', { name: s.username })) }, t(s.trained ? 'adm.staff.marknottrained' : 'adm.staff.marktrained')) : null,
      h('button', { type: 'button', class: 'btn btn--small', testid: 'staff-disable', onclick: () => patch({ disabled: !s.disabled }, t(s.disabled ? 'adm.staff.enabled' : 'adm.staff.disabled', { name: s.username })) }, t(s.disabled ? 'adm.staff.enable' : 'adm.staff.disable')),
      h('button', { type: 'button', class: 'btn btn--small', testid: 'staff-edit', 'aria-expanded': 'false', onclick: (e) => { show(editForm, editForm.hidden); e.currentTarget.setAttribute('aria-expanded', String(!editForm.hidden)); } }, t('adm.staff.edit')),
      h('button', { type: 'button', class: 'btn btn--small', testid: 'staff-reset', onclick: () => { show(pwForm, pwForm.hidden); if (!pwForm.hidden) pw.focus(); } }, t('adm.staff.reset')),
      remove);
    return h('li', { class: 'staff card', 'data-username': s.username, testid: `staff-${s.username}` },
      h('div', { class: 'staff__head' }, h('strong', { class: 'staff__name' }, s.username), h('span', { class: 'hint' }, s.alias || ''), badges),
      actions, editForm, pwForm, status);
  }

  function deptLabel(id) {
    const d = departments.find((x) => x.id === id);
    return d ? deptName(d) : id;
  }

  // ---------- departments ----------
  const dId = h('input', { id: 'dept-id', type: 'text', maxlength: '32', autocapitalize: 'none', spellcheck: 'false', testid: 'dept-id' });
  const dZh = h('input', { id: 'dept-zh', type: 'text', maxlength: '80', lang: 'zh', testid: 'dept-zh' });
  const dEn = h('input', { id: 'dept-en', type: 'text', maxlength: '80', lang: 'en', testid: 'dept-en' });
  const deptForm = h('form', { class: 'dept-form', novalidate: true, testid: 'dept-add' },
    h('div', { class: 'field' }, tx('label', 'adm.dept.id', { for: 'dept-id' }), dId),
    h('div', { class: 'field' }, tx('label', 'adm.dept.zh', { for: 'dept-zh' }), dZh),
    h('div', { class: 'field' }, tx('label', 'adm.dept.en', { for: 'dept-en' }), dEn),
    tx('button', 'adm.dept.add', { type: 'submit', class: 'btn btn--small', testid: 'dept-add-submit' }));
  deptForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    show(deptError, false);
    const res = await api('POST', '/api/admin/departments', { id: dId.value.trim().toLowerCase(), name: { zh: dZh.value.trim(), en: dEn.value.trim() } });
    if (!res.ok) { deptError.textContent = `${t('adm.failed')} ${problem(res)}`; show(deptError, true); return; }
    dId.value = ''; dZh.value = ''; dEn.value = '';
    await load();
  });

  function drawDepartments() {
    fill(deptList, departments.length === 0 ? tx('li', 'adm.dept.none', { class: 'empty' })
      : departments.map((d) => h('li', { class: 'dept', testid: `dept-${d.id}` },
        h('span', {}, `${d.id} · ${d.name.zh || ''} / ${d.name.en || ''}`),
        h('button', { type: 'button', class: 'btn btn--danger btn--small', onclick: async () => {
          const res = await api('DELETE', `/api/admin/departments/${encodeURIComponent(d.id)}`);
          if (!res.ok) { deptError.textContent = `${t('adm.failed')} ${problem(res)}`; show(deptError, true); return; }
          await load();
        } }, t('adm.dept.remove')))));
  }

  fill(root,
    h('div', { class: 'admin-head' }, tx('h1', 'adm.staff.title', { id: 'staff-title', tabindex: '-1' })),
    tx('p', 'adm.staff.lead', { class: 'hint' }),
    h('div', { class: 'staff-layout' },
      h('div', {}, list),
      h('div', {}, form,
        h('div', { class: 'card' }, tx('h2', 'adm.dept.title', { class: 'admin-sub' }), tx('p', 'adm.dept.lead', { class: 'hint' }), deptList, deptForm, deptError))));

  async function load() {
    const [s, d] = await Promise.all([api('GET', '/api/admin/staff'), api('GET', '/api/departments')]);
    if (d.ok) departments = d.data.items || [];
    if (!s.ok) { if (s.status !== 401) ctx.status(t('adm.loadfailed'), 'error'); return; }
    staff = s.data.items || [];
    draw();
  }

  function draw() {
    const chosenRole = f.role.value;
    fillSelects();
    if (chosenRole) f.role.value = chosenRole;
    adjustForm();
    fill(list, staff.length === 0 ? tx('li', 'adm.staff.none', { class: 'empty' }) : staff.map(row));
    drawDepartments();
  }

  fillSelects();
  adjustForm();
  return {
    show: load,
    hide() {},
    live() {},
    relabel() { applyI18n(root); draw(); },
  };
}
