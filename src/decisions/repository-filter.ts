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
