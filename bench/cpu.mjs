// CPU seconds used so far by each process of a process group (Linux /proc), labelled by role in `wrangler dev`.
import { existsSync, readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // Linux USER_HZ
export const HAS_PROC = existsSync("/proc/self/stat");

export function groupCpu(pgid) {
  const out = {};
  if (!HAS_PROC) return out;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      // wrangler dev = a Node process, a workerd proxy in front, and the workerd that runs the Worker
      // together with its local D1, R2, Durable Objects and Queues.
      const role = cmd.includes("workerd")
        ? cmd.includes("--inspector-addr")
          ? "workerd (Worker, D1, R2, DO)"
          : "workerd (wrangler's proxy)"
        : cmd.includes("esbuild")
          ? "esbuild"
          : "node (wrangler)";
      out[role] = (out[role] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
