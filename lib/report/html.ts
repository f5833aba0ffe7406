/**
 * Markup built with the `markup` tag: every interpolated value is escaped unless it is already `Html`
 * (made by this tag or by `trustedHtml`). Campaign names, hosts, failure messages and program
 * arguments come from users and simulations; escaping by default means a forgotten call cannot turn
 * them into markup. Escaping `"` and `'` as well makes the same function safe inside attributes.
 *
 * The tag is not called `html` on purpose: Prettier formats templates tagged `html` as HTML, which
 * spreads every element over lines (several times the bytes, for 20,000 timeline bars).
 */

/** Markup that is safe to insert as is. */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** Only for the report's own constants (its stylesheet and policy): never for data. */
export function trustedHtml(text: string): Html {
  return new Html(text);
}

function insert(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  // `false`, `null` and `undefined` render nothing so `cond && markup\`...\`` reads naturally.
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(insert).join('');
  return escapeHtml(String(value));
}

export function markup(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += insert(value) + (strings[i + 1] ?? '');
  });
  return new Html(text);
}

/** `text` cut to `max` characters with an ellipsis, for labels whose full text goes in a tooltip. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
