/**
 * The report's stylesheet, inlined into the page. System fonts only: the file must open without a
 * network. Plots are drawn 1,100 units wide and scale down with the page.
 */
export const REPORT_STYLE = String.raw`
:root { --ok: #2e7d32; --failed: #c62828; --lost: #ef6c00; --interrupted: #6d4c41; --muted: #6b7280;
        --line: #e5e7eb; --band: #f9fafb; --accent: #1d4ed8;
        font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; font-size: 14px; color: #111827; }
body { margin: 0 auto; padding: 0 1.5rem 3rem; max-width: 1160px; }
header { border-bottom: 1px solid var(--line); padding: 1rem 0 0.6rem; }
header h1 { font-size: 1.35rem; margin: 0 0 0.4rem; overflow-wrap: anywhere; }
nav a { color: var(--accent); margin-right: 1rem; text-decoration: none; }
h2 { font-size: 1.15rem; margin: 2rem 0 0.5rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 0.98rem; margin: 1.2rem 0 0.2rem; overflow-wrap: anywhere; }
p.intro { color: #374151; max-width: 52rem; }
p.stats { margin: 0.2rem 0 0.4rem; color: #374151; }
.empty { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.86em; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1.2rem; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.count { margin-right: 0.8rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
td { overflow-wrap: anywhere; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
ol.attempts { margin: 0; padding-left: 1.3rem; }
.msg { white-space: pre-wrap; }
.kind { font-weight: 600; }
.dirty { color: var(--lost); font-weight: 600; }
.provenance-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 0 1.5rem; }
table.provenance th { width: 9rem; }
table.provenance code { overflow-wrap: anywhere; }
details pre { white-space: pre-wrap; margin: 0.3rem 0; font-size: 0.8rem; }
.legend { margin: 0.3rem 0; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; margin: 0 0.3em 0 0.6em;
          border-radius: 2px; }
.swatch.s-ok { background: var(--ok); } .swatch.s-failed { background: var(--failed); }
.swatch.s-lost { background: var(--lost); } .swatch.s-interrupted { background: var(--interrupted); }
.idle-swatch { margin-left: 0; background: repeating-linear-gradient(45deg, #e5e7eb 0 2px, #9ca3af 2px 3px); }
.s-text-ok { color: var(--ok); } .s-text-failed { color: var(--failed); }
.s-text-lost { color: var(--lost); } .s-text-interrupted { color: var(--interrupted); }
.status { font-weight: 600; }
svg.plot { display: block; width: 100%; height: auto; overflow: visible; font-size: 12px; }
svg.plot text { fill: #374151; }
.axis line { stroke: #9ca3af; }
.grid line { stroke: #eef0f3; }
.hist rect { fill: #3b82f6; }
line.median { stroke: #111827; stroke-width: 1.5; stroke-dasharray: 5 3; }
line.p90 { stroke: #111827; stroke-width: 1.5; stroke-dasharray: 1.5 2.5; }
.key-median { border-bottom: 2px dashed #111827; } .key-p90 { border-bottom: 2px dotted #111827; }
.bands rect:nth-child(odd) { fill: var(--band); } .bands rect:nth-child(even) { fill: #fff; }
.bars.s-ok { fill: var(--ok); } .bars.s-failed { fill: var(--failed); }
.bars.s-lost { fill: var(--lost); } .bars.s-interrupted { fill: var(--interrupted); }
.hatch-bg { fill: #f3f4f6; } .hatch-line { stroke: #9ca3af; stroke-width: 2; }
text.host-label { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 11px; }
text.host-usage { font-weight: 600; }
.baseline { stroke: #9ca3af; }
.k-failed { fill: var(--failed); } .k-lost { fill: var(--lost); } .k-interrupted { fill: var(--interrupted); }
rect.retried { fill-opacity: 0.4; }
.build-ok { fill: #3b82f6; } .build-cached { fill: #93c5fd; } .build-failed { fill: var(--failed); }
.spent { fill: #7c3aed; }
line.marker { stroke: #111827; stroke-width: 2; }
@media print { svg.plot { break-inside: avoid; } }
`;
