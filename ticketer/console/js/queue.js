// queue.js - the live ticket queue: filters kept in the URL (a view can be
// shared), sort, keyboard (j/k move, o/Enter open, x select, a ack, /
// search), bulk ack/assign/resolve, and rows updated from the stream
// without reload.
import { get, post, qs } from './api.js';
import { h, mount } from './dom.js';
import { t, ago, num } from './i18n.js';
import { onTicket } from './live.js';
import { prioBadge, slaCell, slaClock, stateBadge, showError, toast } from './ui.js';

const STATES = ['new', 'acknowledged', 'in_progress', 'pending', 'resolved', 'closed'];
const SORTS = ['-opened_at', 'opened_at', '-updated_at', 'priority'];
const FILTERS = ['state', 'queue', 'priority', 'assignee', 'label', 'text', 'breached', 'sort'];

export function queueView(root, params, session) {
  const f = {};
  for (const k of FILTERS) f[k] = params.get(k) ?? '';
  if (!params.has('state')) f.state = 'open';
  let rows = new Map(); // key -> {ticket, tr}
  let order = [];
  let cursor = -1;
  const selected = new Set();
  const canWork = session.may.tickets;

  const tbody = h('tbody');
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const bulkAssignee = h('input', { type: 'text', list: 'people', 'aria-label': t('bulk.assignee'), placeholder: t('bulk.assignee'), size: 10 });
  const bulkCount = h('span');
  const bulk = h('div', { class: 'bulk', hidden: true, role: 'toolbar', 'aria-label': t('bulk.title') },
    bulkCount,
    h('button', { type: 'button', onclick: () => doBulk('ack') }, t('act.ack')),
    bulkAssignee,
    h('button', { type: 'button', onclick: () => doBulk('assign') }, t('act.assign')),
    h('button', { type: 'button', onclick: () => doBulk('resolve') }, t('act.resolve')));

  function field(name, control) {
    return h('label', { class: 'f' }, h('span', {}, t(`filter.${name}`)), control);
  }
  const stateSel = h('select', { name: 'state' },
    h('option', { value: 'open', selected: f.state === 'open' }, t('filter.open')),
    h('option', { value: '', selected: f.state === '' }, t('filter.all')),
    STATES.map((s) => h('option', { value: s, selected: f.state === s }, t(`state.${s}`))));
  const prioSel = h('select', { name: 'priority' },
    h('option', { value: '' }, t('filter.any')),
    ['P1', 'P2', 'P3', 'P4'].map((p) => h('option', { value: p, selected: f.priority === p }, p)));
  const sortSel = h('select', { name: 'sort' },
    SORTS.map((s) => h('option', { value: s, selected: (f.sort || '-opened_at') === s }, t(`sort.${s}`))));
  const breached = h('input', { type: 'checkbox', name: 'breached', checked: f.breached === 'true' });
  const search = h('input', { type: 'search', name: 'text', id: 'search', value: f.text, placeholder: t('filter.text_ph') });
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    field('state', stateSel),
    field('queue', h('input', { type: 'text', name: 'queue', value: f.queue, size: 8 })),
    field('priority', prioSel),
    field('assignee', h('input', { type: 'text', name: 'assignee', value: f.assignee, size: 8, list: 'people' })),
    field('label', h('input', { type: 'text', name: 'label', value: f.label, size: 12, placeholder: 'site=ams1' })),
    field('text', search),
    h('label', { class: 'f check' }, breached, h('span', {}, t('filter.breached'))),
    field('sort', sortSel));
  let debounce = null;
  form.addEventListener('input', (e) => {
    clearTimeout(debounce);
    debounce = setTimeout(apply, e.target.type === 'text' || e.target.type === 'search' ? 400 : 0);
  });

  const allBox = h('input', { type: 'checkbox', 'aria-label': t('bulk.all'), onchange: (e) => { for (const k of order) toggle(k, e.target.checked); } });
  const table = h('table', { class: 'queue' },
    h('caption', { class: 'sr' }, t('queue.caption')),
    h('thead', {}, h('tr', {},
      canWork ? h('th', { scope: 'col', class: 'sel' }, allBox) : null,
      ['key', 'priority', 'title', 'state', 'queue', 'assignee', 'age', 'alerts', 'sla'].map((c) => h('th', { scope: 'col', class: `c-${c}` }, t(`col.${c}`))))),
    tbody);

  mount(root,
    h('h1', { class: 'sr' }, t('nav.queue')),
    form, h('div', { class: 'bar' }, count, canWork ? bulk : null),
    h('div', { class: 'table-wrap' }, table),
    h('p', { class: 'hint keys-hint' }, t('queue.keys')));

  function apply() {
    // The user may have navigated away meanwhile: never rewrite their URL.
    if (!form.isConnected || (location.hash && !location.hash.startsWith('#/queue'))) return;
    const fd = new FormData(form);
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const v = k === 'breached' ? (breached.checked ? 'true' : '') : (fd.get(k) || '');
      if (k === 'state' && v === 'open') continue;
      if (k === 'state' && v === '') { p.set('state', ''); continue; }
      if (v) p.set(k, v);
    }
    const s = p.toString();
    history.replaceState(null, '', `#/queue${s ? `?${s}` : ''}`);
    for (const k of FILTERS) f[k] = p.get(k) ?? (k === 'state' ? 'open' : '');
    load();
  }

  function apiArgs() {
    return {
      state: f.state || undefined, queue: f.queue, priority: f.priority, label: f.label,
      text: f.text, breached: f.breached, sort: f.sort || undefined, limit: 200,
      ...(f.assignee === '-' ? { assignee: '' } : { assignee: f.assignee }),
    };
  }

  async function load() {
    try {
      const res = await get(`/tickets${qs(apiArgs())}`);
      rows = new Map();
      order = [];
      tbody.replaceChildren();
      for (const tk of res.tickets) addRow(tk, false);
      cursor = Math.min(cursor, order.length - 1);
      paintCursor();
      updateCount();
    } catch (e) {
      showError(e);
    }
  }

  function matches(tk) {
    const open = ['new', 'acknowledged', 'in_progress', 'pending'];
    if (f.state === 'open' && !open.includes(tk.state)) return false;
    if (f.state && f.state !== 'open' && !f.state.split(',').includes(tk.state)) return false;
    if (f.queue && !f.queue.split(',').includes(tk.queue)) return false;
    if (f.priority && !f.priority.split(',').includes(tk.priority)) return false;
    if (f.assignee && (f.assignee === '-' ? tk.assignee : tk.assignee !== f.assignee)) return false;
    if (f.text && !`${tk.title}`.toLowerCase().includes(f.text.toLowerCase())) return false;
    if (f.label) {
      const [k, v] = f.label.split('=');
      if ((tk.labels || {})[k] !== v) return false;
    }
    if (f.breached === 'true' && !['breached'].includes(tk.sla?.response?.status) && tk.sla?.resolution?.status !== 'breached') return false;
    return true;
  }

  function rowFor(tk) {
    const box = canWork ? h('td', { class: 'sel' }, h('input', { type: 'checkbox', 'aria-label': t('bulk.select', { key: tk.key }), checked: selected.has(tk.key), onchange: (e) => toggle(tk.key, e.target.checked) })) : null;
    return h('tr', { dataset: { key: tk.key, state: tk.state }, class: `p-${tk.priority}` },
      box,
      h('td', { class: 'c-key' }, h('a', { href: `#/ticket/${encodeURIComponent(tk.key)}` }, tk.key)),
      h('td', { class: 'c-priority' }, prioBadge(tk.priority)),
      h('td', { class: 'c-title' }, tk.title),
      h('td', { class: 'c-state' }, stateBadge(tk.state)),
      h('td', { class: 'c-queue' }, tk.queue),
      h('td', { class: 'c-assignee' }, tk.assignee || h('span', { class: 'muted' }, t('unassigned'))),
      h('td', { class: 'c-age' }, h('span', { dataset: { age: tk.opened_at } }, ago(tk.opened_at))),
      h('td', { class: 'c-alerts' }, num(tk.active_alerts), h('span', { class: 'muted' }, ` / ${num(tk.alert_count)}`)),
      h('td', { class: 'c-sla' }, slaCell(slaClock(tk))));
  }

  function addRow(tk, live) {
    const tr = rowFor(tk);
    rows.set(tk.key, { ticket: tk, tr });
    if (live && (!f.sort || f.sort === '-opened_at')) {
      tbody.prepend(tr);
      order.unshift(tk.key);
      if (cursor >= 0) cursor++;
      tr.classList.add('flash');
    } else {
      tbody.append(tr);
      order.push(tk.key);
    }
  }

  function upsert(tk) {
    const cur = rows.get(tk.key);
    if (cur && cur.ticket.version > tk.version) return;
    if (!matches(tk)) {
      if (cur) {
        cur.tr.remove();
        rows.delete(tk.key);
        order = order.filter((k) => k !== tk.key);
        selected.delete(tk.key);
        updateCount();
        paintCursor();
      }
      return;
    }
    if (cur) {
      const tr = rowFor(tk);
      cur.tr.replaceWith(tr);
      cur.tr = tr;
      cur.ticket = tk;
      tr.classList.add('flash');
    } else {
      addRow(tk, true);
    }
    paintCursor();
    updateCount();
  }

  function updateCount() {
    count.textContent = t('queue.count', { n: order.length });
    bulk.hidden = selected.size === 0;
    bulkCount.textContent = t('bulk.selected', { n: selected.size });
  }

  function toggle(key, on) {
    if (on) selected.add(key);
    else selected.delete(key);
    const r = rows.get(key);
    if (r) {
      const cb = r.tr.querySelector('input[type=checkbox]');
      if (cb) cb.checked = on;
    }
    updateCount();
  }

  async function doBulk(action) {
    const keys = [...selected];
    const body = { keys, action };
    if (action === 'assign') body.assignee = bulkAssignee.value.trim();
    try {
      const res = await post('/tickets/bulk', body);
      toast(t('bulk.done', { ok: res.ok, failed: res.failed }), res.failed ? 'error' : 'info');
      for (const r of res.results) if (r.ok) toggle(r.key, false);
      load();
    } catch (e) {
      showError(e);
    }
  }

  function paintCursor() {
    for (const [i, k] of order.entries()) {
      const tr = rows.get(k).tr;
      tr.classList.toggle('cursor', i === cursor);
      tr.setAttribute('aria-selected', String(i === cursor));
    }
    if (cursor >= 0 && order[cursor]) rows.get(order[cursor]).tr.scrollIntoView({ block: 'nearest' });
  }

  async function ackCurrent() {
    const r = cursor >= 0 && rows.get(order[cursor]);
    if (!r || !canWork) return;
    try {
      const tk = await post(`/tickets/${encodeURIComponent(r.ticket.key)}/ack`, { version: r.ticket.version });
      upsert(tk);
      toast(t('act.acked', { key: tk.key }));
    } catch (e) {
      showError(e, load);
    }
  }

  function onKey(e) {
    if (e.target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    if (e.key === 'j') { cursor = Math.min(cursor + 1, order.length - 1); paintCursor(); }
    else if (e.key === 'k') { cursor = Math.max(cursor - 1, 0); paintCursor(); }
    else if ((e.key === 'o' || e.key === 'Enter') && cursor >= 0) location.hash = `#/ticket/${encodeURIComponent(order[cursor])}`;
    else if (e.key === 'x' && cursor >= 0 && canWork) toggle(order[cursor], !selected.has(order[cursor]));
    else if (e.key === 'a') ackCurrent();
    else if (e.key === '/') { e.preventDefault(); search.focus(); }
    else return;
    e.preventDefault();
  }
  document.addEventListener('keydown', onKey);
  const off = onTicket((ev) => upsert(ev.ticket));
  load();
  return () => {
    clearTimeout(debounce);
    document.removeEventListener('keydown', onKey);
    off();
  };
}

