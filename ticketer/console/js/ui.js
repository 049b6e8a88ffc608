// ui.js - pieces every view shares: badges, the SLA countdown, toasts and
// the way API errors are shown (a version conflict names who changed it).
import { h } from './dom.js';
import { t, duration, dateTime } from './i18n.js';

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}`, dataset: { state } }, t(`state.${state}`));
}

export function prioBadge(p) {
  return h('span', { class: `badge prio-${p}`, title: t('col.priority') }, p);
}

// The clock the queue shows: the response clock, which stops at the first
// response (ack); after that its final status.
export function slaClock(ticket, which = 'response') {
  return (ticket.sla && ticket.sla[which]) || { status: 'none' };
}

const RUNNING = new Set(['running', 'warning', 'breached']);

// A countdown cell; tick() refreshes every cell with data-due once a second.
export function slaCell(clock) {
  const el = h('span', { class: 'sla' });
  setSla(el, clock);
  return el;
}

export function setSla(el, clock) {
  el.dataset.status = clock.status;
  el.dataset.running = String(RUNNING.has(clock.status) && !!clock.due_at);
  if (el.dataset.running === 'true') {
    el.dataset.due = clock.due_at;
    el.dataset.target = clock.target_s || 0;
  } else {
    delete el.dataset.due;
  }
  paintSla(el);
}

export function paintSla(el) {
  if (el.dataset.running !== 'true') {
    el.className = `sla sla-${el.dataset.status}`;
    el.textContent = el.dataset.status === 'none' ? '—' : t(`sla.${el.dataset.status}`);
    return;
  }
  const left = (new Date(el.dataset.due).getTime() - Date.now()) / 1000;
  const target = Number(el.dataset.target) || 0;
  let level = 'ok';
  if (left <= 0 || el.dataset.status === 'breached') level = 'breached';
  else if (el.dataset.status === 'warning' || (target && left < target * 0.2)) level = 'warning';
  el.className = `sla sla-${level}`;
  el.textContent = left <= 0 ? t('sla.over', { d: duration(-left) }) : duration(left);
  el.title = t('sla.due', { at: dateTime(el.dataset.due) });
}

let ticking = null;
export function startTicking() {
  if (ticking) return;
  ticking = setInterval(() => {
    for (const el of document.querySelectorAll('.sla[data-running="true"]')) paintSla(el);
    for (const el of document.querySelectorAll('[data-age]')) el.textContent = duration((Date.now() - new Date(el.dataset.age).getTime()) / 1000);
  }, 1000);
}

let toastTimer = null;
export function toast(msg, kind = 'info', action) {
  const el = document.getElementById('toast');
  el.replaceChildren(h('span', {}, msg));
  if (action) el.append(' ', h('button', { type: 'button', onclick: action.fn }, action.label));
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), kind === 'error' ? 12000 : 4000);
}

// showError(e, reload): a version conflict becomes "changed by X, reload".
export function showError(e, reload) {
  if (e.changedBy) {
    toast(t('err.conflict', { who: e.changedBy }), 'error', reload ? { label: t('reload'), fn: reload } : null);
  } else if (e.status === 403) {
    toast(t('err.forbidden'), 'error');
  } else if (e.status === 401) {
    toast(t('err.unauthorized'), 'error');
  } else {
    toast(e.message || String(e), 'error');
  }
}
