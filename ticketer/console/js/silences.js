// silences.js - silences (list, create from a ticket's labels with a
// duration and comment, expire) and the recurring maintenance windows of
// the correlation rules on a week view.
import { get, post } from './api.js';
import { h, mount } from './dom.js';
import { t, dateTime } from './i18n.js';
import { showError, toast } from './ui.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function silencesView(root, params, session) {
  const canEdit = session.may.silences;
  const list = h('div');
  const week = h('div');
  const showAll = h('input', { type: 'checkbox', onchange: load });
  const matchers = h('textarea', { id: 'sil-matchers', name: 'matchers', rows: 4, required: true, placeholder: 'labels.site = ams1\nresource =~ core-.*' });
  const dur = h('select', { id: 'sil-duration', name: 'duration' }, ['30m', '1h', '2h', '4h', '8h', '1d', '7d'].map((d) => h('option', { value: d, selected: d === '2h' }, t(`dur.opt.${d}`))));
  const comment = h('input', { id: 'sil-comment', name: 'comment', type: 'text', required: true });
  const form = canEdit ? h('form', { class: 'card', onsubmit: create },
    h('h2', {}, t('sil.new')),
    h('label', { for: 'sil-matchers' }, t('sil.matchers')), matchers,
    h('p', { class: 'hint' }, t('sil.matchers_hint')),
    h('div', { class: 'row' },
      h('label', {}, h('span', {}, t('sil.duration')), dur),
      h('label', { class: 'grow' }, h('span', {}, t('sil.comment')), comment)),
    h('button', { type: 'submit', class: 'primary' }, t('sil.create'))) : null;

  mount(root, h('h1', {}, t('nav.silences')), form,
    h('section', {}, h('h2', {}, t('sil.list')), h('label', { class: 'check' }, showAll, ' ', t('sil.show_expired')), list),
    h('section', {}, h('h2', {}, t('maint.title')), week));

  if (params.get('from') && canEdit) prefill(params.get('from'));

  async function prefill(key) {
    try {
      const tk = await get(`/tickets/${encodeURIComponent(key)}`);
      const lines = Object.entries(tk.labels || {}).map(([k, v]) => `labels.${k} = ${v}`);
      if (tk.resource) lines.push(`resource = ${tk.resource}`);
      if (tk.check) lines.push(`check = ${tk.check}`);
      matchers.value = lines.join('\n');
      comment.value = t('sil.for_ticket', { key });
    } catch (e) {
      showError(e);
    }
  }

  async function create(e) {
    e.preventDefault();
    const m = matchers.value.split('\n').map((s) => s.trim()).filter(Boolean);
    try {
      const s = await post('/silences', { matchers: m, duration: dur.value, comment: comment.value.trim() });
      toast(t('sil.created', { id: s.id }));
      matchers.value = '';
      comment.value = '';
      load();
    } catch (err) {
      showError(err);
    }
  }

  async function expire(id) {
    try {
      await post(`/silences/${id}/expire`, {});
      toast(t('sil.expired_ok', { id }));
      load();
    } catch (err) {
      showError(err);
    }
  }

  async function load() {
    try {
      const res = await get(`/silences${showAll.checked ? '?all=true' : ''}`);
      const items = res.silences || [];
      mount(list, items.length ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['id', 'state', 'matchers', 'ends', 'creator', 'comment', ''].map((c) => h('th', { scope: 'col' }, c ? t(`sil.col.${c}`) : '')))),
        h('tbody', {}, items.map((s) => h('tr', { dataset: { id: s.id, state: s.state } },
          h('td', {}, String(s.id)),
          h('td', {}, h('span', { class: `badge sil-${s.state}` }, t(`sil.state.${s.state}`))),
          h('td', {}, h('ul', { class: 'matchers' }, s.matchers.map((m) => h('li', {}, h('code', {}, m))))),
          h('td', {}, dateTime(s.ends_at)),
          h('td', {}, s.creator),
          h('td', {}, s.comment),
          h('td', {}, canEdit && s.state !== 'expired' ? h('button', { type: 'button', dataset: { expire: s.id }, onclick: () => expire(s.id) }, t('sil.expire')) : null)))))
        : h('p', { class: 'muted' }, t('sil.none')));
    } catch (err) {
      showError(err);
    }
    try {
      const m = await get('/maintenance');
      drawWeek(m.windows || []);
    } catch (err) {
      mount(week, h('p', { class: 'muted' }, err.message));
    }
  }

  function drawWeek(windows) {
    if (!windows.length) return mount(week, h('p', { class: 'muted' }, t('maint.none')));
    const grid = h('div', { class: 'week', role: 'table', 'aria-label': t('maint.title') },
      DAYS.map((d) => h('div', { class: 'day', role: 'row' },
        h('div', { class: 'day-name', role: 'rowheader' }, t(`day.${d}`)),
        h('div', { class: 'day-track', role: 'cell' }, windows.filter((w) => w.days.includes(d)).map((w) => {
          const [hh, mm] = w.start.split(':').map(Number);
          const start = hh * 60 + mm;
          const block = h('div', { class: `win${w.active_now ? ' now' : ''}`, title: `${w.name} ${w.start} (${w.time_zone}) ${w.matchers.join(', ')}` }, `${w.name} ${w.start}`);
          // CSSOM, not a style attribute: allowed by the CSP.
          block.style.insetInlineStart = `${(start / 1440) * 100}%`;
          block.style.width = `${Math.max((Math.min(w.duration_minutes, 1440 - start) / 1440) * 100, 2)}%`;
          return block;
        })))));
    mount(week, h('div', { class: 'hours' }, [0, 6, 12, 18, 24].map((x) => h('span', {}, `${x}:00`))), grid,
      h('ul', { class: 'legend' }, windows.map((w) => h('li', {}, h('strong', {}, w.name), ` — ${w.days.map((d) => t(`day.${d}`)).join(' ')} ${w.start} +${w.duration_minutes}′ (${w.time_zone}) `, w.matchers.map((m) => h('code', {}, m)), w.comment ? ` ${w.comment}` : ''))));
  }

  load();
  return () => {};
}

