/**
 * The campaign state machine (statemachines/campaign.asl.yaml) as the tests read it: its
 * `${XFunctionArn}` placeholders replaced by fake Lambda ARNs, as serverless.yml's
 * DefinitionSubstitutions replace them in AWS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/repo.js';

export const CAMPAIGN_ASL = path.join(repoRoot, 'statemachines/campaign.asl.yaml');

/** `${ValidateFunctionArn}` and the like: filled by DefinitionSubstitutions. */
export const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath?: string | null;
  readonly Next: string;
}

export interface ChoiceRule {
  readonly Variable: string;
  readonly Next: string;
  readonly [operator: string]: unknown;
}

export interface AslState {
  readonly Type: 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Pass' | 'Parallel' | 'Map';
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultSelector?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly OutputPath?: string | null;
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  readonly Choices?: readonly ChoiceRule[];
  readonly Default?: string;
  readonly SecondsPath?: string;
  readonly Error?: string;
  readonly Cause?: string;
  readonly QueryLanguage?: string;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
  readonly States: Readonly<Record<string, AslState>>;
}

export function readCampaignAsl(): string {
  return readFileSync(CAMPAIGN_ASL, 'utf8');
}

/** The placeholder names the definition uses, e.g. `ValidateFunctionArn`. */
export function placeholders(text = readCampaignAsl()): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))].sort();
}

export function fakeFunctionArn(placeholder: string): string {
  const name = placeholder.replace(/FunctionArn$/, '');
  return `arn:aws:lambda:eu-central-1:123456789012:function:inet-swarm-test-${name}`;
}

/** The parsed definition with every placeholder substituted (a fresh object on every call). */
export function loadCampaignDefinition(): AslDefinition {
  const text = readCampaignAsl().replace(PLACEHOLDER, (_, name: string) => fakeFunctionArn(name));
  return parse(text) as AslDefinition;
}
