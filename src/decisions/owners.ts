/**
 * Who owns a repository: the value of a repository tag (`ownerTagKey`), else the first of
 * `repositoryOwners` whose pattern matches the name, else nobody. Every report carries the owner
 * as its `owner` message attribute, `UNOWNED` when nobody owns it, so SNS filter policies
 * route each team's reports to its own subscriptions. Plain module, no AWS client.
 *
 * | source | the owner |
 * |---|---|
 * | `ownerTagKey` set, the repository has that tag with a valid value | the tag's value |
 * | no such tag (or the tags could not be read), a `repositoryOwners` pattern matches | that rule's owner (first match wins) |
 * | neither | nobody: the attribute is `UNOWNED`, the JSON field null |
 */

/** The owner attribute of reports that nobody owns. It cannot be an owner's name. */
export const UNOWNED = 'UNOWNED';
/** Owner names: what a filter policy can match exactly, and what a tag value can hold. */
const OWNER = /^[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,127}$/;

export interface OwnerRule {
  readonly pattern: string;
  readonly owner: string;
}

export function ownerProblem(name: string, owner: unknown): string | undefined {
  if (typeof owner !== 'string' || !OWNER.test(owner)) {
    return `${name} must be 1 to 128 letters, digits, spaces or _.:/=+@- starting with a letter or digit, for example "team-payments" (given ${JSON.stringify(owner)})`;
  }
  if (owner === UNOWNED) return `${name} must not be "${UNOWNED}", which marks reports that nobody owns; choose another name`;
  return undefined;
}

export function isOwnerName(value: string): boolean {
  return ownerProblem('owner', value) === undefined;
}

export function parseOwnerRules(json: string | undefined): OwnerRule[] {
  if (json === undefined || json === '') return [];
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('repository owners must be a JSON list');
  return value.map((raw, i) => {
    const rule = raw as OwnerRule;
    const problem = ownerProblem(`repositoryOwners[${i}].owner`, rule?.owner);
    if (problem) throw new Error(problem);
    if (typeof rule.pattern !== 'string') throw new Error(`repositoryOwners[${i}].pattern must be a regular expression's source`);
    new RegExp(rule.pattern);
    return { pattern: rule.pattern, owner: rule.owner };
  });
}

export interface OwnerInput {
  readonly repositoryName: string;
  /** The owner tag's value, when the tag key is set and the repository has it. */
  readonly tagOwner?: string;
  readonly rules: readonly OwnerRule[];
}

export interface OwnerDecision {
  /** The owner, or undefined when nobody owns the repository. */
  readonly owner?: string;
  readonly source: 'tag' | 'pattern' | 'none';
}

export function decideOwner(input: OwnerInput): OwnerDecision {
  if (input.tagOwner !== undefined && isOwnerName(input.tagOwner)) return { owner: input.tagOwner, source: 'tag' };
  const rule = input.rules.find((r) => new RegExp(r.pattern).test(input.repositoryName));
  return rule ? { owner: rule.owner, source: 'pattern' } : { source: 'none' };
}
