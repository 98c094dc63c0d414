// ElasticsearchIndex: the index backend for vendors who outgrow one machine,
// with the query semantics of the SQLite backend (the parity table holds
// both to the same hits).
//
// One index per tenant, `<index_prefix>-<tenant>` (naming.ts), made from the
// collector's index template (mapping.ts); searches of several tenants are
// one request to several indices. Each write of a bundle is a generation,
// visible only once the tenant's control document lists it (control.ts,
// writer.ts). A tenant without an index answers nothing, and reading never
// creates one.
import { tmpdir } from 'node:os';
import { CodedError } from '../../../core/coded-error.ts';
import { collectorErrors } from '../../errors.ts';
import { parseQuery } from '../query.ts';
import {
  type BundleWriter,
  type ContextRequest,
  type ContextResult,
  type FacetRequest,
  type FacetResult,
  type HistogramRequest,
  type HistogramResult,
  type Index,
  QueryError,
  type SearchRequest,
  type SearchResult,
} from '../types.ts';
import { Cluster, type ClusterFeatures, type ElasticsearchSettings, isClusterError } from './cluster.ts';
import type { Target } from './compile.ts';
import { contextOf } from './context.ts';
import { type ControlState, readControls, updateControl, visibleGens } from './control.ts';
import { decodeCursor, fingerprint } from './cursor.ts';
import { facetsOf } from './facets.ts';
import { histogramOf } from './histogram.ts';
import { BUNDLE_FIELD, GEN_FIELD, indexTemplate, templateName } from './mapping.ts';
import { checkIndexPrefix, MAX_GEN, tenantIndex } from './naming.ts';
import { ownerId, ownerIsGone } from './owner.ts';
import { purge } from './purge.ts';
import {
  checkBundleName,
  checkFacetFields,
  checkFilters,
  checkOrder,
  checkTenants,
  checkWhole,
  MAX_CONTEXT,
  MAX_LIMIT,
  timeRange,
} from './requests.ts';
import { searchTargets } from './search.ts';
import { ElasticsearchBundleWriter, type WriterOptions } from './writer.ts';

export interface ElasticsearchIndexOptions {
  /** Where writers put bulk bodies that wait beyond their memory budget (default: the system's temp dir). */
  readonly spillDir?: string;
  /** Bulk sizes and concurrency of writers (tests use small ones). */
  readonly writer?: Omit<WriterOptions, 'spillDir'>;
  /** How often a tenant's leftovers are looked for, at most (default 10 minutes). */
  readonly sweepEveryMs?: number;
  readonly clientFactory?: ConstructorParameters<typeof Cluster>[1];
}

const SWEEP_EVERY_MS = 10 * 60_000;

export class ElasticsearchIndex implements Index {
  readonly backend = 'elasticsearch' as const;
  readonly prefix: string;
  readonly cluster: Cluster;
  private readonly options: ElasticsearchIndexOptions;
  private template: Promise<void> | undefined;
  private readonly created = new Set<string>();
  /** index#gen of the writers of this process that have not finished. */
  private readonly active = new Set<string>();
  private readonly swept = new Map<string, number>();
  private closed = false;

  constructor(settings: ElasticsearchSettings, options: ElasticsearchIndexOptions = {}) {
    this.prefix = checkIndexPrefix(settings.index_prefix);
    this.cluster = new Cluster(settings, options.clientFactory);
    this.options = options;
  }

  /** The index name of a tenant (checked). */
  indexOf(tenant: string): string {
    return tenantIndex(this.prefix, tenant);
  }

  async writer(tenant: string, bundle: string): Promise<BundleWriter & { ready(): Promise<void> }> {
    this.checkOpen();
    checkBundleName(bundle);
    const index = this.indexOf(tenant);
    const features = await this.cluster.featuresOnce();
    await this.ensureIndex(index, features);
    await this.sweep(index, features).catch(() => {
      // Leftovers wait for the next writer; writing goes on.
    });
    const owner = ownerId();
    const gen = await updateControl(this.cluster, index, (state) => {
      if (state.next > MAX_GEN)
        throw new Error(
          `${index} has used up its ${MAX_GEN} generations; delete the index and run shiplog-collector reindex --tenant ${tenant}`,
        );
      return {
        state: {
          ...state,
          next: state.next + 1,
          writing: [...state.writing, { gen: state.next, bundle, owner, startedMs: Date.now() }],
        },
        result: state.next,
      };
    });
    const key = `${index}#${gen}`;
    this.active.add(key);
    return new ElasticsearchBundleWriter(
      {
        cluster: this.cluster,
        features,
        index,
        tenant,
        bundle,
        gen,
        onDone: () => this.active.delete(key),
      },
      { ...this.options.writer, spillDir: this.options.spillDir ?? tmpdir() },
    );
  }

  async deleteBundle(tenant: string, bundle: string): Promise<void> {
    this.checkOpen();
    checkBundleName(bundle);
    const index = this.indexOf(tenant);
    let seen: { writing: number[]; next: number };
    try {
      seen = await updateControl(this.cluster, index, (state) => {
        const result = {
          writing: state.writing.filter((entry) => entry.bundle === bundle).map((entry) => entry.gen),
          next: state.next,
        };
        if (!state.visible.has(bundle)) return { result };
        const visible = new Map(state.visible);
        visible.delete(bundle);
        return { state: { ...state, visible }, result };
      });
    } catch (error) {
      if (isClusterError(error, 'index_not_found_exception')) return;
      throw error;
    }
    const features = await this.cluster.featuresOnce();
    // Every generation of the bundle but those being written (one of them may yet be committed), and
    // those handed out since (a writer that started meanwhile).
    await purge(this.cluster, features, index, {
      bool: {
        filter: [{ term: { [BUNDLE_FIELD]: bundle } }, { range: { [GEN_FIELD]: { lt: seen.next } } }],
        ...(seen.writing.length > 0 && { must_not: [{ terms: { [GEN_FIELD]: seen.writing } }] }),
      },
    });
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const limit = checkWhole('limit', request.limit, 1, MAX_LIMIT);
    const order = checkOrder(request.order);
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    const time = timeRange(filters);
    const print = fingerprint([request.q, filters, tenants, order]);
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, print);
    return this.reading(async () =>
      searchTargets(this.cluster, this.prefix, await this.targets(tenants), {
        query,
        filters,
        time,
        limit,
        order,
        after,
        print,
      }),
    );
  }

  async histogram(request: HistogramRequest): Promise<HistogramResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const buckets = checkWhole('buckets', request.buckets ?? 60, 1, 1000);
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    const time = timeRange(filters);
    return this.reading(async () =>
      histogramOf(this.cluster, await this.targets(tenants), query, filters, time, buckets),
    );
  }

  async facets(request: FacetRequest): Promise<FacetResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const size = checkWhole('size', request.size ?? 10, 1, 1000);
    const fields = checkFacetFields(request.fields);
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    const time = timeRange(filters);
    return this.reading(async () =>
      facetsOf(this.cluster, await this.targets(tenants), query, filters, time, fields, size),
    );
  }

  async context(request: ContextRequest): Promise<ContextResult> {
    this.checkOpen();
    const [tenant] = checkTenants([request.tenant]) as [string];
    const before = checkWhole('before', request.before, 0, MAX_CONTEXT);
    const after = checkWhole('after', request.after, 0, MAX_CONTEXT);
    return this.reading(async () => {
      const [target] = await this.targets([tenant]);
      if (!target) return { events: [] };
      return contextOf(this.cluster, this.prefix, tenant, target.index, target.gens, request.id, before, after);
    });
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const health = await this.cluster.request<{ status?: string }>('GET', '/_cluster/health', { timeoutMs: 5000 });
      return health.status === 'green' || health.status === 'yellow';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cluster.close();
  }

  /** The tenants' indices with the generations visible in each; tenants with nothing visible are left out. */
  private async targets(tenants: readonly string[]): Promise<Target[]> {
    const indices = tenants.map((tenant) => this.indexOf(tenant));
    const controls = await readControls(this.cluster, indices);
    const out: Target[] = [];
    tenants.forEach((tenant, i) => {
      const index = indices[i] as string;
      const state = controls.get(index);
      const gens = state ? visibleGens(state) : [];
      if (gens.length > 0) out.push({ tenant, index, gens });
    });
    return out;
  }

  /** A read's failures as the interface promises them: QueryError for the query, INDEX_UNAVAILABLE for the cluster. */
  private async reading<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof QueryError) throw error;
      if (isClusterError(error) && /maxClauseCount|too_many_(nested_)?clauses|too many clauses/i.test(error.message)) {
        throw new QueryError(
          'a phrase ends in a prefix that matches too many different terms; make the prefix longer, or search for it on its own',
          0,
        );
      }
      throw new CodedError(
        collectorErrors.INDEX_UNAVAILABLE,
        { detail: error instanceof Error ? error.message : String(error) },
        { cause: error },
      );
    }
  }

  /** Installs the index template (once per process) and makes the tenant's index if it is missing. */
  private async ensureIndex(index: string, features: ClusterFeatures): Promise<void> {
    if (this.created.has(index)) return;
    this.template ??= this.cluster
      .request('PUT', `/_index_template/${templateName(this.prefix)}`, {
        body: indexTemplate(this.prefix, features.mappings),
      })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.template = undefined;
        throw error;
      });
    await this.template;
    try {
      await this.cluster.request('PUT', `/${index}`);
    } catch (error) {
      if (!isClusterError(error, 'resource_already_exists_exception')) throw error;
    }
    this.created.add(index);
  }

  /**
   * Removes what writers that are gone left in a tenant's index: the
   * documents of every generation handed out that is neither visible nor
   * being written by a live writer, and those writers' entries.
   */
  private async sweep(index: string, features: ClusterFeatures): Promise<void> {
    const now = Date.now();
    if (now - (this.swept.get(index) ?? 0) < (this.options.sweepEveryMs ?? SWEEP_EVERY_MS)) return;
    this.swept.set(index, now);
    const state = (await readControls(this.cluster, [index])).get(index);
    if (!state) return;
    const gone = state.writing.filter((entry) => !this.isLive(index, entry, now)).map((entry) => entry.gen);
    const keep = [
      ...visibleGens(state),
      ...state.writing.map((entry) => entry.gen).filter((gen) => !gone.includes(gen)),
    ];
    // Only generations handed out before the state was read: a writer that starts now gets `next` or later.
    await purge(this.cluster, features, index, {
      bool: {
        filter: [{ range: { [GEN_FIELD]: { lt: state.next } } }],
        ...(keep.length > 0 && { must_not: [{ terms: { [GEN_FIELD]: keep } }] }),
      },
    });
    if (gone.length > 0) {
      await updateControl(this.cluster, index, (current: ControlState) => {
        const writing = current.writing.filter((entry) => !gone.includes(entry.gen));
        return writing.length === current.writing.length
          ? { result: undefined }
          : { state: { ...current, writing }, result: undefined };
      });
    }
  }

  private isLive(index: string, entry: ControlState['writing'][number], now: number): boolean {
    if (entry.owner === ownerId()) return this.active.has(`${index}#${entry.gen}`);
    return !ownerIsGone(entry.owner, entry.startedMs, now);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the Elasticsearch index is closed');
  }
}
