/** Distance and similarity measures: the public API of server/engine/measures. */
export { MeasureError } from './errors';
export { chebyshev, cosineDistance, cosineSimilarity, euclidean, manhattan, minkowski, sqeuclidean, type NumericVector } from './vector';
export { jaccardDistance, jaccardSimilarity, multiset, weightedJaccard, weightedJaccardDistance } from './sets';
export { codePoints, normalizedSimilarity, symbolLength, toSymbols, type SymbolArray, type SymbolSequence } from './sequence';
export { hamming } from './hamming';
export { levenshtein, levenshteinWithin } from './levenshtein';
export { damerau, damerauOSA } from './damerau';
export { jaro, jaroWinkler, type JaroWinklerOptions } from './jaro';
export { averageRanks, pearson, spearman } from './stats';
export {
  characterBigrams,
  compareValues,
  defaultMeasures,
  isMeasureName,
  MEASURE_NAMES,
  MEASURES,
  parseComparable,
  type CompareOptions,
  type CompareResult,
  type ComparableKind,
  type MeasureInfo,
  type MeasureName,
} from './registry';
