/**
 * The measures by name (DESIGN.md), what each applies to, and `compareValues`, which computes
 * them for two values: the engine side of `similarityLab/compare` and `simlab compare`.
 *
 * Two strings are compared as symbol sequences (by code point) and, for Jaccard, as the sets of
 * their character bigrams (a one-character string is the set of its single character; the
 * empty string the empty set). Two numeric vectors get the vector measures, the correlations,
 * weighted Jaccard (non-negative entries only), Hamming (count of differing positions) and
 * Levenshtein over the number sequences.
 */
import { damerau, damerauOSA } from './damerau';
import { MeasureError } from './errors';
import { hamming } from './hamming';
import { jaro, jaroWinkler } from './jaro';
import { levenshtein } from './levenshtein';
import { jaccardSimilarity, weightedJaccard } from './sets';
import { pearson, spearman } from './stats';
import { chebyshev, cosineDistance, cosineSimilarity, euclidean, manhattan, minkowski, sqeuclidean } from './vector';

export type ComparableKind = 'strings' | 'vectors';

export const MEASURE_NAMES = [
  'euclidean',
  'sqeuclidean',
  'cosine',
  'cosine-similarity',
  'manhattan',
  'minkowski',
  'chebyshev',
  'jaccard',
  'jaccard-similarity',
  'hamming',
  'levenshtein',
  'damerau-osa',
  'damerau',
  'jaro',
  'jaro-winkler',
  'pearson',
  'spearman',
] as const;

export type MeasureName = (typeof MEASURE_NAMES)[number];

export interface MeasureInfo {
  name: MeasureName;
  /** distance: 0 = identical, larger = farther; similarity: larger = closer; correlation: in [−1, 1]. */
  sense: 'distance' | 'similarity' | 'correlation';
  appliesTo: readonly ComparableKind[];
  description: string;
  /**
   * Quadratic measures: the most symbol pairs (length of a × length of b) computed; longer inputs
   * are skipped with the reason (a plain dynamic programme on two 100 kB strings is 10¹⁰ cells,
   * minutes). Undefined: linear, or fast enough for any input that fits in memory.
   */
  maxCells?: number;
}

/**
 * The size bounds, measured on the shared 2-core machine (10 kB × 10 kB = 10⁸ cells): damerau
 * 2.5 s and damerau-osa 1.9 s (a plain DP, ~40 M cells/s), so 2.5·10⁸ cells is ~6 s; jaro 0.14 s
 * (its match window is half the longer string), so 4·10⁹ is ~6 s; levenshtein 0.09 s (bit-parallel,
 * 32 cells a step), so 10¹¹ is ~90 s at most — about a 300 kB pair.
 */
export const QUADRATIC_DP_MAX_CELLS = 2.5e8;
export const JARO_MAX_CELLS = 4e9;
export const LEVENSHTEIN_MAX_CELLS = 1e11;

export interface CompareOptions {
  /** Minkowski order, ≥ 1 (Infinity allowed); default 2. */
  p?: number;
}

/** Matches `CompareRequest.Result` of server/protocol.ts. */
export interface CompareResult {
  kind: ComparableKind;
  values: Record<string, number>;
  skipped: { measure: string; reason: string }[];
}

type StringFn = (a: string, b: string, o: Required<CompareOptions>) => number;
type VectorFn = (a: number[], b: number[], o: Required<CompareOptions>) => number;

interface Entry {
  info: MeasureInfo;
  strings?: StringFn;
  vectors?: VectorFn;
}

/** The set of character bigrams (code points) of s; a single character stands for itself. */
export function characterBigrams(s: string): Set<string> {
  const cps = Array.from(s);
  if (cps.length < 2) return new Set(cps);
  const out = new Set<string>();
  for (let i = 0; i + 1 < cps.length; i++) out.add(cps[i] + cps[i + 1]);
  return out;
}

function nonNegative(v: number[]): boolean {
  for (const x of v) if (!(x >= 0)) return false;
  return true;
}

function define(
  name: MeasureName,
  sense: MeasureInfo['sense'],
  description: string,
  fns: { strings?: StringFn; vectors?: VectorFn },
  maxCells?: number,
): Entry {
  const appliesTo: ComparableKind[] = [];
  if (fns.strings) appliesTo.push('strings');
  if (fns.vectors) appliesTo.push('vectors');
  return { info: { name, sense, appliesTo, description, ...(maxCells !== undefined ? { maxCells } : {}) }, ...fns };
}

const ENTRIES: Entry[] = [
  define('euclidean', 'distance', 'Euclidean (L2) distance', { vectors: (a, b) => euclidean(a, b) }),
  define('sqeuclidean', 'distance', 'squared Euclidean distance', { vectors: (a, b) => sqeuclidean(a, b) }),
  define('cosine', 'distance', 'cosine distance 1 − cos θ (a zero vector: 1, two zero vectors: 0)', { vectors: (a, b) => cosineDistance(a, b) }),
  define('cosine-similarity', 'similarity', 'cosine similarity cos θ', { vectors: (a, b) => cosineSimilarity(a, b) }),
  define('manhattan', 'distance', 'Manhattan (L1) distance', { vectors: (a, b) => manhattan(a, b) }),
  define('minkowski', 'distance', 'Minkowski distance of order p (option p, default 2)', { vectors: (a, b, o) => minkowski(a, b, o.p) }),
  define('chebyshev', 'distance', 'Chebyshev (L∞) distance', { vectors: (a, b) => chebyshev(a, b) }),
  define('jaccard', 'distance', 'Jaccard distance: of the character-bigram sets for strings, weighted (Σmin/Σmax) for non-negative vectors', {
    strings: (a, b) => 1 - jaccardSimilarity(characterBigrams(a), characterBigrams(b)),
    vectors: (a, b) => 1 - weightedJaccard(a, b),
  }),
  define('jaccard-similarity', 'similarity', 'Jaccard similarity (see jaccard)', {
    strings: (a, b) => jaccardSimilarity(characterBigrams(a), characterBigrams(b)),
    vectors: (a, b) => weightedJaccard(a, b),
  }),
  define('hamming', 'distance', 'Hamming distance: positions that differ (equal lengths only)', {
    strings: (a, b) => hamming(a, b),
    vectors: (a, b) => hamming(a, b),
  }),
  define(
    'levenshtein',
    'distance',
    'Levenshtein edit distance (length a × length b ≤ 10¹¹)',
    {
      strings: (a, b) => levenshtein(a, b),
      vectors: (a, b) => levenshtein(a, b),
    },
    LEVENSHTEIN_MAX_CELLS,
  ),
  define('damerau-osa', 'distance', 'optimal string alignment (restricted Damerau–Levenshtein) distance (length a × length b ≤ 2.5·10⁸)', { strings: (a, b) => damerauOSA(a, b) }, QUADRATIC_DP_MAX_CELLS),
  define('damerau', 'distance', 'Damerau–Levenshtein distance (unrestricted transpositions; length a × length b ≤ 2.5·10⁸)', { strings: (a, b) => damerau(a, b) }, QUADRATIC_DP_MAX_CELLS),
  define('jaro', 'similarity', 'Jaro similarity (length a × length b ≤ 4·10⁹)', { strings: (a, b) => jaro(a, b) }, JARO_MAX_CELLS),
  define('jaro-winkler', 'similarity', 'Jaro–Winkler similarity (p = 0.1, threshold 0.7, prefix ≤ 4; length a × length b ≤ 4·10⁹)', { strings: (a, b) => jaroWinkler(a, b) }, JARO_MAX_CELLS),
  define('pearson', 'correlation', "Pearson's correlation", { vectors: (a, b) => pearson(a, b) }),
  define('spearman', 'correlation', "Spearman's rank correlation (average ranks for ties)", { vectors: (a, b) => spearman(a, b) }),
];

const BY_NAME = new Map<string, Entry>(ENTRIES.map((e) => [e.info.name, e]));

/** Every measure with what it is and what it applies to, in the order of MEASURE_NAMES. */
export const MEASURES: readonly MeasureInfo[] = ENTRIES.map((e) => e.info);

export function isMeasureName(name: string): name is MeasureName {
  return BY_NAME.has(name);
}

/** The measures computed when none are asked for. */
export function defaultMeasures(kind: ComparableKind): MeasureName[] {
  return ENTRIES.filter((e) => (kind === 'strings' ? e.strings : e.vectors) !== undefined).map((e) => e.info.name);
}

/** Why a measure that applies to the kind still has no value for these inputs, if so. */
function precondition(name: MeasureName, kind: ComparableKind, a: string | number[], b: string | number[]): string | undefined {
  const maxCells = BY_NAME.get(name)?.info.maxCells;
  if (maxCells !== undefined && a.length * b.length > maxCells) {
    const faster = name === 'levenshtein' || maxCells >= LEVENSHTEIN_MAX_CELLS ? '' : `; levenshtein (bit-parallel) takes up to ${LEVENSHTEIN_MAX_CELLS.toExponential(1)}`;
    return `inputs too long for a quadratic measure: ${a.length} × ${b.length} symbols is ${(a.length * b.length).toExponential(1)} pairs, the limit is ${maxCells.toExponential(1)}${faster}`;
  }
  if (kind !== 'vectors') return undefined;
  const va = a as number[];
  const vb = b as number[];
  if ((name === 'jaccard' || name === 'jaccard-similarity') && !(nonNegative(va) && nonNegative(vb))) {
    return 'weighted Jaccard needs non-negative values';
  }
  return undefined;
}

/**
 * Computes the asked measures (default: every one that applies) between a and b, which must be
 * two strings or two numeric vectors. A measure that does not apply, or has no value for these
 * inputs (Hamming on unequal lengths, a correlation of a constant vector, vectors of different
 * lengths), is listed in `skipped` with the reason. An unknown name, mixed inputs or a bad p throw
 * MeasureError. The name "all" stands for the default list. Reasons do not repeat the measure's
 * name ("sequences have different lengths (6 and 7)").
 */
export function compareValues(
  a: string | number[],
  b: string | number[],
  names?: string[],
  options?: CompareOptions,
): CompareResult {
  let kind: ComparableKind;
  if (typeof a === 'string' && typeof b === 'string') kind = 'strings';
  else if (Array.isArray(a) && Array.isArray(b)) {
    kind = 'vectors';
    for (const v of [...a, ...b]) {
      if (typeof v !== 'number') throw new MeasureError(`compare: vector entries must be numbers (got ${JSON.stringify(v)})`);
    }
  } else {
    throw new MeasureError('compare: a and b must both be strings or both numeric vectors');
  }
  const p = options?.p ?? 2;
  if (!(p >= 1)) throw new MeasureError(`minkowski: p must be a number ≥ 1 (got ${p})`);

  let asked: string[] = names && names.length > 0 ? names : defaultMeasures(kind);
  const unknown = asked.filter((n) => n !== 'all' && !BY_NAME.has(n));
  if (unknown.length > 0) {
    throw new MeasureError(`unknown measure${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; valid names: ${MEASURE_NAMES.join(', ')}`);
  }
  asked = asked.flatMap((n) => (n === 'all' ? defaultMeasures(kind) : [n]));

  const result: CompareResult = { kind, values: {}, skipped: [] };
  const seen = new Set<string>();
  for (const name of asked) {
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = BY_NAME.get(name) as Entry;
    const fn = kind === 'strings' ? entry.strings : entry.vectors;
    if (!fn) {
      const other = kind === 'strings' ? 'numeric vectors' : 'strings';
      result.skipped.push({ measure: name, reason: `applies to ${other}, not ${kind}` });
      continue;
    }
    const why = precondition(entry.info.name, kind, a, b);
    if (why) {
      result.skipped.push({ measure: name, reason: why });
      continue;
    }
    let value: number;
    try {
      value = (fn as (x: unknown, y: unknown, o: Required<CompareOptions>) => number)(a, b, { p });
    } catch (e) {
      if (!(e instanceof MeasureError)) throw e;
      // The entry is keyed by the measure already: drop the function's own "name: " prefix.
      result.skipped.push({ measure: name, reason: e.message.replace(/^[a-z-]+: /, '') });
      continue;
    }
    if (Number.isNaN(value)) {
      const reason = entry.info.sense === 'correlation' ? 'correlation undefined: an input is constant' : 'undefined for these inputs';
      result.skipped.push({ measure: name, reason });
      continue;
    }
    result.values[name] = value;
  }
  return result;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads a value typed by a user: text made only of finite numbers separated by commas and/or
 * whitespace ("1,2,3", "1 2 3", "0.5, -2e3") is a numeric vector (one number is a vector of
 * length 1); anything else, including the empty text, is the string itself.
 */
export function parseComparable(text: string): string | number[] {
  const trimmed = text.trim();
  if (trimmed === '') return text;
  const tokens = trimmed.split(/\s*,\s*|\s+/);
  const out: number[] = [];
  for (const t of tokens) {
    if (!NUMBER.test(t)) return text;
    const v = Number(t);
    if (!Number.isFinite(v)) return text;
    out.push(v);
  }
  return out;
}
