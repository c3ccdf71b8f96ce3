/**
 * Which repositories the reporter covers, and what is wrong or doubtful in the two patterns
 * that say so. Shared by the construct (errors at synth, annotations) and the command-line
 * tool (usage errors, warnings on stderr), so both say the same:
 * - {@link RepositoryFilter.problem}: a pattern that cannot work (empty, or not a regular
 *   expression) is an error.
 * - {@link patternWarnings}: a pattern that compiles but probably does not mean what was meant
 *   is a warning: a regular-expression literal (`/^team-a/`, whose slashes would then have to
 *   appear in the name) or upper-case letters (ECR repository names are lower case).
 */

/** One warning about a pattern; `kind` is the suffix of the construct's warning id (`ecr-scan-reporter:repositoryPatternSlashes`). */
export interface PatternWarning {
  readonly kind: 'Slashes' | 'Uppercase';
  readonly message: string;
}

/**
 * The pattern's letters that must appear in a name as written: escapes (`\d`, `\S`,
 * `\p{Lu}`), character classes (`[A-Z]`) and group names (`(?<Team>…)`) left out.
 */
function literalText(pattern: string): string {
  return pattern
    .replace(/\\[pPk][{<][^}>]*[}>]/g, '')
    .replace(/\\./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\(\?<[^>]*>/g, '(');
}

/**
 * Warnings about a pattern that compiles but likely selects nothing it was meant to; `name`
 * is how the caller names the setting (`repositoryPattern`, `--exclude-pattern`). At most one:
 * a regular-expression literal is told first, as its letters are not the point.
 */
export function patternWarnings(name: string, pattern: string): PatternWarning[] {
  // A name never starts with '/', so '/^app$/' never matches; '/team-a/' alone may, inside a name.
  if (/^\/(\^.*|.*\$)\/[dgimsuyv]*$|^\/.+\/[dgimsuyv]+$/.test(pattern)) {
    return [
      {
        kind: 'Slashes',
        message: `${name} ${JSON.stringify(pattern)} looks like a JavaScript regular expression literal; it is used as the pattern's source, so the slashes must appear in the repository name. Give the source without slashes or flags, for example "^team-a/"`,
      },
    ];
  }
  if (/[A-Z]/.test(literalText(pattern))) {
    return [
      {
        kind: 'Uppercase',
        message: `${name} ${JSON.stringify(pattern)} has upper-case letters, but ECR repository names are lower case, so those parts of the pattern never match; write them in lower case`,
      },
    ];
  }
  return [];
}

/**
 * Which repositories the reporter covers: those whose name matches
 * `repositoryPattern` (every repository when absent) and does not match
 * `excludePattern`. Patterns are JavaScript regular expressions tested against
 * the whole name without implicit anchors: use `^…$` to match the whole name.
 */
export class RepositoryFilter {
  /** Returns a problem sentence for an invalid pattern, or undefined when it compiles. */
  public static problem(name: string, pattern: string): string | undefined {
    if (pattern === '') {
      return `${name} must not be empty; omit it to select every repository (given "")`;
    }
    try {
      new RegExp(pattern);
      return undefined;
    } catch (e) {
      return `${name} is not a valid JavaScript regular expression: ${(e as Error).message} (given ${JSON.stringify(pattern)}); give the pattern's source without slashes or flags, and escape ( [ . * + ? with a backslash to match them literally`;
    }
  }

  private readonly include?: RegExp;
  private readonly exclude?: RegExp;

  constructor(repositoryPattern?: string, excludePattern?: string) {
    const problems = [
      repositoryPattern === undefined ? undefined : RepositoryFilter.problem('repositoryPattern', repositoryPattern),
      excludePattern === undefined ? undefined : RepositoryFilter.problem('excludePattern', excludePattern),
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(problems.join('; '));
    this.include = repositoryPattern === undefined ? undefined : new RegExp(repositoryPattern);
    this.exclude = excludePattern === undefined ? undefined : new RegExp(excludePattern);
  }

  public matches(repositoryName: string): boolean {
    return (this.include?.test(repositoryName) ?? true) && !(this.exclude?.test(repositoryName) ?? false);
  }
}
