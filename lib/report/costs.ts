/** Cost per session on AWS: what the cluster cost, against the budget when one was set. */
import { barChart, type BarItem } from './bar-chart.js';
import { formatDecimal, formatUsd } from './format.js';
import { markup, type Html } from './html.js';
import { note, section, table } from './layout.js';
import type { ReportCost, ReportData } from './report-data.js';

const TITLE = 'Cost';

function costBar(cost: ReportCost): BarItem {
  const spent = formatUsd(cost.spentUsd);
  const bar = {
    label: `${cost.sessionId} · ${cost.backend}`,
    segments: [{ value: cost.spentUsd, className: 'spent', title: `spent ${spent}` }],
  };
  if (cost.budgetUsd === null) return { ...bar, valueLabel: spent };
  const budget = formatUsd(cost.budgetUsd);
  return {
    ...bar,
    valueLabel: `${spent} of ${budget} budget`,
    marker: { value: cost.budgetUsd, title: `budget ${budget}` },
  };
}

export function costsSection(data: ReportData): Html {
  if (data.costs.length === 0) {
    return section(
      'cost',
      TITLE,
      note("No cloud cost: local and swarm campaigns run on the user's own machines."),
    );
  }
  const total = data.costs.reduce((sum, cost) => sum + cost.spentUsd, 0);
  const budgets = data.costs.some((cost) => cost.budgetUsd !== null);
  const rows = table(
    'costs',
    [
      { header: 'session', cell: (c: ReportCost) => markup`<span class="mono">${c.sessionId}</span>` },
      { header: 'backend', cell: (c) => c.backend },
      { header: 'cluster', cell: (c) => c.cluster },
      { header: 'USD per hour', cell: (c) => formatUsd(c.usdPerHour), numeric: true },
      { header: 'cluster hours', cell: (c) => formatDecimal(c.clusterHours), numeric: true },
      { header: 'spent', cell: (c) => formatUsd(c.spentUsd), numeric: true },
      { header: 'budget', cell: (c) => (c.budgetUsd === null ? '–' : formatUsd(c.budgetUsd)), numeric: true },
    ],
    data.costs,
  );
  return section(
    'cost',
    TITLE,
    markup`<p class="intro">${formatUsd(total)} in all.${budgets ? " The line across a row marks the session's budget." : null}</p>
${barChart(data.costs.map(costBar), { className: 'costs', label: 'Cost per session' })}
${rows}`,
  );
}
