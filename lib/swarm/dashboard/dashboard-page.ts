/**
 * The dashboard's one page: plain HTML, a stylesheet and a small script that polls the JSON endpoints
 * every 2 s and renders tables. No build step and nothing fetched from elsewhere, so it works on a lab
 * network without internet access. The script builds every element with `textContent` (through `el`),
 * never `innerHTML`: campaign names, hosts and log lines are shown as text, whatever they contain.
 *
 * On a cluster with a price (cluster-cost.ts) the header carries the cost meter, and each campaign row
 * the cluster's cost when the campaign is expected to end, next to its ETA; without one neither shows.
 *
 * The script is plain JavaScript in a string (the project compiles for Node, without DOM types); the
 * browser test (test/integration/dashboard.test.ts) is what checks it.
 */
import { createHash } from 'node:crypto';

const STYLE = String.raw`
  :root { --ok: #2e7d32; --failed: #c62828; --lost: #ef6c00; --interrupted: #6d4c41; --running: #1565c0;
          --muted: #6b7280; --line: #e5e7eb; font-family: system-ui, sans-serif; font-size: 14px; }
  body { margin: 0 1.5rem 2rem; color: #111827; }
  header { display: flex; gap: 1.5rem; align-items: baseline; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.3rem; margin: 0.8rem 0; }
  #status { margin-left: auto; color: var(--muted); }
  #status.error { color: var(--failed); }
  #cost { font-variant-numeric: tabular-nums; }
  .cost { white-space: nowrap; }
  table.no-cost .cost { display: none; }
  h2 { font-size: 1.1rem; margin: 1.4rem 0 0.5rem; }
  h3 { font-size: 0.95rem; margin: 1rem 0 0.4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.selectable { cursor: pointer; }
  tr.selectable:hover, tr.selected { background: #eff6ff; }
  tr.past { color: var(--muted); }
  .empty { color: var(--muted); font-style: italic; }
  .bar { display: flex; width: 16rem; height: 0.7rem; background: var(--line); border-radius: 3px; overflow: hidden; }
  .bar span { display: block; height: 100%; }
  .ok { color: var(--ok); } .failed { color: var(--failed); } .lost { color: var(--lost); }
  .interrupted { color: var(--interrupted); } .running { color: var(--running); }
  .bar .ok { background: var(--ok); } .bar .failed { background: var(--failed); }
  .bar .lost { background: var(--lost); } .bar .running { background: var(--running); }
  .counts { font-size: 0.85rem; margin-top: 0.2rem; }
  .mono { font-family: ui-monospace, monospace; font-size: 0.85rem; }
  button { font: inherit; cursor: pointer; }
  .pager { display: flex; gap: 0.8rem; align-items: center; margin: 0.4rem 0; }
  pre#log-text { background: #111827; color: #e5e7eb; padding: 0.8rem; overflow: auto; max-height: 30rem;
                 font-size: 0.8rem; white-space: pre-wrap; word-break: break-all; }
`;

const SCRIPT = String.raw`
'use strict';
const PAGE_SIZE = 100;
const POLL_MS = 2000;
const view = { campaignId: null, offset: 0, campaigns: [], cluster: null };

/** An element with text children: strings become text nodes, never markup. */
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''));
  return node;
}

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: columns, class: 'empty' }, emptyText))]));
}

function dash(value) {
  return value === null || value === undefined || value === '' ? '–' : value;
}

function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? h + ' h ' + m + ' min' : m + ' min ' + (s % 60) + ' s';
}

function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? dash(iso) : date.toLocaleString();
}

function usd(amount) {
  return '$' + amount.toFixed(2);
}

function bytes(n) {
  return n === null ? '–' : (n / 2 ** 30).toFixed(1) + ' GiB';
}

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (response.status === 401) throw new Error('not signed in: open this page once as ?token=<gateway token>');
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
  return response.json();
}

function progressBar(c) {
  const bar = el('div', { class: 'bar', title: c.runs.ok + ' ok, ' + c.runs.failed + ' failed, ' + c.runs.lost + ' lost, ' + c.running + ' running of ' + c.totalRuns });
  for (const [name, n] of [['ok', c.runs.ok], ['failed', c.runs.failed], ['lost', c.runs.lost], ['running', c.running]]) {
    const part = el('span', { class: name });
    part.style.width = (c.totalRuns > 0 ? (100 * n) / c.totalRuns : 0) + '%';
    bar.append(part);
  }
  return bar;
}

/** The cost meter: none at all without a price (a swarm of one's own machines), not $0. */
function renderCost(cluster) {
  const line = document.getElementById('cost');
  line.hidden = cluster === null;
  document.getElementById('campaigns').classList.toggle('no-cost', cluster === null);
  if (cluster === null) return;
  line.textContent = 'cluster cost ' + usd(cluster.spentUsd) + ' so far at ' + usd(cluster.usdPerHour) + '/h' +
    (cluster.projectedUsd === null ? '' : ', ~' + usd(cluster.projectedUsd) + ' by the end of the running campaigns');
  line.title = 'since ' + time(cluster.since) + ', at list prices (spot capacity at an assumed discount)';
}

function renderCampaigns(campaigns, cluster) {
  view.campaigns = campaigns;
  view.cluster = cluster;
  renderCost(cluster);
  const rows = campaigns.map((c) => {
    const done = c.runs.ok + c.runs.failed + c.runs.lost;
    // Under a second, or every executing unit past its expected end: nothing better to say than soon.
    const eta = c.remaining === 0 ? 'done' : c.etaMs === null ? 'unknown' : c.etaMs < 1000 ? 'soon' : duration(c.etaMs);
    return el('tr', { class: 'selectable' + (c.campaignId === view.campaignId ? ' selected' : ''), 'data-campaign-id': c.campaignId,
        onclick: () => selectCampaign(c.campaignId) },
      el('td', {}, el('div', { class: 'mono' }, c.campaignId), el('div', {}, c.configName, ' · ', c.program, ' ', c.args.join(' '))),
      el('td', {}, time(c.submittedAt)),
      el('td', {}, progressBar(c), el('div', { class: 'counts' },
        el('span', { class: 'ok' }, c.runs.ok + ' ok'), ' · ', el('span', { class: 'failed' }, c.runs.failed + ' failed'), ' · ',
        el('span', { class: 'lost' }, c.runs.lost + ' lost'), ' — ' + done + ' / ' + c.totalRuns)),
      el('td', { class: 'num running' }, c.running),
      el('td', { class: 'num eta' }, eta),
      el('td', { class: 'num cost' }, c.clusterUsdAtEnd === null ? '–' : '~' + usd(c.clusterUsdAtEnd)));
  });
  fill(document.querySelector('#campaigns tbody'), rows, 6, 'no campaigns yet');
}

function runRow(run) {
  const outcome = run.termination ?? run.failure;
  return el('tr', { 'data-run': run.runNumber },
    el('td', { class: 'num' }, run.runNumber),
    el('td', { class: run.status }, run.status),
    el('td', { class: 'num' }, run.attempt),
    el('td', {}, run.host),
    el('td', { class: 'num' }, duration(run.durationMs)),
    el('td', { class: 'num' }, dash(run.exitCode ?? run.signal)),
    el('td', { class: 'mono' }, dash(outcome)),
    el('td', {}, run.log === null ? '–' : el('button', { onclick: () => showLog(run.runNumber) }, 'log')));
}

async function refreshRuns() {
  if (view.campaignId === null) return;
  const id = view.campaignId;
  const page = await getJson('api/campaigns/' + encodeURIComponent(id) + '/runs?offset=' + view.offset + '&limit=' + PAGE_SIZE);
  if (id !== view.campaignId) return; // another campaign was chosen meanwhile
  const runs = page === null ? [] : page.runs;
  document.getElementById('runs-title').textContent = id;
  document.getElementById('running-now').textContent = page === null || page.running.length === 0 ? '' : 'running now: ' + page.running.join(', ');
  document.getElementById('page').textContent = runs.length === 0 ? '' : 'runs ' + (view.offset + 1) + '–' + (view.offset + runs.length);
  document.getElementById('prev').disabled = view.offset === 0;
  document.getElementById('next').disabled = runs.length < PAGE_SIZE;
  fill(document.querySelector('#runs tbody'), runs.map(runRow), 8, 'no run has finished yet');
}

function selectCampaign(id) {
  view.campaignId = id;
  view.offset = 0;
  document.getElementById('runs-section').hidden = false;
  document.getElementById('log').hidden = true;
  renderCampaigns(view.campaigns, view.cluster);
  refreshRuns().catch(showError);
}

async function showLog(runNumber) {
  const box = document.getElementById('log');
  const url = 'api/campaigns/' + encodeURIComponent(view.campaignId) + '/runs/' + runNumber + '/log';
  const log = await getJson(url);
  document.getElementById('log-title').textContent = log === null ? 'Run ' + runNumber + ': no output file' : 'Run ' + runNumber + ': ' + log.name + ' (last ' + log.lines.length + ' lines)';
  const text = document.getElementById('log-text');
  text.textContent = log === null ? '' : log.lines.join('\n');
  box.hidden = false;
  text.scrollTop = text.scrollHeight; // the end is where the error is
  box.scrollIntoView({ block: 'nearest' });
}

function renderSwarm(swarm) {
  fill(document.querySelector('#nodes tbody'), swarm.nodes.map((n) => el('tr', { 'data-node': n.hostname },
    el('td', {}, n.hostname), el('td', {}, n.role + (n.leader ? ' (leader)' : '')), el('td', {}, n.availability),
    el('td', { class: n.state === 'ready' ? 'ok' : 'failed' }, n.state), el('td', { class: 'mono' }, dash(n.address)),
    el('td', { class: 'num' }, dash(n.cpus)), el('td', { class: 'num' }, bytes(n.memoryBytes)), el('td', {}, dash(n.engineVersion)))), 8, 'no nodes');
  fill(document.querySelector('#services tbody'), swarm.services.map((s) => el('tr', { 'data-service': s.name },
    el('td', {}, s.name), el('td', {}, s.mode), el('td', { class: 'mono' }, s.image),
    el('td', { class: 'num' }, dash(s.runningTasks) + ' / ' + dash(s.desiredTasks)))), 4, 'no services');
  fill(document.querySelector('#tasks tbody'), swarm.tasks.map((t) => el('tr', { class: t.desiredState === 'shutdown' ? 'past' : '' },
    el('td', {}, t.serviceName + (t.slot === null ? '' : '.' + t.slot)), el('td', {}, dash(t.nodeHostname)),
    el('td', { class: t.state === 'running' ? 'running' : t.state === 'failed' || t.state === 'rejected' ? 'failed' : '' }, t.state),
    el('td', {}, t.desiredState), el('td', {}, time(t.updatedAt)), el('td', { class: 'num' }, dash(t.exitCode)),
    el('td', {}, dash(t.error ?? t.message)))), 7, 'no tasks');
}

function showError(error) {
  const status = document.getElementById('status');
  status.textContent = error.message;
  status.className = 'error';
}

async function poll() {
  // Each part on its own: a swarm the Docker API cannot show must not hide the campaigns.
  const results = await Promise.allSettled([
    getJson('api/campaigns').then((body) => renderCampaigns(body.campaigns, body.cluster)),
    getJson('api/swarm').then(renderSwarm),
    refreshRuns(),
  ]);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure === undefined) {
    const status = document.getElementById('status');
    status.textContent = 'updated ' + new Date().toLocaleTimeString();
    status.className = '';
  } else {
    showError(failure.reason);
  }
  setTimeout(poll, POLL_MS);
}

document.getElementById('prev').addEventListener('click', () => { view.offset = Math.max(0, view.offset - PAGE_SIZE); refreshRuns().catch(showError); });
document.getElementById('next').addEventListener('click', () => { view.offset += PAGE_SIZE; refreshRuns().catch(showError); });
poll();
`;

/** For the Content-Security-Policy: this inline script, and no other, may run. */
export const DASHBOARD_SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The page, for a dashboard mounted at `basePath` ('' for the root): its links are relative to it. */
export function dashboardPage(basePath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<base href="${escapeAttribute(basePath)}/">
<title>inet-swarm</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>inet-swarm</h1><nav><a href="queues">Queues</a></nav><span id="cost" hidden></span><span id="status">loading…</span></header>
<section>
<h2>Campaigns</h2>
<table id="campaigns" class="no-cost">
<thead><tr><th>Campaign</th><th>Submitted</th><th>Progress</th><th class="num">Running</th><th class="num">ETA</th><th class="num cost" title="what the cluster will have cost when the campaign ends">Cost at end</th></tr></thead>
<tbody></tbody>
</table>
</section>
<section id="runs-section" hidden>
<h2>Runs of <span id="runs-title" class="mono"></span></h2>
<div class="pager"><button id="prev">‹ previous</button><span id="page"></span><button id="next">next ›</button><span id="running-now" class="running"></span></div>
<table id="runs">
<thead><tr><th class="num">Run</th><th>State</th><th class="num">Attempt</th><th>Host</th><th class="num">Duration</th><th class="num">Exit</th><th>Termination</th><th>Output</th></tr></thead>
<tbody></tbody>
</table>
<div id="log" hidden><h3 id="log-title"></h3><pre id="log-text"></pre></div>
</section>
<section>
<h2>Swarm</h2>
<h3>Nodes</h3>
<table id="nodes">
<thead><tr><th>Host</th><th>Role</th><th>Availability</th><th>State</th><th>Address</th><th class="num">CPUs</th><th class="num">Memory</th><th>Engine</th></tr></thead>
<tbody></tbody>
</table>
<h3>Services</h3>
<table id="services">
<thead><tr><th>Service</th><th>Mode</th><th>Image</th><th class="num">Tasks</th></tr></thead>
<tbody></tbody>
</table>
<h3>Tasks</h3>
<table id="tasks">
<thead><tr><th>Task</th><th>Node</th><th>State</th><th>Desired</th><th>Updated</th><th class="num">Exit</th><th>Message</th></tr></thead>
<tbody></tbody>
</table>
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
