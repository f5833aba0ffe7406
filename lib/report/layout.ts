/** Page pieces every section uses: the section frame, notes, tables. */
import { markup, type Html, type HtmlValue } from './html.js';

export function section(id: string, title: string, body: HtmlValue): Html {
  return markup`<section id="${id}">
<h2>${title}</h2>
${body}
</section>
`;
}

/** A muted sentence standing in for a plot or table with nothing to show. */
export function note(text: HtmlValue): Html {
  return markup`<p class="empty">${text}</p>`;
}

export const NO_RUNS_YET = 'No runs recorded yet.';

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => HtmlValue;
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean;
}

export function table<T>(className: string, columns: readonly Column<T>[], rows: readonly T[]): Html {
  const numeric = (column: Column<T>) => (column.numeric === true ? markup` class="num"` : null);
  const head = columns.map((column) => markup`<th${numeric(column)}>${column.header}</th>`);
  const body = rows.map(
    (
      row,
    ) => markup`<tr>${columns.map((column) => markup`<td${numeric(column)}>${column.cell(row)}</td>`)}</tr>
`,
  );
  return markup`<table class="${className}">
<thead><tr>${head}</tr></thead>
<tbody>
${body}</tbody>
</table>`;
}
