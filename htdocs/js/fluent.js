// FluentSupport: the sync button (with progress while a run is going on) and
// the status widget of GET /api/fluent/status.
import { api, describeError, ApiError } from './api.js';
import { $, el, clear, notify, fmtDateTime, timeAgo, fmtMs, fmtNum, setBusy } from './ui.js';
import { loadRequests } from './requests.js';

let polling = null;
let syncing = false;

export function initFluent() {
  $('#fluent-sync-form').addEventListener('submit', (e) => { e.preventDefault(); runSync(); });
  $('#fluent-status-refresh').addEventListener('click', () => loadStatus());
}

export async function loadStatus() {
  const card = $('#fluent-status-card');
  card.setAttribute('aria-busy', 'true');
  try {
    const data = await api('GET', '/api/fluent/status', { auth: false });
    renderStatus(data);
    const s = data && data.syncStatus;
    if (s && s.last_sync_status === 'in_progress' && !syncing) watchRun();
    return data;
  } catch (e) {
    const body = clear($('#fluent-status-body'));
    body.append(el('p', { class: 'inline-error' }, 'Could not read the sync status. ' + describeError(e, 'The sync status')),
      el('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: () => loadStatus() }, 'Try again'));
    return null;
  } finally {
    card.setAttribute('aria-busy', 'false');
  }
}

const STATUS_LABEL = { success: 'Succeeded', failed: 'Failed', in_progress: 'Running' };

function renderStatus(data) {
  const body = clear($('#fluent-status-body'));
  const s = data && data.syncStatus;
  if (!s) {
    body.append(el('div', { class: 'empty empty-sm' },
      el('p', { class: 'empty-title' }, 'No sync has run yet'),
      el('p', { class: 'muted' }, 'Run “Sync FluentSupport” to import tickets.')));
    return;
  }
  const st = s.last_sync_status;
  const when = s.finished_at || s.last_sync_at || s.started_at;
  body.append(el('div', { class: 'status-line' },
    el('span', { class: 'badge st-' + st, id: 'fluent-status-badge' }, STATUS_LABEL[st] || st),
    el('span', {}, ' ', el('time', { datetime: when || '', title: fmtDateTime(when) }, timeAgo(when) || fmtDateTime(when))),
    s.date_filter ? el('span', { class: 'muted small' }, ' · since ' + s.date_filter) : null));
  if (st === 'failed' && s.error_message) {
    body.append(el('p', { class: 'inline-error', id: 'fluent-status-error' }, s.error_message));
  }
  const stats = el('dl', { class: 'stat-grid' });
  const add = (k, v) => stats.append(el('div', {}, el('dt', {}, k), el('dd', {}, v)));
  if (st === 'in_progress' && s.progress) {
    add('Pages', fmtNum(s.progress.pagesFetched));
    add('Fetched', fmtNum(s.progress.ticketsFetched) + (s.progress.ticketsTotal ? ' / ' + fmtNum(s.progress.ticketsTotal) : ''));
  } else {
    add('Fetched', fmtNum(s.tickets_fetched));
    add('Added', fmtNum(s.tickets_added));
    add('Updated', fmtNum(s.tickets_updated));
    add('Skipped', fmtNum(s.tickets_skipped));
    add('Duration', fmtMs(s.sync_duration_ms));
  }
  add('Tickets stored', fmtNum(data.totalTickets));
  body.append(stats);
  const br = data.statusBreakdown || [];
  if (br.length) {
    const ul = el('ul', { class: 'chips', 'aria-label': 'Tickets by FluentSupport status' });
    for (const b of br) ul.append(el('li', { class: 'chip' }, el('span', {}, b.ticket_status || 'unknown'), el('strong', {}, fmtNum(b.count))));
    body.append(ul);
  }
}

function showProgress(p) {
  const wrap = $('#fluent-progress');
  wrap.hidden = false;
  const bar = $('#fluent-progress-bar');
  const pb = $('#fluent-progressbar');
  const label = $('#fluent-progress-label');
  if (p && p.ticketsTotal) {
    const pct = Math.min(100, Math.round((p.ticketsFetched / p.ticketsTotal) * 100));
    bar.style.width = pct + '%';
    bar.classList.remove('indeterminate');
    pb.setAttribute('aria-valuemin', '0');
    pb.setAttribute('aria-valuemax', '100');
    pb.setAttribute('aria-valuenow', String(pct));
    label.textContent = `Syncing… ${fmtNum(p.ticketsFetched)} of ${fmtNum(p.ticketsTotal)} tickets fetched (page ${fmtNum(p.pagesFetched)})`;
  } else {
    bar.style.width = '';
    bar.classList.add('indeterminate');
    pb.removeAttribute('aria-valuenow');
    label.textContent = p && p.pagesFetched ? `Syncing… ${fmtNum(p.ticketsFetched)} tickets fetched (page ${fmtNum(p.pagesFetched)})` : 'Syncing with FluentSupport…';
  }
}

function hideProgress() { $('#fluent-progress').hidden = true; }

function startPolling() {
  stopPolling();
  polling = setInterval(async () => {
    try {
      const d = await api('GET', '/api/fluent/status', { auth: false, timeout: 5000 });
      const s = d && d.syncStatus;
      if (s && s.last_sync_status === 'in_progress') { showProgress(s.progress); renderStatus(d); }
    } catch { /* the next tick tries again */ }
  }, 1000);
}

function stopPolling() { if (polling) clearInterval(polling); polling = null; }

// A run started elsewhere: show its progress until it ends.
async function watchRun() {
  const btn = $('#fluent-sync-btn');
  if (syncing) return;
  syncing = true;
  setBusy(btn, true, 'Sync running…');
  showProgress(null);
  const deadline = Date.now() + 15 * 60 * 1000;
  try {
    while (Date.now() < deadline) {
      let d = null;
      try { d = await api('GET', '/api/fluent/status', { auth: false, timeout: 5000 }); } catch { /* retry */ }
      const s = d && d.syncStatus;
      if (s && s.last_sync_status !== 'in_progress') {
        renderStatus(d);
        loadRequests();
        $('#fluent-sync-error').hidden = true;
        if (s.last_sync_status === 'success') {
          notify('success', 'The other FluentSupport sync finished',
            `Fetched ${fmtNum(s.tickets_fetched)}, added ${fmtNum(s.tickets_added)}, updated ${fmtNum(s.tickets_updated)}, skipped ${fmtNum(s.tickets_skipped)}.`);
        }
        break;
      }
      if (s) { showProgress(s.progress); renderStatus(d); }
      await new Promise((r) => setTimeout(r, 1500));
    }
  } finally {
    syncing = false;
    hideProgress();
    setBusy(btn, false, 'Sync FluentSupport');
  }
}

export async function runSync() {
  if (syncing) return;
  const btn = $('#fluent-sync-btn');
  const err = $('#fluent-sync-error');
  const date = $('#fluent-date').value;
  err.hidden = true;
  syncing = true;
  setBusy(btn, true, 'Syncing…');
  showProgress(null);
  startPolling();
  let watch = false;
  try {
    const r = await api('POST', '/api/fluent/sync', { body: date ? { dateFilter: date } : {}, timeout: 15 * 60 * 1000 });
    notify('success', 'FluentSupport sync finished',
      `Fetched ${fmtNum(r.ticketsFetched)}, added ${fmtNum(r.ticketsAdded)}, updated ${fmtNum(r.ticketsUpdated)}, ` +
      `skipped ${fmtNum(r.ticketsSkipped)} in ${fmtMs(r.syncDuration)}` + (r.dateFilter ? ` (since ${r.dateFilter}).` : '.'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    const msg = syncFailure(e);
    err.textContent = msg.title + ' ' + msg.text;
    err.hidden = false;
    watch = e instanceof ApiError && e.status === 409;
    notify(watch ? 'warning' : 'error', msg.title, msg.text);
  } finally {
    stopPolling();
    syncing = false;
    hideProgress();
    setBusy(btn, false, 'Sync FluentSupport');
  }
  if (watch) { watchRun(); return; }
  await Promise.all([loadStatus(), loadRequests()]);
}

export function syncFailure(e) {
  if (!(e instanceof ApiError)) return { title: 'Sync failed.', text: describeError(e, 'The sync') };
  const d = e.data || {};
  if (e.status === 409) {
    return {
      title: 'A sync is already running.',
      text: `Another FluentSupport sync is in progress${d.runningSyncId ? ' (run ' + d.runningSyncId + ')' : ''}. Its progress is shown here; try again when it has finished.`,
    };
  }
  if (e.status === 502 && d.reason === 'provider_rejected_credentials') {
    return {
      title: 'FluentSupport rejected Deskhub’s credentials.',
      text: 'Check the FluentSupport user name and application password in the Deskhub configuration (FLUENT_API_USERNAME, FLUENT_API_PASSWORD), then sync again.' +
        (d.error ? ' Details: ' + d.error : ''),
    };
  }
  if (e.status === 502 || e.status === 504) {
    return {
      title: 'FluentSupport could not be reached.',
      text: 'The WordPress site did not answer properly' + (d.error ? ' (' + d.error + ')' : '') +
        '. Check that the site is up and FLUENT_API_URL is right, then try again. Nothing was changed.',
    };
  }
  if (e.status === 503) {
    return { title: 'Deskhub’s database is unavailable.', text: 'Wait a minute and try again; if it persists, ask an administrator to check MariaDB.' };
  }
  if (e.status === 400) return { title: 'The sync was refused.', text: describeError(e, 'The sync') + ' Check the date filter (YYYY-MM-DD).' };
  return { title: 'Sync failed.', text: describeError(e, 'The sync') };
}
