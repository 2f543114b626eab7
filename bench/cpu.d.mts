// Types of bench/cpu.mjs for the TypeScript benchmarks.
export declare const HAS_PROC: boolean;
/** CPU seconds used so far by each process of the process group, keyed by its role in `wrangler dev`. */
export declare function groupCpu(pgid: number): Record<string, number>;
