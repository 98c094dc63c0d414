// The shapes of the API answers the pages read: derived from the published
// schemas (schemas/collector-api.ts) where the API has one. Findings have no
// published schema yet; their interfaces here follow collector/analyze/finding.ts.
import type {
  BundleAnswer,
  ContainerFacts,
  FileListAnswer,
  Hit as HitAnswer,
  SearchAnswer as SearchAnswerShape,
  SessionAnswer,
  SiteHistoryAnswer,
  SiteListAnswer,
  TenantListAnswer,
  TextPageAnswer,
  TokenAnswer,
} from '../../schemas/collector-api.ts';

export type Bundle = BundleAnswer;
export type Me = SessionAnswer;
export type FileEntry = FileListAnswer['files'][number];
export type TextPage = TextPageAnswer;
export type Site = SiteListAnswer['sites'][number];
export type SiteHistory = SiteHistoryAnswer;
export type Tenants = TenantListAnswer;
export type Token = TokenAnswer;

/** A hit: its fixed fields, and every ECS field flattened with dots ("container.name"). */
export type Hit = HitAnswer & { readonly [field: string]: unknown };

export type SearchAnswer = Omit<SearchAnswerShape, 'hits'> & { readonly hits: readonly Hit[] };

export interface Evidence {
  readonly kind: 'line' | 'field';
  readonly file: string;
  readonly line?: number;
  readonly path?: string;
  readonly value?: unknown;
}

export interface Finding {
  readonly analyzer: string;
  readonly severity: string;
  readonly title: string;
  readonly detail?: string;
  readonly key: string;
  readonly evidence: readonly Evidence[];
  readonly state: 'new' | 'still' | 'resolved';
}

export type Container = ContainerFacts;
