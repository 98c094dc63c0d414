// The collector's index: one interface, two backends (SQLite per tenant by
// default, Elasticsearch at scale) with the same query semantics. Every
// method takes the tenant explicitly; the HTTP layer takes it from the token
// on the server, never from the request.

/** Where an indexed event came from in its bundle. */
export type EventSource = 'container' | 'syslog' | 'agent' | 'spool' | 'host';

/**
 * One indexed line or event: the agent's ECS fields (nested, as LogEvent),
 * plus where it sits in which bundle of which tenant.
 */
export interface IndexedEvent {
  /** RFC 3339 with up to nanosecond precision, as written in the bundle. */
  readonly '@timestamp': string;
  readonly message: string;
  readonly event: { readonly dataset: string };
  readonly host: { readonly name: string };
  readonly log?: {
    readonly level?: string;
    readonly stream?: 'stdout' | 'stderr';
    readonly file?: { readonly path: string; readonly line?: number };
    readonly syslog?: Record<string, unknown>;
  };
  readonly container?: {
    readonly id?: string;
    readonly name?: string;
    readonly image?: { readonly name: string; readonly tag?: string };
    readonly labels?: Record<string, string>;
  };
  readonly service?: { readonly name: string };
  /** Where it sits: the tenant, bundle, path inside the bundle and 1-based line number. */
  readonly shiplog: {
    readonly tenant: string;
    readonly bundle: string;
    readonly source: EventSource;
    readonly file: string;
    readonly line: number;
  };
}

/** Filters every search, histogram and facet takes; all optional, all ANDed. */
export interface SearchFilters {
  readonly site?: readonly string[];
  readonly bundle?: readonly string[];
  readonly container?: readonly string[];
  readonly service?: readonly string[];
  readonly stream?: readonly string[];
  readonly level?: readonly string[];
  readonly source?: readonly string[];
  /** Inclusive lower and exclusive upper bound, RFC 3339. */
  readonly from?: string;
  readonly to?: string;
}

/** The filter fields `field:value` may name in a query, and the filters above. */
export const filterFields = ['site', 'bundle', 'container', 'service', 'stream', 'level', 'source', 'file'] as const;
export type FilterField = (typeof filterFields)[number];

export interface SearchRequest {
  readonly tenants: readonly string[];
  /** The query language of collector/index/query.ts; empty matches everything. */
  readonly q: string;
  readonly filters: SearchFilters;
  /** Page size, 1..1000. */
  readonly limit: number;
  /** Opaque cursor from the previous page's `next`. */
  readonly cursor?: string;
  /** Time order of the results; default ascending (a story reads forward). */
  readonly order?: 'asc' | 'desc';
}

export interface Highlight {
  /** Character offsets [start, end) into `message` of each matched term. */
  readonly message: readonly (readonly [number, number])[];
}

export interface SearchHit {
  readonly id: string;
  readonly event: IndexedEvent;
  readonly highlight: Highlight;
}

export interface SearchResult {
  /** Matches in all pages (exact). */
  readonly total: number;
  readonly hits: readonly SearchHit[];
  /** Cursor for the next page; absent on the last. */
  readonly next?: string;
}

export interface HistogramRequest {
  readonly tenants: readonly string[];
  readonly q: string;
  readonly filters: SearchFilters;
  /** Number of buckets wanted across the matches' time span (the backend picks a round interval). */
  readonly buckets?: number;
}

export interface HistogramResult {
  /** Bucket width in milliseconds. */
  readonly interval_ms: number;
  readonly buckets: readonly { readonly start: string; readonly count: number }[];
}

export interface FacetRequest {
  readonly tenants: readonly string[];
  readonly q: string;
  readonly filters: SearchFilters;
  readonly fields: readonly FilterField[];
  /** Values per field, most frequent first. */
  readonly size?: number;
}

export type FacetResult = Record<string, readonly { readonly value: string; readonly count: number }[]>;

export interface ContextRequest {
  readonly tenant: string;
  /** A hit id from search. */
  readonly id: string;
  readonly before: number;
  readonly after: number;
}

export interface ContextResult {
  /** The lines around the hit in the same file (bundle and path), in line order, the hit included. */
  readonly events: readonly { readonly id: string; readonly event: IndexedEvent }[];
}

/** A bundle's events, written all at once: nothing of it is visible until commit(). */
export interface BundleWriter {
  add(events: readonly IndexedEvent[]): void;
  /** Resolves when the writer can take more without buffering (a backend that sends in the background). */
  ready?(): Promise<void>;
  /** Makes every added event visible at once. */
  commit(): Promise<void>;
  /** Drops everything added; the index is as before. */
  abort(): Promise<void>;
}

export interface Index {
  readonly backend: 'sqlite' | 'elasticsearch';
  /** Starts writing one bundle's events; any earlier events of that bundle are replaced on commit. */
  writer(tenant: string, bundle: string): Promise<BundleWriter>;
  deleteBundle(tenant: string, bundle: string): Promise<void>;
  search(request: SearchRequest): Promise<SearchResult>;
  histogram(request: HistogramRequest): Promise<HistogramResult>;
  facets(request: FacetRequest): Promise<FacetResult>;
  context(request: ContextRequest): Promise<ContextResult>;
  /** True when the backend answers. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A query the user wrote wrongly: the HTTP layer answers 400 with this
 * message (never 500). `at` is the character offset of the problem.
 */
export class QueryError extends Error {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.name = 'QueryError';
    this.at = at;
  }
}
