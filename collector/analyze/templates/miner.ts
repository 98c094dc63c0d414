// A streaming log template miner in the manner of Drain (He et al., ICWS
// 2017): a line's masked tokens walk a tree of fixed depth — first by how
// many tokens it has, then by its first `prefixTokens` tokens (a token that
// is only a value goes down the `<*>` branch, and so does any token once a
// node has `maxChildren` branches) — to a leaf holding a few templates. The
// line joins the template that shares the largest fraction of its positions
// when that fraction reaches `similarity`; the positions where they differ
// become `<*>`. Otherwise it starts a template of its own.
//
// Every line costs one walk of depth `prefixTokens` and one comparison with
// each template of its leaf (at most `maxPerLeaf`, and a comparison stops as
// soon as it cannot reach the threshold), so the work is linear in the lines.
// Memory is bounded: at most `maxTemplates` templates live; past that the
// least used (by `worth`, then least recently seen) are evicted in a sweep
// and empty branches pruned, and a full leaf evicts its least used first.
import { isVariable, WILDCARD } from './mask.ts';

export interface MinerOptions {
  /** Tokens after the token count that pick the leaf (Drain's depth minus 2). */
  readonly prefixTokens?: number;
  /** Fraction of positions a line must share with a template to join it. */
  readonly similarity?: number;
  /** Branches per tree node before further tokens go down `<*>`. */
  readonly maxChildren?: number;
  /** Templates alive at once. */
  readonly maxTemplates?: number;
  /** Templates in one leaf. */
  readonly maxPerLeaf?: number;
}

export const defaultMinerOptions: Required<MinerOptions> = {
  prefixTokens: 2,
  similarity: 0.5,
  maxChildren: 100,
  maxTemplates: 5000,
  maxPerLeaf: 100,
};

export interface Template<T> {
  readonly id: number;
  /** The template's tokens; positions that vary are `<*>`. */
  readonly tokens: string[];
  /** Lines that joined it. */
  count: number;
  /** The miner's line counter when a line last joined it. */
  lastSeen: number;
  /** Bumped whenever a position turns into `<*>`. */
  version: number;
  /** The caller's own state for this template; dropped with it on eviction. */
  data: T | undefined;
}

interface Node<T> {
  readonly parent: Node<T> | undefined;
  readonly key: string;
  children: Map<string, Node<T>> | undefined;
  templates: Cluster<T>[] | undefined;
}

interface Cluster<T> extends Template<T> {
  leaf: Node<T>;
}

export class TemplateMiner<T = unknown> {
  readonly #options: Required<MinerOptions>;
  readonly #worth: (template: Template<T>) => number;
  readonly #roots = new Map<number, Node<T>>();
  readonly #live = new Set<Cluster<T>>();
  #clock = 0;
  #nextId = 1;
  #evicted = 0;

  constructor(options: MinerOptions = {}, worth: (template: Template<T>) => number = (template) => template.count) {
    this.#options = { ...defaultMinerOptions, ...options };
    this.#worth = worth;
  }

  /** Templates alive now. */
  get size(): number {
    return this.#live.size;
  }

  /** Templates evicted so far to stay within the bounds. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Lines added so far. */
  get lines(): number {
    return this.#clock;
  }

  templates(): Template<T>[] {
    return [...this.#live];
  }

  /** Adds one line's masked tokens (tokenize()); returns the template it joined or started. */
  add(tokens: readonly string[]): Template<T> {
    this.#clock++;
    const leaf = this.#leaf(tokens);
    const found = this.#closest(leaf.templates as Cluster<T>[], tokens);
    if (found) {
      found.count++;
      found.lastSeen = this.#clock;
      const own = found.tokens;
      for (let i = 0; i < own.length; i++) {
        if (own[i] !== tokens[i] && own[i] !== WILDCARD) {
          own[i] = WILDCARD;
          found.version++;
        }
      }
      return found;
    }
    return this.#start(leaf, tokens);
  }

  #leaf(tokens: readonly string[]): Node<T> {
    let node = this.#roots.get(tokens.length);
    if (!node) {
      node = { parent: undefined, key: String(tokens.length), children: undefined, templates: undefined };
      this.#roots.set(tokens.length, node);
    }
    const depth = Math.min(this.#options.prefixTokens, tokens.length);
    for (let i = 0; i < depth; i++) {
      const token = tokens[i] as string;
      let key = isVariable(token) ? WILDCARD : token;
      node.children ??= new Map();
      let child = node.children.get(key);
      if (!child && key !== WILDCARD && node.children.size >= this.#options.maxChildren) {
        key = WILDCARD;
        child = node.children.get(key);
      }
      if (!child) {
        child = { parent: node, key, children: undefined, templates: undefined };
        node.children.set(key, child);
      }
      node = child;
    }
    node.templates ??= [];
    return node;
  }

  #closest(candidates: readonly Cluster<T>[], tokens: readonly string[]): Cluster<T> | undefined {
    const length = tokens.length;
    if (length === 0) return candidates[0];
    const allowed = length - Math.ceil(this.#options.similarity * length);
    let best: Cluster<T> | undefined;
    let bestMisses = allowed + 1;
    for (const candidate of candidates) {
      const own = candidate.tokens;
      let misses = 0;
      for (let i = 0; i < length && misses < bestMisses; i++) {
        const token = own[i];
        if (token !== tokens[i] && token !== WILDCARD) misses++;
      }
      if (misses < bestMisses) {
        best = candidate;
        bestMisses = misses;
        if (misses === 0) break;
      }
    }
    return best;
  }

  #start(leaf: Node<T>, tokens: readonly string[]): Cluster<T> {
    const siblings = leaf.templates as Cluster<T>[];
    if (siblings.length >= this.#options.maxPerLeaf) {
      let least = siblings[0] as Cluster<T>;
      for (const sibling of siblings) if (this.#lessUsed(sibling, least)) least = sibling;
      this.#evict(least, false);
    }
    const cluster: Cluster<T> = {
      id: this.#nextId++,
      // One flat copy: the tokens may be slices of a long line, which they would keep alive.
      tokens: tokens.length === 0 ? [] : tokens.join('\u0000').split('\u0000'),
      count: 1,
      lastSeen: this.#clock,
      version: 0,
      data: undefined,
      leaf,
    };
    siblings.push(cluster);
    this.#live.add(cluster);
    if (this.#live.size > this.#options.maxTemplates) this.#sweep(cluster);
    return cluster;
  }

  #lessUsed(a: Cluster<T>, b: Cluster<T>): boolean {
    const difference = this.#worth(a) - this.#worth(b);
    return difference < 0 || (difference === 0 && a.lastSeen < b.lastSeen);
  }

  /** Evicts the least used tenth (the newest template survives), so a sweep runs once per many new templates. */
  #sweep(newest: Cluster<T>): void {
    const ranked = [...this.#live]
      .filter((cluster) => cluster !== newest)
      .map((cluster) => ({ cluster, worth: this.#worth(cluster) }))
      .sort((a, b) => a.worth - b.worth || a.cluster.lastSeen - b.cluster.lastSeen);
    const target = Math.floor(this.#options.maxTemplates * 0.9);
    const excess = this.#live.size - target;
    for (let i = 0; i < excess && i < ranked.length; i++)
      this.#evict((ranked[i] as { cluster: Cluster<T> }).cluster, true);
  }

  #evict(cluster: Cluster<T>, prune: boolean): void {
    this.#live.delete(cluster);
    this.#evicted++;
    cluster.data = undefined;
    const leaf = cluster.leaf;
    const siblings = leaf.templates as Cluster<T>[];
    siblings.splice(siblings.indexOf(cluster), 1);
    if (!prune || siblings.length > 0) return;
    // Drop the branch that led only here.
    let node: Node<T> | undefined = leaf;
    while (node && (node.templates?.length ?? 0) === 0 && (node.children?.size ?? 0) === 0) {
      const parent: Node<T> | undefined = node.parent;
      if (parent) parent.children?.delete(node.key);
      else this.#roots.delete(Number(node.key));
      node = parent;
    }
  }
}

export function templateText(template: { readonly tokens: readonly string[] }): string {
  return template.tokens.join(' ');
}
