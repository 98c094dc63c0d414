// The portable form of an engine: what a worker thread needs to build the
// same engine as the thread that started it (packs already loaded and
// validated, actions, site key, literals), and the build itself. Kept apart
// from setup.ts so that a worker loads neither the YAML parser nor the schema
// validator it never uses (~0.13 s of start-up per worker).
import type { CategoryActions } from './compile.ts';
import { compileRuleSet } from './compile.ts';
import { createEngine, type Engine } from './engine.ts';
import { createPseudonymizer, type Pseudonymizer } from './pseudonym.ts';
import type { LoadedPack } from './rules.ts';

/**
 * What a worker thread needs to build the same engine: plain data, and the
 * packs already loaded and validated (a worker does not read or parse files).
 */
export interface PortableOptions {
  packs: LoadedPack[];
  actions: CategoryActions;
  siteKey: Uint8Array | undefined;
  literals: string[];
}

export function engineFromPortable(options: PortableOptions): Engine {
  let pseudonymizer: Pseudonymizer | undefined;
  const engine = createEngine(compileRuleSet(options.packs, options.actions), () => {
    if (!options.siteKey) throw new Error('a pseudonymizing rule ran without a site key');
    pseudonymizer ??= createPseudonymizer(options.siteKey);
    return pseudonymizer;
  });
  engine.setLiterals(options.literals);
  return engine;
}
