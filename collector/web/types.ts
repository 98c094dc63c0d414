// The shapes of the API answers the pages read (see docs/collector.md).

export interface Bundle {
  readonly id: string;
  readonly tenant: string;
  readonly status: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly sha256: string;
  readonly size: number;
  readonly received_at: string;
  readonly original_name?: string;
  readonly site?: string;
  readonly created_at?: string;
  readonly signer?: string;
  readonly encrypted?: boolean;
  readonly lines?: number;
}

export interface Evidence {
  readonly kind: 'line' | 'field';
  readonly file: string;
  readonly line?: number;
  readonly path?: string;
  readonly value?: unknown;
  readonly text?: string;
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

export interface Container {
  readonly name: string;
  readonly id?: string;
  readonly image?: string;
  readonly state?: string;
  readonly exit_code?: number;
  readonly restart_count?: number;
  readonly oom_killed?: boolean;
  readonly health?: string;
  readonly started_at?: string;
  readonly finished_at?: string;
}

export interface Hit {
  readonly id: string;
  readonly tenant: string;
  readonly bundle: string;
  readonly '@timestamp': string;
  readonly message: string;
  readonly highlight: readonly (readonly [number, number])[];
  readonly [field: string]: unknown;
}

export interface SearchAnswer {
  readonly total: number;
  readonly hits: readonly Hit[];
  readonly next?: string;
}
