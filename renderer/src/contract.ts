// The renderer's one door to the shared contract (electron/shared): types, the RPC client factory
// and constants. Everything else in renderer/ imports from here.
export type {
  ApplyResult,
  ChangeKind,
  ChunkDiff,
  ConflictReason,
  ConflictResolution,
  Direction,
  TwoWayConflictFacts,
  EntryFacts,
  EntrySnapshot,
  EntryType,
  PlanItem,
} from '../../electron/shared/plan.js';
export { emptyApplyResult, entryFacts } from '../../electron/shared/plan.js';
export type {
  AboutInfo,
  AddPairInput,
  ApiError,
  ApprovalPolicy,
  FidelitySettings,
  FolderListing,
  HistoryEntry,
  LogTail,
  PairCheck,
  PairConfig,
  PairMode,
  PairSettings,
  PairState,
  PairStatus,
  PendingChange,
  PendingPage,
  PendingQuery,
  Progress,
  Result,
  Schedule,
  Selection,
  SelectionOutcome,
  ServiceSettings,
  ShownChange,
  ShownList,
  SyncApi,
  SyncEvent,
  VersionInfo,
  WatcherHealth,
} from '../../electron/shared/syncApi.js';
export { FIDELITY_KEYS, SYNC_API_METHODS } from '../../electron/shared/syncApi.js';
export type {
  RpcCall,
  RpcMessage,
  SyncClient,
  SyncEventListener,
} from '../../electron/shared/rpc.js';
export { createRpcClient } from '../../electron/shared/rpc.js';
export { formatBytes, progressFraction } from '../../electron/shared/format.js';
export type { DesktopHost, DesktopSettings } from '../../electron/shared/desktopHost.js';
export { escapeName, nameParts } from '../../electron/shared/names.js';
