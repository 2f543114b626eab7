// The import rules of the codebase (README "Architecture"): checked by `npm run deps:check`, drawn by
// `npm run deps:graph`. Type-only imports don't count for cycles (they vanish at build time), but
// they do count for the direction rules: a type is still knowledge of the other package.
/**
 * Files other modules may import besides a module's index.ts, each for a reason: a leaf the module's
 * index can't carry without an import cycle.
 */
const PUBLIC_FILES = [
  // The registration allowlist, checked by email sign-up (auth/service.ts) as well as OAuth; oauth's
  // index (its router) imports auth, so going through it would close the cycle auth → oauth → auth.
  "^src/modules/oauth/allowlist\\.ts$",
  // The WhatsApp template schema (a zod leaf), used by the program flow's node schema; channels' index
  // carries the email channel, which enrols new end users in programs, so going through it would close
  // the cycle programs → channels → programs.
  "^src/modules/channels/whatsapp-template\\.ts$",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-runtime-cycles",
      severity: "error",
      comment: "A runtime import cycle makes module initialisation order matter (and hides a missing seam).",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "realtime-never-imports-modules",
      severity: "error",
      comment: "src/realtime is below the modules: what it needs from them comes in as ports (RoomPorts), wired by durable-objects/conversation.ts.",
      from: { path: "^src/realtime/" },
      to: { path: "^src/modules/" },
    },
    {
      name: "modules-use-the-realtime-face",
      severity: "error",
      comment: "Modules reach a conversation only through src/realtime/index.ts.",
      from: { path: "^src/(modules|jobs|app\\.ts)" },
      to: { path: "^src/realtime/(?!index\\.ts$)" },
    },
    {
      name: "modules-use-each-others-index",
      severity: "error",
      comment: "A module reaches another only through that module's index.ts (its public face); its other files are internal.",
      from: { path: "^src/modules/([^/]+)/" },
      to: { path: "^src/modules/([^/]+)/(?!index\\.ts$)", pathNot: ["^src/modules/$1/", ...PUBLIC_FILES] },
    },
    {
      name: "only-the-worker-entry-imports-the-conversation-object",
      severity: "error",
      from: { pathNot: "^workers/api\\.ts$" },
      to: { path: "^durable-objects/conversation\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^(src|durable-objects|workers)/",
    exclude: { path: "^src/(console|widget)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    reporterOptions: {
      dot: { collapsePattern: "^src/(modules|db/schema|lib|middleware|ai|jobs)/[^/]+" },
    },
  },
};
