// Version ranges over image tags, in npm's semver range syntax (the part of
// it that release numbers need): comparators `<1.2.3 <=1.2 >1 >=1.2.0 =1.2.3`,
// x-ranges `1.2.x 1.* *`, tilde `~1.2.3` (patch updates), caret `^1.2.3`
// (no change of the leftmost non-zero part), hyphen `1.2.3 - 2.0`, several
// comparators in a row all holding, alternatives joined by `||`.
// A tag's version is its leading numbers: `v1.4.2`, `1.4.2-alpine` and
// `1.4.2_build7` are 1.4.2, `1.4` is 1.4.0; a tag with none (`latest`, a
// digest) has no version and matches no range. Pre-release parts are not
// compared (image tags use the suffix for variants as often as for
// pre-releases), so a range that names one is refused.

type Version = readonly [number, number, number];
type Operator = '<' | '<=' | '>' | '>=';

interface Comparator {
  readonly op: Operator;
  readonly version: Version;
}

/** Alternatives, each a list of comparators that must all hold (an empty list holds for every version). */
export type VersionRange = readonly (readonly Comparator[])[];

const partial = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/;

/** The version of an image tag, or undefined when it names none. */
export function tagVersion(tag: string | undefined): Version | undefined {
  const match = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:[-+_.].*)?$/.exec(tag ?? '');
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** Parses a range; throws an Error saying what is wrong. */
export function parseRange(text: string): VersionRange {
  const alternatives = text.split('||').map((part) => part.trim());
  return alternatives.map((alternative) => {
    if (alternative === '' || alternative === '*') return [];
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(alternative);
    if (hyphen) return [...desugar('>=', hyphen[1] as string), ...desugar('<=', hyphen[2] as string)];
    const comparators: Comparator[] = [];
    // "> = 1.2" and ">=1.2" alike: an operator may stand apart from its version.
    const words = alternative.replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1').split(/\s+/);
    for (const word of words) {
      const op = /^(<=|>=|<|>|=|\^|~>?)?(.*)$/.exec(word) as RegExpExecArray;
      comparators.push(...desugar(op[1] ?? '', op[2] as string));
    }
    return comparators;
  });
}

export function inRange(version: Version, range: VersionRange): boolean {
  return range.some((comparators) => comparators.every((c) => holds(version, c)));
}

function holds(version: Version, { op, version: bound }: Comparator): boolean {
  const order = compare(version, bound);
  if (op === '<') return order < 0;
  if (op === '<=') return order <= 0;
  if (op === '>') return order > 0;
  return order >= 0;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator as written, in terms of the four plain operators. */
function desugar(op: string, text: string): Comparator[] {
  if (/[-+]/.test(text.replace(/^v/, ''))) {
    throw new Error(`"${op}${text}": pre-release and build parts are not compared in image tags; name the release`);
  }
  const match = partial.exec(text);
  if (!match) throw new Error(`"${op}${text}" is not a version or version range`);
  const parts = [match[1], match[2], match[3]].map((part) =>
    part === undefined || /^[xX*]$/.test(part) ? undefined : Number(part),
  );
  const known = parts.indexOf(undefined) < 0 ? 3 : parts.indexOf(undefined);
  if (parts.slice(known).some((part) => part !== undefined))
    throw new Error(`"${text}": a wildcard is followed by a number`);
  const [major = 0, minor = 0, patch = 0] = parts as number[];
  const floor: Version = [major, known > 1 ? minor : 0, known > 2 ? patch : 0];
  // The first version past everything the given parts cover (1.2 → 1.3.0, 1 → 2.0.0).
  const next = (): Version =>
    known === 1 ? [major + 1, 0, 0] : known === 2 ? [major, minor + 1, 0] : [major, minor, patch + 1];
  const at = (o: Operator, version: Version): Comparator => ({ op: o, version });
  if (known === 0) return op === '<' || op === '>' ? [at('<', [0, 0, 0])] : [];
  switch (op) {
    case '':
    case '=':
      return known === 3 ? [at('>=', floor), at('<=', floor)] : [at('>=', floor), at('<', next())];
    case '<':
      return [at('<', floor)];
    case '<=':
      return known === 3 ? [at('<=', floor)] : [at('<', next())];
    case '>':
      return known === 3 ? [at('>', floor)] : [at('>=', next())];
    case '>=':
      return [at('>=', floor)];
    case '~':
    case '~>':
      return [at('>=', floor), at('<', known === 1 ? [major + 1, 0, 0] : [major, minor + 1, 0])];
    case '^': {
      const upper: Version =
        major > 0 || known === 1 ? [major + 1, 0, 0] : minor > 0 || known === 2 ? [0, minor + 1, 0] : [0, 0, patch + 1];
      return [at('>=', floor), at('<', upper)];
    }
    default:
      throw new Error(`"${op}" is not a range operator`);
  }
}
