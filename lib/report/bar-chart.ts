/**
 * A horizontal bar chart: a label, a bar (stacked from segments) and its value printed at the end.
 * Failures per kind, build times and costs are all a handful of named values; bars sideways leave
 * room for long labels without rotating text.
 */
import { markup, truncate, type Html } from './html.js';
import { linearScale } from './scale.js';
import { PLOT_WIDTH, px, svg } from './svg.js';

export interface BarSegment {
  readonly value: number;
  readonly className: string;
  readonly title: string;
}

export interface BarItem {
  readonly label: string;
  readonly segments: readonly BarSegment[];
  /** Printed after the bar. */
  readonly valueLabel: string;
  /** A tick across the bar's row, e.g. a budget. */
  readonly marker?: { readonly value: number; readonly title: string };
}

const LABEL_WIDTH = 250;
const VALUE_WIDTH = 220;
const ROW_HEIGHT = 22;
const BAR_HEIGHT = 14;
const LABEL_CHARS = 34;

function row(item: BarItem, top: number, x: (value: number) => number): Html {
  const barTop = px(top + (ROW_HEIGHT - BAR_HEIGHT) / 2);
  const middle = px(top + ROW_HEIGHT / 2);
  let total = 0;
  const segments = item.segments.map((segment) => {
    const x0 = x(total);
    total += segment.value;
    if (segment.value <= 0) return null;
    // At least a pixel, so a tiny value still shows a bar next to its label.
    const width = Math.max(1, x(total) - x0);
    return markup`<rect class="${segment.className}" x="${px(x0)}" y="${barTop}" width="${px(width)}" height="${BAR_HEIGHT}"><title>${segment.title}</title></rect>`;
  });
  const { marker } = item;
  const markerLine =
    marker === undefined
      ? null
      : markup`<line class="marker" x1="${px(x(marker.value))}" y1="${px(top + 1)}" x2="${px(x(marker.value))}" y2="${px(top + ROW_HEIGHT - 1)}"><title>${marker.title}</title></line>`;
  const valueX = Math.max(x(total), marker === undefined ? 0 : x(marker.value)) + 6;
  return markup`<g class="row"><text class="bar-label" x="${LABEL_WIDTH - 8}" y="${middle}" dy="0.32em" text-anchor="end"><title>${item.label}</title>${truncate(item.label, LABEL_CHARS)}</text>${segments}${markerLine}<text class="bar-value" x="${px(valueX)}" y="${middle}" dy="0.32em">${item.valueLabel}</text></g>
`;
}

export function barChart(items: readonly BarItem[], options: { className: string; label: string }): Html {
  const totals = items.map((item) => item.segments.reduce((sum, segment) => sum + segment.value, 0));
  const max = Math.max(0, ...totals, ...items.map((item) => item.marker?.value ?? 0));
  const x = linearScale([0, max > 0 ? max : 1], [LABEL_WIDTH, PLOT_WIDTH - VALUE_WIDTH]);
  const height = 8 + items.length * ROW_HEIGHT;
  return svg(
    { width: PLOT_WIDTH, height, className: `plot bars ${options.className}`, label: options.label },
    markup`<line class="baseline" x1="${LABEL_WIDTH}" y1="2" x2="${LABEL_WIDTH}" y2="${height - 2}"/>
${items.map((item, i) => row(item, 4 + i * ROW_HEIGHT, x.map))}`,
  );
}
