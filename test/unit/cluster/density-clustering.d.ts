// Types for the parts of density-clustering (an untyped CommonJS package) the tests use as a
// reference. Its DBSCAN: neighbourhood = points with distance < epsilon (strict), the point itself
// included; core when the neighbourhood has ≥ minPts points; clusters are lists of point indices
// in discovery order; a border point joins the first cluster whose expansion reaches it.
declare module 'density-clustering' {
  export class DBSCAN {
    constructor();
    run<T>(dataset: T[], epsilon: number, minPts: number, distance?: (a: T, b: T) => number): number[][];
    noise: number[];
  }
}
