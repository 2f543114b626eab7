// The part of cli-progress the CLI uses (the package ships no types).
declare module "cli-progress" {
  interface Bar {
    update(value: number, payload?: Record<string, unknown>): void;
    stop(): void;
  }
  export class MultiBar {
    constructor(options: Record<string, unknown>, preset?: unknown);
    create(total: number, start: number, payload?: Record<string, unknown>): Bar;
    stop(): void;
  }
  export const Presets: { shades_classic: unknown; shades_grey: unknown };
}
