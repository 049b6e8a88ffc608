// live.js - ticket changes as they happen (GET /api/v1/stream). The token
// is traded for a 60 s stream ticket first (EventSource cannot send
// headers, and the token must never be in a URL). After a drop we mint a
// new ticket and reopen with ?after=<last seq seen>, so nothing is missed;
// a stream silent for 40 s (heartbeats come every 15 s) counts as dropped.
import { post } from './api.js';
import { t } from './i18n.js';

const listeners = new Set();
let es = null;
let lastSeq = null;
let watchdog = null;
let retry = 1000;
let stopped = true;
let statusEl = null;

export function onTicket(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function status(state) {
  if (!statusEl) return;
  statusEl.dataset.state = state;
  statusEl.textContent = t(`live.${state}`);
}

function kick() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => reconnect(), 40000);
}

async function open() {
  if (stopped) return;
  status('connecting');
  let ticket;
  try {
    ticket = (await post('/stream/token', {})).ticket;
  } catch {
    return reconnect();
  }
  const after = lastSeq !== null ? `&after=${lastSeq}` : '';
  es = new EventSource(`/api/v1/stream?ticket=${encodeURIComponent(ticket)}${after}`);
  es.addEventListener('hello', (e) => {
    const hello = JSON.parse(e.data);
    if (lastSeq === null) lastSeq = hello.after;
    retry = 1000;
    status('live');
    kick();
  });
  es.addEventListener('heartbeat', kick);
  es.addEventListener('ticket', (e) => {
    kick();
    const ev = JSON.parse(e.data);
    lastSeq = ev.seq;
    for (const fn of listeners) fn(ev);
  });
  es.onerror = () => reconnect();
}

function reconnect() {
  if (es) es.close();
  es = null;
  clearTimeout(watchdog);
  if (stopped) return;
  status('offline');
  setTimeout(open, retry);
  retry = Math.min(retry * 2, 30000);
}

export function startLive(el) {
  statusEl = el;
  if (!stopped) return;
  stopped = false;
  open();
}

export function stopLive() {
  stopped = true;
  if (es) es.close();
  es = null;
  lastSeq = null;
  clearTimeout(watchdog);
  if (statusEl) statusEl.textContent = '';
}

export function refreshLiveLabel() {
  if (statusEl && statusEl.dataset.state) status(statusEl.dataset.state);
}
