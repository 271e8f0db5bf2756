// Deskhub dashboard: sign in, then the Support and Closures sections.
import { api, session, setUnauthorizedHandler, ApiError, describeError } from './api.js';
import { $, hydrateIcons, notify } from './ui.js';
import { initRequests, loadRequests } from './requests.js';
import { initFluent, loadStatus } from './fluent.js';
import { initClosures, loadAllClosures, stopClosures } from './closures.js';
import { initAdmin, closeAdmin } from './admin.js';

const ROLE_LABEL = { admin: 'Admin', manager: 'Manager', developer: 'Developer', user: 'User' };
let initialised = false;
let expiryTimer = null;

function showLogin(message) {
  closeAdmin();
  stopClosures();
  $('#app-view').hidden = true;
  $('#login-view').hidden = false;
  document.title = 'Sign in · Deskhub';
  const err = $('#login-error');
  if (message) { err.textContent = message; err.hidden = false; } else { err.hidden = true; }
  $('#login-password').value = '';
  const email = $('#login-email');
  (email.value ? $('#login-password') : email).focus();
}

function expire(message) {
  if (expiryTimer) clearTimeout(expiryTimer);
  const had = !!session.token;
  session.clear();
  if (had || !$('#app-view').hidden) showLogin(message);
}

setUnauthorizedHandler(() => expire('Your session has expired. Sign in again.'));

function isAdminRole(role) { return !!role && role !== 'user'; }

async function showApp(user) {
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  document.title = 'Deskhub';
  $('#user-name').textContent = user.name || user.email || 'Signed in';
  $('#user-name').title = user.email || '';
  const role = user.role || 'user';
  const badge = $('#user-role');
  badge.textContent = ROLE_LABEL[role] || role;
  badge.className = 'role-badge role-' + role;
  $('#admin-btn').hidden = !isAdminRole(role);
  if (!initialised) {
    initRequests();
    initFluent();
    initClosures();
    initAdmin();
    initialised = true;
  }
  if (session.expiresAt) {
    if (expiryTimer) clearTimeout(expiryTimer);
    const ms = session.expiresAt - Date.now();
    if (ms > 0 && ms < 2 ** 31) expiryTimer = setTimeout(() => expire('Your session has expired. Sign in again.'), ms);
  }
  $('#main').focus({ preventScroll: true });
  await Promise.all([loadRequests(), loadStatus(), loadAllClosures()]);
}

async function onLogin(e) {
  e.preventDefault();
  const email = $('#login-email').value.trim();
  const password = $('#login-password').value;
  const err = $('#login-error');
  err.hidden = true;
  if (!email || !password) {
    err.textContent = 'Enter your email and password.';
    err.hidden = false;
    (!email ? $('#login-email') : $('#login-password')).focus();
    return;
  }
  const btn = $('#login-submit');
  btn.disabled = true;
  btn.textContent = 'Signing in…';
  try {
    const r = await api('POST', '/api/auth/login', { body: { email, password }, auth: false, timeout: 20000 });
    if (!r || !r.accessToken) throw new ApiError(500, { error: 'the server sent no access token' });
    session.save(r.accessToken, r.user, r.expiresIn);
    $('#login-password').value = '';
    await showApp(r.user || { email, role: 'user' });
  } catch (ex) {
    let msg;
    if (ex instanceof ApiError && (ex.status === 401 || ex.status === 403)) msg = 'Wrong email or password. Check them and try again.';
    else if (ex instanceof ApiError && ex.status === 429) msg = 'Too many sign-in attempts. Wait a minute, then try again.';
    else if (ex instanceof ApiError && ex.status === 400) msg = describeError(ex, 'Signing in');
    else msg = describeError(ex, 'Signing in');
    err.textContent = msg;
    err.hidden = false;
    $('#login-password').focus();
  } finally {
    btn.disabled = false;
    btn.textContent = 'Sign in';
  }
}

function logout() {
  if (expiryTimer) clearTimeout(expiryTimer);
  session.clear();
  showLogin();
  notify('info', 'Signed out', 'You have been signed out of Deskhub.', { timeout: 4000 });
}

async function start() {
  hydrateIcons();
  $('#login-form').addEventListener('submit', onLogin);
  $('#logout-btn').addEventListener('click', logout);
  if (!session.token || (session.expiresAt && session.expiresAt < Date.now())) {
    session.clear();
    showLogin();
    return;
  }
  try {
    const me = await api('GET', '/api/auth/me');
    const user = (me && me.user) || session.user;
    session.setUser(user);
    await showApp(user);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // handler showed the form
    if (session.user) { await showApp(session.user); return; }
    showLogin(describeError(e, 'Checking your session'));
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
