/** Where each session's results came from: the program, the source and the machine that submitted. */
import { formatCount, formatUtc } from './format.js';
import { markup, type Html, type HtmlValue } from './html.js';
import { note, section } from './layout.js';
import type { ReportData, ReportSession } from './report-data.js';

function code(value: string | null): HtmlValue {
  return value === null ? '–' : markup`<code>${value}</code>`;
}

/** `opp_run -v` prints a banner of several lines: the first shows, the rest folds away. */
function programVersion(version: string | null): HtmlValue {
  if (version === null) return '–';
  const [first = '', ...rest] = version.trim().split('\n');
  if (rest.length === 0) return markup`<code>${first}</code>`;
  return markup`<details><summary><code>${first}</code></summary><pre>${version}</pre></details>`;
}

function gitCommit(session: ReportSession): HtmlValue {
  const { gitCommit: commit, gitDirty: dirty } = session.provenance;
  if (commit === null) return '–';
  if (dirty === null) return code(commit);
  return markup`${code(commit)} ${dirty ? markup`<span class="dirty">dirty</span>` : 'clean'}`;
}

function sessionTable(session: ReportSession): Html {
  const p = session.provenance;
  const rows: [string, HtmlValue][] = [
    ['session', code(session.sessionId)],
    ['backend', session.backend],
    ['started', formatUtc(session.startedAt)],
    ['jobs', session.jobs === null ? '–' : formatCount(session.jobs)],
    ['program version', programVersion(p.programVersion)],
    ['git commit', gitCommit(session)],
    ['source hash', code(p.sourceHash)],
    ['fingerprint', code(p.fingerprint)],
    ['submitted from', code(p.host)],
    ['node version', code(p.nodeVersion)],
  ];
  return markup`<table class="provenance">
<tbody>
${rows.map(
  ([name, value]) => markup`<tr><th>${name}</th><td>${value}</td></tr>
`,
)}</tbody>
</table>
`;
}

export function provenanceSection(data: ReportData): Html {
  if (data.sessions.length === 0)
    return section('provenance', 'Provenance', note('No sessions recorded yet.'));
  const sessions = [...data.sessions].sort((a, b) => b.startedAt - a.startedAt);
  return section(
    'provenance',
    'Provenance',
    markup`<p class="intro">What each session ran and where it was submitted from, latest first.</p>
<div class="provenance-grid">
${sessions.map(sessionTable)}</div>`,
  );
}
