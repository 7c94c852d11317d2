/**
 * V8 flags every ztc process starts with. A batch command runs for a second or two and then exits.
 * V8's default tier-up budget sends hundreds of functions to its optimizing compiler, whose
 * background threads then take most of the second core (~1.7 s of CPU in a 1,000-tenant compile)
 * from the main thread. A larger budget optimizes only what stays hot: compile of 1,000 tenants
 * 1.9 -> 1.7 s. The language server's start is such a job too (start to first diagnostics of the
 * 1,000-tenant bench ~500 -> ~465 ms); it goes back to V8's default once the workspace is checked
 * (lsp/server.ts), for the edits.
 */
export const START_FLAGS = "--interrupt-budget=250000";

/**
 * The flags of a language server process, set before the server's bundle is compiled (by both of
 * its entries: compiler/cli/lsp-bin.ts and vscode-extension/src/server.ts). V8 refuses a code cache
 * made under other flags than it is loaded under, and the cache is saved once the workspace is
 * checked, under these: gc exposed (lsp/memory.ts), and no growth of the young generation by V8
 * itself (the server gives it the size it keeps: lsp/memory.ts, EDITING_YOUNG_GENERATION).
 */
export const SERVER_START_FLAGS: readonly string[] = [START_FLAGS, "--expose-gc", "--semi-space-growth-factor=1"];
