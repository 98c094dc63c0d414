// Builds an engine from options: loads and validates the packs, compiles the
// rules for the chosen actions, and loads (or creates) the site key when some
// rule pseudonymizes. Worker threads build the very same engine from the
// portable form of these options.
import { resolve } from 'node:path';
import { resolveDataDir } from '../../core/data-dir.ts';
import type { RedactionAction } from '../../schemas/redaction-rules.ts';
import { type CategoryActions, compileRuleSet, defaultActions } from './compile.ts';
import { createEngine, type Engine } from './engine.ts';
import type { PortableOptions } from './portable.ts';
import { createPseudonymizer, type Pseudonymizer } from './pseudonym.ts';
import { builtInPackPaths, type LoadedPack, loadPack } from './rules.ts';
import { loadOrCreateSiteKey, type SiteKey, siteKeyFromBytes } from './site-key.ts';

export interface RedactionSettings {
  /** Operator rule file (YAML or JSON, schemas/redaction-rules.ts). */
  rules?: string | undefined;
  secrets?: RedactionAction | undefined;
  personal?: RedactionAction | undefined;
}

export interface RedactorOptions {
  /** The agent config's `redaction` section. */
  settings?: RedactionSettings;
  /** A relative settings.rules is resolved against this (default: the process cwd). */
  baseDir?: string;
  /** Replaces the built-in packs (tests); default agent/redaction/packs/*.yaml. */
  builtInPacks?: readonly string[];
  /** Further packs, applied after the operator file. */
  extraPacks?: readonly string[];
  /** For SHIPLOG_DATA_DIR, where the site key lives. */
  env?: NodeJS.ProcessEnv;
  dataDir?: string;
  /** Use this key instead of the one under the data dir (tests, one-off tools). */
  siteKey?: Uint8Array;
  /** Values known to be secret at run time. */
  literals?: Iterable<string>;
}

export interface EngineSetup {
  readonly engine: Engine;
  readonly packs: readonly LoadedPack[];
  readonly actions: CategoryActions;
  readonly needsKey: boolean;
  keyOf(): SiteKey;
  portable(literals: Iterable<string>): PortableOptions;
}

export function setupEngine(options: RedactorOptions): EngineSetup {
  const settings = options.settings ?? {};
  const baseDir = options.baseDir ?? process.cwd();
  const builtInPacks = [...(options.builtInPacks ?? builtInPackPaths())];
  const packs: LoadedPack[] = builtInPacks.map((path) => loadPack(path, true));
  if (settings.rules) packs.push(loadPack(resolve(baseDir, settings.rules)));
  for (const path of options.extraPacks ?? []) packs.push(loadPack(path));
  const actions: CategoryActions = {
    ...defaultActions,
    ...(settings.secrets ? { secret: settings.secrets } : {}),
    ...(settings.personal ? { personal: settings.personal } : {}),
  };
  const ruleSet = compileRuleSet(packs, actions);

  let siteKey: SiteKey | undefined;
  let pseudonymizer: Pseudonymizer | undefined;
  const needsKey = ruleSet.rules.some((rule) => rule.action === 'pseudonymize');
  const keyOf = (): SiteKey => {
    siteKey ??= options.siteKey
      ? siteKeyFromBytes(options.siteKey)
      : loadOrCreateSiteKey(options.dataDir ?? resolveDataDir(options.env ?? process.env));
    return siteKey;
  };
  // Created (or checked) at start-up, so that a key problem stops us before any output.
  if (needsKey) keyOf();
  const engine = createEngine(ruleSet, () => {
    pseudonymizer ??= createPseudonymizer(keyOf().key);
    return pseudonymizer;
  });
  if (options.literals) engine.setLiterals(options.literals);

  return {
    engine,
    packs,
    actions,
    needsKey,
    keyOf,
    portable: (literals) => ({
      packs,
      actions,
      siteKey: needsKey ? keyOf().key : undefined,
      literals: [...literals],
    }),
  };
}

// Worker threads build engines with portable.ts directly (it loads no YAML or schema code).
export { engineFromPortable, type PortableOptions } from './portable.ts';
