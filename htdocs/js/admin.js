// The admin statistics modal (roles other than "user"): closure sync status,
// database statistics, recent activity, Force Sync and Refresh User Mappings.
import { api, describeError, ApiError } from './api.js';
import { $, el, clear, notify, fmtDateTime, timeAgo, fmtNum, fmtDate, setBusy } from './ui.js';
import { syncClosures } from './closures.js';

let opener = null;

export function initAdmin() {
  const dlg = $('#admin-modal');
  $('#admin-btn').addEventListener('click', (e) => openAdmin(e.currentTarget));
  $('#admin-close').addEventListener('click', closeAdmin);
  $('#admin-done').addEventListener('click', closeAdmin);
  dlg.addEventListener('close', () => {
    document.body.classList.remove('modal-open');
    if (opener && document.contains(opener)) opener.focus();
  });
  // Click on the backdrop closes.
  dlg.addEventListener('click', (e) => { if (e.target === dlg) closeAdmin(); });
  // Keep Tab inside the dialog (showModal makes the rest inert; this also
  // wraps around instead of leaving to the browser chrome).
  dlg.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const f = Array.from(dlg.querySelectorAll('button:not([disabled]), [href], input:not([disabled]), select, [tabindex]:not([tabindex="-1"])'))
      .filter((n) => n.offsetParent !== null);
    if (!f.length) return;
    const first = f[0];
    const last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
    else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
  });
  $('#admin-force').addEventListener('click', async () => {
    const r = await syncClosures(true);
    if (r) result('Force sync finished: ' + fmtNum(r.ticketsProcessed) + ' tickets processed for ' + fmtDate(r.date) + '.');
    loadAdmin();
  });
  $('#admin-mappings').addEventListener('click', refreshMappings);
}

export function openAdmin(from) {
  const dlg = $('#admin-modal');
  opener = from || document.activeElement;
  clear($('#admin-result'));
  if (!dlg.open) dlg.showModal();
  document.body.classList.add('modal-open');
  $('#admin-close').focus();
  loadAdmin();
}

export function closeAdmin() {
  const dlg = $('#admin-modal');
  if (dlg.open) dlg.close();
}

function result(text, kind = 'ok') {
  const r = clear($('#admin-result'));
  r.append(el('p', { class: 'admin-msg ' + kind }, text));
}

async function loadAdmin() {
  const body = $('#admin-body');
  body.setAttribute('aria-busy', 'true');
  try {
    const d = await api('GET', '/api/tickets/admin-stats');
    render(d);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    clear(body).append(el('p', { class: 'inline-error' }, 'Could not load the statistics. ' + describeError(e, 'The admin statistics')),
      el('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: loadAdmin }, 'Try again'));
  } finally {
    body.setAttribute('aria-busy', 'false');
  }
}

function stat(label, value, id) {
  return el('div', { class: 'stat' }, el('dt', {}, label), el('dd', id ? { id } : {}, value));
}

function render(d) {
  const body = clear($('#admin-body'));
  const s = d.syncStatus || {};
  const db = d.database || {};
  const next = s.canSync === false && s.minutesUntilNextSync ? 'in ' + s.minutesUntilNextSync + ' min' : 'now';
  body.append(
    el('section', { class: 'modal-section', 'aria-labelledby': 'adm-sync-h' },
      el('h3', { id: 'adm-sync-h' }, 'Sync status'),
      el('dl', { class: 'stat-grid' },
        stat('Last sync', s.lastSync ? timeAgo(s.lastSync) : 'Never'),
        stat('Next sync available', next),
        stat('Syncs today', fmtNum(s.syncsToday ?? 0)),
        stat('Tickets processed today', fmtNum(s.ticketsProcessedToday ?? 0)))),
    el('section', { class: 'modal-section', 'aria-labelledby': 'adm-db-h' },
      el('h3', { id: 'adm-db-h' }, 'Database statistics'),
      el('dl', { class: 'stat-grid' },
        stat('Closure records', fmtNum(db.closureRecords ?? 0), 'adm-closure-records'),
        stat('Mapped users', fmtNum(db.mappedUsers ?? 0), 'adm-mapped-users'),
        stat('Days with data', fmtNum(db.daysWithData ?? 0)),
        stat('Total syncs', fmtNum(db.totalSyncs ?? 0) + (db.failedSyncs ? ' (' + fmtNum(db.failedSyncs) + ' failed)' : '')))),
  );
  const recent = (d.recentSyncs || []).slice(0, 10);
  const sec = el('section', { class: 'modal-section', 'aria-labelledby': 'adm-recent-h' }, el('h3', { id: 'adm-recent-h' }, 'Recent activity'));
  if (!recent.length) {
    sec.append(el('p', { class: 'muted' }, 'No closure syncs yet. Use Force Sync to run the first one.'));
  } else {
    const tb = el('tbody');
    for (const r of recent) {
      const when = r.started_at || r.last_sync_time;
      const st = r.status || 'success';
      const status = el('td', {},
        el('span', { class: 'badge st-' + st }, st === 'success' ? 'Succeeded' : st === 'failed' ? 'Failed' : st === 'in_progress' ? 'Running' : st),
        r.forced ? el('span', { class: 'badge badge-plain' }, 'forced') : null,
        r.error ? el('div', { class: 'row-error' }, r.error) : null);
      tb.append(el('tr', {},
        el('td', {}, fmtDate(String(r.sync_date).slice(0, 10))),
        el('td', { title: fmtDateTime(when) }, timeAgo(when) || fmtDateTime(when)),
        status,
        el('td', { class: 'num' }, fmtNum(r.tickets_processed)),
        el('td', { class: 'num' }, r.agents !== undefined ? fmtNum(r.agents) : fmtNum(r.sync_count))));
    }
    const lastHead = recent[0].agents !== undefined ? 'Agents' : 'Syncs';
    sec.append(el('div', { class: 'table-wrap' }, el('table', { class: 'mini-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Date'), el('th', { scope: 'col' }, 'When'),
        el('th', { scope: 'col' }, 'Result'), el('th', { scope: 'col', class: 'num' }, 'Tickets'),
        el('th', { scope: 'col', class: 'num' }, lastHead))),
      tb)));
  }
  body.append(sec);
}

async function refreshMappings() {
  const btn = $('#admin-mappings');
  setBusy(btn, true);
  try {
    const r = await api('POST', '/api/tickets/refresh-mappings', { body: {} });
    const errs = r.errors || [];
    result(`User mappings refreshed: ${fmtNum(r.mapped)} mapped, ${fmtNum(r.unmatched)} unmatched` +
      (errs.length ? `, ${errs.length} line${errs.length === 1 ? '' : 's'} with errors:` : '.'), errs.length ? 'warn' : 'ok');
    if (errs.length) {
      const ul = el('ul', { class: 'error-list' });
      for (const x of errs.slice(0, 20)) ul.append(el('li', {}, `Line ${x.line}: ${x.error}`));
      $('#admin-result').append(ul);
    }
    notify('success', 'User mappings refreshed', `${fmtNum(r.mapped)} mapped, ${fmtNum(r.unmatched)} unmatched.`);
    loadAdmin();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    result('Refreshing the user mappings failed: ' + describeError(e, 'Refreshing the user mappings'), 'error');
  } finally {
    setBusy(btn, false);
  }
}
