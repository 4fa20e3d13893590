/**
 * The public surface of the core: what the CLI, the language server, the simulator's
 * code-point resolution and the tests use. Pure logic over kernel C (node's fs, no vscode,
 * no DOM).
 *
 *   const index = await KernelIndex.open(root, { cacheDir: indexCacheDir() });
 *   const graph = new CallGraph(index);
 *   const profile = bindProfile(index, readProfile(packageRoot(), 'tcp-ipv4'));
 *   graph.path('connect', { depth: 6, profile });      // edges below SYSCALL_DEFINE3(connect)
 *   graph.callers('tcp_v4_connect', { profile });      // incoming, through tcp_prot.connect
 *   graph.impls('struct proto_ops', 'connect');        // every .connect = ...
 *   graph.resolver.resolveCall(call, fn, { profile }); // one call site's targets
 */
export { resolveAnchor, type AnchorResolution, type CodeAnchor } from './anchors';
export {
  CallGraph,
  UnknownFunctionError,
  type CallEdge,
  type PathOptions,
  type PathResult,
} from './callGraph';
export type {
  CallFact,
  FileFacts,
  FunctionFact,
  InitializerFact,
  StructFact,
  TypeRef,
} from './facts';
export {
  displayName,
  functionInfo,
  KernelIndex,
  KernelTreeError,
  type FunctionInfo,
  type Located,
  type OpenOptions,
} from './kernelIndex';
export { readKernelVersion, whyNotKernelTree, type KernelVersion } from './kernelTree';
export {
  bindProfile,
  listProfiles,
  ProfileError,
  readProfile,
  type Profile,
  type ProfileData,
} from './profile';
export {
  exprText,
  Resolver,
  type CallTarget,
  type EdgeKind,
  type Impl,
  type Provenance,
  type ViaKind,
} from './resolver';
