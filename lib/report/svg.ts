/** Inline SVG pieces shared by the plots: the outer element, axes, coordinates. */
import { markup, type Html } from './html.js';
import type { Scale } from './scale.js';

/** Plots are drawn in this many user units and scaled to the page width by CSS. */
export const PLOT_WIDTH = 1100;

/** A coordinate rounded to a tenth: finer is invisible and only makes a large timeline larger. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function svg(
  options: { width: number; height: number; className: string; label: string },
  body: Html,
): Html {
  const { width, height, className, label } = options;
  return markup`<svg class="${className}" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" height="${px(height)}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
${body}
</svg>`;
}

/** A horizontal axis at `y` with a tick and a label at each value of `ticks`. */
export function axisBottom(
  scale: Scale,
  ticks: readonly number[],
  y: number,
  format: (value: number) => string,
): Html {
  const [x0, x1] = scale.range;
  const marks = ticks.map((value) => {
    const x = px(scale.map(value));
    return markup`<line x1="${x}" y1="${px(y)}" x2="${x}" y2="${px(y + 4)}"/><text x="${x}" y="${px(y + 16)}" text-anchor="middle">${format(value)}</text>`;
  });
  return markup`<g class="axis"><line x1="${px(x0)}" y1="${px(y)}" x2="${px(x1)}" y2="${px(y)}"/>${marks}</g>`;
}

/** A vertical axis at `x`, labels to its left, for a scale whose range runs bottom to top. */
export function axisLeft(
  scale: Scale,
  ticks: readonly number[],
  x: number,
  format: (value: number) => string,
): Html {
  const [y0, y1] = scale.range;
  const marks = ticks.map((value) => {
    const y = px(scale.map(value));
    return markup`<line x1="${px(x - 4)}" y1="${y}" x2="${px(x)}" y2="${y}"/><text x="${px(x - 7)}" y="${y}" dy="0.32em" text-anchor="end">${format(value)}</text>`;
  });
  return markup`<g class="axis"><line x1="${px(x)}" y1="${px(y0)}" x2="${px(x)}" y2="${px(y1)}"/>${marks}</g>`;
}

/** Faint vertical lines behind the marks, one per tick, to read positions off the axis. */
export function gridLines(scale: Scale, ticks: readonly number[], y0: number, y1: number): Html {
  const lines = ticks.map((value) => {
    const x = px(scale.map(value));
    return markup`<line x1="${x}" y1="${px(y0)}" x2="${x}" y2="${px(y1)}"/>`;
  });
  return markup`<g class="grid">${lines}</g>`;
}
