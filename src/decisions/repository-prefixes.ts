/**
 * The literal prefixes of a repository pattern: every repository name that the
 * pattern matches starts with one of them, so IAM can name the selected
 * repositories as `repository/<prefix>*`. Plain function, no AWS client.
 *
 * The pattern is read as the filter reads it (repository-filter.ts): a JavaScript
 * regular expression without flags, tested anywhere in the name. So every
 * top-level alternative must be anchored with `^`, and its prefix is the literal
 * text after the anchor, up to the first thing that is not a plain literal:
 *
 * | In the pattern                                                                        | The prefix                                           |
 * | ------------------------------------------------------------------------------------- | ---------------------------------------------------- |
 * | `^` before anything else, in every top-level alternative                              | starts there; an alternative without it: no prefixes |
 * | `^` after a character (`a^b`)                                                         | that alternative never matches: left out             |
 * | a plain character; `\` and a punctuation mark (`\.` `\/` `\-`)                        | the character is appended                            |
 * | a group `(…)`, `(?:…)`, `(?<name>…)`, with or without `\|`                            | one prefix per alternative, each continued after it  |
 * | `x?`, `x*`, `x{0}`, `x{0,n}`, `x{0,}`, lazy or not                                    | ends before `x`                                      |
 * | `x+`, `x{n}`, `x{n,}`, `x{n,m}` with n at least 1, lazy or not                        | keeps `x` once, then ends                            |
 * | a class `[…]`, `.`, `\d` `\w` `\s`, any other letter or digit escape                  | ends                                                 |
 * | `$`, `\b`, `\B`, a lookahead or lookbehind, a backreference                           | ends                                                 |
 * | a character outside printable ASCII                                                   | ends                                                 |
 * | a prefix that starts with another prefix (`^(a\|ab)`)                                 | left out: the shorter one covers it                  |
 * | an empty prefix; `*` or `?` (IAM wildcards) or `$` (IAM policy variables) in a prefix | no prefixes (undefined)                              |
 * | more than 20 prefixes; an invalid pattern; anything else (`{`, `(?i:…)`)              | no prefixes (undefined)                              |
 *
 * Correct by construction: each rule either appends a character every match must
 * have at that place, or stops. Where in doubt, it stops, or gives up.
 */

/** More prefixes than this, and the pattern is not narrowed (IAM policies have a size quota). */
export const MAX_PREFIXES = 20;

/**
 * One way through the pattern. `open`: this way matched exactly `text` so far, so
 * what follows extends it; otherwise `text` is only how it starts. `anchored`:
 * the way asserted the start of the name (`^`) before consuming anything.
 */
interface Path {
  readonly text: string;
  readonly open: boolean;
  readonly anchored: boolean;
}

/** What a term does to the paths before it; `repeatable` says whether a quantifier may follow (JavaScript refuses `^*`). */
interface Atom {
  readonly paths: readonly Path[];
  readonly repeatable: boolean;
}

/** Something the reading does not understand, or too many paths: no prefixes. */
class Unsure extends Error {}

/** A term after which nothing more is known about the text (a class, `.`, `$`, a lookaround): the prefix ends there. */
const ENDS: Path = { text: '', open: false, anchored: false };

/**
 * Returns the literal prefixes every repository name matched by `new RegExp(pattern)`
 * starts with, or undefined when the pattern has none that IAM can name.
 * @param pattern a `repositoryPattern`, as the filter reads it: a JavaScript regular expression source without flags
 */
export function literalPrefixes(pattern: string): string[] | undefined {
  try {
    new RegExp(pattern);
  } catch {
    return undefined;
  }
  let paths: readonly Path[];
  try {
    const reader = new PatternReader(pattern);
    paths = reader.disjunction();
    if (!reader.atEnd()) return undefined;
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
  if (paths.length === 0 || paths.some((p) => !p.anchored || p.text === '')) return undefined;
  const texts = [...new Set(paths.map((p) => p.text))];
  const prefixes = texts.filter((t) => !texts.some((other) => other !== t && t.startsWith(other)));
  if (prefixes.length > MAX_PREFIXES || prefixes.some((p) => /[*?$]/.test(p))) return undefined;
  return prefixes;
}

/** A recursive-descent reading of the pattern, in JavaScript's syntax without flags (Annex B). */
class PatternReader {
  private pos = 0;

  constructor(private readonly source: string) {}

  public atEnd(): boolean {
    return this.pos >= this.source.length;
  }

  /** Alternatives up to a `)` or the end: the union of their paths. */
  public disjunction(): Path[] {
    const paths = [...this.alternative()];
    while (this.source[this.pos] === '|') {
      this.pos++;
      paths.push(...this.alternative());
    }
    return bounded(paths);
  }

  /** Terms up to a `|`, a `)` or the end, each continuing the open paths. */
  private alternative(): Path[] {
    let paths: Path[] = [{ text: '', open: true, anchored: false }];
    while (!this.atEnd() && this.source[this.pos] !== '|' && this.source[this.pos] !== ')') {
      const term = this.term();
      paths = bounded(paths.flatMap((before) => (before.open ? term.flatMap((next) => follow(before, next)) : [before])));
    }
    return paths;
  }

  /** An atom and its quantifier, if any. */
  private term(): readonly Path[] {
    const atom = this.atom();
    const min = this.quantifierMin();
    if (min === undefined) return atom.paths;
    if (!atom.repeatable) throw new Unsure();
    // May be absent: the prefix ends before it. Present at least once: its first pass starts the text.
    return min === 0 ? [ENDS] : atom.paths.map((p) => ({ ...p, open: false }));
  }

  /** The least count of a quantifier at the reading position (consumed, with its lazy `?`), or undefined when none is there. */
  private quantifierMin(): number | undefined {
    const c = this.source[this.pos];
    let min: number;
    if (c === '*' || c === '?') {
      min = 0;
      this.pos++;
    } else if (c === '+') {
      min = 1;
      this.pos++;
    } else if (c === '{') {
      // Only these forms are quantifiers; any other `{` is a literal in Annex B, which atom() refuses.
      const braces = /^\{(\d+)(?:,\d*)?\}/.exec(this.source.slice(this.pos));
      if (!braces) return undefined;
      min = Number(braces[1]);
      this.pos += braces[0].length;
    } else {
      return undefined;
    }
    if (this.source[this.pos] === '?') this.pos++;
    return min;
  }

  private atom(): Atom {
    const c = this.source[this.pos];
    switch (c) {
      case '^':
        this.pos++;
        return { paths: [{ text: '', open: true, anchored: true }], repeatable: false };
      case '$':
        this.pos++;
        return { paths: [ENDS], repeatable: false };
      case '.':
        this.pos++;
        return { paths: [ENDS], repeatable: true };
      case '[':
        this.skipClass();
        return { paths: [ENDS], repeatable: true };
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
        throw new Unsure();
      default:
        this.pos++;
        return literal(c);
    }
  }

  /** `\` and the character after it: a punctuation mark is itself; a letter or digit is a class, an assertion, a backreference or a code. */
  private escape(): Atom {
    const next = this.source[this.pos + 1];
    if (next === undefined) throw new Unsure();
    this.pos += 2;
    if (next === 'b' || next === 'B') return { paths: [ENDS], repeatable: false };
    if (/[A-Za-z0-9]/.test(next)) return { paths: [ENDS], repeatable: true };
    return literal(next);
  }

  /** A class ends at its first unescaped `]` (no `v` flag, so no nested classes). */
  private skipClass(): void {
    let i = this.pos + 1;
    while (i < this.source.length && this.source[i] !== ']') i += this.source[i] === '\\' ? 2 : 1;
    if (i >= this.source.length) throw new Unsure();
    this.pos = i + 1;
  }

  private group(): Atom {
    const rest = this.source.slice(this.pos);
    let lookaround = false;
    if (rest.startsWith('(?:')) {
      this.pos += 3;
    } else if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      lookaround = true;
      this.pos += 3;
    } else if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
      lookaround = true;
      this.pos += 4;
    } else if (rest.startsWith('(?<')) {
      const named = /^\(\?<[A-Za-z_$][A-Za-z0-9_$]*>/.exec(rest);
      if (!named) throw new Unsure();
      this.pos += named[0].length;
    } else if (rest.startsWith('(?')) {
      // Modifiers such as (?i:…), and whatever JavaScript adds next.
      throw new Unsure();
    } else {
      this.pos += 1;
    }
    const inner = this.disjunction();
    if (this.source[this.pos] !== ')') throw new Unsure();
    this.pos++;
    // A lookaround consumes nothing that a prefix could name: read for its extent, then the prefix ends.
    return lookaround ? { paths: [ENDS], repeatable: true } : { paths: inner, repeatable: true };
  }
}

/** A literal character continues the text; one outside printable ASCII ends it (no repository name has one). */
function literal(c: string): Atom {
  const printable = c >= ' ' && c <= '~';
  return { paths: [printable ? { text: c, open: true, anchored: false } : ENDS], repeatable: true };
}

/** An open path continued by a term's path: none when the term asserts the start after text was consumed (`a^`). */
function follow(before: Path, next: Path): Path[] {
  if (next.anchored && before.text !== '') return [];
  return [{ text: before.text + next.text, open: next.open, anchored: before.anchored || next.anchored }];
}

/** The distinct paths, or Unsure when there are too many to name. */
function bounded(paths: Path[]): Path[] {
  const seen = new Map(paths.map((p) => [`${p.open}:${p.anchored}:${p.text}`, p]));
  if (seen.size > MAX_PREFIXES) throw new Unsure();
  return [...seen.values()];
}
