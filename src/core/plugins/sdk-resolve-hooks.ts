// Module resolution hooks (node:module register) that answer `shopdb/sdk` with the SDK of the
// shopdb that is running. A plugin package may live anywhere (a site's node_modules,
// local-plugins/, SHOPDB_PLUGIN_DIRS) where Node would find no copy of shopdb, or a different
// one: either way it must get this process's SDK, so that its errors are the classes the core
// renders and its helpers share the core's state.

interface ResolveContext {
  conditions: string[];
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

let sdkUrl = '';

export function initialize(data: { sdkUrl: string }): void {
  sdkUrl = data.sdkUrl;
}

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<ResolveResult> {
  if (sdkUrl !== '' && (specifier === 'shopdb/sdk' || specifier === 'shopdb')) return { url: sdkUrl, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
