/**
 * Every custom message between the Similarity Lab client and its analysis host: the one source
 * of truth. Each message is a namespace holding its method name, its types, and which side sends it.
 * The client imports these types; nothing else crosses the door. Plain JSON only — no classes.
 */
/* eslint-disable @typescript-eslint/no-namespace -- one namespace per message is the house style (DESIGN.md, "Style"). */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

/** Host health, shown by the client's status bar item. */
export type Health = 'ok' | 'warning' | 'error';

/** Sent by the host → client whenever its state changes (start, job start/end, failure). */
export namespace ServerStatusNotification {
  export const method = 'similarityLab/serverStatus' as const;
  export interface Params {
    health: Health;
    /** True when no job is running. */
    quiescent: boolean;
    message: string;
  }
  export const type = new NotificationType<Params>(method);
}

/** A value to compare: a string (text, a sequence) or a numeric vector. */
export type Comparable = string | number[];

/** Sent by the client → host: every applicable (or each asked) measure between a and b. */
export namespace CompareRequest {
  export const method = 'similarityLab/compare' as const;
  export interface Params {
    a: Comparable;
    b: Comparable;
    /** Measure names (see DESIGN.md); absent = every measure that applies to the inputs. */
    measures?: string[];
    /** Minkowski order, when `minkowski` is asked; default 2. */
    p?: number;
    /**
     * When true, two strings that both read as numeric lists ("1,2,3", "0.5 1.5") are compared as
     * vectors, as on the command line; otherwise strings are compared as text. Default false.
     */
    parseVectors?: boolean;
  }
  export interface Result {
    /** What the inputs were taken as. */
    kind: 'strings' | 'vectors';
    /** Measure name → value. A measure that cannot apply (e.g. Hamming on unequal lengths) is absent and listed in `skipped`. */
    values: Record<string, number>;
    skipped: { measure: string; reason: string }[];
    /** How to read each measure named in `values` and `skipped`. */
    about: Record<string, MeasureAbout>;
  }
  /** distance: 0 = identical, larger = farther; similarity: larger = closer; correlation: in [−1, 1]. */
  export interface MeasureAbout {
    sense: 'distance' | 'similarity' | 'correlation';
    description: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}
