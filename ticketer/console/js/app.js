// app.js - the console's entry: sign-in (an API token kept in
// sessionStorage), the hash router (#/queue?filters, #/ticket/KEY,
// #/silences, #/oncall, #/reports), the language switch, the keyboard
// help (?), and the live stream shared by the views.
import { get, setToken, token } from './api.js';
import { h, mount } from './dom.js';
import { loadLang, t } from './i18n.js';
import { startLive, stopLive, refreshLiveLabel } from './live.js';
import { startTicking } from './ui.js';
import { queueView } from './queue.js';
import { ticketView } from './ticket.js';
import { silencesView } from './silences.js';
import { oncallView } from './oncall.js';
import { reportsView } from './reports.js';

const $ = (id) => document.getElementById(id);
let session = null;
let unmount = () => {};

async function signIn(tok) {
  setToken(tok);
  try {
    session = await get('/whoami');
  } catch (e) {
    setToken(null);
    session = null;
    throw e;
  }
  $('who').textContent = t('who', { name: session.name, role: t(`role.${session.role}`) });
  $('who').dataset.role = session.role;
  $('signout').hidden = false;
  $('nav').hidden = false;
  $('signin').hidden = true;
  document.body.dataset.role = session.role;
  startLive($('live'));
  loadPeople();
}

async function loadPeople() {
  try {
    const p = await get('/people');
    const dl = h('datalist', { id: 'people' }, p.users.map((u) => h('option', { value: u.name }, u.display_name)));
    document.getElementById('people')?.remove();
    document.body.append(dl);
  } catch { /* no people file: free text */ }
}

function signOut() {
  setToken(null);
  session = null;
  stopLive();
  unmount();
  mount($('view'));
  $('who').textContent = '';
  $('signout').hidden = true;
  $('nav').hidden = true;
  showSignIn();
}

function showSignIn() {
  $('signin').hidden = false;
  $('token').value = '';
  $('token').focus();
}

function route() {
  unmount();
  unmount = () => {};
  if (!session) return showSignIn();
  const hash = location.hash || '#/queue';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  const name = parts[0] || 'queue';
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === (name === 'ticket' ? 'queue' : name)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = $('view');
  view.dataset.view = name;
  if (name === 'ticket' && parts[1]) unmount = ticketView(view, decodeURIComponent(parts[1]), session);
  else if (name === 'silences') unmount = silencesView(view, params, session);
  else if (name === 'oncall') unmount = oncallView(view, params, session);
  else if (name === 'reports') unmount = reportsView(view, params, session);
  else unmount = queueView(view, params, session);
  document.title = `${t(`nav.${name === 'ticket' ? 'queue' : name}`)} · alertdesk`;
}

function helpKeys() {
  const keys = [['j / k', 'keys.jk'], ['o, Enter', 'keys.open'], ['x', 'keys.select'], ['a', 'keys.ack'], ['/', 'keys.search'], ['g q / g s / g o / g r', 'keys.go'], ['?', 'keys.help']];
  mount($('help-keys'), keys.map(([k, d]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(d))]));
}

let gPending = false;
document.addEventListener('keydown', (e) => {
  if (!session || e.target.closest('input, select, textarea, dialog') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '?') {
    helpKeys();
    $('help').showModal();
  } else if (e.key === 'g') {
    gPending = true;
    setTimeout(() => (gPending = false), 1000);
  } else if (gPending && 'qsor'.includes(e.key)) {
    location.hash = { q: '#/queue', s: '#/silences', o: '#/oncall', r: '#/reports' }[e.key];
    gPending = false;
  }
});

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('signin-error').textContent = '';
  try {
    await signIn($('token').value.trim());
    route();
  } catch (err) {
    $('signin-error').textContent = err.status === 401 ? t('signin.bad') : err.message;
  }
});
$('signout').addEventListener('click', signOut);
$('lang').addEventListener('change', async (e) => {
  await loadLang(e.target.value);
  if (session) $('who').textContent = t('who', { name: session.name, role: t(`role.${session.role}`) });
  refreshLiveLabel();
  route();
});
window.addEventListener('hashchange', route);

(async function start() {
  await loadLang();
  $('lang').value = document.documentElement.lang;
  startTicking();
  if (token()) {
    try {
      await signIn(token());
    } catch {
      /* expired or revoked: sign in again */
    }
  }
  route();
})();
