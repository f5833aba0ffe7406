/**
 * The AWS cluster template (swarm/cluster.cfn.yaml) read as plain data, and what CloudFormation does
 * with its `Fn::Sub` strings, so that tests can run the instances' user data and the scripts it
 * installs (deploy.sh, report-ready.sh) outside EC2.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { repoRoot } from './repo.js';

export const CLUSTER_TEMPLATE_PATH = path.join(repoRoot, 'swarm/cluster.cfn.yaml');
export const CLUSTER_TEMPLATE_TEXT = readFileSync(CLUSTER_TEMPLATE_PATH, 'utf8');

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function loadClusterTemplate(): Json {
  // Long-form intrinsics only: the plain YAML schema must read it without a single unknown tag.
  const document = parseDocument(CLUSTER_TEMPLATE_TEXT);
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) throw new Error(`the template is not plain YAML: ${problems.join('; ')}`);
  return document.toJS() as Json;
}

/** The node at `keys`; throws naming the path if there is none. */
export function at(node: Json | undefined, ...keys: (string | number)[]): Json {
  let current: Json | undefined = node;
  for (const key of keys) {
    if (typeof key === 'number' && Array.isArray(current)) current = current[key];
    else if (
      typeof key === 'string' &&
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current)
    )
      current = current[key];
    else current = undefined;
    if (current === undefined) throw new Error(`template has no ${keys.join('.')}`);
  }
  return current as Json;
}

export function text(node: Json): string {
  if (typeof node !== 'string')
    throw new Error(`expected a string in the template, got ${JSON.stringify(node)}`);
  return node;
}

/** What CloudFormation's Fn::Sub does with a template string (and `${!Literal}`), for given values. */
export function renderSub(sub: Json, values: Readonly<Record<string, string>>): string {
  const template = Array.isArray(sub) ? sub[0] : sub;
  if (typeof template !== 'string') throw new Error('Fn::Sub without a template string');
  return template.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    const value = values[name];
    if (value === undefined) throw new Error(`Fn::Sub refers to \${${name}}, which the test does not know`);
    return value;
  });
}

/** The `Fn::Sub` of a launch template's user data. */
export const userDataSub = (template: Json, launchTemplate: string): Json =>
  at(
    template,
    'Resources',
    launchTemplate,
    'Properties',
    'LaunchTemplateData',
    'UserData',
    'Fn::Base64',
    'Fn::Sub',
  );

/** A parameter's default value. */
export const parameterDefault = (template: Json, name: string): string =>
  text(at(template, 'Parameters', name, 'Default'));

/**
 * The body of a file the user data writes with `cat >FILE <<'MARK' ... MARK` (quoted: no expansion), e.g.
 * `/opt/inet-swarm/deploy.sh`.
 */
export function heredocFile(userData: string, file: string): string {
  const lines = userData.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^\\s*cat >${escape(file)} <<'(\\w+)'$`).test(line));
  if (start < 0) throw new Error(`the user data does not write ${file}`);
  const mark = /<<'(\w+)'$/.exec(lines[start] ?? '')?.[1] ?? '';
  const end = lines.findIndex((line, i) => i > start && line.trim() === mark);
  if (end < 0) throw new Error(`the here-document of ${file} has no end (${mark})`);
  return `${lines.slice(start + 1, end).join('\n')}\n`;
}

const escape = (literal: string): string => literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
